import { createHmac } from 'node:crypto';

/**
 * The `appsecret_proof` parameter for a Graph call made with `accessToken`: hex(HMAC-SHA256, key =
 * the app secret, message = the token). An app with "Require App Secret" on refuses every call that
 * carries a token but no proof (code 100, "API calls from the server require an appsecret_proof
 * argument"); Meta recommends sending it from every server.
 * https://developers.facebook.com/docs/graph-api/securing-requests#appsecret_proof
 */
export function appSecretProof(appSecret: string, accessToken: string): string {
  return createHmac('sha256', appSecret).update(accessToken).digest('hex');
}
