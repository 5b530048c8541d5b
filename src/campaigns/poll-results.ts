import { stringify } from 'csv-stringify/sync';
import type { Db } from '../db/client';
import type { Poll } from './poll-repo';
import { pick } from './poll-text';
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

/**
 * Poll results and the CSV export. `sent` counts invitations (SMS and calls from campaigns);
 * `responses` counts answers from every channel (a USSD poll node answers without an invitation);
 * the response rate is answers from invited subscribers over invitations.
 */
export class PollResults {
  constructor(
    private readonly db: Db,
    private readonly defaultLanguage: string,
  ) {}

  /** Counts per answer (all of them, zeros included), by region and channel, response rate and NPS. */
  results(poll: Poll, segment?: { id: string; name: string; filter: CompiledFilter }): Record<string, unknown> {
    const c = this.db.$client;
    const seg = segment ? ` AND ${segment.filter.where}` : '';
    const sp = segment ? segment.filter.params : [];
    const one = (sql: string, ...params: unknown[]) => (c.prepare(sql).get(...params) as { n: number }).n;

    const sent = one(`SELECT count(*) AS n FROM poll_invites pi JOIN subscribers s ON s.id = pi.subscriber_id WHERE pi.poll_id = ?${seg}`, poll.id, ...sp);
    const invitedAnswers = one(
      `SELECT count(*) AS n FROM poll_answers pa JOIN poll_invites pi ON pi.poll_id = pa.poll_id AND pi.subscriber_id = pa.subscriber_id
       JOIN subscribers s ON s.id = pa.subscriber_id WHERE pa.poll_id = ?${seg}`,
      poll.id,
      ...sp,
    );
    const rows = c
      .prepare(
        `SELECT lower(coalesce(s.region, '')) AS region, min(s.region) AS label, pa.channel AS channel, pa.answer AS answer, count(*) AS n
         FROM poll_answers pa JOIN subscribers s ON s.id = pa.subscriber_id WHERE pa.poll_id = ?${seg} GROUP BY 1, 3, 4`,
      )
      .all(poll.id, ...sp) as { region: string; label: string | null; channel: string; answer: number; n: number }[];
    // Regions group as segments match them: case-insensitively ("Nakuru" = "nakuru").
    const sentByRegion = c
      .prepare(`SELECT lower(coalesce(s.region, '')) AS region, min(s.region) AS label, count(*) AS n FROM poll_invites pi JOIN subscribers s ON s.id = pi.subscriber_id WHERE pi.poll_id = ?${seg} GROUP BY 1`)
      .all(poll.id, ...sp) as { region: string; label: string | null; n: number }[];
    const labels = new Map<string, string | null>();
    for (const r of [...sentByRegion, ...rows]) if (!labels.has(r.region)) labels.set(r.region, r.label);

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
    const regions = [...new Set([...rows.map((r) => r.region), ...sentByRegion.map((r) => r.region)])].sort();
    const byRegion = regions.map((region) => {
      const counts = tally((r) => r.region === region);
      const n = counts.reduce((a, b) => a + b.count, 0);
      return {
        region: labels.get(region) ?? null,
        sent: sentByRegion.find((r) => r.region === region)?.n ?? 0,
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
      sent,
      responses,
      responseRate: sent === 0 ? null : Math.round((invitedAnswers / sent) * 1000) / 1000,
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
