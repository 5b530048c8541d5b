import type { Statement } from 'better-sqlite3';
import type { Db } from '../db/client';
import type { ProfileValue } from './profile-schema';

/** A subscriber row as the gateway uses it. */
export interface Subscriber {
  id: number;
  msisdn: string;
  language: string | null;
  region: string | null;
  crop: string | null;
  operator: string | null;
  profile: Record<string, ProfileValue>;
  optedOut: boolean;
  optedOutAt: number | null;
  firstSeenAt: number;
  /** Last inbound traffic (a session, an SMS, a payment); null until the subscriber is first heard from. */
  lastSeenAt: number | null;
  updatedAt: number;
}

interface Row {
  id: number;
  msisdn: string;
  language: string | null;
  region: string | null;
  crop: string | null;
  operator: string | null;
  profile: string;
  opted_out: number;
  opted_out_at: number | null;
  first_seen_at: number;
  last_seen_at: number | null;
  updated_at: number;
}

const fromRow = (r: Row): Subscriber => ({
  id: r.id,
  msisdn: r.msisdn,
  language: r.language,
  region: r.region,
  crop: r.crop,
  operator: r.operator,
  profile: JSON.parse(r.profile) as Record<string, ProfileValue>,
  optedOut: r.opted_out === 1,
  optedOutAt: r.opted_out_at,
  firstSeenAt: r.first_seen_at,
  lastSeenAt: r.last_seen_at,
  updatedAt: r.updated_at,
});

/** Fields of the profile that have their own column; others live in `profile`. */
export const PROFILE_COLUMNS = ['language', 'region', 'crop', 'operator'] as const;

/**
 * Data access for subscribers. Hot paths (every USSD hop touches a subscriber) use prepared
 * statements on the raw connection rather than building SQL per call.
 */
export class SubscriberRepo {
  private readonly byMsisdn: Statement<[string], Row>;
  private readonly byId: Statement<[number], Row>;
  private readonly insert: Statement<[string, string | null, number, number | null, number], Row>;
  private readonly touch: Statement<[number, number]>;
  /** Prepared UPDATEs by the set of columns they write (a handful of shapes in practice). */
  private readonly updates = new Map<string, Statement>();

  constructor(private readonly db: Db) {
    const c = db.$client;
    this.byMsisdn = c.prepare('SELECT * FROM subscribers WHERE msisdn = ?');
    this.byId = c.prepare('SELECT * FROM subscribers WHERE id = ?');
    this.insert = c.prepare(
      'INSERT INTO subscribers (msisdn, operator, first_seen_at, last_seen_at, updated_at) VALUES (?, ?, ?, ?, ?) RETURNING *',
    );
    this.touch = c.prepare('UPDATE subscribers SET last_seen_at = max(coalesce(last_seen_at, 0), ?) WHERE id = ?');
  }

  /** The subscriber with this E.164 number, or null. */
  findByMsisdn(msisdn: string): Subscriber | null {
    const r = this.byMsisdn.get(msisdn);
    return r ? fromRow(r) : null;
  }

  /** The subscriber with this id, or null. */
  findById(id: number): Subscriber | null {
    const r = this.byId.get(id);
    return r ? fromRow(r) : null;
  }

  /** Creates the subscriber; last-seen is set only when the subscriber is the one getting in touch (`seen`). */
  create(msisdn: string, operator: string | null, now: number, seen = true): Subscriber {
    return fromRow(this.insert.get(msisdn, operator, now, seen ? now : null, now)!);
  }

  /** Moves last-seen forward (never back, so late events do not rewind it). */
  touchLastSeen(id: number, now: number): void {
    this.touch.run(now, id);
  }

  /** Writes profile columns and custom fields. */
  update(id: number, patch: Partial<Pick<Subscriber, 'language' | 'region' | 'crop' | 'operator' | 'profile'>>, now: number): void {
    const sets: string[] = [];
    const args: unknown[] = [];
    for (const k of PROFILE_COLUMNS) {
      if (patch[k] !== undefined) {
        sets.push(`${k} = ?`);
        args.push(patch[k]);
      }
    }
    if (patch.profile !== undefined) {
      sets.push('profile = ?');
      args.push(JSON.stringify(patch.profile));
    }
    sets.push('updated_at = ?');
    args.push(now, id);
    const sql = `UPDATE subscribers SET ${sets.join(', ')} WHERE id = ?`;
    let stmt = this.updates.get(sql);
    if (!stmt) this.updates.set(sql, (stmt = this.db.$client.prepare(sql)));
    stmt.run(...args);
  }

  /** Sets or clears the opt-out flag. */
  setOptOut(id: number, optedOut: boolean, now: number): void {
    this.db.$client
      .prepare('UPDATE subscribers SET opted_out = ?, opted_out_at = ?, updated_at = ? WHERE id = ?')
      .run(optedOut ? 1 : 0, optedOut ? now : null, now, id);
  }
}
