import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { z } from 'zod';
import { CurrentService, Internal, ServicePrincipal } from '../auth/principal';
import { parseWith } from '../common/zod-body';
import { ExportsService } from '../exports/exports.service';
import { SinkScope } from './sink-scope';

/** For the sinks only, each on its own destination's exports: an export that cannot deliver until an admin acts, or whose audience must be filled again. */
@ApiExcludeController()
@Internal()
@Controller('internal/exports')
export class InternalExportsController {
  constructor(
    private readonly exports: ExportsService,
    private readonly scope: SinkScope,
  ) {}

  @Post(':id/problem')
  @HttpCode(204)
  async problem(@CurrentService() caller: ServicePrincipal, @Param('id') id: string, @Body() body: unknown) {
    const { problem } = parseWith(z.object({ problem: z.string().min(1).max(500) }), body);
    await this.scope.export(caller, id);
    await this.exports.reportProblem(id, problem);
  }

  @Post(':id/runs')
  @HttpCode(202)
  async refill(@CurrentService() caller: ServicePrincipal, @Param('id') id: string, @Body() body: unknown) {
    const { requestedBy } = parseWith(z.object({ requestedBy: z.string().min(1).max(100) }), body);
    await this.scope.export(caller, id);
    return { runId: (await this.exports.requestRefill(id, requestedBy))._id };
  }
}
