import { Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { randomUUID } from 'node:crypto';
import { Topics } from '@audience-sync/contracts';
import { ContractProducer } from '@audience-sync/kafka';
import { CurrentPrincipal, Principal, Roles } from '../auth/principal';
import { invalid } from '../common/api-error';
import { AuditLog } from '../audit/audit-log.service';
import { Answers } from '../openapi/responses';
import { examples } from '../openapi/examples';

@ApiTags('profiles')
@ApiBearerAuth()
@Controller('profiles')
export class ProfilesController {
  constructor(
    private readonly producer: ContractProducer,
    private readonly audit: AuditLog,
  ) {}

  @Post(':id/erase')
  @HttpCode(202)
  @Roles('administrator')
  @ApiOperation({
    summary: "Erase a profile: it leaves every audience and the pipeline's state (a data subject's erasure).",
    description:
      'Accepted once the request is on its way to the streamer (as an upstream `erase` event would be): the profile is taken out of every segment as of now, its rows are removed from every ' +
      'audience unless another profile or export holds them, and its attributes are dropped. Each export whose audiences held it gets a run `erase-<erasureId>-<exportId>` ' +
      '(trigger `erase`) in its run history, succeeded once its sink removed the rows. Events about the profile older than the erasure change nothing; newer ones count.',
  })
  @Answers({ status: 202, description: 'The erasure, on its way to the streamer.', schema: 'Erasure', example: examples.erasure }, 400, 403)
  async erase(@CurrentPrincipal() principal: Principal, @Param('id') profileId: string) {
    if (profileId.length > 200) throw invalid('a profile id has 1 to 200 characters, as on segment-events.v1');
    const erasure = { type: 'erase' as const, eventId: randomUUID(), occurredAt: new Date().toISOString(), profileId, requestedBy: principal.name };
    await this.producer.send(Topics.erasureRequests, [{ key: profileId, value: erasure }]);
    await this.audit.record({ action: 'erase-requested', objectType: 'erasure', objectId: erasure.eventId }, principal); // by the erasure's id: the audit log keeps no profile ids
    return { erasureId: erasure.eventId, profileId, requestedAt: erasure.occurredAt, runIdPrefix: `erase-${erasure.eventId}-` };
  }
}
