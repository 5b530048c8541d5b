import { Worker } from 'node:worker_threads';
import { createTask, validate, type ScheduledTask } from 'node-cron';
import type { Config } from '../config';
import type { Clock } from '../lib/clock';
import { ConfigError } from '../lib/errors';
import type { Lifecycle } from '../lib/lifecycle';
import type { Logger } from '../lib/logger';
import type { Metrics } from '../lib/metrics';
import type { CrmService, PassSummary } from './crm-service';

/**
 * Runs detector passes on the `crm.schedule` cron (in the configured time zone). With a database file,
 * each pass runs in a worker thread on its own connection (with its own group commit for the pass's units),
 * so a long pass (the daily refit, a first pass over months of history) never holds up USSD hops on the
 * main event loop; an in-memory database (tests) and PostgreSQL run it here. Passes never overlap:
 * node-cron skips a tick while one runs, and the pass lease in the database keeps a second process (or a
 * `vasgw detect` next to the server) out.
 */
export class CrmScheduler implements Lifecycle {
  private task: ScheduledTask | null = null;
  private running: Promise<PassSummary | null> | null = null;
  private readonly log: Logger;

  constructor(
    private readonly crm: Pick<CrmService, 'runPass'>,
    private readonly opts: { config: Config; log: Logger; clock: Clock; metrics: Metrics },
  ) {
    if (!validate(opts.config.crm.schedule)) throw new ConfigError(`invalid config key crm.schedule: "${opts.config.crm.schedule}" is not a cron expression`);
    this.log = opts.log.child({ comp: 'crm-scheduler' });
  }

  start(): void {
    if (!this.opts.config.crm.enabled || this.task) return;
    this.task = createTask(this.opts.config.crm.schedule, () => this.runScheduled(), {
      timezone: this.opts.config.defaults.timezone,
      noOverlap: true,
      name: 'crm-pass',
      unref: true,
    });
    // An inline task starts synchronously; the Promise in start()'s type is for node-cron's background tasks.
    void this.task.start();
  }

  /** One scheduled pass (what each cron tick runs); resolves with its summary, or null if it failed. */
  runScheduled(): Promise<PassSummary | null> {
    if (this.running) return this.running;
    const run = (async () => {
      try {
        const now = this.opts.clock.now();
        // In-memory SQLite has no file for a worker to open; on PostgreSQL the pass's I/O is asynchronous
        // and runs on the gateway's pool without holding up the event loop.
        const local = this.opts.config.database.path === ':memory:' || this.opts.config.database.url !== null;
        const summary = local ? await this.crm.runPass(now) : await this.inWorker(now);
        if (!local) this.record(summary);
        this.log.info({ asOf: summary.asOf, events: summary.events, findings: summary.findings, ms: summary.durationMs, skipped: summary.skipped }, 'scheduled crm pass');
        return summary;
      } catch (err) {
        this.log.error({ err }, 'crm pass failed');
        return null;
      } finally {
        this.running = null;
      }
    })();
    this.running = run;
    return run;
  }

  // A pass in a worker counted into the worker's own registry: count it again here, where /metrics reads.
  private record(s: PassSummary): void {
    if (s.skipped) return;
    const m = this.opts.metrics;
    m.histogram('crm_pass_seconds', 'Duration of CRM detector passes', [], [0.1, 0.5, 1, 5, 15, 30, 60, 120]).observe(s.durationMs / 1000);
    const findings = m.counter('crm_findings_total', 'CRM findings stored', ['kind']);
    for (const [kind, n] of Object.entries(s.findings)) if (n > 0) findings.inc({ kind }, n);
    const acted = m.counter('crm_interventions_total', 'CRM interventions decided', ['kind', 'arm', 'status']);
    for (const [kind, v] of Object.entries(s.interventions)) {
      if (v.treatment) acted.inc({ kind, arm: 'treatment', status: 'queued' }, v.treatment);
      if (v.blocked) acted.inc({ kind, arm: 'treatment', status: 'blocked' }, v.blocked);
      if (v.holdout) acted.inc({ kind, arm: 'holdout', status: 'held_out' }, v.holdout);
    }
  }

  private inWorker(now: number): Promise<PassSummary> {
    return new Promise((resolve, reject) => {
      const worker = new Worker(new URL('./scheduled-pass-worker.mjs', import.meta.url), { workerData: { config: this.opts.config, now } });
      let done = false;
      worker.once('message', (m: { summary?: PassSummary; error?: string }) => {
        done = true;
        if (m.summary) resolve(m.summary);
        else reject(new Error(m.error ?? 'the pass worker sent nothing'));
      });
      worker.once('error', (err) => {
        done = true;
        reject(err);
      });
      worker.once('exit', (code) => {
        if (!done) reject(new Error(`the pass worker exited with code ${code}`));
      });
    });
  }

  async stop(): Promise<void> {
    const t = this.task;
    this.task = null;
    if (t) await t.destroy();
    // A pass already running finishes (it holds a database transaction and the lease).
    if (this.running) await this.running;
  }
}
