import { Catch, RpcExceptionFilter, UseFilters } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { Observable, throwError } from 'rxjs';
import { MessageOf, TopicSpec } from '@audience-sync/contracts';
import { BatchConsumerOptions, BatchContext, ReceivedMessage } from './batch-consumer';

/** What the consumer of one handler is configured with, beside the topic it reads. */
export type ConsumeBatchesOptions = Omit<BatchConsumerOptions<TopicSpec>, 'service' | 'topic' | 'handle' | 'groupId'> & {
  /** One group per topic: a function of the topic when one handler reads several. */
  groupId: string | ((topic: TopicSpec) => string);
};

/** The pattern extras the transport reads: the topics' schemas (to validate) and the consumer's options. */
export interface BatchPatternExtras {
  batchTopics: TopicSpec[];
  batchOptions: ConsumeBatchesOptions;
}

type BatchValue<T extends TopicSpec> = MessageOf<T> | (T['tombstones'] extends true ? null : never);

/** A handler's shape for the topics it reads; a mismatch with the topic's schema is a compile error. */
export type BatchHandler<T extends TopicSpec> = (messages: ReceivedMessage<BatchValue<T>>[], ctx: BatchContext) => Promise<void>;

/**
 * Nest's default rpc exception filter turns an error into `{ status, message }`; the batch consumer
 * needs the error itself, to leave the batch uncommitted and report its class on readiness.
 */
@Catch()
class RethrowToConsumer implements RpcExceptionFilter<unknown> {
  catch(error: unknown): Observable<never> {
    return throwError(() => error);
  }
}

/**
 * `@EventPattern(topic name)` for KafkaBatchTransport: the controller method receives validated
 * batches of the topic(s) as its first argument and the BatchContext as its second (as with
 * `@Payload()` and `@Ctx()`, which it implies), and the offsets are committed only when it resolves.
 */
export function ConsumeBatches<T extends TopicSpec>(topics: T | T[], options: ConsumeBatchesOptions) {
  const list = ([] as T[]).concat(topics);
  const extras: BatchPatternExtras = { batchTopics: list, batchOptions: options };
  // Only `value` is named: a method that ignores the context still fits.
  return (target: object, key: string | symbol, descriptor: { value?: BatchHandler<T> }): void => {
    const method = descriptor as TypedPropertyDescriptor<BatchHandler<T>>;
    EventPattern(
      list.map((t) => t.name),
      extras as unknown as Record<string, unknown>,
    )(target, key, method);
    UseFilters(new RethrowToConsumer())(target, key, method);
    Payload()(target, key, 0);
    Ctx()(target, key, 1);
  };
}
