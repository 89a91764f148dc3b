import { counter, DURATION_BUCKETS, histogram } from '@audience-sync/runtime';

const byExport = ['export_id', 'destination'] as const;

/** What a sink delivered, per export and destination: rows the platform took, and why the others were not. */
export const sinkMetrics = {
  rowsSent: counter({ name: 'sink_rows_sent_total', help: 'Rows the platform accepted into the audience', labelNames: byExport }),
  rowsRemoved: counter({ name: 'sink_rows_removed_total', help: 'Rows the platform removed from the audience', labelNames: byExport }),
  rowsInvalid: counter({
    name: 'sink_rows_invalid_total',
    help: 'Rows not in the audience because they were invalid: rejected-by-platform (the platform said so) or rejected-upstream (no usable identifier)',
    labelNames: [...byExport, 'reason'],
  }),
  rowsFailed: counter({ name: 'sink_rows_failed_total', help: "Rows of a run that failed permanently (the run's error says why)", labelNames: byExport }),
  batchesRetried: counter({ name: 'sink_batches_retried_total', help: 'Change batches left uncommitted after an error, to be delivered again', labelNames: byExport }),
  changeAge: histogram({
    name: 'sink_change_age_seconds',
    help: 'From the streamer writing a batch of changes to the platform having it (end-to-end latency past the streamer)',
    labelNames: ['destination'],
    buckets: DURATION_BUCKETS,
  }),
};

/** The call loop's view of a platform's API (labelled by the platform's name: the loop does not know exports). */
export const apiMetrics = {
  errors: counter({ name: 'sink_api_errors_total', help: "Failed API answers, by the platform's error code (or http-<status>) and what was done", labelNames: ['platform', 'code', 'action'] }),
  retries: counter({ name: 'sink_api_retries_total', help: 'API calls attempted again after a transient failure or network error', labelNames: ['platform'] }),
  rateLimitWait: counter({ name: 'sink_rate_limit_wait_seconds_total', help: "Seconds spent waiting out the platform's rate limits", labelNames: ['platform'] }),
};
