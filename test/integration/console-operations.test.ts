import { describe, expect, it } from 'vitest';
import type { Config } from '../../src/config';
import { FakeSmsc } from '../fakes/smsc';
import { ACCOUNTS } from '../helpers/browser';
import { AUTH, eventually, stopAfterEach, testGateway, type TestGateway } from '../helpers/gateway';

// The operations page shows what GET /api/v1/operations/status answers: binds, queue, oldest due, jobs.

let gw: TestGateway | null = null;
stopAfterEach(() => [gw]);

/** A port nothing listens on right now. */
async function freePort(): Promise<number> {
  const s = await new FakeSmsc().start();
  const port = s.port;
  await s.stop();
  return port;
}

const bind = (port: number) =>
  ({ id: 'op1', host: '127.0.0.1', port, systemId: 'vasgw', password: 'secret', mode: 'transceiver', window: 10, sourceAddr: '20123', responseTimeoutMs: 10_000, reconnect: { minSeconds: 0.02, maxSeconds: 0.05 } }) as Config['smpp']['binds'][number];

async function viewer(g: TestGateway): Promise<string> {
  const v = await g.console!.add(ACCOUNTS.viewer.name, 'viewer', ACCOUNTS.viewer.password);
  return `vasgw_console=${(await g.console!.startSession(v.id)).token}`;
}

describe('console operations', () => {
  it('shows a bind that is down, the due message it holds up and why the gateway is not ready, as the API does', async () => {
    gw = await testGateway({ smpp: { binds: [bind(await freePort())] }, messaging: { quietHours: null, dispatch: { pollMs: 10, batch: 50 } } } as never);
    await gw.start();
    const cookie = await viewer(gw);
    for (const to of ['+254712345678', '+254712345679']) {
      const r = await gw.app.inject({ method: 'POST', url: '/api/v1/messages', headers: AUTH, payload: { to, text: 'Panda mahindi mvua ikianza.', kind: 'transactional' } });
      expect(r.statusCode).toBe(202);
    }
    const api = await eventually(async () => {
      const r = await gw!.app.inject({ method: 'GET', url: '/api/v1/operations/status', headers: AUTH });
      const s = r.json() as { ready: boolean; reasons: { code: string }[]; binds: { id: string; up: boolean }[]; queue: { due: number }; oldestDue: { operator: string } | null };
      return s.ready === false && s.queue.due === 2 ? s : null;
    });
    const res = await gw.app.inject({ method: 'GET', url: '/console/operations', headers: { cookie } });
    expect(res.statusCode).toBe(200);
    const page = res.body;
    expect(page).toContain('<h1>Operations</h1>');
    expect(page).toContain(`<strong id="ops-due">${api.queue.due}</strong>`);
    for (const r of api.reasons) expect(page).toContain(`<code>${r.code}</code>`);
    expect(api.binds[0]).toMatchObject({ id: 'op1', up: false });
    expect(page).toMatch(/<td>op1<\/td>[\s\S]*?<span class="badge bad">down<\/span>/);
    expect(page).toContain(`on route ${api.oldestDue!.operator}`);
    // The htmx refresh asks for the status part alone, with the same figures.
    const fragment = await gw.app.inject({ method: 'GET', url: '/console/operations', headers: { cookie, 'hx-request': 'true' } });
    expect(fragment.statusCode).toBe(200);
    expect(fragment.body.startsWith('<div id="ops-status" hx-get="/console/operations" hx-trigger="every 10s"')).toBe(true);
    expect(fragment.body).not.toContain('<html');
    expect(fragment.body).toContain(`<strong id="ops-due">${api.queue.due}</strong>`);
  });

  it('says when all is quiet, in Kiswahili for a Kiswahili reader', async () => {
    gw = await testGateway();
    const v = await gw.console!.add(ACCOUNTS.viewer.name, 'viewer', ACCOUNTS.viewer.password, 'sw');
    const res = await gw.app.inject({ method: 'GET', url: '/console/operations', headers: { cookie: `vasgw_console=${(await gw.console!.startSession(v.id)).token}` } });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('<h1>Uendeshaji</h1>');
    expect(res.body).toContain('Hakuna ujumbe unaosubiri kutumwa.');
    expect(res.body).toContain('Hakuna hitilafu ya kutuma katika saa 24 zilizopita.');
    expect(res.body).toContain('href="/console/operations"');
  });
});
