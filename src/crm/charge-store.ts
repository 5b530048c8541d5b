/** A charge attempt: [at, serviceId, outcome (1 renewal charged, 2 first charge, 0 failed), amountMinor]. */
export type ChargeEntry = [number, string, number, number];

/** Charges kept per subscriber: a daily service's two-week window fits, and the oldest give way first. */
export const CHARGES_PER_SUBSCRIBER = 16;

/**
 * Recent charge attempts of the subscribers who pay, in typed-array rings (a slot of 16 per paying
 * subscriber, allocated on first charge): a million subscribers' worth costs tens of megabytes, not the
 * hundreds that arrays of small arrays would.
 */
export class ChargeStore {
  private slotOf = new Int32Array(0);
  private at = new Float64Array(0);
  private svc = new Uint8Array(0);
  private outcome = new Int8Array(0);
  private amount = new Int32Array(0);
  private head = new Uint8Array(0);
  private count = new Uint8Array(0);
  private slots = 0;
  private readonly services: string[] = [];
  private readonly serviceCodes = new Map<string, number>();

  /** Makes room for subscriber ids up to `maxId`. */
  grow(maxId: number): void {
    if (maxId < this.slotOf.length) return;
    const next = new Int32Array(Math.max(maxId + 1, Math.ceil(this.slotOf.length * 1.5), 1024)).fill(-1);
    next.set(this.slotOf);
    this.slotOf = next;
  }

  private slot(sub: number): number {
    let s = this.slotOf[sub]!;
    if (s >= 0) return s;
    s = this.slots++;
    if (s >= this.head.length) {
      const cap = Math.max(1024, this.head.length * 2);
      const g = <T extends Float64Array | Uint8Array | Int8Array | Int32Array>(a: T, n: number): T => {
        const b = new (a.constructor as new (n: number) => T)(n);
        b.set(a);
        return b;
      };
      this.at = g(this.at, cap * CHARGES_PER_SUBSCRIBER);
      this.svc = g(this.svc, cap * CHARGES_PER_SUBSCRIBER);
      this.outcome = g(this.outcome, cap * CHARGES_PER_SUBSCRIBER);
      this.amount = g(this.amount, cap * CHARGES_PER_SUBSCRIBER);
      this.head = g(this.head, cap);
      this.count = g(this.count, cap);
    }
    this.slotOf[sub] = s;
    return s;
  }

  private code(serviceId: string): number {
    let c = this.serviceCodes.get(serviceId);
    if (c === undefined) {
      c = this.services.length;
      this.services.push(serviceId);
      this.serviceCodes.set(serviceId, c);
    }
    return c;
  }

  /** Remembers a charge attempt (the oldest one gives way when the ring is full). */
  add(sub: number, e: ChargeEntry): void {
    const s = this.slot(sub);
    const n = this.count[s]!;
    const h = this.head[s]!;
    const pos = s * CHARGES_PER_SUBSCRIBER + ((h + n) % CHARGES_PER_SUBSCRIBER);
    if (n === CHARGES_PER_SUBSCRIBER) this.head[s] = (h + 1) % CHARGES_PER_SUBSCRIBER;
    else this.count[s] = n + 1;
    this.at[pos] = e[0];
    this.svc[pos] = this.code(e[1]);
    this.outcome[pos] = e[2];
    this.amount[pos] = e[3];
  }

  /** Replaces a subscriber's charges (loading their row). */
  set(sub: number, entries: readonly ChargeEntry[]): void {
    if (this.slotOf[sub]! >= 0) this.count[this.slotOf[sub]!] = 0;
    for (const e of entries) this.add(sub, e);
  }

  /** Forgets a subscriber's charges. */
  clear(sub: number): void {
    const s = this.slotOf[sub]!;
    if (s >= 0) this.count[s] = 0;
  }

  /** A subscriber's charges, oldest first (a fresh array). */
  get(sub: number): ChargeEntry[] {
    const s = sub < this.slotOf.length ? this.slotOf[sub]! : -1;
    if (s < 0) return [];
    const out: ChargeEntry[] = [];
    for (let k = 0; k < this.count[s]!; k++) {
      const pos = s * CHARGES_PER_SUBSCRIBER + ((this.head[s]! + k) % CHARGES_PER_SUBSCRIBER);
      out.push([this.at[pos]!, this.services[this.svc[pos]!]!, this.outcome[pos]!, this.amount[pos]!]);
    }
    return out.sort((a, b) => a[0] - b[0]);
  }
}
