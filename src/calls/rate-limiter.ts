/**
 * A token bucket for "at most N per second" on a monotonic clock. Real elapsed time, not the
 * business clock: the limit protects the provider's API, which counts real seconds. The bucket holds
 * at most one second's worth, so an idle period does not turn into a burst.
 */
export class RateLimiter {
  private tokens: number;
  private last: number;
  private readonly capacity: number;

  constructor(
    private readonly perSecond: number,
    private readonly now: () => number,
  ) {
    this.capacity = Math.max(1, perSecond);
    this.tokens = this.capacity;
    this.last = now();
  }

  /** Whole tokens available right now. */
  available(): number {
    this.refill();
    return Math.floor(this.tokens);
  }

  /** Takes one token; false when none is left. */
  take(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  private refill(): void {
    const t = this.now();
    this.tokens = Math.min(this.capacity, this.tokens + ((t - this.last) / 1000) * this.perSecond);
    this.last = t;
  }
}
