import { createHash } from 'node:crypto';
import { loadConfig } from '@audience-sync/config';
import { ExportConfig, MicrosoftChangeBatch, Topics } from '@audience-sync/contracts';
import { BatchContext } from '@audience-sync/kafka';
import { z } from 'zod';
import { AuthenticationLost, PermanentFailure, RegistryClient, sinkConfig, TermsNotAccepted } from '@audience-sync/delivery';
import { RunningEmulator, startEmulator } from '../../../../../tools/emulators/emulator-server';
import { microsoftEmulator } from '../../../../../tools/emulators/microsoft/emulator';
import { microsoftSeedSchema } from '../../../../../tools/emulators/microsoft/seed';
import { RegistryStandIn, startRegistryStandIn } from '../../../../../test/support/microsoft-registry-stand-in';
import { CampaignClient } from './campaign-client';
import { microsoftDeliveryEnv } from './config';
import { CustomerMatchDelivery } from './customer-match-delivery';

const LIST = 'Loyal customers';
const digest = (i: number) => createHash('sha256').update(`member${i}@example.com`).digest('hex');
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

const exportConfig: ExportConfig = {
  exportId: 'export-1',
  version: 1,
  displayName: 'loyal to Microsoft',
  connectionId: 'connection-1',
  connectionState: 'active',
  segments: [{ id: 'loyal', name: LIST }],
  maxProfiles: 500_000,
  updatedAt: '2026-11-01T00:00:00Z',
  destination: { type: 'microsoft-advertising', customerId: '1000001', accountId: '2000001', emailAttribute: 'PrimaryEmail', acceptCustomerMatchTerms: true },
};

function batch(mode: MicrosoftChangeBatch['mode'], adds: number[]): MicrosoftChangeBatch {
  return {
    batchId: `b-${adds[0]}`,
    audience: { exportId: 'export-1', exportVersion: 1, connectionId: 'connection-1', destination: 'microsoft-advertising', audienceKey: 'loyal', audienceName: LIST, customerId: '1000001', accountId: '2000001' },
    mode,
    adds: adds.map(digest),
    removes: [],
    counts: { droppedValues: {}, rejectedRows: 0 },
  };
}
const delta = (adds: number[]) => batch({ kind: 'delta' }, adds);
/** A new export's first refresh: it makes the list and fills it, without asking for a full sync. */
const firstRefresh = (adds: number[]) => ({ ...delta(adds), run: { runId: 'refresh-1', trigger: 'refresh' as const, audiences: 1, last: true, fills: true } });
/** A full sync's batches in order, the last one saying so. */
const fullSync = (...parts: number[][]) => parts.map((adds, i) => batch({ kind: 'full-sync', runId: 'run-9', seq: i + 1, last: i === parts.length - 1 }, adds));

/**
 * The Microsoft sink's delivery (CustomerMatchDelivery over the real CampaignClient and
 * RegistryClient) against the Microsoft emulator over HTTP, with faults the emulator answers in the
 * platform's own shapes. Waits are recorded, not spent.
 */
describe('Microsoft Advertising sink against the emulator', () => {
  let emulator: RunningEmulator & ReturnType<typeof microsoftEmulator>;
  let registry: RegistryStandIn;
  let heartbeats: number;
  const ctx = () => ({ topic: Topics.microsoftChanges.name, partition: 0, signal: new AbortController().signal, heartbeat: async () => void (heartbeats += 1) }) as BatchContext;

  /** A sink process: its own caches, as after a start. */
  function sink(options: { maxItems?: number; maxAttempts?: number } = {}) {
    const config = loadConfig('sink-microsoft-ads', z.object({ ...sinkConfig, ...microsoftDeliveryEnv }), {
      MICROSOFT_ADS_BASE_URL: `${emulator.url}/CampaignManagement/v13`,
      MICROSOFT_DEVELOPER_TOKEN: 'BBD37VB98',
      REGISTRY_INTERNAL_URL: registry.url,
      INTERNAL_API_TOKEN: registry.internalToken,
      ...(options.maxAttempts ? { SINK_MAX_ATTEMPTS: String(options.maxAttempts) } : {}),
    });
    const registryClient = new RegistryClient(config.REGISTRY_INTERNAL_URL, config.INTERNAL_API_TOKEN);
    const waits: number[] = [];
    const client = new CampaignClient(config, registryClient, async (ms) => void waits.push(ms));
    const delivery = new CustomerMatchDelivery(client, registryClient, { maxItems: options.maxItems });
    return { waits, deliver: (b: MicrosoftChangeBatch) => delivery.deliver(b, exportConfig, ctx()) };
  }

  const list = () => [...emulator.audiences.values()].filter((a) => a.name === LIST);
  const members = () => list()[0]?.members.page(0, 1_000_000).sort();
  const expected = (ids: number[]) => ids.map((i) => digest(i).slice(0, 16)).sort();
  /** Status and error code of each ApplyCustomerListUserData call, in order. */
  const applies = () => emulator.requests.filter((r) => r.path.endsWith('/CustomerListUserData/Apply')).map((r) => [r.status, r.errorCode ?? null]);
  const admin = (path: string) => fetch(`${emulator.url}/_emulator/${path}`, { method: 'POST' });

  beforeEach(async () => {
    const definition = microsoftEmulator(microsoftSeedSchema.parse({}));
    emulator = Object.assign(definition, await startEmulator(definition, 0));
    registry = await startRegistryStandIn(emulator.url);
    heartbeats = 0;
  });
  afterEach(async () => {
    await Promise.all([emulator.close(), registry.close()]);
  });

  describe('credentials, call rate and races', () => {
    it.each([
      ['105 InvalidCredentials (the access token was revoked)', 'tokens/revoke', 105],
      ['109 AuthenticationTokenExpired', 'tokens/expire', 109],
    ])('%s: refreshes the token through the registry once and sends again', async (_, fault, code) => {
      const { deliver } = sink();
      await deliver(firstRefresh([1]));
      await admin(fault);
      expect(await deliver(delta([2]))).toEqual({ sent: 1, removed: 0, invalid: 0, failed: 0 });
      expect(registry.tokenRequests).toEqual([false, true]);
      expect(registry.authFailures).toEqual([]);
      expect(applies()).toEqual([
        [200, null],
        [401, code],
        [200, null],
      ]);
      expect(members()).toEqual(expected([1, 2]));
    });

    it('refreshes only for the call the token was refused on: rate-limited calls after a refresh use the new token', async () => {
      const { deliver } = sink();
      await deliver(firstRefresh([1]));
      await admin('tokens/expire');
      emulator.scripted.add({ operation: 'ApplyCustomerListUserData', code: 117, times: 2 });
      expect(await deliver(delta([2]))).toEqual({ sent: 1, removed: 0, invalid: 0, failed: 0 });
      expect(applies().map(([, code]) => code)).toEqual([null, 109, 117, 117, null]);
      expect(registry.tokenRequests).toEqual([false, true]);
    });

    it('105 again after the refresh: reports the auth failure to the registry and stops (AuthenticationLost), sending nothing more', async () => {
      const { deliver } = sink();
      await deliver(firstRefresh([1]));
      emulator.scripted.add({ operation: 'ApplyCustomerListUserData', code: 105, times: 3 });
      const attempt = deliver(delta([2]));
      await expect(attempt).rejects.toBeInstanceOf(AuthenticationLost);
      await expect(attempt).rejects.toThrow(/connection connection-1: Microsoft Advertising rejected the credentials \(TrackingId [0-9a-f-]{36}\)/);
      expect(registry.tokenRequests).toEqual([false, true]);
      expect(registry.authFailures).toEqual([{ connectionId: 'connection-1', problem: 'Microsoft Advertising rejected the access token after a refresh' }]);
      expect(applies()).toEqual([
        [200, null],
        [401, 105],
        [401, 105],
      ]);
      expect(members()).toEqual(expected([1]));
    });

    it('117 CallRateExceeded (HTTP 429): waits the configured minute with a heartbeat each time, then sends again', async () => {
      const { deliver, waits } = sink();
      emulator.scripted.add({ operation: 'ApplyCustomerListUserData', code: 117, times: 2 });
      expect(await deliver(batch({ kind: 'full-sync', runId: 'run-1', seq: 1, last: true }, [1, 2]))).toEqual({ sent: 2, removed: 0, invalid: 0, failed: 0 });
      expect(waits).toEqual([60_000, 60_000]); // the production MICROSOFT_RATE_LIMIT_WAIT_MS: the window slides over a minute
      expect(heartbeats).toBe(2);
      expect(applies()).toEqual([
        [429, 117],
        [429, 117],
        [200, null],
      ]);
      expect(members()).toEqual(expected([1, 2]));
    });

    it('0 InternalError (HTTP 500): retries with backoff under the cap; past SINK_MAX_ATTEMPTS leaves the batch to be retried, not failed', async () => {
      const { deliver, waits } = sink({ maxAttempts: 3 });
      await deliver(firstRefresh([1]));
      emulator.scripted.add({ operation: 'ApplyCustomerListUserData', code: 0, times: 2 });
      expect(await deliver(delta([2]))).toMatchObject({ sent: 1 });
      expect(waits).toHaveLength(2);
      expect(waits.every((ms) => ms >= 0 && ms <= 30_000)).toBe(true); // SINK_BACKOFF_MAX_MS
      emulator.scripted.add({ operation: 'ApplyCustomerListUserData', code: 0, times: 3 });
      const attempt = deliver(delta([3]));
      await expect(attempt).rejects.toThrow(/kept failing \(HTTP 500 \(TrackingId [0-9a-f-]{36}\)\) after 3 attempts; the batch will be retried/);
      await expect(attempt).rejects.not.toBeInstanceOf(PermanentFailure);
      expect(members()).toEqual(expected([1, 2]));
    });

    it('3913 TermsAndConditionsNotAccepted (the connection declined the terms, sent as AcceptCustomerMatchTerm false): fails the run saying to accept the Customer Match terms', async () => {
      const { deliver } = sink();
      const declined = firstRefresh([1]);
      const attempt = deliver({ ...declined, audience: { ...declined.audience, acceptTerms: false } });
      await expect(attempt).rejects.toBeInstanceOf(PermanentFailure);
      await expect(attempt).rejects.toBeInstanceOf(TermsNotAccepted);
      await expect(attempt).rejects.toThrow('Microsoft Advertising: the Customer Match terms are not accepted for this account; accept the Customer Match terms');
      expect(applies()).toEqual([[400, 3913]]);
      expect(members()).toEqual([]);
    });

    it('8003 CustomerListTermsAndConditionsNotAccepted, a PartialError of making the list: TermsNotAccepted, saying where to accept them', async () => {
      const { deliver } = sink();
      await fetch(`${emulator.url}/_emulator/accounts/${exportConfig.destination.type === 'microsoft-advertising' ? exportConfig.destination.accountId : ''}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ termsAccepted: false }) });
      const attempt = deliver(firstRefresh([1]));
      await expect(attempt).rejects.toBeInstanceOf(TermsNotAccepted);
      await expect(attempt).rejects.toThrow('accept the Customer Match terms in Microsoft Advertising (Tools > Audiences)');
      expect(list()).toEqual([]);
    });

    it('4853 DuplicateAudienceName (the list was made by someone else between the lookup and the creation): sends to that list', async () => {
      const { deliver } = sink();
      emulator.scripted.add({ operation: 'AddAudiences', code: 4853 });
      expect(await deliver(firstRefresh([1, 2]))).toEqual({ sent: 2, removed: 0, invalid: 0, failed: 0 });
      expect(emulator.requests.filter((r) => r.path.startsWith('/CampaignManagement/v13/')).map((r) => `${r.method} ${r.path.slice('/CampaignManagement/v13'.length)}`)).toEqual([
        'POST /Audiences/QueryByIds',
        'POST /Audiences', // 4853 in its PartialErrors
        'POST /Audiences/QueryByIds',
        'POST /CustomerListUserData/Apply',
      ]);
      expect(list()).toHaveLength(1);
      expect(members()).toEqual(expected([1, 2]));
      expect(registry.fullSyncs).toEqual([]); // the run fills the list anyway
    });
  });

  describe('a full sync spanning several calls and batches', () => {
    it('sends Replace first and Add for the rest, leaving exactly the full sync in the list', async () => {
      const { deliver } = sink({ maxItems: 3 });
      await deliver(firstRefresh([100, 101, 102, 103]));
      const before = applies().length;
      for (const b of fullSync(range(0, 7), range(7, 12))) await deliver(b);
      expect(applies().length - before).toBe(5); // 3 + 3 + 1, then 3 + 2
      expect(members()).toEqual(expected(range(0, 12)));
    });

    it('empties the list when the full sync holds nothing: one Replace with no items', async () => {
      const { deliver } = sink();
      await deliver(firstRefresh([1, 2, 3]));
      expect(await deliver(fullSync([])[0])).toEqual({ sent: 0, removed: 0, invalid: 0, failed: 0 });
      expect(applies()).toEqual([
        [200, null],
        [200, null],
      ]);
      expect(members()).toEqual([]);
    });

    it('replaces even when its first batch is left without rows (all dropped while hashing): the list holds exactly the later batches', async () => {
      const { deliver } = sink({ maxItems: 3 });
      await deliver(firstRefresh([100, 101, 102]));
      for (const b of fullSync([], range(0, 4), range(4, 6))) await deliver(b);
      expect(members()).toEqual(expected(range(0, 6)));
    });

    it('ends right when its last batch has no rows (adds: [], last: true)', async () => {
      const { deliver } = sink({ maxItems: 3 });
      await deliver(firstRefresh([100, 101, 102]));
      const before = applies().length;
      for (const b of fullSync(range(0, 4), [])) expect(await deliver(b)).toMatchObject({ invalid: 0, failed: 0 });
      expect(applies().length - before).toBe(2); // Replace 3, Add 1; the empty last batch needs no call
      expect(members()).toEqual(expected(range(0, 4)));
    });

    it('at the production size sends at most 1,000 items a call, the limit the emulator holds it to', async () => {
      const { deliver } = sink();
      await deliver(firstRefresh([100]));
      for (const b of fullSync(range(0, 2500))) await deliver(b);
      expect(applies()).toHaveLength(1 + 3);
      expect(applies().every(([status]) => status === 200)).toBe(true);
      expect(members()).toEqual(expected(range(0, 2500)));
    });

    it.each([
      ['after the Replace; the restarted process gets every batch again', 1, 'every', 'restarted'],
      ['after the Replace; the same process gets the failed batch again', 1, 'failed', 'same'],
      ['inside the second batch; the same process gets every batch again', 4, 'every', 'same'],
      ['inside the second batch; the restarted process gets the failed batch again', 4, 'failed', 'restarted'],
    ] as const)('a crash between two calls (%s): the list ends exactly right', async (_, callsBeforeCrash, from, by) => {
      await sink().deliver(firstRefresh([100, 101, 102]));
      const batches = fullSync(range(0, 7), range(7, 12), range(12, 14));
      // The call after `callsBeforeCrash` fails and the process gives up on its batch: nothing after it is done or committed.
      emulator.scripted.add({ operation: 'ApplyCustomerListUserData', code: 0, skip: callsBeforeCrash });
      const crashing = sink({ maxItems: 3, maxAttempts: 1 });
      let failed = -1;
      for (const [i, b] of batches.entries()) {
        const done = await crashing.deliver(b).then(
          () => true,
          () => false,
        );
        if (!done) {
          failed = i;
          break;
        }
      }
      expect(failed).toBe(callsBeforeCrash < 3 ? 0 : 1);
      const again = by === 'same' ? crashing : sink({ maxItems: 3 });
      for (const b of batches.slice(from === 'failed' ? failed : 0)) await again.deliver(b);
      expect(members()).toEqual(expected(range(0, 14)));
    });
  });
});
