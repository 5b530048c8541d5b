import type { Config } from '../config';
import type { Db } from '../db/client';
import { tx } from '../db/client';
import { DAY, HOUR, type Clock } from '../lib/clock';
import type { Lifecycle } from '../lib/lifecycle';
import type { Logger } from '../lib/logger';
import type { MessagingPort } from '../messaging/types';
import type { OperatorDirectory } from '../subscribers/operators';
import type { SubscriberService } from '../subscribers/subscriber-service';
import type { UsageLog } from '../usage/usage-log';
import { isQuiet, lastAllowedAtOrBefore, nextAllowedAtOrAfter } from './quiet-hours';
import type { SubscriptionService } from './subscription-service';
import { fill, formatDate, pickText, serviceVars } from './texts';

export interface LifecycleJobDeps {
  db: Db;
  clock: Clock;
  log: Logger;
  config: Pick<Config, 'billing' | 'defaults' | 'messaging'>;
  subscriptions: Pick<SubscriptionService, 'catalog' | 'store' | 'refresh'>;
  subscribers: Pick<SubscriberService, 'findById'>;
  operators: Pick<OperatorDirectory, 'timezoneOf'>;
  usage: Pick<UsageLog, 'record'>;
  messaging: Pick<MessagingPort, 'enqueue'>;
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
  run(): { transitions: number; reminders: number } {
    return { transitions: this.runDeadlines(), reminders: this.sendReminders() };
  }

  /** Re-derives every subscription whose deadline passed; returns how many. */
  runDeadlines(): number {
    let n = 0;
    // Bounded: each refresh moves the deadline past now, so batches shrink.
    for (let batch = 0; batch < 500; batch++) {
      const done = this.deadlineBatch();
      if (done === 0) break;
      n += done;
    }
    return n;
  }

  /**
   * One batch of due subscriptions in one transaction (one commit for many), each in its own savepoint
   * so a subscription that cannot be re-derived is set aside without undoing the others.
   */
  private deadlineBatch(): number {
    const ids = this.d.subscriptions.store.dueDeadlines(this.d.clock.now(), 200);
    if (ids.length === 0) return 0;
    tx(this.d.db, () => {
      for (const id of ids) {
        try {
          // Nested in the batch's transaction, tx() is a savepoint: a failure undoes this subscription only.
          tx(this.d.db, () => this.d.subscriptions.refresh(id));
        } catch (err) {
          this.d.subscriptions.store.clearDeadline(id);
          this.log.error({ err, subscriptionId: id }, 'subscription could not be re-derived');
        }
      }
    });
    return ids.length;
  }

  /** The timer's pass: like `run`, but yields between batches so HTTP traffic is served meanwhile. */
  private async runYielding(): Promise<{ transitions: number; reminders: number }> {
    let transitions = 0;
    for (let batch = 0; batch < 500; batch++) {
      const done = this.deadlineBatch();
      if (done === 0) break;
      transitions += done;
      await new Promise<void>((r) => setImmediate(r));
    }
    return { transitions, reminders: this.sendReminders() };
  }

  /** Queues due renewal reminders; returns how many. */
  sendReminders(): number {
    const now = this.d.clock.now();
    const cfg = this.d.config;
    const quiet = cfg.messaging.quietHours;
    let sent = 0;
    for (const service of this.d.subscriptions.catalog.all()) {
      const reminder = service.reminder;
      if (!reminder) continue;
      const before = reminder.hoursBefore * HOUR;
      // A quiet-hours shift moves a reminder at most a day earlier; look that far beyond the nominal time.
      const rows = this.d.subscriptions.store.reminderCandidates(service.id, now, now + before + DAY, 1000);
      for (const row of rows) {
        const renewalAt = row.nextRenewalAt!;
        const subscriber = this.d.subscribers.findById(row.subscriberId);
        if (!subscriber) continue;
        const tz = this.d.operators.timezoneOf(subscriber.operator) ?? cfg.messaging.timezone;
        const sendAt = lastAllowedAtOrBefore(renewalAt - before, quiet, tz);
        if (sendAt > now) continue;
        const notBefore = isQuiet(now, quiet, tz) ? nextAllowedAtOrAfter(now, quiet, tz) : null;
        if (notBefore !== null && notBefore >= renewalAt) {
          // The job ran too late: the first allowed minute is after the renewal, when a reminder no longer helps.
          tx(this.d.db, () => {
            this.d.subscriptions.store.markReminder(row.id, renewalAt);
            this.d.usage.record([
              {
                at: now,
                subscriberId: subscriber.id,
                channel: 'billing',
                type: 'billing',
                detail: { event: 'renewal_reminder', serviceId: service.id, subscriptionId: row.id, renewalAt: new Date(renewalAt).toISOString(), status: 'missed', reason: 'quiet_hours' },
              },
            ]);
          });
          this.log.warn({ msisdn: subscriber.msisdn, service: service.id }, 'renewal reminder missed: quiet hours last until after the renewal');
          continue;
        }
        const text = fill(pickText(reminder.text, subscriber.language, cfg.defaults.language), serviceVars(service, subscriber.language, cfg, { date: formatDate(renewalAt, tz) }));
        tx(this.d.db, () => {
          const r = this.d.messaging.enqueue({
            to: subscriber.msisdn,
            text,
            kind: 'transactional',
            source: 'reminder',
            sourceRef: row.id,
            ...(service.shortCode ? { from: service.shortCode } : {}),
            ...(notBefore !== null ? { notBefore } : {}),
          });
          this.d.subscriptions.store.markReminder(row.id, renewalAt);
          this.d.usage.record([
            {
              at: now,
              subscriberId: subscriber.id,
              channel: 'billing',
              type: 'billing',
              detail: { event: 'renewal_reminder', serviceId: service.id, subscriptionId: row.id, renewalAt: new Date(renewalAt).toISOString(), messageId: r.id, status: r.status },
            },
          ]);
        });
        sent++;
      }
    }
    return sent;
  }

  start(): void {
    const every = this.d.intervalMs ?? this.d.config.billing.jobIntervalSeconds * 1000;
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.runYielding()
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
