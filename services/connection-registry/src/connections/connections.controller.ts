import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { facebookAdAccountQuery, facebookChooseAudienceBody } from '@audience-sync/destinations';
import { CurrentPrincipal, Principal, Roles } from '../auth/principal';
import { openApiSchema, pageOf, pageQuery, parseWith } from '../common/zod-body';
import { connectionView, createConnectionBody, updateConnectionBody } from './connection.dto';
import { ConnectionsService } from './connections.service';
import { ExportsService } from '../exports/exports.service';
import { Idempotent } from '../http/idempotency';
import { Answers } from '../openapi/responses';
import { examples } from '../openapi/examples';
import { PageParameters } from '../openapi/parameters';

@ApiTags('connections')
@ApiBearerAuth()
@Controller('connections')
export class ConnectionsController {
  constructor(
    private readonly connections: ConnectionsService,
    private readonly exports: ExportsService,
  ) {}

  @Post()
  @Idempotent()
  @Roles('administrator')
  @ApiOperation({ summary: 'Create a connection (administrators). Consent ("I agree") is required.' })
  @ApiBody({ schema: openApiSchema(createConnectionBody) })
  @Answers({ status: 201, description: 'The connection, awaiting authentication.', schema: 'Connection', example: examples.connection }, 400, 403, 409, 413, 422)
  async create(@CurrentPrincipal() principal: Principal, @Body() body: unknown) {
    return connectionView(await this.connections.create(principal, parseWith(createConnectionBody, body)));
  }

  @Get()
  @ApiOperation({ summary: 'List connections; contributors see those they may use.' })
  @PageParameters()
  @Answers({ status: 200, description: 'A page of connections, oldest first.', schema: 'ConnectionPage', example: examples.connectionPage }, 400)
  async list(@CurrentPrincipal() principal: Principal, @Query() query: unknown) {
    const page = parseWith(pageQuery, query, 'the query');
    return pageOf((await this.connections.list(principal, page)).map(connectionView), page);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One connection: its status says what it needs next.' })
  @Answers({ status: 200, description: 'The connection.', schema: 'Connection', example: examples.connection }, 404)
  async get(@CurrentPrincipal() principal: Principal, @Param('id') id: string) {
    return connectionView(await this.connections.visible(principal, id));
  }

  @Patch(':id')
  @Roles('administrator')
  @ApiOperation({ summary: "Rename a connection or change who may use it (administrators)." })
  @ApiBody({ schema: openApiSchema(updateConnectionBody) })
  @Answers({ status: 200, description: 'The changed connection.', schema: 'Connection', example: examples.connection }, 400, 403, 404, 413)
  async update(@Param('id') id: string, @Body() body: unknown) {
    return connectionView(await this.connections.update(id, parseWith(updateConnectionBody, body)));
  }

  @Delete(':id')
  @HttpCode(204)
  @Roles('administrator')
  @ApiOperation({ summary: 'Delete a connection; 409 while exports use it unless ?cascade=true. Delivery stops before this answers.' })
  @ApiQuery({ name: 'cascade', required: false, schema: { type: 'string', enum: ['true', 'false'], default: 'false' }, description: 'true: delete the exports that use it too' })
  @Answers({ status: 204, description: 'Deleted.' }, 403, 404, 409)
  async remove(@Param('id') id: string, @Query('cascade') cascade?: string) {
    await this.connections.remove(id, cascade === 'true');
  }

  @Post(':id/terms-accepted')
  @HttpCode(200)
  @Roles('administrator')
  @ApiOperation({
    summary:
      "Say the provider's terms are accepted now (administrators), once the connection's status is terms-not-accepted and they were accepted where its statusMessage says: clears the status and starts a full sync of each of the connection's exports that is not paused. If the provider still refuses, the next delivery sets the status again.",
  })
  @Answers({ status: 200, description: 'The connection, and the full sync started for each of its exports.', schema: 'ConnectionTermsAccepted', example: examples.termsAccepted }, 403, 404, 409)
  async termsAccepted(@CurrentPrincipal() principal: Principal, @Param('id') id: string) {
    const connection = await this.connections.confirmTermsAccepted(principal, id);
    return { ...connectionView(connection), startedRuns: await this.exports.fullSyncsOf(principal, id) };
  }

  @Get(':id/facebook/ad-accounts')
  @Roles('administrator')
  @ApiOperation({ summary: "The Facebook ad accounts the connection's sign-in may use (administrators)." })
  @Answers({ status: 200, description: 'The ad accounts.', schema: 'FacebookAdAccounts', example: examples.adAccounts }, 403, 404, 409, 502)
  async adAccounts(@Param('id') id: string) {
    return { items: await this.connections.adAccounts(id) };
  }

  @Get(':id/facebook/audiences')
  @Roles('administrator')
  @ApiOperation({ summary: 'Audiences of an ad account; only customer lists are selectable.' })
  @ApiQuery({ name: 'adAccountId', required: true, schema: { type: 'string', pattern: '^(act_)?\\d+$' }, example: 'act_1001' })
  @Answers({ status: 200, description: "The ad account's audiences.", schema: 'FacebookAudiences', example: examples.audiences }, 400, 403, 404, 409, 502)
  async audiences(@Param('id') id: string, @Query('adAccountId') adAccountId?: string) {
    const { adAccountId: account } = parseWith(facebookAdAccountQuery, { adAccountId }, 'the query');
    return { items: await this.connections.audiences(id, account) };
  }

  @Put(':id/facebook/audience')
  @Roles('administrator')
  @ApiOperation({
    summary:
      "Set the connection's default audience: an existing customer list, or a new one with { create: { name } }. Once exports feed the current one, say which move with moveExports (\"all\", \"none\" or export ids); each moved export gets a full sync.",
  })
  @ApiBody({ schema: openApiSchema(facebookChooseAudienceBody) })
  @Answers({ status: 200, description: 'The connection with its new default audience, and which exports moved to it.', schema: 'ConnectionAudienceChoice', example: examples.audienceChoice }, 400, 403, 404, 409, 413, 502)
  async chooseAudience(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Body() body: unknown) {
    const { connection, moved, staying } = await this.exports.chooseConnectionAudience(principal, id, parseWith(facebookChooseAudienceBody, body));
    return { ...connectionView(connection), exportsMoved: moved, exportsStaying: staying };
  }
}
