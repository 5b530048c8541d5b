import type { Statement } from 'better-sqlite3';
import type { Db } from '../db/client';

/** One stored part of a concatenated message. */
export interface ConcatPart {
  seq: number;
  total: number;
  dataCoding: number;
  data: Buffer;
}

/** A whole (or, after the timeout, partial) message. */
export interface ConcatGroup {
  groupKey: string;
  parts: ConcatPart[];
  meta: Record<string, unknown>;
  /** Parts that never came (empty when whole). */
  missing: number[];
}

interface Row {
  seq: number;
  total: number;
  data_coding: number;
  data: Buffer;
  meta: string;
}

/**
 * Durable reassembly of concatenated SMS: each part is stored when it arrives (its sender already got
 * an acknowledgement), duplicates are ignored, and the group is handed back and removed once every
 * part is in. Groups still incomplete after the timeout are handed back with what arrived.
 */
export class ConcatBuffer {
  private readonly insert: Statement;
  private readonly count: Statement<[string], { n: number }>;
  private readonly load: Statement<[string], Row>;
  private readonly remove: Statement<[string]>;
  private readonly stale: Statement<[number], { group_key: string }>;
  private readonly firstMeta: Statement<[string], { meta: string }>;

  constructor(db: Db) {
    const c = db.$client;
    this.insert = c.prepare(
      'INSERT OR IGNORE INTO concat_parts (group_key, seq, total, data_coding, data, meta, received_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    this.count = c.prepare('SELECT count(*) AS n FROM concat_parts WHERE group_key = ?');
    this.load = c.prepare('SELECT seq, total, data_coding, data, meta FROM concat_parts WHERE group_key = ? ORDER BY seq');
    this.remove = c.prepare('DELETE FROM concat_parts WHERE group_key = ?');
    this.stale = c.prepare('SELECT DISTINCT group_key FROM concat_parts WHERE received_at < ? LIMIT 500');
    this.firstMeta = c.prepare('SELECT meta FROM concat_parts WHERE group_key = ? ORDER BY id LIMIT 1');
  }

  /** The meta stored with the group's first part, or null when no part is stored. */
  metaOf(groupKey: string): Record<string, unknown> | null {
    const r = this.firstMeta.get(groupKey);
    return r ? (JSON.parse(r.meta) as Record<string, unknown>) : null;
  }

  /** Stores a part; returns the whole group when this part completed it (call inside a transaction). */
  add(p: { groupKey: string; seq: number; total: number; dataCoding: number; data: Buffer; meta: Record<string, unknown>; at: number }): ConcatGroup | null {
    this.insert.run(p.groupKey, p.seq, p.total, p.dataCoding, p.data, JSON.stringify(p.meta), p.at);
    if (this.count.get(p.groupKey)!.n < p.total) return null;
    return this.take(p.groupKey);
  }

  /** Groups whose first part arrived before `before`, removed and returned with what they have. */
  expired(before: number): ConcatGroup[] {
    return this.stale.all(before).map((r) => this.take(r.group_key));
  }

  private take(groupKey: string): ConcatGroup {
    const rows = this.load.all(groupKey);
    this.remove.run(groupKey);
    const total = rows[0]?.total ?? 0;
    const have = new Set(rows.map((r) => r.seq));
    const missing: number[] = [];
    for (let s = 1; s <= total; s++) if (!have.has(s)) missing.push(s);
    return {
      groupKey,
      parts: rows.map((r) => ({ seq: r.seq, total: r.total, dataCoding: r.data_coding, data: r.data })),
      meta: rows[0] ? (JSON.parse(rows[0].meta) as Record<string, unknown>) : {},
      missing,
    };
  }
}

/** Joins the parts' bytes (so a character split across parts survives) and decodes with `decode`. */
export function joinParts(group: ConcatGroup, decode: (bytes: Buffer, dataCoding: number) => string): string {
  const parts = group.parts;
  if (parts.length === 0) return '';
  const sameCoding = parts.every((p) => p.dataCoding === parts[0]!.dataCoding);
  if (sameCoding) return decode(Buffer.concat(parts.map((p) => p.data)), parts[0]!.dataCoding);
  return parts.map((p) => decode(p.data, p.dataCoding)).join('');
}
