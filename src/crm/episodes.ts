import type { Tx } from '../db/database';
import type { IngestStore } from './ingest-store';

/**
 * One subscriber's visit: their sessions (USSD, IVR, SMS) with no more than the configured gap between
 * one's end and the next one's start. Serializable, so an episode still open at the end of a pass (the gap
 * has not elapsed) is carried to the next pass (crm_open_episodes) and finished there.
 */
export interface EpisodeAcc {
  sub: number;
  start: number;
  /** The end of its latest session. */
  last: number;
  sessions: number;
  /** Channel and flow of the first session: where the first attempt was made. */
  ch: string;
  flow: string;
  /** Content keys (flow TAB node) the first session got with no back, home or invalid input on the way. */
  firstClean: string[];
  /** The last content got in the episode, as a content key: what the subscriber was looking for. */
  sought: string | null;
}

/** A session as an episode sees it. */
export interface EpisodeSession {
  sub: number;
  ch: string;
  flow: string;
  start: number;
  end: number;
  /** Content nodes got, in order, and those got cleanly. */
  heard: readonly string[];
  heardClean: readonly string[];
}

/** A finished episode, for the discovery rollups. */
export interface EpisodeOutcome {
  sub: number;
  start: number;
  ch: string;
  flow: string;
  sessions: number;
  /** Flow and node of the content sought, or null when the episode reached no content. */
  soughtFlow: string | null;
  soughtNode: string | null;
  /** The first session got the sought content with no back, home, invalid input or timeout on the way. */
  firstGo: boolean;
  /** The first session got some content cleanly (the older "any content" reading of first go). */
  anyFirstGo: boolean;
}

const SEP = '\t';
const key = (flow: string, node: string) => `${flow}${SEP}${node}`;

/** Groups finished sessions into episodes and hands each finished episode to `done`. */
export class EpisodeTracker {
  readonly open = new Map<number, EpisodeAcc>();

  constructor(
    private readonly gapMs: number,
    private readonly done: (e: EpisodeOutcome) => void,
  ) {}

  /** Loads the episodes a previous pass left open. */
  async load(store: IngestStore): Promise<void> {
    for (const e of await store.openEpisodes<EpisodeAcc>()) this.open.set(e.sub, e);
  }

  /** Adds a finished session to its subscriber's episode (closing the previous one when the gap has passed). */
  add(s: EpisodeSession): void {
    let e = this.open.get(s.sub);
    if (e && s.start - e.last > this.gapMs) {
      this.finish(e);
      e = undefined;
    }
    if (!e) {
      e = { sub: s.sub, start: s.start, last: s.end, sessions: 0, ch: s.ch, flow: s.flow, firstClean: s.heardClean.map((n) => key(s.flow, n)), sought: null };
      this.open.set(s.sub, e);
    }
    e.sessions++;
    if (s.start < e.start) e.start = s.start;
    if (s.end > e.last) e.last = s.end;
    const got = s.heard[s.heard.length - 1];
    if (got !== undefined) e.sought = key(s.flow, got);
  }

  /**
   * Finishes episodes whose gap has passed by `now`, except those of subscribers with a session still
   * open (that session may still join the episode).
   */
  sweep(now: number, hasOpenSession: (sub: number) => boolean): number {
    let n = 0;
    for (const e of this.open.values()) {
      if (now - e.last <= this.gapMs || hasOpenSession(e.sub)) continue;
      this.finish(e);
      n++;
    }
    return n;
  }

  private finish(e: EpisodeAcc): void {
    this.open.delete(e.sub);
    const tab = e.sought === null ? -1 : e.sought.indexOf(SEP);
    this.done({
      sub: e.sub,
      start: e.start,
      ch: e.ch,
      flow: e.flow,
      sessions: e.sessions,
      soughtFlow: e.sought === null ? null : e.sought.slice(0, tab),
      soughtNode: e.sought === null ? null : e.sought.slice(tab + 1),
      firstGo: e.sought !== null && e.firstClean.includes(e.sought),
      anyFirstGo: e.firstClean.length > 0,
    });
  }

  /** Writes the episodes still open, for the next pass (inside the pass's unit of work). */
  async save(store: IngestStore, tx: Tx): Promise<number> {
    await store.saveOpenEpisodes([...this.open.values()].map((e) => ({ sub: e.sub, last: e.last, acc: e })), tx);
    return this.open.size;
  }
}
