import { Module } from '@nestjs/common';
import { collectDefaultMetrics, register } from 'prom-client';
import { MetricsController } from './metrics.controller';
import { ConsumerMetrics } from './consumer-metrics';

/**
 * `GET /metrics` on a service: its own metrics (declared where they are counted, see `counter`),
 * its consumers' lag and dead letters, and Node's process metrics (CPU, memory, event loop, GC).
 */
@Module({ controllers: [MetricsController], providers: [ConsumerMetrics] })
export class MetricsModule {
  constructor() {
    if (!register.getSingleMetric('process_cpu_user_seconds_total')) collectDefaultMetrics();
  }
}
