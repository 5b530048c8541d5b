import type { Config } from '../config';
import type { FlowIndex } from './flow-index';

/** The friction signals a session can show, in the order they are checked and reports list them. */
export const FRICTION_SIGNALS = ['invalid', 'revisits', 'backs', 'max_invalid', 'deep_exit', 'long_menus'] as const;

/**
 * The running summary of one interactive session, built from its usage events in order. Serializable,
 * so a session still open when a pass ends is carried to the next pass (crm_open_sessions).
 */
export interface SessionAcc {
  sub: number;
  ch: string;
  flow: string;
  start: number;
  last: number;
  /** The screen currently shown and since when. */
  node: string | null;
  nodeAt: number;
  nodeContent: boolean;
  visits: Record<string, number>;
  invalidAt: Record<string, number>;
  invalid: number;
  backs: number;
  revisits: number;
  content: boolean;
  frictionBeforeContent: boolean;
  menuMs: number;
  /** Content nodes the caller got (read on USSD, heard to the end on IVR), in order; absent in accs saved by older versions. */
  heard?: string[];
  /** Of those, the ones reached with no back, home or invalid input before them. */
  heardClean?: string[];
  /** IVR: the content node being played, not yet known to be heard to the end, and whether it was reached cleanly. */
  pending?: string | null;
  pendingClean?: boolean;
  /** A call the service placed (outbound IVR), not one the subscriber made. */
  outbound?: boolean;
  /** Menu-design signals (absent in older accs): the last step was a back or home, not a choice. */
  stepBack?: boolean;
  /** Started from a shortcut dial string and no flow screen shown yet: the next one is where it landed. */
  shortcut?: boolean;
  /** The screen shown has had a "more" / an invalid input (each counted once per view). */
  paged?: boolean;
  invalidHere?: boolean;
}

/** What a finished session was, for rollups and detectors. */
export interface SessionOutcome {
  sub: number;
  ch: string;
  flow: string;
  start: number;
  end: number;
  reason: string;
  endNode: string | null;
  content: boolean;
  /** Content reached with no invalid input, back or revisit before it: found at the first go. */
  clean: boolean;
  stuck: boolean;
  /** Friction signals that fired (invalid, revisits, backs, deep_exit, max_invalid, long_menus). */
  signals: string[];
  /** The deepest (then most visited) menu the subscriber reached: what they were looking for. */
  sought: string | null;
  menuMs: number;
  visited: string[];
  /** Content nodes got in this session, in order (see SessionAcc.heard). */
  heard: string[];
  /** Content nodes got with no back, home or invalid input on the way. */
  heardClean: string[];
  outbound: boolean;
}

/** Where dwell time and per-node counts go while events are applied. */
export interface NodeSink {
  view(at: number, acc: SessionAcc, nodeId: string): void;
  dwell(at: number, acc: SessionAcc, nodeId: string, ms: number): void;
  invalid(at: number, acc: SessionAcc, nodeId: string): void;
  back(at: number, acc: SessionAcc, nodeId: string): void;
  /** Menu-design signals (optional: sinks that only need the funnel leave them out). A forward move from screen `from` to `to`. */
  pick?(at: number, acc: SessionAcc, from: string, to: string): void;
  /** A view of `nodeId` on which the caller asked for the next page; or got an invalid input. */
  paged?(at: number, acc: SessionAcc, nodeId: string): void;
  invalidView?(at: number, acc: SessionAcc, nodeId: string): void;
  /** Content first reached in the session: by shortcut dial, through the menu directly, or after a detour. */
  arrived?(at: number, acc: SessionAcc, nodeId: string, how: 'shortcut' | 'menu' | 'detour'): void;
}

/** A new accumulator for a session first seen at `at`. */
export function newSessionAcc(sub: number, ch: string, flow: string, at: number): SessionAcc {
  return {
    sub,
    ch,
    flow,
    start: at,
    last: at,
    node: null,
    nodeAt: at,
    nodeContent: false,
    visits: {},
    invalidAt: {},
    invalid: 0,
    backs: 0,
    revisits: 0,
    content: false,
    frictionBeforeContent: false,
    menuMs: 0,
    heard: [],
    heardClean: [],
    pending: null,
    pendingClean: false,
  };
}

/** Records content the caller got; `clean` when no back, home or invalid input came before it. */
function gotContent(acc: SessionAcc, nodeId: string, clean: boolean): void {
  (acc.heard ??= []).push(nodeId);
  if (clean) (acc.heardClean ??= []).push(nodeId);
}

// On IVR a content node counts once the caller has heard it to the end: anything they do after it shows that.
function confirmPending(acc: SessionAcc): void {
  if (!acc.pending) return;
  gotContent(acc, acc.pending, acc.pendingClean === true);
  acc.pending = null;
}

function leaveScreen(acc: SessionAcc, at: number, sink: NodeSink): void {
  if (acc.node === null) return;
  const ms = Math.max(0, at - acc.nodeAt);
  sink.dwell(acc.nodeAt, acc, acc.node, ms);
  if (!acc.nodeContent) acc.menuMs += ms;
}

/** Applies one usage event of the session (types other than the session's steps are ignored). */
export function applySessionEvent(acc: SessionAcc, type: string, nodeId: string | null, at: number, sink: NodeSink): void {
  if (at > acc.last) acc.last = at;
  confirmPending(acc);
  switch (type) {
    case 'menu':
    case 'content': {
      if (nodeId === null) return;
      const isContent = type === 'content';
      if (nodeId === acc.node) return; // the same screen again: another page, or re-shown after invalid input
      if (isContent) {
        const clean = acc.invalid === 0 && acc.backs === 0;
        if (acc.ch === 'ivr') {
          acc.pending = nodeId;
          acc.pendingClean = clean;
        } else gotContent(acc, nodeId, clean);
      }
      leaveScreen(acc, at, sink);
      const from = acc.node;
      const forward = acc.stepBack !== true;
      acc.stepBack = false;
      acc.paged = false;
      acc.invalidHere = false;
      const seen = acc.visits[nodeId] ?? 0;
      if (seen > 0) acc.revisits++;
      acc.visits[nodeId] = seen + 1;
      acc.node = nodeId;
      acc.nodeAt = at;
      acc.nodeContent = isContent;
      sink.view(at, acc, nodeId);
      if (from !== null && forward) sink.pick?.(at, acc, from, nodeId);
      // Built-in screens (_language, _resume) come before a shortcut lands: they neither land nor end it.
      if (!nodeId.startsWith('_')) {
        if (isContent && seen === 0) sink.arrived?.(at, acc, nodeId, acc.shortcut ? 'shortcut' : acc.backs > 0 || acc.revisits > 0 ? 'detour' : 'menu');
        acc.shortcut = false;
      }
      if (isContent && !acc.content) {
        acc.content = true;
        acc.frictionBeforeContent = acc.invalid > 0 || acc.backs > 0 || acc.revisits > 0;
      }
      return;
    }
    case 'input_invalid': {
      const n = nodeId ?? acc.node;
      acc.invalid++;
      if (n) {
        acc.invalidAt[n] = (acc.invalidAt[n] ?? 0) + 1;
        sink.invalid(at, acc, n);
        // A wrong shortcut digit comes before its screen is shown: not a try on a screen the caller saw.
        if (n === acc.node && acc.invalidHere !== true) {
          acc.invalidHere = true;
          sink.invalidView?.(at, acc, n);
        }
      }
      return;
    }
    case 'more': {
      if (acc.node !== null && (nodeId ?? acc.node) === acc.node && acc.paged !== true) {
        acc.paged = true;
        sink.paged?.(at, acc, acc.node);
      }
      return;
    }
    case 'back':
    case 'home': {
      acc.backs++;
      acc.stepBack = true;
      const n = nodeId ?? acc.node;
      if (n) sink.back(at, acc, n);
      return;
    }
    default:
      return;
  }
}

type StuckConfig = Config['crm']['stuck'];

/** How a session ended, as its session_end event (or the stale sweep) says. */
export interface SessionEnd {
  at: number;
  reason: string;
  node: string | null;
  depth?: number | null;
  /** The caller hung up (a voice platform's final callback), as opposed to the flow or a timeout ending it. */
  hangup?: boolean;
  /** IVR: this long on a content node counts as heard to the end even when the caller hung up on it. */
  heardMs?: number;
}

/** Ends the session and classifies it: content reached, found at the first go, or stuck and why. */
export function finishSession(acc: SessionAcc, end: SessionEnd, cfg: StuckConfig, flows: FlowIndex, sink: NodeSink): SessionOutcome {
  // Content still playing when the call ended: heard if the flow ended the call on it, or the caller stayed long enough.
  if (acc.pending) {
    const endedByFlow = end.hangup !== true && end.reason !== 'timeout' && end.reason !== 'dropped';
    if (endedByFlow || end.at - acc.nodeAt >= (end.heardMs ?? Infinity)) confirmPending(acc);
    acc.pending = null;
  }
  leaveScreen(acc, end.at, sink);
  const endNode = end.node ?? acc.node;
  const signals: string[] = [];
  if (acc.invalid >= cfg.invalidInputs) signals.push('invalid');
  if (acc.revisits >= cfg.revisits) signals.push('revisits');
  if (acc.backs >= cfg.backs) signals.push('backs');
  if (end.reason === 'max_invalid') signals.push('max_invalid');
  if (end.reason === 'timeout' || end.reason === 'dropped') {
    const depth = (endNode ? flows.info(acc.flow, endNode)?.depth : null) ?? end.depth ?? 0;
    if (depth >= cfg.deepExitDepth) signals.push('deep_exit');
  }
  if (acc.menuMs >= cfg.longMenuSeconds * 1000) signals.push('long_menus');
  const stuck = !acc.content && signals.length > 0;
  return {
    sub: acc.sub,
    ch: acc.ch,
    flow: acc.flow,
    start: acc.start,
    end: end.at,
    reason: end.reason,
    endNode,
    content: acc.content,
    clean: acc.content && !acc.frictionBeforeContent,
    stuck,
    signals,
    sought: stuck ? soughtNode(acc, flows) : null,
    menuMs: acc.menuMs,
    visited: Object.keys(acc.visits),
    heard: acc.heard ?? [],
    heardClean: acc.heardClean ?? [],
    outbound: acc.outbound === true,
  };
}

/** The deepest menu visited below the start; ties go to the one visited (and failed at) most. */
function soughtNode(acc: SessionAcc, flows: FlowIndex): string | null {
  let best: string | null = null;
  let bestDepth = -1;
  let bestScore = -1;
  for (const [node, visits] of Object.entries(acc.visits)) {
    const info = flows.info(acc.flow, node);
    // The start menu is where everyone begins, not something sought: a caller lost there gets the general tip.
    if (!info || info.depth === null || info.depth === 0 || info.type === 'content') continue;
    const score = visits + (acc.invalidAt[node] ?? 0);
    if (info.depth > bestDepth || (info.depth === bestDepth && score > bestScore)) {
      best = node;
      bestDepth = info.depth;
      bestScore = score;
    }
  }
  return best;
}
