import { z } from 'zod';

const audienceSeed = z.object({
  id: z.string().regex(/^\d+$/),
  name: z.string(),
  subtype: z.enum(['CUSTOM', 'WEBSITE', 'LOOKALIKE', 'ENGAGEMENT', 'APP', 'VIDEO', 'OFFLINE_CONVERSION']),
});

/** Ad accounts and audiences the emulator starts with; FACEBOOK_EMULATOR_SEED (JSON) overrides. */
export const facebookSeedSchema = z.object({
  appId: z.string().default('emulator-app-id'),
  appSecret: z.string().default('emulator-app-secret'),
  /**
   * The app setting "Require App Secret": every call with an access token must carry a valid
   * appsecret_proof, else code 100 (https://developers.facebook.com/docs/graph-api/securing-requests#appsecret_proof).
   */
  requireAppSecretProof: z.boolean().default(false),
  /** Lowest Graph API version still served; older ones answer 2635. */
  minimumVersion: z.number().int().default(25),
  /** Custom-audience calls per ad account per hour before 80003. */
  callsPerAccountPerHour: z.number().int().positive().default(1_000_000),
  /** How long a replace session may stay open (Meta: 90 minutes). */
  replaceSessionTimeoutMs: z.number().int().positive().default(90 * 60 * 1000),
  /**
   * How long after an upload the audience reads as being populated (operation_status 441) before it
   * is normal again: Meta takes up to 24 hours to update the counts; the emulator a few seconds.
   */
  sizeProcessingMs: z.number().int().min(0).default(5000),
  shortTokenTtlSeconds: z.number().int().positive().default(2 * 3600),
  longTokenTtlSeconds: z.number().int().positive().default(60 * 24 * 3600),
  adAccounts: z
    .array(
      z.object({
        accountId: z.string().regex(/^\d+$/),
        name: z.string(),
        termsAccepted: z.boolean().default(true),
        audiences: z.array(audienceSeed).default([]),
      }),
    )
    .default([
      {
        accountId: '1001',
        name: 'Emulated Ads Account',
        termsAccepted: true,
        audiences: [
          { id: '23850000000000001', name: 'Existing customer list', subtype: 'CUSTOM' },
          { id: '23850000000000002', name: 'Website visitors (30 days)', subtype: 'WEBSITE' },
          { id: '23850000000000003', name: 'Lookalike (US, 1%)', subtype: 'LOOKALIKE' },
        ],
      },
      { accountId: '1002', name: 'Account without custom audience terms', termsAccepted: false, audiences: [{ id: '23850000000000004', name: 'Terms pending list', subtype: 'CUSTOM' }] },
    ]),
});
export type FacebookSeed = z.infer<typeof facebookSeedSchema>;
