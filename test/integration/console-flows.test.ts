import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { num, pct } from '../../src/console/format';
import { dropoffLevel } from '../../src/console/pages/flows/tree';
import { ACCOUNTS, populate } from '../helpers/browser';
import { AUTH, testGateway, type TestGateway } from '../helpers/gateway';

// The flows pages over HTTP: the tree's figures are the funnel report's, the simulator walks the demo flow
// to its advice in English and Kiswahili on the real engine, and nothing it does reaches a subscriber.

const RANGE = 'from=2026-10-02&to=2026-10-21';

interface FunnelNode {
  nodeId: string;
  views: number;
  sessions: number;
  invalidInputs: number;
  invalidRate: number | null;
  dropoffs: number;
  dropoffRate: number | null;
  medianDwellSeconds: number | null;
}

describe('console flows pages', () => {
  let gw: TestGateway;
  const cookie: Record<'editor' | 'viewer', { cookie: string; csrf: string }> = {} as never;

  beforeAll(async () => {
    gw = await testGateway();
    for (const role of ['editor', 'viewer'] as const) {
      const account = await gw.console!.add(ACCOUNTS[role].name, role, ACCOUNTS[role].password);
      const s = await gw.console!.startSession(account.id);
      cookie[role] = { cookie: `vasgw_console=${s.token}`, csrf: s.csrf };
    }
    await populate(gw, { subscribers: 300, days: 21 });
  }, 60_000);
  afterAll(async () => {
    await gw?.stop();
  });

  const get = (url: string, role: 'editor' | 'viewer' = 'editor') => gw.app.inject({ method: 'GET', url, headers: { cookie: cookie[role].cookie } });
  const simulate = (flow: string, fields: [string, string][], opts: { htmx?: boolean; role?: 'editor' | 'viewer'; csrf?: boolean } = {}) => {
    const role = opts.role ?? 'editor';
    const form = new URLSearchParams(opts.csrf === false ? fields : [['_csrf', cookie[role].csrf], ...fields]);
    return gw.app.inject({
      method: 'POST',
      url: `/console/flows/${flow}/simulate`,
      headers: { cookie: cookie[role].cookie, 'content-type': 'application/x-www-form-urlencoded', ...(opts.htmx ? { 'hx-request': 'true' } : {}) },
      payload: form.toString(),
    });
  };
  /** The figures written under a node of the tree (or the other screens' table). */
  const figuresOf = (page: string, nodeId: string): string => {
    const at = page.indexOf(`id="node-${nodeId}"`);
    expect(at, `node ${nodeId} on the page`).toBeGreaterThan(-1);
    const from = page.indexOf('node-figures', at);
    return page.slice(from, page.indexOf('</', page.indexOf('</li>', page.indexOf('Median time on screen', from))));
  };

  it('lists every flow with its sessions and first-go discovery as the reports give them', async () => {
    const res = await get(`/console/flows?${RANGE}`);
    expect(res.statusCode).toBe(200);
    const funnel = (await gw.app.inject({ method: 'GET', url: `/api/v1/reports/funnel?${RANGE}`, headers: AUTH })).json() as { flows: { flowId: string; sessions: number }[] };
    const discovery = (await gw.app.inject({ method: 'GET', url: `/api/v1/reports/discovery?${RANGE}&by=flow`, headers: AUTH })).json() as {
      soughtContent: { groups: { value: string; firstGoRate: number; episodes: number }[] };
    };
    const crop = funnel.flows.find((f) => f.flowId === 'crop-advice')!;
    expect(crop.sessions).toBeGreaterThan(100);
    const row = res.body.slice(res.body.indexOf('href="/console/flows/crop-advice"'));
    const cells = row.slice(0, row.indexOf('</tr>'));
    expect(cells).toContain('*384*1#');
    expect(cells).toContain('English, Kiswahili');
    expect(cells).toContain(`>${num('en', crop.sessions)}<`);
    const g = discovery.soughtContent.groups.find((x) => x.value === 'crop-advice')!;
    expect(g.episodes).toBeGreaterThan(0);
    expect(cells).toContain(`${pct('en', g.firstGoRate)} <small>`);
    expect(cells).toContain(`>${num('en', g.episodes)}<`);
  });

  it("shows the flow as a tree whose every node carries the funnel report's figures for the same range", async () => {
    const res = await get(`/console/flows/crop-advice?${RANGE}`);
    expect(res.statusCode).toBe(200);
    const api = (await gw.app.inject({ method: 'GET', url: `/api/v1/reports/funnel?${RANGE}&flow=crop-advice`, headers: AUTH })).json() as { flows: { nodes: FunnelNode[] }[] };
    const nodes = api.flows[0]!.nodes;
    expect(nodes.length).toBeGreaterThan(5);
    for (const n of nodes) {
      const figs = figuresOf(res.body, n.nodeId);
      expect(figs, n.nodeId).toContain(`Screens shown <strong>${num('en', n.views)}</strong>`);
      expect(figs, n.nodeId).toContain(`Sessions <strong>${num('en', n.sessions)}</strong>`);
      expect(figs, n.nodeId).toContain(`Drop-off <strong>${pct('en', n.dropoffRate)}</strong> <small>(${num('en', n.dropoffs)} of ${num('en', n.sessions)}`);
      expect(figs, n.nodeId).toContain(`Invalid replies <strong>${pct('en', n.invalidRate)}</strong> <small>(${num('en', n.invalidInputs)} invalid`);
      expect(figs, n.nodeId).toContain(`Median time on screen <strong>${n.medianDwellSeconds === null ? '–' : `${num('en', n.medianDwellSeconds, 1)} s`}`);
    }
    // The tree: the start menu opens on its options, each leading to the screen below it, coloured by drop-off.
    const main = nodes.find((n) => n.nodeId === 'main')!;
    expect(res.body).toMatch(new RegExp(`<li id="node-main" class="flow-node">\\s*<details open><summary class="level-${dropoffLevel(main.dropoffRate)}"><strong>Start:</strong> Welcome to Crop Advice`));
    expect(res.body).toMatch(/<li id="node-crops" class="flow-node">\s*<details open><summary[^>]*><span class="option-key">1<\/span> Crop advice <span class="badge">menu<\/span>/);
    expect(res.body).toContain('<blockquote class="prompt" lang="en">Plant when the rains start');
    expect(res.body).toContain('<code>*384*1*1*1*1#</code>');
  });

  it('renders every loaded flow, the voice-only one too, with its simulator', async () => {
    for (const flow of gw.core.flows.all()) {
      const res = await get(`/console/flows/${flow.id}?${RANGE}`, 'viewer');
      expect(res.statusCode, flow.id).toBe(200);
      expect(res.body, flow.id).toContain(`id="node-${flow.start}"`);
      expect(res.body, flow.id).toContain('<section id="simulator"');
    }
  });

  it('writes the tree in Kiswahili for a Kiswahili reader', async () => {
    await gw.console!.change(ACCOUNTS.viewer.name, { language: 'sw' });
    const res = await get(`/console/flows/crop-advice?${RANGE}`, 'viewer');
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('<strong>Mwanzo:</strong> Karibu Ushauri wa Mazao');
    expect(res.body).toContain('<blockquote class="prompt" lang="sw">Panda mvua zikianza');
    expect(res.body).toContain('Skrini zilizoonyeshwa <strong>');
    expect(res.body).toContain('Kiigaji cha USSD');
    await gw.console!.change(ACCOUNTS.viewer.name, { language: 'en' });
  });

  it('walks the demo flow to its advice in English on the real engine (htmx swaps the simulator)', async () => {
    let res = await simulate('crop-advice', [['lang', 'en']], { htmx: true });
    expect(res.statusCode).toBe(200);
    expect(res.body).toMatch(/^<section id="simulator"/);
    expect(res.body).toContain('Welcome to Crop Advice\n1. Crop advice');
    const history: [string, string][] = [];
    for (const reply of ['1', '1', '1']) {
      history.push(['h', reply]);
      res = await simulate('crop-advice', [['lang', 'en'], ...history], { htmx: true });
      expect(res.statusCode).toBe(200);
    }
    expect(res.body).toContain('Plant when the rains start and the soil is moist.');
    expect(res.body).toContain('<span class="badge">CON</span>');
    const text = /<pre class="ussd-text">([\s\S]*?)<\/pre>/.exec(res.body)![1]!;
    expect(text.length).toBeLessThanOrEqual(182);
    // The replies so far ride along for the next hop.
    expect(res.body.match(/<input type="hidden" name="h" value="1">/g)?.length).toBe(3);
  });

  it('walks it in Kiswahili, and asks a first-time subscriber for a language', async () => {
    const res = await simulate('crop-advice', [['lang', 'sw'], ['h', '1'], ['h', '1'], ['h', '1']], { htmx: true });
    expect(res.body).toContain('Panda mvua zikianza na udongo una unyevu.');
    const ask = await simulate('crop-advice', [['lang', 'ask']], { htmx: true });
    expect(ask.body).toMatch(/1\. English\n2\. Kiswahili/);
    const chosen = await simulate('crop-advice', [['lang', 'ask'], ['h', '2']], { htmx: true });
    expect(chosen.body).toContain('Karibu Ushauri wa Mazao');
  });

  it('works without JavaScript: the hop redirects to the page with the session in its address', async () => {
    const res = await simulate('crop-advice', [['from', '2026-10-02'], ['lang', 'en'], ['h', '1'], ['h', '2']]);
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/console/flows/crop-advice?from=2026-10-02&lang=en&h=1&h=2#simulator');
    const page = await get(res.headers.location!.replace(/#.*/, ''));
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<pre class="ussd-text">Beans');
  });

  it('lists what a real session would do without doing it: no SMS queued, no session counted', async () => {
    const before = (await gw.app.inject({ method: 'GET', url: '/api/v1/operations/status', headers: AUTH })).json() as { queue: Record<string, number> };
    const hops = async () => /session_hops_total\{channel="ussd"\} (\d+)/.exec((await gw.app.inject({ method: 'GET', url: '/metrics', headers: AUTH })).body)?.[1] ?? '0';
    const hopsBefore = await hops();
    const res = await simulate('crop-advice', [['lang', 'en'], ['h', '1'], ['h', '1'], ['h', '1'], ['h', '1']], { htmx: true, role: 'viewer' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('The advice is on its way by SMS.');
    expect(res.body).toContain('A real session would also have done this (not done here):');
    expect(res.body).toContain('send this SMS: MAIZE PLANTING:');
    const after = (await gw.app.inject({ method: 'GET', url: '/api/v1/operations/status', headers: AUTH })).json() as { queue: Record<string, number> };
    expect(after.queue).toEqual(before.queue);
    expect(await hops()).toBe(hopsBefore);
  });

  it('ends the session as the engine does and offers only to start again', async () => {
    const res = await simulate('crop-advice', [['lang', 'en'], ['h', '9'], ['h', '9'], ['h', '9'], ['h', '1']], { htmx: true });
    expect(res.body).toContain('<span class="badge">END</span>');
    expect(res.body).toContain('Session ended: too many invalid replies.');
    expect(res.body).not.toContain('Your reply');
    expect(res.body).toContain('>Start again</button>');
    // The reply after the end was not taken.
    expect(res.body).not.toContain('name="h"');
  });

  it('refuses a reply too long for a handset, inline and in the reader\'s language, keeping the screen', async () => {
    const long = '1'.repeat(41);
    const res = await simulate('crop-advice', [['lang', 'en'], ['h', '1'], ['h', long]]);
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('<small id="sim-reply-error" class="field-error">A reply has at most 40 characters.</small>');
    expect(res.body).toContain('<pre class="ussd-text">Choose a crop');
    const htmx = await simulate('crop-advice', [['lang', 'en'], ['h', long]], { htmx: true });
    expect(htmx.statusCode).toBe(400);
  });

  it('refuses a hop without the form token, an unknown flow and dates the reports refuse', async () => {
    expect((await simulate('crop-advice', [['h', '1']], { csrf: false })).statusCode).toBe(403);
    const missing = await get('/console/flows/no-such-flow');
    expect(missing.statusCode).toBe(404);
    expect(missing.body).toContain('There is no flow');
    expect((await simulate('no-such-flow', [['h', '1']])).statusCode).toBe(404);
    const bad = await get('/console/flows/crop-advice?from=2026-10-21&to=2026-10-01');
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('These dates cannot be shown: from must not be after to.');
    expect((await get('/console/flows?from=2026-10-21&to=2026-10-01')).statusCode).toBe(400);
  });
});
