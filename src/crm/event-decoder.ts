import type { Database } from '../db/database';
import { EventPageStore } from './event-page-store';

/**
 * The usage log in compact, columnar batches: sessions, nodes and flows become small integer codes (new
 * codes' strings are sent along); the few rows with a detail the detectors read carry it as text.
 * Decoding can run in a worker thread next to the detectors (typed arrays move between threads without
 * copying), so reading the log and classifying it use both cores.
 */

/** Event types, as the usage log's pages code them (event-page-store.ts). */
export const T = {
  other: 0, start: 1, menu: 2, content: 3, invalid: 4, back: 5, home: 6, more: 7, end: 8, smsIn: 9, billing: 10, step: 11, startOutbound: 12, startShortcut: 13,
  // Best-channel evidence: an SMS delivered, a call dialled, a call answered, a poll answered by SMS / in a session.
  smsDelivered: 14, callDialled: 15, callAnswered: 16, pollSms: 17, pollInSession: 18,
} as const;
export const TYPE_NAMES = ['', 'session_start', 'menu', 'content', 'input_invalid', 'back', 'home', 'more', 'session_end', 'sms_in', 'billing', 'action', 'session_start', 'session_start', '', '', '', 'action', 'action'];
export const CHANNELS = ['', 'ussd', 'ivr'];


export const DICTS = ['nodes', 'flows', 'words'] as const;

/** Detail flags: the end's caller hung up (a dialect named) / the billing event is flagged. */
export const D_MARK = 1;
/** Detail flags: not decoded here (not an object, an unusual field type): the consumer parses `details`. */
export const D_RAW = 2;
/** Detail flags: no detail at all. */
export const D_NONE = 4;
export type DictName = (typeof DICTS)[number];

/** One page of events, column by column; -1 (or NaN) where a field does not apply. */
export interface EventBatch {
  n: number;
  /** The last id this batch accounts for (the cursor moves here). */
  toId: number;
  /** Set when an event later than `now` was met: the pass stops here. */
  stopped: boolean;
  at: Float64Array;
  sub: Int32Array;
  type: Uint8Array;
  ch: Uint8Array;
  ses: Int32Array;
  node: Int32Array;
  flow: Int32Array;
  /**
   * Per session_end and billing row, in row order, its JSON detail decoded here (in the reading thread,
   * which waits on the classifying one): a word code (the end's reason, the billing event; -1 none),
   * the service and subscription word codes (billing; -1 none), a number (the end's depth, the charged
   * amount; NaN none) and D_* flags. A D_RAW row's text is in `details` (null for the others).
   */
  dCode: Int32Array;
  dService: Int32Array;
  dSubscription: Int32Array;
  dNum: Float64Array;
  dFlags: Uint8Array;
  details: (string | null)[];
  /** Strings of the codes first used in this batch, per dictionary, in code order. */
  added: Record<DictName, string[]>;
}

/** Decodes pages of the log into batches; keeps the dictionaries and which sessions are open. */
export class EventDecoder {
  private readonly codes: Record<DictName, Map<string, number>> = { nodes: new Map(), flows: new Map(), words: new Map() };
  private added: Record<DictName, string[]> = { nodes: [], flows: [], words: [] };
  private readonly sessions = new Map<string, number>();
  private nextSession: number;
  private readonly pages: EventPageStore;

  /** `open`: sessions carried from the previous pass, with the codes the consumer gave them. */
  constructor(database: Database, open: readonly [string, number][]) {
    for (const [id, code] of open) this.sessions.set(id, code);
    this.nextSession = open.reduce((m, [, c]) => Math.max(m, c + 1), 0);
    this.pages = EventPageStore.of(database);
  }

  private code(dict: DictName, s: string): number {
    const m = this.codes[dict];
    let c = m.get(s);
    if (c === undefined) {
      c = m.size;
      m.set(s, c);
      this.added[dict].push(s);
    }
    return c;
  }

  /** Reads and decodes events with ids in (from, to], stopping before the first own event later than `now`. */
  async read(from: number, to: number, now: number): Promise<EventBatch> {
    const rows = await this.pages.read(from, to);
    const n = rows.length;
    const b: EventBatch = {
      n: 0,
      toId: to,
      stopped: false,
      at: new Float64Array(n),
      sub: new Int32Array(n),
      type: new Uint8Array(n),
      ch: new Uint8Array(n),
      ses: new Int32Array(n),
      node: new Int32Array(n),
      flow: new Int32Array(n),
      dCode: new Int32Array(n),
      dService: new Int32Array(n),
      dSubscription: new Int32Array(n),
      dNum: new Float64Array(n),
      dFlags: new Uint8Array(n),
      details: [],
      added: this.added,
    };
    let i = 0;
    let dn = 0;
    for (const r of rows) {
      const type = r[4];
      // Our own events are never later than now; one that is belongs to a later pass (a replay with --now).
      if (r[1] > now && type !== T.billing) {
        b.toId = r[0] - 1;
        b.stopped = true;
        break;
      }
      b.at[i] = r[1];
      b.sub[i] = r[2];
      b.ch[i] = r[3];
      b.type[i] = type;
      b.ses[i] = -1;
      b.node[i] = r[7] === null ? -1 : this.code('nodes', r[7]);
      b.flow[i] = r[6] === null ? -1 : this.code('flows', r[6]);
      const sid = r[5];
      if (sid !== null) {
        let s = this.sessions.get(sid);
        if (s === undefined) this.sessions.set(sid, (s = this.nextSession++));
        b.ses[i] = s;
        if (type === T.end) this.sessions.delete(sid);
      }
      if (type === T.end || type === T.billing) this.detail(b, dn++, type, r[8]);
      i++;
    }
    b.n = i;
    this.added = { nodes: [], flows: [], words: [] };
    return b;
  }

  /** The word code of a text field, -1 when it is not text. */
  private word(v: unknown): number {
    return typeof v === 'string' ? this.code('words', v) : -1;
  }

  /** Decodes detail row `k` (a session end's or a billing event's JSON) into the batch's detail columns. */
  private detail(b: EventBatch, k: number, type: number, text: string | null): void {
    b.dCode[k] = -1;
    b.dService[k] = -1;
    b.dSubscription[k] = -1;
    b.dNum[k] = NaN;
    b.dFlags[k] = 0;
    b.details.push(null);
    if (!text) {
      b.dFlags[k] = D_NONE;
      return;
    }
    let d: unknown;
    try {
      d = JSON.parse(text);
    } catch {
      d = undefined;
    }
    const o = d as Record<string, unknown>;
    if (type === T.end) {
      // The reason as the classifier takes it: a text, or none (absent or null) for 'completed'.
      if (typeof d === 'object' && d !== null && (o.reason === undefined || o.reason === null || typeof o.reason === 'string')) {
        b.dCode[k] = this.word(o.reason);
        if (typeof o.depth === 'number') b.dNum[k] = o.depth;
        if (typeof o.dialect === 'string') b.dFlags[k] = D_MARK;
        return;
      }
    } else if (typeof d === 'object' && d !== null) {
      b.dCode[k] = this.word(o.event);
      b.dService[k] = this.word(o.serviceId);
      b.dSubscription[k] = this.word(o.subscriptionId);
      if (typeof o.amount === 'number') b.dNum[k] = o.amount;
      if (o.flag) b.dFlags[k] = D_MARK;
      return;
    }
    b.dFlags[k] = D_RAW;
    b.details[k] = text;
  }

  /** Sessions still open after everything read so far: their ids and codes. */
  openSessions(): [string, number][] {
    return [...this.sessions];
  }
}

/** A session end as the classifier reads it: the reason (none: 'completed'), the depth, whether the caller hung up. */
export function endDetail(b: EventBatch, k: number, words: readonly string[]): { reason: string; depth: number | null; hangup: boolean } {
  if (b.dFlags[k]! & D_RAW) {
    const d = JSON.parse(b.details[k]!) as { reason?: string; depth?: number; dialect?: unknown };
    return { reason: d.reason ?? 'completed', depth: typeof d.depth === 'number' ? d.depth : null, hangup: typeof d.dialect === 'string' };
  }
  const code = b.dCode[k]!;
  const depth = b.dNum[k]!;
  // A voice platform's final callback names its dialect: the caller hung up.
  return { reason: code >= 0 ? words[code]! : 'completed', depth: Number.isNaN(depth) ? null : depth, hangup: (b.dFlags[k]! & D_MARK) !== 0 };
}

/** A billing event's fields: texts as given (null when not text), the amount when a number. */
export interface BillingDetail {
  subscriptionId: string | null;
  event: string;
  serviceId: string | null;
  flag: boolean;
  amount: number | null;
}

/** A billing event's fields, or null for one without a detail. */
export function billingDetail(b: EventBatch, k: number, words: readonly string[]): BillingDetail | null {
  const flags = b.dFlags[k]!;
  if (flags & D_NONE) return null;
  if (flags & D_RAW) {
    const d = JSON.parse(b.details[k]!) as Record<string, unknown>;
    return { subscriptionId: text(d.subscriptionId), event: text(d.event) ?? '', serviceId: text(d.serviceId), flag: Boolean(d.flag), amount: typeof d.amount === 'number' ? d.amount : null };
  }
  const amount = b.dNum[k]!;
  return { subscriptionId: wordOf(words, b.dSubscription[k]!), event: wordOf(words, b.dCode[k]!) ?? '', serviceId: wordOf(words, b.dService[k]!), flag: (flags & D_MARK) !== 0, amount: Number.isNaN(amount) ? null : amount };
}

/** A raw detail field as text, or null when it is not. */
function text(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

/** A decoded word (code -1: none). */
function wordOf(words: readonly string[], code: number): string | null {
  return code >= 0 ? words[code]! : null;
}

/** The buffers of a batch, to transfer (not copy) it to another thread. */
export function batchBuffers(b: EventBatch): ArrayBuffer[] {
  return [b.at, b.sub, b.type, b.ch, b.ses, b.node, b.flow, b.dCode, b.dService, b.dSubscription, b.dNum, b.dFlags].map((a) => a.buffer as ArrayBuffer);
}
