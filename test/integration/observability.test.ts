import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { SegmentEvent, Topics } from '@audience-sync/contracts';
import { projectRoot } from '../../deploy/local/paths';
import { Stack } from '../support/stack';
import { eventually, uniqueName } from '../support/env';

const dir = join(projectRoot(), 'deploy', 'observability');
const dashboard = JSON.parse(readFileSync(join(dir, 'grafana', 'dashboards', 'audience-sync.json'), 'utf8'));
const rules = parse(readFileSync(join(dir, 'alerts.yml'), 'utf8'));
const datasources = parse(readFileSync(join(dir, 'grafana', 'provisioning', 'datasources', 'prometheus.yml'), 'utf8'));
const scrapeConfig = parse(readFileSync(join(dir, 'prometheus.yml'), 'utf8'));

interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { uid: string };
  gridPos: { h: number; w: number; x: number; y: number };
  targets?: { expr: string; refId: string }[];
}
const panels: Panel[] = dashboard.panels;
const queries = panels.flatMap((p) => (p.targets ?? []).map((t) => ({ where: `panel "${p.title}"`, expr: t.expr })));
const alerts: { alert: string; expr: string; labels: { severity: string }; annotations: { summary: string } }[] = rules.groups.flatMap((g: { rules: unknown[] }) => g.rules);
const expressions = [...queries, ...alerts.map((a) => ({ where: `alert ${a.alert}`, expr: a.expr }))];

/** The metric names a PromQL expression reads (ours only: `up` and the process metrics are Prometheus's and Node's). */
const namesIn = (expr: string) => [...expr.matchAll(/\baudience_sync_\w+/g)].map((m) => m[0]);

/** One scrape: every metric a service declares (histograms with their series' suffixes) and its samples. */
interface Scrape {
  declared: Set<string>;
  samples: { name: string; labels: Record<string, string>; value: number }[];
}

function parseScrape(text: string): Scrape {
  const declared = new Set<string>();
  const samples: Scrape['samples'] = [];
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\w+) (\w+)$/.exec(line);
    if (type) {
      declared.add(type[1]);
      if (type[2] === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) declared.add(type[1] + suffix);
      continue;
    }
    const sample = /^(\w+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!sample) continue;
    const labels = Object.fromEntries([...(sample[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
    samples.push({ name: sample[1], labels, value: Number(sample[3]) });
  }
  return { declared, samples };
}

/** The sum of a metric's samples whose labels include `match`. */
function total(scrape: Scrape, name: string, match: Record<string, string> = {}): number {
  return scrape.samples.filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v)).reduce((sum, s) => sum + s.value, 0);
}

describe('the dashboard and alert rules', () => {
  it('are well-formed: unique panel ids on a 24-column grid, every query on the provisioned data source, every alert with a severity and a summary', () => {
    expect(dashboard).toMatchObject({ uid: 'audience-sync', title: expect.any(String), schemaVersion: expect.any(Number) });
    expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
    const uid = datasources.datasources[0].uid;
    for (const panel of panels) {
      expect({ panel: panel.title, fits: panel.gridPos.x >= 0 && panel.gridPos.w > 0 && panel.gridPos.x + panel.gridPos.w <= 24 }).toEqual({ panel: panel.title, fits: true });
      if (panel.type === 'row') continue;
      expect({ panel: panel.title, uid: panel.datasource?.uid, targets: (panel.targets ?? []).length > 0 }).toEqual({ panel: panel.title, uid, targets: true });
    }
    expect(alerts.length).toBeGreaterThan(0);
    for (const alert of alerts) expect(alert).toMatchObject({ alert: expect.stringMatching(/^AudienceSync/), expr: expect.any(String), labels: { severity: expect.stringMatching(/^(warning|critical)$/) }, annotations: { summary: expect.any(String) } });
    expect(scrapeConfig.rule_files).toEqual(['/etc/prometheus/alerts.yml']);
  });

  it('write PromQL with balanced brackets and quotes, and cover what an operator must see', () => {
    for (const { where, expr } of expressions) {
      const stack: string[] = [];
      const pairs: Record<string, string> = { ')': '(', ']': '[', '}': '{' };
      for (const c of expr.replace(/"[^"]*"/g, '""')) {
        if ('([{'.includes(c)) stack.push(c);
        else if (c in pairs) expect({ where, closes: stack.pop() }).toEqual({ where, closes: pairs[c] });
      }
      expect({ where, unclosed: stack, quotes: (expr.match(/"/g) ?? []).length % 2 }).toEqual({ where, unclosed: [], quotes: 0 });
    }
    const used = new Set(expressions.flatMap((e) => namesIn(e.expr)));
    for (const needed of ['audience_sync_consumer_lag_messages', 'audience_sync_runs_total', 'audience_sync_connections', 'audience_sync_sink_rows_invalid_total', 'audience_sync_sink_change_age_seconds_bucket']) expect(used).toContain(needed);
  });
});

describe('every metric the dashboard and alerts use is exported by the services, and moves in a run', () => {
  const stack = new Stack();
  const scrapes = new Map<string, Scrape>();
  let exportId: string;
  let unauthenticated: number;

  beforeAll(async () => {
    await stack.start();
    const connectionId = await stack.connect('facebook-ads', { adAccountId: 'act_1001', create: { name: uniqueName('list') } } as never);
    const created = await stack.api('POST', '/exports', { displayName: 'metrics', connectionId, segments: [{ id: 'metrics-seg', name: 'metrics-seg' }], facebook: { keyIdentifier: 'email', mappings: { EMAIL: 'PrimaryEmail' } } });
    expect(created.status).toBe(201);
    exportId = created.body.id;
    await stack.untilActive(exportId, created.body.version);

    // Four members with an email, one whose email no rule can use, and a message that is not JSON.
    const segmentId = 'metrics-seg';
    const refreshId = uniqueName('r');
    const members = [0, 1, 2, 3].map((i) => ({ profileId: `m${i}`, attributes: { PrimaryEmail: `metrics${i}@example.com` } }));
    const refresh: SegmentEvent = { type: 'refresh', eventId: refreshId, occurredAt: new Date().toISOString(), segmentId, segmentName: segmentId, refreshId, part: 1, final: true, members: [...members, { profileId: 'm-bad', attributes: { PrimaryEmail: 'not an email' } }] };
    await stack.publish([refresh]);
    await stack.producer.send({ topic: Topics.segmentEvents.name, messages: [{ key: segmentId, value: 'not json' }] });
    await eventually(async () => (await stack.runs(exportId)).some((r) => r.trigger === 'refresh' && r.state === 'succeeded'), 60000, 'the refresh run to succeed');
    const run = await stack.api('POST', `/exports/${exportId}/runs`);
    await eventually(async () => (await stack.runs(exportId)).find((r) => r.id === run.body.id)?.state === 'succeeded', 60000, 'the on-demand run to succeed');

    // Scraped as Prometheus does: no API key, however many times.
    for (const [name, service] of stack.services) {
      const response = await fetch(`http://127.0.0.1:${service.port}/metrics`);
      expect({ name, status: response.status, type: response.headers.get('content-type') }).toEqual({ name, status: 200, type: expect.stringContaining('text/plain') });
      const text = await response.text();
      scrapes.set(name, parseScrape(text));
      if (name === 'sink-facebook' && process.env.AUDIENCE_SYNC_METRICS_SAMPLE) writeFileSync(process.env.AUDIENCE_SYNC_METRICS_SAMPLE, text);
    }
    unauthenticated = (await fetch(`${stack.registryUrl}/exports`)).status;
  }, 300000);

  afterAll(async () => {
    await stack.stop();
  });

  it('declares every metric name the dashboard and the alert rules read', () => {
    const declared = new Set([...scrapes.values()].flatMap((s) => [...s.declared]));
    const missing = expressions.flatMap(({ where, expr }) => namesIn(expr).filter((name) => !declared.has(name)).map((name) => `${name} (${where})`));
    expect(missing).toEqual([]);
  });

  it("moves the export's counters at every stage, labelled by export and destination, never by profile", () => {
    const of = (service: string) => scrapes.get(service)!;
    const exportLabels = { export_id: exportId, destination: 'facebook-ads' };
    expect(total(of('identifier-hasher'), 'audience_sync_hasher_events_total', { type: 'refresh' })).toBeGreaterThanOrEqual(1);
    expect(total(of('identifier-hasher'), 'audience_sync_hasher_values_dropped_total', { reason: 'email-invalid' })).toBeGreaterThanOrEqual(1);
    expect(total(of('identifier-hasher'), 'audience_sync_dead_letters_total', { group: 'identifier-hasher', topic: Topics.segmentEvents.name, reason: 'not-json' })).toBeGreaterThanOrEqual(1);
    expect(total(of('segment-streamer'), 'audience_sync_streamer_profiles_total', { type: 'refresh' })).toBeGreaterThanOrEqual(5);
    expect(total(of('segment-streamer'), 'audience_sync_streamer_changes_total', { ...exportLabels, op: 'add' })).toBeGreaterThanOrEqual(4);
    expect(total(of('segment-streamer'), 'audience_sync_streamer_rows_invalid_total', { export_id: exportId })).toBeGreaterThanOrEqual(1);
    expect(total(of('segment-streamer'), 'audience_sync_streamer_state_bytes')).toBeGreaterThan(0);
    expect(total(of('sink-facebook'), 'audience_sync_sink_rows_sent_total', exportLabels)).toBeGreaterThanOrEqual(4);
    expect(total(of('sink-facebook'), 'audience_sync_sink_change_age_seconds_count', { destination: 'facebook-ads' })).toBeGreaterThanOrEqual(1);
    expect(total(of('connection-registry'), 'audience_sync_runs_total', { export_id: exportId, stage: 'sink-facebook', state: 'succeeded' })).toBeGreaterThanOrEqual(2);
    expect(total(of('connection-registry'), 'audience_sync_run_duration_seconds_count', { stage: 'sink-facebook', trigger: 'on-demand' })).toBeGreaterThanOrEqual(1);
    expect(total(of('connection-registry'), 'audience_sync_connections', { destination: 'facebook-ads', state: 'ready' })).toBeGreaterThanOrEqual(1);
    expect(of('segment-streamer').samples.some((s) => s.name === 'audience_sync_consumer_lag_messages' && s.labels.group === 'segment-streamer')).toBe(true);
    expect(total(of('sink-facebook'), 'process_resident_memory_bytes')).toBeGreaterThan(0);
    // Bounded labels: no profile id, no identifier.
    const everything = [...scrapes.values()].flatMap((s) => s.samples.map((x) => JSON.stringify(x.labels))).join('\n');
    for (const needle of ['m-bad', 'metrics0', 'example.com', 'not an email']) expect(everything).not.toContain(needle);
  });

  it("serves the registry's /metrics without a key while its API still needs one", () => {
    expect(unauthenticated).toBe(401);
  });
});
