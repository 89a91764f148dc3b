import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import type { PipelineStage } from '@audience-sync/contracts';
import type { DestinationId } from '@audience-sync/destinations';

export type Role = 'administrator' | 'contributor';

export interface Principal {
  name: string;
  role: Role;
}

export const ROLES = 'roles';
/** Only these roles may call the handler; others get 403. */
export const Roles = (...roles: Role[]) => SetMetadata(ROLES, roles);
export const PUBLIC = 'public';
/** No API key needed (the OAuth callback, which a browser reaches from the provider). */
export const Public = () => SetMetadata(PUBLIC, true);
export const INTERNAL = 'internal';
/** Only the pipeline's services, each with its own credential (INTERNAL_TOKEN_<SERVICE>); admins' API keys do not open these. */
export const Internal = () => SetMetadata(INTERNAL, true);

/** A pipeline service on the internal API: a destination's sink, which may act on that destination's connections and exports only. */
export interface ServicePrincipal {
  service: PipelineStage;
  destination: DestinationId;
}
export const CurrentService = createParamDecorator((_: unknown, ctx: ExecutionContext): ServicePrincipal => ctx.switchToHttp().getRequest().service);

export const CurrentPrincipal = createParamDecorator((_: unknown, ctx: ExecutionContext): Principal => ctx.switchToHttp().getRequest().principal);
