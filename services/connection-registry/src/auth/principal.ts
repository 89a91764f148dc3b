import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';

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
/** Only the pipeline's services, with INTERNAL_API_TOKEN. */
export const Internal = () => SetMetadata(INTERNAL, true);

export const CurrentPrincipal = createParamDecorator((_: unknown, ctx: ExecutionContext): Principal => ctx.switchToHttp().getRequest().principal);
