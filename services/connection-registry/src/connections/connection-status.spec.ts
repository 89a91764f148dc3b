import { connectionStatus } from './connection-status';

const TERMS = 'Facebook: the custom audience terms are not accepted for this ad account; accept them in Facebook Ads Manager';
const sealed = { keyId: 'k', iv: 'i', tag: 't', data: 'd' };
const ready = { _id: 'c1', destination: 'facebook-ads' as const, credentials: sealed, credentialsExpireAt: new Date('2027-01-01'), authProblem: null, termsProblem: null, facebook: { adAccountId: '1001', audienceId: '238', audienceName: 'list' } };
const now = new Date('2026-11-28');

describe('connectionStatus', () => {
  it('ready when signed in, with an audience and no problem', () => {
    expect(connectionStatus(ready, now)).toEqual({ state: 'ready', message: 'ready for exports' });
  });

  it('terms not accepted: says what to accept where, then to confirm it on the connection', () => {
    const status = connectionStatus({ ...ready, termsProblem: TERMS }, now);
    expect(status.state).toBe('terms-not-accepted');
    expect(status.message).toContain(TERMS);
    expect(status.message).toContain('POST /connections/c1/terms-accepted');
  });

  it('terms not accepted comes before a missing audience', () => {
    expect(connectionStatus({ ...ready, facebook: null, termsProblem: TERMS }, now).state).toBe('terms-not-accepted');
  });

  it('re-authentication comes first: rejected or expired credentials, and none at all', () => {
    expect(connectionStatus({ ...ready, termsProblem: TERMS, authProblem: 'Facebook rejected the access token' }, now).state).toBe('needs-reauthentication');
    expect(connectionStatus({ ...ready, termsProblem: TERMS, credentialsExpireAt: new Date('2026-11-01') }, now).state).toBe('needs-reauthentication');
    expect(connectionStatus({ ...ready, termsProblem: TERMS, credentials: null }, now).state).toBe('awaiting-authentication');
  });

  it("gives the platform's problem alone as the reason, for clients that say the next step themselves", () => {
    expect(connectionStatus({ ...ready, termsProblem: TERMS }, now).reason).toBe(TERMS);
    expect(connectionStatus({ ...ready, authProblem: 'Facebook rejected the access token' }, now).reason).toBe('Facebook rejected the access token');
    expect(connectionStatus({ ...ready, credentialsExpireAt: new Date('2026-11-01') }, now).reason).toBe("the provider's access token expired");
    expect(connectionStatus(ready, now).reason).toBeUndefined();
  });
});
