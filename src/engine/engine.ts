import { finalScreen, LANGUAGE_SCREEN, pick, RESUME_SCREEN, showScreen } from './screens';
import { systemText } from './system-messages';
import type {
  ActionNode,
  Effect,
  EndReason,
  EngineState,
  EventDraft,
  Flow,
  Lang,
  Screen,
  StepContext,
  StepResult,
} from './types';

/**
 * The flow engine: a pure step function. Given a flow, the saved state, the subscriber's input and the
 * channel's limits it returns the next screen, the new state, the usage events of exactly the steps taken
 * and the effects (profile updates, subscriptions, SMS, poll answers) for the session service to apply.
 * It never throws on input: anything it cannot use is an invalid try.
 */

const BACK = '0';
const HOME = '00';
const MORE = '98';
const REPEAT = '*';
/** Back-stack depth kept; a subscriber looping through menus must not grow the saved state forever. */
const MAX_STACK = 30;

interface Acc {
  events: EventDraft[];
  effects: Effect[];
}

interface Out {
  screen: Screen;
  end: EndReason | null;
  invalid: boolean;
}

const newAcc = (): Acc => ({ events: [], effects: [] });
const SCREEN_EVENTS = new Set(['menu', 'content']);

function clone(s: EngineState): EngineState {
  return { ...s, stack: [...s.stack], visits: { ...s.visits } };
}

function emptyState(phase: EngineState['phase'], node: string, lang: Lang): EngineState {
  return { phase, node, stack: [], page: 0, invalid: 0, lang, visits: {} };
}

/** The language to use without asking, or null when the subscriber must choose. */
function knownLanguage(flow: Flow, stored: Lang | null): Lang | null {
  if (stored && flow.languages.includes(stored)) return stored;
  if (flow.languages.length <= 1) return flow.languages[0] ?? flow.defaultLanguage;
  // A language this flow does not offer (set by another flow or the API): the flow's default, not a menu.
  return stored ? flow.defaultLanguage : null;
}

function screenId(st: EngineState): string {
  return st.phase === 'language' ? LANGUAGE_SCREEN : st.phase === 'resume' ? RESUME_SCREEN : st.node;
}

/** Parses an option key: 1..97 without leading zeros. */
function optionKey(input: string): number | null {
  return /^[1-9]\d?$/.test(input) ? Number(input) : null;
}

const patterns = new Map<string, RegExp>();
/** The whole-input regex of a free input node (default: 1 to 20 digits); compiled once. */
function inputPattern(pattern: string | undefined): RegExp {
  const src = pattern ?? '\\d{1,20}';
  let re = patterns.get(src);
  if (!re) {
    try {
      re = new RegExp(`^(?:${src})$`, 'u');
    } catch {
      // The validator rejects such flows; at run time an unusable pattern accepts nothing.
      re = /(?!)/;
    }
    patterns.set(src, re);
  }
  return re;
}

function show(flow: Flow, st: EngineState, ctx: StepContext, acc: Acc, notice: boolean, event: boolean): Screen {
  const id = screenId(st);
  const sh = showScreen(flow, id, st.lang, ctx.maxChars, st.page, st.tight === true, notice);
  st.page = sh.page;
  if (sh.tight) st.tight = true;
  else delete st.tight;
  if (event && sh.screen.kind !== 'action') {
    const e: EventDraft = { type: sh.screen.kind === 'content' ? 'content' : 'menu', nodeId: id };
    if (sh.pages > 1) e.detail = { page: sh.page + 1 };
    acc.events.push(e);
  }
  return sh.screen;
}

function end(st: EngineState, acc: Acc, reason: EndReason, screen: Screen): Out {
  st.phase = 'ended';
  delete st.tight;
  delete st.pending;
  acc.events.push({ type: 'session_end', nodeId: screen.nodeId, detail: { reason } });
  return { screen, end: reason, invalid: false };
}

function shown(screen: Screen): Out {
  return { screen, end: null, invalid: false };
}

function performAction(flow: Flow, st: EngineState, node: ActionNode, acc: Acc): void {
  const detail: Record<string, unknown> = { action: node.action };
  switch (node.action) {
    case 'set_language':
      if (node.language && flow.languages.includes(node.language)) {
        st.lang = node.language;
        detail.language = node.language;
        acc.effects.push({ kind: 'set_profile', field: 'language', value: node.language });
      }
      break;
    case 'subscribe':
    case 'unsubscribe':
      if (node.service) {
        detail.service = node.service;
        acc.effects.push({ kind: node.action, service: node.service });
      }
      break;
    case 'send_sms': {
      const content = node.content ? flow.nodes[node.content] : undefined;
      if (content?.type === 'content' && content.sms) {
        detail.content = content.id;
        acc.effects.push({ kind: 'send_sms', node: content.id, text: pick(flow, content.sms, st.lang) });
      }
      break;
    }
  }
  acc.events.push({ type: 'action', nodeId: node.id, detail });
  if (node.action === 'set_language' && detail.language) {
    acc.events.push({ type: 'profile_update', nodeId: node.id, detail: { field: 'language', value: st.lang } });
  }
}

/** Shows `target` (or runs it: action, end) as the current node. */
function arrive(flow: Flow, st: EngineState, target: string, ctx: StepContext, acc: Acc): Out {
  const node = flow.nodes[target] ?? flow.nodes[flow.start];
  if (!node) return end(st, acc, 'error', finalScreen(target, 'end', st.lang, systemText(flow, 'goodbye', st.lang)));
  st.phase = 'node';
  st.node = node.id;
  st.page = 0;
  st.invalid = 0;
  delete st.tight;
  st.visits[node.id] = (st.visits[node.id] ?? 0) + 1;
  const body = () => pick(flow, node.text, st.lang);
  const final = (kind: Screen['kind']) =>
    finalScreen(node.id, kind, st.lang, body(), node.voice ? pick(flow, node.voice, st.lang) : body(), node.audio?.[st.lang]);
  if (node.type === 'end') return end(st, acc, 'completed', final('end'));
  if (node.type === 'action') {
    performAction(flow, st, node, acc);
    if (!node.next) return end(st, acc, 'completed', final('action'));
  }
  return shown(show(flow, st, ctx, acc, false, true));
}

/** Moves forward to `target`, remembering the current node for `0` (actions are never returned to). */
function go(flow: Flow, st: EngineState, target: string, ctx: StepContext, acc: Acc): Out {
  const cur = st.node;
  const idx = st.stack.indexOf(target);
  if (target === flow.start) st.stack = [];
  // Going to a node already on the stack (a "Main menu" option, a loop) unwinds instead of growing it.
  else if (idx >= 0) st.stack.length = idx;
  else if (target !== cur && flow.nodes[cur]?.type !== 'action') {
    st.stack.push(cur);
    if (st.stack.length > MAX_STACK) st.stack.shift();
  }
  return arrive(flow, st, target, ctx, acc);
}

function invalid(flow: Flow, st: EngineState, input: string, ctx: StepContext, acc: Acc, shortcut: boolean): Out {
  const detail: Record<string, unknown> = { input: Array.from(input).slice(0, 20).join('') };
  if (shortcut) detail.shortcut = true;
  acc.events.push({ type: 'input_invalid', nodeId: screenId(st), detail });
  // A wrong shortcut digit is the dial string's fault, not a try on a screen the subscriber has seen.
  if (!shortcut) st.invalid += 1;
  if (st.invalid >= ctx.maxInvalid) {
    const text =
      st.phase === 'language'
        ? [...new Set(flow.languages.map((l) => systemText(flow, 'maxInvalid', l)))].join(' / ')
        : systemText(flow, 'maxInvalid', st.lang);
    return end(st, acc, 'max_invalid', finalScreen(screenId(st), 'end', st.lang, text));
  }
  return { screen: show(flow, st, ctx, acc, true, shortcut), end: null, invalid: true };
}

function more(flow: Flow, st: EngineState, ctx: StepContext, acc: Acc, shortcut: boolean): Out {
  const probe = showScreen(flow, screenId(st), st.lang, ctx.maxChars, st.page, st.tight === true, false);
  if (probe.page >= probe.pages - 1) return invalid(flow, st, MORE, ctx, acc, shortcut);
  st.page = probe.page + 1;
  st.invalid = 0;
  acc.events.push({ type: 'more', nodeId: screenId(st), detail: { page: st.page + 1 } });
  return shown(show(flow, st, ctx, acc, false, true));
}

/** After the language is known: the start node (or `at`), then any shortcut inputs, one by one. */
function enterStart(flow: Flow, st: EngineState, ctx: StepContext, acc: Acc, shortcut: string[], at = flow.start): Out {
  st.stack = [];
  if (shortcut.length === 0) return arrive(flow, st, at, ctx, acc);
  const first = newAcc();
  let out = arrive(flow, st, at, ctx, first);
  // Screens passed through on the way are never shown: only the last one counts as a `menu`/`content`.
  const keep = (a: Acc, last: boolean) => {
    acc.events.push(...(last ? a.events : a.events.filter((e) => !SCREEN_EVENTS.has(e.type))));
    acc.effects.push(...a.effects);
  };
  keep(first, out.end !== null);
  for (let k = 0; k < shortcut.length && out.end === null; k++) {
    const sub = newAcc();
    out = stepNode(flow, st, shortcut[k]!, ctx, sub, true);
    keep(sub, k === shortcut.length - 1 || out.invalid || out.end !== null);
    if (out.invalid) break;
  }
  return out;
}

function chooseLanguage(flow: Flow, st: EngineState, input: string, ctx: StepContext, acc: Acc): Out {
  const n = optionKey(input);
  const lang = n !== null ? flow.languages[n - 1] : undefined;
  if (!lang) return invalid(flow, st, input, ctx, acc, false);
  st.lang = lang;
  acc.effects.push({ kind: 'set_profile', field: 'language', value: lang });
  acc.events.push({ type: 'profile_update', nodeId: LANGUAGE_SCREEN, detail: { field: 'language', value: lang } });
  const pending = st.pending ?? [];
  const at = st.startAt && flow.nodes[st.startAt] ? st.startAt : flow.start;
  delete st.pending;
  delete st.startAt;
  return enterStart(flow, st, ctx, acc, pending, at);
}

function chooseResume(flow: Flow, st: EngineState, input: string, ctx: StepContext, acc: Acc): Out {
  const prev = st.resumeFrom;
  if (input === '1' && prev) {
    Object.assign(st, clone(prev), { invalid: 0 });
    delete st.resumeFrom;
    return shown(show(flow, st, ctx, acc, false, true));
  }
  if (input === '2' || input === HOME || !prev) {
    if (input === HOME) acc.events.push({ type: 'home', nodeId: RESUME_SCREEN });
    const lang = st.lang;
    Object.assign(st, emptyState('node', flow.start, lang));
    delete st.resumeFrom;
    if (prev?.phase === 'language') {
      st.phase = 'language';
      st.node = LANGUAGE_SCREEN;
      return shown(show(flow, st, ctx, acc, false, true));
    }
    return enterStart(flow, st, ctx, acc, []);
  }
  return invalid(flow, st, input, ctx, acc, false);
}

/** One input on a flow node (or a built-in screen). */
function stepNode(flow: Flow, st: EngineState, input: string, ctx: StepContext, acc: Acc, shortcut: boolean): Out {
  if (input === REPEAT && !shortcut) return shown(show(flow, st, ctx, acc, false, false));
  if (input === MORE) return more(flow, st, ctx, acc, shortcut);
  if (st.phase === 'language' || st.phase === 'resume') {
    if (input === BACK) {
      // Both built-in screens are roots: back shows them again.
      acc.events.push({ type: 'back', nodeId: screenId(st) });
      st.page = 0;
      st.invalid = 0;
      return shown(show(flow, st, ctx, acc, false, true));
    }
    if (st.phase === 'resume') return chooseResume(flow, st, input, ctx, acc);
    if (input === HOME) {
      acc.events.push({ type: 'home', nodeId: LANGUAGE_SCREEN });
      st.page = 0;
      st.invalid = 0;
      return shown(show(flow, st, ctx, acc, false, true));
    }
    return chooseLanguage(flow, st, input, ctx, acc);
  }
  if (input === HOME) {
    acc.events.push({ type: 'home', nodeId: st.node });
    st.stack = [];
    return arrive(flow, st, flow.start, ctx, acc);
  }
  if (input === BACK) {
    acc.events.push({ type: 'back', nodeId: st.node });
    const prev = st.stack.pop();
    return arrive(flow, st, prev !== undefined && flow.nodes[prev] ? prev : flow.start, ctx, acc);
  }
  const node = flow.nodes[st.node]!;
  const n = optionKey(input);
  switch (node.type) {
    case 'menu': {
      const opt = n !== null ? node.options[n - 1] : undefined;
      if (opt) return go(flow, st, opt.next, ctx, acc);
      break;
    }
    case 'content':
    case 'action':
      if (n === 1 && node.next) return go(flow, st, node.next, ctx, acc);
      break;
    case 'input': {
      let value: string | undefined;
      if (node.choices) value = n !== null ? node.choices[n - 1]?.value : undefined;
      else if (inputPattern(node.pattern).test(input)) value = input;
      if (value === undefined) break;
      acc.effects.push({ kind: 'set_profile', field: node.field, value });
      acc.events.push({ type: 'profile_update', nodeId: node.id, detail: { field: node.field, value } });
      return go(flow, st, node.next, ctx, acc);
    }
    case 'poll': {
      if (n === null || n > node.answers.length) break;
      acc.effects.push({ kind: 'poll_answer', poll: node.poll, answer: n - 1, nodeId: node.id });
      acc.events.push({ type: 'poll_answer', nodeId: node.id, detail: { poll: node.poll, answer: n - 1 } });
      if (node.next) return go(flow, st, node.next, ctx, acc);
      return end(st, acc, 'completed', finalScreen(node.id, 'poll', st.lang, systemText(flow, 'thanks', st.lang)));
    }
    case 'end':
      break;
  }
  return invalid(flow, st, input, ctx, acc, shortcut);
}

function result(st: EngineState, out: Out, acc: Acc): StepResult {
  return { state: st, screen: out.screen, events: acc.events, effects: acc.effects, end: out.end };
}

/**
 * Starts a session: the language menu for a first-time subscriber of a multilingual flow, else the start
 * node (or `node`, e.g. for a call into a given node; `0` from there leads to the start node).
 * `shortcut` inputs (from `*384*1*1*2#`) are applied one by one once the language is known.
 */
export function start(flow: Flow, ctx: StepContext, opts?: { shortcut?: string[]; node?: string }): StepResult {
  const acc = newAcc();
  const shortcut = (opts?.shortcut ?? []).map((s) => s.trim()).filter((s) => s !== '');
  acc.events.push(shortcut.length ? { type: 'session_start', detail: { shortcut: true } } : { type: 'session_start' });
  const at = opts?.node && flow.nodes[opts.node] ? opts.node : flow.start;
  const lang = knownLanguage(flow, ctx.language);
  if (lang === null) {
    const st = emptyState('language', LANGUAGE_SCREEN, flow.defaultLanguage);
    if (shortcut.length) st.pending = shortcut;
    if (at !== flow.start) st.startAt = at;
    return result(st, shown(show(flow, st, ctx, acc, false, true)), acc);
  }
  const st = emptyState('node', flow.start, lang);
  return result(st, enterStart(flow, st, ctx, acc, shortcut, at), acc);
}

/** Applies one input (trimmed) to a session's state. Never mutates `state`. */
export function step(flow: Flow, state: EngineState, input: string, ctx: StepContext): StepResult {
  const acc = newAcc();
  const st = clone(state);
  if (!flow.languages.includes(st.lang)) st.lang = flow.defaultLanguage;
  const text = typeof input === 'string' ? input.trim() : '';
  if (st.phase === 'ended') {
    const screen = finalScreen(st.node, 'end', st.lang, systemText(flow, 'goodbye', st.lang));
    return { state: st, screen, events: [], effects: [], end: null };
  }
  // The flow was edited since this state was saved and its node is gone: carry on from the start.
  if (st.phase === 'node' && !flow.nodes[st.node]) {
    st.stack = [];
    return result(st, arrive(flow, st, flow.start, ctx, acc), acc);
  }
  return result(st, stepNode(flow, st, text, ctx, acc, false), acc);
}

/**
 * A new session by a subscriber whose previous session dropped: "1. Continue where you left off
 * 2. Start again". `1` restores `previous` and shows its screen again; `2` starts from the start node.
 */
export function offerResume(flow: Flow, previous: EngineState, ctx: StepContext): StepResult {
  const prev = previous.phase === 'resume' ? previous.resumeFrom : previous;
  if (!prev || prev.phase === 'ended' || prev.phase === 'resume' || (prev.phase === 'node' && !flow.nodes[prev.node])) {
    return start(flow, ctx);
  }
  const acc = newAcc();
  acc.events.push({ type: 'session_start', detail: { resume: true } });
  const lang = flow.languages.includes(prev.lang) ? prev.lang : flow.defaultLanguage;
  const st = emptyState('resume', RESUME_SCREEN, lang);
  st.resumeFrom = { ...clone(prev), lang, invalid: 0 };
  return result(st, shown(show(flow, st, ctx, acc, false, true)), acc);
}

/** The screen a state is on, without events (IVR repeats it on no input). */
export function currentScreen(flow: Flow, state: EngineState, ctx: StepContext): Screen {
  const st = clone(state);
  if (!flow.languages.includes(st.lang)) st.lang = flow.defaultLanguage;
  if (st.phase === 'ended') return finalScreen(st.node, 'end', st.lang, systemText(flow, 'goodbye', st.lang));
  if (st.phase === 'node' && !flow.nodes[st.node]) st.node = flow.start;
  return show(flow, st, ctx, newAcc(), false, false);
}
