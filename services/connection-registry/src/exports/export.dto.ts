import { z } from 'zod';
import { facebookKeySchema, PipelineStage } from '@audience-sync/contracts';
import { ExportDoc } from '../models';
import { audienceChoice } from '../connections/connection.dto';
import { AppliedVersions } from './applied-configs';

const attribute = z.string().trim().min(1).max(200);
const segment = z.object({ id: z.string().trim().min(1).max(200), name: z.string().trim().min(1).max(128) });

export const facebookExportBody = z.object({
  /** Email, Name and address, or Phone, as the product calls them. */
  keyIdentifier: z.enum(['email', 'name-and-address', 'phone']),
  /** Facebook key → the profile attribute that holds it. DOB is split into DOBY/DOBM/DOBD. */
  mappings: z.partialRecord(facebookKeySchema, attribute),
  /** The audience this export feeds; the connection's chosen audience when left out. */
  audience: audienceChoice.optional(),
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

/**
 * One export as the API shows it, with the audiences it feeds: Facebook one customer list (and the
 * other exports feeding it, whose members it also holds), Microsoft one list per segment, named
 * after the segment. `problem` says what to do while its changes wait. `pipeline` says whether the
 * pipeline follows the saved configuration yet.
 */
export function exportView(e: ExportDoc, sharedWith: string[] = [], applied: AppliedVersions = {}) {
  const audiences = e.facebook
    ? [{ adAccountId: e.facebook.audience.adAccountId, audienceId: e.facebook.audience.audienceId, name: e.facebook.audience.audienceName, alsoFedBy: sharedWith }]
    : e.segments.map((s) => ({ customerId: e.microsoft!.customerId, accountId: e.microsoft!.accountId, name: s.name, segmentId: s.id }));
  return {
    id: e._id,
    displayName: e.displayName,
    connectionId: e.connectionId,
    segments: e.segments,
    facebook: e.facebook ?? undefined,
    microsoft: e.microsoft ?? undefined,
    audiences,
    state: e.problem ? ('needs-attention' as const) : ('active' as const),
    problem: e.problem ?? undefined,
    version: e.version,
    pipeline: pipelineView(e, applied),
    createdBy: e.createdBy,
    createdAt: e.createdAt,
    updatedAt: e.updatedAt,
  };
}

/**
 * Saving changes the export at once, the pipeline a moment later: `active` once the segment
 * streamer and the export's sink have both applied the saved version (`appliedVersion`, null
 * before they applied any), `saved` until then. The stages report what they applied, so while
 * either is down a change stays `saved`.
 */
function pipelineView(e: ExportDoc, applied: AppliedVersions) {
  const stages: PipelineStage[] = ['identifier-hasher', 'segment-streamer', e.facebook ? 'sink-facebook' : 'sink-microsoft-ads'];
  const appliedVersion = Math.min(...stages.map((stage) => applied[stage] ?? 0));
  return { savedVersion: e.version, appliedVersion: appliedVersion || null, state: appliedVersion >= e.version ? ('active' as const) : ('saved' as const) };
}
