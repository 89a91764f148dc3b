import { Body, Controller, Header, HttpCode, Param, Post } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { z } from 'zod';
import { CurrentService, Internal, ServicePrincipal } from '../auth/principal';
import { conflict } from '../common/api-error';
import { parseWith } from '../common/zod-body';
import { ConnectionsService, ReauthenticationRequired } from '../connections/connections.service';
import { SinkScope } from './sink-scope';

/** What a sink receives to call its platform: the access token and when it expires, nothing else. */
export interface SinkAccessToken {
  accessToken: string;
  expiresAt: string;
}

/** What a sink reports of a connection: the provider's problem, in words (no token, no personal data). */
const problemBody = z.object({ problem: z.string().min(1).max(300) });
/** `refusedAt`: when the refused call was made, so a refusal that predates the admin's confirmation does not undo it (sinks before 2026-11 send none). */
const termsProblemBody = problemBody.extend({ refusedAt: z.string().datetime({ offset: true }).optional() });

/** For the sinks only, each on its own destination's connections: access tokens, and reports of rejected credentials and terms not accepted. */
@ApiExcludeController()
@Internal()
@Controller('internal/connections')
export class InternalController {
  constructor(
    private readonly connections: ConnectionsService,
    private readonly scope: SinkScope,
  ) {}

  /**
   * The token the platform takes: Facebook's long-lived user token as stored (Graph has nothing
   * shorter to derive from it), Microsoft's one-hour access token; the refresh token and the app
   * secrets never leave the registry. Not to be cached by anything in between.
   */
  @Post(':id/access-token')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  async accessToken(@CurrentService() caller: ServicePrincipal, @Param('id') id: string, @Body() body: unknown): Promise<SinkAccessToken> {
    const { forceRefresh } = parseWith(z.object({ forceRefresh: z.boolean().default(false) }), body);
    await this.scope.connection(caller, id);
    try {
      const { accessToken, expiresAt } = await this.connections.accessToken(id, forceRefresh);
      return { accessToken, expiresAt };
    } catch (error) {
      if (error instanceof ReauthenticationRequired) throw conflict(error.message);
      throw error;
    }
  }

  @Post(':id/auth-failure')
  @HttpCode(204)
  async authFailure(@CurrentService() caller: ServicePrincipal, @Param('id') id: string, @Body() body: unknown) {
    const { problem } = parseWith(problemBody, body);
    await this.scope.connection(caller, id);
    await this.connections.flagReauthentication(id, problem);
  }

  /** The provider answered that the connection's account has not accepted its terms: what to accept where. */
  @Post(':id/terms-problem')
  @HttpCode(204)
  async termsProblem(@CurrentService() caller: ServicePrincipal, @Param('id') id: string, @Body() body: unknown) {
    const { problem, refusedAt } = parseWith(termsProblemBody, body);
    await this.scope.connection(caller, id);
    await this.connections.flagTermsProblem(id, problem, refusedAt === undefined ? undefined : new Date(refusedAt));
  }
}
