import type { Config } from '../config';
import type { UnitOfWork } from '../db/database';
import { DAY, HOUR, type Clock } from '../lib/clock';
import type { Lifecycle } from '../lib/lifecycle';
import type { Logger } from '../lib/logger';
import type { MessagingService } from '../messaging/messaging-service';
import type { OperatorDirectory } from '../subscribers/operators';
import type { SubscriberService } from '../subscribers/subscriber-service';
import type { UsageLog } from '../usage/usage-log';
import { isQuiet, lastAllowedAtOrBefore, nextAllowedAtOrAfter } from './quiet-hours';
import type { SubscriptionService } from './subscription-service';
import { fill, formatDate, pickText, serviceVars } from './texts';
import { inSavepoint } from '../db/savepoint';

export interface LifecycleJobDeps {
  /** Units of work: each batch of deadlines and each reminder is one. */
  units: UnitOfWork;
  clock: Clock;
  log: Logger;
  config: Pick<Config, 'billing' | 'defaults' | 'messaging'>;
  subscriptions: Pick<SubscriptionService, 'catalog' | 'store' | 'refreshIn'>;
  subscribers: Pick<SubscriberService, 'findByIdIn'>;
  operators: Pick<OperatorDirectory, 'timezoneOf'>;
  usage: Pick<UsageLog, 'recordIn'>;
  messaging: Pick<MessagingService, 'enqueueIn'>;
  /** Run interval (ms); default billing.jobIntervalSeconds. */
  intervalMs?: number;
}

/**
 * The periodic lifecycle job: moves subscriptions on when the operator stays silent (grace ends,
 * retries run out, an expected renewal never came) and sends renewal reminders.
 *
 * Reminders are transactional (a regulator's required notice reaches opted-out subscribers too) but
 * keep quiet hours themselves: the send time is `hoursBefore` before the renewal, moved earlier to the
 * last minute before quiet hours when it would fall inside them, so the notice still precedes the
 * charge. When the job runs late inside quiet hours, the message waits for their end, unless that is
 * after the renewal: then the reminder is recorded as missed rather than sent after the fact.
 */
export class LifecycleJob implements Lifecycle {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private readonly log: Logger;

  constructor(private readonly d: LifecycleJobDeps) {
    this.log = d.log.child({ comp: 'subscription-lifecycle' });
  }

  /** One pass as of now: time-based transitions, then reminders. Returns what it did. */
  async run(): Promise<{ transitions: number; reminders: number }> {
    return { transitions: await this.runDeadlines(), reminders: await this.sendReminders() };
  }

  /** Re-derives every subscription whose deadline passed; returns how many. */
  async runDeadlines(): Promise<number> {
    let n = 0;
    // Bounded: each refresh moves the deadline past now, so batches shrink.
    for (let batch = 0; batch < 500; batch++) {
      const done = await this.deadlineBatch();
      if (done === 0) break;
      n += done;
    }
    return n;
  }

  /**
   * One batch of due subscriptions in one unit (one commit for many), each in its own savepoint so a
   * subscription that cannot be re-derived is set aside without undoing the others. Between batches
   * the unit has ended, so HTTP traffic is served meanwhile.
   */
  private async deadlineBatch(): Promise<number> {
    const store = this.d.subscriptions.store;
    const ids = await store.dueDeadlines(this.d.clock.now(), 200);
    if (ids.length === 0) return 0;
    await this.d.units.unit(async (tx) => {
      for (const id of ids) {
        try {
          await inSavepoint(tx, 'subscription_step', () => this.d.subscriptions.refreshIn(id, tx));
        } catch (err) {
          await store.clearDeadline(id, tx);
          this.log.error({ err, subscriptionId: id }, 'subscription could not be re-derived');
        }
      }
    });
    return ids.length;
  }

  /** Queues due renewal reminders; returns how many. */
  async sendReminders(): Promise<number> {
    const now = this.d.clock.now();
    const cfg = this.d.config;
    const quiet = cfg.messaging.quietHours;
    let sent = 0;
    for (const service of this.d.subscriptions.catalog.all()) {
      const reminder = service.reminder;
      if (!reminder) continue;
      const before = reminder.hoursBefore * HOUR;
      // A quiet-hours shift moves a reminder at most a day earlier; look that far beyond the nominal time.
      const rows = await this.d.subscriptions.store.reminderCandidates(service.id, now, now + before + DAY, 1000);
      for (const row of rows) {
        const renewalAt = row.nextRenewalAt!;
        const subscriber = await this.d.subscribers.findByIdIn(undefined, row.subscriberId);
        if (!subscriber) continue;
        const tz = this.d.operators.timezoneOf(subscriber.operator) ?? cfg.messaging.timezone;
        const sendAt = lastAllowedAtOrBefore(renewalAt - before, quiet, tz);
        if (sendAt > now) continue;
        const notBefore = isQuiet(now, quiet, tz) ? nextAllowedAtOrAfter(now, quiet, tz) : null;
        if (notBefore !== null && notBefore >= renewalAt) {
          // The job ran too late: the first allowed minute is after the renewal, when a reminder no longer helps.
          const marked = await this.d.units.unit(async (tx) => {
            // Another pass (another process) marked it first: it also told the usage log.
            if (!(await this.d.subscriptions.store.markReminder(row.id, renewalAt, tx))) return false;
            await this.d.usage.recordIn(tx, [
              {
                at: now,
                subscriberId: subscriber.id,
                channel: 'billing',
                type: 'billing',
                detail: { event: 'renewal_reminder', serviceId: service.id, subscriptionId: row.id, renewalAt: new Date(renewalAt).toISOString(), status: 'missed', reason: 'quiet_hours' },
              },
            ]);
            return true;
          });
          if (marked) this.log.warn({ service: service.id, subscriptionId: row.id }, 'renewal reminder missed: quiet hours last until after the renewal');
          continue;
        }
        const text = fill(pickText(reminder.text, subscriber.language, cfg.defaults.language), serviceVars(service, subscriber.language, cfg, { date: formatDate(renewalAt, tz) }));
        const queued = await this.d.units.unit(async (tx) => {
          // Marked first: a reminder another pass has already queued is not queued twice.
          if (!(await this.d.subscriptions.store.markReminder(row.id, renewalAt, tx))) return false;
          const r = await this.d.messaging.enqueueIn(
            {
            to: subscriber.msisdn,
            text,
            kind: 'transactional',
            source: 'reminder',
            sourceRef: row.id,
            ...(service.shortCode ? { from: service.shortCode } : {}),
            ...(notBefore !== null ? { notBefore } : {}),
            },
            tx,
          );
          await this.d.usage.recordIn(tx, [
            {
              at: now,
              subscriberId: subscriber.id,
              channel: 'billing',
              type: 'billing',
              detail: { event: 'renewal_reminder', serviceId: service.id, subscriptionId: row.id, renewalAt: new Date(renewalAt).toISOString(), messageId: r.id, status: r.status },
            },
          ]);
          return true;
        });
        if (queued) sent++;
      }
    }
    return sent;
  }

  start(): void {
    const every = this.d.intervalMs ?? this.d.config.billing.jobIntervalSeconds * 1000;
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.run()
        .then((r) => {
          if (r.transitions + r.reminders > 0) this.log.debug(r, 'subscription lifecycle pass');
        })
        .catch((err: unknown) => this.log.error({ err }, 'subscription lifecycle pass failed'))
        .finally(() => {
          this.running = null;
        });
    }, every);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.running) await this.running;
  }
}
