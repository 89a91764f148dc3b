import { createHash } from 'node:crypto';
import { SegmentEvent } from '@audience-sync/contracts';
import { eventually, uniqueName } from '../support/env';
import { Stack } from '../support/stack';

const digest = (email: string) => createHash('sha256').update(email).digest('hex');

/**
 * The whole product (registry, streamer, hasher, sink-microsoft-ads) against the Microsoft
 * emulator: a full sync whose result holds nobody leaves nobody in the Customer Match list.
 */
describe('a Microsoft full sync that holds nobody, end to end', () => {
  const stack = new Stack();
  const base = () => `${stack.emulators.microsoft.url}/CampaignManagement/v13`;
  let advertiser: Record<string, string>;

  /** Calls Campaign Management as an advertiser would, with a token of their own. */
  async function asAdvertiser(path: string, body: unknown): Promise<any> {
    const response = await fetch(`${base()}${path}`, { method: 'POST', headers: advertiser, body: JSON.stringify(body) });
    return response.json();
  }

  beforeAll(async () => {
    await stack.start();
    const redirect = 'http://127.0.0.1:1/cb';
    const signIn = await fetch(`${stack.emulators.microsoft.url}/common/oauth2/v2.0/authorize?client_id=emulator-client-id&response_type=code&redirect_uri=${encodeURIComponent(redirect)}`, { redirect: 'manual' });
    const code = new URL(signIn.headers.get('location')!).searchParams.get('code')!;
    const tokens = await fetch(`${stack.emulators.microsoft.url}/common/oauth2/v2.0/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ client_id: 'emulator-client-id', client_secret: 'emulator-client-secret', grant_type: 'authorization_code', code, redirect_uri: redirect }) });
    const { access_token } = (await tokens.json()) as { access_token: string };
    advertiser = { 'content-type': 'application/json', Authorization: `Bearer ${access_token}`, DeveloperToken: 'BBD37VB98', CustomerId: '1000001', CustomerAccountId: '2000001' };
  }, 180000);
  afterAll(() => stack.stop());

  it('members without an email: the full sync replaces the list with no items and the list ends empty', async () => {
    const seg = uniqueName('Nobody');
    const connectionId = await stack.connect('microsoft-advertising');
    const created = await stack.api('POST', '/exports', { displayName: 'nobody', connectionId, segments: [{ id: seg, name: seg }], microsoft: { customerId: '1000001', accountId: '2000001', emailAttribute: 'PrimaryEmail' } });
    expect(created.status).toBe(201);
    const exportId = created.body.id as string;
    await stack.untilActive(exportId, created.body.version);
    const refreshId = uniqueName('r');
    const refresh: SegmentEvent = { type: 'refresh', eventId: refreshId, occurredAt: '2026-11-03T00:00:01Z', segmentId: seg, segmentName: seg, refreshId, part: 1, final: true, members: [0, 1, 2].map((i) => ({ profileId: `${seg}-p${i}` })) };
    await stack.publish([refresh]);
    await eventually(async () => (await stack.runs(exportId)).some((r) => r.trigger === 'refresh' && r.state === 'succeeded'), 60000, 'the refresh to succeed');

    // Rows the export never sent: the advertiser's own upload to the list the export feeds.
    const [listId] = (await asAdvertiser('/Audiences', { Audiences: [{ Name: seg, Type: 'CustomerList', Scope: 'Account', ParentId: '2000001' }] })).AudienceIds;
    expect(await asAdvertiser('/CustomerListUserData/Apply', { CustomerListUserData: { ActionType: 'Add', AudienceId: listId, CustomerListItemSubType: 'Email', CustomerListItems: ['a@example.com', 'b@example.com'].map(digest), AcceptCustomerMatchTerm: true } })).toEqual({ PartialErrors: [] });
    expect(await stack.microsoftMembers(seg)).toHaveLength(2);

    const run = await stack.api('POST', `/exports/${exportId}/runs`);
    expect(run.status).toBe(202);
    await eventually(async () => (await stack.runs(exportId)).find((r) => r.id === run.body.id)?.state === 'succeeded', 60000, 'the full sync to succeed');
    await eventually(async () => (await stack.microsoftMembers(seg))?.length === 0, 60000, 'the list to be emptied');
  });
});
