import { z } from 'zod';
import { ConnectionDoc } from '../models';
import { connectionStatus } from './connection-status';

const consent = z.object(
  { agreed: z.literal(true, { message: 'select "I agree" to confirm data privacy and compliance: data leaves this system for the ad platform' }) },
  { message: 'consent is required: send { "agreed": true } to confirm data privacy and compliance' },
);

export const createConnectionBody = z.object({
  displayName: z.string().trim().min(1).max(200),
  destination: z.enum(['facebook-ads', 'microsoft-advertising']),
  usableBy: z.enum(['administrators', 'administrators-and-contributors']).default('administrators'),
  consent,
});

export const updateConnectionBody = z
  .object({
    displayName: z.string().trim().min(1).max(200).optional(),
    usableBy: z.enum(['administrators', 'administrators-and-contributors']).optional(),
  })
  .strict();

const adAccountId = z.string().regex(/^(act_)?\d+$/, 'an ad account id such as act_1001');

/** An existing customer-list audience, or a new one to create in the ad account. */
export const audienceChoice = z.union([
  z.object({ adAccountId, audienceId: z.string().regex(/^\d+$/) }).strict(),
  z.object({ adAccountId, create: z.object({ name: z.string().trim().min(1).max(200), description: z.string().max(1000).default('') }) }).strict(),
]);
export type AudienceChoice = z.infer<typeof audienceChoice>;

/**
 * Which exports follow a new connection audience: all that fed the old one, none, or the listed
 * ones. Required as soon as an export feeds the connection's audience, so moving is never a surprise.
 */
const moveExports = z.union([z.enum(['all', 'none']), z.array(z.string().min(1)).max(100)]).optional();

export const chooseAudienceBody = z.union([
  z.object({ adAccountId, audienceId: z.string().regex(/^\d+$/), moveExports }).strict(),
  z.object({ adAccountId, create: z.object({ name: z.string().trim().min(1).max(200), description: z.string().max(1000).default('') }), moveExports }).strict(),
]);

/** The one way a connection leaves the API: no credentials, ever. */
export function connectionView(c: ConnectionDoc) {
  const status = connectionStatus(c);
  return {
    id: c._id,
    displayName: c.displayName,
    destination: c.destination,
    usableBy: c.usableBy,
    consent: { agreed: true, agreedBy: c.consent.agreedBy, agreedAt: c.consent.agreedAt },
    status: status.state,
    statusMessage: status.message,
    authenticated: Boolean(c.credentials),
    authenticatedUntil: c.credentialsExpireAt ?? undefined,
    facebook: c.facebook ?? undefined,
    createdBy: c.createdBy,
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
  };
}
