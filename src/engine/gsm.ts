/**
 * GSM 03.38 (GSM-7) arithmetic for USSD screens. A screen is GSM-7 when every character is in the default
 * alphabet or its extension table; extension characters cost two septets. Anything else (emoji, Amharic,
 * curly quotes) forces UCS-2, which carries far fewer characters per screen.
 */

const BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const EXTENSION = '\f^{}\\[~]|€';

// One lookup per UTF-16 code unit: 1 = basic, 2 = extension, absent = not GSM-7.
const COST = new Map<number, number>();
for (const ch of BASIC) COST.set(ch.charCodeAt(0), 1);
for (const ch of EXTENSION) COST.set(ch.charCodeAt(0), 2);

/** Whether every character of `text` can be sent in the GSM-7 alphabet. */
export function isGsm7(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (!COST.has(text.charCodeAt(i))) return false;
  return true;
}

/** Length in septets (extension characters count 2), or -1 when the text is not GSM-7. */
export function septets(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = COST.get(text.charCodeAt(i));
    if (c === undefined) return -1;
    n += c;
  }
  return n;
}

/** Length in UCS-2 code units (an emoji outside the BMP counts 2, as on the wire). */
export function ucs2Units(text: string): number {
  return text.length;
}

/** The UCS-2 character limit matching a GSM-7 limit: 80 for 182 (docs/domain.md), scaled for other limits. */
export function ucs2Limit(maxChars: number): number {
  return Number.isFinite(maxChars) ? Math.floor((maxChars * 80) / 182) : Infinity;
}

/** Length of `text` in the given encoding. */
export function lengthIn(text: string, ucs2: boolean): number {
  return ucs2 ? ucs2Units(text) : septets(text);
}
