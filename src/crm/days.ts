import { DAY, HOUR } from '../lib/clock';

/**
 * Whole days in the configured time zone, numbered from 1970-01-01 (local). Reports and detectors count
 * days the way the content team and the subscribers live them, not in UTC.
 */
export class Days {
  private readonly offsets = new Map<number, number>();
  // The last hour asked for: a pass reads the log in time order, so most calls ask for it again.
  private lastHour = NaN;
  private lastOffset = 0;
  private readonly fmt: Intl.DateTimeFormat;

  constructor(readonly timeZone: string) {
    this.fmt = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
  }

  /** The zone's offset from UTC at `ms` (cached per hour, which every real zone change respects). */
  offset(ms: number): number {
    const h = Math.floor(ms / HOUR);
    if (h === this.lastHour) return this.lastOffset;
    let o = this.offsets.get(h);
    if (o === undefined) {
      const parts = Object.fromEntries(this.fmt.formatToParts(new Date(h * HOUR)).map((p) => [p.type, p.value]));
      const local = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second));
      o = local - h * HOUR;
      if (this.offsets.size > 100_000) this.offsets.clear();
      this.offsets.set(h, o);
    }
    this.lastHour = h;
    this.lastOffset = o;
    return o;
  }

  /** The local day number of an instant. */
  of(ms: number): number {
    return Math.floor((ms + this.offset(ms)) / DAY);
  }

  /** The instant local day `day` starts. */
  start(day: number): number {
    const guess = day * DAY;
    return guess - this.offset(guess - this.offset(guess));
  }

  /** `YYYY-MM-DD` of a day number. */
  iso(day: number): string {
    return new Date(day * DAY).toISOString().slice(0, 10);
  }

  /** Cohort label of a day: `YYYY-MM` by month, or the Monday `YYYY-MM-DD` starting its week. */
  cohort(day: number, by: 'week' | 'month'): string {
    if (by === 'month') return this.iso(day).slice(0, 7);
    const dow = (new Date(day * DAY).getUTCDay() + 6) % 7; // Monday = 0
    return this.iso(day - dow);
  }
}
