/**
 * GSM 03.38 default alphabet with its extension table, as unpacked septets (one byte per septet), which
 * is how SMPP carries data_coding 0. Extension characters travel as ESC (0x1B) + code and cost two
 * septets. Written here rather than taken from the `smpp` package, whose detection picks data_coding 1.
 */

const BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';

/** Extension table: character -> code after ESC. */
const EXTENSION: ReadonlyArray<[string, number]> = [
  ['\f', 0x0a],
  ['^', 0x14],
  ['{', 0x28],
  ['}', 0x29],
  ['\\', 0x2f],
  ['[', 0x3c],
  ['~', 0x3d],
  [']', 0x3e],
  ['|', 0x40],
  ['€', 0x65],
];

export const ESC = 0x1b;

// Per UTF-16 code unit: the septet (basic) or 0x100 + code (extension).
const ENCODE = new Map<number, number>();
for (let i = 0; i < BASIC.length; i++) if (i !== ESC) ENCODE.set(BASIC.charCodeAt(i), i);
for (const [ch, code] of EXTENSION) ENCODE.set(ch.charCodeAt(0), 0x100 | code);
const DECODE_EXT = new Map<number, string>(EXTENSION.map(([ch, code]) => [code, ch]));

/** Septets the character takes (1 or 2), or 0 when it is not in the GSM 03.38 alphabet. */
export function gsmCost(codeUnit: number): number {
  const v = ENCODE.get(codeUnit);
  return v === undefined ? 0 : v > 0xff ? 2 : 1;
}

/** Whether every character of `text` is in the GSM 03.38 alphabet (basic or extension). */
export function isGsm7(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (!ENCODE.has(text.charCodeAt(i))) return false;
  return true;
}

/** Length in septets (extension characters count two); -1 when the text is not GSM-7. */
export function gsmSeptets(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = gsmCost(text.charCodeAt(i));
    if (c === 0) return -1;
    n += c;
  }
  return n;
}

/** Encodes GSM-7 text as unpacked septets; throws on a character outside the alphabet. */
export function encodeGsm7(text: string): Buffer {
  const out = Buffer.allocUnsafe(text.length * 2);
  let o = 0;
  for (let i = 0; i < text.length; i++) {
    const v = ENCODE.get(text.charCodeAt(i));
    if (v === undefined) throw new RangeError(`character U+${text.charCodeAt(i).toString(16).padStart(4, '0')} is not in GSM 03.38`);
    if (v > 0xff) {
      out[o++] = ESC;
      out[o++] = v & 0xff;
    } else out[o++] = v;
  }
  return out.subarray(0, o);
}

/**
 * Decodes unpacked septets. An escape followed by a code the extension table lacks shows the basic
 * character (what handsets do); a trailing lone escape is dropped.
 */
export function decodeGsm7(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]! & 0x7f;
    if (b === ESC) {
      const next = bytes[i + 1];
      if (next === undefined) break;
      i++;
      s += DECODE_EXT.get(next & 0x7f) ?? BASIC[next & 0x7f] ?? ' ';
      continue;
    }
    s += BASIC[b]!;
  }
  return s;
}
