/*
 * One example per answer, as a client sees it. The lint validates each against its schema
 * (Redocly's no-invalid-media-type-examples, Spectral's oas3-valid-media-example).
 */

const created = '2025-05-01T09:00:00.000Z';
const changed = '2025-05-01T09:30:00.000Z';

const error = (code: string, message: string, details?: { path: string; message: string }[]) => ({ error: { code, message, ...(details ? { details } : {}) } });

export const errorExamples = {
  400: error('validation_failed', 'the request body is invalid: displayName', [{ path: 'displayName', message: 'Too small: expected string to have >=1 characters' }]),
  401: error('unauthenticated', 'send an API key as "Authorization: Bearer <key>"'),
  403: error('forbidden', 'this needs the administrator role'),
  404: error('not_found', 'export 6f1c2b0e-4d1a-4a57-9a43-1f0d6c1e2a10 does not exist'),
  409: error('conflict', 'export 6f1c2b0e-4d1a-4a57-9a43-1f0d6c1e2a10 cannot run: connection c-1 is not ready (authenticate with the provider: POST /connections/c-1/authorize)'),
  412: error('version_mismatch', 'export 6f1c2b0e is at version 4, not the version 3 your If-Match names; read it again (GET /exports/6f1c2b0e), apply your change to it and send its ETag in If-Match'),
  413: error('payload_too_large', 'the request body is over 100 kB (counted after decompression); send a smaller one'),
  422: error('idempotency_key_reused', 'this Idempotency-Key was used in the last 24 hours for another request (another body or path); send a new Idempotency-Key for a new request'),
  429: error('rate_limited', 'too many requests: 1200 a minute are allowed for each API key (and each address without one); wait the seconds the Retry-After header says, then retry'),
  502: error('provider_error', 'Facebook answered 500 to the audience listing; try again in a few minutes'),
};

export const connectionExample = {
  id: 'c-1',
  displayName: 'Facebook, EU shop',
  destination: 'facebook-ads',
  usableBy: 'administrators-and-contributors',
  consent: { agreed: true, agreedBy: 'alice', agreedAt: created },
  status: 'ready',
  statusMessage: 'ready for exports',
  authenticated: true,
  authenticatedUntil: '2025-06-30T09:00:00.000Z',
  facebook: { adAccountId: 'act_1001', audienceId: '23850000000000001', audienceName: 'Newsletter subscribers' },
  createdBy: 'alice',
  createdAt: created,
  updatedAt: changed,
};

export const exportExample = {
  id: '6f1c2b0e-4d1a-4a57-9a43-1f0d6c1e2a10',
  displayName: 'Newsletter to Facebook',
  connectionId: 'c-1',
  segments: [{ id: 'seg-newsletter', name: 'Newsletter' }],
  facebook: { keyIdentifier: 'email', mappings: { EMAIL: 'email' }, audience: { adAccountId: 'act_1001', audienceId: '23850000000000001', audienceName: 'Newsletter subscribers' } },
  audiences: [{ adAccountId: 'act_1001', audienceId: '23850000000000001', name: 'Newsletter subscribers', alsoFedBy: [] }],
  state: 'active',
  paused: false,
  version: 3,
  pipeline: { savedVersion: 3, appliedVersion: 3, state: 'active' },
  createdBy: 'alice',
  createdAt: created,
  updatedAt: changed,
};

export const runExample = {
  id: 'run-8c2d',
  exportId: exportExample.id,
  trigger: 'on-demand',
  requestedBy: 'alice',
  state: 'succeeded',
  counts: { sent: 10000, removed: 120, invalid: 3, failed: 0, invalidByReason: { 'no-mapped-identifier': 3 } },
  audience: { sizeLowerBound: 8100, sizeUpperBound: 8300, status: 'ready', checkedAt: '2025-05-01T09:41:00.000Z' },
  stages: {
    'segment-streamer': { state: 'succeeded', counts: { sent: 10003, removed: 120, invalid: 3, failed: 0, invalidByReason: { 'no-mapped-identifier': 3 } }, at: '2025-05-01T09:32:00.000Z' },
    'sink-facebook': {
      state: 'succeeded',
      counts: { sent: 10000, removed: 120, invalid: 0, failed: 0 },
      audience: { sizeLowerBound: 8100, sizeUpperBound: 8300, status: 'ready', checkedAt: '2025-05-01T09:41:00.000Z' },
      at: '2025-05-01T09:40:00.000Z',
    },
  },
  createdAt: '2025-05-01T09:31:00.000Z',
  updatedAt: '2025-05-01T09:41:00.000Z',
};

export const dryRunExample = {
  id: 'run-9a1f',
  exportId: exportExample.id,
  trigger: 'dry-run',
  requestedBy: 'alice',
  state: 'pending',
  counts: { sent: 0, removed: 0, invalid: 0, failed: 0 },
  dryRun: null,
  stages: {},
  createdAt: '2025-05-01T09:50:00.000Z',
  updatedAt: '2025-05-01T09:50:00.000Z',
};

export const auditEntryExample = {
  id: 'a-71',
  at: changed,
  actor: { name: 'alice', role: 'administrator' },
  action: 'update',
  objectType: 'export',
  objectId: exportExample.id,
  changedFields: ['displayName', 'segments'],
};

export const webhookExample = {
  id: '5f0c2a8e-7d41-4b1e-9a63-2c8d4e6f1a90',
  url: 'https://alerts.example.com/audience-sync',
  events: ['run.failed', 'connection.needs-reauthentication'],
  exportId: null,
  invalidShareThreshold: 0.2,
  createdBy: 'alice',
  createdAt: created,
};

export const examples = {
  connection: connectionExample,
  connectionPage: { items: [connectionExample], nextCursor: '20' },
  audienceChoice: { ...connectionExample, exportsMoved: [{ exportId: exportExample.id, runId: 'run-8c2d' }], exportsStaying: [] },
  termsAccepted: { ...connectionExample, startedRuns: [{ exportId: exportExample.id, runId: 'run-8c2d' }] },
  adAccounts: { items: [{ id: 'act_1001', accountId: '1001', name: 'EU shop' }] },
  audiences: {
    items: [
      { id: '23850000000000001', name: 'Newsletter subscribers', subtype: 'CUSTOM', selectable: true },
      { id: '23850000000000002', name: 'Site visitors', subtype: 'WEBSITE', selectable: false, reason: 'only customer-list audiences can be fed' },
    ],
  },
  consoleSession: { principal: { name: 'alice', role: 'administrator' }, csrfToken: 'q3J0Yk1xV2dQbEx2T2tZc1N4Z0h6RjlNcUJ2ZWxhRGM', expiresAt: '2025-05-01T17:00:00.000Z' },
  signInLink: { url: 'https://registry.example.com/oauth/start?ticket=5Hk2vV6yC1oOe9X9q0s8Qy2p1bLwQzWc3a7dHfJm4nR', expiresAt: '2025-05-01T09:05:00.000Z' },
  export: exportExample,
  changedExport: { ...exportExample, version: 4, pipeline: { savedVersion: 4, appliedVersion: 3, state: 'saved' }, startedRun: 'run-8c2d' },
  /** PATCH /exports/{id} request bodies: a pause, and the resume that starts a full sync. */
  exportChanges: {
    pause: { summary: 'Pause: nothing is sent for the export and runs are refused (409) until it is resumed', value: { paused: true } },
    resume: { summary: 'Resume: answers the full sync it started as startedRun', value: { paused: false } },
  },
  exportPage: { items: [exportExample] },
  run: runExample,
  dryRun: dryRunExample,
  runPage: { items: [runExample], nextCursor: '20' },
  erasure: { erasureId: '0b8e7c1a-2f43-4a8e-9d51-6c1f0e2b3a47', profileId: 'profile-42', requestedAt: created, runIdPrefix: 'erase-0b8e7c1a-2f43-4a8e-9d51-6c1f0e2b3a47-' },
  auditPage: { items: [auditEntryExample], nextCursor: '20' },
  createdWebhook: { ...webhookExample, secret: 'whsec_3q2+7w0x9LkV8pZr1mN4bT6yH5cD2fG0' },
  webhookPage: { items: [webhookExample] },
  webhookDeliveryPage: {
    items: [{ id: 'd-1d2c3b4a', event: 'run.failed', status: 'delivered', attempts: 2, lastStatusCode: 200, lastError: null, nextAttemptAt: null, deliveredAt: changed, createdAt: changed }],
    nextCursor: '20',
  },
};
