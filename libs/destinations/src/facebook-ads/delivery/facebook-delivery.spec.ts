import { AudienceUnavailable } from '@audience-sync/delivery';
import { Emulators, startEmulators } from '../../../../../tools/emulators/main';
import { memberKey } from '../../../../../tools/emulators/members';
import { deltaBatch, facebookExport, fullSyncBatch, row, SinkProcess, StandInRegistry } from '../../../../../test/support/facebook-sink-harness';
import { FacebookDelivery } from './facebook-delivery';

const SEEDED_LIST = '23850000000000001';

describe('FacebookDelivery', () => {
  let emulators: Emulators;
  let sink: SinkProcess;
  let delivery: FacebookDelivery;
  let audienceId: string;

  const batch = (audienceKey: string, ids: number[]) => deltaBatch(audienceKey, ids.map(row));
  const members = (id: string) => emulators.facebook.state.audiences.get(id)?.members.page(0, 1000) ?? [];

  beforeAll(async () => {
    emulators = await startEmulators();
    sink = new SinkProcess(emulators, new StandInRegistry(emulators.facebook.state.issueToken(true, 3600)), SEEDED_LIST);
    delivery = sink.delivery;
  });
  afterAll(() => emulators.close());
  beforeEach(() => {
    audienceId = emulators.facebook.state.createAudience('1001', { name: 'export list', subtype: 'CUSTOM', customerFileSource: 'USER_PROVIDED_ONLY' }).id;
  });

  it("sends to the audience the export's configuration names, never to one the message names", async () => {
    const before = members(SEEDED_LIST);
    await delivery.deliver(batch(SEEDED_LIST, [1, 2]), facebookExport(audienceId), sink.ctx);
    expect(members(audienceId).sort()).toEqual([memberKey(row(1)), memberKey(row(2))].sort());
    expect(members(SEEDED_LIST)).toEqual(before);
  });

  it('knows whether the configuration still names the audience a batch was made for', () => {
    expect(delivery.names(batch(audienceId, [1]), facebookExport(audienceId))).toBe(true);
    expect(delivery.names(batch(SEEDED_LIST, [1]), facebookExport(audienceId))).toBe(false);
  });

  it('a deleted audience is unavailable, not a permanent failure: the run says what to do, the problem names no identifiers', async () => {
    await delivery.deliver(batch(audienceId, [1]), facebookExport(audienceId), sink.ctx); // verified and used once
    emulators.facebook.state.audiences.delete(audienceId);
    const failure = await delivery.deliver(batch(audienceId, [2]), facebookExport(audienceId), sink.ctx).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(AudienceUnavailable);
    const { message, problem } = failure as AudienceUnavailable;
    expect(message).toContain(`custom audience ${audienceId}`);
    expect(message).toMatch(/deleted.*choose another.*create one for the export.*PATCH \/exports\/\{id\}/is);
    expect(problem.length).toBeLessThanOrEqual(500);
    expect(problem).not.toMatch(/\d{5,}/);
    expect(problem).toMatch(/choose another.*create one for the export/is);
  });

  it('an audience unknown before its first upload, and one deleted during a full sync, are unavailable too', async () => {
    const unknown = await delivery.deliver(batch('99999', [1]), facebookExport('99999'), sink.ctx).catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(AudienceUnavailable);
    await delivery.deliver(fullSyncBatch(audienceId, 'r-1', 1, 2, [row(1)]), facebookExport(audienceId), sink.ctx);
    emulators.facebook.state.audiences.delete(audienceId);
    const midSync = await delivery.deliver(fullSyncBatch(audienceId, 'r-1', 2, 2, [row(2)]), facebookExport(audienceId), sink.ctx).catch((e: unknown) => e);
    expect(midSync).toBeInstanceOf(AudienceUnavailable);
  });
});

describe('FacebookDelivery against Graph with "Require App Secret" on', () => {
  let emulators: Emulators;
  let registry: StandInRegistry;
  let audienceId: string;

  beforeAll(async () => {
    emulators = await startEmulators({ facebookSeed: { requireAppSecretProof: true } });
    registry = new StandInRegistry(emulators.facebook.state.issueToken(true, 3600));
    audienceId = emulators.facebook.state.createAudience('1001', { name: 'export list', subtype: 'CUSTOM', customerFileSource: 'USER_PROVIDED_ONLY' }).id;
  });
  afterAll(() => emulators.close());

  it('with FACEBOOK_APP_SECRET, every call carries appsecret_proof: the check, the upload and a full sync go through', async () => {
    const sink = new SinkProcess(emulators, registry, audienceId, { env: { FACEBOOK_APP_SECRET: 'emulator-app-secret' } });
    await sink.handle([deltaBatch(audienceId, [row(1)])]);
    await sink.handle([fullSyncBatch(audienceId, 'r-proof', 1, 1, [row(2)])]);
    expect(emulators.facebook.state.audiences.get(audienceId)!.members.page(0, 10)).toEqual([memberKey(row(2))]);
    expect(sink.lastStatus('r-proof')).toMatchObject({ state: 'succeeded' });
  });

  it('without it, Graph refuses the first call (100) and the batch fails with its message', async () => {
    const sink = new SinkProcess(emulators, registry, audienceId);
    const failure = await sink.delivery.deliver(deltaBatch(audienceId, [row(3)]), facebookExport(audienceId), sink.ctx).catch((e: unknown) => e);
    expect((failure as Error).message).toMatch(/error 100: API calls from the server require an appsecret_proof argument/);
  });
});
