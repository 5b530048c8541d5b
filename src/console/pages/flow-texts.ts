import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Flow } from '../../engine/types';
import { AppError, notFound } from '../../lib/errors';
import type { TextProblem } from '../../flow-texts/flow-texts';
import { requireRole, seeOther, sendHtml, type ConsoleContext, type ConsoleDeps } from '../context';
import { when } from '../format';
import { html } from '../html';
import { texts } from '../i18n';
import { csrfField, page } from '../layout';
import { field } from '../ui/field';
import { flowLang, nodeTitle } from './flows/tree';

const T = texts(
  {
    title: (flow: string) => `Texts of ${flow}`,
    lead: 'What each screen says, in every language of the menu. A saved text is what the next caller sees; the menu file on disk is not changed.',
    back: 'Back to the menu',
    text: (language: string) => `Text (${language})`,
    save: 'Save text',
    saved: 'The text was saved: callers see it from their next screen.',
    changed: (who: string, at: string) => `Last changed by ${who}, ${at}.`,
    empty: 'Write something: a screen cannot be empty.',
    tooLong: (detail: string) => `Too long for a phone screen: ${detail}`,
    fixBelow: 'Nothing was saved: see the text marked below.',
    kinds: 'Screen type',
  },
  {
    title: (flow: string) => `Maandishi ya ${flow}`,
    lead: 'Kile kila skrini inasema, katika kila lugha ya menyu. Maandishi yaliyohifadhiwa ndiyo mpigaji simu anayefuata ataona; faili ya menyu kwenye diski haibadiliki.',
    back: 'Rudi kwenye menyu',
    text: (language: string) => `Maandishi (${language})`,
    save: 'Hifadhi maandishi',
    saved: 'Maandishi yamehifadhiwa: wapigaji simu wanayaona kuanzia skrini yao inayofuata.',
    changed: (who: string, at: string) => `Yalibadilishwa mwisho na ${who}, ${at}.`,
    empty: 'Andika kitu: skrini haiwezi kuwa tupu.',
    tooLong: (detail: string) => `Ndefu mno kwa skrini ya simu: ${detail}`,
    fixBelow: 'Hakuna kilichohifadhiwa: angalia maandishi yaliyowekwa alama hapa chini.',
    kinds: 'Aina ya skrini',
  },
);

function flowOf(deps: ConsoleDeps, id: string): Flow {
  const flow = deps.core.flows.byId(id);
  if (!flow) throw notFound('FLOW_NOT_FOUND', `There is no flow ${id}.`);
  return flow;
}

/** Every node of the flow with a form of its texts; `failed` re-shows one node's form with what was typed and why not. */
async function textsPage(reply: FastifyReply, c: ConsoleContext, deps: ConsoleDeps, flow: Flow, opts: { notice?: string | null; failed?: { nodeId: string; values: Record<string, string>; problems: TextProblem[] } } = {}) {
  const t = T(c.lang);
  const lang = flowLang(c, flow);
  const changes = await deps.core.flowTexts.changes(flow.id);
  const forms = Object.values(flow.nodes).map((node) => {
    const failed = opts.failed?.nodeId === node.id ? opts.failed : undefined;
    const last = changes.get(node.id);
    const fields = flow.languages.map((l) => {
      const problem = failed?.problems.find((p) => p.language === l);
      const error = problem ? (problem.message === 'empty' ? t.empty : t.tooLong(problem.message)) : null;
      return field({ name: `text_${l}`, id: `f-${node.id}-${l}`, label: t.text(flow.languageNames[l] ?? l), type: 'textarea', value: failed?.values[l] ?? node.text[l] ?? '', error, attrs: 'rows="4" maxlength="2000"' });
    });
    return html`<article id="text-${node.id}"><h2>${nodeTitle(flow, node, lang)} <small class="badge">${node.id}</small></h2>
${last ? html`<p><small>${t.changed(last.updatedBy, when(c.lang, last.updatedAt, c.timeZone))}</small></p>` : null}
<form method="post" action="/console/flows/${flow.id}/texts/${node.id}">${csrfField(c)}
${fields}
<button type="submit">${t.save}</button>
</form></article>`;
  });
  const body = html`<p><a href="/console/flows/${flow.id}">← ${t.back}</a></p>${forms}`;
  const title = flow.title?.[lang] ?? flow.id;
  return sendHtml(reply, page(c, { title: t.title(title), lead: t.lead, body, notice: opts.notice ?? null, error: opts.failed ? t.fixBelow : null }), opts.failed ? 400 : 200);
}

/** GET /console/flows/:id/texts and POST /console/flows/:id/texts/:node (editors). */
export function flowTextsPages(app: FastifyInstance, deps: ConsoleDeps): void {
  app.get<{ Params: { id: string } }>('/flows/:id/texts', async (req, reply) => {
    const c = requireRole(req, 'editor');
    const notice = (req.query as Record<string, unknown>).notice === 'saved' ? T(c.lang).saved : null;
    return textsPage(reply, c, deps, flowOf(deps, req.params.id), { notice });
  });

  app.post<{ Params: { id: string; node: string } }>('/flows/:id/texts/:node', async (req, reply) => {
    const c = requireRole(req, 'editor');
    const flow = flowOf(deps, req.params.id);
    const node = flow.nodes[req.params.node];
    if (!node) throw notFound('NODE_NOT_FOUND', `There is no screen ${req.params.node} in this menu.`);
    const body = (req.body ?? {}) as Record<string, unknown>;
    const values: Record<string, string> = {};
    for (const l of flow.languages) values[l] = typeof body[`text_${l}`] === 'string' ? (body[`text_${l}`] as string).replace(/\r\n/g, '\n').trim() : (node.text[l] ?? '');
    const changed = Object.fromEntries(Object.entries(values).filter(([l, v]) => v !== (node.text[l] ?? '')));
    if (Object.keys(changed).length === 0) return seeOther(reply, `/console/flows/${flow.id}/texts#text-${node.id}`);
    try {
      // The texts and their audit entry are one unit.
      await deps.core.flowTexts.change(flow.id, node.id, changed, c.account.name, (tx) =>
        deps.accounts.auditIn(tx, c.account.name, 'flow.text', `${flow.id}/${node.id}`, { languages: Object.keys(changed) }),
      );
    } catch (e) {
      if (!(e instanceof AppError) || e.status !== 400) throw e;
      const problems = (e.details as TextProblem[] | undefined) ?? [{ language: flow.languages[0] ?? '', message: e.message }];
      return textsPage(reply, c, deps, flow, { failed: { nodeId: node.id, values, problems } });
    }
    return seeOther(reply, `/console/flows/${flow.id}/texts?notice=saved#text-${node.id}`);
  });
}
