import { sql } from 'drizzle-orm';
import type { Database, Statement, Tx } from '../../db/database';
import { jsonArrayIds } from '../../db/portable';
import { crmTierRevenueDaily, crmTiers } from '../../db/schema';
import { name } from '../../db/statement';
import type { Days } from '../days';

const p = sql.placeholder;
/** Subscribers whose tier one query reads. */
const TIER_CHUNK = 1000;

/**
 * Revenue per value tier and day, on either engine: the pass notes each successful charge as it reads
 * the log, and at the write phase looks up the tiers of the subscribers who paid (a thousand per query,
 * as the last scoring left them: the tiers are recomputed only after the write phase) and adds the sums
 * to crm_tier_revenue_daily.
 */
export class RevenueByTier {
  private sub = new Int32Array(1024);
  private day = new Int32Array(1024);
  private amount = new Float64Array(1024);
  private n = 0;
  private readonly tiers: Statement<[number, string], { ids: string }>;
  private readonly add: Statement<never, { day: number; tier: string; rev: number; n: number }>;

  constructor(
    database: Database,
    private readonly days: Days,
  ) {
    ({ tiers: this.tiers, add: this.add } = RevenueStatements.of(database));
  }

  /** A successful charge of `amountMinor` at `at`. */
  charged(sub: number, at: number, amountMinor: number): void {
    if (this.n === this.sub.length) {
      const grow = <T extends Int32Array | Float64Array>(a: T): T => {
        const b = new (a.constructor as new (n: number) => T)(a.length * 2);
        b.set(a);
        return b;
      };
      this.sub = grow(this.sub);
      this.day = grow(this.day);
      this.amount = grow(this.amount);
    }
    this.sub[this.n] = sub;
    this.day[this.n] = this.days.of(at);
    this.amount[this.n] = amountMinor;
    this.n++;
  }

  /** Adds the charges noted, per day and tier (`none` without one), inside the pass's unit. */
  async flush(tx: Tx): Promise<void> {
    const subs = [...new Set(this.sub.subarray(0, this.n))];
    const tierOf = new Map<number, string>();
    for (let i = 0; i < subs.length; i += TIER_CHUNK) {
      for (const [id, tier] of await this.tiers.all({ ids: JSON.stringify(subs.slice(i, i + TIER_CHUNK)) }, tx)) tierOf.set(id, tier);
    }
    const sums = new Map<string, { day: number; tier: string; rev: number; n: number }>();
    for (let i = 0; i < this.n; i++) {
      const day = this.day[i]!;
      const tier = tierOf.get(this.sub[i]!) ?? 'none';
      const key = `${day}|${tier}`;
      const s = sums.get(key);
      if (s) {
        s.rev += this.amount[i]!;
        s.n++;
      } else sums.set(key, { day, tier, rev: this.amount[i]!, n: 1 });
    }
    // One row per day and tier: a few hundred at most.
    for (const s of sums.values()) await this.add.run(s, tx);
    this.n = 0;
  }
}

const prepared = new WeakMap<Database, RevenueStatements>();

/** The statements of {@link RevenueByTier}, prepared once per database (a tally is built per pass). */
class RevenueStatements {
  readonly tiers: Statement<[number, string], { ids: string }>;
  readonly add: Statement<never, { day: number; tier: string; rev: number; n: number }>;

  private constructor(database: Database) {
    const t = crmTiers;
    this.tiers = database.statement(sql`SELECT ${t.subscriberId}, ${t.tier} FROM ${t} WHERE ${t.subscriberId} IN ${jsonArrayIds(database.dialect, p('ids'))}`, { raw: true });
    const r = crmTierRevenueDaily;
    this.add = database.statement(
      sql`INSERT INTO ${r} (${name(r.day)}, ${name(r.tier)}, ${name(r.revenueMinor)}, ${name(r.charges)}) VALUES (${p('day')}, ${p('tier')}, ${p('rev')}, ${p('n')})
          ON CONFLICT (${name(r.day)}, ${name(r.tier)}) DO UPDATE SET ${name(r.revenueMinor)} = ${r.revenueMinor} + excluded.${name(r.revenueMinor)}, ${name(r.charges)} = ${r.charges} + excluded.${name(r.charges)}`,
    );
  }

  static of(database: Database): RevenueStatements {
    let st = prepared.get(database);
    if (!st) prepared.set(database, (st = new RevenueStatements(database)));
    return st;
  }
}
