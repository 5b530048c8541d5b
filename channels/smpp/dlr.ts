import { MESSAGE_STATE_WORDS } from '../../src/messaging/receipt-ids';
import { SmppBind } from './bind';
import { has, int, str, type Pdu } from './pdu';

/** A delivery receipt read from a deliver_sm. */
export interface ParsedReceipt {
  id: string;
  stat: string;
  err: string | null;
  /** The receipt text's `done date` (YYMMDDhhmm[ss]) as written, when present. */
  doneDate: string | null;
}

/** esm_class message types that carry a receipt: SMSC delivery receipt (0x04), intermediate notification (0x20). */
export function isReceipt(pdu: Pdu): boolean {
  const type = int(pdu, 'esm_class') & 0x3c;
  return type === 0x04 || type === 0x20;
}

const FIELD = (name: string) => new RegExp(`(?:^|\\s)${name}:\\s*(\\S+)`, 'i');
const RE_ID = FIELD('id');
const RE_STAT = FIELD('stat');
const RE_ERR = FIELD('err');
const RE_DONE = /done\s*date:\s*(\d{10,12})/i;

/**
 * Reads a receipt: the id from the `receipted_message_id` TLV or the text (`id:... stat:DELIVRD
 * err:000`), the state from the text or the `message_state` TLV. Returns null when no id is found.
 */
export function parseReceipt(pdu: Pdu): ParsedReceipt | null {
  const text = SmppBind.body(pdu).toString('latin1');
  const tlvId = str(pdu, 'receipted_message_id').trim();
  const id = tlvId || RE_ID.exec(text)?.[1] || '';
  if (!id) return null;
  let stat = RE_STAT.exec(text)?.[1] ?? '';
  if (!stat && has(pdu, 'message_state')) stat = MESSAGE_STATE_WORDS[int(pdu, 'message_state')] ?? String(int(pdu, 'message_state'));
  if (!stat) stat = 'UNKNOWN';
  return { id, stat: stat.toUpperCase(), err: RE_ERR.exec(text)?.[1] ?? null, doneDate: RE_DONE.exec(text)?.[1] ?? null };
}

/** A receipt's text in the usual SMSC format (what the partner listener sends). */
export function receiptText(p: { id: string; stat: string; err: string; submitDate: Date; doneDate: Date; delivered: boolean; text: string }): string {
  const d = (t: Date) =>
    [t.getUTCFullYear() % 100, t.getUTCMonth() + 1, t.getUTCDate(), t.getUTCHours(), t.getUTCMinutes()].map((n) => String(n).padStart(2, '0')).join('');
  const sample = p.text.replace(/[^\x20-\x7e]/g, '?').slice(0, 20);
  return `id:${p.id} sub:001 dlvrd:${p.delivered ? '001' : '000'} submit date:${d(p.submitDate)} done date:${d(p.doneDate)} stat:${p.stat} err:${p.err} text:${sample}`;
}
