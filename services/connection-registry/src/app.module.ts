import { DynamicModule, MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { MongooseModule } from '@nestjs/mongoose';
import { AppConfigModule } from '@audience-sync/config';
import { KafkaModule } from '@audience-sync/kafka';
import { HealthModule, MetricsModule } from '@audience-sync/runtime';
import { ThrottlerModule } from '@nestjs/throttler';
import { RateLimitGuard } from './http/rate-limit.guard';
import { AccessLog } from './http/access-log';
import { topics } from './topics';
import { RegistryConfig } from './config';
import { AuthGuard } from './auth/auth.guard';
import { ApiErrorFilter } from './common/api-error';
import { CredentialCipher } from './crypto/credential-cipher';
import { appliedConfigSchema, connectionSchema, exportChangeSchema, exportSchema, idempotencyKeySchema, Models, oauthStateSchema, runSchema, runStageSchema } from './models';
import { ConnectionsController } from './connections/connections.controller';
import { ConnectionsService } from './connections/connections.service';
import { OAuthController } from './oauth/oauth.controller';
import { AuthorizeController } from './oauth/authorize.controller';
import { OAuthFlow } from './oauth/oauth-flow.service';
import { DestinationClients } from './oauth/destination-clients';
import { ExportsController } from './exports/exports.controller';
import { ExportsService } from './exports/exports.service';
import { ExportChanges } from './exports/export-changes';
import { ExportConfigPublisher } from './exports/export-config.publisher';
import { RunStatusConsumer } from './runs/run-status.consumer';
import { AppliedConfigs } from './exports/applied-configs';
import { AppliedConfigsConsumer } from './exports/applied-configs.consumer';
import { InternalController } from './internal/internal.controller';
import { InternalExportsController } from './internal/internal-exports.controller';
import { SinkScope } from './internal/sink-scope';
import { ProfilesController } from './profiles/profiles.controller';
import { ConnectionMetrics } from './connections/connection-metrics';
import { AuditModule } from './audit/audit.module';
import { SessionModule } from './session/session.module';
import { webhookDeliverySchema, WebhookModels, webhookSchema } from './webhooks/webhook.models';
import { WebhooksController } from './webhooks/webhooks.controller';
import { WebhooksService } from './webhooks/webhooks.service';
import { WebhookDeliverer } from './webhooks/webhook-deliverer';
import { WebhookAlerts } from './webhooks/webhook-alerts';
import { WebhookSecrets } from './webhooks/webhook-secrets';

@Module({})
export class AppModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(AccessLog).forRoutes('{*path}');
  }

  static forRoot(config: RegistryConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        AppConfigModule.forRoot(config),
        KafkaModule.forRoot({ service: 'connection-registry', brokers: config.KAFKA_BROKERS, topics, personalDataRetentionHours: config.PERSONAL_DATA_RETENTION_HOURS }),
        MongooseModule.forRoot(config.MONGODB_URI, { serverSelectionTimeoutMS: 5000 }),
        MongooseModule.forFeature([
          { name: Models.connection, schema: connectionSchema },
          { name: Models.export, schema: exportSchema },
          { name: Models.run, schema: runSchema },
          { name: Models.runStage, schema: runStageSchema },
          { name: Models.oauthState, schema: oauthStateSchema },
          { name: Models.appliedConfig, schema: appliedConfigSchema },
          { name: Models.idempotencyKey, schema: idempotencyKeySchema },
          { name: Models.exportChange, schema: exportChangeSchema },
          { name: WebhookModels.webhook, schema: webhookSchema },
          { name: WebhookModels.delivery, schema: webhookDeliverySchema },
        ]),
        HealthModule.forRoot({ database: true }),
        MetricsModule,
        ThrottlerModule.forRoot({ throttlers: [{ ttl: 60_000, limit: config.REGISTRY_RATE_LIMIT_PER_MINUTE }] }),
        AuditModule,
        SessionModule,
      ],
      controllers: [ConnectionsController, AuthorizeController, OAuthController, ExportsController, ProfilesController, InternalController, InternalExportsController, WebhooksController, RunStatusConsumer, AppliedConfigsConsumer],
      providers: [
        // In this order: the rate limit counts the caller the auth guard named.
        { provide: APP_GUARD, useClass: AuthGuard },
        { provide: APP_GUARD, useClass: RateLimitGuard },
        { provide: APP_FILTER, useClass: ApiErrorFilter },
        CredentialCipher,
        SinkScope,
        DestinationClients,
        ConnectionsService,
        OAuthFlow,
        ExportsService,
        ExportChanges,
        ExportConfigPublisher,
        AppliedConfigs,
        ConnectionMetrics,
        WebhookSecrets,
        WebhooksService,
        WebhookDeliverer,
        WebhookAlerts,
      ],
    };
  }
}
