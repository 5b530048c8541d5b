import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UsageEvent } from '../../src/usage/usage-log';
import { maizeVisit } from '../helpers/onboarding';
import { AUTH, testGateway, type TestGateway } from '../helpers/gateway';
import { seededRandom } from '../helpers/rng';
import { ensureSubscriber, recordUsage, updateProfile } from '../helpers/subscribers';

// A planted truth: new subscribers whose visit after the welcome finds what it sought at the first go, and
// who are still active a month later, with known rates per arm. The onboarding report must count exactly
// what was planted and its intervals must bracket the planted differences.
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.parse('2026-10-01T06:00:00Z'); // 09:00 in Nairobi
const N = 800;
const PLANT = { firstGo: { treatment: 0.7, holdout: 0.45 }, retained: { treatment: 0.6, holdout: 0.4 } };
const SEED = 1;

let gw: TestGateway;
const arms = new Map<number, 'treatment' | 'holdout'>();
const planted = { firstGo: { treatment: [0, 0], holdout: [0, 0] }, retained: { treatment: [0, 0], holdout: [0, 0] } };
const pass = (at: number) => {
  gw.clock.set(at);
  return gw.core.crm.runPass(at);
};

beforeAll(async () => {
  gw = await testGateway({ crm: { holdoutPercent: 50, onboarding: { enabled: true } } }, { now: new Date(T0).toISOString() });
  // A 95% interval misses the planted rate for one draw in twenty; the seed is fixed, so the run is the same every time.
  const rnd = seededRandom(SEED);
  const ids: number[] = [];
  for (let i = 0; i < N; i++) {
    const s = await ensureSubscriber(gw.core, `+2547300${String(i).padStart(5, '0')}`, { at: T0 });
    await updateProfile(gw.core, s.id, { region: i % 2 ? 'Nakuru' : 'Meru', crop: 'maize', language: 'en' });
    ids.push(s.id);
  }
  // Day 0: everyone's first visit (a stumble, so the first visit itself says nothing), then the pass welcomes them.
  await recordUsage(gw.core, ids.flatMap((id, i) => maizeVisit(id, T0 + i * 1000, false)));
  const welcomed = await pass(T0 + 3 * HOUR);
  expect(welcomed.findings.new_subscriber).toBe(N);
  for (const id of ids) arms.set(id, (await gw.core.crm.onboarding.store.get(id))!.arm as 'treatment' | 'holdout');
  // Day 1: the visit after the welcome; day 26: still around, or not.
  const day1: UsageEvent[] = [];
  const day26: UsageEvent[] = [];
  ids.forEach((id, i) => {
    const arm = arms.get(id)!;
    const clean = rnd() < PLANT.firstGo[arm];
    planted.firstGo[arm][0]! += 1;
    planted.firstGo[arm][1]! += clean ? 1 : 0;
    day1.push(...maizeVisit(id, T0 + DAY + i * 1000, clean));
    const stays = rnd() < PLANT.retained[arm];
    planted.retained[arm][0]! += 1;
    planted.retained[arm][1]! += stays ? 1 : 0;
    if (stays) day26.push(...maizeVisit(id, T0 + 26 * DAY + i * 1000, true));
  });
  await recordUsage(gw.core, day1);
  await pass(T0 + DAY + 3 * HOUR);
  await recordUsage(gw.core, day26);
  await pass(T0 + 26 * DAY + 3 * HOUR);
}, 120_000);

afterAll(async () => {
  await gw?.stop();
});

type Side = { subscribers: number; successes: number; rate: number };
type Comparison = { treatment: Side; holdout: Side; uplift: number; ci95: [number, number]; pending: { onboarded: number; heldOut: number } };
const report = async () => {
  const r = await gw.app.inject({ url: '/api/v1/reports/onboarding?from=2026-10-01&to=2026-10-31', headers: AUTH });
  expect(r.statusCode, r.body).toBe(200);
  return r.json() as { newSubscribers: Record<string, number>; firstGo: Comparison; retention: Comparison & { days: number }; shortcuts: { groups: { region: string; crop: string; shortcuts: { nodeId: string }[] }[] } };
};

describe('onboarding report recovers a planted welcome effect', () => {
  it('counts every new subscriber in their arm and the first-go of their visit after the welcome, as planted', async () => {
    const r = await report();
    const treated = [...arms.values()].filter((a) => a === 'treatment').length;
    expect(r.newSubscribers).toMatchObject({ joined: N, onboarded: treated, heldOut: N - treated, notAssigned: 0 });
    expect(r.firstGo.treatment).toMatchObject({ subscribers: planted.firstGo.treatment[0], successes: planted.firstGo.treatment[1] });
    expect(r.firstGo.holdout).toMatchObject({ subscribers: planted.firstGo.holdout[0], successes: planted.firstGo.holdout[1] });
    expect(r.firstGo.pending).toEqual({ onboarded: 0, heldOut: 0 });
    const realized = planted.firstGo.treatment[1]! / planted.firstGo.treatment[0]! - planted.firstGo.holdout[1]! / planted.firstGo.holdout[0]!;
    expect(r.firstGo.uplift).toBeCloseTo(realized, 4);
    const diff = PLANT.firstGo.treatment - PLANT.firstGo.holdout;
    expect(diff, `planted ${diff} outside ${JSON.stringify(r.firstGo.ci95)}`).toBeGreaterThanOrEqual(r.firstGo.ci95[0]);
    expect(diff).toBeLessThanOrEqual(r.firstGo.ci95[1]);
  });

  it('keeps 30-day retention pending while the window is open, then recovers the planted retention', async () => {
    const open = await report();
    expect(open.retention.treatment.subscribers + open.retention.holdout.subscribers).toBe(0);
    expect(open.retention.pending.onboarded + open.retention.pending.heldOut).toBe(N);

    await pass(T0 + 31 * DAY);
    const r = await report();
    expect(r.retention.days).toBe(30);
    expect(r.retention.treatment).toMatchObject({ subscribers: planted.retained.treatment[0], successes: planted.retained.treatment[1] });
    expect(r.retention.holdout).toMatchObject({ subscribers: planted.retained.holdout[0], successes: planted.retained.holdout[1] });
    expect(r.retention.pending).toEqual({ onboarded: 0, heldOut: 0 });
    const realized = planted.retained.treatment[1]! / planted.retained.treatment[0]! - planted.retained.holdout[1]! / planted.retained.holdout[0]!;
    expect(r.retention.uplift).toBeCloseTo(realized, 4);
    const diff = PLANT.retained.treatment - PLANT.retained.holdout;
    expect(diff, `planted ${diff} outside ${JSON.stringify(r.retention.ci95)}`).toBeGreaterThanOrEqual(r.retention.ci95[0]);
    expect(diff).toBeLessThanOrEqual(r.retention.ci95[1]);
  });

  it('ranks the content they found at the first go as the shortcut of their region and crop', async () => {
    const r = await report();
    const nakuru = r.shortcuts.groups.find((g) => g.region === 'Nakuru' && g.crop === 'maize');
    expect(nakuru?.shortcuts[0]?.nodeId).toBe('maize-pests');
  });
});
