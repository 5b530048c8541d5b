/** One figure a benchmark reports. */
export interface BenchResult {
  /** e.g. "ussd.hops_per_second". */
  name: string;
  value: number;
  unit: string;
  /** The baseline measured in the same run (bare Fastify, raw smpp client) and value/baseline. */
  baseline?: { name: string; value: number };
  ratio?: number;
  /** The target, as text ("ratio >= 0.4"). */
  target?: string;
  extra?: Record<string, unknown>;
}

export interface BenchContext {
  /** Smaller populations and shorter runs (`vasgw bench --quick`). */
  quick: boolean;
  /** Progress lines on stderr. */
  progress: (line: string) => void;
}

/** A benchmark; each runs in its own child process so its peak RSS is its own. */
export interface Bench {
  name: string;
  description: string;
  run(ctx: BenchContext): Promise<BenchResult[]>;
}
