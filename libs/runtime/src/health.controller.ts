import { Controller, Get, Inject, Optional } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, MongooseHealthIndicator } from '@nestjs/terminus';
import { ConsumerProgress, KafkaHealth } from '@audience-sync/kafka';

export const USES_DATABASE = Symbol('USES_DATABASE');

/**
 * `live`: the process answers. `ready`: its dependencies (Kafka, and the database where used)
 * answer and no consumer is stuck on a batch that keeps failing.
 */
@ApiExcludeController()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly kafka: KafkaHealth,
    private readonly consumers: ConsumerProgress,
    @Optional() private readonly mongoose?: MongooseHealthIndicator,
    @Optional() @Inject(USES_DATABASE) private readonly usesDatabase?: boolean,
  ) {}

  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([]);
  }

  @Get('ready')
  @HealthCheck()
  ready() {
    const checks = [() => this.kafka.check('kafka'), () => this.consumers.check('consumers')];
    if (this.usesDatabase && this.mongoose) checks.push(() => this.mongoose!.pingCheck('database', { timeout: 2000 }) as never);
    return this.health.check(checks);
  }
}
