import { createReadStream } from 'node:fs';
import { parse, type CsvError } from 'csv-parse';
import { badRequest } from '../lib/errors';

/** One CSV record as read: its cells, the file line it ends on, and the bytes read so far. */
export interface CsvRow {
  cells: string[];
  line: number;
  bytes: number;
}

/** The header of an import file, checked: each column's field name and where msisdn is. */
export interface ImportHeader {
  columns: string[];
  msisdnCol: number;
}

const KNOWN = ['msisdn', 'language', 'region', 'crop', 'operator'];
const FIELD_RE = /^[a-z][a-zA-Z0-9_]{0,31}$/;
/** Columns that are not profile: importing them would override what subscribers said or did. */
const REFUSED = ['id', 'optedout', 'opted_out', 'optedoutat', 'opted_out_at', 'firstseenat', 'first_seen_at', 'lastseenat', 'last_seen_at', 'updatedat', 'updated_at', 'profile'];
/** No profile line is this long; a longer record is a quote left open swallowing the lines after it. */
const MAX_RECORD_BYTES = 64 * 1024;

/** Reads a CSV file as a stream of records: memory stays at one read buffer whatever the file size. */
export async function* csvRows(file: string): AsyncGenerator<CsvRow> {
  const parser = createReadStream(file).pipe(
    parse({ bom: true, trim: true, skip_empty_lines: true, relax_column_count: true, info: true, max_record_size: MAX_RECORD_BYTES }),
  );
  let lastLine = 0;
  try {
    for await (const r of parser as AsyncIterable<{ record: string[]; info: { lines: number; bytes: number } }>) {
      lastLine = r.info.lines;
      yield { cells: r.record, line: r.info.lines, bytes: r.info.bytes };
    }
  } catch (e) {
    const err = e as CsvError & { lines?: number };
    if (typeof err.code === 'string' && err.code.startsWith('CSV_')) {
      // Past the size limit the parser is far beyond the line that went wrong: name where that record began.
      const tooLong = err.code === 'CSV_MAX_RECORD_SIZE';
      const line = tooLong ? lastLine + 1 : err.lines;
      const why = tooLong ? `the line starting at line ${line} runs past ${MAX_RECORD_BYTES / 1024} KiB (a quote opened and never closed?)` : err.message;
      throw badRequest('INVALID_CSV', `The CSV cannot be read: ${why}. Nothing was imported.`, line ? { line } : undefined);
    }
    throw e;
  } finally {
    parser.destroy();
  }
}

/**
 * Checks a header row against the profile fields: an msisdn column, only known fields, none twice, no
 * opt-out or activity column. Header case as typed in a spreadsheet ("Language", "BIRTHYEAR") names
 * the same field. Throws a 400 saying what is wrong.
 */
export function checkHeader(raw: string[], profileFields: readonly string[]): ImportHeader {
  const known = [...new Set([...KNOWN, ...profileFields])];
  const columns = raw.map((h) => known.find((k) => k.toLowerCase() === h.toLowerCase()) ?? h);
  const msisdnCol = columns.indexOf('msisdn');
  if (msisdnCol < 0) throw badRequest('INVALID_CSV', `The header must have an msisdn column; got: ${columns.join(',').slice(0, 200)}.`);
  const refused = columns.filter((h) => REFUSED.includes(h.toLowerCase()));
  if (refused.length > 0) throw badRequest('INVALID_CSV', `Column ${refused.join(', ')} cannot be imported (opt-out and activity come from subscribers themselves).`);
  const bad = columns.filter((h, i) => i !== msisdnCol && !FIELD_RE.test(h));
  if (bad.length > 0) throw badRequest('INVALID_CSV', `Column name ${bad.map((b) => `"${b.slice(0, 40)}"`).join(', ')} is not a valid profile field (letters, digits, _; start with a lower-case letter).`);
  const dup = columns.find((h, i) => columns.indexOf(h) !== i);
  if (dup) throw badRequest('INVALID_CSV', `Column "${dup}" appears twice in the header.`);
  const unknown = columns.filter((h, i) => i !== msisdnCol && !known.includes(h));
  if (unknown.length > 0) {
    throw badRequest('INVALID_CSV', `Column ${unknown.map((u) => `"${u.slice(0, 40)}"`).join(', ')} is not a profile field (fields: ${known.filter((k) => k !== 'msisdn').join(', ')}).`, { field: unknown[0] });
  }
  return { columns, msisdnCol };
}

const EMPTY = 'The CSV is empty; the first line must be a header such as msisdn,language,region,crop.';

/** Reads only the header line and checks it (a 400 before a job is started for a file that cannot work). */
export async function readHeader(file: string, profileFields: readonly string[]): Promise<ImportHeader> {
  for await (const row of csvRows(file)) return checkHeader(row.cells, profileFields);
  throw badRequest('INVALID_CSV', EMPTY);
}

/**
 * Reads the whole file once without writing: a file that is not CSV all the way through is refused
 * before any line of it is imported. Returns the header and the number of data rows.
 */
export async function checkFile(file: string, profileFields: readonly string[], onRows?: (rows: number) => Promise<void>): Promise<{ header: ImportHeader; rows: number }> {
  let header: ImportHeader | null = null;
  let rows = 0;
  for await (const row of csvRows(file)) {
    if (!header) {
      header = checkHeader(row.cells, profileFields);
      continue;
    }
    rows++;
    if (onRows && rows % 20_000 === 0) await onRows(rows);
  }
  if (!header) throw badRequest('INVALID_CSV', EMPTY);
  return { header, rows };
}
