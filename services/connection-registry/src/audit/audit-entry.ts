import { Schema } from 'mongoose';
import type { Role } from '../auth/principal';

export const auditActions = ['create', 'update', 'delete', 'authorize', 'sign-in-completed', 'run-requested', 'erase-requested', 'sign-in', 'sign-out'] as const;
export type AuditAction = (typeof auditActions)[number];
export const auditObjectTypes = ['connection', 'export', 'erasure', 'webhook', 'session'] as const;
export type AuditObjectType = (typeof auditObjectTypes)[number];

/** Who acted: an API key's name and role (never the key). */
export interface AuditActor {
  name: string;
  role: Role;
}

/**
 * One change made through the API. Names of changed fields only, never values: a value can be a
 * secret or personal data. An erasure is recorded by its erasure id, not the profile's.
 */
export interface AuditEntryDoc {
  _id: string;
  at: Date;
  actor: AuditActor;
  action: AuditAction;
  objectType: AuditObjectType;
  objectId: string;
  changedFields?: string[];
  runId?: string;
}

export const AUDIT_ENTRY_MODEL = 'AuditEntry';

const refuse = () => {
  throw new Error('audit entries are append-only: they are never changed or deleted');
};

export const auditEntrySchema = new Schema<AuditEntryDoc>(
  {
    _id: String,
    at: { type: Date, required: true },
    actor: { name: { type: String, required: true }, role: { type: String, required: true } },
    action: { type: String, required: true },
    objectType: { type: String, required: true },
    objectId: { type: String, required: true },
    changedFields: { type: [String], default: undefined },
    runId: String,
  },
  { collection: 'auditentries', versionKey: false },
);
auditEntrySchema.index({ objectType: 1, objectId: 1, at: -1 });
auditEntrySchema.index({ at: -1 });
auditEntrySchema.pre(['updateOne', 'updateMany', 'findOneAndUpdate', 'replaceOne', 'findOneAndReplace', 'deleteOne', 'deleteMany', 'findOneAndDelete'], refuse);
