import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AUTH, eventually, stopAfterEach, testGateway, type TestGateway } from '../helpers/gateway';
import { runVasgw, VasgwProcess } from '../helpers/child';
import type { Config } from '../../src/config';
import { SmscSimulator } from '../../src/sim/smsc-sim';
import { VoiceSimulator } from '../../src/sim/voice-sim';
import { parseMoLine } from '../../src/sim/mo-input';
import { main } from '../../src/cli';

let gw: TestGateway | null = null;
let smsc: SmscSimulator | null = null;
let voice: VoiceSimulator | null = null;
let proc: VasgwProcess | null = null;
stopAfterEach(() => [proc, voice, gw, smsc]);

const TO = '+254712345678';

async function gatewayBoundTo(port: number): Promise<TestGateway> {
  const binds = [{ id: 'sim', host: '127.0.0.1', port, systemId: 'vasgw', password: 'secret', sourceAddr: '20123', mode: 'transceiver', reconnect: { minSeconds: 0.02, maxSeconds: 0.1 } }];
  const g = await testGateway({ smpp: { binds: binds as Config['smpp']['binds'] }, messaging: { quietHours: null, dispatch: { pollMs: 10, batch: 50 } } } as never);
  await g.start();
  await eventually(async () => (await g.app.inject({ method: 'GET', url: '/readyz' })).statusCode === 200, { what: 'bound to the simulator' });
  return g;
}

async function sendAndWait(g: TestGateway, text: string, want: string) {
  const r = await g.app.inject({ method: 'POST', url: '/api/v1/messages', headers: AUTH, payload: { to: TO, text, kind: 'transactional' } });
  expect(r.statusCode).toBe(202);
  const id = r.json().id as string;
  return eventually(
    async () => {
      const m = (await g.app.inject({ method: 'GET', url: `/api/v1/messages/${id}`, headers: AUTH })).json();
      return m.status === want ? m : null;
    },
    { what: `status ${want}` },
  );
}

describe('smsc-sim', () => {
  it('takes the bind, receives the message readably and its receipt makes it delivered', async () => {
    const lines: string[] = [];
    smsc = new SmscSimulator({ host: '127.0.0.1', port: 0, systemId: 'vasgw', password: 'secret', dlrDelayMs: 20, failShare: 0, out: (l) => lines.push(l) });
    gw = await gatewayBoundTo(await smsc.start());
    const long = `Habari! Mvua inakuja wiki hii: panda mahindi mapema. ${'Ushauri zaidi: piga *384*1#. '.repeat(6)}€`;
    const m = await sendAndWait(gw, long, 'delivered');
    expect(m.parts).toBeGreaterThan(1);
    expect(smsc.messages).toEqual([expect.objectContaining({ from: '20123', to: TO.slice(1), text: long, parts: m.parts })]);
    expect(lines.some((l) => l.includes(`${m.parts} parts`) && l.includes('Habari! Mvua'))).toBe(true);
    expect(smsc.receipts.every((r) => r.stat === 'DELIVRD')).toBe(true);
  });

  it('with fail share 1 every receipt says UNDELIV and the message ends failed', async () => {
    smsc = new SmscSimulator({ host: '127.0.0.1', port: 0, systemId: 'vasgw', password: 'secret', dlrDelayMs: 20, failShare: 1, out: () => {} });
    gw = await gatewayBoundTo(await smsc.start());
    const m = await sendAndWait(gw, 'This one will not arrive', 'failed');
    expect(m.deliveredAt).toBeNull();
    expect(smsc.receipts).toEqual([expect.objectContaining({ stat: 'UNDELIV' })]);
  });

  it('refuses a bind with the wrong password', async () => {
    const lines: string[] = [];
    smsc = new SmscSimulator({ host: '127.0.0.1', port: 0, systemId: 'vasgw', password: 'other', dlrDelayMs: 20, failShare: 0, out: (l) => lines.push(l) });
    const port = await smsc.start();
    const binds = [{ id: 'sim', host: '127.0.0.1', port, systemId: 'vasgw', password: 'secret', mode: 'transceiver' }];
    gw = await testGateway({ smpp: { binds: binds as Config['smpp']['binds'] } } as never);
    await gw.start();
    await eventually(() => lines.some((l) => l.includes('wrong password')), { what: 'bind refused' });
    expect(smsc.receivers()).toBe(0);
  });

  it('as `vasgw smsc-sim`: an MO from --mo-file (at start and appended later) is answered and the reply reaches the sim', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'smsc-sim-'));
    const moFile = path.join(dir, 'mo.txt');
    writeFileSync(moFile, '# MOs for the demo\n254712345678|20123|HELP\n');
    proc = new VasgwProcess(['smsc-sim', '--port', '0', '--dlr-delay-ms', '10', '--mo-file', moFile]);
    const port = Number((await proc.waitFor(/listening on 127\.0\.0\.1:(\d+)/))[1]);
    gw = await gatewayBoundTo(port);
    // The MO waited for the bind; the gateway's HELP text comes back as a submit the sim prints decoded.
    await proc.waitFor(/SMS from 20123 to 254712345678 \(GSM-7, id \w+\): Crop advice: dial \*384\*1#/);
    appendFileSync(moFile, '254712345678|20123|STOP\n');
    await proc.waitFor(/SMS from 20123 to 254712345678 [^\n]*: You will get no more messages from us/);
    await proc.waitFor(/receipt sent for \w+ to 254712345678: DELIVRD/);
    proc.child.kill('SIGINT');
    expect((await proc.exited).code).toBe(0);
  }, 60_000);
});

describe('voice-sim', () => {
  async function listeningGateway(voiceCfg: { baseUrl: string }) {
    const g = await testGateway({ ivr: { africastalking: { baseUrl: voiceCfg.baseUrl, apiKey: 'sim-key', username: 'sandbox', callerId: '+254711082000' } } });
    await g.app.listen({ port: 0, host: '127.0.0.1' });
    await g.start();
    return { g, url: `http://127.0.0.1:${(g.app.server.address() as AddressInfo).port}` };
  }

  it('answers an outbound call the gateway places and walks the keys through the flow', async () => {
    const lines: string[] = [];
    voice = new VoiceSimulator({ host: '127.0.0.1', port: 0, gatewayUrl: '', apiKey: 'sim-key', answerShare: 1, keys: ['1', '1', '1', '1'], out: (l) => lines.push(l) });
    const port = await voice.start();
    const { g, url } = await listeningGateway({ baseUrl: `http://127.0.0.1:${port}` });
    gw = g;
    voice.gatewayUrl = url;
    const res = await g.app.inject({ method: 'POST', url: '/api/v1/calls', headers: AUTH, payload: { to: '+254711000202', flowId: 'crop-advice' } });
    expect(res.statusCode).toBe(202);
    const id = res.json().id as string;
    await eventually(async () => (await g.app.inject({ method: 'GET', url: `/api/v1/calls/${id}`, headers: AUTH })).json().status === 'completed', { what: 'call completed' });
    await voice.settle();
    const call = voice.calls[0]!;
    expect(call).toMatchObject({ to: '+254711000202', from: '+254711082000', clientRequestId: id, answered: true, pressed: ['1', '1', '1', '1'], ended: true });
    expect(call.statuses.every((s) => s === 200)).toBe(true);
    // English, crops, maize, planting: the last thing heard is the planting advice.
    expect(call.heard.at(-1)).toMatch(/certified seed/);
    expect(lines.some((l) => l.includes('caller hears: Choose language'))).toBe(true);
  });

  it('with answer share 0 the call ends not answered', async () => {
    voice = new VoiceSimulator({ host: '127.0.0.1', port: 0, gatewayUrl: '', apiKey: 'sim-key', answerShare: 0, keys: [], out: () => {} });
    const port = await voice.start();
    const { g, url } = await listeningGateway({ baseUrl: `http://127.0.0.1:${port}` });
    gw = g;
    voice.gatewayUrl = url;
    const res = await g.app.inject({ method: 'POST', url: '/api/v1/calls', headers: AUTH, payload: { to: '+254711000203', flowId: 'crop-advice' } });
    const id = res.json().id as string;
    await eventually(async () => {
      const c = (await g.app.inject({ method: 'GET', url: `/api/v1/calls/${id}`, headers: AUTH })).json();
      return c.attempts === 1 && c.answeredAt === null && c.status !== 'queued' && c.status !== 'dialing' ? c : null;
    }, { what: 'call not answered' });
    await voice.settle();
    expect(voice.calls[0]).toMatchObject({ answered: false, heard: [], ended: true });
  });

  it('as `vasgw voice-sim --call FROM TO`: an inbound call to the flow number hears the menu and presses keys', async () => {
    const { g, url } = await listeningGateway({ baseUrl: 'http://127.0.0.1:9' });
    gw = g;
    const r = await runVasgw(['voice-sim', '--gateway', url, '--keys', '1,1', '--call', '+254712345678', '+254711082000']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/caller hears: Choose language/);
    expect(r.stdout).toMatch(/caller presses 1/);
    expect(r.stdout).toMatch(/hung up after \d+ s/);
  }, 60_000);
});

describe('bad options', () => {
  const cases: Array<[string[], RegExp]> = [
    [['smsc-sim', '--port', 'abc'], /--port must be a port number from 0 to 65535, not "abc"/],
    [['smsc-sim', '--fail-share', '1.5'], /--fail-share must be a share from 0 to 1/],
    [['smsc-sim', '--dlr-delay-ms=-5'], /--dlr-delay-ms must be a whole number/],
    [['smsc-sim', '--password', 'muchtoolong'], /--password must be 1 to 8 characters long/],
    [['smsc-sim', '--mo-file', '/nonexistent/mo.txt'], /--mo-file \/nonexistent\/mo.txt does not exist/],
    [['smsc-sim', '--bogus'], /Unknown option '--bogus'/],
    [['voice-sim', '--answer-share', 'half'], /--answer-share must be a share from 0 to 1/],
    [['voice-sim', '--keys', '1,a'], /--keys takes keys separated by commas/],
    [['voice-sim', '--gateway', 'ftp://x'], /--gateway must be an http:\/\/ or https:\/\/ URL/],
    [['voice-sim', '--call', '+254712345678'], /--call needs two numbers/],
    [['demo', '--subscribers', '0'], /--subscribers must be a whole number from 1/],
  ];
  it.each(cases)('vasgw %j exits non-zero with a sentence', async (args, want) => {
    const errs: string[] = [];
    const code = await main(args, () => {}, (l) => errs.push(l));
    expect(code).not.toBe(0);
    expect(code).not.toBeUndefined(); // nothing was left running
    expect(errs.join('\n')).toMatch(want);
  });

  it('the vasgw process itself exits 2 with the sentence on standard error', async () => {
    const r = await runVasgw(['smsc-sim', '--fail-share', '2']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/vasgw smsc-sim: --fail-share must be a share from 0 to 1/);
  }, 60_000);

  it('reads MO lines in both forms and names what is wrong with others', () => {
    expect(parseMoLine('254712345678 20123 MAIZE please')).toEqual({ from: '254712345678', to: '20123', text: 'MAIZE please' });
    expect(parseMoLine('+254712345678|20123|a|b')).toEqual({ from: '+254712345678', to: '20123', text: 'a|b' });
    expect(parseMoLine('  # comment')).toBeNull();
    expect(parseMoLine('254712345678 20123')).toEqual({ error: expect.stringMatching(/is not an MO: write FROM TO TEXT/) });
  });
});
