import { createWriteStream, mkdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import type { Readable } from 'node:stream';
import type { UnitOfWork } from '../db/database';
import type { Clock } from '../lib/clock';
import { iso } from '../lib/clock';
import { AppError } from '../lib/errors';
import { newId } from '../lib/ids';
import type { Lifecycle } from '../lib/lifecycle';
import type { Logger } from '../lib/logger';
import { checkFile, readHeader } from './import-csv';
import type { ImportJobRepo, ImportJobRow } from './import-job-repo';
import { ImportStopped, MAX_ERRORS, type ImportResult, type SubscriberImporter } from './subscriber-import';
import type { Within } from './within';

/** The status of an import job as the API and the CLI show it. */
export interface ImportJobView {
  id: string;
  status: 'running' | 'done' | 'failed';
  phase: 'checking' | 'importing';
  source: 'api' | 'cli';
  fileName: string | null;
  bytes: number;
  rowsTotal: number | null;
  rowsDone: number;
  created: number;
  updated: number;
  rejected: number;
  errors: { line: number; msisdn?: string; reason: string }[];
  errorsTruncated?: boolean;
  error?: { code: string; message: string };
  startedAt: string | null;
  updatedAt: string | null;
  finishedAt: string | null;
}

/** A file to import: a spooled upload (removed when the job ends) or the CLI's own file (kept). */
export interface ImportFile {
  path: string;
  bytes: number;
  /** The file belongs to the job and is removed when it ends. */
  spooled: boolean;
  fileName?: string;
}

/** The body is larger than config campaigns.importMaxBytes. */
export const tooLarge = (max: number) => new AppError(413, 'PAYLOAD_TOO_LARGE', `The CSV is larger than ${max} bytes (config campaigns.importMaxBytes); split it or raise the limit.`);

/**
 * Subscriber imports as durable jobs. An upload is streamed to a spool file (memory stays flat), its
 * header is checked at once, then the job reads the file twice in the background: once for CSV syntax
 * (a broken file is refused whole, nothing written) and to count its rows, then to write them in
 * batches. Every batch commits the job's counts with the rows, so after a crash the job says exactly
 * how far it got; a job whose process stopped heartbeating for a lease is reported as interrupted,
 * never running forever.
 */
export class ImportJobs implements Lifecycle {
  private readonly active = new Map<string, { stop: boolean; done: Promise<unknown> }>();

  constructor(
    private readonly d: {
      repo: ImportJobRepo;
      importer: SubscriberImporter;
      /** Units of work: the group commit on SQLite, transactions on PostgreSQL. */
      units: UnitOfWork;
      clock: Clock;
      log: Logger;
      /** Where uploads are spooled (beside the database; the system temp dir for an in-memory one). */
      spoolDir: string;
      /** A running job with no heartbeat for this long belongs to a process that died. */
      leaseMs: number;
    },
  ) {}

  /** The spool directory for a database path. */
  static spoolDirFor(databasePath: string): string {
    return databasePath === ':memory:' ? path.join(os.tmpdir(), 'vasgw-imports') : path.join(path.dirname(path.resolve(databasePath)), 'imports');
  }

  /** Streams a request body to a spool file; 413 (and nothing kept) past `maxBytes`. */
  async spool(body: Readable, maxBytes: number): Promise<ImportFile> {
    mkdirSync(this.d.spoolDir, { recursive: true });
    const file = path.join(this.d.spoolDir, `${newId('upload', this.d.clock.now())}.csv`);
    const out = createWriteStream(file);
    let bytes = 0;
    try {
      for await (const chunk of body as AsyncIterable<Buffer>) {
        bytes += chunk.length;
        // Past the limit the rest is read and dropped, not cut off: the client then gets its 413.
        if (bytes > maxBytes) continue;
        if (!out.write(chunk)) await once(out, 'drain');
      }
      out.end();
      await once(out, 'finish');
    } catch (e) {
      out.destroy();
      rmSync(file, { force: true });
      throw e;
    }
    if (bytes > maxBytes) {
      rmSync(file, { force: true });
      throw tooLarge(maxBytes);
    }
    return { path: file, bytes, spooled: true };
  }

  /**
   * Checks the header (a 400 now, not a failed job later), records the job (with whatever `within` writes,
   * given the job id, in the same unit) and runs it in the background.
   */
  async launch(file: ImportFile, source: 'api' | 'cli', within?: Within<string>): Promise<ImportJobView> {
    await readHeader(file.path, this.d.importer.fields());
    const id = await this.create(file, source, within);
    const entry = { stop: false, done: Promise.resolve() as Promise<unknown> };
    this.active.set(id, entry);
    entry.done = this.run(id, file, () => entry.stop).finally(() => this.active.delete(id));
    return (await this.status(id))!;
  }

  /** Runs an import to its end in the caller's time (the CLI); `onProgress` after the check and each batch. */
  async runNow(file: ImportFile, source: 'api' | 'cli', onProgress?: (v: ImportJobView) => void): Promise<ImportJobView> {
    const id = await this.create(file, source);
    const entry = { stop: false, done: Promise.resolve() as Promise<unknown> };
    this.active.set(id, entry);
    try {
      entry.done = this.run(id, file, () => entry.stop, onProgress);
      await entry.done;
    } finally {
      this.active.delete(id);
    }
    return (await this.status(id))!;
  }

  /** The job's status, or null; a job whose process died is marked interrupted here. */
  async status(id: string): Promise<ImportJobView | null> {
    const row = await this.d.repo.find(id);
    if (!row) return null;
    if (row.status === 'running' && !this.active.has(id) && this.d.clock.now() - row.heartbeatAt > this.d.leaseMs) {
      await this.interrupt(row, 'the process running it stopped (a crash or a restart)');
      return this.status(id);
    }
    return this.view(row);
  }

  /** The latest jobs, newest first, without their rejected lines. */
  async recent(limit = 20): Promise<ImportJobView[]> {
    const rows = await this.d.repo.recent(limit);
    const out: ImportJobView[] = [];
    for (const r of rows) out.push(await this.view(r, 0));
    return out;
  }

  /** Start-up: jobs left running by a process that died are marked interrupted once their lease is over. */
  async start(): Promise<void> {
    for (const row of await this.d.repo.running()) await this.status(row.id);
  }

  /** Shutdown: running jobs stop after their current batch and say they were interrupted. */
  async stop(): Promise<void> {
    for (const e of this.active.values()) e.stop = true;
    await Promise.allSettled([...this.active.values()].map((e) => e.done));
  }

  private async create(file: ImportFile, source: 'api' | 'cli', within?: Within<string>): Promise<string> {
    const now = this.d.clock.now();
    const id = newId('imp', now);
    await this.d.units.unit(async (tx) => {
      await this.d.repo.create({ id, source, fileName: file.fileName ?? null, bytesTotal: file.bytes, spoolPath: file.spooled ? file.path : null, startedAt: now }, tx);
      await within?.(tx, id);
    });
    return id;
  }

  private async run(id: string, file: ImportFile, stopped: () => boolean, onProgress?: (v: ImportJobView) => void): Promise<ImportResult | null> {
    const log = this.d.log.child({ comp: 'import', job: id });
    const progress = async () => {
      const v = onProgress ? await this.status(id) : null;
      if (v) onProgress!(v);
    };
    try {
      const { header, rows } = await checkFile(file.path, this.d.importer.fields(), async () => {
        if (stopped()) throw new ImportStopped({ rowsDone: 0, lineDone: 1, bytesDone: 0, created: 0, updated: 0, rejected: 0 });
        await this.d.units.unit((tx) => this.d.repo.heartbeat(id, this.d.clock.now(), tx));
      });
      await this.d.units.unit((tx) => this.d.repo.checked(id, rows, this.d.clock.now(), tx));
      await progress();
      const result = await this.d.importer.importFile(file.path, header, {
        stopped,
        onBatch: async (t, rejections, tx) => {
          await this.d.repo.progress(id, t, rejections, MAX_ERRORS, this.d.clock.now(), tx);
          // After the batch's unit is durable: the status read then shows it.
          if (onProgress) setImmediate(() => void progress().catch((err: unknown) => log.warn({ err }, 'import progress report failed')));
        },
      });
      await this.d.units.unit((tx) => this.d.repo.finish(id, 'done', this.d.clock.now(), tx));
      log.info({ created: result.created, updated: result.updated, rejected: result.rejected }, 'import done');
      return result;
    } catch (e) {
      let error: { code: string; message: string };
      if (e instanceof ImportStopped) {
        error = { code: 'INTERRUPTED', message: `Interrupted: the gateway shut down after line ${e.totals.lineDone} (${e.totals.rowsDone} rows done); the lines after it were not imported. Import the file again to finish: lines already imported are set to the same values.` };
      } else if (e instanceof AppError) {
        error = { code: e.code, message: e.message };
      } else {
        log.error({ err: e }, 'import failed');
        error = { code: 'INTERNAL', message: 'The import stopped on an error on our side (it has been logged); the rows counted as done were imported.' };
      }
      await this.d.units.unit((tx) => this.d.repo.finish(id, 'failed', this.d.clock.now(), tx, error));
      return null;
    } finally {
      if (file.spooled) rmSync(file.path, { force: true });
    }
  }

  private async interrupt(row: ImportJobRow, why: string): Promise<void> {
    if (row.spoolPath) rmSync(row.spoolPath, { force: true });
    const message = `Interrupted: ${why} after line ${row.lineDone} (${row.rowsDone} rows done); the lines after it were not imported. Import the file again to finish: lines already imported are set to the same values.`;
    await this.d.units.unit((tx) => this.d.repo.finish(row.id, 'failed', this.d.clock.now(), tx, { code: 'INTERRUPTED', message }));
    this.d.log.warn({ comp: 'import', job: row.id, rowsDone: row.rowsDone }, 'import job interrupted by a stopped process');
  }

  private async view(row: ImportJobRow, errorLimit = MAX_ERRORS): Promise<ImportJobView> {
    return {
      id: row.id,
      status: row.status,
      phase: row.phase,
      source: row.source,
      fileName: row.fileName,
      bytes: row.bytesTotal,
      rowsTotal: row.rowsTotal,
      rowsDone: row.rowsDone,
      created: row.created,
      updated: row.updated,
      rejected: row.rejected,
      errors: errorLimit > 0 ? await this.d.repo.rejections(row.id, errorLimit) : [],
      ...(row.rejectionsTruncated ? { errorsTruncated: true } : {}),
      ...(row.errorCode ? { error: { code: row.errorCode, message: row.errorMessage ?? '' } } : {}),
      startedAt: iso(row.startedAt),
      updatedAt: iso(row.heartbeatAt),
      finishedAt: iso(row.finishedAt),
    };
  }

  /** Size of a file given on the command line (a sentence when it cannot be read). */
  static fileOf(p: string): ImportFile {
    const st = statSync(p);
    if (!st.isFile()) throw new Error(`${p} is not a file`);
    return { path: p, bytes: st.size, spooled: false, fileName: path.basename(p) };
  }
}
