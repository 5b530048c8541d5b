import type { Tx, UnitOfWork } from '../db/database';
import type { Clock } from '../lib/clock';
import { AppError } from '../lib/errors';
import type { Subscriber, SubscriberService, ValidProfilePatch } from '../subscribers/subscriber-service';
import { csvRows, type ImportHeader } from './import-csv';

/** A line that was not imported, and why. */
export interface ImportRejection {
  line: number;
  msisdn?: string;
  reason: string;
}

/** The answer to an import: counts, and why each rejected line was rejected. */
export interface ImportResult {
  created: number;
  updated: number;
  rejected: number;
  errors: ImportRejection[];
  /** More lines were rejected than are listed. */
  errorsTruncated?: boolean;
}

/** Running totals of an import. */
export interface ImportCounts {
  rowsDone: number;
  /** The file line of the last row handled. */
  lineDone: number;
  bytesDone: number;
  created: number;
  updated: number;
  rejected: number;
}

export interface ImportRunOptions {
  /**
   * Called inside each batch's unit of work (`tx`) with the totals after the batch and the batch's own
   * rejections, so progress recorded there commits together with the rows it counts.
   */
  onBatch?(totals: ImportCounts, rejections: ImportRejection[], tx: Tx): Promise<void>;
  /** Asked between batches; true stops the import there (shutdown). */
  stopped?(): boolean;
}

/** Rejected lines kept with their reasons; the rest are only counted. */
export const MAX_ERRORS = 1000;

/** The import stopped between batches because it was asked to (shutdown): `totals` say how far it got. */
export class ImportStopped extends Error {
  constructor(readonly totals: ImportCounts) {
    super(`stopped after line ${totals.lineDone}`);
  }
}

/**
 * Imports subscriber profiles from a CSV file whose header was checked (import-csv.ts), one subscriber
 * per line. Cells are coerced to the field's type (lists: items separated by ; or |). A line creates the
 * subscriber or updates the fields it gives (an empty cell leaves the field as it is). A line with a bad
 * value is rejected whole with its line number and reason and the rest go on; opt-out and activity are
 * never imported (only the subscriber can say STOP/START, and only traffic moves last-seen).
 *
 * The file is streamed and written `batchRows` lines per unit of work; between
 * batches the event loop serves other requests, so memory and the longest pause stay the same whatever
 * the file size.
 */
export class SubscriberImporter {
  constructor(
    private readonly d: {
      /** One unit of work per batch: the group commit on SQLite, a transaction on PostgreSQL. */
      units: UnitOfWork;
      clock: Clock;
      batchRows: number;
      subscribers: Pick<SubscriberService, 'normalize' | 'findManyIn' | 'ensureIn' | 'validateProfile' | 'applyProfileToIn' | 'profile'>;
    },
  ) {}

  /** The profile fields a header may name (besides msisdn, language, region, crop, operator). */
  fields(): string[] {
    return this.d.subscribers.profile.names();
  }

  /** Writes every data line of `file` (its header already checked); resolves with the result once committed. */
  async importFile(file: string, header: ImportHeader, opts: ImportRunOptions = {}): Promise<ImportResult> {
    const totals: ImportCounts = { rowsDone: 0, lineDone: 1, bytesDone: 0, created: 0, updated: 0, rejected: 0 };
    const result: ImportResult = { created: 0, updated: 0, rejected: 0, errors: [] };
    let batch: { cells: string[]; line: number; bytes: number }[] = [];
    const flush = async () => {
      const rows = batch;
      batch = [];
      if (opts.stopped?.()) throw new ImportStopped({ ...totals });
      const after = await this.d.units.unit(async (tx) => {
        const t = { ...totals };
        const rejections: ImportRejection[] = [];
        // The batch's subscribers in a few queries rather than one per line (a round trip each on
        // PostgreSQL); kept up to date line by line, for a number the batch has twice.
        const numbers = new Set<string>();
        for (const row of rows) {
          const m = this.d.subscribers.normalize(row.cells[header.msisdnCol] ?? '');
          if (m) numbers.add(m);
        }
        const known = await this.d.subscribers.findManyIn(tx, [...numbers]);
        for (const row of rows) {
          const outcome = await this.line(tx, header, row.cells, row.line, rejections, known);
          if (outcome === 'created') t.created++;
          else if (outcome === 'updated') t.updated++;
          t.rowsDone++;
          t.lineDone = row.line;
          t.bytesDone = row.bytes;
        }
        t.rejected += rejections.length;
        await opts.onBatch?.(t, rejections, tx);
        return { t, rejections };
      });
      // Counted only once committed: a batch rolled back leaves the totals as they were.
      Object.assign(totals, after.t);
      for (const r of after.rejections) {
        if (result.errors.length < MAX_ERRORS) result.errors.push(r);
        else result.errorsTruncated = true;
      }
      // Long imports share the event loop with live traffic.
      await new Promise<void>((r) => setImmediate(r));
    };
    let first = true;
    for await (const row of csvRows(file)) {
      if (first) {
        first = false;
        continue;
      }
      batch.push(row);
      if (batch.length >= this.d.batchRows) await flush();
    }
    if (batch.length > 0) await flush();
    return { ...result, created: totals.created, updated: totals.updated, rejected: totals.rejected };
  }

  private async line(tx: Tx, header: ImportHeader, record: string[], line: number, rejections: ImportRejection[], known: Map<string, Subscriber>): Promise<'created' | 'updated' | 'rejected'> {
    const reject = (reason: string, msisdn?: string) => {
      rejections.push({ line, ...(msisdn ? { msisdn } : {}), reason });
      return 'rejected' as const;
    };
    const { columns, msisdnCol } = header;
    const raw = record[msisdnCol] ?? '';
    if (record.length > columns.length) return reject(`has ${record.length} fields but the header has ${columns.length}`, raw || undefined);
    const msisdn = raw ? this.d.subscribers.normalize(raw) : null;
    if (!msisdn) return reject(raw ? `"${raw.slice(0, 32)}" is not a phone number` : 'msisdn is empty', raw ? raw.slice(0, 32) : undefined);
    const patch: Record<string, string> = {};
    columns.forEach((h, i) => {
      const v = record[i];
      if (i !== msisdnCol && v !== undefined && v !== '') patch[h] = v;
    });
    let valid: ValidProfilePatch;
    try {
      // The whole line is checked before anything of it is written.
      valid = this.d.subscribers.validateProfile(patch);
    } catch (e) {
      if (e instanceof AppError) return reject(e.message, msisdn);
      throw e;
    }
    // A line that fails to write fails its batch's unit: none of the batch remains, and the job says
    // how far it got (the lines counted were all written).
    const existing = known.get(msisdn) ?? null;
    // An import is not traffic: a new subscriber has no last-seen until they dial or text.
    const s = existing ?? (await this.d.subscribers.ensureIn(tx, msisdn, { at: this.d.clock.now(), touch: false }));
    known.set(msisdn, await this.d.subscribers.applyProfileToIn(tx, s, valid));
    return existing ? 'updated' : 'created';
  }
}
