import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Principal } from '../auth/principal';
import { openApiSchema, pageOf, pageQuery, parseWith } from '../common/zod-body';
import { runView } from '../runs/run.view';
import { createExportBody, exportView, updateExportBody } from './export.dto';
import { ExportsService } from './exports.service';
import { ExportDoc } from '../models';

@ApiTags('exports')
@ApiBearerAuth()
@Controller('exports')
export class ExportsController {
  constructor(private readonly exports: ExportsService) {}

  @Post()
  @ApiOperation({ summary: 'Create an export on a connection you may use. Saving does not run it.' })
  @ApiBody({ schema: openApiSchema(createExportBody) })
  async create(@CurrentPrincipal() principal: Principal, @Body() body: unknown) {
    return this.view(await this.exports.create(principal, parseWith(createExportBody, body)));
  }

  @Get()
  async list(@CurrentPrincipal() principal: Principal, @Query() query: unknown) {
    const page = parseWith(pageQuery, query, 'the query');
    const docs = await this.exports.list(principal, page);
    const shared = await this.exports.sharingAudience(docs);
    return pageOf(docs.map((e) => exportView(e, shared.get(e._id))), page);
  }

  @Get(':id')
  async get(@CurrentPrincipal() principal: Principal, @Param('id') id: string) {
    return this.view((await this.exports.visible(principal, id)).exportDoc);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change an export. A new audience (or one that needed attention) gets a full sync at once: `startedRun` names it.' })
  @ApiBody({ schema: openApiSchema(updateExportBody) })
  async update(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Body() body: unknown) {
    const { startedRun, ...updated } = await this.exports.update(principal, id, parseWith(updateExportBody, body));
    return { ...(await this.view(updated)), ...(startedRun ? { startedRun } : {}) };
  }

  private async view(doc: ExportDoc) {
    return exportView(doc, (await this.exports.sharingAudience([doc])).get(doc._id));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete an export; nothing more is sent for it once this answered.' })
  async remove(@CurrentPrincipal() principal: Principal, @Param('id') id: string) {
    await this.exports.remove(principal, id);
  }

  @Post(':id/runs')
  @HttpCode(202)
  @ApiOperation({ summary: 'Start a full sync of the export now.' })
  async run(@CurrentPrincipal() principal: Principal, @Param('id') id: string) {
    const { run, destination } = await this.exports.startRun(principal, id);
    return runView(run, destination);
  }

  @Get(':id/runs')
  @ApiOperation({ summary: 'Run history, newest first: state, counts (sent, removed, invalid, failed), errors.' })
  async history(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Query() query: unknown) {
    const page = parseWith(pageQuery, query, 'the query');
    const { runs, destination } = await this.exports.runsOf(principal, id, page);
    return pageOf(runs.map((r) => runView(r, destination)), page);
  }
}
