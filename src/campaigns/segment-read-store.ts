import { sql } from 'drizzle-orm';
import type { Database, Statement } from '../db/database';
import { json } from '../db/portable';
import { selectList } from '../db/select-list';
import { segments } from '../db/schema';
import { notFound } from '../lib/errors';
import type { SegmentRow } from './segment-repo';
import type { Segment } from './segment-service';
import type { SegmentFilter } from './segment-filter';

const p = sql.placeholder;

/** The segments row as a raw statement returns it: the filter still encoded (text on SQLite). */
type RawSegment = Omit<SegmentRow, 'filter'> & { filter: unknown };

const decode = (x: RawSegment): Segment => ({ ...x, filter: json<SegmentFilter>(x.filter) });

/**
 * Saved segments as the segment pages and GET endpoints read them, on either engine. Who matches a
 * filter is not here: the compiled filter is SQLite's SQL today (src/campaigns/segment-repo.ts).
 */
export class SegmentReadStore {
  private readonly byId: Statement<RawSegment, { id: string }>;
  private readonly newest: Statement<RawSegment, { limit: number }>;

  constructor(db: Database) {
    this.byId = db.statement(sql`SELECT ${selectList(segments)} FROM ${segments} WHERE ${segments.id} = ${p('id')}`);
    this.newest = db.statement(sql`SELECT ${selectList(segments)} FROM ${segments} ORDER BY ${segments.createdAt} DESC, ${segments.id} DESC LIMIT ${p('limit')}`);
  }

  /** The segment or null. */
  async find(id: string): Promise<Segment | null> {
    const row = await this.byId.get({ id });
    return row ? decode(row) : null;
  }

  /** The segment; 404 otherwise (as SegmentService.require). */
  async require(id: string): Promise<Segment> {
    const s = await this.find(id);
    if (!s) throw notFound('SEGMENT_NOT_FOUND', `No segment with id ${id}.`);
    return s;
  }

  /** Segments, newest first (ties by id, newest first). */
  async list(limit: number): Promise<Segment[]> {
    return (await this.newest.all({ limit })).map(decode);
  }
}
