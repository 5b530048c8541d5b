import { randomBytes } from 'node:crypto';

const SPAN = 2 ** 48;

// A 48-bit counter that starts at a random point in each process. Random ids (the former scheme)
// land on random pages of the primary-key index: at a million outbox rows every insert touched its
// own page and a campaign fan-out became I/O bound. Consecutive ids of one process now sort in
// creation order (inserts append to the index), and the random start keeps two processes apart,
// even two that start in the same millisecond of a manual clock.
let counter = randomBytes(6).readUIntBE(0, 6);
let lastMs = -1;
let prefix = '';

/** A message id in the shape of `newId('msg', now)` (src/lib/ids.ts): time-sortable, then 48 bits unique to this process. */
export function messageId(nowMs: number): string {
  counter = counter + 1 === SPAN ? 0 : counter + 1;
  if (nowMs !== lastMs) {
    lastMs = nowMs;
    prefix = `msg_${nowMs.toString(36)}`;
  }
  return prefix + counter.toString(16).padStart(12, '0');
}
