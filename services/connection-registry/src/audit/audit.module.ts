import { MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { AUDIT_ENTRY_MODEL, auditEntrySchema } from './audit-entry';
import { AuditController } from './audit.controller';
import { AuditLog } from './audit-log.service';
import { RequestScope } from './request-principal';

/** The audit log: AuditLog for the services that change things, GET /audit to read it. */
@Module({
  imports: [MongooseModule.forFeature([{ name: AUDIT_ENTRY_MODEL, schema: auditEntrySchema }])],
  controllers: [AuditController],
  providers: [AuditLog],
  exports: [AuditLog],
})
export class AuditModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(RequestScope).forRoutes('{*path}');
  }
}
