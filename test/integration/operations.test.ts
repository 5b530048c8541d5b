import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { AUTH, testGateway, type TestGateway } from '../helpers/gateway';

let gw: TestGateway;
afterEach(async () => gw?.stop());

/**
 * The database goes away under the gateway. SQLite: its connection is closed. PostgreSQL: the server
 * refuses new connections to the database and ends the gateway's open ones, as a server gone away would.
 */
async function loseTheDatabase(g: TestGateway): Promise<void> {
  const db = g.core.database;
  if (db.dialect === 'sqlite') {
    g.core.db.$client.close();
    return;
  }
  // From the server's maintenance database: a database cannot refuse connections from inside itself.
  const url = new URL(g.config.database.url!);
  const name = decodeURIComponent(url.pathname.slice(1));
  url.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: url.toString() });
  await admin.connect();
  try {
    await admin.query(`ALTER DATABASE "${name}" ALLOW_CONNECTIONS false`);
    await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [name]);
  } finally {
    await admin.end();
  }
}

describe('operations and the API guard', () => {
  it('answers /healthz, /readyz and /metrics', async () => {
    gw = await testGateway();
    expect((await gw.app.inject('/healthz')).json()).toEqual({ status: 'ok' });
    const ready = await gw.app.inject('/readyz');
    expect(ready.statusCode).toBe(200);
    expect(ready.json().checks.database.ok).toBe(true);
    const metrics = await gw.app.inject('/metrics');
    expect(metrics.headers['content-type']).toContain('text/plain');
    expect(metrics.body).toContain('vasgw_process_resident_memory_bytes');
  });

  it('reports not ready (503) when the database is gone', async () => {
    gw = await testGateway();
    await loseTheDatabase(gw);
    const ready = await gw.app.inject('/readyz');
    expect(ready.statusCode).toBe(503);
    expect(ready.json().checks.database.ok).toBe(false);
  });

  it('requires the bearer token on /api/v1', async () => {
    gw = await testGateway();
    const none = await gw.app.inject('/api/v1/subscribers/+254711000001');
    expect(none.statusCode).toBe(401);
    expect(none.json()).toEqual({ error: { code: 'UNAUTHORIZED', message: expect.any(String) } });
    const wrong = await gw.app.inject({ url: '/api/v1/subscribers/+254711000001', headers: { authorization: 'Bearer nope' } });
    expect(wrong.statusCode).toBe(401);
    const ok = await gw.app.inject({ url: '/api/v1/subscribers/+254711000001', headers: AUTH });
    expect(ok.statusCode).toBe(404);
    expect(ok.json().error.code).toBe('SUBSCRIBER_NOT_FOUND');
  });

  it('creates and updates a profile with PATCH, normalizing the number to E.164', async () => {
    gw = await testGateway();
    const res = await gw.app.inject({ method: 'PATCH', url: '/api/v1/subscribers/0722000111', headers: AUTH, payload: { language: 'sw', region: 'Nakuru', crop: 'maize', farmSize: '2' } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ msisdn: '+254722000111', language: 'sw', region: 'Nakuru', crop: 'maize', profile: { farmSize: 2, crops: ['maize'] } });
    const bad = await gw.app.inject({ method: 'PATCH', url: '/api/v1/subscribers/0722000111', headers: AUTH, payload: { language: 'Swahili!' } });
    expect(bad.statusCode).toBe(400);
    // farmSize is a number in the profile schema (docs/demography.md).
    const text = await gw.app.inject({ method: 'PATCH', url: '/api/v1/subscribers/0722000111', headers: AUTH, payload: { farmSize: '2 acres' } });
    expect(text.json().error).toMatchObject({ code: 'INVALID_PROFILE_VALUE', message: expect.stringMatching(/^farmSize: "2 acres" is not allowed/) });
    const notNumber = await gw.app.inject({ method: 'PATCH', url: '/api/v1/subscribers/abc', headers: AUTH, payload: { language: 'sw' } });
    expect(notNumber.statusCode).toBe(400);
    expect(notNumber.json().error.code).toBe('INVALID_MSISDN');
  });

  it('answers unknown routes with the contract error shape', async () => {
    gw = await testGateway();
    const res = await gw.app.inject('/nope');
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('NOT_FOUND');
  });
});
