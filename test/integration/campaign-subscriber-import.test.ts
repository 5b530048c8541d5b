import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AUTH, stopAfterEach, testGateway, type TestGateway } from '../helpers/gateway';

// A spreadsheet export as content teams send it: BOM, CRLF, header case as typed, a custom column,
// quoted fields and a handful of bad lines.
const farmers = readFileSync(new URL('../fixtures/campaigns/farmers.csv', import.meta.url));

let gw: TestGateway | null = null;
stopAfterEach(() => [gw]);

const importCsv = (g: TestGateway, body: string | Buffer, contentType = 'text/csv') =>
  g.app.inject({ method: 'POST', url: '/api/v1/subscribers/import', headers: { ...AUTH, 'content-type': contentType }, payload: body });

describe('POST /api/v1/subscribers/import', () => {
  it('creates and updates profiles and lists each rejected line with its reason', async () => {
    gw = await testGateway({}, { now: '2026-11-20T06:00:00Z' });
    await gw.app.inject({ method: 'PATCH', url: '/api/v1/subscribers/+254712000003', headers: AUTH, payload: { language: 'en', crop: 'beans' } });

    const res = await importCsv(gw, farmers);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      created: 3,
      updated: 2,
      rejected: 4,
      errors: [
        { line: 5, msisdn: 'not-a-number', reason: '"not-a-number" is not a phone number' },
        { line: 6, msisdn: '+254712000004', reason: 'language: "swahili" is not allowed; language must be one of en, sw.' },
        { line: 7, reason: 'msisdn is empty' },
        { line: 9, msisdn: '0712000005', reason: 'has 6 fields but the header has 5' },
      ],
    });
    const get = async (n: string) => (await gw!.app.inject({ method: 'GET', url: `/api/v1/subscribers/${n}`, headers: AUTH })).json();
    // Line 8 updated line 2's subscriber: only the field it gave changed.
    expect(await get('+254712000001')).toMatchObject({ language: 'sw', region: 'Nakuru', crop: 'maize', profile: { farmSize: 2.5, crops: ['maize'] } });
    expect(await get('+254712000002')).toMatchObject({ language: 'en', region: 'Nakuru', crop: 'beans', profile: {} });
    // An empty cell leaves what the subscriber already had.
    expect(await get('+254712000003')).toMatchObject({ language: 'en', region: 'Kisumu', crop: 'maize' });
    expect(await get('+254712000006')).toMatchObject({ region: 'Nakuru, North' });
    expect((await gw.app.inject({ method: 'GET', url: '/api/v1/subscribers/+254712000004', headers: AUTH })).statusCode).toBe(404);

    // The imported profile feeds segments at once.
    const seg = await gw.app.inject({ method: 'POST', url: '/api/v1/segments', headers: AUTH, payload: { name: 'Nakuru maize', filter: { region: 'nakuru', crop: 'maize' } } });
    expect(seg.json().count).toBe(1);
    expect((await gw.app.inject({ method: 'POST', url: '/api/v1/segments/preview', headers: AUTH, payload: { filter: { profile: { farmSize: { max: 3 } } } } })).json()).toEqual({ count: 1, sample: ['+254712000001'] });
  });

  it('refuses a file it cannot use as a whole, saying why', async () => {
    gw = await testGateway();
    const code = async (body: string, contentType?: string) => (await importCsv(gw!, body, contentType)).json().error;
    expect(await code('language,region\nen,Nakuru\n')).toMatchObject({ code: 'INVALID_CSV', message: expect.stringMatching(/must have an msisdn column/) });
    expect(await code('msisdn,optedOut\n0712000001,false\n')).toMatchObject({ code: 'INVALID_CSV', message: expect.stringMatching(/optedOut cannot be imported/) });
    expect(await code('msisdn,farm size\n0712000001,2\n')).toMatchObject({ code: 'INVALID_CSV', message: expect.stringMatching(/"farm size" is not a valid profile field/) });
    expect(await code('msisdn,village\n0712000001,Kiambu\n')).toMatchObject({ code: 'INVALID_CSV', message: expect.stringMatching(/"village" is not a profile field \(fields: .*gender, birthYear/) });
    expect(await code('msisdn,region,region\n0712000001,a,b\n')).toMatchObject({ code: 'INVALID_CSV', message: expect.stringMatching(/appears twice/) });
    expect(await code('msisdn,region\n"0712000001,Nakuru\n')).toMatchObject({ code: 'INVALID_CSV', message: expect.stringMatching(/cannot be read/) });
    expect(await code('')).toMatchObject({ code: 'INVALID_CSV' });
    const json = await gw.app.inject({ method: 'POST', url: '/api/v1/subscribers/import', headers: AUTH, payload: { msisdn: '0712000001' } });
    expect(json.statusCode).toBe(400);
    expect(json.json().error.message).toMatch(/Content-Type: text\/csv/);
  });
});
