import { stringify } from 'csv-stringify/sync';
import type { Poll } from './poll-repo';
import type { InviteGroup, PollResultsStore } from './poll-results-store';
import { pick } from './poll-text';
import { CALL_STATES, SMS_STATES, stateCounts } from '../reports/delivery';
import type { SegmentWhere } from './segment-repo';

interface AnswerCount {
  index: number;
  count: number;
}

/** NPS: % promoters (9-10) minus % detractors (0-6), one decimal. */
export function npsOf(counts: AnswerCount[]): { score: number | null; promoters: number; passives: number; detractors: number } {
  let promoters = 0;
  let passives = 0;
  let detractors = 0;
  for (const c of counts) {
    if (c.index >= 9) promoters += c.count;
    else if (c.index >= 7) passives += c.count;
    else detractors += c.count;
  }
  const n = promoters + passives + detractors;
  return { score: n === 0 ? null : Math.round(((promoters - detractors) / n) * 1000) / 10, promoters, passives, detractors };
}

/**
 * Poll results and the CSV export. Invitations (SMS and calls from campaigns) are counted by what
 * became of them, read from the outbox / call rows: `invited` all of them, `sent` those the SMSC
 * accepted or the voice provider placed (never the ones still queued), `delivered` those with a
 * delivery receipt or an answered call, `reached` those delivered or answered (an answer proves the
 * invitation arrived), and `delivery` every state per channel. `responses` counts answers from every
 * channel (a USSD poll node answers without an invitation); the response rate is answers from invited
 * subscribers over those reached.
 */
export class PollResults {
  constructor(
    private readonly store: PollResultsStore,
    private readonly defaultLanguage: string,
  ) {}

  /** Counts per answer (all of them, zeros included), by region and channel, invitations by delivery state, response rate and NPS. */
  async results(poll: Poll, segment?: { id: string; name: string; filter: SegmentWhere }): Promise<Record<string, unknown>> {
    const [invites, rows] = await Promise.all([this.store.inviteGroups(poll.id, segment?.filter), this.store.answerGroups(poll.id, segment?.filter)]);
    const exposure = (groups: InviteGroup[]) => {
      const sum = (k: 'n' | 'sent' | 'delivered' | 'reached' | 'answered') => groups.reduce((a, g) => a + (g[k] ?? 0), 0);
      const byChannel = (ch: 'sms' | 'call') => groups.filter((g) => g.channel === ch);
      const sms = byChannel('sms');
      const call = byChannel('call');
      const reached = sum('reached');
      return {
        invited: sum('n'),
        sent: sum('sent'),
        delivered: sum('delivered'),
        reached,
        delivery: { ...(sms.length ? { sms: stateCounts(SMS_STATES, sms) } : {}), ...(call.length ? { call: stateCounts(CALL_STATES, call) } : {}) },
        responseRate: reached === 0 ? null : Math.round((sum('answered') / reached) * 1000) / 1000,
      };
    };
    // Regions group as segments match them: case-insensitively ("Nakuru" = "nakuru").
    const labels = new Map<string, string | null>();
    for (const r of [...invites, ...rows]) if (!labels.has(r.region)) labels.set(r.region, r.label);

    const size = poll.type === 'nps' ? 11 : poll.answers.length;
    const tally = (filter: (r: (typeof rows)[number]) => boolean): AnswerCount[] => {
      const counts: AnswerCount[] = Array.from({ length: size }, (_, index) => ({ index, count: 0 }));
      for (const r of rows) if (filter(r) && counts[r.answer]) counts[r.answer]!.count += r.n;
      return counts;
    };
    const withShares = (counts: AnswerCount[]) => {
      const total = counts.reduce((a, b) => a + b.count, 0);
      return counts.map((x) => ({
        ...x,
        ...(poll.type === 'choice' ? { label: pick(poll.answers[x.index]!, this.defaultLanguage, this.defaultLanguage) } : {}),
        share: total === 0 ? 0 : Math.round((x.count / total) * 1000) / 1000,
      }));
    };
    const all = tally(() => true);
    const responses = all.reduce((a, b) => a + b.count, 0);
    const regions = [...new Set([...rows.map((r) => r.region), ...invites.map((r) => r.region)])].sort();
    const byRegion = regions.map((region) => {
      const counts = tally((r) => r.region === region);
      const n = counts.reduce((a, b) => a + b.count, 0);
      return {
        region: labels.get(region) ?? null,
        ...exposure(invites.filter((g) => g.region === region)),
        responses: n,
        answers: withShares(counts),
        ...(poll.type === 'nps' ? { nps: npsOf(counts).score } : {}),
      };
    });
    const byChannel: Record<string, number> = {};
    for (const r of rows) byChannel[r.channel] = (byChannel[r.channel] ?? 0) + r.n;
    const nps = poll.type === 'nps' ? npsOf(all) : null;
    return {
      pollId: poll.id,
      type: poll.type,
      ...(segment ? { segment: { id: segment.id, name: segment.name } } : {}),
      ...exposure(invites),
      responses,
      answers: withShares(all),
      ...(nps ? { nps: nps.score, npsBreakdown: { promoters: nps.promoters, passives: nps.passives, detractors: nps.detractors } } : {}),
      byRegion,
      byChannel,
    };
  }

  /** The answers as CSV, one row per subscriber, produced a page at a time so a large export never blocks for long. */
  async *csv(poll: Poll): AsyncGenerator<string> {
    yield stringify([['msisdn', 'answer_index', 'answer_label', 'channel', 'campaign_id', 'answered_at', 'region', 'crop', 'language', 'operator']]);
    let after = 0;
    for (;;) {
      const rows = await this.store.answersAfter(poll.id, after, 2000);
      if (rows.length === 0) return;
      after = rows[rows.length - 1]!.subscriberId;
      yield stringify(
        rows.map((r) => [
          r.msisdn,
          r.answer,
          poll.type === 'nps' ? String(r.answer) : pick(poll.answers[r.answer] ?? {}, this.defaultLanguage, this.defaultLanguage),
          r.channel,
          r.campaignId ?? '',
          new Date(r.at).toISOString(),
          r.region ?? '',
          r.crop ?? '',
          r.language ?? '',
          r.operator ?? '',
        ]),
      );
      await new Promise<void>((res) => setImmediate(res));
    }
  }
}
