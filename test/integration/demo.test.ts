import { mkdtempSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { VasgwProcess } from '../helpers/child';

let proc: VasgwProcess | null = null;
afterEach(() => {
  proc?.kill();
  proc = null;
});

const refused = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', () => resolve(true));
  });

describe('vasgw demo', () => {
  it('gets ready, answers what it prints, answers an MO typed at its prompt, places and answers a call, and stops cleanly on SIGINT', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'vasgw-demo-'));
    // A small population keeps the test quick; the default (10,000 over 30 days) is the same code.
    proc = new VasgwProcess(['demo', '--dir', dir, '--subscribers', '300', '--days', '5', '--port', '0']);
    const ready = await proc.waitFor(/demo ready in [\d.]+ s \(population [\d.]+ s\): gateway (http:\/\/127\.0\.0\.1:(\d+)), SMSC simulator 127\.0\.0\.1:(\d+), voice simulator http:\/\/127\.0\.0\.1:(\d+)/, 90_000);
    const [, gwUrl, gwPort, smscPort, voicePort] = ready;
    const token = (await proc.waitFor(/AUTH="Authorization: Bearer (demo-[0-9a-f]+)"/))[1]!;
    const auth = { authorization: `Bearer ${token}` };

    // The printed USSD request and report URLs answer.
    const ussd = await fetch(`${gwUrl}/ussd/africastalking`, { method: 'POST', body: new URLSearchParams({ sessionId: 's1', phoneNumber: '+254712000001', serviceCode: '*384*1#', text: '' }) });
    expect(ussd.status).toBe(200);
    expect(await ussd.text()).toMatch(/^CON /);
    const reports = await fetch(`${gwUrl}/api/v1/reports`, { headers: auth });
    expect(reports.status).toBe(200);
    expect(((await reports.json()) as { reports: unknown[] }).reports.length).toBeGreaterThan(0);
    const funnel = await fetch(`${gwUrl}/api/v1/reports/funnel`, { headers: auth });
    expect(funnel.status).toBe(200);

    // The printed console login works: the login form's token and cookie, then the password printed.
    const consolePassword = (await proc.waitFor(/\/console {2}\(log in as demo, password (\S+)\)/))[1]!;
    const form = await fetch(`${gwUrl}/console/login`);
    const loginCookie = form.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())![1]!;
    const login = await fetch(`${gwUrl}/console/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: loginCookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: csrf, username: 'demo', password: consolePassword, next: '/console' }),
    });
    expect(login.status).toBe(303);
    expect(login.headers.getSetCookie().some((c) => c.startsWith('vasgw_console='))).toBe(true);

    // An MO typed at the prompt reaches the gateway through the SMSC simulator; the answer comes back to it.
    proc.child.stdin.write('254712000001 20123 HELP\n');
    await proc.waitFor(/\[smsc\] SMS from 20123 to 254712000001 [^\n]*: Crop advice: dial \*384\*1#/, 30_000);

    // The printed poll campaign reaches the demo farmer; the answer typed at the prompt is counted.
    const campaign = proc.stdout.match(/-d '(\{"name":"Demo poll"[^']+)'/)![1]!;
    const pollId = (JSON.parse(campaign) as { pollId: string }).pollId;
    const c = await fetch(`${gwUrl}/api/v1/campaigns`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: campaign });
    expect(c.status).toBe(201);
    await proc.waitFor(/\[smsc\] SMS from 20123 to 254799000001 [^\n]*: Did the planting advice help you\?/, 30_000);
    proc.child.stdin.write('254799000001 20123 1\n');
    await proc.waitFor(/\[smsc\] SMS from 20123 to 254799000001 [^\n]*: Thank you for your answer/, 30_000);
    const results = (await (await fetch(`${gwUrl}/api/v1/polls/${pollId}/results`, { headers: auth })).json()) as { responses: number; answers: Array<{ count: number }> };
    expect(results.responses).toBe(1);
    expect(results.answers[0]!.count).toBe(1);

    // An outbound call: the voice simulator picks up and presses the keys.
    const call = await fetch(`${gwUrl}/api/v1/calls`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ to: '+254712000001', flowId: 'voice-guide' }) });
    expect(call.status).toBe(202);
    const callId = ((await call.json()) as { id: string }).id;
    await proc.waitFor(/\[voice\] call \S+: caller presses 1/, 30_000);
    await proc.waitFor(/\[voice\] call \S+: hung up/, 30_000);
    const placed = (await (await fetch(`${gwUrl}/api/v1/calls/${callId}`, { headers: auth })).json()) as { status: string; answeredAt: string | null };
    expect(placed.answeredAt).not.toBeNull();

    proc.child.kill('SIGINT');
    const exit = await proc.exited;
    expect(exit.code).toBe(0);
    for (const port of [gwPort, smscPort, voicePort]) expect(await refused(Number(port))).toBe(true);
  }, 180_000);
});
