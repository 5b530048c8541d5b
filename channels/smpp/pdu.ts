import smpp from 'smpp';

/**
 * The `smpp` package as a PDU codec, with its sharp edges filed off:
 * - `short_message` and `message_payload` are raw bytes both ways. The package would guess an
 *   encoding (data_coding 1 for GSM text) and decode into {udh, message} with its own tables; the
 *   gateway encodes and decodes text itself (src/messaging/encoding.ts) and sets data_coding always.
 * - Field readers return typed values or defaults, so nothing `unknown` escapes this file.
 * Redefinition goes through the package's own `addCommand`/`addTLV`, once per process.
 */

export type Pdu = smpp.PDU;
export const PDU = smpp.PDU;

let installed = false;

// Bodies whose sm_length promised more octets than the PDU holds. The package's reader silently cuts a
// body short; remembering which ones lets a submit be refused (ESME_RINVMSGLEN) instead of sent truncated.
const cutShort = new WeakSet<Buffer>();

/** short_message as raw bytes (length octet, then the octets), noting when the PDU ends before them. */
const rawMessageType: smpp.FieldType = {
  read(buffer: Buffer, offset: number): Buffer {
    const declared = buffer.readUInt8(offset);
    const body = buffer.subarray(offset + 1, offset + 1 + declared);
    if (body.length < declared) cutShort.add(body);
    return body;
  },
  write: (value, buffer, offset) => smpp.types.buffer.write(value, buffer, offset),
  size: (value) => smpp.types.buffer.size(value),
  default: Buffer.alloc(0),
};

/** Makes message bodies raw buffers in every command that carries one (idempotent). */
export function installRawMessageCodec(): void {
  if (installed) return;
  installed = true;
  for (const command of ['submit_sm', 'deliver_sm']) {
    const def = smpp.commands[command];
    if (!def?.params) continue;
    const params = { ...def.params, short_message: { type: rawMessageType } };
    smpp.addCommand(command, { id: def.id, params, ...(def.tlvMap ? { tlvMap: def.tlvMap } : {}) });
  }
  const payload = smpp.tlvs.message_payload;
  if (payload) smpp.addTLV('message_payload', { id: payload.id, type: smpp.types.tlv.buffer });
}

installRawMessageCodec();

/** SMPP command_status values the gateway acts on. */
export const STATUS = {
  OK: 0x00,
  INVMSGLEN: 0x01,
  INVCMDLEN: 0x02,
  INVCMDID: 0x03,
  INVBNDSTS: 0x04,
  ALYBND: 0x05,
  SYSERR: 0x08,
  INVSRCADR: 0x0a,
  INVDSTADR: 0x0b,
  INVMSGID: 0x0c,
  BINDFAIL: 0x0d,
  INVPASWD: 0x0e,
  INVSYSID: 0x0f,
  MSGQFUL: 0x14,
  SUBMITFAIL: 0x45,
  THROTTLED: 0x58,
  INVESMCLASS: 0x43,
  INVSYSTYP: 0x53,
  X_T_APPN: 0x64,
  INVDCS: 0x104,
} as const;

const NAMES = new Map<number, string>(Object.entries(smpp.errors).map(([name, code]) => [code, name]));

/** "ESME_RTHROTTLED" for 0x58; unknown values as "status 0x..". */
export function statusName(status: number): string {
  return NAMES.get(status) ?? `status 0x${status.toString(16).padStart(2, '0')}`;
}

/** Statuses worth retrying later: throttling, queue full, SMSC trouble, a temporary application error. */
export function isTemporary(status: number): boolean {
  return status === STATUS.THROTTLED || status === STATUS.MSGQFUL || status === STATUS.SYSERR || status === STATUS.X_T_APPN || status === STATUS.INVBNDSTS;
}

/** Bind refusals that mean the configuration is wrong (do not hammer the SMSC). */
export function isAuthFailure(status: number): boolean {
  return status === STATUS.INVPASWD || status === STATUS.INVSYSID || status === STATUS.BINDFAIL;
}

/** A string field (cstring or TLV string), '' when absent. */
export function str(pdu: Pdu, field: string): string {
  const v = pdu[field];
  return typeof v === 'string' ? v : Buffer.isBuffer(v) ? v.toString('latin1').replace(/\0+$/, '') : '';
}

/** An integer field, `dflt` when absent. */
export function int(pdu: Pdu, field: string, dflt = 0): number {
  const v = pdu[field];
  return typeof v === 'number' && Number.isFinite(v) ? v : dflt;
}

/** A byte field (short_message, message_payload), empty when absent. */
export function bytes(pdu: Pdu, field: string): Buffer {
  const v = pdu[field];
  return Buffer.isBuffer(v) ? v : typeof v === 'string' ? Buffer.from(v, 'latin1') : Buffer.alloc(0);
}

/** Whether a field is present. */
export function has(pdu: Pdu, field: string): boolean {
  return pdu[field] !== undefined && pdu[field] !== null;
}

/** The 6-octet concatenation header (IEI 0x00, 8-bit reference). */
export function concatUdh(ref: number, total: number, seq: number): Buffer {
  return Buffer.from([0x05, 0x00, 0x03, ref & 0xff, total & 0xff, seq & 0xff]);
}

/** Concatenation info found in a user data header (8- or 16-bit reference). */
export interface ConcatInfo {
  ref: number;
  total: number;
  seq: number;
}

/** Splits a user data header off a message body; returns the concatenation info and the text bytes. */
export function parseUdh(body: Buffer): { concat: ConcatInfo | null; text: Buffer } {
  if (body.length < 1) return { concat: null, text: body };
  const udhl = body[0]!;
  if (udhl + 1 > body.length) return { concat: null, text: body };
  let concat: ConcatInfo | null = null;
  let i = 1;
  while (i + 1 < udhl + 1) {
    const iei = body[i]!;
    const len = body[i + 1]!;
    const data = body.subarray(i + 2, i + 2 + len);
    if (iei === 0x00 && len === 3) concat = { ref: data[0]!, total: data[1]!, seq: data[2]! };
    else if (iei === 0x08 && len === 4) concat = { ref: data.readUInt16BE(0), total: data[2]!, seq: data[3]! };
    i += 2 + len;
  }
  if (concat && (concat.total < 1 || concat.seq < 1 || concat.seq > concat.total)) concat = null;
  return { concat, text: body.subarray(udhl + 1) };
}

/** SMPP relative validity ("000001230000000R" = 1 day 23 hours) for a duration in ms (at least a minute). */
export function relativeValidity(ms: number): string {
  let s = Math.max(60, Math.floor(ms / 1000));
  const days = Math.min(99, Math.floor(s / 86_400));
  s -= days * 86_400;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const two = (n: number) => String(n).padStart(2, '0');
  return `0000${two(days)}${two(h)}${two(m)}${two(sec)}000R`;
}

/** TON/NPI for an address: alphanumeric 5/0, short code 3/0, international 1/1. */
export function addressType(addr: string): { ton: number; npi: number } {
  if (!/^\+?\d+$/.test(addr)) return { ton: 5, npi: 0 };
  if (addr.replace('+', '').length <= 8) return { ton: 3, npi: 0 };
  return { ton: 1, npi: 1 };
}

/** The fields of a submit_sm the gateway sends (everything else keeps the codec's defaults: 0 or ''). */
export interface SubmitSm {
  sourceTon: number;
  sourceNpi: number;
  source: string;
  destTon: number;
  destNpi: number;
  dest: string;
  esmClass: number;
  registeredDelivery: number;
  validity: string;
  dataCoding: number;
  message: Buffer;
  /** SAR concatenation TLVs, or null. */
  sar: { ref: number; total: number; seq: number } | null;
}

/**
 * Encodes a submit_sm to the same octets the package's codec produces (addresses as 8-bit cstrings,
 * short_message as raw bytes, SAR TLVs after the body), without building a PDU object and walking
 * its field tables: the package's encode was the largest cost per part sent.
 */
export function encodeSubmitSm(sequence: number, s: SubmitSm): Buffer {
  const len = 16 + 1 + 2 + s.source.length + 1 + 2 + s.dest.length + 1 + 3 + 1 + s.validity.length + 1 + 4 + 1 + s.message.length + (s.sar ? 16 : 0);
  const b = Buffer.allocUnsafe(len);
  b.writeUInt32BE(len, 0);
  b.writeUInt32BE(0x00000004, 4);
  b.writeUInt32BE(0, 8);
  b.writeUInt32BE(sequence, 12);
  let o = 16;
  b[o++] = 0; // service_type ''
  o = b.writeUInt8(s.sourceTon, o);
  o = b.writeUInt8(s.sourceNpi, o);
  o += b.write(s.source, o, 'latin1');
  b[o++] = 0;
  o = b.writeUInt8(s.destTon, o);
  o = b.writeUInt8(s.destNpi, o);
  o += b.write(s.dest, o, 'latin1');
  b[o++] = 0;
  o = b.writeUInt8(s.esmClass, o);
  b[o++] = 0; // protocol_id
  b[o++] = 0; // priority_flag
  b[o++] = 0; // schedule_delivery_time ''
  o += b.write(s.validity, o, 'latin1');
  b[o++] = 0;
  o = b.writeUInt8(s.registeredDelivery, o);
  b[o++] = 0; // replace_if_present_flag
  o = b.writeUInt8(s.dataCoding, o);
  b[o++] = 0; // sm_default_msg_id
  o = b.writeUInt8(s.message.length, o);
  o += s.message.copy(b, o);
  if (s.sar) {
    o = b.writeUInt16BE(0x020c, o);
    o = b.writeUInt16BE(2, o);
    o = b.writeUInt16BE(s.sar.ref, o);
    o = b.writeUInt16BE(0x020e, o);
    o = b.writeUInt16BE(1, o);
    o = b.writeUInt8(s.sar.total, o);
    o = b.writeUInt16BE(0x020f, o);
    o = b.writeUInt16BE(1, o);
    b.writeUInt8(s.sar.seq, o);
  }
  return b;
}

// Octet limits of the bind fields, NUL included (SMPP 3.4 section 4.1.1).
const BIND_FIELDS: Array<[field: string, maxOctets: number, status: number]> = [
  ['system_id', 16, STATUS.INVSYSID],
  ['password', 9, STATUS.INVPASWD],
  ['system_type', 13, STATUS.INVSYSTYP],
  ['address_range', 41, STATUS.INVCMDLEN],
];

/**
 * What is wrong with a bind's fields, as the SMPP status naming it, or null when they are well formed.
 * A field without its NUL runs into the next one (the password into system_id): the package's reader
 * stops at the end of the PDU, so the fields then add up to more octets than the PDU carries.
 */
export function bindFieldFault(pdu: Pdu): number | null {
  let octets = 3; // interface_version, addr_ton, addr_npi
  for (const [field, max, status] of BIND_FIELDS) {
    const v = pdu[field];
    if (typeof v !== 'string') return STATUS.INVCMDLEN;
    if (v.length + 1 > max) return status;
    octets += v.length + 1;
  }
  if (pdu.interface_version === undefined || pdu.addr_npi === undefined) return STATUS.INVCMDLEN;
  return octets > pdu.command_length - 16 ? STATUS.INVCMDLEN : null;
}

/**
 * Whether the gateway can read a data_coding's text and send it on: SMSC default (GSM), IA5, Latin-1,
 * UCS-2, GSM 03.38 general coding (uncompressed, GSM or UCS-2, any class) and the class-control group
 * with GSM text. Binary octets, JIS, Cyrillic, Hebrew, message-waiting groups and reserved values
 * cannot be turned into text the outbox would send faithfully.
 */
export function readableDataCoding(dc: number): boolean {
  if (dc === 0 || dc === 1 || dc === 3 || dc === 8) return true;
  if (dc >= 0x10 && dc <= 0x1f) return ((dc >> 2) & 0x03) === 0 || ((dc >> 2) & 0x03) === 2;
  return dc >= 0xf0 && dc <= 0xf3;
}

/** Whether a (readable) data_coding carries UCS-2, two octets per character. */
export function isUcs2Coding(dc: number): boolean {
  return dc === 8 || (dc >= 0x10 && dc <= 0x1f && ((dc >> 2) & 0x03) === 2);
}

/** Octets of the user data header at the start of a body, or null when it does not fit the body. */
export function udhLength(body: Buffer): number | null {
  if (body.length < 1) return null;
  const end = body[0]! + 1;
  if (end > body.length) return null;
  for (let i = 1; i < end; ) {
    if (i + 2 > end || i + 2 + body[i + 1]! > end) return null;
    i += 2 + body[i + 1]!;
  }
  return end;
}

/**
 * What makes a submit_sm body unsendable, as the SMPP status naming it, or null: sm_length beyond the
 * PDU (ESME_RINVMSGLEN), a data_coding the gateway cannot read (ESME_RINVDCS), a UDH indicator without
 * a header that fits (ESME_RINVESMCLASS), UCS-2 of odd length (ESME_RINVMSGLEN).
 */
export function submitBodyFault(pdu: Pdu, body: Buffer): number | null {
  const sm = pdu.short_message;
  if (Buffer.isBuffer(sm) && cutShort.has(sm)) return STATUS.INVMSGLEN;
  const dc = int(pdu, 'data_coding');
  if (!readableDataCoding(dc)) return STATUS.INVDCS;
  let text = body;
  if (int(pdu, 'esm_class') & 0x40) {
    const udh = udhLength(body);
    if (udh === null) return STATUS.INVESMCLASS;
    text = body.subarray(udh);
  }
  if (isUcs2Coding(dc) && text.length % 2 !== 0) return STATUS.INVMSGLEN;
  return null;
}
