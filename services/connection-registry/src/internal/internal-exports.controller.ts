import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { z } from 'zod';
import { Internal } from '../auth/principal';
import { parseWith } from '../common/zod-body';
import { ExportsService } from '../exports/exports.service';

/** For the sinks only (INTERNAL_API_TOKEN): an export that cannot deliver until an admin acts, or whose audience must be filled again. */
@ApiExcludeController()
@Internal()
@Controller('internal/exports')
export class InternalExportsController {
  constructor(private readonly exports: ExportsService) {}

  @Post(':id/problem')
  @HttpCode(204)
  async problem(@Param('id') id: string, @Body() body: unknown) {
    const { problem } = parseWith(z.object({ problem: z.string().min(1).max(500) }), body);
    await this.exports.reportProblem(id, problem);
  }

  @Post(':id/runs')
  @HttpCode(202)
  async refill(@Param('id') id: string, @Body() body: unknown) {
    const { requestedBy } = parseWith(z.object({ requestedBy: z.string().min(1).max(100) }), body);
    return { runId: (await this.exports.requestRefill(id, requestedBy))._id };
  }
}
