import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model, Types } from 'mongoose';
import { PageQuery } from '../common/zod-body';
import { AUDIT_ENTRY_MODEL, AuditActor, AuditEntryDoc } from './audit-entry';
import { requestPrincipal } from './request-principal';

export type AuditChange = Pick<AuditEntryDoc, 'action' | 'objectType' | 'objectId'> & Partial<Pick<AuditEntryDoc, 'changedFields' | 'runId'>>;

/** Who changed which connection or export, and when: append-only, read through GET /audit. */
@Injectable()
export class AuditLog {
  constructor(@InjectModel(AUDIT_ENTRY_MODEL) private readonly entries: Model<AuditEntryDoc>) {}

  /**
   * Recorded after the change succeeded. The actor is the request's API key unless given (a
   * sign-in completes in a browser without one: the admin the link was issued to acted).
   */
  async record(change: AuditChange, actor: AuditActor | undefined = requestPrincipal()): Promise<void> {
    if (!actor) throw new Error(`audit: no actor for ${change.action} of ${change.objectType} ${change.objectId}`);
    // An ObjectId grows within a process, so entries made in the same millisecond still list in order.
    await this.entries.create({ _id: new Types.ObjectId().toHexString(), at: new Date(), actor: { name: actor.name, role: actor.role }, ...change });
  }

  /** Newest first. */
  async list(filter: Partial<Pick<AuditEntryDoc, 'objectType' | 'objectId'>>, page: PageQuery): Promise<AuditEntryDoc[]> {
    return this.entries.find(filter).sort({ at: -1, _id: -1 }).skip(Number(page.cursor ?? 0)).limit(page.limit + 1).lean();
  }
}

/** Top-level fields whose value differs, by name. */
export function changedFields(before: object, after: object, fields: string[]): string[] {
  const value = (doc: object, field: string) => JSON.stringify((doc as Record<string, unknown>)[field] ?? null);
  return fields.filter((field) => value(before, field) !== value(after, field));
}
