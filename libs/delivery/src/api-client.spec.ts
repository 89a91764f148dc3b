import { ApiClient, ApiError, ApiPlatform, Send } from './api-client';
import { classify, ErrorAction, ErrorCode, ErrorTable } from './error-table';
import { ReauthenticationRequired } from './registry-client';
import { AuthenticationLost, PermanentFailure, TermsNotAccepted } from './sink-runner';

type Action = ErrorAction<'own'>;

/** A made-up platform's table, in the shapes destinations write theirs. */
const table: ErrorTable<Action> = [
  { code: 401, action: 'refresh-token', message: 'the platform refused the token after a refresh' },
  { code: 10, subcode: 2, action: 're-authenticate', message: 'the platform revoked the token' },
  { code: 429, action: 'throttle' },
  { status: 'server-error', action: 'retry' },
  { code: 7, action: 'retry' },
  { code: 9, action: 'audience-gone' },
  { subcode: 99, action: 'own' },
  { code: 3, action: 'fail', message: 'accept the terms, then run the export again' },
  { code: 4, action: 'terms', message: 'the terms are not accepted; accept them in the platform' },
];

/** Answers `{ error: { code, subcode } }` with the status given; a `wait` header says how long a rate limit lasts. */
const platform: ApiPlatform<Action> = {
  name: 'Platform',
  failure: (response, body) => {
    const { error } = body as { error?: ErrorCode };
    if (response.ok && !error) return undefined;
    const errors = [error ?? {}];
    return new ApiError(`answered ${error?.code}`, errors, classify(table, errors, response.status), `error ${error?.code}`, 'ref-1');
  },
  throttleWait: (response) => Number(response.headers.get('wait')),
};

const answer = (status: number, error?: ErrorCode, wait?: number) => () => new Response(JSON.stringify(error ? { error } : { value: 'ok' }), { status, headers: wait ? { wait: String(wait) } : {} });

describe('ApiClient: one call loop, driven by an error table', () => {
  let tokens: boolean[];
  let authFailures: { connectionId: string; problem: string }[];
  let waits: number[];
  let heartbeats: number;
  let sent: number;
  let reauthenticate: boolean;
  const signal = new AbortController().signal;
  const heartbeat = async () => void (heartbeats += 1);

  const registry = {
    accessToken: async (_connectionId: string, forceRefresh = false) => {
      if (reauthenticate) throw new ReauthenticationRequired('connection c needs re-authentication');
      tokens.push(forceRefresh);
      return forceRefresh ? 'fresh-token' : 'token';
    },
    reportAuthFailure: async (connectionId: string, problem: string) => void authFailures.push({ connectionId, problem }),
  };
  const client = (maxAttempts = 5) => new ApiClient(platform, registry, { maxAttempts, backoff: { baseMs: 100, maxMs: 1000 } }, async (ms) => void waits.push(ms));
  /** Sends the scripted answers in order, the last one for every call after; a loop that never ends fails as a network error. */
  const script =
    (...answers: (() => Response)[]): Send =>
    async () => {
      if (sent > 20) throw new Error('sent too often');
      return answers[Math.min(sent++, answers.length - 1)]();
    };

  beforeEach(() => {
    [tokens, authFailures, waits, heartbeats, sent, reauthenticate] = [[], [], [], 0, 0, false];
  });

  it('retries a transient answer after a backoff with a heartbeat, then returns the success', async () => {
    const result = await client().call('c', script(answer(400, { code: 7 }), answer(503, { code: 1 }), answer(200)), signal, heartbeat);
    expect(result).toEqual({ value: 'ok' });
    expect(sent).toBe(3);
    expect(waits).toHaveLength(2);
    expect(waits.every((ms) => ms >= 0 && ms <= 1000)).toBe(true);
    expect(heartbeats).toBe(2);
    expect(tokens).toEqual([false, false, false]);
  });

  it('retries a network error too, and gives up after maxAttempts with a plain error, so the batch is fetched again', async () => {
    const failing: Send = async () => {
      sent += 1;
      throw new Error('connection reset');
    };
    await expect(client(3).call('c', failing, signal, heartbeat)).rejects.toThrow('Platform kept failing (network: connection reset) after 3 attempts; the batch will be retried');
    const attempt = client(2).call('c', script(answer(500, { code: 7 })), signal, heartbeat);
    await expect(attempt).rejects.toThrow(/kept failing \(error 7\) after 2 attempts/);
    await expect(attempt).rejects.not.toBeInstanceOf(ApiError);
    expect(sent).toBe(5);
  });

  it('waits out a rate limit as long as the platform says, with a heartbeat, not counted against maxAttempts', async () => {
    const result = await client(1).call('c', script(answer(400, { code: 429 }, 1234), answer(400, { code: 429 }, 5678), answer(200)), signal, heartbeat);
    expect(result).toEqual({ value: 'ok' });
    expect(waits).toEqual([1234, 5678]);
    expect(heartbeats).toBe(2);
  });

  it('refresh-token: fetches a fresh token once and sends again; later attempts use it without forcing', async () => {
    const result = await client().call('c', script(answer(401, { code: 401 }), answer(500, { code: 7 }), answer(200)), signal, heartbeat);
    expect(result).toEqual({ value: 'ok' });
    expect(tokens).toEqual([false, true, false]);
    expect(authFailures).toEqual([]);
  });

  it('refresh-token refused again: reports the problem to the registry and stops with AuthenticationLost', async () => {
    const attempt = client().call('c', script(answer(401, { code: 401 })), signal, heartbeat);
    await expect(attempt).rejects.toBeInstanceOf(AuthenticationLost);
    await expect(attempt).rejects.toThrow('connection c: Platform rejected the credentials (ref-1)');
    expect(tokens).toEqual([false, true]);
    expect(sent).toBe(2);
    expect(authFailures).toEqual([{ connectionId: 'c', problem: 'the platform refused the token after a refresh' }]);
  });

  it('re-authenticate (code and subcode): reports at once, without another try; another subcode of the code is not matched', async () => {
    await expect(client().call('c', script(answer(400, { code: 10, subcode: 2 })), signal, heartbeat)).rejects.toBeInstanceOf(AuthenticationLost);
    expect(sent).toBe(1);
    expect(authFailures).toEqual([{ connectionId: 'c', problem: 'the platform revoked the token' }]);
    await expect(client().call('c', script(answer(400, { code: 10, subcode: 3 })), signal, heartbeat)).rejects.toMatchObject({ action: 'fail', handling: { action: 'fail' } });
  });

  it('a connection the registry says needs re-authentication sends nothing', async () => {
    reauthenticate = true;
    await expect(client().call('c', script(answer(200)), signal, heartbeat)).rejects.toBeInstanceOf(AuthenticationLost);
    expect(sent).toBe(0);
  });

  it('hands what it does not do itself to the caller as an ApiError with the rule: fail (with its message), audience-gone, the destination’s own, and anything unlisted', async () => {
    const handed = (status: number, error: ErrorCode) => client().call('c', script(answer(status, error)), signal, heartbeat).catch((e: unknown) => e as ApiError);
    expect(await handed(400, { code: 3 })).toMatchObject({ action: 'fail', handling: { message: 'accept the terms, then run the export again' } });
    expect(await handed(404, { code: 9 })).toMatchObject({ action: 'audience-gone', message: 'answered 9' });
    expect(await handed(400, { code: 55, subcode: 99 })).toMatchObject({ action: 'own' });
    expect(await handed(400, { code: 12345 })).toMatchObject({ action: 'fail', handling: { action: 'fail' } });
    expect(sent).toBe(4);
    expect(waits).toEqual([]);
  });

  it('terms: stops at once with TermsNotAccepted (a PermanentFailure) carrying the rule’s message; the loop reports nothing itself', async () => {
    const thrown = await client().call('c', script(answer(400, { code: 4 })), signal, heartbeat).catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(TermsNotAccepted);
    expect(thrown).toBeInstanceOf(PermanentFailure);
    expect(thrown).toMatchObject({ message: 'the terms are not accepted; accept them in the platform' });
    expect([sent, waits, authFailures]).toEqual([1, [], []]);
  });

  it('the first rule an answer matches wins: a 5xx retries before the rules the caller interprets', async () => {
    const result = await client().call('c', script(answer(502, { code: 9 }), answer(200)), signal, heartbeat);
    expect(result).toEqual({ value: 'ok' });
    expect(classify(table, [{ code: 9 }, { code: 7 }], 400)).toEqual({ code: 7, action: 'retry' });
    expect(classify(table, [{ code: 9 }], 400)).toEqual({ code: 9, action: 'audience-gone' });
  });
});
