import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Principal, Roles } from '../auth/principal';
import { openApiSchema, pageOf, pageQuery, parseWith } from '../common/zod-body';
import { examples } from '../openapi/examples';
import { PageParameters } from '../openapi/parameters';
import { Answers } from '../openapi/responses';
import { createWebhookBody, deliveryView, webhookView } from './webhook.dto';
import { WebhooksService } from './webhooks.service';

const SIGNING =
  'Each delivery is a JSON POST with `X-AudienceSync-Event`, `X-AudienceSync-Delivery` (its id, the same on every attempt), `X-AudienceSync-Timestamp` (Unix seconds) and ' +
  '`X-AudienceSync-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>" with the secret>`. A 2xx answer within 10 s delivers it; otherwise it is retried (WEBHOOK_RETRY_SCHEDULE_SECONDS).';

@ApiTags('webhooks')
@ApiBearerAuth()
@Roles('administrator')
@Controller('webhooks')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Post()
  @ApiOperation({
    summary: 'Call a URL on failed runs, connections needing re-authentication, tokens about to expire and runs with too many invalid rows (administrators). The answer holds the signing secret, shown this once.',
    description: SIGNING,
  })
  @ApiBody({ schema: openApiSchema(createWebhookBody) })
  @Answers({ status: 201, description: 'the webhook, with its signing secret (shown this once)', schema: 'CreatedWebhook', example: examples.createdWebhook }, 400, 403)
  async create(@CurrentPrincipal() principal: Principal, @Body() body: unknown) {
    const { webhook, secret } = await this.webhooks.create(principal, parseWith(createWebhookBody, body));
    return { ...webhookView(webhook), secret };
  }

  @Get()
  @ApiOperation({ summary: 'The webhooks, oldest first (administrators); never their secrets.' })
  @PageParameters()
  @Answers({ status: 200, description: 'a page of webhooks', schema: 'WebhookPage', example: examples.webhookPage }, 400, 403)
  async list(@Query() query: unknown) {
    const page = parseWith(pageQuery, query, 'the query');
    return pageOf((await this.webhooks.list(page)).map(webhookView), page);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a webhook and its deliveries, sent or not (administrators).' })
  @Answers({ status: 204, description: 'deleted' }, 403, 404)
  async remove(@Param('id') id: string) {
    await this.webhooks.remove(id);
  }

  @Get(':id/deliveries')
  @ApiOperation({ summary: "A webhook's deliveries, newest first, with their attempts, last answer or error and next attempt (administrators).", description: SIGNING })
  @PageParameters()
  @Answers({ status: 200, description: "a page of the webhook's deliveries", schema: 'WebhookDeliveryPage', example: examples.webhookDeliveryPage }, 400, 403, 404)
  async deliveries(@Param('id') id: string, @Query() query: unknown) {
    const page = parseWith(pageQuery, query, 'the query');
    return pageOf((await this.webhooks.deliveriesOf(id, page)).map(deliveryView), page);
  }
}
