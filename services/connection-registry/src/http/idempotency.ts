import { applyDecorators, CallHandler, ExecutionContext, HttpStatus, Injectable, NestInterceptor, UseInterceptors } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { ApiHeader } from '@nestjs/swagger';
import { Request, Response } from 'express';
import { Model } from 'mongoose';
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { catchError, from, mergeMap, Observable, of } from 'rxjs';
import { ApiError, invalid } from '../common/api-error';
import { Principal } from '../auth/principal';
import { IdempotencyKeyDoc, Models } from '../models';

/** How long a key answers with its first result. */
const KEEP_MS = 24 * 3600 * 1000;
/** How long a repeat waits for the first request to finish before it is told to retry. */
const WAIT_MS = 10_000;
/** A first request this old that never finished died with its process: a repeat takes its place. */
const ABANDONED_MS = 60_000;

const KEY = /^[\x21-\x7e]{1,255}$/;

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** JSON with object keys sorted: the same body however its fields were ordered. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

const isDuplicate = (error: unknown) => (error as { code?: unknown }).code === 11000;

type Claim = { owner: true } | { owner: false; response: unknown };

/**
 * `Idempotency-Key` on a create: the first request with a key runs; a repeat from the same API key
 * (by name) with the same method, path and body, within a day, gets the first one's answer with
 * `Idempotent-Replayed: true` instead of making a second record; the same key with another request
 * is refused (422). A repeat that arrives while the first is running waits for its answer. A
 * request that fails leaves no trace, so it can be sent again with the same key.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  private sweptAt = 0;

  constructor(@InjectModel(Models.idempotencyKey) private readonly keys: Model<IdempotencyKeyDoc>) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const req = context.switchToHttp().getRequest<Request & { principal: Principal }>();
    const header = req.headers['idempotency-key'];
    if (header === undefined) return next.handle();
    if (typeof header !== 'string' || !KEY.test(header)) {
      throw invalid('the Idempotency-Key header is invalid', [{ path: 'Idempotency-Key', message: 'send 1 to 255 visible ASCII characters, e.g. a UUID' }]);
    }
    const id = sha256(`${req.principal.name}\n${header}`);
    const fingerprint = sha256(canonical([req.method, req.path, req.body ?? null]));
    return from(this.claim(id, fingerprint)).pipe(
      mergeMap((claim) => {
        if (!claim.owner) {
          context.switchToHttp().getResponse<Response>().setHeader('Idempotent-Replayed', 'true');
          return of(claim.response);
        }
        return next.handle().pipe(
          mergeMap(async (response: unknown) => {
            // As the client received it (dates as text, no undefined fields), so a replay is the same.
            const sent: unknown = JSON.parse(JSON.stringify(response ?? null));
            const resourceId = (sent as { id?: unknown } | null)?.id;
            await this.keys.updateOne({ _id: id }, { $set: { state: 'done', response: sent, resourceId: typeof resourceId === 'string' ? resourceId : null } });
            return response;
          }),
          catchError(async (error: unknown) => {
            await this.keys.deleteOne({ _id: id, state: 'pending' });
            throw error;
          }),
        );
      }),
    );
  }

  /** Inserting the key's document is the lock: its `_id` is unique, so one request wins it. */
  private async claim(id: string, fingerprint: string): Promise<Claim> {
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const now = new Date();
      try {
        await this.keys.create({ _id: id, fingerprint, state: 'pending', createdAt: now, expiresAt: new Date(now.getTime() + KEEP_MS) });
        await this.sweep(now);
        return { owner: true };
      } catch (error) {
        if (!isDuplicate(error)) throw error;
      }
      const found = await this.keys.findById(id).lean();
      if (!found) continue; // the first request failed meanwhile: this one may run
      const abandoned = found.state === 'pending' && now.getTime() - found.createdAt.getTime() > ABANDONED_MS;
      if (found.expiresAt <= now || abandoned) {
        await this.keys.deleteOne({ _id: id, createdAt: found.createdAt });
        continue;
      }
      if (found.fingerprint !== fingerprint) {
        throw new ApiError(
          HttpStatus.UNPROCESSABLE_ENTITY,
          'idempotency_key_reused',
          'this Idempotency-Key was used in the last 24 hours for another request (another body or path); send a new Idempotency-Key for a new request',
        );
      }
      if (found.state === 'done') return { owner: false, response: found.response };
      if (Date.now() > deadline) {
        throw new ApiError(HttpStatus.CONFLICT, 'idempotency_key_in_use', 'a request with this Idempotency-Key is still being handled; send it again in a moment to get its answer');
      }
      await sleep(50);
    }
  }

  /** Expired keys go at most once a minute (the database has no TTL index on FerretDB). */
  private async sweep(now: Date): Promise<void> {
    if (now.getTime() - this.sweptAt < 60_000) return;
    this.sweptAt = now.getTime();
    await this.keys.deleteMany({ expiresAt: { $lte: now } });
  }
}

/** A create that takes an `Idempotency-Key` (see IdempotencyInterceptor). */
export const Idempotent = () =>
  applyDecorators(
    UseInterceptors(IdempotencyInterceptor),
    ApiHeader({
      name: 'Idempotency-Key',
      required: false,
      description:
        'A unique value (e.g. a UUID) per intended create. Sending the same request again with it, from the same API key within 24 hours, answers what the first answered ' +
        '(with Idempotent-Replayed: true) instead of creating again; the same key with another body answers 422.',
    }),
  );
