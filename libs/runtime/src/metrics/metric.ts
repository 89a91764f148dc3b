import { Counter, CounterConfiguration, Gauge, GaugeConfiguration, Histogram, HistogramConfiguration, register } from 'prom-client';

/** Every metric of ours starts with this, so a dashboard or rule can find them all. */
export const METRIC_PREFIX = 'audience_sync_';

type Named<C> = Omit<C, 'name'> & { name: string };

/**
 * The one way the services declare a metric: `name` without the prefix (`sink_rows_sent_total`).
 * Declared once per process in the default registry; a second declaration of the same name (a module
 * loaded twice, a spec re-importing) gets the first, so call sites can declare at module level.
 * Labels must be bounded sets: export ids, destinations, reasons and codes, never profile ids or values.
 */
function declare<M>(config: { name: string }, make: (name: string) => M): M {
  const name = METRIC_PREFIX + config.name;
  return (register.getSingleMetric(name) as M | undefined) ?? make(name);
}

export function counter<L extends string>(config: Named<CounterConfiguration<L>>): Counter<L> {
  return declare(config, (name) => new Counter({ ...config, name }));
}

export function gauge<L extends string>(config: Named<GaugeConfiguration<L>>): Gauge<L> {
  return declare(config, (name) => new Gauge({ ...config, name }));
}

export function histogram<L extends string>(config: Named<HistogramConfiguration<L>>): Histogram<L> {
  return declare(config, (name) => new Histogram({ ...config, name }));
}

/** Seconds from 10 ms to about 45 min: a change delivered at once, and a 10 M-profile run. */
export const DURATION_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1200, 2700];
