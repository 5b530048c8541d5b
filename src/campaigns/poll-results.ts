import { stringify } from 'csv-stringify/sync';
import type { Db } from '../db/client';
import type { Poll } from './poll-repo';
import { pick } from './poll-text';
import { callPlacedSql, callStateSql, CALL_STATES, SMS_STATES, smsSentSql, smsStateSql, stateCounts } from '../reports/delivery';
import type { CompiledFilter } from './segment-filter';

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

/** One group of invitations: region, channel and delivery state, with how many were sent, reached and answered. */
interface InviteGroup {
  region: string;
  label: string | null;
  channel: 'sms' | 'call';
  state: string | null;
  n: number;
  sent: number;
  /** A delivery receipt said delivered, or the call was answered. */
  delivered: number;
  /** Delivered, or answered the poll (an answer proves the invitation arrived; many operators send no receipts). */
  reached: number;
  answered: number;
}

// The message or call an invitation went out as: the latest run of its campaign that handed this
// subscriber over (a later run re-invites and moves the invitation along).
const INVITE_REF = `(SELECT r.ref FROM campaign_runs cr JOIN campaign_recipients r ON r.run_id = cr.id AND r.subscriber_id = pi.subscriber_id
   WHERE cr.campaign_id = pi.campaign_id AND r.ref IS NOT NULL ORDER BY cr.id DESC LIMIT 1)`;

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
    private readonly db: Db,
    private readonly defaultLanguage: string,
  ) {}

  /** Counts per answer (all of them, zeros included), by region and channel, invitations by delivery state, response rate and NPS. */
  results(poll: Poll, segment?: { id: string; name: string; filter: CompiledFilter }): Record<string, unknown> {
    const c = this.db.$client;
    const seg = segment ? ` AND ${segment.filter.where}` : '';
    const sp = segment ? segment.filter.params : [];

    const invites = c
      .prepare(
        `SELECT region, min(label) AS label, channel, state, count(*) AS n, sum(sent) AS sent, sum(reached) AS delivered, sum(reached OR answered) AS reached, sum(answered) AS answered FROM (
           SELECT lower(coalesce(s.region, '')) AS region, s.region AS label, inv.channel,
             CASE WHEN inv.channel = 'sms' THEN ${smsStateSql('m')} ELSE ${callStateSql('c')} END AS state,
             CASE WHEN inv.channel = 'sms' THEN ${smsSentSql('m')} ELSE coalesce(${callPlacedSql('c')}, 0) END AS sent,
             CASE WHEN inv.channel = 'sms' THEN m.status = 'delivered' ELSE c.answered_at IS NOT NULL END AS reached,
             EXISTS (SELECT 1 FROM poll_answers pa WHERE pa.poll_id = inv.poll_id AND pa.subscriber_id = inv.subscriber_id) AS answered
           FROM (SELECT pi.poll_id, pi.subscriber_id, pi.channel, ${INVITE_REF} AS ref FROM poll_invites pi WHERE pi.poll_id = ?) inv
           JOIN subscribers s ON s.id = inv.subscriber_id
           LEFT JOIN messages m ON inv.channel = 'sms' AND m.id = inv.ref
           LEFT JOIN calls c ON inv.channel = 'call' AND c.id = inv.ref
           WHERE 1 = 1${seg}
         ) GROUP BY region, channel, state`,
      )
      .all(poll.id, ...sp) as InviteGroup[];
    const rows = c
      .prepare(
        `SELECT lower(coalesce(s.region, '')) AS region, min(s.region) AS label, pa.channel AS channel, pa.answer AS answer, count(*) AS n
         FROM poll_answers pa JOIN subscribers s ON s.id = pa.subscriber_id WHERE pa.poll_id = ?${seg} GROUP BY 1, 3, 4`,
      )
      .all(poll.id, ...sp) as { region: string; label: string | null; channel: string; answer: number; n: number }[];
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
    const page = this.db.$client.prepare(
      `SELECT pa.subscriber_id AS sid, s.msisdn, pa.answer, pa.channel, pa.campaign_id, pa.at, s.region, s.crop, s.language, s.operator
       FROM poll_answers pa JOIN subscribers s ON s.id = pa.subscriber_id
       WHERE pa.poll_id = ? AND pa.subscriber_id > ? ORDER BY pa.subscriber_id LIMIT 2000`,
    );
    let after = 0;
    for (;;) {
      const rows = page.all(poll.id, after) as {
        sid: number;
        msisdn: string;
        answer: number;
        channel: string;
        campaign_id: string | null;
        at: number;
        region: string | null;
        crop: string | null;
        language: string | null;
        operator: string | null;
      }[];
      if (rows.length === 0) return;
      after = rows[rows.length - 1]!.sid;
      yield stringify(
        rows.map((r) => [
          r.msisdn,
          r.answer,
          poll.type === 'nps' ? String(r.answer) : pick(poll.answers[r.answer] ?? {}, this.defaultLanguage, this.defaultLanguage),
          r.channel,
          r.campaign_id ?? '',
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
