import { shortcutFor } from '../../../engine/shortcuts';
import { pick } from '../../../engine/screens';
import type { Flow, FlowNode } from '../../../engine/types';
import type { ConsoleContext } from '../../context';
import { num, pct } from '../../format';
import { html, raw, type Html } from '../../html';
import { texts } from '../../i18n';

// A flow drawn as the menus a subscriber walks: nested lists from the start node, each screen with its
// text in the reader's language and the funnel report's figures for it, coloured by drop-off share.

/** One node of the funnel report (GET /api/v1/reports/funnel), as the page reads it. */
export interface FunnelNode {
  nodeId: string;
  type: string;
  views: number;
  sessions: number;
  invalidInputs: number;
  invalidRate: number | null;
  backs: number;
  dropoffs: number;
  dropoffRate: number | null;
  medianDwellSeconds: number | null;
}

/** One flow of the funnel report. */
export interface FunnelFlow {
  flowId: string;
  sessions: number;
  contentSessions: number;
  nodes: FunnelNode[];
}

const T = texts(
  {
    start: 'Start',
    shown: 'Screens shown',
    sessions: 'Sessions',
    dropoff: 'Drop-off',
    dropoffOf: (n: string, of: string) => `${n} of ${of} sessions ended here without content`,
    invalid: 'Invalid replies',
    invalidOf: (n: string) => `${n} invalid replies`,
    dwell: 'Median time on screen',
    seconds: (s: string) => `${s} s`,
    noVisits: 'No visits in these dates',
    shortcut: 'Dial directly',
    seeAbove: (title: string) => `leads back to “${title}” (shown above)`,
    missing: (id: string) => `leads to “${id}”, which the flow does not have`,
    menu: 'menu',
    content: 'content',
    input: 'question',
    action: 'action',
    poll: 'poll',
    end: 'end',
    continue: 'continue',
    anyAnswer: 'any answer',
    legend: 'Colours: share of sessions that ended on the screen without reaching content',
    level0: 'under 5%',
    level1: '5% to 15%',
    level2: '15% to 30%',
    level3: '30% or more',
    noData: 'no visits',
  },
  {
    start: 'Mwanzo',
    shown: 'Skrini zilizoonyeshwa',
    sessions: 'Vipindi',
    dropoff: 'Walioachia hapa',
    dropoffOf: (n: string, of: string) => `vipindi ${n} kati ya ${of} viliishia hapa bila kufikia maudhui`,
    invalid: 'Majibu batili',
    invalidOf: (n: string) => `majibu batili ${n}`,
    dwell: 'Muda wa kati kwenye skrini',
    seconds: (s: string) => `sekunde ${s}`,
    noVisits: 'Hakuna waliotembelea katika tarehe hizi',
    shortcut: 'Piga moja kwa moja',
    seeAbove: (title: string) => `inarudi kwenye “${title}” (imeonyeshwa juu)`,
    missing: (id: string) => `inaelekea “${id}”, ambayo haipo kwenye menyu`,
    menu: 'menyu',
    content: 'maudhui',
    input: 'swali',
    action: 'kitendo',
    poll: 'kura',
    end: 'mwisho',
    continue: 'endelea',
    anyAnswer: 'jibu lolote',
    legend: 'Rangi: sehemu ya vipindi vilivyoishia kwenye skrini bila kufikia maudhui',
    level0: 'chini ya 5%',
    level1: '5% hadi 15%',
    level2: '15% hadi 30%',
    level3: '30% au zaidi',
    noData: 'hakuna waliotembelea',
  },
);

type Texts = ReturnType<typeof T>;

/** The colour step of a drop-off share (.level-0 … .level-3 in console.css); null without visits. */
export function dropoffLevel(rate: number | null): 0 | 1 | 2 | 3 | null {
  if (rate === null) return null;
  return rate < 0.05 ? 0 : rate < 0.15 ? 1 : rate < 0.3 ? 2 : 3;
}

/** The language the tree shows the flow's texts in: the reader's when the flow has it. */
export function flowLang(c: ConsoleContext, flow: Flow): string {
  return flow.languages.includes(c.lang) ? c.lang : flow.defaultLanguage;
}

/** A node's name as the tree shows it: its text's first line, shortened. */
export function nodeTitle(flow: Flow, node: FlowNode, lang: string): string {
  const text = pick(flow, node.text, lang).split('\n')[0] ?? '';
  return text.length > 60 ? `${text.slice(0, 57)}…` : text || node.id;
}

/** The figures of one node, written out (colour is never the only signal). */
export function nodeFigures(c: ConsoleContext, f: FunnelNode | undefined): Html {
  const t = T(c.lang);
  if (!f || f.views === 0) return html`<p class="node-figures empty">${t.noVisits}</p>`;
  return html`<ul class="node-figures">
<li>${t.shown} <strong>${num(c.lang, f.views)}</strong></li>
<li>${t.sessions} <strong>${num(c.lang, f.sessions)}</strong></li>
<li>${t.dropoff} <strong>${pct(c.lang, f.dropoffRate)}</strong> <small>(${t.dropoffOf(num(c.lang, f.dropoffs), num(c.lang, f.sessions))})</small></li>
<li>${t.invalid} <strong>${pct(c.lang, f.invalidRate)}</strong> <small>(${t.invalidOf(num(c.lang, f.invalidInputs))})</small></li>
<li>${t.dwell} <strong>${f.medianDwellSeconds === null ? '–' : t.seconds(num(c.lang, f.medianDwellSeconds, 1))}</strong></li>
</ul>`;
}

/** The short figure in a node's summary line, and its colour class. */
function summaryBits(c: ConsoleContext, f: FunnelNode | undefined): { cls: Html | string; text: string } {
  const t = T(c.lang);
  const level = f && f.views > 0 ? dropoffLevel(f.dropoffRate) : null;
  return { cls: level === null ? '' : raw(` class="level-${level}"`), text: f && f.views > 0 ? `${t.dropoff} ${pct(c.lang, f.dropoffRate)}` : t.noData };
}

/** What leads from a node to its children: the key the subscriber presses and its label. */
function edges(flow: Flow, node: FlowNode, lang: string, t: Texts): { key: string; label: string; next: string }[] {
  switch (node.type) {
    case 'menu':
      return node.options.map((o, i) => ({ key: String(i + 1), label: pick(flow, o.label, lang), next: o.next }));
    case 'content':
      return node.next ? [{ key: '1', label: node.nextLabel ? pick(flow, node.nextLabel, lang) : t.continue, next: node.next }] : [];
    case 'input':
      return [{ key: '', label: node.choices ? node.choices.map((ch, i) => `${i + 1}. ${pick(flow, ch.label, lang)}`).join(', ') : t.anyAnswer, next: node.next }];
    case 'action':
      return node.next ? [{ key: '1', label: t.continue, next: node.next }] : [];
    case 'poll':
      return node.next ? [{ key: '', label: t.anyAnswer, next: node.next }] : [];
    case 'end':
      return [];
  }
}

/** Renders the flow from its start node; `figures` by node id; returns the tree and the ids it showed. */
export function flowTree(c: ConsoleContext, flow: Flow, figures: Map<string, FunnelNode>): { tree: Html; shown: Set<string> } {
  const t = T(c.lang);
  const lang = flowLang(c, flow);
  const shown = new Set<string>();

  const renderNode = (id: string, via: { key: string; label: string } | null, depth: number): Html => {
    const node = flow.nodes[id];
    if (!node) return html`<li class="flow-ref">${via ? html`<span class="option-key">${via.key}</span> ${via.label}: ` : null}${t.missing(id)}</li>`;
    if (shown.has(id)) {
      return html`<li class="flow-ref">${via ? html`<span class="option-key">${via.key}</span> ${via.label}: ` : null}<a href="#node-${id}">${t.seeAbove(nodeTitle(flow, node, lang))}</a></li>`;
    }
    shown.add(id);
    const f = figures.get(id);
    const bits = summaryBits(c, f);
    const kids = edges(flow, node, lang, t);
    const dial = depth > 0 ? shortcutFor(flow, id) : null;
    const open = depth < 2 ? raw(' open') : '';
    return html`<li id="node-${id}" class="flow-node">
<details${open}><summary${bits.cls}>${via ? html`<span class="option-key">${via.key}</span> ${via.label}` : html`<strong>${t.start}:</strong> ${nodeTitle(flow, node, lang)}`} <span class="badge">${t[node.type]}</span> <span class="node-drop">${bits.text}</span></summary>
<blockquote class="prompt" lang="${lang}">${pick(flow, node.text, lang)}</blockquote>
${nodeFigures(c, f)}
${dial ? html`<p class="node-dial"><small>${t.shortcut}: <code>${dial}</code></small></p>` : null}
${kids.length ? html`<ul class="flow-children">${kids.map((k) => renderNode(k.next, { key: k.key, label: k.label }, depth + 1))}</ul>` : null}
</details>
</li>`;
  };

  const tree = html`<ul class="flow-tree">${renderNode(flow.start, null, 0)}</ul>`;
  return { tree, shown };
}

/** The colour legend, with the figures each colour stands for. */
export function levelLegend(c: ConsoleContext): Html {
  const t = T(c.lang);
  return html`<p class="level-legend"><small>${t.legend}:</small> <span class="level-0">${t.level0}</span> <span class="level-1">${t.level1}</span> <span class="level-2">${t.level2}</span> <span class="level-3">${t.level3}</span></p>`;
}
