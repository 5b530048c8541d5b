import { and, asc, desc, eq } from 'drizzle-orm';
import type { Db } from '../db/client';
import { importJobs, importRejections } from '../db/schema';
import type { ImportCounts, ImportRejection } from './subscriber-import';

export type ImportJobRow = typeof importJobs.$inferSelect;

/** Import jobs and their rejected lines; the only place their SQL lives. */
export class ImportJobRepo {
  constructor(private readonly db: Db) {}

  /** Records a new running job. */
  create(row: Pick<ImportJobRow, 'id' | 'source' | 'fileName' | 'bytesTotal' | 'spoolPath' | 'startedAt'>): void {
    this.db.insert(importJobs).values({ ...row, status: 'running', phase: 'checking', heartbeatAt: row.startedAt }).run();
  }

  /** The job or null. */
  find(id: string): ImportJobRow | null {
    return this.db.select().from(importJobs).where(eq(importJobs.id, id)).get() ?? null;
  }

  /** The most recent jobs, newest first. */
  recent(limit: number): ImportJobRow[] {
    return this.db.select().from(importJobs).orderBy(desc(importJobs.startedAt), desc(importJobs.id)).limit(limit).all();
  }

  /** Jobs still marked running (by this process or one that died). */
  running(): ImportJobRow[] {
    return this.db.select().from(importJobs).where(eq(importJobs.status, 'running')).all();
  }

  /** The file was checked: it has `rows` data lines and writing starts. */
  checked(id: string, rows: number, at: number): void {
    this.db.update(importJobs).set({ phase: 'importing', rowsTotal: rows, heartbeatAt: at }).where(eq(importJobs.id, id)).run();
  }

  /** The job is alive (a long check pass writes nothing else). */
  heartbeat(id: string, at: number): void {
    this.db.update(importJobs).set({ heartbeatAt: at }).where(eq(importJobs.id, id)).run();
  }

  /** Totals after a batch, and the batch's rejected lines while fewer than `keep` are stored. */
  progress(id: string, t: ImportCounts, rejections: ImportRejection[], keep: number, at: number): void {
    const stored = t.rejected - rejections.length;
    const room = Math.max(0, keep - stored);
    const ins = rejections.slice(0, room);
    if (ins.length > 0) this.db.insert(importRejections).values(ins.map((r) => ({ jobId: id, line: r.line, msisdn: r.msisdn ?? null, reason: r.reason }))).onConflictDoNothing().run();
    this.db
      .update(importJobs)
      .set({ rowsDone: t.rowsDone, lineDone: t.lineDone, created: t.created, updated: t.updated, rejected: t.rejected, heartbeatAt: at, ...(ins.length < rejections.length ? { rejectionsTruncated: true } : {}) })
      .where(eq(importJobs.id, id))
      .run();
  }

  /** Ends a job; only a job still running can end (a job declared interrupted stays so). */
  finish(id: string, status: 'done' | 'failed', at: number, error?: { code: string; message: string }): boolean {
    const r = this.db
      .update(importJobs)
      .set({ status, finishedAt: at, spoolPath: null, ...(error ? { errorCode: error.code, errorMessage: error.message } : {}) })
      .where(and(eq(importJobs.id, id), eq(importJobs.status, 'running')))
      .run();
    return r.changes > 0;
  }

  /** The first rejected lines of a job, by line. */
  rejections(id: string, limit: number): ImportRejection[] {
    return this.db
      .select()
      .from(importRejections)
      .where(eq(importRejections.jobId, id))
      .orderBy(asc(importRejections.line))
      .limit(limit)
      .all()
      .map((r) => ({ line: r.line, ...(r.msisdn ? { msisdn: r.msisdn } : {}), reason: r.reason }));
  }
}
