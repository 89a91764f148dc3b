import { Body, Controller, Delete, Get, Headers, HttpCode, Param, Patch, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiHeader, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { Response } from 'express';
import { CurrentPrincipal, Principal } from '../auth/principal';
import { openApiSchema, pageOf, pageQuery, parseWith } from '../common/zod-body';
import { runView } from '../runs/run.view';
import { createExportBody, exportView, runRequestBody, runsQuery, runTriggers, updateExportBody } from './export.dto';
import { ExportsService } from './exports.service';
import { AppliedConfigs } from './applied-configs';
import { ExportDoc } from '../models';
import { Idempotent } from '../http/idempotency';
import { etagOf, expectedVersion } from '../http/if-match';
import { Answers } from '../openapi/responses';
import { examples } from '../openapi/examples';
import { PageParameters } from '../openapi/parameters';

const PIPELINE_FIELD =
  '`pipeline` says whether the pipeline follows what was saved: `{ savedVersion, appliedVersion, state }`. `state` is `active` once the identifier hasher, the segment streamer and the ' +
  "export's sink have all applied `savedVersion`, and `saved` until then (also while one of them is down); `appliedVersion` is the newest version all have applied, null before any. " +
  'A changed identifier mapping applies to attribute values as they next arrive (the next refresh of the export\'s segments): until then a profile keeps the row it was sent with.';

const PAUSE =
  '`{ "paused": true }` pauses the export: once the pipeline applied it (`pipeline.state: "active"`), nothing is sent for it (no live changes, no refreshes) and a run is refused (409) while a dry run works; ' +
  'other exports, also on the same segments or audience, flow on. `{ "paused": false }` resumes it with a full sync at once (`startedRun`, unless the export needs attention), which brings the audience to the ' +
  "segments' current members, including those who left while it was paused. Erasures still reach a paused export's audience.";

@ApiTags('exports')
@ApiBearerAuth()
@Controller('exports')
export class ExportsController {
  constructor(
    private readonly exports: ExportsService,
    private readonly applied: AppliedConfigs,
  ) {}

  @Post()
  @Idempotent()
  @ApiOperation({ summary: 'Create an export on a connection you may use. Saving does not run it.' })
  @ApiBody({ schema: openApiSchema(createExportBody) })
  @Answers({ status: 201, description: 'The export (ETag: its version).', schema: 'Export', example: examples.export }, 400, 409, 413, 422)
  async create(@CurrentPrincipal() principal: Principal, @Body() body: unknown, @Res({ passthrough: true }) res: Response) {
    return this.view(await this.exports.create(principal, parseWith(createExportBody, body)), res);
  }

  @Get()
  @ApiOperation({ summary: 'Exports you may see, oldest first.', description: PIPELINE_FIELD })
  @PageParameters()
  @Answers({ status: 200, description: 'A page of exports.', schema: 'ExportPage', example: examples.exportPage }, 400)
  async list(@CurrentPrincipal() principal: Principal, @Query() query: unknown) {
    const page = parseWith(pageQuery, query, 'the query');
    const docs = await this.exports.list(principal, page);
    const shared = await this.exports.sharingAudience(docs);
    const applied = await this.applied.of(docs.map((e) => e._id));
    return pageOf(docs.map((e) => exportView(e, shared.get(e._id), applied.get(e._id))), page);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One export.', description: PIPELINE_FIELD })
  @Answers({ status: 200, description: 'The export (ETag: its version).', schema: 'Export', example: examples.export }, 404)
  async get(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Res({ passthrough: true }) res: Response) {
    return this.view((await this.exports.visible(principal, id)).exportDoc, res);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change an export. A new audience or account (or one that needed attention) gets a full sync at once, and so does an export that has run when its segments or identifiers change: `startedRun` names it. ' +
      'Changed identifiers apply to attribute values as they next arrive (the segments\' next refresh): until then members keep the rows they were sent with, and a member never sent counts as invalid (`identifier-awaiting-values`).',
    description: PAUSE })
  @ApiBody({ schema: openApiSchema(updateExportBody), examples: examples.exportChanges })
  @Answers({ status: 200, description: 'The changed export (ETag: its new version), with the full sync it started if any.', schema: 'ChangedExport', example: examples.changedExport }, 400, 404, 409, 412, 413)
  @ApiHeader({
    name: 'If-Match',
    required: false,
    description:
      'The ETag of the version you changed (GET answers it, e.g. "3"): a change to an export another change has meanwhile moved on answers 412 instead of undoing that one. ' +
      'Without it, the change applies to the version current when it arrives. Of changes racing from one version, one wins; the others answer 409 or 412.',
  })
  async update(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Body() body: unknown, @Headers('if-match') ifMatch: string | undefined, @Res({ passthrough: true }) res: Response) {
    const expected = expectedVersion(ifMatch);
    const { startedRun, ...updated } = await this.exports.update(principal, id, parseWith(updateExportBody, body), expected);
    return { ...(await this.view(updated, res)), ...(startedRun ? { startedRun } : {}) };
  }

  /** The view, and its version as the ETag a change sends back in If-Match. */
  private async view(doc: ExportDoc, res: Response) {
    res.setHeader('ETag', etagOf(doc.version));
    return exportView(doc, (await this.exports.sharingAudience([doc])).get(doc._id), (await this.applied.of([doc._id])).get(doc._id));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete an export; nothing more is sent for it once this answered.' })
  @Answers({ status: 204, description: 'Deleted.' }, 404)
  async remove(@CurrentPrincipal() principal: Principal, @Param('id') id: string) {
    await this.exports.remove(principal, id);
  }

  @Post(':id/runs')
  @HttpCode(202)
  @Idempotent()
  @ApiOperation({
    summary: 'Start a full sync of the export now, or with `{ "dryRun": true }` a dry run of one.',
    description:
      'A dry run works out what a full sync would do and sends nothing: the run (trigger `dry-run`) succeeds with `dryRun`: members it would add or keep, rows it would remove, ' +
      'members it would drop by reason, and up to 5 rows of each kind named by the first characters of their identity (a digest, never a value). It changes no state, ' +
      'needs no working connection, works while the export is paused, and is not taken for a sync of the export. Over the profile limit it fails as a full sync would. ' +
      'A full sync of a paused export is refused (409): resume it instead (PATCH with `{ "paused": false }`), which starts one.',
  })
  @ApiBody({ schema: openApiSchema(runRequestBody), required: false })
  @Answers({ status: 202, description: 'The run, pending: follow it with GET /exports/{id}/runs/{runId}.', schema: 'Run', example: examples.dryRun }, 400, 404, 409, 413, 422)
  async run(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Body() body: unknown) {
    const { run, destination } = await this.exports.startRun(principal, id, parseWith(runRequestBody, body));
    return runView(run, [], destination);
  }

  @Get(':id/runs')
  @ApiOperation({ summary: 'Run history, newest first: state, counts (sent, removed, invalid, failed), errors; a dry run (trigger `dry-run`) with its result (`dryRun`).' })
  @PageParameters()
  @ApiQuery({ name: 'trigger', required: false, enum: runTriggers, description: 'only runs started this way' })
  @Answers({ status: 200, description: 'A page of runs.', schema: 'RunPage', example: examples.runPage }, 400, 404)
  async history(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Query() query: unknown) {
    const { trigger, ...page } = parseWith(runsQuery, query, 'the query');
    const { runs, destination } = await this.exports.runsOf(principal, id, page, trigger);
    return pageOf(runs.map((r) => runView(r.run, r.stages, destination)), page);
  }

  @Get(':id/runs/:runId')
  @ApiOperation({ summary: 'One run of the export, as the history shows it.' })
  @Answers({ status: 200, description: 'The run.', schema: 'Run', example: examples.run }, 404)
  async oneRun(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Param('runId') runId: string) {
    const { run, stages, destination } = await this.exports.runOf(principal, id, runId);
    return runView(run, stages, destination);
  }
}
