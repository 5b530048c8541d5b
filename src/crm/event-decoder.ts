import type { Db } from '../db/client';
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


export const DICTS = ['nodes', 'flows'] as const;
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
   * The JSON detail of each session_end and billing row, in row order. Parsed by the consumer: that
   * balances the work between the reading thread and the classifying one.
   */
  details: (string | null)[];
  /** Strings of the codes first used in this batch, per dictionary, in code order. */
  added: Record<DictName, string[]>;
}

/** Decodes pages of the log into batches; keeps the dictionaries and which sessions are open. */
export class EventDecoder {
  private readonly codes: Record<DictName, Map<string, number>> = { nodes: new Map(), flows: new Map() };
  private added: Record<DictName, string[]> = { nodes: [], flows: [] };
  private readonly sessions = new Map<string, number>();
  private nextSession: number;
  private readonly pages: EventPageStore;

  /** `open`: sessions carried from the previous pass, with the codes the consumer gave them. */
  constructor(db: Db, open: readonly [string, number][]) {
    for (const [id, code] of open) this.sessions.set(id, code);
    this.nextSession = open.reduce((m, [, c]) => Math.max(m, c + 1), 0);
    this.pages = new EventPageStore(db);
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
  read(from: number, to: number, now: number): EventBatch {
    const rows = this.pages.read(from, to);
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
      details: [],
      added: this.added,
    };
    let i = 0;
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
      if (type === T.end || type === T.billing) b.details.push(r[8]);
      i++;
    }
    b.n = i;
    this.added = { nodes: [], flows: [] };
    return b;
  }

  /** Sessions still open after everything read so far: their ids and codes. */
  openSessions(): [string, number][] {
    return [...this.sessions];
  }
}

/** The buffers of a batch, to transfer (not copy) it to another thread. */
export function batchBuffers(b: EventBatch): ArrayBuffer[] {
  return [b.at, b.sub, b.type, b.ch, b.ses, b.node, b.flow].map((a) => a.buffer as ArrayBuffer);
}
