import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { Admin, Kafka } from 'kafkajs';

/**
 * Readiness of the Kafka cluster, probed in the background every few seconds so a readiness
 * request answers at once and a stopped broker shows within 10 seconds. The probe uses its own
 * client without retries: one failed metadata request is enough to say "down".
 */
@Injectable()
export class KafkaHealth implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(KafkaHealth.name);
  private admin?: Admin;
  private timer?: NodeJS.Timeout;
  private state: { up: boolean; detail: string; brokers?: number } = { up: false, detail: 'not probed yet' };

  constructor(
    private readonly probeClient: Kafka,
    private readonly indicators: HealthIndicatorService,
    private readonly intervalMs = 3000,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.probe();
    this.timer = setInterval(() => void this.probe(), this.intervalMs);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.admin?.disconnect().catch(() => undefined);
  }

  check(key = 'kafka') {
    const session = this.indicators.check(key);
    return this.state.up ? session.up({ brokers: this.state.brokers }) : session.down({ message: this.state.detail });
  }

  private async probe(): Promise<void> {
    try {
      this.admin ??= this.probeClient.admin();
      const cluster = await withTimeout(
        this.admin.connect().then(() => this.admin!.describeCluster()),
        this.intervalMs,
      );
      if (!this.state.up) this.logger.log(`Kafka reachable (${cluster.brokers.length} broker(s))`);
      this.state = { up: true, detail: 'ok', brokers: cluster.brokers.length };
    } catch (error) {
      if (this.state.up) this.logger.warn(`Kafka unreachable: ${(error as Error).message}`);
      this.state = { up: false, detail: `cluster unreachable: ${(error as Error).message}` };
      // A fresh client next time: kafkajs may keep a broken connection pool after the broker died.
      const admin = this.admin;
      this.admin = undefined;
      await admin?.disconnect().catch(() => undefined);
    }
  }
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    work.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}
