import { ExecutionContext, HttpStatus, Injectable } from '@nestjs/common';
import { ThrottlerGuard, ThrottlerLimitDetail } from '@nestjs/throttler';
import { createHash } from 'node:crypto';
import { Request } from 'express';
import { ApiError } from '../common/api-error';
import { Principal } from '../auth/principal';

/** Paths whose callers are the platform itself: the pipeline's services, the probes and Prometheus. */
const UNLIMITED = ['/internal/', '/health/', '/metrics'];

/**
 * One budget per API key across the whole API, counted by the key's name (the key never becomes
 * a storage key), and one per client address for what needs no key. It runs after the auth guard,
 * which names the caller; requests the auth guard refuses cost no lookup and are not counted.
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  protected override async shouldSkip(context: ExecutionContext): Promise<boolean> {
    const path = context.switchToHttp().getRequest<Request>().path;
    return UNLIMITED.some((prefix) => path.startsWith(prefix));
  }

  protected override async getTracker(req: Request & { principal?: Principal }): Promise<string> {
    return req.principal ? `key:${req.principal.name}` : `address:${await super.getTracker(req)}`;
  }

  protected override generateKey(_: ExecutionContext, tracker: string, throttler: string): string {
    return createHash('sha256').update(`${throttler}\n${tracker}`).digest('hex');
  }

  protected override async throwThrottlingException(_: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void> {
    throw new ApiError(
      HttpStatus.TOO_MANY_REQUESTS,
      'rate_limited',
      `too many requests: ${detail.limit} a minute are allowed for each API key (and each address without one); wait the seconds the Retry-After header says, then retry`,
    );
  }
}
