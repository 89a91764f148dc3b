import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { Roles } from '../auth/principal';
import { pageOf, pageQuery, parseWith } from '../common/zod-body';
import { AuditEntryDoc, auditObjectTypes } from './audit-entry';
import { AuditLog } from './audit-log.service';
import { Answers } from '../openapi/responses';
import { examples } from '../openapi/examples';
import { PageParameters } from '../openapi/parameters';

const auditQuery = pageQuery.extend({
  objectType: z.enum(auditObjectTypes).optional(),
  objectId: z.string().min(1).max(200).optional(),
});

const entryView = (e: AuditEntryDoc) => ({
  id: e._id,
  at: e.at,
  actor: e.actor,
  action: e.action,
  objectType: e.objectType,
  objectId: e.objectId,
  ...(e.changedFields ? { changedFields: e.changedFields } : {}),
  ...(e.runId ? { runId: e.runId } : {}),
});

@ApiTags('audit')
@ApiBearerAuth()
@Controller('audit')
export class AuditController {
  constructor(private readonly audit: AuditLog) {}

  @Get()
  @Roles('administrator')
  @ApiOperation({ summary: 'Who changed which connection or export, and when (administrators); newest first.' })
  @ApiQuery({ name: 'objectType', required: false, enum: auditObjectTypes, description: 'only entries about this kind of object' })
  @ApiQuery({ name: 'objectId', required: false, type: String, description: 'only entries about this object' })
  @PageParameters()
  @Answers({ status: 200, description: 'A page of audit entries.', schema: 'AuditPage', example: examples.auditPage }, 400, 403)
  async list(@Query() query: unknown) {
    const { objectType, objectId, ...page } = parseWith(auditQuery, query, 'the query');
    const entries = await this.audit.list({ ...(objectType ? { objectType } : {}), ...(objectId ? { objectId } : {}) }, page);
    return pageOf(entries.map(entryView), page);
  }
}
