import { Controller, Get, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { registryPartsOf } from '@audience-sync/destinations';
import { Public } from '../auth/principal';
import { invalid } from '../common/api-error';
import { parseWith } from '../common/zod-body';
import { connectionView } from '../connections/connection.dto';
import { ConnectionsService } from '../connections/connections.service';

/** Where the provider sends the admin's browser back; the single-use state is the credential here. */
@ApiTags('oauth')
@Controller('oauth')
export class OAuthController {
  constructor(private readonly connections: ConnectionsService) {}

  @Get('callback')
  @Public()
  @ApiOperation({ summary: 'OAuth redirect target: exchanges the code and stores the credentials encrypted.' })
  async callback(@Query() query: unknown) {
    const q = parseWith(z.object({ state: z.string().min(1), code: z.string().min(1).optional(), error: z.string().optional(), error_description: z.string().optional() }), query, 'the callback query');
    if (!q.code) throw invalid(`the provider did not authorise the connection (${q.error ?? 'no code'}); start again with POST /connections/{id}/authorize`);
    const connection = await this.connections.completeAuthorization(q.state, q.code);
    return { connection: connectionView(connection), next: registryPartsOf(connection.destination).nextAfterSignIn(connection._id) };
  }
}
