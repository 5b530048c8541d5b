import { sql } from 'drizzle-orm';
import type { Database, Statement, Tx } from '../db/database';
import { bool } from '../db/portable';
import { selectList } from '../db/select-list';
import { importJobs, importRejections } from '../db/schema';
import { name } from '../db/statement';
import type { ImportCounts, ImportRejection } from './subscriber-import';

export type ImportJobRow = typeof importJobs.$inferSelect;

const p = sql.placeholder;
const j = importJobs;
const rj = importRejections;
/** A job row as a raw statement returns it: the boolean column as the engine stores it. */
type RawJob = Omit<ImportJobRow, 'rejectionsTruncated'> & { rejectionsTruncated: unknown };
const decode = (r: RawJob): ImportJobRow => ({ ...r, rejectionsTruncated: bool(r.rejectionsTruncated) });
type NewJob = Pick<ImportJobRow, 'id' | 'source' | 'fileName' | 'bytesTotal' | 'spoolPath' | 'startedAt'>;
type Progress = { id: string; rowsDone: number; lineDone: number; created: number; updated: number; rejected: number; at: number };

/** Import jobs and their rejected lines, on either engine; the only place their SQL lives. Writes take the caller's unit. */
export class ImportJobRepo {
  private readonly insertJob: Statement<never, NewJob>;
  private readonly byId: Statement<RawJob, { id: string }>;
  private readonly newest: Statement<RawJob, { limit: number }>;
  private readonly runningJobs: Statement<RawJob>;
  private readonly checkedStmt: Statement<never, { id: string; rows: number; at: number }>;
  private readonly heartbeatStmt: Statement<never, { id: string; at: number }>;
  private readonly reject: Statement<never, { jobId: string; line: number; msisdn: string | null; reason: string }>;
  private readonly progressStmt: Statement<never, Progress>;
  private readonly truncated: Statement<never, { id: string }>;
  private readonly finishStmt: Statement<never, { id: string; status: 'done' | 'failed'; at: number; code: string | null; message: string | null }>;
  private readonly rejectionsOf: Statement<{ line: number; msisdn: string | null; reason: string }, { id: string; limit: number }>;

  constructor(database: Database) {
    const all = selectList(j);
    this.insertJob = database.statement(
      sql`INSERT INTO ${j} (${name(j.id)}, ${name(j.status)}, ${name(j.phase)}, ${name(j.source)}, ${name(j.fileName)}, ${name(j.bytesTotal)}, ${name(j.spoolPath)}, ${name(j.startedAt)}, ${name(j.heartbeatAt)})
          VALUES (${p('id')}, 'running', 'checking', ${p('source')}, ${p('fileName')}, ${p('bytesTotal')}, ${p('spoolPath')}, ${p('startedAt')}, ${p('startedAt')})`,
    );
    this.byId = database.statement(sql`SELECT ${all} FROM ${j} WHERE ${j.id} = ${p('id')}`);
    this.newest = database.statement(sql`SELECT ${all} FROM ${j} ORDER BY ${j.startedAt} DESC, ${j.id} DESC LIMIT ${p('limit')}`);
    this.runningJobs = database.statement(sql`SELECT ${all} FROM ${j} WHERE ${j.status} = 'running' ORDER BY ${j.id}`);
    this.checkedStmt = database.statement(sql`UPDATE ${j} SET ${name(j.phase)} = 'importing', ${name(j.rowsTotal)} = ${p('rows')}, ${name(j.heartbeatAt)} = ${p('at')} WHERE ${j.id} = ${p('id')}`);
    this.heartbeatStmt = database.statement(sql`UPDATE ${j} SET ${name(j.heartbeatAt)} = ${p('at')} WHERE ${j.id} = ${p('id')}`);
    this.reject = database.statement(
      sql`INSERT INTO ${rj} (${name(rj.jobId)}, ${name(rj.line)}, ${name(rj.msisdn)}, ${name(rj.reason)}) VALUES (${p('jobId')}, ${p('line')}, ${p('msisdn')}, ${p('reason')})
          ON CONFLICT (${name(rj.jobId)}, ${name(rj.line)}) DO NOTHING`,
    );
    this.progressStmt = database.statement(
      sql`UPDATE ${j} SET ${name(j.rowsDone)} = ${p('rowsDone')}, ${name(j.lineDone)} = ${p('lineDone')}, ${name(j.created)} = ${p('created')}, ${name(j.updated)} = ${p('updated')},
            ${name(j.rejected)} = ${p('rejected')}, ${name(j.heartbeatAt)} = ${p('at')} WHERE ${j.id} = ${p('id')}`,
    );
    // TRUE is a literal both engines read into a boolean column (1 on SQLite): nothing to bind.
    this.truncated = database.statement(sql`UPDATE ${j} SET ${name(j.rejectionsTruncated)} = TRUE WHERE ${j.id} = ${p('id')}`);
    // Only a job still running can end: a job declared interrupted stays so.
    this.finishStmt = database.statement(
      sql`UPDATE ${j} SET ${name(j.status)} = ${p('status')}, ${name(j.finishedAt)} = ${p('at')}, ${name(j.spoolPath)} = NULL,
            ${name(j.errorCode)} = coalesce(${p('code')}, ${j.errorCode}), ${name(j.errorMessage)} = coalesce(${p('message')}, ${j.errorMessage})
          WHERE ${j.id} = ${p('id')} AND ${j.status} = 'running'`,
    );
    this.rejectionsOf = database.statement(
      sql`SELECT ${rj.line} AS "line", ${rj.msisdn} AS "msisdn", ${rj.reason} AS "reason" FROM ${rj} WHERE ${rj.jobId} = ${p('id')} ORDER BY ${rj.line} LIMIT ${p('limit')}`,
    );
  }

  /** Records a new running job. */
  async create(row: NewJob, tx: Tx): Promise<void> {
    await this.insertJob.run(row, tx);
  }

  /** The job or null. */
  async find(id: string): Promise<ImportJobRow | null> {
    const r = await this.byId.get({ id });
    return r ? decode(r) : null;
  }

  /** The most recent jobs, newest first. */
  async recent(limit: number): Promise<ImportJobRow[]> {
    return (await this.newest.all({ limit })).map(decode);
  }

  /** Jobs still marked running (by this process or one that died). */
  async running(): Promise<ImportJobRow[]> {
    return (await this.runningJobs.all()).map(decode);
  }

  /** The file was checked: it has `rows` data lines and writing starts. */
  async checked(id: string, rows: number, at: number, tx: Tx): Promise<void> {
    await this.checkedStmt.run({ id, rows, at }, tx);
  }

  /** The job is alive (a long check pass writes nothing else). */
  async heartbeat(id: string, at: number, tx: Tx): Promise<void> {
    await this.heartbeatStmt.run({ id, at }, tx);
  }

  /** Totals after a batch, and the batch's rejected lines while fewer than `keep` are stored. */
  async progress(id: string, t: ImportCounts, rejections: ImportRejection[], keep: number, at: number, tx: Tx): Promise<void> {
    const stored = t.rejected - rejections.length;
    const room = Math.max(0, keep - stored);
    const ins = rejections.slice(0, room);
    for (const r of ins) await this.reject.run({ jobId: id, line: r.line, msisdn: r.msisdn ?? null, reason: r.reason }, tx);
    await this.progressStmt.run({ id, rowsDone: t.rowsDone, lineDone: t.lineDone, created: t.created, updated: t.updated, rejected: t.rejected, at }, tx);
    if (ins.length < rejections.length) await this.truncated.run({ id }, tx);
  }

  /** Ends a job; only a job still running can end (a job declared interrupted stays so). True when ended. */
  async finish(id: string, status: 'done' | 'failed', at: number, tx: Tx, error?: { code: string; message: string }): Promise<boolean> {
    return (await this.finishStmt.run({ id, status, at, code: error?.code ?? null, message: error?.message ?? null }, tx)) > 0;
  }

  /** The first rejected lines of a job, by line. */
  async rejections(id: string, limit: number): Promise<ImportRejection[]> {
    return (await this.rejectionsOf.all({ id, limit })).map((r) => ({ line: r.line, ...(r.msisdn ? { msisdn: r.msisdn } : {}), reason: r.reason }));
  }
}
