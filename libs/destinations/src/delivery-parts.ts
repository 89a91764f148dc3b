import { z } from 'zod';
import { EnvValues, HashedBatch, SinkConfig, SinkDelivery } from '@audience-sync/delivery';

/**
 * What a sink host needs from a destination (`<id>/delivery/index.ts`): the sink service it runs
 * as, its changes and run-status topics, how to make its delivery (API calls, batching, error
 * table) from the sink's configuration, and `env`: the variables that delivery reads beside the
 * host's own (`sinkConfig`), which the sink's config.ts spreads into its schema.
 */
export interface DeliveryParts<B extends HashedBatch, Env extends z.ZodRawShape> extends SinkDelivery<B, SinkConfig & EnvValues<Env>> {
  env: Env;
}
