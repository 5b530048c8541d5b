/** Time source. Everything that needs "now" takes a Clock so tests and `vasgw detect --now` can replay any day. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

/** The wall clock; only the composition root and the CLI construct it. */
export const systemClock: Clock = { now: () => Date.now() };

/**
 * A clock that moves only when told to; for tests and replays. It keeps whole milliseconds, as Date.now()
 * does: instants are stored in integer columns, which PostgreSQL refuses a fraction for (bigint) while
 * SQLite quietly stores it as a real, so a fractional set or advance would make the engines differ.
 */
export class ManualClock implements Clock {
  private t: number;
  constructor(t: number) {
    this.t = Math.floor(t);
  }
  now(): number {
    return this.t;
  }
  set(t: number | string | Date): void {
    this.t = Math.floor(typeof t === 'number' ? t : new Date(t).getTime());
  }
  advance(ms: number): void {
    this.t = Math.floor(this.t + ms);
  }
}

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/** ISO-8601 text for an epoch-ms instant (null stays null). */
export function iso(ms: number | null | undefined): string | null {
  return ms == null ? null : new Date(ms).toISOString();
}
