import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { Roles } from '../auth/principal';
import { pageOf, pageQuery, parseWith } from '../common/zod-body';
import { auditActions, AuditEntryDoc, auditObjectTypes } from './audit-entry';
import { AuditLog } from './audit-log.service';

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

const entrySchema = {
  type: 'object',
  required: ['id', 'at', 'actor', 'action', 'objectType', 'objectId'],
  properties: {
    id: { type: 'string' },
    at: { type: 'string', format: 'date-time' },
    actor: { type: 'object', properties: { name: { type: 'string', description: "the API key's name" }, role: { type: 'string', enum: ['administrator', 'contributor'] } } },
    action: { type: 'string', enum: [...auditActions] },
    objectType: { type: 'string', enum: [...auditObjectTypes] },
    objectId: { type: 'string' },
    changedFields: { type: 'array', items: { type: 'string' }, description: 'names only, never values' },
    runId: { type: 'string' },
  },
};

@ApiTags('audit')
@ApiBearerAuth()
@Controller('audit')
export class AuditController {
  constructor(private readonly audit: AuditLog) {}

  @Get()
  @Roles('administrator')
  @ApiOperation({ summary: 'Who changed which connection or export, and when (administrators); newest first.' })
  @ApiQuery({ name: 'objectType', required: false, enum: auditObjectTypes })
  @ApiQuery({ name: 'objectId', required: false, type: String })
  @ApiQuery({ name: 'limit', required: false, type: Number, description: '1 to 100, default 20' })
  @ApiQuery({ name: 'cursor', required: false, type: String, description: 'the nextCursor of the previous page' })
  @ApiOkResponse({ schema: { type: 'object', required: ['items'], properties: { items: { type: 'array', items: entrySchema }, nextCursor: { type: 'string' } } } })
  async list(@Query() query: unknown) {
    const { objectType, objectId, ...page } = parseWith(auditQuery, query, 'the query');
    const entries = await this.audit.list({ ...(objectType ? { objectType } : {}), ...(objectId ? { objectId } : {}) }, page);
    return pageOf(entries.map(entryView), page);
  }
}
