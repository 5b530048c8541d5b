import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../config';
import { createLogger } from '../lib/logger';
import { buildGateway, type Gateway } from '../server';
import { aboveThePrompt, prompt, stopOnSignal } from './cli';
import { parseMoLine } from './mo-input';
import { OptionReader, parseOptions, type UsageErrorCtor } from './options';
import { SmscSimulator } from './smsc-sim';
import { VoiceSimulator } from './voice-sim';

type Out = (line: string) => void;

const SHORT_CODE = '20123';
const DEMO_FARMER = '+254799000001';
const CALLER_ID = '+254711082000';

// A port the gateway can listen on: the wished one when free, any free one otherwise.
async function freePort(host: string, wish: number): Promise<number> {
  const tryPort = (p: number) =>
    new Promise<number | null>((resolve) => {
      const s = createServer();
      s.once('error', () => resolve(null));
      s.listen(p, host, () => {
        const port = (s.address() as { port: number }).port;
        s.close(() => resolve(port));
      });
    });
  return (wish ? await tryPort(wish) : null) ?? (await tryPort(0))!;
}

/** The demo's override file: the gateway bound to both simulators, a fresh database, a demo token. */
function demoConfigYaml(o: { dbPath: string; port: number; smscPort: number; voicePort: number; token: string; flowsDir: string | null }): string {
  const flows = o.flowsDir ? `flows: { dir: ${JSON.stringify(o.flowsDir)} }\n` : '';
  return `# Written by \`vasgw demo\`: the gateway bound to the SMSC and voice simulators on this machine.
# Run it again by hand: vasgw serve --config ${'<this file>'} (with vasgw smsc-sim and vasgw voice-sim running).
logLevel: warn
server: { host: 127.0.0.1, port: ${o.port} }
database: { path: ${JSON.stringify(o.dbPath)} }
api: { token: ${o.token} }
${flows}messaging:
  quietHours: null
smpp:
  binds:
    - { id: demo-trx, host: 127.0.0.1, port: ${o.smscPort}, systemId: vasgw, password: secret, mode: transceiver, sourceAddr: "${SHORT_CODE}", reconnect: { minSeconds: 0.2, maxSeconds: 2 } }
ivr:
  provider: africastalking
  publicBaseUrl: http://127.0.0.1:${o.port}
  africastalking: { baseUrl: http://127.0.0.1:${o.voicePort}, username: sandbox, apiKey: demo-voice-key, callerId: "${CALLER_ID}" }
crm:
  enabled: false    # run \`vasgw detect --config <this file>\` to see the CRM act on the population
`;
}

async function waitFor(what: string, ok: () => boolean, ms: number): Promise<void> {
  const end = performance.now() + ms;
  while (!ok()) {
    if (performance.now() > end) throw new Error(`the demo did not get ready: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// A farmer, a poll and a segment holding only that farmer: a poll by SMS to try without touching the population.
async function seedPoll(gw: Gateway, token: string): Promise<{ pollId: string; segmentId: string }> {
  const headers = { authorization: `Bearer ${token}` };
  const imp = await gw.app.inject({ method: 'POST', url: '/api/v1/subscribers/import', headers: { ...headers, 'content-type': 'text/csv' }, payload: `msisdn,language,region\n${DEMO_FARMER},en,Demo\n` });
  if (imp.statusCode >= 300) throw new Error(`demo farmer import answered ${imp.statusCode}: ${imp.body}`);
  const poll = await gw.app.inject({
    method: 'POST',
    url: '/api/v1/polls',
    headers,
    payload: { type: 'choice', question: { en: 'Did the planting advice help you?' }, answers: [{ en: 'Yes' }, { en: 'No' }] },
  });
  const seg = await gw.app.inject({ method: 'POST', url: '/api/v1/segments', headers, payload: { name: 'Demo farmer', filter: { region: 'Demo' } } });
  if (poll.statusCode !== 201 || seg.statusCode !== 201) throw new Error(`demo poll or segment not created: ${poll.body} ${seg.body}`);
  return { pollId: (poll.json() as { id: string }).id, segmentId: (seg.json() as { id: string }).id };
}

/** `vasgw demo`: generates a population, starts both simulators and the gateway bound to them, prints what to try. */
export async function runDemo(args: string[], plainOut: Out, UsageError: UsageErrorCtor): Promise<number> {
  let rl: ReturnType<typeof prompt> | null = null;
  const out = aboveThePrompt(plainOut, () => rl);
  const started = performance.now();
  const { values, positionals } = parseOptions(
    args,
    { dir: { type: 'string' }, subscribers: { type: 'string' }, days: { type: 'string' }, port: { type: 'string' } },
    UsageError,
  );
  if (positionals.length) throw new UsageError(`demo takes no arguments besides options; "${positionals[0]}" is not one.`);
  const r = new OptionReader(UsageError);
  const subscribers = r.int('subscribers', values.subscribers, 10_000, 1, 1_000_000);
  const days = r.int('days', values.days, 30, 1, 365);
  const wish = r.port('port', values.port, 3000);
  const dir = path.resolve(values.dir ?? './data/demo');
  const host = '127.0.0.1';

  // A fresh database every time: the demo's story starts from the generated population.
  mkdirSync(dir, { recursive: true });
  const dbPath = path.join(dir, 'gateway.db');
  for (const f of [dbPath, `${dbPath}-wal`, `${dbPath}-shm`]) rmSync(f, { force: true });

  const smsc = new SmscSimulator({ host, port: 0, systemId: 'vasgw', password: 'secret', dlrDelayMs: 1000, failShare: 0, out: (l) => out(`[smsc] ${l}`) });
  await smsc.start();
  const port = await freePort(host, wish);
  const gwUrl = `http://${host}:${port}`;
  const voice = new VoiceSimulator({ host, port: 0, gatewayUrl: gwUrl, apiKey: 'demo-voice-key', answerShare: 1, keys: ['1', '1'], out: (l) => out(`[voice] ${l}`) });
  await voice.start();
  const token = `demo-${randomBytes(12).toString('hex')}`;
  const configFile = path.join(dir, 'config.yaml');
  // Flows from ./flows when this directory has them, otherwise the ones shipped with the gateway.
  const flowsDir = existsSync(path.resolve('flows')) ? null : fileURLToPath(new URL('../../flows', import.meta.url));
  writeFileSync(configFile, demoConfigYaml({ dbPath, port, smscPort: smsc.port, voicePort: voice.port, token, flowsDir }));

  let gw: Gateway | null = null;
  const stopAll = async () => {
    out('demo: stopping the gateway and the simulators');
    rl?.close();
    await voice.stop();
    await gw?.stop();
    await smsc.stop();
  };
  try {
    out(`demo: generating ${subscribers} subscribers over ${days} days into ${dbPath}`);
    const genStarted = performance.now();
    const { runGenerate } = await import('../crm/cli');
    // Its own file, named: a DATABASE_URL in the environment must not receive the demo's population.
    const code = await runGenerate(['--subscribers', String(subscribers), '--days', String(days), '--config', configFile, '--db', dbPath, '--quiet'], (l) => out(`demo: ${l}`), UsageError);
    if (code !== 0) throw new Error('generating the population failed');
    const genSeconds = (performance.now() - genStarted) / 1000;

    // The environment's PORT, DATABASE_PATH or token would point the gateway away from the demo.
    const config = loadConfig({ file: configFile, env: {} });
    gw = await buildGateway({ config, log: createLogger(config.logLevel) });
    await gw.start();
    await gw.app.listen({ host, port });
    await waitFor('the gateway did not bind to the SMSC simulator', () => smsc.receivers() > 0, 15_000);
    const { pollId, segmentId } = await seedPoll(gw, token);
    // A console account for this demo only (the database is fresh each run), with a random password.
    const consolePassword = randomBytes(9).toString('base64url');
    await gw.console?.add('demo', 'admin', consolePassword);
    const readySeconds = (performance.now() - started) / 1000;

    const api = `${gwUrl}/api/v1`;
    const auth = `Authorization: Bearer ${token}`;
    const lines = [
      '',
      `demo ready in ${readySeconds.toFixed(1)} s (population ${genSeconds.toFixed(1)} s): gateway ${gwUrl}, SMSC simulator 127.0.0.1:${smsc.port}, voice simulator http://127.0.0.1:${voice.port}`,
      `config ${configFile}; database ${dbPath}`,
      '',
      gw.console ? `The web console: ${gwUrl}/console  (log in as demo, password ${consolePassword})` : '',
      '',
      'Try it (a second terminal):',
      `  export GW=${api} AUTH="${auth}"`,
      '  USSD, as a handset dialling *384*1#:',
      `    curl -s -X POST ${gwUrl}/ussd/africastalking -d sessionId=s1 -d phoneNumber=+254712000001 -d serviceCode='*384*1#' -d text=`,
      `    curl -s -X POST ${gwUrl}/ussd/africastalking -d sessionId=s1 -d phoneNumber=+254712000001 -d serviceCode='*384*1#' -d text=1`,
      '  An SMS sent through the SMSC simulator (its delivery receipt comes back a second later):',
      `    curl -s -X POST "$GW/messages" -H "$AUTH" -H 'Content-Type: application/json' -d '{"to":"+254712000001","text":"Hello from the demo"}'`,
      '    curl -s "$GW/messages/<id>" -H "$AUTH"        # status: delivered',
      '  Reports on the generated population:',
      `    curl -s "$GW/reports" -H "$AUTH"               # the list`,
      `    curl -s "$GW/reports/funnel" -H "$AUTH"`,
      `    curl -s "$GW/reports/risk" -H "$AUTH"`,
      '  A poll by SMS to the demo farmer, then answer it at the MO> prompt below with: ' + `${DEMO_FARMER.slice(1)} ${SHORT_CODE} 1`,
      `    curl -s -X POST "$GW/campaigns" -H "$AUTH" -H 'Content-Type: application/json' -d '{"name":"Demo poll","kind":"poll","segmentId":"${segmentId}","pollId":"${pollId}","schedule":{"at":"2026-01-01T00:00:00Z"}}'`,
      `    curl -s "$GW/polls/${pollId}/results" -H "$AUTH"`,
      '  An outbound call; the voice simulator picks up and presses 1, 1:',
      `    curl -s -X POST "$GW/calls" -H "$AUTH" -H 'Content-Type: application/json' -d '{"to":"+254712000001","flowId":"voice-guide"}'`,
      '',
      `Type an MO here as FROM TO TEXT, e.g.  254712000001 ${SHORT_CODE} MAIZE   or   254712000001 ${SHORT_CODE} HELP`,
      'Ctrl-C stops everything.',
      '',
    ];
    for (const l of lines) out(l);
  } catch (e) {
    await stopAll().catch(() => {});
    if (e instanceof UsageError) throw e;
    out(`demo: ${(e as Error).message}`);
    return 1;
  }
  rl = prompt('MO> ', (line) => {
    const mo = parseMoLine(line);
    if (mo === null) return;
    if ('error' in mo) out(mo.error);
    else smsc.sendMo(mo.from, mo.to, mo.text);
  });
  stopOnSignal(stopAll, rl);
  return -1;
}
