import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { interval, num, pct } from '../../src/console/format';
import type { UsageEvent } from '../../src/usage/usage-log';
import { AUTH, testGateway, type TestGateway } from '../helpers/gateway';
import { maizeVisit } from '../helpers/onboarding';
import { consoleLogin, pageGet, type ConsoleLogin } from '../helpers/console-session';
import { seededRandom } from '../helpers/rng';
import { ensureSubscriber, recordUsage, updateProfile } from '../helpers/subscribers';

// The onboarding page shows the onboarding report's figures: the same numbers as GET /api/v1/reports/onboarding.
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.parse('2026-10-01T06:00:00Z');
const RANGE = '?from=2026-10-01&to=2026-10-31';

let gw: TestGateway;
let viewer: ConsoleLogin;
let swViewer: ConsoleLogin;

beforeAll(async () => {
  gw = await testGateway({ crm: { holdoutPercent: 50, onboarding: { enabled: true } } }, { now: new Date(T0).toISOString() });
  const rnd = seededRandom(7);
  const ids: number[] = [];
  for (let i = 0; i < 120; i++) {
    const s = await ensureSubscriber(gw.core, `+2547310${String(i).padStart(5, '0')}`, { at: T0 });
    await updateProfile(gw.core, s.id, { region: 'Nakuru', crop: 'maize', language: 'en' });
    ids.push(s.id);
  }
  await recordUsage(gw.core, ids.flatMap((id, i) => maizeVisit(id, T0 + i * 1000, false)));
  gw.clock.set(T0 + 3 * HOUR);
  await gw.core.crm.runPass();
  const later: UsageEvent[] = [];
  ids.forEach((id, i) => {
    later.push(...maizeVisit(id, T0 + DAY + i * 1000, rnd() < 0.6));
    if (rnd() < 0.5) later.push(...maizeVisit(id, T0 + 25 * DAY + i * 1000, true));
  });
  await recordUsage(gw.core, later);
  for (const at of [T0 + DAY + 3 * HOUR, T0 + 25 * DAY + 3 * HOUR, T0 + 31 * DAY]) {
    gw.clock.set(at);
    await gw.core.crm.runPass();
  }
  // Signed in after the month has passed (a session started before it would have expired).
  viewer = await consoleLogin(gw, 'amani', 'viewer');
  swViewer = await consoleLogin(gw, 'wanjiru', 'viewer', 'sw');
}, 60_000);

afterAll(async () => {
  await gw?.stop();
});

type Side = { subscribers: number; rate: number | null; ci95: [number, number] | null };
type Comparison = { treatment: Side; holdout: Side; uplift: number | null; ci95: [number, number] | null };
type Report = {
  newSubscribers: Record<string, number>;
  welcome: { deliveryRate: { rate: number | null } };
  firstGo: Comparison;
  retention: Comparison;
  followup: { reachedContent: Comparison };
  shortcuts: { groups: { shortcuts: { shortcut: string; topic: string }[] }[] };
};

describe('console: /console/onboarding', () => {
  it('shows the report\'s arms, rates, intervals and differences, with the chart drawn from the same figures', async () => {
    const res = await pageGet(gw, viewer, `/console/onboarding${RANGE}`);
    expect(res.statusCode).toBe(200);
    const r = (await gw.app.inject({ url: `/api/v1/reports/onboarding${RANGE}`, headers: AUTH })).json() as Report;
    expect(r.newSubscribers.joined).toBe(120);
    for (const key of ['joined', 'onboarded', 'heldOut'] as const) expect(res.body).toContain(`<strong class="figure">${num('en', r.newSubscribers[key])}</strong>`);
    const side = (s: Side) => `${pct('en', s.rate)} of ${num('en', s.subscribers)}<br><small>${interval('en', s.ci95?.[0], s.ci95?.[1])}</small>`;
    for (const m of [r.firstGo, r.retention]) {
      expect(m.treatment.subscribers + m.holdout.subscribers).toBe(120);
      expect(res.body).toContain(`<td class="num">${side(m.treatment)}</td><td class="num">${side(m.holdout)}</td><td class="num">${pct('en', m.uplift)}<br><small>${interval('en', m.ci95?.[0], m.ci95?.[1])}</small></td>`);
    }
    const spec = JSON.parse(/class="chart-spec">(.*?)<\/script>/.exec(res.body)![1]!) as { series: { data: unknown[] }[] };
    expect(spec.series[0]!.data.slice(0, 4)).toEqual([r.firstGo.treatment.ci95, r.firstGo.holdout.ci95, r.retention.treatment.ci95, r.retention.holdout.ci95]);
    expect(spec.series[1]!.data.slice(0, 4)).toEqual([r.firstGo.treatment.rate, r.firstGo.holdout.rate, r.retention.treatment.rate, r.retention.holdout.rate]);
    // The shortcuts chosen for Nakuru maize growers, and the texts sent.
    const first = r.shortcuts.groups[0]!.shortcuts[0]!;
    expect(res.body).toContain(`${first.shortcut} ${first.topic}`);
    expect(res.body).toContain(gw.core.config.crm.interventions.templates.welcome.sw!);
  });

  it('speaks Kiswahili to a Kiswahili reader', async () => {
    const res = await pageGet(gw, swViewer, `/console/onboarding${RANGE}`);
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('Kukaribisha wapya');
    expect(res.body).toContain('Waliokaribishwa dhidi ya walioachwa nje');
  });

  it('refuses dates the wrong way round with the report\'s message and a 400, showing no figures', async () => {
    const res = await pageGet(gw, viewer, '/console/onboarding?from=2026-10-31&to=2026-10-01');
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('role="alert"');
    expect(res.body).not.toContain('class="figure"');
  });
});
