import { randomBytes } from 'node:crypto';

// Random bytes drawn in blocks: one call into the CSPRNG per 1024 ids instead of one per id, which
// showed in the outbox profile at thousands of messages a second.
const BLOCK = 6 * 1024;
let pool = randomBytes(BLOCK);
let offset = 0;

/** A message id in the shape of `newId('msg', now)` (src/lib/ids.ts): time-sortable, 48 random bits. */
export function messageId(nowMs: number): string {
  if (offset + 6 > BLOCK) {
    pool = randomBytes(BLOCK);
    offset = 0;
  }
  const hex = pool.toString('hex', offset, offset + 6);
  offset += 6;
  return `msg_${nowMs.toString(36)}${hex}`;
}
