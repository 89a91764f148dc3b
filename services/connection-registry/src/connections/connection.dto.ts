import { z } from 'zod';
import { destinationSchema } from '@audience-sync/contracts';
import { ConnectionDoc } from '../models';
import { connectionStatus } from './connection-status';

const consent = z.object(
  { agreed: z.literal(true, { message: 'select "I agree" to confirm data privacy and compliance: data leaves this system for the ad platform' }) },
  { message: 'consent is required: send { "agreed": true } to confirm data privacy and compliance' },
);

export const createConnectionBody = z.object({
  displayName: z.string().trim().min(1).max(200),
  destination: destinationSchema,
  usableBy: z.enum(['administrators', 'administrators-and-contributors']).default('administrators'),
  consent,
});

export const updateConnectionBody = z
  .object({
    displayName: z.string().trim().min(1).max(200).optional(),
    usableBy: z.enum(['administrators', 'administrators-and-contributors']).optional(),
  })
  .strict();

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
    ...(status.reason ? { statusReason: status.reason } : {}),
    authenticated: Boolean(c.credentials),
    authenticatedUntil: c.credentialsExpireAt ?? undefined,
    facebook: c.facebook ?? undefined,
    createdBy: c.createdBy,
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
  };
}
