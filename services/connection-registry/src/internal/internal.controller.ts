import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { z } from 'zod';
import { Internal } from '../auth/principal';
import { conflict } from '../common/api-error';
import { parseWith } from '../common/zod-body';
import { ConnectionsService, ReauthenticationRequired } from '../connections/connections.service';

/** For the sinks only (INTERNAL_API_TOKEN): short-lived access tokens, and reports of rejected credentials. */
@ApiExcludeController()
@Internal()
@Controller('internal/connections')
export class InternalController {
  constructor(private readonly connections: ConnectionsService) {}

  @Post(':id/access-token')
  @HttpCode(200)
  async accessToken(@Param('id') id: string, @Body() body: unknown) {
    const { forceRefresh } = parseWith(z.object({ forceRefresh: z.boolean().default(false) }), body);
    try {
      return await this.connections.accessToken(id, forceRefresh);
    } catch (error) {
      if (error instanceof ReauthenticationRequired) throw conflict(error.message);
      throw error;
    }
  }

  @Post(':id/auth-failure')
  @HttpCode(204)
  async authFailure(@Param('id') id: string, @Body() body: unknown) {
    const { problem } = parseWith(z.object({ problem: z.string().min(1).max(300) }), body);
    await this.connections.flagReauthentication(id, problem);
  }
}
