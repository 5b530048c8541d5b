import { createTask, validate, type ScheduledTask } from 'node-cron';
import { ConfigError } from '../lib/errors';
import type { Lifecycle } from '../lib/lifecycle';
import type { Logger } from '../lib/logger';
import type { CrmService } from './crm-service';

/**
 * Runs detector passes on the `crm.schedule` cron (in the configured time zone). Passes never overlap:
 * node-cron skips a tick while one runs, and the pass lease in the database keeps a second process (or a
 * `vasgw detect` next to the server) from running one at the same time.
 */
export class CrmScheduler implements Lifecycle {
  private task: ScheduledTask | null = null;
  private readonly log: Logger;

  constructor(
    private readonly crm: Pick<CrmService, 'runPass'>,
    private readonly opts: { schedule: string; timezone: string; enabled: boolean; log: Logger },
  ) {
    if (!validate(opts.schedule)) throw new ConfigError(`invalid config key crm.schedule: "${opts.schedule}" is not a cron expression`);
    this.log = opts.log.child({ comp: 'crm-scheduler' });
  }

  start(): void {
    if (!this.opts.enabled || this.task) return;
    this.task = createTask(
      this.opts.schedule,
      () => {
        try {
          this.crm.runPass();
        } catch (err) {
          this.log.error({ err }, 'crm pass failed');
        }
      },
      { timezone: this.opts.timezone, noOverlap: true, name: 'crm-pass', unref: true },
    );
    void this.task.start();
  }

  async stop(): Promise<void> {
    const t = this.task;
    this.task = null;
    if (t) await t.destroy();
  }
}
