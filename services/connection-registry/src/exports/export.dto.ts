import { z } from 'zod';
import { facebookKeySchema } from '@audience-sync/contracts';
import { ExportDoc } from '../models';

const attribute = z.string().trim().min(1).max(200);
const segment = z.object({ id: z.string().trim().min(1).max(200), name: z.string().trim().min(1).max(128) });

export const facebookExportBody = z.object({
  /** Email, Name and address, or Phone, as the product calls them. */
  keyIdentifier: z.enum(['email', 'name-and-address', 'phone']),
  /** Facebook key → the profile attribute that holds it. DOB is split into DOBY/DOBM/DOBD. */
  mappings: z.partialRecord(facebookKeySchema, attribute),
});

export const microsoftExportBody = z.object({
  customerId: z.string().regex(/^\d{1,19}$/, 'the customer id is the numeric cid from the Microsoft Advertising URL'),
  accountId: z.string().regex(/^\d{1,19}$/, 'the account id is the numeric aid from the Microsoft Advertising URL'),
  emailAttribute: attribute,
});

export const createExportBody = z
  .object({
    displayName: z.string().trim().min(1).max(200),
    connectionId: z.string().min(1),
    segments: z.array(segment).min(1, 'select at least one segment').max(100),
    facebook: facebookExportBody.optional(),
    microsoft: microsoftExportBody.optional(),
  })
  .strict();

export const updateExportBody = createExportBody.omit({ connectionId: true }).partial().strict();

/** Keys each key identifier needs mapped. */
export const REQUIRED_KEYS = {
  email: ['EMAIL'],
  phone: ['PHONE'],
  'name-and-address': ['FN', 'LN', 'ZIP'],
} as const;

export function exportView(e: ExportDoc) {
  return {
    id: e._id,
    displayName: e.displayName,
    connectionId: e.connectionId,
    segments: e.segments,
    facebook: e.facebook ?? undefined,
    microsoft: e.microsoft ?? undefined,
    version: e.version,
    createdBy: e.createdBy,
    createdAt: e.createdAt,
    updatedAt: e.updatedAt,
  };
}
