import { CustomTransportStrategy, MessageHandler, Server } from '@nestjs/microservices';
import { isObservable, lastValueFrom } from 'rxjs';
import { TopicSpec } from '@audience-sync/contracts';
import { BatchConsumer, BatchConsumers, BatchContext, ReceivedMessage } from './batch-consumer';
import { BatchPatternExtras } from './consume-batches.decorator';

/**
 * A Nest transport over kafkajs `eachBatch`: every `@ConsumeBatches` handler gets a BatchConsumer
 * of its own (validate, dead-letter, handle, commit after success, recreate after a crash). Nest
 * closes it after `beforeApplicationShutdown` and before `onApplicationShutdown`, so the in-flight
 * batch can still produce and write to the database within its grace period.
 */
export class KafkaBatchTransport extends Server implements CustomTransportStrategy {
  private readonly consumers: BatchConsumer<TopicSpec>[] = [];

  constructor(
    private readonly factory: BatchConsumers,
    private readonly concurrencyByGroup: Record<string, number>,
  ) {
    super();
  }

  async listen(callback: (error?: unknown) => void): Promise<void> {
    try {
      for (const [pattern, handler] of this.messageHandlers) this.consumers.push(this.consumerFor(pattern, handler));
      await Promise.all(this.consumers.map((c) => c.start()));
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
