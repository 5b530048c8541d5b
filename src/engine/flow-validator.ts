import { lengthIn, isGsm7, ucs2Limit } from './gsm';
import { paginate } from './paging';
import { LANGUAGE_SCREEN, RESUME_SCREEN, screenModel } from './screens';
import { OPTIONAL_MESSAGE_KEYS, systemMessage, SYSTEM_MESSAGE_KEYS, systemText } from './system-messages';
import type { Flow, FlowNode, FlowProblem, Localized, SystemMessageKey } from './types';

/**
 * Semantic checks of a parsed flow: references, reachability, dead ends, translations and whether every
 * USSD screen fits. The loader runs it on every file; the server refuses to start while any problem remains.
 */

export interface ValidateOptions {
  /** USSD characters per screen (config ussd.maxChars); default 182. */
  maxChars?: number;
  /** Known service ids (config `services`); when given, subscribe/unsubscribe must name one of them. */
  services?: string[];
  /** Regions and crops the profile schema lists: a node context naming another is a warning. */
  knownContext?: { regions?: readonly string[]; crops?: readonly string[] };
}

const NODE_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const USSD_CODE = /^\*\d+(\*\d+)*#$/;
const IVR_NUMBER = /^\+?\d{3,15}$/;
const KEYWORD = /^[A-Za-z0-9]{1,20}$/;
/** Keys 1..97: 98 is "more". */
const MAX_OPTIONS = 97;

/** Every node a node leads to by an option or `next`. */
export function nodeTargets(node: FlowNode): { next: string; what: string }[] {
  switch (node.type) {
    case 'menu':
      return node.options.map((o, i) => ({ next: o.next, what: `option ${i + 1}` }));
    case 'input':
      return [{ next: node.next, what: 'next' }];
    case 'content':
    case 'action':
    case 'poll':
      return node.next ? [{ next: node.next, what: 'next' }] : [];
    case 'end':
      return [];
  }
}

/** Checks one flow; returns every problem found (empty when the flow is valid). */
export function validateFlow(flow: Flow, opts: ValidateOptions = {}): FlowProblem[] {
  const problems: FlowProblem[] = [];
  const add = (nodeId: string | null, message: string) => problems.push({ file: flow.file, nodeId, message });
  const langs = flow.languages;
  const langList = langs.join(', ');
  const maxChars = opts.maxChars ?? 182;

  // `complete`: when given, every language must have a text (a missing field is the schema's business).
  const localized = (nodeId: string | null, what: string, loc: Localized | undefined, complete: boolean) => {
    if (!loc) return;
    for (const k of Object.keys(loc)) {
      if (!langs.includes(k)) add(nodeId, `${what} has language "${k}", which is not in languages (${langList})`);
    }
    if (!complete) return;
    const missing = langs.filter((l) => !loc[l]?.trim());
    if (missing.length) add(nodeId, `${what} has no ${missing.map((l) => `"${l}"`).join(', ')} translation`);
  };

  // Languages and system messages.
  if (new Set(langs).size !== langs.length) add(null, `languages lists a language twice (${langList})`);
  if (!langs.includes(flow.defaultLanguage)) add(null, `defaultLanguage "${flow.defaultLanguage}" is not in languages (${langList})`);
  for (const l of langs) if (!flow.languageNames[l]) add(null, `language "${l}" has no name for the language menu: add languageNames.${l}`);
  localized(null, 'title', flow.title, false);
  for (const [key, loc] of Object.entries(flow.messages)) {
    if (!SYSTEM_MESSAGE_KEYS.includes(key as SystemMessageKey)) add(null, `messages.${key} is not a system message (${SYSTEM_MESSAGE_KEYS.join(', ')})`);
    else localized(null, `messages.${key}`, loc, false);
  }
  for (const l of langs) {
    const missing = SYSTEM_MESSAGE_KEYS.filter((k) => !OPTIONAL_MESSAGE_KEYS.has(k) && !systemMessage(flow, k, l)?.trim());
    if (missing.length) add(null, `no built-in system messages in "${l}": add ${missing.map((k) => `messages.${k}.${l}`).join(', ')}`);
  }

  // Entry points.
  const seen = new Set<string>();
  for (const code of flow.entry.ussd) {
    if (!USSD_CODE.test(code)) add(null, `USSD code "${code}" is not like "*384*1#" (quote it in YAML)`);
    if (seen.has(code)) add(null, `USSD code "${code}" is listed twice`);
    seen.add(code);
  }
  for (const num of flow.entry.ivr) if (!IVR_NUMBER.test(num)) add(null, `IVR number "${num}" is not a phone number`);
  for (const e of flow.entry.sms) {
    const where = `SMS keyword "${e.keyword}"`;
    if (!KEYWORD.test(e.keyword)) add(null, `${where} must be one word of letters and digits`);
    if (e.shortCode !== undefined && !/^\d{3,15}$/.test(e.shortCode)) add(null, `${where}: short code "${e.shortCode}" is not a number`);
    const n = flow.nodes[e.node];
    if (!n) add(null, `${where} points to unknown node "${e.node}"`);
    else if (n.type !== 'content' || !n.sms) add(null, `${where} points to "${e.node}", which is not a content node with an sms text`);
    const k = `${e.keyword.toUpperCase()}@${e.shortCode ?? ''}`;
    if (seen.has(k)) add(null, `${where} is listed twice`);
    seen.add(k);
  }

  // Nodes.
  const start = flow.nodes[flow.start];
  if (!start) add(null, `start node "${flow.start}" does not exist`);
  else if (start.type === 'action' || start.type === 'end') add(flow.start, `the start node cannot be an ${start.type} node`);

  for (const [id, node] of Object.entries(flow.nodes)) {
    if (!NODE_ID.test(id)) add(id, 'node ids use letters, digits, "-", "_" and "." and start with a letter or digit');
    localized(id, 'text', node.text, true);
    localized(id, 'voice', node.voice, true);
    localized(id, 'audio', node.audio, false);
    for (const t of nodeTargets(node)) {
      if (!flow.nodes[t.next]) add(id, `${t.what} leads to unknown node "${t.next}"`);
    }
    switch (node.type) {
      case 'menu':
        if (node.options.length === 0) add(id, 'dead end: a menu needs at least one option');
        if (node.options.length > MAX_OPTIONS) add(id, `a menu has at most ${MAX_OPTIONS} options (98 is "more")`);
        node.options.forEach((o, i) => {
          localized(id, `option ${i + 1} label`, o.label, true);
          localized(id, `option ${i + 1} voice`, o.voice, true);
        });
        break;
      case 'content':
        localized(id, 'sms', node.sms, true);
        localized(id, 'nextLabel', node.nextLabel, true);
        if (node.nextLabel && !node.next) add(id, 'nextLabel without next');
        break;
      case 'input':
        if (node.choices) {
          if (node.choices.length === 0) add(id, 'dead end: choices is empty (leave it out to accept typed digits)');
          if (node.choices.length > MAX_OPTIONS) add(id, `an input has at most ${MAX_OPTIONS} choices`);
          const values = node.choices.map((c) => c.value);
          if (new Set(values).size !== values.length) add(id, 'two choices have the same value');
          node.choices.forEach((c, i) => localized(id, `choice ${i + 1} label`, c.label, true));
          if (node.field === 'language') {
            for (const v of values) if (!langs.includes(v)) add(id, `choice value "${v}" is not one of the flow's languages`);
          }
          if (node.pattern) add(id, 'pattern applies only without choices');
        } else if (node.pattern) {
          try {
            new RegExp(node.pattern, 'u');
          } catch (e) {
            add(id, `pattern is not a valid regular expression: ${(e as Error).message}`);
          }
        }
        break;
      case 'action':
        if (node.action === 'set_language') {
          if (!node.language) add(id, 'set_language needs a language');
          else if (!langs.includes(node.language)) add(id, `set_language to unknown language "${node.language}" (languages: ${langList})`);
        }
        if (node.action === 'subscribe' || node.action === 'unsubscribe') {
          if (!node.service) add(id, `${node.action} needs a service`);
          else if (opts.services && !opts.services.includes(node.service)) add(id, `${node.action}: unknown service "${node.service}"`);
        }
        if (node.action === 'send_sms') {
          const c = node.content ? flow.nodes[node.content] : undefined;
          if (!node.content) add(id, 'send_sms needs a content node');
          else if (!c) add(id, `send_sms: unknown content node "${node.content}"`);
          else if (c.type !== 'content' || !c.sms) add(id, `send_sms: "${node.content}" is not a content node with an sms text`);
        }
        break;
      case 'poll':
        if (node.answers.length === 0) add(id, 'dead end: a poll needs at least one answer');
        if (node.answers.length > MAX_OPTIONS) add(id, `a poll has at most ${MAX_OPTIONS} answers`);
        node.answers.forEach((a, i) => localized(id, `answer ${i + 1}`, a, true));
        break;
      case 'end':
        break;
    }
  }

  // Reachability: from the start node, plus content used by SMS keywords and send_sms actions.
  const reached = new Set<string>();
  const queue: string[] = [];
  const visit = (id: string) => {
    if (flow.nodes[id] && !reached.has(id)) {
      reached.add(id);
      queue.push(id);
    }
  };
  visit(flow.start);
  for (const e of flow.entry.sms) visit(e.node);
  for (const n of Object.values(flow.nodes)) if (n.type === 'action' && n.content) visit(n.content);
  while (queue.length) for (const t of nodeTargets(flow.nodes[queue.shift()!]!)) visit(t.next);
  for (const id of Object.keys(flow.nodes)) {
    if (!reached.has(id)) add(id, `unreachable: no option or next leads here from the start node "${flow.start}"`);
  }

  if (langs.length > 0 && Number.isFinite(maxChars)) checkFit(flow, maxChars, add);
  return problems;
}

// Every USSD screen, in every language, must page within the limit, also with the invalid notice above it.
// Final screens cannot page (the session ends with them), so they must fit on one.
function checkFit(flow: Flow, maxChars: number, add: (nodeId: string | null, message: string) => void): void {
  const fitsOne = (text: string) => {
    const ucs2 = !isGsm7(text);
    return lengthIn(text, ucs2) <= (ucs2 ? ucs2Limit(maxChars) : maxChars);
  };
  const screen = (id: string, lang: string, nodeId: string | null, label: string) => {
    const model = screenModel(flow, id, lang);
    for (const reserve of [null, model.notice]) {
      const r = paginate(model.spec, { maxChars, reserve });
      if (!r.ok) {
        add(nodeId, `${label}does not fit in ${maxChars} characters even when paged (${lang}): ${r.error}`);
        return;
      }
    }
  };
  for (const lang of flow.languages) {
    for (const node of Object.values(flow.nodes)) {
      const final = node.type === 'end' || (node.type === 'action' && !node.next);
      if (final) {
        const text = node.text[lang] ?? '';
        if (!fitsOne(text)) add(node.id, `final text is longer than one screen (${maxChars} characters) in ${lang}`);
      } else screen(node.id, lang, node.id, '');
      if (node.type === 'poll' && !node.next && !fitsOne(systemText(flow, 'thanks', lang))) {
        add(node.id, `messages.thanks is longer than one screen in ${lang}`);
      }
    }
    screen(RESUME_SCREEN, lang, null, 'the resume screen ');
    for (const key of ['maxInvalid', 'goodbye'] as const) {
      if (!fitsOne(systemText(flow, key, lang))) add(null, `messages.${key} is longer than one screen in ${lang}`);
    }
  }
  if (flow.languages.length > 1) {
    screen(LANGUAGE_SCREEN, flow.defaultLanguage, null, 'the language menu ');
    const bye = [...new Set(flow.languages.map((l) => systemText(flow, 'maxInvalid', l)))].join(' / ');
    if (!fitsOne(bye)) add(null, 'messages.maxInvalid in all languages (shown on the language menu) is longer than one screen');
  }
}
