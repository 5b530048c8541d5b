import type { Config } from '../config';
import type { Days } from '../crm/days';
import { EXIT_REASONS } from '../crm/exit-reasons/reasons';
import { wilson } from '../crm/experiments';
import { badRequest } from '../lib/errors';
import { rate, type ReportRange } from './range';
import { EXIT_BY, type ExitBy, type ExitCell, type ExitReasonsStore } from './stores/exit-reasons-store';

const round4 = (x: number) => Math.round(x * 10000) / 10000;
const interval = (k: number, n: number): [number, number] | null => (n > 0 ? (wilson(k, n).map(round4) as [number, number]) : null);

/** Counts of one group of exits: asked, answered, pending; shares per reason with 95% intervals. */
function summarize(cells: readonly ExitCell[], followUps: Config['crm']['exitReasons']['followUps']) {
  let exits = 0;
  let answered = 0;
  let waiting = 0;
  let pending = 0;
  const notAsked: Record<string, number> = {};
  const byReason = new Map<string, number>();
  for (const c of cells) {
    exits += c.n;
    if (c.status === 'answered') {
      answered += c.n;
      byReason.set(c.reason ?? 'other', (byReason.get(c.reason ?? 'other') ?? 0) + c.n);
    } else if (c.status === 'asked') {
      waiting += c.n;
      pending += c.open;
    } else {
      const why = c.notAskedReason ?? 'unknown';
      notAsked[why] = (notAsked[why] ?? 0) + c.n;
    }
  }
  const asked = answered + waiting;
  return {
    exits,
    asked,
    answered,
    // Still inside the reply window: may yet answer, so the response rate is a floor until they close.
    pending,
    unanswered: waiting - pending,
    notAsked: Object.values(notAsked).reduce((a, b) => a + b, 0),
    notAskedBecause: notAsked,
    responseRate: rate(answered, asked),
    responseRateCi95: interval(answered, asked),
    reasons: EXIT_REASONS.map((reason) => {
      const n = byReason.get(reason) ?? 0;
      return { reason, answers: n, share: rate(n, answered), ci95: interval(n, answered), followUp: followUps[reason] };
    }),
  };
}

/**
 * Why subscribers leave: answers to the one exit question per reason, with their share of the answers
 * and its 95% (Wilson) interval, the response rate (asked, answered, still pending within the reply
 * window, not asked and why), optionally per cohort (month the run started), tenure band, region or
 * the channel they left by. Counted per local day of the exit from the daily counts kept as surveys are
 * stored and answered; only the questions still inside their reply window are read one by one.
 */
export async function exitReasonsReport(
  store: ExitReasonsStore,
  r: ReportRange,
  now: number,
  days: Days,
  opts: { by: string | undefined; config: Config['crm']['exitReasons']; limit: number },
): Promise<Record<string, unknown>> {
  if (opts.by !== undefined && !(EXIT_BY as readonly string[]).includes(opts.by)) {
    throw badRequest('INVALID_BY', `by "${opts.by.slice(0, 40)}" is not one of ${EXIT_BY.join(', ')}.`);
  }
  const by = (opts.by as ExitBy | undefined) ?? null;
  // Whole local days, as the daily counts are kept; pending exits are read for the same days.
  const cells = await store.cells(r.fromDay, r.toDay, days.start(r.fromDay), days.start(r.toDay + 1) - 1, now, by);
  const all = summarize(cells, opts.config.followUps);
  const groups = new Map<string | null, ExitCell[]>();
  for (const c of cells) groups.set(c.value, [...(groups.get(c.value) ?? []), c]);
  return {
    ...all,
    labels: opts.config.labels,
    replyWindowHours: opts.config.replyWindowHours,
    ...(by
      ? {
          by,
          groups: [...groups.entries()]
            .map(([value, list]) => ({ value: value ?? 'unknown', ...summarize(list, opts.config.followUps) }))
            .sort((a, b) => b.exits - a.exits || a.value.localeCompare(b.value)),
        }
      : {}),
    freeText: (await store.freeText(r.from, r.to, opts.limit)).map((f) => ({ at: new Date(f.answeredAt).toISOString(), text: f.text, msisdn: f.msisdn, serviceId: f.serviceId, language: f.language })),
    followUpResults: ['exit_guidance', 'exit_offer'].map((kind) => ({ kind, path: `/api/v1/reports/interventions?kind=${kind}` })),
  };
}
