import type { Database, Tx } from '../db/database';
import { ConcatRepo, type ConcatPart } from './concat-repo';

export type { ConcatPart } from './concat-repo';

/** A whole (or, after the timeout, partial) message. */
export interface ConcatGroup {
  groupKey: string;
  parts: ConcatPart[];
  meta: Record<string, unknown>;
  /** Parts that never came (empty when whole). */
  missing: number[];
}

/** Stale groups handed back per sweep; the next sweep takes the rest. */
const STALE_PER_SWEEP = 500;

/**
 * Durable reassembly of concatenated SMS: each part is stored when it arrives (its sender already got
 * an acknowledgement), duplicates are ignored, and the group is handed back and removed once every
 * part is in. Groups still incomplete after the timeout are handed back with what arrived.
 */
export class ConcatBuffer {
  private readonly repo: ConcatRepo;

  constructor(db: Database) {
    this.repo = new ConcatRepo(db);
  }

  /** The meta stored with the group's first part, or null when no part is stored. */
  async metaOf(groupKey: string, tx: Tx): Promise<Record<string, unknown> | null> {
    return this.repo.firstMeta(groupKey, tx);
  }

  /** Stores a part inside unit `tx`; resolves with the whole group when this part completed it. */
  async add(p: { groupKey: string; seq: number; total: number; dataCoding: number; data: Buffer; meta: Record<string, unknown>; at: number }, tx: Tx): Promise<ConcatGroup | null> {
    await this.repo.add(p, tx);
    if ((await this.repo.count(p.groupKey, tx)) < p.total) return null;
    return this.take(p.groupKey, tx);
  }

  /** Groups whose first part arrived before `before`, removed inside unit `tx` and returned with what they have. */
  async expired(before: number, tx: Tx): Promise<ConcatGroup[]> {
    const out: ConcatGroup[] = [];
    for (const k of await this.repo.staleGroups(before, STALE_PER_SWEEP, tx)) out.push(await this.take(k, tx));
    return out;
  }

  private async take(groupKey: string, tx: Tx): Promise<ConcatGroup> {
    const { parts, meta } = await this.repo.take(groupKey, tx);
    const total = parts[0]?.total ?? 0;
    const have = new Set(parts.map((r) => r.seq));
    const missing: number[] = [];
    for (let s = 1; s <= total; s++) if (!have.has(s)) missing.push(s);
    return { groupKey, parts, meta: meta ?? {}, missing };
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
