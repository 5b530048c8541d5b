import type { Gateway } from '../server';
import type { BenchResult } from './types';
import { NAV } from '../console/nav';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * Server time of every console page on the bench population: each page five times through the app (no
 * network), the median kept. Baseline: the login page in the same run (HTML from the same layout and
 * plugins, no data), so the ratio says what the page's figures cost. Detail pages are timed on a segment,
 * a poll, a campaign and a subscriber created here, and on the first flow.
 */
export async function consolePageTimings(gw: Gateway, apiToken: string): Promise<BenchResult[]> {
  const accounts = gw.console;
  if (!accounts) throw new Error('console disabled in the bench config');
  const account = await accounts.add('bench-admin', 'admin', 'bench-password-0123');
  const { token } = await accounts.startSession(account.id);
  const cookie = `vasgw_console=${token}`;
  const api = async (method: 'POST' | 'GET', url: string, payload?: object) => {
    const r = await gw.app.inject({ method, url: `/api/v1${url}`, headers: { authorization: `Bearer ${apiToken}` }, ...(payload ? { payload } : {}) });
    if (r.statusCode >= 300) throw new Error(`${method} ${url} answered ${r.statusCode}: ${r.body.slice(0, 200)}`);
    return r.json<Record<string, unknown> & { id: string }>();
  };
  const segment = await api('POST', '/segments', { name: 'Bench: Nakuru', filter: { region: 'Nakuru' } });
  const poll = await api('POST', '/polls', { type: 'choice', question: { en: 'Did the advice help?', sw: 'Je, ushauri ulisaidia?' }, answers: [{ en: 'Yes', sw: 'Ndiyo' }, { en: 'No', sw: 'Hapana' }] });
  const campaign = await api('POST', '/campaigns', { name: 'Bench poll', kind: 'poll', segmentId: segment.id, pollId: poll.id, schedule: { at: '2027-01-04T09:00', timezone: 'Africa/Nairobi' }, draft: true });
  const someone = gw.core.db.$client.prepare('SELECT msisdn FROM subscribers ORDER BY id LIMIT 1 OFFSET 1000').get() as { msisdn: string } | undefined;
  const flow = gw.core.flows.all()[0];

  const paths = NAV.flatMap((s) => s.pages.map((p) => p.path));
  paths.push(`/segments/${segment.id}`, '/segments/new', `/polls/${poll.id}`, '/polls/new', `/campaigns/${campaign.id}`, '/campaigns/new');
  if (flow) paths.push(`/flows/${flow.id}`);
  // Search: a common ending (4 digits) fills a page at once; a rare one (8 digits) reads the whole number index.
  if (someone) paths.push(`/subscribers/${encodeURIComponent(someone.msisdn)}`, `/subscribers?q=${someone.msisdn.slice(-4)}`, `/subscribers?q=${someone.msisdn.slice(-8)}`);

  const time = async (path: string, withCookie: boolean) => {
    const times: number[] = [];
    let status = 0;
    let bytes = 0;
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      const r = await gw.app.inject({ method: 'GET', url: `/console${path}`, headers: withCookie ? { cookie } : {} });
      times.push(performance.now() - t0);
      status = r.statusCode;
      bytes = r.body.length;
    }
    if (status !== 200) throw new Error(`console page ${path || '/'} answered ${status}`);
    return { ms: median(times), bytes };
  };
  const baseline = await time('/login', false);
  const results: BenchResult[] = [];
  for (const path of paths) {
    const t = await time(path, true);
    const label = path
      .replace(/\?q=(\d+)/, (_m, q: string) => `?search=${q.length}-digits`)
      .replace(/(seg|pol|cmp)_[A-Za-z0-9_-]+/, ':id')
      .replace(/\/subscribers\/(?!import$)[^/?]+/, '/subscribers/:msisdn');
    results.push({
      name: `console.page${label === '' ? '/' : label}_ms`,
      value: t.ms,
      unit: 'ms',
      baseline: { name: 'login page (no data)', value: baseline.ms },
      ratio: t.ms / baseline.ms,
      target: 'under 200 ms',
      extra: { bytes: t.bytes },
    });
  }
  return results;
}
