import { newId } from '../lib/ids';

/** A message id: `newId('msg', now)`, time-sortable so outbox inserts append to the index. */
export function messageId(nowMs: number): string {
  return newId('msg', nowMs);
}
