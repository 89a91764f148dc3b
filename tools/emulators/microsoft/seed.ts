import { z } from 'zod';

/** Customers, accounts and OAuth client the emulator starts with; MICROSOFT_EMULATOR_SEED (JSON) overrides. */
export const microsoftSeedSchema = z.object({
  clientId: z.string().default('emulator-client-id'),
  clientSecret: z.string().default('emulator-client-secret'),
  developerTokens: z.array(z.string()).default(['BBD37VB98', 'emulator-developer-token']),
  accessTokenTtlSeconds: z.number().int().positive().default(3600),
  /** Calls per customer per sliding minute before 117 CallRateExceeded. */
  callsPerCustomerPerMinute: z.number().int().positive().default(100_000),
  /** How long after a change a list's SearchSize/AudienceNetworkSize stay null (Microsoft: up to 48 hours, notes). */
  sizeDelayMs: z.number().int().min(0).default(5000),
  customers: z
    .array(
      z.object({
        customerId: z.string().regex(/^\d+$/),
        accounts: z.array(z.object({ accountId: z.string().regex(/^\d+$/), termsAccepted: z.boolean().default(true) })),
      }),
    )
    .default([
      {
        customerId: '1000001',
        accounts: [
          { accountId: '2000001', termsAccepted: true },
          { accountId: '2000002', termsAccepted: false },
        ],
      },
    ]),
});
export type MicrosoftSeed = z.infer<typeof microsoftSeedSchema>;
