import { Registry, collectDefaultMetrics, Counter, Histogram, Gauge } from 'prom-client';

/** The Prometheus registry of one gateway; every component registers its metrics here. */
export interface Metrics {
  registry: Registry;
  counter(name: string, help: string, labelNames?: string[]): Counter<string>;
  /** A gauge; `collect` runs at each scrape and may read asynchronously (the scrape waits for it). */
  gauge(name: string, help: string, labelNames?: string[], collect?: (g: Gauge<string>) => void | Promise<void>): Gauge<string>;
  histogram(name: string, help: string, labelNames?: string[], buckets?: number[]): Histogram<string>;
}

/** A fresh registry with process metrics; metric names get the `vasgw_` prefix. */
export function createMetrics(opts: { processMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (opts.processMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'vasgw_' });
  const existing = <T>(name: string) => registry.getSingleMetric(`vasgw_${name}`) as T | undefined;
  return {
    registry,
    counter: (name, help, labelNames = []) =>
      existing<Counter<string>>(name) ?? new Counter({ name: `vasgw_${name}`, help, labelNames, registers: [registry] }),
    gauge: (name, help, labelNames = [], collect) =>
      existing<Gauge<string>>(name) ??
      new Gauge({ name: `vasgw_${name}`, help, labelNames, registers: [registry], ...(collect ? { collect() { return collect(this); } } : {}) }),
    histogram: (name, help, labelNames = [], buckets) =>
      existing<Histogram<string>>(name) ??
      new Histogram({ name: `vasgw_${name}`, help, labelNames, registers: [registry], ...(buckets ? { buckets } : {}) }),
  };
}
