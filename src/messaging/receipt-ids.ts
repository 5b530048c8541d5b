/**
 * SMSC message ids and receipt states. SMSCs disagree on whether the id in a receipt is the hex or
 * decimal form of the id in submit_sm_resp, and pad with zeros; ids are compared normalized, trying
 * the exact form first and the other base second.
 */

/** Lower case, no surrounding space, no leading zeros ("0000A1" -> "a1"). */
export function normalizeSmscId(raw: string): string {
  const s = raw.trim().toLowerCase();
  const stripped = s.replace(/^0+(?=.)/, '');
  return stripped;
}

/** The forms an id may have been written in elsewhere: itself, then its decimal<->hex twins. */
export function smscIdCandidates(raw: string): string[] {
  const n = normalizeSmscId(raw);
  const out = [n];
  if (n.length > 0 && n.length <= 30) {
    if (/^[0-9]+$/.test(n)) out.push(BigInt(n).toString(16));
    if (/^[0-9a-f]+$/.test(n)) out.push(BigInt('0x' + n).toString(10));
  }
  return [...new Set(out)];
}

/** What a receipt's state means for a part. */
export type ReceiptOutcome = 'delivered' | 'failed' | 'expired' | 'pending';

/**
 * Maps a receipt `stat` (DELIVRD, UNDELIV, ...; some SMSCs spell them out) or an SMPP message_state
 * number to an outcome. ACCEPTD, ENROUTE and UNKNOWN are not final.
 */
export function receiptOutcome(stat: string): ReceiptOutcome {
  const s = stat.trim().toUpperCase();
  if (/^\d+$/.test(s)) {
    switch (Number(s)) {
      case 2:
        return 'delivered';
      case 3:
        return 'expired';
      case 4:
      case 5:
      case 8:
        return 'failed';
      default:
        return 'pending';
    }
  }
  const p = s.slice(0, 5);
  if (p === 'DELIV') return 'delivered';
  if (p === 'EXPIR') return 'expired';
  if (p === 'UNDEL' || p === 'REJEC' || p === 'DELET' || p === 'FAILE') return 'failed';
  return 'pending';
}

/** SMPP message_state number to the receipt `stat` word. */
export const MESSAGE_STATE_WORDS: Record<number, string> = {
  1: 'ENROUTE',
  2: 'DELIVRD',
  3: 'EXPIRED',
  4: 'DELETED',
  5: 'UNDELIV',
  6: 'ACCEPTD',
  7: 'UNKNOWN',
  8: 'REJECTD',
};
