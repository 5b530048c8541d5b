import { beforeAll, expect, it } from 'vitest';
import { Days } from '../../src/crm/days';
import { exitReasonsDaily, exitSurveys, subscribers } from '../../src/db/schema';
import { exitReasonsReport } from '../../src/reports/exit-reasons';
import { parseRange } from '../../src/reports/range';
import { ExitReasonsStore } from '../../src/reports/stores/exit-reasons-store';
import { eachBackend } from '../helpers/backends';
import { testConfig } from '../helpers/gateway';

// The exit-reasons report on both engines: planted daily counts come back summed per status and reason
// (a count that nets to zero is no row), the questions still inside their reply window are counted as
// pending per group (region, tenure band), and the free-text answers come newest first.
const days = new Days('Africa/Nairobi');
const DAY = 86_400_000;
const cfg = testConfig().crm.exitReasons;
const now = Date.parse('2026-11-20T12:00:00Z');
const range = (from: string, to: string) => parseRange({ from, to }, now, days);
const nov = range('2026-11-01', '2026-11-30');
const d1 = days.of(Date.parse('2026-11-05T09:00:00Z'));
const d2 = days.of(Date.parse('2026-11-18T09:00:00Z'));

type Daily = typeof exitReasonsDaily.$inferInsert;
const cell = (day: number, dim: string, value: string, status: string, n: number, reason = '', notAsked = ''): Daily => ({ day, dim, value, status, reason, notAsked, n });
type Survey = typeof exitSurveys.$inferInsert;
let seq = 0;
const survey = (o: Partial<Survey>): Survey => {
  const id = `s${++seq}`;
  return { id, subscriberId: 1 + (seq % 2), serviceId: 'farm-tips', subscriptionId: id, runStartedAt: 0, exitAt: Date.parse('2026-11-19T08:00:00Z'), exitChannel: 'sms', status: 'asked', ...o };
};

type Summary = { exits: number; asked: number; answered: number; pending: number; unanswered: number; notAsked: number; notAskedBecause: Record<string, number>; responseRate: number | null; reasons: Array<{ reason: string; answers: number }> };
type Report = Summary & { groups?: Array<Summary & { value: string }>; freeText: Array<{ at: string; text: string; msisdn: string; serviceId: string; language: string | null }> };
const answers = (s: Summary) => Object.fromEntries(s.reasons.map((r) => [r.reason, r.answers]));

eachBackend((get) => {
  let store: ExitReasonsStore;
  const report = async (r = nov, by?: string, limit = 100) => (await exitReasonsReport(store, r, now, days, { by, config: cfg, limit })) as unknown as Report;

  beforeAll(async () => {
    const b = get();
    store = new ExitReasonsStore(b.database);
    seq = 0;
    await b.plant(subscribers, [
      { id: 1, msisdn: '254700000001', firstSeenAt: 0, updatedAt: 0 },
      { id: 2, msisdn: '254700000002', firstSeenAt: 0, updatedAt: 0 },
    ]);
    await b.plant(exitReasonsDaily, [
      cell(d1, 'all', '', 'answered', 3, 'too_expensive'),
      cell(d2, 'all', '', 'answered', 1, 'too_expensive'),
      cell(d1, 'all', '', 'answered', 2, 'not_useful'),
      cell(d2, 'all', '', 'answered', 1),
      // An answer counted and later taken back nets to nothing.
      cell(d1, 'all', '', 'answered', 1, 'hard_to_use'),
      cell(d2, 'all', '', 'answered', -1, 'hard_to_use'),
      cell(d1, 'all', '', 'asked', 2),
      cell(d2, 'all', '', 'asked', 3),
      cell(d1, 'all', '', 'not_asked', 1, '', 'opted_out'),
      cell(d2, 'all', '', 'not_asked', 2, '', 'no_messaging'),
      cell(d1 - 10, 'all', '', 'asked', 100),
      cell(d1, 'region', 'Nakuru', 'answered', 3, 'too_expensive'),
      cell(d2, 'region', 'Nakuru', 'asked', 2),
      cell(d1, 'region', 'Kisumu', 'answered', 5, 'poor_network'),
      cell(d1, 'region', '', 'answered', 2, 'not_useful'),
      cell(d2, 'region', '', 'asked', 3),
      cell(d2, 'region', '', 'not_asked', 1, '', 'opted_out'),
      cell(d2, 'tenure', 'under_1_week', 'asked', 2),
      cell(d2, 'tenure', '3_months_plus', 'asked', 3),
      cell(d2, 'channel', 'sms', 'asked', 4),
      cell(d1, 'channel', 'ussd', 'answered', 1, 'other'),
      cell(d2, 'cohort', '', 'asked', 2),
      cell(d1, 'cohort', '2026-10', 'answered', 2, 'not_useful'),
    ]);
    const open = Date.parse('2026-11-22T08:00:00Z');
    await b.plant(exitSurveys, [
      survey({ region: 'Nakuru', tenureDays: 3, askedAt: now - DAY, windowEndsAt: open }),
      survey({ tenureDays: 200, askedAt: now - DAY, windowEndsAt: open }),
      survey({ region: 'Nakuru', tenureDays: 3, askedAt: now - 5 * DAY, windowEndsAt: now - DAY }),
      survey({ region: 'Nakuru', status: 'answered', windowEndsAt: open }),
      survey({ status: 'answered', reason: 'other', freeText: 'network is bad', answeredAt: Date.parse('2026-11-10T10:00:00Z'), language: 'en' }),
      survey({ status: 'answered', reason: 'other', freeText: 'bei ghali', answeredAt: Date.parse('2026-11-12T10:00:00Z'), language: 'sw', serviceId: 'market-prices' }),
      survey({ status: 'answered', reason: 'other', freeText: 'later', answeredAt: Date.parse('2026-11-11T10:00:00Z') }),
      survey({ status: 'answered', reason: 'other', freeText: 'too old', answeredAt: Date.parse('2026-10-01T10:00:00Z') }),
    ]);
  });

  it('sums the counts of the range per status and reason, with the open questions pending', async () => {
    const r = await report();
    expect(r).toMatchObject({ exits: 15, asked: 12, answered: 7, pending: 2, unanswered: 3, notAsked: 3, notAskedBecause: { no_messaging: 2, opted_out: 1 }, responseRate: 0.5833 });
    expect(Object.keys(r.notAskedBecause)).toEqual(['no_messaging', 'opted_out']);
    expect(answers(r)).toEqual({ too_expensive: 4, not_useful: 2, hard_to_use: 0, poor_network: 0, other: 1 });
    expect(r.groups).toBeUndefined();
  });

  it('groups by region, most exits first and equal ones by name, pending per region', async () => {
    const r = await report(nov, 'region');
    expect(r.groups!.map((g) => [g.value, g.exits, g.pending, g.unanswered])).toEqual([
      ['unknown', 6, 1, 2],
      ['Kisumu', 5, 0, 0],
      ['Nakuru', 5, 1, 1],
    ]);
    expect(answers(r.groups![1]!).poor_network).toBe(5);
    expect(r).toMatchObject({ exits: 16, pending: 2 });
  });

  it('groups by tenure band, reading the band of each open question', async () => {
    const r = await report(nov, 'tenure');
    expect(r.groups!.map((g) => [g.value, g.exits, g.pending])).toEqual([
      ['3_months_plus', 3, 1],
      ['under_1_week', 2, 1],
    ]);
  });

  it('groups by the channel left by and by cohort', async () => {
    const byChannel = await report(nov, 'channel');
    expect(byChannel.groups!.map((g) => [g.value, g.exits, g.pending])).toEqual([
      ['sms', 4, 2],
      ['ussd', 1, 0],
    ]);
    const byCohort = await report(nov, 'cohort');
    expect(byCohort.groups!.map((g) => [g.value, g.exits, g.pending, g.answered])).toEqual([
      ['2026-10', 2, 0, 2],
      ['unknown', 2, 2, 0],
    ]);
  });

  it('lists the free-text answers of the range newest first, up to the limit', async () => {
    const r = await report(nov, undefined, 2);
    expect(r.freeText).toEqual([
      { at: '2026-11-12T10:00:00.000Z', text: 'bei ghali', msisdn: '254700000001', serviceId: 'market-prices', language: 'sw' },
      { at: '2026-11-11T10:00:00.000Z', text: 'later', msisdn: '254700000002', serviceId: 'farm-tips', language: null },
    ]);
  });

  it('counts nothing in an empty range', async () => {
    const r = await report(range('2025-01-01', '2025-01-31'), 'region');
    expect(r).toMatchObject({ exits: 0, asked: 0, pending: 0, responseRate: null, groups: [], freeText: [] });
  });
});
