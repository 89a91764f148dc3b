import { RunStatus } from '@audience-sync/contracts';
import { AudienceReadBack, ExportTable, FinishedRun, RegistryClient, RunTracker, SinkRunner } from '@audience-sync/delivery';
import { Emulators, startEmulators } from '../../../../../tools/emulators/main';
import { matches } from '../../../../../tools/emulators/matching';
import { memberKey } from '../../../../../tools/emulators/members';
import { EXPORT_ID, facebookExport, fullSyncBatch, rows, SinkProcess, StandInRegistry } from '../../../../../test/support/facebook-sink-harness';
import { sizeOf } from './audience-size';

/** Bounds as the emulator reports them: ±2 %, rounded outwards to two significant digits. */
const bounds = (n: number) => {
  const unit = (x: number) => 10 ** (Math.floor(Math.log10(x)) - 1);
  return [Math.floor((n * 0.98) / unit(n * 0.98)) * unit(n * 0.98), Math.ceil((n * 1.02) / unit(n * 1.02)) * unit(n * 1.02)];
};

describe('the audience size read back after a Facebook run (emulator)', () => {
  let emulators: Emulators;
  let audienceId: string;

  /** A sink with the read-back wired as start-sink wires it; `beforeReadBack` runs as the run finishes. */
  function sink(options: { rechecks?: number; wait?: () => Promise<void>; beforeReadBack?: () => void; env?: Record<string, string> } = {}) {
    const process = new SinkProcess(emulators, new StandInRegistry(emulators.facebook.state.issueToken(true, 3600)), audienceId, { env: options.env });
    const statuses: Omit<RunStatus, 'at'>[] = [];
    const waits: number[] = [];
    const table = new ExportTable();
    table.apply(EXPORT_ID, facebookExport(audienceId));
    const publish = async (status: Omit<RunStatus, 'at'>) => void statuses.push(status);
    const readBack = new AudienceReadBack((id) => table.get(id), process.delivery, publish, { recheckMs: 1000, rechecks: options.rechecks ?? 0 }, async (ms) => {
      waits.push(ms);
      await options.wait?.();
    });
    const tracker = new RunTracker('sink-facebook', publish, (run: FinishedRun) => {
      options.beforeReadBack?.();
      readBack.start(run);
    });
    const runner = new SinkRunner(table, tracker, process.delivery, new StandInRegistry('unused') as unknown as RegistryClient);
    const handle = (runId: string, count: number) =>
      runner.handle([fullSyncBatch(audienceId, runId, 1, 1, rows(0, count))].map((value, i) => ({ key: `${EXPORT_ID}/${audienceId}`, value, partition: 0, offset: String(i), timestamp: '0', headers: {} })), process.ctx);
    return { statuses, waits, readBack, handle };
  }

  const matchedOf = (count: number) => rows(0, count).filter((r) => matches(memberKey(r))).length;

  beforeAll(async () => {
    emulators = await startEmulators({ facebookSeed: { sizeProcessingMs: 0 } });
  });
  afterAll(() => emulators.close());
  beforeEach(() => {
    audienceId = emulators.facebook.state.createAudience('1001', { name: 'sized list', subtype: 'CUSTOM', customerFileSource: 'USER_PROVIDED_ONLY' }).id;
  });

  it('reports the run again with the size Facebook computed after matching: "sent 2,000, audience ~1,600"', async () => {
    const s = sink();
    await s.handle('run-size', 2000);
    expect(s.statuses.at(-1)).toMatchObject({ state: 'succeeded', counts: { sent: 2000 } });
    await s.readBack.idle();
    const [final, sized] = s.statuses.slice(-2);
    expect(final.audience).toBeUndefined(); // the run's end is reported without waiting for the platform
    const matched = matchedOf(2000);
    expect(matched).toBeGreaterThan(1500);
    expect(matched).toBeLessThan(1750);
    const [lower, upper] = bounds(matched);
    expect(sized).toMatchObject({ runId: 'run-size', state: 'succeeded', counts: { sent: 2000 }, audience: { sizeLowerBound: lower, sizeUpperBound: upper, status: 'ready', checkedAt: expect.any(String) } });
    expect(lower).toBeLessThanOrEqual(matched);
    expect(upper).toBeGreaterThanOrEqual(matched);
  });

  it('while Facebook says the audience is being populated, records "processing" and reads again, until it is normal', async () => {
    emulators.facebook.state.seed.sizeProcessingMs = 60_000;
    try {
      const s = sink({ rechecks: 3, wait: async () => void (emulators.facebook.state.audiences.get(audienceId)!.uploadedAt = 0) });
      await s.handle('run-processing', 200);
      await s.readBack.idle();
      const readings = s.statuses.filter((x) => x.audience).map((x) => x.audience!.status);
      expect(readings).toEqual(['processing', 'ready']);
      expect(s.waits).toEqual([1000]);
      expect(s.statuses.at(-1)!.audience!.detail).toContain('200 Normal');
    } finally {
      emulators.facebook.state.seed.sizeProcessingMs = 0;
    }
  });

  it('stops reading again after the rechecks it is given, leaving the run "processing"', async () => {
    emulators.facebook.state.seed.sizeProcessingMs = 60_000;
    try {
      const s = sink({ rechecks: 2 });
      await s.handle('run-slow', 200);
      await s.readBack.idle();
      expect(s.statuses.filter((x) => x.audience).map((x) => x.audience!.status)).toEqual(['processing', 'processing', 'processing']);
      expect(s.statuses.at(-1)!.audience!.detail).toContain('441');
    } finally {
      emulators.facebook.state.seed.sizeProcessingMs = 0;
    }
  });

  it('a read-back that fails leaves the run succeeded, with the size unavailable', async () => {
    const s = sink({ env: { SINK_MAX_ATTEMPTS: '2' }, beforeReadBack: () => emulators.facebook.faults.update({ serverErrorsNext: 2 }) });
    await s.handle('run-unread', 50);
    await s.readBack.idle();
    expect(s.statuses.at(-1)).toMatchObject({ runId: 'run-unread', state: 'succeeded', counts: { sent: 50 }, audience: { status: 'unavailable', detail: expect.stringContaining('size unavailable') } });
    expect(s.statuses.at(-1)!.audience!.sizeLowerBound).toBeUndefined();
    expect(s.statuses.some((x) => x.state === 'failed')).toBe(false);
  });

  it('a small audience: bounds 0 to 1,000 and, below 100 matched people, too small to be used', async () => {
    const s = sink();
    await s.handle('run-small', 20);
    await s.readBack.idle();
    expect(s.statuses.at(-1)!.audience).toMatchObject({ sizeLowerBound: 0, sizeUpperBound: 1000, status: 'too-small' });
  });
});

describe('sizeOf (Graph answer → run reading)', () => {
  it('maps operation_status and delivery_status as the Custom Audience reference describes them', () => {
    expect(sizeOf({ approximate_count_lower_bound: 4900, approximate_count_upper_bound: 5100, operation_status: { code: 200, description: 'Normal' } })).toMatchObject({ sizeLowerBound: 4900, sizeUpperBound: 5100, status: 'ready' });
    expect(sizeOf({ operation_status: { code: 414 } }).status).toBe('processing');
    expect(sizeOf({ operation_status: { code: 441 } }).status).toBe('processing');
    expect(sizeOf({ operation_status: { code: 471, description: 'flagged' } })).toMatchObject({ status: 'unusable', detail: 'Facebook: 471 flagged' });
    expect(sizeOf({ operation_status: { code: 200 }, delivery_status: { code: 300 } }).status).toBe('too-small');
    expect(sizeOf({ approximate_count_lower_bound: -1, approximate_count_upper_bound: -1 })).toEqual({});
  });
});
