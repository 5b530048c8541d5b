// `npm run screenshots`: the console's main pages as PNGs in docs/screenshots (the README shows them).
// A generated population with its CRM passes, then a poll campaign really sent to the fake SMSC and
// answered by MO, so every page shows figures that happened. Not a test: run it when pages change.
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Config } from '../../src/config';
import { FakeSmsc } from '../fakes/smsc';
import { AUTH, eventually } from '../helpers/gateway';
import { ACCOUNTS, consoleGateway, launchBrowser, logIn, populate } from '../helpers/browser';

const OUT = fileURLToPath(new URL('../../docs/screenshots/', import.meta.url));

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  const smsc = await new FakeSmsc().start();
  const binds = [{ id: 'trx', host: '127.0.0.1', port: smsc.port, systemId: 'vasgw', password: 'secret', mode: 'transceiver', sourceAddr: '20123' }];
  const gw = await consoleGateway({ smpp: { binds: binds as Config['smpp']['binds'] }, messaging: { dispatch: { pollMs: 10 } }, campaigns: { tickSeconds: 3600 } } as never);
  await populate(gw, { subscribers: 3000, days: 35, seed: 3 });
  await gw.start();
  await eventually(async () => (await gw.app.inject({ method: 'GET', url: '/readyz' })).statusCode === 200, { what: 'bind ready', timeoutMs: 20_000 });

  const api = async (method: 'POST' | 'GET', url: string, payload?: object) => {
    const r = await gw.app.inject({ method, url: `/api/v1${url}`, headers: AUTH, ...(payload ? { payload } : {}) });
    if (r.statusCode >= 300) throw new Error(`${method} ${url}: ${r.statusCode} ${r.body.slice(0, 300)}`);
    return r.json<Record<string, unknown> & { id: string }>();
  };
  const segment = await api('POST', '/segments', { name: 'Rift and Western farmers', filter: { region: ['Nakuru', 'Kakamega', 'Bungoma', 'Uasin Gishu'] } });
  const poll = await api('POST', '/polls', {
    type: 'choice',
    question: { en: 'Did the planting advice help you?', sw: 'Je, ushauri wa kupanda ulikusaidia?' },
    answers: [{ en: 'Yes', sw: 'Ndiyo' }, { en: 'A little', sw: 'Kidogo' }, { en: 'No', sw: 'Hapana' }],
  });
  const campaign = await api('POST', '/campaigns', { name: 'Planting advice check', kind: 'poll', segmentId: segment.id, pollId: poll.id, schedule: { at: new Date(gw.clock.now()).toISOString() } });
  await gw.core.campaignScheduler.tick();
  // Some of the segment are blocked (opted out, frequency cap): wait until the SMSC stops receiving.
  let last = -1;
  const sent = await eventually(
    () => {
      const n = smsc.messages().length;
      const settled = n > 0 && n === last;
      last = n;
      return settled ? smsc.messages() : null;
    },
    { what: 'the poll at the SMSC', timeoutMs: 60_000, intervalMs: 1500 },
  );
  // Two in three answer; the answers lean to "Yes".
  sent.forEach((m, i) => {
    if (i % 3 !== 2) smsc.sendMo({ from: m.to, to: '20123', text: String([1, 1, 2, 1, 3][i % 5]) });
  });
  await eventually(async () => (((await api('GET', `/polls/${poll.id}/results`)).responses as number | undefined) ?? 0) > sent.length / 2, { what: 'answers counted', timeoutMs: 60_000 }).catch(() => undefined);

  const browser = await launchBrowser();
  const desktop = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  await logIn(desktop, gw.url, ACCOUNTS.admin);
  const someone = gw.core.db.$client.prepare('SELECT msisdn FROM subscribers ORDER BY id LIMIT 1 OFFSET 10').get() as { msisdn: string };
  const shots: Array<[string, string]> = [
    ['overview', '/console'],
    ['flows', `/console/flows/${gw.core.flows.all()[0]?.id ?? ''}`],
    ['stuck', '/console/stuck'],
    ['paying-vs-using', '/console/paying-vs-using'],
    ['retention', '/console/retention'],
    ['interventions', '/console/interventions?kind=nudge'],
    ['subscriber', `/console/subscribers/${encodeURIComponent(someone.msisdn)}`],
    ['segment-builder', '/console/segments/new'],
    ['poll-results', `/console/polls/${poll.id}`],
    ['campaign', `/console/campaigns/${campaign.id}`],
    ['operations', '/console/operations'],
  ];
  for (const [name, path] of shots) {
    await desktop.goto(`${gw.url}${path}`);
    await desktop.waitForLoadState('networkidle');
    // The top of a long page is what a reader sees first; the rest would only weigh on the repository.
    await desktop.screenshot({ path: `${OUT}${name}.png`, fullPage: true, clip: { x: 0, y: 0, width: 1280, height: 2200 } });
    console.log(`docs/screenshots/${name}.png`);
  }
  const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1 });
  await logIn(phone, gw.url, ACCOUNTS.editor);
  await phone.goto(`${gw.url}/console`);
  await phone.waitForLoadState('networkidle');
  await phone.screenshot({ path: `${OUT}overview-phone.png` });
  console.log('docs/screenshots/overview-phone.png');
  await browser.close();
  await gw.stop();
  await smsc.stop();
}

await main();
