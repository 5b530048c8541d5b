import { randomBytes } from 'node:crypto';

const SPAN = 2 ** 48;

// A 48-bit counter that starts at a random point in each process. Ids of one process sort in creation
// order (inserts append to the primary-key index instead of landing on a random page: at a million
// outbox rows that decided whether a campaign fan-out was CPU- or I/O-bound), and the random start keeps
// two processes apart, even two that start in the same millisecond of a manual clock. No crypto call
// per id: ids are not secrets.
let counter = randomBytes(6).readUIntBE(0, 6);

// The base36 time of the last id: a campaign batch makes thousands of ids in one millisecond of its clock,
// and the conversion was a third of each id's cost.
let stampMs = NaN;
let stamp = '';

/** Time-sortable unique id: prefix, base36 time, then 48 bits unique to this process (`msg_mwth...`). */
export function newId(prefix: string, nowMs: number): string {
  counter = counter + 1 === SPAN ? 0 : counter + 1;
  if (nowMs !== stampMs) {
    stampMs = nowMs;
    stamp = nowMs.toString(36);
  }
  return `${prefix}_${stamp}${counter.toString(16).padStart(12, '0')}`;
}
