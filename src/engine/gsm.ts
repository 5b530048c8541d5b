/**
 * GSM 03.38 (GSM-7) arithmetic for USSD screens. A screen is GSM-7 when every character is in the default
 * alphabet or its extension table; extension characters cost two septets. Anything else (emoji, Amharic,
 * curly quotes) forces UCS-2, which carries far fewer characters per screen. The alphabet itself is
 * defined once, with the SMS encoder (messaging/gsm7.ts), so a screen and a message agree on every character.
 */

import { gsmSeptets, isGsm7 } from '../messaging/gsm7';

export { isGsm7 };

/** Length in septets (extension characters count 2), or -1 when the text is not GSM-7. */
export function septets(text: string): number {
  return gsmSeptets(text);
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
