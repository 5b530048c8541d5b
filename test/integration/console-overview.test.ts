import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FindingKind } from '../../src/crm/detectors/types';
import { FindingsRepo } from '../../src/crm/findings-repo';
import { DAY } from '../../src/lib/clock';
import { ACCOUNTS, populate } from '../helpers/browser';
import { AUTH, testGateway, type TestGateway } from '../helpers/gateway';

// The overview: every card's figure is the API's figure for the same from/to, and its trend compares
// with the API's figure for the range of equal length just before.

/** The machine value of a `<data id=...>` on the page (null when the page shows no figure). */
function figure(page: string, id: string): number | null {
  const m = new RegExp(`<data id="${id}" value="([^"]*)"`).exec(page);
  if (!m) throw new Error(`no figure ${id} on the page`);
  return m[1] === '' ? null : Number(m[1]);
}

describe('console overview', () => {
  let gw: TestGateway;
  let cookie: string;
  let viewerCookie: string;
  const report = async (name: string, from: string, to: string) => {
    const r = await gw.app.inject({ method: 'GET', url: `/api/v1/reports/${name}?from=${from}&to=${to}`, headers: AUTH });
    expect(r.statusCode).toBe(200);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- report JSON, read field by field below
    return r.json() as Record<string, any>;
  };
  const open = (url: string, who = cookie) => gw.app.inject({ method: 'GET', url, headers: { cookie: who } });

  beforeAll(async () => {
    gw = await testGateway();
    const editor = await gw.console!.add(ACCOUNTS.editor.name, 'editor', ACCOUNTS.editor.password);
    const viewer = await gw.console!.add(ACCOUNTS.viewer.name, 'viewer', ACCOUNTS.viewer.password, 'sw');
    await populate(gw, { subscribers: 300, days: 28 });
    cookie = `vasgw_console=${(await gw.console!.startSession(editor.id)).token}`;
    viewerCookie = `vasgw_console=${(await gw.console!.startSession(viewer.id)).token}`;
  }, 60_000);
  afterAll(async () => {
    await gw?.stop();
  });

  it('shows the API figures for the range and for the range before it', async () => {
    const [from, to, pFrom, pTo] = ['2026-10-15', '2026-10-28', '2026-10-01', '2026-10-14'];
    const res = await open(`/console?from=${from}&to=${to}`);
    expect(res.statusCode).toBe(200);
    const page = res.body;
    for (const [f, t, side] of [[from, to, 'now'], [pFrom, pTo, 'prev']] as const) {
      const discovery = await report('discovery', f, t);
      const stuck = await report('stuck', f, t);
      const findings = await report('findings', f, t);
      const paying = await report('paying-vs-using', f, t);
      const interventions = await report('interventions', f, t);
      expect(figure(page, `${side}-sessions`)).toBe(discovery.sessions);
      expect(discovery.sessions).toBeGreaterThan(0);
      expect(figure(page, `${side}-first-go`)).toBe(discovery.soughtContent.firstGoRate);
      expect(figure(page, `${side}-stuck`)).toBe(stuck.subscribers);
      expect(figure(page, `${side}-lapsing`)).toBe(findings.kinds.lapsing.subscribers);
      expect(figure(page, `${side}-churned`)).toBe(findings.kinds.churned.subscribers);
      const passive = Object.values(paying.services as Record<string, { payingNotUsing: { subscribers: number } }>).reduce((a, s) => a + s.payingNotUsing.subscribers, 0);
      expect(figure(page, `${side}-passive`)).toBe(passive);
      const delivered = (interventions.kinds as { treated: { reached: number } }[]).reduce((a, k) => a + k.treated.reached, 0);
      expect(figure(page, `${side}-delivered`)).toBe(delivered);
    }
    // The previous range had figures too (the population started on 1 October), so the trend is a real one.
    expect(figure(page, 'prev-sessions')).toBeGreaterThan(0);
    // The trend line under each card says which way and by how much, against the previous range.
    const [now, prev] = [figure(page, 'now-sessions')!, figure(page, 'prev-sessions')!];
    const arrow = now > prev ? `▲ ${now - prev} more than the 14 days before (${prev})` : now < prev ? `▼ ${prev - now} fewer than the 14 days before (${prev})` : `= the same as the 14 days before (${prev})`;
    expect(page).toContain(arrow);
    // Bare dates are whole local days: the range's daily series stops on its last day (not the next one in UTC).
    const days = ((await report('discovery', from, to)).daily as { day: string }[]).map((d) => d.day);
    expect(days[0]! >= from && days[days.length - 1]! <= to).toBe(true);
    for (const href of ['/console/discovery', '/console/stuck', '/console/paying-vs-using', '/console/risk', '/console/interventions']) expect(page).toContain(`href="${href}"`);
  });

  it('compares with the 30 days before by default and says what is pending', async () => {
    const res = await open('/console');
    expect(res.statusCode).toBe(200);
    const today = new Date(gw.clock.now() + 3 * 3600_000).toISOString().slice(0, 10);
    const from = new Date(Date.parse(`${today}T00:00:00Z`) - 29 * DAY).toISOString().slice(0, 10);
    expect(res.body).toContain(`name="to" value="${today}"`);
    expect(res.body).toContain(`name="from" value="${from}"`);
    const discovery = await report('discovery', from, today);
    expect(figure(res.body, 'now-sessions')).toBe(discovery.sessions);
    expect(res.body).toContain('as of the last CRM pass');
  });

  it('answers a reversed range with the form and an error, in the reader\'s language', async () => {
    const res = await open('/console?from=2026-10-20&to=2026-10-10', viewerCookie);
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('Tarehe ya kuanzia iko baada ya tarehe ya mwisho');
    expect(res.body).toContain('<form method="get" class="range-form"');
    const long = await open('/console?from=2000-01-01&to=2026-10-10', viewerCookie);
    expect(long.statusCode).toBe(400);
    expect(long.body).toContain('chagua kipindi cha siku 3,660 au chache');
    expect(long.body).toContain('value="2000-01-01"');
  });

  it('reads in Kiswahili for a Kiswahili reader', async () => {
    const res = await open('/console?from=2026-10-15&to=2026-10-28', viewerCookie);
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('<h1>Muhtasari</h1>');
    expect(res.body).toContain('siku 14 zilizotangulia');
    expect(res.body).toContain('Tazama waliokwama');
  });
});

describe('console overview before any CRM pass', () => {
  it('says no CRM pass has run yet and when the first one will', async () => {
    const gw = await testGateway({}, { now: '2026-11-20T09:15:00Z' });
    try {
      const editor = await gw.console!.add(ACCOUNTS.editor.name, 'editor', ACCOUNTS.editor.password);
      const res = await gw.app.inject({ method: 'GET', url: '/console', headers: { cookie: `vasgw_console=${(await gw.console!.startSession(editor.id)).token}` } });
      expect(res.statusCode).toBe(200);
      // The default schedule is hourly: the next run is 10:00 UTC, 13:00 in Nairobi.
      expect(res.body).toMatch(/No CRM pass yet: run at [^<]*13:00/);
      expect(res.body).toContain('No snapshot in this range yet');
    } finally {
      await gw.stop();
    }
  });
});

describe('findings report and the lapsing and churned cards', () => {
  it('count the findings planted on each side of the range boundary, in local days', async () => {
    const gw = await testGateway({}, { now: '2026-11-20T09:00:00Z' });
    try {
      const editor = await gw.console!.add(ACCOUNTS.editor.name, 'editor', ACCOUNTS.editor.password);
      const repo = new FindingsRepo(gw.core.database);
      let n = 0;
      const plant = (kind: FindingKind, at: string) =>
        gw.core.commits.unit(async (tx) => {
          const s = await gw.core.subscribers.ensureIn(tx, `+2547123${String(n++).padStart(5, '0')}`);
          expect(await repo.insertIn(tx, { subscriberId: s.id, kind, reason: 'planted', serviceId: null, dedupeKey: `planted:${n}`, detail: {} }, Date.parse(at), DAY)).not.toBeNull();
        });
      // Range 10–16 Nov (Nairobi, UTC+3); the previous range is 3–9 Nov.
      for (let i = 0; i < 4; i++) await plant('lapsing', '2026-11-12T10:00:00Z');
      await plant('lapsing', '2026-11-09T22:30:00Z'); // 10 Nov 01:30 in Nairobi: inside
      await plant('lapsing', '2026-11-16T21:30:00Z'); // 17 Nov 00:30 in Nairobi: after the range
      await plant('lapsing', '2026-11-05T12:00:00Z'); // previous range
      for (let i = 0; i < 3; i++) await plant('churned', '2026-11-14T08:00:00Z');
      await plant('churned', '2026-11-03T00:00:00Z'); // 3 Nov 03:00 in Nairobi: previous range
      await plant('churned', '2026-11-02T20:00:00Z'); // 2 Nov 23:00 in Nairobi: before both
      const api = await gw.app.inject({ method: 'GET', url: '/api/v1/reports/findings?from=2026-11-10&to=2026-11-16', headers: AUTH });
      expect(api.json()).toMatchObject({ report: 'findings', kinds: { lapsing: { subscribers: 5 }, churned: { subscribers: 3 }, stuck: { subscribers: 0 }, passive: { subscribers: 0 } } });
      const res = await gw.app.inject({ method: 'GET', url: '/console?from=2026-11-10&to=2026-11-16', headers: { cookie: `vasgw_console=${(await gw.console!.startSession(editor.id)).token}` } });
      expect(res.statusCode).toBe(200);
      expect([figure(res.body, 'now-lapsing'), figure(res.body, 'prev-lapsing'), figure(res.body, 'now-churned'), figure(res.body, 'prev-churned')]).toEqual([5, 1, 3, 1]);
      expect(res.body).toContain('▲ 4 more than the 7 days before (1)');
      expect(res.body).toContain('▲ 2 more than the 7 days before (1)');
    } finally {
      await gw.stop();
    }
  });
});
