import type { FastifyBaseLogger } from 'fastify';

type Bindings = Parameters<FastifyBaseLogger['child']>[0];
type ChildOptions = NonNullable<Parameters<FastifyBaseLogger['child']>[1]>;
type Log = (...args: unknown[]) => void;

/**
 * A request's logger, built on first use. Fastify gives every request a child logger bound to its id;
 * building a pino child costs several microseconds on every USSD hop, and most requests log nothing.
 */
class LazyChildLogger implements FastifyBaseLogger {
  private real: FastifyBaseLogger | null = null;

  constructor(
    private readonly parent: FastifyBaseLogger,
    private readonly bindings: Bindings,
    private readonly options: ChildOptions,
  ) {}

  private get log(): FastifyBaseLogger {
    return (this.real ??= this.parent.child(this.bindings, this.options));
  }

  /** True when the level filters this method out (request logging at `warn` writes nothing: build nothing). */
  private quiet(method: string): boolean {
    if (this.real) return false;
    const values = (this.parent as { levels?: { values?: Record<string, number> } }).levels?.values;
    const level = this.level;
    if (level === 'silent') return true;
    const at = values?.[level];
    const of = values?.[method];
    return at !== undefined && of !== undefined && of < at;
  }

  get level(): string {
    return this.real ? this.real.level : (this.options.level ?? this.parent.level);
  }

  set level(level: string) {
    this.log.level = level;
  }

  // Methods on the prototype (no closures per request); pino's need the real child as `this`.
  fatal(...args: unknown[]): void {
    this.write('fatal', args);
  }
  error(...args: unknown[]): void {
    this.write('error', args);
  }
  warn(...args: unknown[]): void {
    this.write('warn', args);
  }
  info(...args: unknown[]): void {
    this.write('info', args);
  }
  debug(...args: unknown[]): void {
    this.write('debug', args);
  }
  trace(...args: unknown[]): void {
    this.write('trace', args);
  }
  private write(method: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace', args: unknown[]): void {
    if (this.quiet(method)) return;
    const log = this.log;
    (log[method] as Log).apply(log, args);
  }
  silent(): void {}

  child(bindings: Bindings, options?: ChildOptions): FastifyBaseLogger {
    return this.log.child(bindings, options);
  }
}

/** Fastify's `childLoggerFactory`: the same child as the default, made only when something logs. */
export function lazyChildLogger(logger: FastifyBaseLogger, bindings: Bindings, options: ChildOptions): FastifyBaseLogger {
  return new LazyChildLogger(logger, bindings, options);
}
