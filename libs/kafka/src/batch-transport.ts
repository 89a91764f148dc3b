import { CustomTransportStrategy, MessageHandler, Server } from '@nestjs/microservices';
import { isObservable, lastValueFrom } from 'rxjs';
import { TopicSpec } from '@audience-sync/contracts';
import { BatchConsumer, BatchConsumers, BatchContext, ReceivedMessage } from './batch-consumer';
import { BatchPatternExtras } from './consume-batches.decorator';
import { ConsumerProgress } from './kafka-health';

/**
 * A Nest transport over kafkajs `eachBatch`: every `@ConsumeBatches` handler gets a BatchConsumer
 * of its own (validate, dead-letter, handle, commit after success, recreate after a crash). Nest
 * closes it after `beforeApplicationShutdown` and before `onApplicationShutdown`, so the in-flight
 * batch can still produce and write to the database within its grace period.
 */
export class KafkaBatchTransport extends Server implements CustomTransportStrategy {
  private readonly consumers: BatchConsumer<TopicSpec>[] = [];
  private readonly gates: Promise<unknown>[] = [];

  constructor(
    private readonly factory: BatchConsumers,
    private readonly concurrencyByGroup: Record<string, number>,
    private readonly progress: ConsumerProgress,
  ) {
    super();
  }

  /**
   * The consumers start once this work is done (a state restore that must not block the HTTP
   * server, which reports its progress on readiness meanwhile); if it fails, start-up fails.
   */
  holdUntil(work: Promise<unknown>): void {
    // Handled here too: it may fail before listen awaits it, which Node would take for an unhandled rejection.
    work.catch(() => undefined);
    this.gates.push(work);
  }

  async listen(callback: (error?: unknown) => void): Promise<void> {
    try {
      await Promise.all(this.gates);
      for (const [pattern, handler] of this.messageHandlers) this.consumers.push(this.consumerFor(pattern, handler));
      await Promise.all(this.consumers.map((c) => c.start()));
      this.progress.consuming();
      callback();
    } catch (error) {
      callback(error);
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.consumers.map((c) => c.stop()));
  }

  on(): never {
    throw new Error('KafkaBatchTransport has no events to listen to');
  }

  unwrap<T>(): T {
    return this.factory as T;
  }

  private consumerFor(pattern: string, handler: MessageHandler): BatchConsumer<TopicSpec> {
    const extras = handler.extras as Partial<BatchPatternExtras> | undefined;
    const topic = extras?.batchTopics?.find((t) => t.name === pattern);
    if (!topic || !extras?.batchOptions) throw new Error(`handler of ${pattern}: declare it with @ConsumeBatches(topic, options), not a bare @EventPattern`);
    const { groupId: group, ...options } = extras.batchOptions;
    const groupId = typeof group === 'string' ? group : group(topic);
    return this.factory.create({
      ...options,
      partitionsConsumedConcurrently: this.concurrencyByGroup[groupId] ?? options.partitionsConsumedConcurrently,
      topic,
      groupId,
      handle: (messages, ctx) => invoke(handler, messages, ctx),
    });
  }
}

/** Nest wraps the method: its result (or the error the filter rethrows) may come as an Observable. */
async function invoke(handler: MessageHandler, messages: ReceivedMessage<unknown>[], ctx: BatchContext): Promise<void> {
  const result: unknown = await handler(messages, ctx);
  if (isObservable(result)) await lastValueFrom(result, { defaultValue: undefined });
}
