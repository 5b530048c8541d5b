import { rmSync } from 'node:fs';
import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { checkFile } from '../../../campaigns/import-csv';
import type { ImportFile, ImportJobView } from '../../../campaigns/import-jobs';
import type { ImportResult } from '../../../campaigns/subscriber-import';
import { AppError, notFound } from '../../../lib/errors';
import { requireRole, sendHtml, type ConsoleContext, type ConsoleDeps } from '../../context';
import { assertCsrf } from '../../csrf';
import { num, when } from '../../format';
import { html, type Html } from '../../html';
import { texts } from '../../i18n';
import { csrfField, page } from '../../layout';
import { field } from '../../ui/field';
import { table } from '../../ui/table';

const T = texts(
  {
    title: 'Import subscribers',
    lead: 'Add or update many subscribers at once from a CSV file.',
    format: (columns: string) => `The first line names the columns: msisdn, then any of ${columns}. One subscriber per line; an empty cell leaves that field as it is. Opt-out and activity are never imported.`,
    limits: (sync: string, max: string) => `A file up to ${sync} MB is imported while you wait; a larger one (up to ${max} MB) runs in the background and this page follows it.`,
    file: 'CSV file',
    import: 'Import',
    noFile: 'Choose a CSV file to import.',
    tooLarge: (max: string) => `The file is larger than ${max} MB. Split it into smaller files.`,
    notImported: 'Nothing was imported.',
    result: 'Result',
    done: 'Import finished.',
    created: 'Created',
    updated: 'Updated',
    rejected: 'Rejected',
    rejections: 'Rejected lines',
    colLine: 'Line',
    colNumber: 'Number',
    colReason: 'Reason',
    truncated: 'More lines were rejected than are listed here.',
    recent: 'Recent imports',
    noJobs: 'No background imports yet.',
    colStarted: 'Started',
    colFile: 'File',
    colStatus: 'Status',
    colProgress: 'Lines done',
    jobTitle: 'Import job',
    noJob: 'There is no import job with this id.',
    running: 'running',
    finished: 'done',
    failed: 'failed',
    checking: 'checking the file',
    importing: 'importing',
    progress: (done: string, total: string) => `${done} of ${total} lines`,
    refresh: 'Refresh',
    another: 'Import another file',
    open: 'Open',
  },
  {
    title: 'Ingiza wateja',
    lead: 'Ongeza au sasisha wateja wengi kwa mara moja kutoka faili la CSV.',
    format: (columns: string) => `Mstari wa kwanza unataja safu: msisdn, kisha yoyote kati ya ${columns}. Mteja mmoja kwa kila mstari; kisanduku kitupu huacha sehemu hiyo ilivyo. Kujiondoa na shughuli haviingizwi kamwe.`,
    limits: (sync: string, max: string) => `Faili hadi MB ${sync} huingizwa ukisubiri; kubwa zaidi (hadi MB ${max}) huingizwa chinichini na ukurasa huu hufuatilia.`,
    file: 'Faili la CSV',
    import: 'Ingiza',
    noFile: 'Chagua faili la CSV la kuingiza.',
    tooLarge: (max: string) => `Faili ni kubwa kuliko MB ${max}. Ligawanye katika faili ndogo.`,
    notImported: 'Hakuna kilichoingizwa.',
    result: 'Matokeo',
    done: 'Uingizaji umekamilika.',
    created: 'Wapya',
    updated: 'Waliosasishwa',
    rejected: 'Waliokataliwa',
    rejections: 'Mistari iliyokataliwa',
    colLine: 'Mstari',
    colNumber: 'Nambari',
    colReason: 'Sababu',
    truncated: 'Mistari mingi zaidi ilikataliwa kuliko iliyoorodheshwa hapa.',
    recent: 'Uingizaji wa hivi karibuni',
    noJobs: 'Bado hakuna uingizaji wa chinichini.',
    colStarted: 'Ulianza',
    colFile: 'Faili',
    colStatus: 'Hali',
    colProgress: 'Mistari iliyokamilika',
    jobTitle: 'Kazi ya kuingiza',
    noJob: 'Hakuna kazi ya kuingiza yenye kitambulisho hiki.',
    running: 'inaendelea',
    finished: 'imekamilika',
    failed: 'imeshindwa',
    checking: 'inakagua faili',
    importing: 'inaingiza',
    progress: (done: string, total: string) => `mistari ${done} kati ya ${total}`,
    refresh: 'Onyesha upya',
    another: 'Ingiza faili jingine',
    open: 'Fungua',
  },
);

const mb = (bytes: number) => String(Math.round((bytes / 1_048_576) * 10) / 10);

function counts(c: ConsoleContext, r: Pick<ImportResult, 'created' | 'updated' | 'rejected'>): Html {
  const t = T(c.lang);
  const card = (label: string, n: number, id: string) => html`<article class="card"><span class="figure" id="${id}">${num(c.lang, n)}</span><span class="sub">${label}</span></article>`;
  return html`<div class="cards">${card(t.created, r.created, 'import-created')}${card(t.updated, r.updated, 'import-updated')}${card(t.rejected, r.rejected, 'import-rejected')}</div>`;
}

function rejections(c: ConsoleContext, r: Pick<ImportResult, 'errors' | 'errorsTruncated'>): Html | null {
  if (r.errors.length === 0) return null;
  const t = T(c.lang);
  const rows = r.errors.map((e) => [num(c.lang, e.line), c.msisdn(e.msisdn), e.reason]);
  return html`<h3>${t.rejections}</h3>${table({ columns: [{ label: t.colLine, numeric: true }, t.colNumber, t.colReason], rows, id: 'import-rejections' })}${r.errorsTruncated ? html`<p>${t.truncated}</p>` : null}`;
}

function statusText(c: ConsoleContext, j: ImportJobView): string {
  const t = T(c.lang);
  if (j.status === 'running') return `${t.running} (${j.phase === 'checking' ? t.checking : t.importing})`;
  return j.status === 'done' ? t.finished : t.failed;
}

/** The job's progress and counts; polls itself (htmx) while the job runs. */
function jobFragment(c: ConsoleContext, j: ImportJobView): Html {
  const t = T(c.lang);
  const href = `/console/subscribers/import/${encodeURIComponent(j.id)}`;
  const poll = j.status === 'running' ? html` hx-get="${href}?fragment=1" hx-trigger="every 1s" hx-swap="outerHTML"` : '';
  return html`<div id="import-job"${poll} aria-live="polite">
<p><strong>${t.colStatus}:</strong> <span id="import-status">${statusText(c, j)}</span> · ${t.progress(num(c.lang, j.rowsDone), j.rowsTotal === null ? '…' : num(c.lang, j.rowsTotal))}</p>
${j.rowsTotal ? html`<progress value="${j.rowsDone}" max="${j.rowsTotal}"></progress>` : null}
${j.error ? html`<p class="error" role="alert">${j.error.message}</p>` : null}
${counts(c, j)}
${rejections(c, j)}
${j.status === 'running' ? html`<p><a href="${href}">${t.refresh}</a></p>` : null}
</div>`;
}

function form(c: ConsoleContext, maxBytes: number, syncBytes: number, columns: string[], error: string | null): Html {
  const t = T(c.lang);
  return html`<p>${t.format(columns.join(', '))}</p>
<p>${t.limits(mb(syncBytes), mb(maxBytes))}</p>
<form method="post" action="/console/subscribers/import" enctype="multipart/form-data">${csrfField(c)}
${field({ name: 'file', label: t.file, type: 'file', required: true, error, attrs: 'accept=".csv,text/csv"' })}
<button type="submit">${t.import}</button>
</form>`;
}

/** /console/subscribers/import: upload a CSV (editors), through the same importer and jobs as the API. */
export function subscriberImportPages(app: FastifyInstance, deps: ConsoleDeps): void {
  const { core, accounts } = deps;
  const cfg = core.config.campaigns;
  const columns = () => ['language', 'region', 'crop', 'operator', ...core.subscriberImport.fields().filter((f) => f !== 'language' && f !== 'region')];

  const formPage = async (reply: FastifyReply, c: ConsoleContext, opts: { fileError?: string | null; error?: string | null; status?: number; result?: ImportResult }) => {
    const t = T(c.lang);
    const jobs = await core.importJobs.recent(10);
    const jobRows = jobs.map((j) => [
      when(c.lang, j.startedAt, c.timeZone),
      j.fileName ?? '–',
      statusText(c, j),
      num(c.lang, j.rowsDone),
      html`<a href="/console/subscribers/import/${encodeURIComponent(j.id)}">${t.open}</a>`,
    ]);
    const body = html`${opts.result ? html`<section aria-labelledby="result-h"><h2 id="result-h">${t.result}</h2>${counts(c, opts.result)}${rejections(c, opts.result)}</section>` : null}
<section aria-labelledby="upload-h"><h2 id="upload-h">${opts.result ? t.another : t.import}</h2>${form(c, cfg.importMaxBytes, cfg.importSyncMaxBytes, columns(), opts.fileError ?? null)}</section>
<section aria-labelledby="jobs-h"><h2 id="jobs-h">${t.recent}</h2>
${table({ columns: [t.colStarted, t.colFile, t.colStatus, { label: t.colProgress, numeric: true }, ''], rows: jobRows, empty: t.noJobs, id: 'import-jobs' })}</section>`;
    return sendHtml(reply, page(c, { title: t.title, lead: t.lead, body, error: opts.error ?? null, notice: opts.result ? t.done : null }), opts.status ?? 200);
  };

  app.get('/subscribers/import', async (req, reply) => formPage(reply, requireRole(req, 'editor'), {}));

  app.get<{ Params: { id: string } }>('/subscribers/import/:id', async (req, reply) => {
    const c = requireRole(req, 'editor');
    const job = await core.importJobs.status(req.params.id);
    if (!job) throw notFound('IMPORT_NOT_FOUND', T(c.lang).noJob);
    if ((req.query as Record<string, unknown>).fragment === '1' && req.headers['hx-request']) return sendHtml(reply, jobFragment(c, job));
    const t = T(c.lang);
    const body = html`${jobFragment(c, job)}<p><a href="/console/subscribers/import">${t.another}</a></p>`;
    return sendHtml(reply, page(c, { title: `${t.jobTitle} ${job.fileName ?? job.id}`, body }));
  });

  // Multipart only here: the parser is registered in this scope, and the CSRF field is checked before the file is read.
  void app.register(async (scope) => {
    await scope.register(multipart, { limits: { files: 1, fields: 5, fieldSize: 1024, fileSize: cfg.importMaxBytes + 1 } });
    scope.post('/subscribers/import', { config: { csrfInHandler: true } }, async (req, reply) => {
      const c = requireRole(req, 'editor');
      const t = T(c.lang);
      if (!req.isMultipart()) return formPage(reply, c, { fileError: t.noFile, status: 400 });
      let csrf: unknown;
      let file: ImportFile | null = null;
      try {
        for await (const part of req.parts()) {
          if (part.type === 'field') {
            if (part.fieldname === '_csrf') csrf = part.value;
            continue;
          }
          assertCsrf(csrf, c.csrf);
          if (file || part.fieldname !== 'file' || !part.filename) {
            part.file.resume();
            continue;
          }
          file = { ...(await core.importJobs.spool(part.file, cfg.importMaxBytes)), fileName: part.filename.slice(0, 200) };
        }
      } catch (e) {
        if (file) rmSync(file.path, { force: true });
        const status = e instanceof AppError ? e.status : (e as { statusCode?: number }).statusCode;
        if (status === 413) return formPage(reply, c, { fileError: t.tooLarge(mb(cfg.importMaxBytes)), error: t.notImported, status: 413 });
        throw e;
      }
      assertCsrf(csrf, c.csrf);
      if (!file || file.bytes === 0) {
        if (file) rmSync(file.path, { force: true });
        return formPage(reply, c, { fileError: t.noFile, status: 400 });
      }
      try {
        if (file.bytes > cfg.importSyncMaxBytes) {
          // The job record and its audit entry are one unit.
          const name = file.fileName;
          const bytes = file.bytes;
          const job = await core.importJobs.launch(file, 'api', (tx, id) => accounts.auditIn(tx, c.account.name, 'subscribers.import', id, { file: name, bytes }));
          return reply.redirect(`/console/subscribers/import/${encodeURIComponent(job.id)}`, 303);
        }
        // Checked whole first, as the API does: a file that stops being CSV halfway writes nothing.
        const { header } = await checkFile(file.path, core.subscriberImport.fields());
        const result = await core.subscriberImport.importFile(file.path, header);
        rmSync(file.path, { force: true });
        // Each batch was its own unit and the entry reports their totals, so it follows them in a unit of its own.
        await accounts.record(c.account.name, 'subscribers.import', file.fileName ?? null, { bytes: file.bytes, created: result.created, updated: result.updated, rejected: result.rejected });
        return formPage(reply, c, { result });
      } catch (e) {
        // Not launched, or refused: the spooled upload belongs to nobody now.
        rmSync(file.path, { force: true });
        if (e instanceof AppError && e.status < 500) return formPage(reply, c, { error: `${t.notImported} ${e.message}`, status: e.status });
        throw e;
      }
    });
  });
}
