import type { Random } from '../scores/random';
import type { Route } from './flow-paths';

/** One usage event row: at, subscriber, channel, type, session, flow, node, detail JSON. */
export type EventRow = [number, number, string, string, string | null, string | null, string | null, string | null];

/** A synthesized session: its events (in order), and what the sessions table needs. */
export interface SessionPlan {
  id: string;
  start: number;
  end: number;
  reason: string;
  endNode: string;
  hops: number;
  stuck: boolean;
  events: EventRow[];
}

export interface SessionInput {
  sub: number;
  channel: 'ussd' | 'ivr';
  flowId: string;
  id: string;
  start: number;
  /** What they came for. */
  route: Route;
  /** Routes that share the target's last menu (for browsing a second topic). */
  siblings: readonly Route[];
  stuck: boolean;
  /** A first-time caller chooses the language first. */
  firstTime: boolean;
  /** Reaches the target's menu and leaves it without choosing (a planted lack of interest, not friction). */
  dropOut?: boolean;
  /** Straight to the content and no further: no stumble, no second topic (a visit the welcome's shortcut made easy). */
  clean?: boolean;
}

/**
 * Whether a session found what it sought at the first go as the CRM classifies it: content with no invalid
 * input or back on the way, and on IVR listened to for at least `heardMs` (what counts as heard).
 */
export function foundFirstGo(p: SessionPlan, heardMs = 20_000): boolean {
  const i = p.events.findIndex((e) => e[3] === 'content');
  if (i < 0 || p.events.some((e) => e[3] === 'input_invalid' || e[3] === 'back')) return false;
  const e = p.events[i]!;
  return e[2] !== 'ivr' || p.events[i + 1]![0] - e[0] >= heardMs;
}

/**
 * Synthesizes one session the way the engine records it: session_start, a `menu` per screen, `content`,
 * `input_invalid`, `back`, and `session_end` with its reason. Stuck sessions fail in the ways docs/domain.md
 * lists (invalid inputs until max_invalid, wandering back and forth, a hang-up or timeout deep in the
 * menu, a long time in menus); the rest find their content, some after a stumble.
 */
export function synthSession(r: Random, s: SessionInput): SessionPlan {
  const ev: EventRow[] = [];
  let t = s.start;
  const step = (lo: number, hi: number) => (t += Math.round((lo + r.next() * (hi - lo)) * 1000));
  const push = (type: string, node: string | null, detail: string | null = null) => ev.push([t, s.sub, s.channel, type, s.id, s.flowId, node, detail]);
  push('session_start', null, s.channel === 'ussd' ? '{"dialect":"africastalking"}' : null);
  if (s.firstTime) {
    push('menu', '_language');
    step(4, 10);
  }
  const menus = s.route.menus;
  let reason: string;
  let endNode: string;
  let depth = 0;
  if (s.dropOut && !s.stuck) {
    for (const m of menus) {
      push('menu', m);
      step(3, 10);
    }
    endNode = menus[menus.length - 1]!;
    depth = menus.length - 1;
    reason = 'user_exit';
  } else if (!s.stuck) {
    for (const m of menus) {
      push('menu', m);
      step(3, 10);
    }
    // Some stumble once on the way and still get there: content, but not at the first go.
    if (!s.clean && r.chance(0.12)) {
      const at = menus[r.int(menus.length)]!;
      push('input_invalid', at, '{"input":"9"}');
      step(3, 8);
    }
    push('content', s.route.content);
    // A clean visit listens to the end (on IVR: long enough to count as heard).
    step(s.clean ? 25 : 15, 45);
    endNode = s.route.content;
    const other = s.siblings.length > 1 ? r.pick(s.siblings) : null;
    if (!s.clean && other && other.content !== s.route.content && r.chance(0.2)) {
      push('back', s.route.content);
      push('menu', menus[menus.length - 1]!);
      step(3, 8);
      push('content', other.content);
      step(15, 45);
      endNode = other.content;
    }
    const u = r.next();
    reason = u < 0.5 ? 'user_exit' : u < 0.9 ? 'timeout' : 'completed';
    depth = menus.length;
  } else {
    // How deep they got before it went wrong: usually the menu just above the content they wanted.
    const k = Math.max(0, menus.length - 1 - (r.chance(0.7) ? 0 : r.int(menus.length)));
    for (let i = 0; i <= k; i++) {
      push('menu', menus[i]!);
      step(6, 20);
    }
    endNode = menus[k]!;
    depth = k;
    const u = r.next();
    if (u < 0.45) {
      for (let i = 0; i < 3; i++) {
        push('input_invalid', endNode, `{"input":"${7 + i}"}`);
        step(5, 15);
      }
      reason = 'max_invalid';
    } else if (u < 0.7) {
      for (let i = 0; i < 2; i++) {
        push('input_invalid', endNode, '{"input":"#"}');
        step(8, 20);
      }
      step(60, 120);
      reason = 'timeout';
    } else if (u < 0.9 && k > 0) {
      // Back and forth between the menu and its parent, then gone.
      for (let i = 0; i < 2; i++) {
        push('back', endNode);
        push('menu', menus[k - 1]!);
        step(6, 15);
        push('menu', endNode);
        step(6, 15);
      }
      reason = r.chance(0.5) ? 'dropped' : 'timeout';
    } else {
      step(95, 170);
      reason = s.channel === 'ivr' || r.chance(0.5) ? 'dropped' : 'timeout';
    }
  }
  const detail = reason === 'timeout' || reason === 'dropped' ? `{"reason":"${reason}","depth":${depth}}` : `{"reason":"${reason}"}`;
  push('session_end', endNode, detail);
  return { id: s.id, start: s.start, end: t, reason, endNode, hops: ev.length, stuck: s.stuck, events: ev };
}
