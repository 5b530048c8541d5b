import { decodeGsm7, encodeGsm7, gsmCost, isGsm7 } from './gsm7';

/**
 * SMS text encoding and segmentation, independent of the transport: GSM 03.38 (data_coding 0) when
 * every character fits, else UCS-2 (data_coding 8). Long texts split at 153 septets / 67 UCS-2 units
 * per part, the room left by a 6-octet concatenation header; SAR TLVs use the same sizes because
 * many SMSCs turn them into that header on the air interface.
 */

export type SmsEncoding = 'gsm7' | 'ucs2';

export const DATA_CODING = { gsm7: 0, ucs2: 8 } as const;

const SINGLE = { gsm7: 160, ucs2: 70 } as const;
const PART = { gsm7: 153, ucs2: 67 } as const;

/** The encoding a text needs. */
export function encodingFor(text: string): SmsEncoding {
  return isGsm7(text) ? 'gsm7' : 'ucs2';
}

/**
 * Splits text into parts (as text). GSM parts never separate an escape from its extension character;
 * UCS-2 parts never separate a surrogate pair (an emoji), so each part decodes on its own.
 */
export function splitText(text: string, encoding: SmsEncoding = encodingFor(text)): string[] {
  const cost = encoding === 'gsm7' ? (i: number) => gsmCost(text.charCodeAt(i)) : () => 1;
  let total = 0;
  for (let i = 0; i < text.length; i++) total += cost(i);
  if (total <= SINGLE[encoding]) return [text];
  const limit = PART[encoding];
  const parts: string[] = [];
  let start = 0;
  let used = 0;
  for (let i = 0; i < text.length; i++) {
    let c = cost(i);
    let width = 1;
    if (encoding === 'ucs2') {
      const u = text.charCodeAt(i);
      if (u >= 0xd800 && u <= 0xdbff && i + 1 < text.length) {
        const next = text.charCodeAt(i + 1);
        if (next >= 0xdc00 && next <= 0xdfff) {
          c = 2;
          width = 2;
        }
      }
    }
    if (used + c > limit) {
      parts.push(text.slice(start, i));
      start = i;
      used = 0;
    }
    used += c;
    i += width - 1;
  }
  parts.push(text.slice(start));
  return parts;
}

/** How many parts a text takes. */
export function countParts(text: string): number {
  return splitText(text).length;
}

/** Encodes text in the given encoding (UCS-2 as big-endian UTF-16, surrogates kept). */
export function encodeText(text: string, encoding: SmsEncoding): Buffer {
  if (encoding === 'gsm7') return encodeGsm7(text);
  const b = Buffer.from(text, 'utf16le');
  b.swap16();
  return b;
}

export interface EncodedSms {
  encoding: SmsEncoding;
  dataCoding: number;
  /** Encoded payload of each part, without any concatenation header. */
  parts: Buffer[];
}

/** Encodes and splits a text for sending. */
export function encodeSms(text: string): EncodedSms {
  const encoding = encodingFor(text);
  return { encoding, dataCoding: DATA_CODING[encoding], parts: splitText(text, encoding).map((p) => encodeText(p, encoding)) };
}

function decodeUcs2(bytes: Uint8Array): string {
  const even = bytes.length - (bytes.length % 2);
  const b = Buffer.from(bytes.subarray(0, even));
  b.swap16();
  return b.toString('utf16le');
}

/**
 * Decodes a received payload by its SMPP data_coding: 0 GSM 03.38 (or Latin-1 when bytes above 0x7F
 * show the SMSC sent 8-bit text), 1 IA5/ASCII, 3 Latin-1, 8 UCS-2, and the GSM DCS groups
 * (0x10-0x3F general coding, 0xF0-0xFF message class) by their alphabet bits. Anything else is read
 * as Latin-1, which never throws.
 */
export function decodeText(bytes: Uint8Array, dataCoding: number): string {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let alphabet: 'gsm' | 'ascii' | 'latin1' | 'ucs2';
  if (dataCoding === 0) alphabet = buf.some((b) => b > 0x7f) ? 'latin1' : 'gsm';
  else if (dataCoding === 1) alphabet = 'ascii';
  else if (dataCoding === 8) alphabet = 'ucs2';
  else if ((dataCoding & 0xf0) === 0xf0) alphabet = dataCoding & 0x04 ? 'latin1' : 'gsm';
  else if ((dataCoding & 0xc0) === 0 && dataCoding >= 0x10) {
    const a = (dataCoding >> 2) & 0x03;
    alphabet = a === 0 ? 'gsm' : a === 2 ? 'ucs2' : 'latin1';
  } else alphabet = 'latin1';
  switch (alphabet) {
    case 'gsm':
      return decodeGsm7(buf);
    case 'ascii':
      return buf.toString('latin1');
    case 'ucs2':
      return decodeUcs2(buf);
    default:
      return buf.toString('latin1');
  }
}
