import { createHash } from 'node:crypto';

/** Keys Meta takes unhashed (Customer File Custom Audiences, hashing rules); any other holds a SHA-256 digest. */
const UNHASHED = new Set(['EXTERN_ID', 'MADID']);

/** No normalised key can hold it: it has spaces and a colon. */
const PLACEHOLDER = 'audience-sync: no members';

/**
 * The row a replace request carries when the sync has no rows for it. Meta documents `payload.data`
 * as the users to upload and no way to replace an audience with nothing; Graph refuses a request
 * whose data is missing ("(#100) Data is missing or does not match schema",
 * facebook/facebook-ruby-business-sdk#63), and clients that must
 * close a replace session send one row no person matches (public client code,
 * libs/azure/functions/blueprints/esquire/audiences/egress/meta/activities/forceEndSession.py). So:
 * in the batch's own schema (a session keeps one schema), the first hashed key holds the digest of
 * PLACEHOLDER, the other keys are unknown (""). An
 * audience replaced by this row alone matches no one: it is empty.
 */
export function noMembersRow(schema: readonly string[]): string[] {
  const at = Math.max(0, schema.findIndex((key) => !UNHASHED.has(key)));
  return schema.map((_, i) => (i === at ? createHash('sha256').update(PLACEHOLDER).digest('hex') : ''));
}
