import { sql } from 'drizzle-orm';
import type { Database, Statement, Tx } from '../db/database';
import { crmDiscoveryDaily, crmDiscoveryProfileDaily } from '../db/schema';
import { name } from '../db/statement';
import { replacing } from './rollups-store';
import type { DiscoveryCounts, MainAgg, ProfileAgg } from './discovery-rollup';

type Counts = Pick<typeof crmDiscoveryDaily.$inferSelect, 'episodes' | 'firstGo' | 'retried' | 'notFound' | 'anyFirstGo' | 'sessions'>;
type MainKey = { day: number; ch: string; flow: string; lang: string; cohort: string; soughtFlow: string; node: string };
type ProfileKey = { day: number; ch: string; flow: string; field: string; value: string };

const counts = (t: typeof crmDiscoveryDaily | typeof crmDiscoveryProfileDaily) =>
  sql`${t.episodes} AS "episodes", ${t.firstGo} AS "firstGo", ${t.retried} AS "retried", ${t.notFound} AS "notFound", ${t.anyFirstGo} AS "anyFirstGo", ${t.sessions} AS "sessions"`;
const countNames = (t: typeof crmDiscoveryDaily | typeof crmDiscoveryProfileDaily) => sql`${name(t.episodes)}, ${name(t.firstGo)}, ${name(t.retried)}, ${name(t.notFound)}, ${name(t.anyFirstGo)}, ${name(t.sessions)}`;
const countValues = sql`${sql.placeholder('episodes')}, ${sql.placeholder('firstGo')}, ${sql.placeholder('retried')}, ${sql.placeholder('notFound')}, ${sql.placeholder('anyFirstGo')}, ${sql.placeholder('sessions')}`;

/** The counts of `a` plus those already stored. */
function plus(a: DiscoveryCounts, o: Counts | undefined): Counts {
  return {
    episodes: (o?.episodes ?? 0) + a.episodes,
    firstGo: (o?.firstGo ?? 0) + a.firstGo,
    retried: (o?.retried ?? 0) + a.retried,
    notFound: (o?.notFound ?? 0) + a.notFound,
    anyFirstGo: (o?.anyFirstGo ?? 0) + a.anyFirstGo,
    sessions: (o?.sessions ?? 0) + a.sessions,
  };
}

/** The discovery rollups' tables, on either engine: a pass adds its episode counts to the day's rows. */
const discoveryStores = new WeakMap<Database, DiscoveryStore>();

export class DiscoveryStore {
  private readonly getMain: Statement<Counts, MainKey>;
  private readonly putMain: Statement<never, MainKey & Counts>;
  private readonly getProfile: Statement<Counts, ProfileKey>;
  private readonly putProfile: Statement<never, ProfileKey & Counts>;

  constructor(database: Database) {
    const m = crmDiscoveryDaily;
    const mainKey = sql`${m.day} = ${sql.placeholder('day')} AND ${m.channel} = ${sql.placeholder('ch')} AND ${m.flowId} = ${sql.placeholder('flow')} AND ${m.language} = ${sql.placeholder('lang')}
      AND ${m.cohort} = ${sql.placeholder('cohort')} AND ${m.soughtFlowId} = ${sql.placeholder('soughtFlow')} AND ${m.nodeId} = ${sql.placeholder('node')}`;
    this.getMain = database.statement(sql`SELECT ${counts(m)} FROM ${m} WHERE ${mainKey}`);
    this.putMain = database.statement(
      sql`INSERT INTO ${m} (${name(m.day)}, ${name(m.channel)}, ${name(m.flowId)}, ${name(m.language)}, ${name(m.cohort)}, ${name(m.soughtFlowId)}, ${name(m.nodeId)}, ${countNames(m)})
        VALUES (${sql.placeholder('day')}, ${sql.placeholder('ch')}, ${sql.placeholder('flow')}, ${sql.placeholder('lang')}, ${sql.placeholder('cohort')}, ${sql.placeholder('soughtFlow')}, ${sql.placeholder('node')}, ${countValues})
        ${replacing([m.day, m.channel, m.flowId, m.language, m.cohort, m.soughtFlowId, m.nodeId], [m.episodes, m.firstGo, m.retried, m.notFound, m.anyFirstGo, m.sessions])}`,
    );
    const p = crmDiscoveryProfileDaily;
    this.getProfile = database.statement(
      sql`SELECT ${counts(p)} FROM ${p} WHERE ${p.day} = ${sql.placeholder('day')} AND ${p.channel} = ${sql.placeholder('ch')} AND ${p.flowId} = ${sql.placeholder('flow')}
        AND ${p.field} = ${sql.placeholder('field')} AND ${p.value} = ${sql.placeholder('value')}`,
    );
    this.putProfile = database.statement(
      sql`INSERT INTO ${p} (${name(p.day)}, ${name(p.channel)}, ${name(p.flowId)}, ${name(p.field)}, ${name(p.value)}, ${countNames(p)})
        VALUES (${sql.placeholder('day')}, ${sql.placeholder('ch')}, ${sql.placeholder('flow')}, ${sql.placeholder('field')}, ${sql.placeholder('value')}, ${countValues})
        ${replacing([p.day, p.channel, p.flowId, p.field, p.value], [p.episodes, p.firstGo, p.retried, p.notFound, p.anyFirstGo, p.sessions])}`,
    );
  }

  /** The store of `database` (one per database, so its statements are prepared once, not once per pass). */
  static of(database: Database): DiscoveryStore {
    let st = discoveryStores.get(database);
    if (!st) discoveryStores.set(database, (st = new DiscoveryStore(database)));
    return st;
  }

  /** Adds one group's episodes to its row of crm_discovery_daily. */
  async addMain(a: MainAgg, tx: Tx): Promise<void> {
    const key: MainKey = { day: a.day, ch: a.ch, flow: a.flow, lang: a.lang, cohort: a.cohort, soughtFlow: a.soughtFlow, node: a.node };
    await this.putMain.run({ ...key, ...plus(a, await this.getMain.get(key, tx)) }, tx);
  }

  /** Adds one profile group's episodes to its row of crm_discovery_profile_daily. */
  async addProfile(a: ProfileAgg, tx: Tx): Promise<void> {
    const key: ProfileKey = { day: a.day, ch: a.ch, flow: a.flow, field: a.field, value: a.value };
    await this.putProfile.run({ ...key, ...plus(a, await this.getProfile.get(key, tx)) }, tx);
  }
}
