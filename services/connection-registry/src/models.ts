import { Schema } from 'mongoose';
import { SealedSecret } from './crypto/credential-cipher';
import { AudienceSize, destinationSchema, DryRunResult, PipelineStage, RunState, StageCounts } from '@audience-sync/contracts';
import { allRegistryParts, ChosenAudience, DestinationId, ExportSettingsBlocks } from '@audience-sync/destinations';

export type UsableBy = 'administrators' | 'administrators-and-contributors';

export interface ConnectionDoc {
  _id: string;
  displayName: string;
  destination: DestinationId;
  usableBy: UsableBy;
  consent: { agreedBy: string; agreedAt: Date };
  /** Set by a provider answering that the credentials no longer work. */
  authProblem?: string | null;
  /** Set by a provider answering that the account has not accepted its terms (what to accept where); cleared when an admin confirms they are. */
  termsProblem?: string | null;
  /** When an admin last confirmed the terms: each report until the next confirmation is one episode (one alert). */
  termsConfirmedAt?: Date | null;
  credentials?: SealedSecret | null;
  credentialsExpireAt?: Date | null;
  /** The default audience of the connection's exports (Facebook). */
  facebook?: ChosenAudience | null;
  createdBy: string;
  createdAt: Date;
  updatedAt: Date;
}

/** An export keeps its destination's settings in that destination's block (`facebook`, `microsoft`); the others are null. */
export interface ExportDoc extends ExportSettingsBlocks {
  _id: string;
  displayName: string;
  connectionId: string;
  segments: { id: string; name: string }[];
  version: number;
  /** What an admin must do before the export can deliver again (e.g. its audience was deleted); its changes wait. */
  problem?: string | null;
  /** Who paused the export and when; null while it runs. Nothing is sent for a paused export. */
  paused?: { by: string; at: Date } | null;
  createdBy: string;
  createdAt: Date;
  updatedAt: Date;
}

/**
 * The newest configuration version of an export one pipeline stage reported it has applied. A
 * document per export and stage, as each has one writer (the stage's reports come in order on one
 * partition): updates to one document from several stages at once could lose one on FerretDB.
 */
export interface AppliedConfigDoc {
  /** `<exportId>/<stage>` */
  _id: string;
  exportId: string;
  stage: PipelineStage;
  version: number;
}

export interface StageStatus {
  state: RunState;
  counts: StageCounts;
  error?: string;
  /** A sink's read-back of the audience's size after the run. */
  audience?: AudienceSize;
  /** A dry run's result, as the streamer worked it out. */
  dryRun?: DryRunResult;
  at: Date;
}

export interface RunDoc {
  _id: string;
  exportId: string;
  trigger: 'on-demand' | 'refresh' | 'erase' | 'dry-run';
  requestedBy?: string;
  /** Only in runs recorded before stages had documents of their own (RunStageDoc). */
  stages?: Record<string, StageStatus>;
  createdAt: Date;
  updatedAt: Date;
}

/**
 * One stage's view of a run, a document per run and stage for the reason AppliedConfigDoc gives:
 * the stages report at the same moment, and FerretDB lost one of two concurrent updates to a
 * shared run document (196 of 200 in a probe).
 */
export interface RunStageDoc extends StageStatus {
  /** `<runId>/<stage>` */
  _id: string;
  runId: string;
  stage: PipelineStage;
}

/**
 * A sign-in in progress: a ticket (the link an administrator opens) or a state (the provider's round
 * trip, bound to the browser that opened the ticket). Ids are hashes of the secrets, never the secrets.
 */
export interface OAuthStateDoc {
  _id: string;
  kind: 'ticket' | 'state';
  connectionId: string;
  provider: DestinationId;
  /** Ticket and state: the administrator the sign-in link was issued to (the audit log's actor when it completes). */
  issuedTo?: string;
  /** State: where the provider sends the browser back, the PKCE verifier, the hash of the browser's nonce. */
  redirectUri?: string;
  codeVerifier?: string;
  browser?: string;
  /** Ticket and state: the registry path (the admin console) the browser returns to after the sign-in, when asked for. */
  returnTo?: string;
  expiresAt: Date;
}

/**
 * A create sent with an `Idempotency-Key`: what answered it, for a day. The `_id` (one per API key
 * name and Idempotency-Key) is the unique index that lets exactly one of concurrent requests run.
 */
export interface IdempotencyKeyDoc {
  /** SHA-256 of the API key's name and the Idempotency-Key. */
  _id: string;
  /** SHA-256 of the method, the path and the body: a key is for one request. */
  fingerprint: string;
  state: 'pending' | 'done';
  /** What the first request answered, replayed to the repeats. */
  response?: unknown;
  resourceId?: string | null;
  createdAt: Date;
  expiresAt: Date;
}

/**
 * A change of an export from one version, held while it is written. FerretDB does not apply
 * concurrent conditional updates of one document atomically (two `findOneAndUpdate`s filtering
 * on the same version both matched), but it keeps `_id` unique: inserting `<exportId>@<version>`
 * lets one writer per version through.
 */
export interface ExportChangeDoc {
  _id: string;
  createdAt: Date;
}

const sealed = new Schema<SealedSecret>({ keyId: String, iv: String, tag: String, data: String }, { _id: false });

export const connectionSchema = new Schema<ConnectionDoc>(
  {
    _id: String,
    displayName: { type: String, required: true },
    destination: { type: String, required: true, enum: destinationSchema.options },
    usableBy: { type: String, required: true },
    consent: { agreedBy: String, agreedAt: Date },
    authProblem: { type: String, default: null },
    termsProblem: { type: String, default: null },
    termsConfirmedAt: { type: Date, default: null },
    credentials: { type: sealed, default: null },
    credentialsExpireAt: { type: Date, default: null },
    facebook: { type: new Schema({ adAccountId: String, audienceId: String, audienceName: String }, { _id: false }), default: null },
    createdBy: String,
  },
  { timestamps: true, versionKey: false },
);

export const exportSchema = new Schema<ExportDoc>(
  {
    _id: String,
    displayName: { type: String, required: true },
    connectionId: { type: String, required: true, index: true },
    segments: [{ _id: false, id: String, name: String }],
    ...Object.fromEntries(allRegistryParts.map((p) => [p.settingsKey, { type: Schema.Types.Mixed, default: null }])),
    version: { type: Number, required: true },
    problem: { type: String, default: null },
    paused: { type: Schema.Types.Mixed, default: null },
    createdBy: String,
  },
  { timestamps: true, versionKey: false },
);

export const runSchema = new Schema<RunDoc>(
  {
    _id: String,
    exportId: { type: String, required: true, index: true },
    trigger: String,
    requestedBy: String,
    stages: { type: Schema.Types.Mixed },
  },
  { timestamps: true, versionKey: false },
);

export const runStageSchema = new Schema<RunStageDoc>(
  { _id: String, runId: { type: String, required: true, index: true }, stage: String, state: String, counts: { type: Schema.Types.Mixed }, error: String, audience: { type: Schema.Types.Mixed }, dryRun: { type: Schema.Types.Mixed }, at: Date },
  { versionKey: false },
);

export const appliedConfigSchema = new Schema<AppliedConfigDoc>({ _id: String, exportId: { type: String, required: true, index: true }, stage: String, version: Number }, { versionKey: false });

export const oauthStateSchema = new Schema<OAuthStateDoc>(
  { _id: String, kind: String, connectionId: String, provider: String, issuedTo: String, redirectUri: String, codeVerifier: String, browser: String, returnTo: String, expiresAt: Date },
  { versionKey: false },
);

export const idempotencyKeySchema = new Schema<IdempotencyKeyDoc>(
  {
    _id: String,
    fingerprint: { type: String, required: true },
    state: { type: String, required: true },
    response: { type: Schema.Types.Mixed },
    resourceId: { type: String, default: null },
    createdAt: { type: Date, required: true },
    // Not a TTL index: FerretDB answers "expireAfterSeconds is not implemented yet". The
    // interceptor reads an expired key as absent and sweeps expired ones.
    expiresAt: { type: Date, required: true, index: true },
  },
  { versionKey: false },
);

// A change left behind by a writer that died is taken over by the next one (see ExportChanges).
export const exportChangeSchema = new Schema<ExportChangeDoc>({ _id: String, createdAt: { type: Date, required: true } }, { versionKey: false });

export const Models = {
  connection: 'Connection',
  export: 'Export',
  run: 'Run',
  runStage: 'RunStage',
  oauthState: 'OAuthState',
  appliedConfig: 'AppliedConfig',
  idempotencyKey: 'IdempotencyKey',
  exportChange: 'ExportChange',
} as const;
