import { createServer, listen, readRequest, send } from '../../tools/emulators/http-kit';

export interface RegistryStandIn {
  url: string;
  internalToken: string;
  /** `forceRefresh` of every access-token request, in order. */
  tokenRequests: boolean[];
  authFailures: { connectionId: string; problem: string }[];
  fullSyncs: string[];
  close(): Promise<void>;
}

/**
 * The registry's internal API as the sinks call it (access tokens, auth failures, full-sync
 * requests) for connections signed in at the Microsoft emulator, so a sink test runs the real
 * RegistryClient without a database or Kafka. Like the registry, it refreshes the token at the
 * emulator only when asked to force it, storing the rotated refresh token.
 */
export async function startRegistryStandIn(emulatorUrl: string): Promise<RegistryStandIn> {
  const oauth = `${emulatorUrl}/common/oauth2/v2.0`;
  const client = { client_id: 'emulator-client-id', client_secret: 'emulator-client-secret' };
  const internalToken = 'registry-stand-in-internal-token-of-the-sink';
  const tokens = new Map<string, { access_token: string; refresh_token: string; expires_in: number }>();

  async function grant(form: Record<string, string>) {
    const response = await fetch(`${oauth}/token`, { method: 'POST', body: new URLSearchParams({ ...client, ...form }) });
    if (!response.ok) throw new Error(`the emulator refused the ${form.grant_type} grant: ${response.status}`);
    return (await response.json()) as { access_token: string; refresh_token: string; expires_in: number };
  }

  async function signIn() {
    const redirect = 'http://127.0.0.1:1/callback';
    const authorize = await fetch(`${oauth}/authorize?client_id=${client.client_id}&response_type=code&redirect_uri=${encodeURIComponent(redirect)}`, { redirect: 'manual' });
    const code = new URL(authorize.headers.get('location')!).searchParams.get('code')!;
    return grant({ grant_type: 'authorization_code', code, redirect_uri: redirect });
  }

  const standIn: Omit<RegistryStandIn, 'url' | 'close'> = { internalToken, tokenRequests: [], authFailures: [], fullSyncs: [] };
  const server = createServer((incoming, res) => {
    void (async () => {
      const req = await readRequest(incoming);
      if (req.headers.authorization !== `Bearer ${internalToken}`) return send(res, { status: 401, body: { error: 'unauthorized' } });
      const [, kind, id, action] = req.path.split('/').slice(1);
      if (kind === 'connections' && action === 'access-token') {
        const force = req.body.forceRefresh === true;
        standIn.tokenRequests.push(force);
        const held = tokens.get(id);
        const current = held && force ? await grant({ grant_type: 'refresh_token', refresh_token: held.refresh_token }) : (held ?? (await signIn()));
        tokens.set(id, current);
        return send(res, { status: 200, body: { accessToken: current.access_token, expiresAt: new Date(Date.now() + current.expires_in * 1000).toISOString() } });
      }
      if (kind === 'connections' && action === 'auth-failure') {
        standIn.authFailures.push({ connectionId: id, problem: String(req.body.problem) });
        return send(res, { status: 200, body: {} });
      }
      if (kind === 'exports' && action === 'runs') {
        standIn.fullSyncs.push(id);
        return send(res, { status: 201, body: { runId: `run-${standIn.fullSyncs.length}` } });
      }
      send(res, { status: 404, body: { error: `no route ${req.method} ${req.path}` } });
    })().catch((error: Error) => send(res, { status: 500, body: { error: error.message } }));
  });
  const port = await listen(server, 0, '127.0.0.1');
  return {
    ...standIn,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
