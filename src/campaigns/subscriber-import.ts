import { parse } from 'csv-parse/sync';
import type { Db } from '../db/client';
import { tx } from '../db/client';
import type { Clock } from '../lib/clock';
import { AppError, badRequest } from '../lib/errors';
import type { SubscriberService, ValidProfilePatch } from '../subscribers/subscriber-service';

/** The answer to an import: counts, and why each rejected line was rejected. */
export interface ImportResult {
  created: number;
  updated: number;
  rejected: number;
  errors: { line: number; msisdn?: string; reason: string }[];
  /** More lines were rejected than are listed. */
  errorsTruncated?: boolean;
}

const KNOWN = ['msisdn', 'language', 'region', 'crop', 'operator'];
const FIELD_RE = /^[a-z][a-zA-Z0-9_]{0,31}$/;
/** Columns that are not profile: importing them would override what subscribers said or did. */
const REFUSED = ['id', 'optedout', 'opted_out', 'optedoutat', 'opted_out_at', 'firstseenat', 'first_seen_at', 'lastseenat', 'last_seen_at', 'updatedat', 'updated_at', 'profile'];
const MAX_ERRORS = 1000;
const CHUNK = 1000;

/**
 * Imports subscriber profiles from CSV: a header row naming `msisdn` and profile fields (language,
 * region, crop, operator, or fields of config `profile.fields`), one subscriber per line. Cells are
 * coerced to the field's type (lists: items separated by ; or |). A line creates the subscriber or
 * updates the fields it gives (an empty cell leaves the field as it is). A line with a bad value is
 * rejected whole with its line number and reason and the rest go on; opt-out and activity are never
 * imported (only the subscriber can say STOP/START, and only traffic moves last-seen).
 */
export class SubscriberImporter {
  constructor(
    private readonly d: {
      db: Db;
      clock: Clock;
      subscribers: Pick<SubscriberService, 'normalize' | 'find' | 'ensure' | 'validateProfile' | 'applyProfile' | 'profile'>;
    },
  ) {}

  /** Parses and applies a CSV document; 400 when the header itself is unusable. */
  async import(csv: string): Promise<ImportResult> {
    let records: { record: string[]; info: { lines: number } }[];
    try {
      records = parse(csv, { bom: true, trim: true, skip_empty_lines: true, relax_column_count: true, info: true }) as unknown as { record: string[]; info: { lines: number } }[];
    } catch (e) {
      throw badRequest('INVALID_CSV', `The CSV cannot be read: ${(e as Error).message}`);
    }
    if (records.length === 0) throw badRequest('INVALID_CSV', 'The CSV is empty; the first line must be a header such as msisdn,language,region,crop.');
    const known = [...new Set([...KNOWN, ...this.d.subscribers.profile.names()])];
    // Header case as typed in a spreadsheet ("Language", "BIRTHYEAR") names the same field.
    const header = records[0]!.record.map((h) => known.find((k) => k.toLowerCase() === h.toLowerCase()) ?? h);
    const msisdnCol = header.indexOf('msisdn');
    if (msisdnCol < 0) throw badRequest('INVALID_CSV', `The header must have an msisdn column; got: ${header.join(',').slice(0, 200)}.`);
    const refused = header.filter((h) => REFUSED.includes(h.toLowerCase()));
    if (refused.length > 0) throw badRequest('INVALID_CSV', `Column ${refused.join(', ')} cannot be imported (opt-out and activity come from subscribers themselves).`);
    const bad = header.filter((h, i) => i !== msisdnCol && !FIELD_RE.test(h));
    if (bad.length > 0) throw badRequest('INVALID_CSV', `Column name ${bad.map((b) => `"${b.slice(0, 40)}"`).join(', ')} is not a valid profile field (letters, digits, _; start with a lower-case letter).`);
    const dup = header.find((h, i) => header.indexOf(h) !== i);
    if (dup) throw badRequest('INVALID_CSV', `Column "${dup}" appears twice in the header.`);
    const unknown = header.filter((h, i) => i !== msisdnCol && !known.includes(h));
    if (unknown.length > 0) throw badRequest('INVALID_CSV', `Column ${unknown.map((u) => `"${u.slice(0, 40)}"`).join(', ')} is not a profile field (fields: ${known.filter((k) => k !== 'msisdn').join(', ')}).`, { field: unknown[0] });

    const result: ImportResult = { created: 0, updated: 0, rejected: 0, errors: [] };
    const reject = (line: number, reason: string, msisdn?: string) => {
      result.rejected++;
      if (result.errors.length < MAX_ERRORS) result.errors.push({ line, ...(msisdn ? { msisdn } : {}), reason });
      else result.errorsTruncated = true;
    };
    for (let start = 1; start < records.length; start += CHUNK) {
      const chunk = records.slice(start, start + CHUNK);
      tx(this.d.db, () => {
        for (const { record, info } of chunk) this.line(header, msisdnCol, record, info.lines, result, reject);
      });
      // Long imports share the event loop with live traffic.
      if (start + CHUNK < records.length) await new Promise<void>((r) => setImmediate(r));
    }
    return result;
  }

  private line(header: string[], msisdnCol: number, record: string[], line: number, result: ImportResult, reject: (line: number, reason: string, msisdn?: string) => void): void {
    const raw = record[msisdnCol] ?? '';
    if (record.length > header.length) return reject(line, `has ${record.length} fields but the header has ${header.length}`, raw || undefined);
    const msisdn = raw ? this.d.subscribers.normalize(raw) : null;
    if (!msisdn) return reject(line, raw ? `"${raw.slice(0, 32)}" is not a phone number` : 'msisdn is empty', raw || undefined);
    const patch: Record<string, string> = {};
    header.forEach((h, i) => {
      const v = record[i];
      if (i !== msisdnCol && v !== undefined && v !== '') patch[h] = v;
    });
    let valid: ValidProfilePatch;
    try {
      // The whole line is checked before anything of it is written.
      valid = this.d.subscribers.validateProfile(patch);
    } catch (e) {
      if (e instanceof AppError) return reject(line, e.message, msisdn);
      throw e;
    }
    // A savepoint per line: a line that fails leaves no half-created subscriber behind.
    this.d.db.$client.transaction(() => {
      const existing = this.d.subscribers.find(msisdn);
      // An import is not traffic: a new subscriber has no last-seen until they dial or text.
      const s = existing ?? this.d.subscribers.ensure(msisdn, { at: this.d.clock.now(), touch: false });
      this.d.subscribers.applyProfile(s.id, valid);
      if (existing) result.updated++;
      else result.created++;
    })();
  }
}
