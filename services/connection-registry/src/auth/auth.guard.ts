import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { timingSafeEqual, createHash } from 'node:crypto';
import { APP_CONFIG } from '@audience-sync/config';
import { internalCallers, internalToken, RegistryConfig } from '../config';
import { forbidden, unauthenticated } from '../common/api-error';
import { Sessions } from '../session/session.service';
import { sessionCookieValue } from '../session/session-cookie';
import { INTERNAL, Principal, PUBLIC, Role, ROLES, ServicePrincipal } from './principal';

const digest = (s: string) => createHash('sha256').update(s).digest();
const same = (a: string, b: string) => timingSafeEqual(digest(a), digest(b));

/**
 * API keys per deployment, each with a role. Roles are checked before any lookup, so a 401 or
 * 403 never tells whether the object asked for exists. The internal API takes only the pipeline
 * services' own credentials, and says which service called; what it may touch is the handler's check.
 * A request without a key may come from the admin console with its session cookie instead (Sessions):
 * it acts as that session's API key.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(APP_CONFIG) private readonly config: RegistryConfig,
    private readonly sessions: Sessions,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC, targets)) return true;
    const request = context.switchToHttp().getRequest();
    if (request.path?.startsWith('/health') || request.path?.startsWith('/docs') || request.path === '/openapi.json' || request.path === '/metrics') return true;
    const header: string | undefined = request.headers.authorization;
    const presented = header?.startsWith('Bearer ') ? header.slice(7).trim() : (request.headers['x-api-key'] as string | undefined);
    const internal = this.reflector.getAllAndOverride<boolean>(INTERNAL, targets);
    // The console's cookie stands in for an API key on the public API only.
    if (!presented && !internal && sessionCookieValue(request.headers.cookie)) return this.allow((await this.sessions.authenticate(request)).principal, request, targets);
    if (!presented) throw unauthenticated();
    if (internal) {
      // Every credential is compared, so the time taken does not say which one came close.
      const matches = internalCallers.filter((caller) => same(presented, internalToken(this.config, caller.service)));
      if (matches.length !== 1) throw unauthenticated();
      const service: ServicePrincipal = { service: matches[0].service, destination: matches[0].destination };
      request.service = service;
      return true;
    }
    const match = this.config.REGISTRY_API_KEYS.find((k) => same(presented, k.key));
    if (!match) throw unauthenticated();
    return this.allow({ name: match.name, role: match.role }, request, targets);
  }

  private allow(principal: Principal, request: { principal?: Principal }, targets: Parameters<Reflector['getAllAndOverride']>[1]): boolean {
    request.principal = principal;
    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES, targets);
    if (roles && !roles.includes(principal.role)) throw forbidden(`this needs the ${roles.join(' or ')} role`);
    return true;
  }
}
