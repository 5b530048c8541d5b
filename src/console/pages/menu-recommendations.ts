import type { FastifyInstance } from 'fastify';
import type { MenuSuggestion, SuggestionKind } from '../../reports/menu-recommendations';
import { ctx, sendHtml, type ConsoleDeps } from '../context';
import { interval, num, pct } from '../format';
import { html, type Html } from '../html';
import { texts, type Lang } from '../i18n';
import { page } from '../layout';
import { rangeForm, rangeFrom } from '../ui/range';
import { table } from '../ui/table';
import { datesLine, runReport } from './report-page';

const T = texts(
  {
    title: 'Menu recommendations',
    lead: 'What to change in the menus, and the evidence: options almost no one picks, unclear prompts, advice that is hard to find, screens too long to read.',
    flow: 'Flow',
    allFlows: 'All flows',
    none: 'No suggestion for these dates: every screen with enough visits looks healthy.',
    suggestion: 'Suggestion',
    screen: 'Screen',
    evidence: 'What callers did',
    share: 'Share',
    interval: '95% interval',
    threshold: 'Threshold',
    where: 'Flow file',
    count: (n: number) => (n === 1 ? '1 suggestion' : `${n} suggestions`),
    note: 'A suggestion needs enough visits and its whole 95% interval past the threshold, so a few unlucky sessions never make one. Counts come from the CRM pass: sessions count once they have ended.',
    openTree: 'open in the menu tree',
    firstGo: (k: string, n: string) => `Visits that ended on it: ${k} of ${n} found it at the first go.`,
  },
  {
    title: 'Mapendekezo ya menyu',
    lead: 'Nini cha kubadilisha kwenye menyu, na ushahidi wake: machaguo ambayo karibu hakuna anayeyachagua, maswali yasiyoeleweka, ushauri mgumu kupatikana, skrini ndefu mno.',
    flow: 'Menyu',
    allFlows: 'Menyu zote',
    none: 'Hakuna pendekezo kwa tarehe hizi: kila skrini yenye watembeleaji wa kutosha inaonekana nzuri.',
    suggestion: 'Pendekezo',
    screen: 'Skrini',
    evidence: 'Wapigaji walichofanya',
    share: 'Sehemu',
    interval: 'Kipindi cha 95%',
    threshold: 'Kiwango',
    where: 'Faili ya menyu',
    count: (n: number) => (n === 1 ? 'Pendekezo 1' : `Mapendekezo ${n}`),
    note: 'Pendekezo linahitaji watembeleaji wa kutosha na kipindi chote cha 95% kuvuka kiwango, ili vipindi vichache vya bahati mbaya visilete pendekezo. Takwimu zinatoka kwenye uchambuzi wa CRM: kipindi huhesabiwa kikishaisha.',
    openTree: 'fungua kwenye mti wa menyu',
    firstGo: (k: string, n: string) => `Ziara zilizoishia hapo: ${k} kati ya ${n} ziliupata mara ya kwanza.`,
  },
);

/** One suggestion of the report (the report's own type: the page reads the same JSON). */

/** Each kind in plain words: its name, what was seen ("k of n ..."), and what to do. */
const KINDS: Record<Lang, Record<SuggestionKind, { name: string; saw: (s: MenuSuggestion, k: string, n: string) => string; advice: (s: MenuSuggestion) => string }>> = {
  en: {
    rare_option: {
      name: 'Option almost no one picks',
      saw: (s, k, n) => `Option ${s.option?.key ?? ''} "${s.option?.label.en ?? ''}" was chosen in ${k} of ${n} choices made on this menu.`,
      advice: () => 'Remove it, merge it with another option, or move it to the end.',
    },
    unclear_prompt: {
      name: 'Unclear prompt',
      saw: (_s, k, n) => `An invalid reply on ${k} of ${n} times the screen was shown.`,
      advice: () => 'Say plainly what to reply (for example "Reply with the 3-digit code").',
    },
    buried_content: {
      name: 'Hard-to-find advice',
      saw: (_s, k, n) => `${k} of ${n} callers who found it through the menu went back, home or round again first.`,
      advice: (s) => (s.shortcut ? `Move it up the menu, or advertise its shortcut ${s.shortcut}.` : 'Move it up the menu, or add a shortcut to it.'),
    },
    shortcut_only: {
      name: 'Reached mostly by shortcut',
      saw: (_s, k, n) => `${k} of ${n} callers who got it dialled its shortcut straight there.`,
      advice: () => 'Add it to the main menu: callers want it but the menu hides it.',
    },
    long_screen: {
      name: 'Screen too long',
      saw: (_s, k, n) => `Callers asked for the next page on ${k} of ${n} times the screen was shown.`,
      advice: () => 'Shorten the text, or split it into two screens.',
    },
  },
  sw: {
    rare_option: {
      name: 'Chaguo ambalo karibu hakuna anayelichagua',
      saw: (s, k, n) => `Chaguo ${s.option?.key ?? ''} "${s.option?.label.sw ?? ''}" lilichaguliwa mara ${k} kati ya machaguo ${n} kwenye menyu hii.`,
      advice: () => 'Liondoe, liunganishe na chaguo jingine, au lisogeze mwisho.',
    },
    unclear_prompt: {
      name: 'Swali lisiloeleweka',
      saw: (_s, k, n) => `Jibu lisilo sahihi mara ${k} kati ya mara ${n} skrini ilipoonyeshwa.`,
      advice: () => 'Eleza wazi jibu linalotakiwa (kwa mfano "Jibu kwa msimbo wa tarakimu 3").',
    },
    buried_content: {
      name: 'Ushauri mgumu kupatikana',
      saw: (_s, k, n) => `Wapigaji ${k} kati ya ${n} walioupata kupitia menyu walirudi nyuma, mwanzo au kuzunguka kwanza.`,
      advice: (s) => (s.shortcut ? `Upandishe juu kwenye menyu, au tangaza njia yake ya mkato ${s.shortcut}.` : 'Upandishe juu kwenye menyu, au uongezee njia ya mkato.'),
    },
    shortcut_only: {
      name: 'Hufikiwa zaidi kwa njia ya mkato',
      saw: (_s, k, n) => `Wapigaji ${k} kati ya ${n} walioupata walipiga njia ya mkato moja kwa moja.`,
      advice: () => 'Uongeze kwenye menyu kuu: wapigaji wanautaka lakini menyu inauficha.',
    },
    long_screen: {
      name: 'Skrini ndefu mno',
      saw: (_s, k, n) => `Wapigaji waliomba ukurasa unaofuata mara ${k} kati ya mara ${n} skrini ilipoonyeshwa.`,
      advice: () => 'Fupisha maandishi, au yagawe kwenye skrini mbili.',
    },
  },
};

function flowSection(lang: Lang, flowTitle: string, flowId: string, list: MenuSuggestion[]): Html {
  const t = T(lang);
  const rows = list.map((s) => {
    const k = KINDS[lang][s.kind];
    return [
      html`<strong>${k.name}</strong><br><small>${k.advice(s)}</small>`,
      html`<a href="/console/flows/${encodeURIComponent(s.flowId)}#node-${s.nodeId}">${s.label[lang]}</a><br><small>${t.openTree}</small>`,
      s.discovery && s.discovery.episodes > 0
        ? html`${k.saw(s, num(lang, s.count), num(lang, s.sample))}<br><small>${t.firstGo(num(lang, s.discovery.foundFirstGo), num(lang, s.discovery.episodes))}</small>`
        : k.saw(s, num(lang, s.count), num(lang, s.sample)),
      pct(lang, s.share),
      interval(lang, s.interval95[0], s.interval95[1]),
      pct(lang, s.threshold),
      html`<code>${s.file}${s.line !== null ? `:${s.line}` : ''}</code>`,
    ];
  });
  return html`<section id="flow-${flowId}" aria-labelledby="flow-${flowId}-title"><h2 id="flow-${flowId}-title">${flowTitle} <small>(${t.count(list.length)})</small></h2>
${table({
  caption: `${t.title}: ${flowTitle}`,
  columns: [t.suggestion, t.screen, t.evidence, { label: t.share, numeric: true }, { label: t.interval, numeric: true }, { label: t.threshold, numeric: true }, t.where],
  rows,
  id: `suggestions-${flowId}`,
})}
</section>`;
}

/** /console/menu-recommendations: the menu-recommendations report grouped by flow, each suggestion with its evidence and file:line. */
export function menuRecommendationsPages(app: FastifyInstance, deps: ConsoleDeps): void {
  app.get('/menu-recommendations', async (req, reply) => {
    const c = ctx(req);
    const t = T(c.lang);
    const range = rangeFrom(req.query);
    const q = (req.query ?? {}) as Record<string, unknown>;
    const flows = deps.core.flows.all();
    const flow = typeof q.flow === 'string' && deps.core.flows.byId(q.flow) ? q.flow : undefined;
    const run = await runReport(deps.core, 'menu-recommendations', { ...range, ...(flow ? { flow } : {}) });
    const select = html`<label>${t.flow} <select name="flow"><option value="">${t.allFlows}</option>${flows.map(
      (f) => html`<option value="${f.id}"${f.id === flow ? ' selected' : ''}>${f.title?.[c.lang] ?? f.id}</option>`,
    )}</select></label>`;
    const list = ((run.report?.suggestions ?? []) as MenuSuggestion[]);
    const byFlow = new Map<string, MenuSuggestion[]>();
    for (const s of list) byFlow.set(s.flowId, [...(byFlow.get(s.flowId) ?? []), s]);
    const title = (id: string) => deps.core.flows.byId(id)?.title?.[c.lang] ?? id;
    const body = html`${rangeForm(c, range, { channel: true, extra: select })}
${run.failure ? html`<p class="error" role="alert">${run.failure.message}</p>` : null}
${run.report
  ? html`${datesLine(c.lang, run.report)}
<p><small>${t.note}</small></p>
${list.length === 0 ? html`<p id="no-suggestions">${t.none}</p>` : [...byFlow].map(([id, l]) => flowSection(c.lang, title(id), id, l))}`
  : null}`;
    return sendHtml(reply, page(c, { title: t.title, lead: t.lead, body }), run.failure ? 400 : 200);
  });
}
