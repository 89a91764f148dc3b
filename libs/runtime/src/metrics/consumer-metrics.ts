import { Injectable } from '@nestjs/common';
import { ConsumerProgress } from '@audience-sync/kafka';
import { counter, gauge } from './metric';

/**
 * What every service's consumers report, read from ConsumerProgress when Prometheus scrapes: lag per
 * topic and partition (as of the partition's last batch) and dead letters by source topic and reason.
 * Read, not pushed, so libs/kafka needs no metrics library.
 */
@Injectable()
export class ConsumerMetrics {
  constructor(progress: ConsumerProgress) {
    gauge({
      name: 'consumer_lag_messages',
      help: "Messages behind the partition's end, as of the partition's last batch",
      labelNames: ['group', 'topic', 'partition'],
      collect() {
        this.reset();
        for (const { group, topic, partition, lag } of progress.lags()) this.set({ group: stable(group), topic, partition: String(partition) }, lag);
      },
    });
    counter({
      name: 'dead_letters_total',
      help: 'Messages sent to the dead-letter topic, by source topic and reason (tombstone, not-json, schema)',
      labelNames: ['group', 'topic', 'reason'],
      collect() {
        this.reset();
        for (const { group, topic, reason, count } of progress.deadLetters()) this.inc({ group: stable(group), topic, reason }, count);
      },
    });
  }
}

/** A table reader's group ends in a per-process id: one series per table, not one more per restart. */
function stable(group: string): string {
  return group.replace(/\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, '');
}
