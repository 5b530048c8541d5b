import { paginate, type Layout, type ScreenSpec } from './paging';
import { NATIVE_LANGUAGE_NAMES, systemText } from './system-messages';
import type { Flow, FlowNode, Lang, Localized, Screen, ScreenOption } from './types';
import { lengthIn, isGsm7, ucs2Limit } from './gsm';

/**
 * What each screen shows, in structured form and as USSD pages. Models and layouts are computed once per
 * flow, node, language and limit and cached, so a hop costs a few map lookups.
 */

/** Screen ids of the two built-in screens; flow node ids cannot start with `_`. */
export const LANGUAGE_SCREEN = '_language';
export const RESUME_SCREEN = '_resume';

export interface ScreenModel {
  nodeId: string;
  kind: Screen['kind'];
  lang: Lang;
  body: string;
  voiceBody: string;
  audio?: string;
  options: ScreenOption[];
  spec: ScreenSpec;
  /** The invalid-input notice in this screen's language. */
  notice: string;
}

/** Text of a localized field in `lang`, falling back to the flow's default language. */
export function pick(flow: Flow, loc: Localized | undefined, lang: Lang): string {
  if (!loc) return '';
  return loc[lang] ?? loc[flow.defaultLanguage] ?? Object.values(loc)[0] ?? '';
}

/** The navigation footer, e.g. "0 Back 00 Home". */
export function footerText(flow: Flow, lang: Lang): string {
  return `0 ${systemText(flow, 'back', lang)} 00 ${systemText(flow, 'home', lang)}`;
}

/** The line closing a non-last page, e.g. "98. More". */
export function moreText(flow: Flow, lang: Lang): string {
  return `98. ${systemText(flow, 'more', lang)}`;
}

/** Display name of a language on the language menu. */
export function languageName(flow: Flow, lang: Lang): string {
  return flow.languageNames[lang] ?? NATIVE_LANGUAGE_NAMES[lang] ?? lang;
}

const unique = (xs: string[]) => [...new Set(xs)];

function nodeOptions(flow: Flow, node: FlowNode, lang: Lang): ScreenOption[] {
  const opt = (i: number, label: Localized, voice?: Localized): ScreenOption => {
    const o: ScreenOption = { key: String(i + 1), label: pick(flow, label, lang) };
    if (voice) o.voice = pick(flow, voice, lang);
    return o;
  };
  switch (node.type) {
    case 'menu':
      return node.options.map((o, i) => opt(i, o.label, o.voice));
    case 'input':
      return (node.choices ?? []).map((c, i) => opt(i, c.label));
    case 'poll':
      return node.answers.map((a, i) => opt(i, a));
    case 'content':
      if (!node.next) return [];
      return [{ key: '1', label: node.nextLabel ? pick(flow, node.nextLabel, lang) : systemText(flow, 'continue', lang) }];
    case 'action':
      return node.next ? [{ key: '1', label: systemText(flow, 'continue', lang) }] : [];
    case 'end':
      return [];
  }
}

function buildModel(flow: Flow, id: string, lang: Lang): ScreenModel {
  const more = moreText(flow, lang);
  if (id === LANGUAGE_SCREEN) {
    const options = flow.languages.map((l, i) => ({ key: String(i + 1), label: languageName(flow, l) }));
    const body = unique(flow.languages.map((l) => systemText(flow, 'chooseLanguage', l))).join(' / ');
    return {
      nodeId: id,
      kind: 'language',
      lang,
      body,
      voiceBody: body,
      options,
      spec: { head: body, items: options.map((o) => `${o.key}. ${o.label}`), footer: null, more },
      notice: unique(flow.languages.map((l) => systemText(flow, 'invalid', l))).join(' / '),
    };
  }
  if (id === RESUME_SCREEN) {
    const options = [
      { key: '1', label: systemText(flow, 'resume', lang) },
      { key: '2', label: systemText(flow, 'restart', lang) },
    ];
    return {
      nodeId: id,
      kind: 'resume',
      lang,
      body: '',
      voiceBody: '',
      options,
      spec: { head: '', items: options.map((o) => `${o.key}. ${o.label}`), footer: null, more },
      notice: systemText(flow, 'invalid', lang),
    };
  }
  const node = flow.nodes[id];
  if (!node) throw new Error(`flow ${flow.id} has no node ${id}`);
  const body = pick(flow, node.text, lang);
  const options = nodeOptions(flow, node, lang);
  const model: ScreenModel = {
    nodeId: id,
    kind: node.type,
    lang,
    body,
    voiceBody: node.voice ? pick(flow, node.voice, lang) : body,
    options,
    spec: {
      head: body,
      items: options.map((o) => `${o.key}. ${o.label}`),
      footer: id === flow.start ? null : footerText(flow, lang),
      more,
    },
    notice: systemText(flow, 'invalid', lang),
  };
  const audio = node.audio?.[lang];
  if (audio) model.audio = audio;
  return model;
}

const models = new WeakMap<Flow, Map<string, ScreenModel>>();
const layouts = new WeakMap<Flow, Map<string, Layout>>();

/** The cached model of a node (or built-in screen) in a language. */
export function screenModel(flow: Flow, id: string, lang: Lang): ScreenModel {
  let m = models.get(flow);
  if (!m) models.set(flow, (m = new Map<string, ScreenModel>()));
  const key = `${id}\u0000${lang}`;
  let model = m.get(key);
  if (!model) m.set(key, (model = buildModel(flow, id, lang)));
  return model;
}

/** Drops a flow's cached screens, after its texts changed (an editor saved a text in the console). */
export function forgetScreens(flow: Flow): void {
  models.delete(flow);
  layouts.delete(flow);
}

/** The cached run-time layout (never fails: the validator has rejected what cannot fit). */
export function screenLayout(flow: Flow, model: ScreenModel, maxChars: number, tight: boolean): Layout {
  let m = layouts.get(flow);
  if (!m) layouts.set(flow, (m = new Map<string, Layout>()));
  const key = `${model.nodeId}\u0000${model.lang}\u0000${maxChars}\u0000${tight ? 1 : 0}`;
  let layout = m.get(key);
  if (!layout) {
    const r = paginate(model.spec, { maxChars, reserve: tight ? model.notice : null, force: true });
    // force: true always succeeds; the union still needs narrowing.
    layout = r.ok ? r.layout : { pages: [{ text: model.spec.head, len: 0, start: 0 }], ucs2: false, limit: maxChars };
    m.set(key, layout);
  }
  return layout;
}

export interface Shown {
  screen: Screen;
  page: number;
  tight: boolean;
  pages: number;
}

function fitsWithNotice(text: string, len: number, ucs2: boolean, notice: string, maxChars: number): boolean {
  if (!Number.isFinite(maxChars)) return true;
  if (!ucs2 && isGsm7(notice)) return len + 1 + lengthIn(notice, false) <= maxChars;
  return text.length + 1 + notice.length <= ucs2Limit(maxChars);
}

/**
 * Renders page `page` of a screen, with the invalid notice above it when `withNotice`. When the page is too
 * full for the notice, the screen switches to its tight layout (room kept for the notice on every page) at
 * the page holding the same place, so nothing is dropped and every page stays within the limit.
 */
export function showScreen(
  flow: Flow,
  id: string,
  lang: Lang,
  maxChars: number,
  page: number,
  tight: boolean,
  withNotice: boolean,
): Shown {
  const model = screenModel(flow, id, lang);
  let layout = screenLayout(flow, model, maxChars, tight);
  let p = Math.min(Math.max(page, 0), layout.pages.length - 1);
  let pg = layout.pages[p]!;
  let text = pg.text;
  if (withNotice) {
    if (!tight && !fitsWithNotice(pg.text, pg.len, layout.ucs2, model.notice, maxChars)) {
      const start = pg.start;
      tight = true;
      layout = screenLayout(flow, model, maxChars, true);
      p = 0;
      for (let k = 0; k < layout.pages.length; k++) if (layout.pages[k]!.start <= start) p = k;
      pg = layout.pages[p]!;
    }
    text = `${model.notice}\n${pg.text}`;
  }
  const screen: Screen = {
    nodeId: model.nodeId,
    kind: model.kind,
    lang,
    body: model.body,
    voiceBody: model.voiceBody,
    options: model.options,
    text,
    end: false,
    nav: { back: true, home: true, more: p < layout.pages.length - 1 },
  };
  if (withNotice) screen.notice = model.notice;
  if (model.audio) screen.audio = model.audio;
  return { screen, page: p, tight, pages: layout.pages.length };
}

/** A final screen (the session ends with it): one page, no options, no navigation. */
export function finalScreen(
  nodeId: string,
  kind: Screen['kind'],
  lang: Lang,
  body: string,
  voiceBody = body,
  audio?: string,
): Screen {
  const screen: Screen = {
    nodeId,
    kind,
    lang,
    body,
    voiceBody,
    options: [],
    text: body,
    end: true,
    nav: { back: false, home: false, more: false },
  };
  if (audio) screen.audio = audio;
  return screen;
}
