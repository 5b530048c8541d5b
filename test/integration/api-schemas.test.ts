import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { AUTH, stopAfterEach, testGateway, type TestGateway } from '../helpers/gateway';

// The route schemas parse query strings and bodies (before any handler runs) and serialize answers
// (fast-json-stringify drops what a schema does not declare): bad input stays a 4xx naming the field,
// and no field a service returns is lost on the way out.

let gw: TestGateway | null = null;
stopAfterEach(() => [gw]);

const MSISDN = '+254712345678';
const get = (g: TestGateway, url: string) => g.app.inject({ method: 'GET', url: `/api/v1${url}`, headers: AUTH });
const post = (g: TestGateway, url: string, payload: Record<string, unknown>) => g.app.inject({ method: 'POST', url: `/api/v1${url}`, headers: AUTH, payload });
const plain = (v: unknown) => JSON.parse(JSON.stringify(v)) as unknown;
const messageCount = async (g: TestGateway) => (await g.core.database.get<{ n: number }>(sql`SELECT count(*) AS n FROM messages`))!.n;

describe('query strings and bodies are parsed by the route schema', () => {
  it('coerces numbers, applies defaults and answers a bad value with its stable code and the field', async () => {
    gw = await testGateway();
    for (const text of ['one', 'two', 'three']) expect((await post(gw, '/messages', { to: MSISDN, text, kind: 'transactional' })).statusCode).toBe(202);

    const all = await get(gw, `/subscribers/${MSISDN}/events`);
    expect(all.json()).toHaveLength(3);
    const two = (await get(gw, `/subscribers/${MSISDN}/events?limit=2`)).json() as { id: number }[];
    expect(two).toHaveLength(2);
    const older = (await get(gw, `/subscribers/${MSISDN}/events?before=${two[1]!.id}`)).json() as { id: number }[];
    expect(older.map((e) => e.id)).toEqual([two[1]!.id - 1]);

    for (const [query, code] of [
      ['limit=abc', 'INVALID_LIMIT'],
      ['limit=0', 'INVALID_LIMIT'],
      ['limit=1001', 'INVALID_LIMIT'],
      ['limit=2.5', 'INVALID_LIMIT'],
      ['before=latest', 'INVALID_CURSOR'],
    ] as const) {
      const res = await get(gw, `/subscribers/${MSISDN}/events?${query}`);
      expect(res.statusCode, query).toBe(400);
      expect(res.json().error.code, query).toBe(code);
      expect(res.json().error.message, query).toMatch(new RegExp(`^querystring\\.${query.split('=')[0]} `));
    }
  });

  it('checks enums and lists, naming what is allowed', async () => {
    gw = await testGateway();
    const state = await get(gw, '/subscriptions?state=happy');
    expect(state.statusCode).toBe(400);
    expect(state.json().error).toEqual({ code: 'INVALID_STATE', message: expect.stringMatching(/^querystring\.state .*\(pending, active, grace, suspended, cancelled, expired\)$/) });
    expect((await get(gw, '/subscriptions?state=active&limit=5')).json()).toEqual({ items: [], nextCursor: null });

    expect((await get(gw, '/campaigns?status=draft,running')).statusCode).toBe(200);
    const status = await get(gw, '/campaigns?status=running,nope');
    expect(status.statusCode).toBe(400);
    expect(status.json().error.code).toBe('INVALID_STATUS');
    expect(status.json().error.message).toMatch(/^querystring\.status /);
  });

  it('refuses a bad body with the field named and changes nothing', async () => {
    gw = await testGateway();
    const res = await post(gw, '/messages', { to: MSISDN, text: 'hi', kind: 'spam' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toEqual({ code: 'VALIDATION_ERROR', message: 'body.kind must be equal to one of the allowed values (transactional, promotional)' });
    const missing = await post(gw, '/calls', { to: MSISDN });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().error.message).toMatch(/^body\.flowId /);
    expect(await messageCount(gw)).toBe(0);
  });
});

describe('answers keep every field the service returns', () => {
  it('a message with nulls, a subscriber with what other domains add, campaign results and a report', async () => {
    gw = await testGateway();
    const sent = (await post(gw, '/messages', { to: MSISDN, text: 'Habari', kind: 'transactional' })).json() as { id: string };
    // Nulls stay null (a string schema would turn them into "").
    const message = (await get(gw, `/messages/${sent.id}`)).json() as Record<string, unknown>;
    expect(message).toEqual(plain(await gw.core.messaging.get(sent.id)));
    expect(message.sentAt).toBeNull();

    expect((await gw.app.inject({ method: 'PATCH', url: `/api/v1/subscribers/${MSISDN}`, headers: AUTH, payload: { language: 'sw' } })).statusCode).toBe(200);
    const s = await gw.core.subscribers.requireIn(undefined, MSISDN);
    const expected = { ...gw.core.subscribers.toJson(s) };
    for (const part of await Promise.all(gw.core.subscriberViews.map((view) => view(s)))) Object.assign(expected, part);
    const subscriber = (await get(gw, `/subscribers/${MSISDN}`)).json() as Record<string, unknown>;
    expect(subscriber).toEqual(plain(expected));
    expect(Object.keys(subscriber)).toEqual(expect.arrayContaining(['subscriptions', 'crm', 'profile']));

    const segment = (await post(gw, '/segments', { name: 'Swahili', filter: { language: 'sw' } })).json() as { id: string };
    const campaign = (await post(gw, '/campaigns', { kind: 'sms', segmentId: segment.id, text: { sw: 'Habari' }, schedule: { at: '2026-11-20T09:00:00Z' } })).json() as { id: string };
    await gw.core.campaignScheduler.tick();
    expect((await get(gw, `/campaigns/${campaign.id}/results`)).json()).toEqual(plain(await gw.core.campaignReads.results(campaign.id)));
    expect((await get(gw, `/campaigns/${campaign.id}`)).json()).toMatchObject({ id: campaign.id, text: { sw: 'Habari' }, latestRuns: [{ total: 1 }] });

    for (const name of ['funnel', 'usage', 'retention']) expect((await get(gw, `/reports/${name}`)).json(), name).toEqual(plain(await gw.core.reports.run(name, {})));
  });
});
