import { z } from 'zod';
import { audienceSizeSchema, destinationSchema, dryRunResultSchema, pipelineStageSchema, runStateSchema, stageCountsSchema } from '@audience-sync/contracts';
import { auditActions, auditObjectTypes } from '../audit/audit-entry';
import { webhookEvents } from '../webhooks/webhook-events';

/*
 * What the API answers, as the OpenAPI description shows it: one schema per shape the views
 * (connectionView, exportView, runView, …) build. The examples in ./examples.ts are checked against
 * these by the lint (test/integration/openapi.test.ts), which catches a view and its schema parting.
 */

const at = z.iso.datetime({ offset: true });
const id = z.string().min(1);

const facebookAudience = z.object({ adAccountId: z.string(), audienceId: z.string(), audienceName: z.string().optional() });

const connection = z.object({
  id,
  displayName: z.string(),
  destination: destinationSchema,
  usableBy: z.enum(['administrators', 'administrators-and-contributors']),
  consent: z.object({ agreed: z.literal(true), agreedBy: z.string(), agreedAt: at }),
  status: z.enum(['awaiting-authentication', 'awaiting-audience', 'ready', 'needs-reauthentication', 'terms-not-accepted']).describe('what the connection needs next; `statusMessage` says how'),
  statusMessage: z.string(),
  statusReason: z.string().optional().describe("needs-reauthentication and terms-not-accepted: the platform's problem alone, without the API steps statusMessage adds"),
  authenticated: z.boolean(),
  authenticatedUntil: at.optional().describe("when the provider's access token expires, where it does"),
  facebook: facebookAudience.optional().describe("Facebook: the connection's default audience"),
  createdBy: z.string(),
  createdAt: at,
  updatedAt: at,
});

const audienceChoice = connection.extend({
  exportsMoved: z.array(z.object({ exportId: id, runId: id })).describe('exports now feeding the new audience, each with the full sync that brings it in line'),
  exportsStaying: z.array(id).describe('exports that keep feeding the audience they fed'),
});

const termsAccepted = connection.extend({
  startedRuns: z.array(z.object({ exportId: id, runId: id })).describe('the full sync started for each of the connection’s exports that is not paused'),
});

const exportView = z.object({
  id,
  displayName: z.string(),
  connectionId: id,
  segments: z.array(z.object({ id: z.string(), name: z.string() })),
  facebook: z.looseObject({}).optional().describe('Facebook exports: the settings as created or changed, with the audience it feeds'),
  microsoft: z.looseObject({}).optional().describe('Microsoft Advertising exports: the settings as created or changed'),
  audiences: z.array(z.looseObject({})).describe('the audiences the export feeds at the platform'),
  state: z.enum(['active', 'needs-attention']),
  problem: z.string().optional().describe("what to do while the export's changes wait"),
  paused: z.boolean().describe('nothing is sent for the export and it does not run until resumed (PATCH with "paused": false, which starts a full sync)'),
  pausedBy: z.string().optional().describe('who paused it, while paused'),
  pausedAt: at.optional().describe('when it was paused, while paused'),
  version: z.number().int().min(1).describe('the ETag; send it in If-Match with a change'),
  pipeline: z.object({
    savedVersion: z.number().int().min(1),
    appliedVersion: z.number().int().min(1).nullable(),
    state: z.enum(['saved', 'active']),
  }),
  createdBy: z.string(),
  createdAt: at,
  updatedAt: at,
});

const changedExport = exportView.extend({ startedRun: id.optional().describe('the full sync the change started, if it started one') });

const stageStatus = z.object({ state: runStateSchema, counts: stageCountsSchema, error: z.string().optional(), audience: audienceSizeSchema.optional(), dryRun: dryRunResultSchema.optional(), at });

const run = z.object({
  id,
  exportId: id,
  trigger: z.enum(['on-demand', 'refresh', 'erase', 'dry-run']),
  requestedBy: z.string().optional(),
  state: runStateSchema,
  counts: stageCountsSchema,
  dryRun: dryRunResultSchema.nullable().optional().describe('dry runs only: what a full sync would do; null until the streamer worked it out'),
  error: z.string().optional(),
  audience: audienceSizeSchema.optional().describe("the audience's size at the platform, as the sink read it after the run"),
  stages: z.partialRecord(pipelineStageSchema, stageStatus).describe('what each pipeline stage reported'),
  createdAt: at,
  updatedAt: at,
});

const adAccounts = z.object({ items: z.array(z.object({ id: z.string().describe('act_<accountId>'), accountId: z.string(), name: z.string() })) });
const audienceListings = z.object({
  items: z.array(z.object({ id: z.string(), name: z.string(), subtype: z.string(), selectable: z.boolean(), reason: z.string().optional() })),
});

const signInLink = z.object({ url: z.url(), expiresAt: at });

const consoleSession = z.object({
  principal: z.object({ name: z.string().describe("the API key's name"), role: z.enum(['administrator', 'contributor']) }),
  csrfToken: z.string().describe('send as the X-CSRF-Token header with every change (POST, PUT, PATCH, DELETE) made with the session cookie'),
  expiresAt: at,
});

const erasure = z.object({ erasureId: id, profileId: id, requestedAt: at, runIdPrefix: z.string().describe('the runs of this erasure, one per export that held the profile, start with this') });

const auditEntry = z.object({
  id,
  at,
  actor: z.object({ name: z.string().describe("the API key's name"), role: z.enum(['administrator', 'contributor']) }),
  action: z.enum(auditActions),
  objectType: z.enum(auditObjectTypes),
  objectId: z.string(),
  changedFields: z.array(z.string()).optional().describe('names only, never values'),
  runId: z.string().optional(),
});

const webhook = z.object({
  id,
  url: z.string(),
  events: z.array(z.enum(webhookEvents)),
  exportId: z.string().nullable().describe('null: every export of the workspace'),
  invalidShareThreshold: z.number(),
  createdBy: z.string().describe("the API key's name"),
  createdAt: at,
});
const createdWebhook = webhook.extend({ secret: z.string().describe('shown only in this answer: store it to verify signatures') });
const webhookDelivery = z.object({
  id: z.string().describe('sent as X-AudienceSync-Delivery'),
  event: z.enum(webhookEvents),
  status: z.enum(['pending', 'sending', 'delivered', 'failed']),
  attempts: z.number().int(),
  lastStatusCode: z.number().int().nullable().optional(),
  lastError: z.string().nullable().optional(),
  nextAttemptAt: at.nullable(),
  deliveredAt: at.nullable().optional(),
  createdAt: at,
});

const apiError = z.object({
  error: z.object({
    code: z.string().describe('stable, for programs: e.g. validation_failed, not_found, conflict, version_mismatch, rate_limited'),
    message: z.string().describe('for people: what went wrong and what to do'),
    details: z.array(z.object({ path: z.string(), message: z.string() })).optional().describe('validation_failed: each field and what to fix'),
  }),
});

/** A page of a list; `nextCursor` goes in `cursor` for the next one and is absent on the last. */
const pageOf = (item: z.ZodType) => z.object({ items: z.array(item), nextCursor: z.string().optional() });

/** The components the description declares, by the name a generated client gives their types. */
export const viewSchemas = {
  ApiError: apiError,
  Connection: connection,
  ConnectionPage: pageOf(connection),
  ConnectionAudienceChoice: audienceChoice,
  ConnectionTermsAccepted: termsAccepted,
  FacebookAdAccounts: adAccounts,
  FacebookAudiences: audienceListings,
  SignInLink: signInLink,
  ConsoleSession: consoleSession,
  Export: exportView,
  ChangedExport: changedExport,
  ExportPage: pageOf(exportView),
  Run: run,
  RunPage: pageOf(run),
  Erasure: erasure,
  AuditEntry: auditEntry,
  AuditPage: pageOf(auditEntry),
  Webhook: webhook,
  CreatedWebhook: createdWebhook,
  WebhookPage: pageOf(webhook),
  WebhookDeliveryPage: pageOf(webhookDelivery),
} satisfies Record<string, z.ZodType>;

export type ViewName = keyof typeof viewSchemas;
