import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Segment } from '../../../campaigns/segment-service';
import { AppError } from '../../../lib/errors';
import { maskMsisdn } from '../../../lib/msisdn';
import { ctx, requireRole, seeOther, sendHtml, type ConsoleContext, type ConsoleDeps } from '../../context';
import { num, when } from '../../format';
import { html, type Html } from '../../html';
import { texts } from '../../i18n';
import { csrfField, page } from '../../layout';
import { table } from '../../ui/table';
import { builderFields, fieldOfPath, filterFrom, valuesOf, type FormValues } from './filter-form';
import { filterSummary } from './summary';

const T = texts(
  {
    title: 'Segments',
    lead: 'Saved groups of subscribers. A segment is counted when it is used, so it always means who matches now.',
    newSegment: 'New segment',
    newTitle: 'New segment',
    newLead: 'Choose who is in the segment; the count updates as you go.',
    none: 'No segments yet.',
    colName: 'Name',
    colWho: 'Who',
    colCount: 'Subscribers now',
    colUpdated: 'Changed',
    countLink: 'Count',
    count: 'Count',
    save: 'Save segment',
    matches: (n: string) => `${n} subscribers match now.`,
    sample: 'For example:',
    fixBelow: 'Nothing was saved: correct the fields marked below.',
    previewFix: 'Correct the fields marked below to see the count.',
    saved: 'Segment saved.',
    deleted: 'Segment deleted.',
    build: 'Build the segment',
    edit: 'Change this segment',
    deleteTitle: (name: string) => `Delete segment “${name}”?`,
    deleteLead: 'Campaigns already sent keep their results; a campaign that can still run on this segment stops the deletion.',
    delete: 'Delete segment',
    confirm: 'Yes, delete it',
    cancel: 'Keep it',
  },
  {
    title: 'Makundi',
    lead: 'Makundi ya wateja yaliyohifadhiwa. Kundi huhesabiwa linapotumiwa, kwa hiyo linamaanisha wanaolingana sasa.',
    newSegment: 'Kundi jipya',
    newTitle: 'Kundi jipya',
    newLead: 'Chagua nani yumo kwenye kundi; idadi husasishwa unapoendelea.',
    none: 'Bado hakuna makundi.',
    colName: 'Jina',
    colWho: 'Nani',
    colCount: 'Wateja sasa',
    colUpdated: 'Lilibadilishwa',
    countLink: 'Hesabu',
    count: 'Hesabu',
    save: 'Hifadhi kundi',
    matches: (n: string) => `Wateja ${n} wanalingana sasa.`,
    sample: 'Kwa mfano:',
    fixBelow: 'Hakuna kilichohifadhiwa: rekebisha sehemu zilizowekwa alama hapa chini.',
    previewFix: 'Rekebisha sehemu zilizowekwa alama hapa chini ili kuona idadi.',
    saved: 'Kundi limehifadhiwa.',
    deleted: 'Kundi limefutwa.',
    build: 'Unda kundi',
    edit: 'Badilisha kundi hili',
    deleteTitle: (name: string) => `Futa kundi “${name}”?`,
    deleteLead: 'Kampeni zilizokwisha tumwa zinabaki na matokeo yake; kampeni ambayo bado inaweza kuendeshwa kwenye kundi hili huzuia kufutwa.',
    delete: 'Futa kundi',
    confirm: 'Ndiyo, lifute',
    cancel: 'Liache',
  },
);

const segmentHref = (id: string) => `/console/segments/${encodeURIComponent(id)}`;
const notices = (c: ConsoleContext, req: FastifyRequest) => {
  const n = (req.query as Record<string, unknown>).notice;
  return n === 'saved' ? T(c.lang).saved : n === 'deleted' ? T(c.lang).deleted : null;
};

/** The live count: how many match now and a few numbers (always masked: it is a check by eye, not a list). */
function countBox(c: ConsoleContext, result: { count: number; sample: string[] } | null, problem?: string): Html {
  const t = T(c.lang);
  return html`<output id="segment-count" for="segment-form" aria-live="polite">${
    result
      ? html`<strong id="segment-count-figure" data-count="${result.count}">${t.matches(num(c.lang, result.count))}</strong>${
          result.sample.length > 0 ? html` <span>${t.sample} ${result.sample.map(maskMsisdn).join(', ')}</span>` : null
        }`
      : html`<span class="field-error">${problem ?? ''}</span>`
  }</output>`;
}

/** The builder form: saving posts to `action`; the Count button (and htmx on every change) posts to the preview. */
function builder(c: ConsoleContext, deps: ConsoleDeps, action: string, v: FormValues, errors: Record<string, string>, count: Html, segmentId?: string): Html {
  const t = T(c.lang);
  return html`<form method="post" action="${action}" id="segment-form" hx-post="/console/segments/preview" hx-trigger="change, keyup delay:400ms" hx-target="#segment-count" hx-swap="outerHTML">${csrfField(c)}
${segmentId ? html`<input type="hidden" name="segmentId" value="${segmentId}">` : null}
<div class="segment-count-box">${count}</div>
${builderFields(c, deps.core, v, errors)}
<div class="actions"><button type="submit" formaction="/console/segments/preview" class="secondary">${t.count}</button><button type="submit">${t.save}</button></div>
</form>`;
}

/** Reads the posted builder and lets the segment service check the filter; every problem lands next to its field or above the form. */
async function readBuilder(c: ConsoleContext, deps: ConsoleDeps, body: unknown) {
  const v = (body ?? {}) as FormValues;
  const { name, filter, errors } = filterFrom(c, deps.core, v);
  let error: string | null = null;
  let valid: Segment['filter'] | null = null;
  if (Object.keys(errors).filter((k) => k !== 'name').length === 0) {
    try {
      valid = await deps.core.segments.validate(filter);
    } catch (e) {
      if (!(e instanceof AppError) || e.status >= 500) throw e;
      const at = fieldOfPath(e.message);
      if (at) errors[at] = e.message;
      else error = e.message;
    }
  }
  return { v, name, valid, errors, error };
}

function builderPage(reply: FastifyReply, c: ConsoleContext, deps: ConsoleDeps, o: { segment?: Segment; v: FormValues; errors: Record<string, string>; count: Html; error?: string | null; status?: number; notice?: string | null }) {
  const t = T(c.lang);
  const s = o.segment;
  const body = html`${s ? segmentFacts(c, s) : null}
<section aria-labelledby="builder-h"><h2 id="builder-h">${s ? t.edit : t.build}</h2>
${builder(c, deps, s ? segmentHref(s.id) : '/console/segments/new', o.v, o.errors, o.count, s?.id)}</section>
${s ? html`<p><a href="${segmentHref(s.id)}/delete" role="button" class="secondary outline">${t.delete}</a></p>` : null}`;
  return sendHtml(reply, page(c, { title: s ? s.name : t.newTitle, lead: s ? filterSummary(c.lang, s.filter) : t.newLead, body, error: o.error ?? null, notice: o.notice ?? null }), o.status ?? 200);
}

function segmentFacts(c: ConsoleContext, s: Segment): Html {
  return html`<p><small>${T(c.lang).colUpdated}: ${when(c.lang, s.updatedAt, c.timeZone)}</small></p>`;
}

/** /console/segments: the list (counts load one by one), the builder with its live count, edit and delete. */
export function segmentsPages(app: FastifyInstance, deps: ConsoleDeps): void {
  const { core, accounts } = deps;
  const fresh = async (f: Segment['filter']) => ({ count: await core.segments.count(f), sample: await core.segments.sample(f) });

  app.get('/segments', async (req, reply) => {
    const c = ctx(req);
    const t = T(c.lang);
    const rows = (await core.segmentReads.list(100)).map((s) => [
      html`<a href="${segmentHref(s.id)}">${s.name}</a>`,
      filterSummary(c.lang, s.filter),
      // Each count reads the subscribers once: they load after the page, one request each, so the list itself stays fast.
      html`<a href="${segmentHref(s.id)}" hx-get="${segmentHref(s.id)}/count" hx-trigger="load" hx-swap="outerHTML">${t.countLink}</a>`,
      when(c.lang, s.updatedAt, c.timeZone),
    ]);
    const body = html`${c.can('editor') ? html`<p><a href="/console/segments/new" role="button">${t.newSegment}</a></p>` : null}
${table({ columns: [t.colName, t.colWho, { label: t.colCount, numeric: true }, t.colUpdated], rows, empty: t.none, id: 'segments' })}`;
    return sendHtml(reply, page(c, { title: t.title, lead: t.lead, body, notice: notices(c, req) }));
  });

  app.get<{ Params: { id: string } }>('/segments/:id/count', async (req, reply) => {
    const c = ctx(req);
    const s = await core.segmentReads.require(req.params.id);
    const n = await core.segments.count(s.filter);
    return sendHtml(reply, html`<span class="segment-list-count" data-count="${n}">${num(c.lang, n)}</span>`);
  });

  app.get('/segments/new', async (req, reply) => {
    const c = requireRole(req, 'editor');
    return builderPage(reply, c, deps, { v: {}, errors: {}, count: countBox(c, await fresh({})) });
  });

  app.post('/segments/preview', async (req, reply) => {
    const c = requireRole(req, 'editor');
    const r = await readBuilder(c, deps, req.body);
    delete r.errors.name; // a count needs no name
    const ok = r.valid && Object.keys(r.errors).length === 0 && !r.error;
    const count = ok ? countBox(c, await fresh(r.valid!)) : countBox(c, null, r.error ?? T(c.lang).previewFix);
    if (req.headers['hx-request']) return sendHtml(reply, count);
    const id = typeof r.v.segmentId === 'string' ? r.v.segmentId : '';
    const segment = id ? await core.segmentReads.require(id) : undefined;
    return builderPage(reply, c, deps, { ...(segment ? { segment } : {}), v: r.v, errors: r.errors, count, error: r.error, status: ok ? 200 : 400 });
  });

  app.post('/segments/new', async (req, reply) => {
    const c = requireRole(req, 'editor');
    const r = await readBuilder(c, deps, req.body);
    if (!r.valid || Object.keys(r.errors).length > 0 || r.error) {
      return builderPage(reply, c, deps, { v: r.v, errors: r.errors, count: countBox(c, null, T(c.lang).previewFix), error: r.error ?? T(c.lang).fixBelow, status: 400 });
    }
    // The segment and its audit entry are one unit.
    const s = await core.segments.create(r.name, r.valid, (tx, created) => accounts.auditIn(tx, c.account.name, 'segment.create', created.id, { name: created.name, filter: created.filter }));
    return seeOther(reply, segmentHref(s.id), 'saved');
  });

  app.get<{ Params: { id: string } }>('/segments/:id', async (req, reply) => {
    const c = ctx(req);
    const s = await core.segmentReads.require(req.params.id);
    const count = countBox(c, await fresh(s.filter));
    if (c.can('editor')) return builderPage(reply, c, deps, { segment: s, v: valuesOf(core, s.name, s.filter), errors: {}, count, notice: notices(c, req) });
    const body = html`${segmentFacts(c, s)}<div class="segment-count-box">${count}</div>`;
    return sendHtml(reply, page(c, { title: s.name, lead: filterSummary(c.lang, s.filter), body }));
  });

  app.post<{ Params: { id: string } }>('/segments/:id', async (req, reply) => {
    const c = requireRole(req, 'editor');
    const s = await core.segmentReads.require(req.params.id);
    const r = await readBuilder(c, deps, req.body);
    if (!r.valid || Object.keys(r.errors).length > 0 || r.error) {
      return builderPage(reply, c, deps, { segment: s, v: r.v, errors: r.errors, count: countBox(c, null, T(c.lang).previewFix), error: r.error ?? T(c.lang).fixBelow, status: 400 });
    }
    await core.segments.update(s.id, { name: r.name, filter: r.valid }, (tx, next) => accounts.auditIn(tx, c.account.name, 'segment.update', next.id, { name: next.name, filter: next.filter }));
    return seeOther(reply, segmentHref(s.id), 'saved');
  });

  app.get<{ Params: { id: string } }>('/segments/:id/delete', async (req, reply) => {
    const c = requireRole(req, 'editor');
    const s = await core.segmentReads.require(req.params.id);
    const t = T(c.lang);
    const body = html`<p>${filterSummary(c.lang, s.filter)}</p>
<form method="post" action="${segmentHref(s.id)}/delete">${csrfField(c)}
<div class="actions"><button type="submit" class="contrast">${t.confirm}</button><a href="${segmentHref(s.id)}" role="button" class="secondary">${t.cancel}</a></div>
</form>`;
    return sendHtml(reply, page(c, { title: t.deleteTitle(s.name), lead: t.deleteLead, body }));
  });

  app.post<{ Params: { id: string } }>('/segments/:id/delete', async (req, reply) => {
    const c = requireRole(req, 'editor');
    const s = await core.segmentReads.require(req.params.id);
    try {
      await core.segments.remove(s.id, (tx, removed) => accounts.auditIn(tx, c.account.name, 'segment.delete', removed.id, { name: removed.name }));
    } catch (e) {
      if (!(e instanceof AppError) || e.status !== 409) throw e;
      return builderPage(reply, c, deps, { segment: s, v: valuesOf(core, s.name, s.filter), errors: {}, count: countBox(c, await fresh(s.filter)), error: e.message, status: 409 });
    }
    return seeOther(reply, '/console/segments', 'deleted');
  });
}
