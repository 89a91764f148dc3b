import { z } from 'zod';

const MESSAGE = 'returnTo must be a path on this registry: starting with one "/" (not "//" or "/\\"), without control characters, at most 500 characters';

/**
 * Where the browser goes after a sign-in (the admin console's page). A path on the registry only:
 * "//host" and "/\host" are read by browsers as another site, so the redirect could not be trusted.
 */
export const returnToPath = z
  .string({ error: MESSAGE })
  .max(500, MESSAGE)
  .refine((path) => path.startsWith('/') && !/^\/[/\\]/.test(path) && !/[\u0000-\u001f\u007f-\u009f]/.test(path), MESSAGE)
  .describe('a path on this registry (e.g. the console\'s page) the browser returns to after the sign-in');

/** POST /connections/{id}/authorize's optional body. */
export const authorizeBody = z.object({ returnTo: returnToPath.optional() });
