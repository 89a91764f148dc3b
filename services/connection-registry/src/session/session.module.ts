import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { AuditModule } from '../audit/audit.module';
import { SessionController } from './session.controller';
import { SESSION_MODEL, sessionSchema } from './session.models';
import { Sessions } from './session.service';

/** The admin console's sign-in: POST/GET/DELETE /session, and Sessions for the auth guard. */
@Module({
  imports: [MongooseModule.forFeature([{ name: SESSION_MODEL, schema: sessionSchema }]), AuditModule],
  controllers: [SessionController],
  providers: [Sessions],
  exports: [Sessions],
})
export class SessionModule {}
