import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AUTH, stopAfterEach, testConfig, testGateway, type TestGateway } from '../helpers/gateway';
import { ussdSession } from '../helpers/crm';

// The typed profile on the wire: PATCH and CSV import accept what config profile.fields allows, coerce
// CSV text to types, refuse the rest naming the field, and never touch last-seen.

let gw: TestGateway | null = null;
stopAfterEach(() => [gw]);

const patch = (g: TestGateway, msisdn: string, body: unknown) => g.app.inject({ method: 'PATCH', url: `/api/v1/subscribers/${encodeURIComponent(msisdn)}`, headers: AUTH, payload: body as Record<string, unknown> });
const get = async (g: TestGateway, msisdn: string) => g.app.inject({ method: 'GET', url: `/api/v1/subscribers/${encodeURIComponent(msisdn)}`, headers: AUTH });
const importCsv = (g: TestGateway, body: string) => g.app.inject({ method: 'POST', url: '/api/v1/subscribers/import', headers: { ...AUTH, 'content-type': 'text/csv' }, payload: body });
const preview = async (g: TestGateway, filter: unknown) => (await g.app.inject({ method: 'POST', url: '/api/v1/segments/preview', headers: AUTH, payload: { filter } })).json() as { count: number; sample: string[] };

describe('PATCH /api/v1/subscribers/:msisdn with the typed profile', () => {
  it('stores typed values (numbers, lists) and maps the singular crop onto crops', async () => {
    gw = await testGateway();
    const res = await patch(gw, '0712000101', { gender: 'Female', birthYear: 1988, crops: ['maize', 'beans'], farmSize: '2.5', district: 'Nakuru East', language: 'SW' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ msisdn: '+254712000101', language: 'sw', profile: { gender: 'female', birthYear: 1988, crops: ['maize', 'beans'], farmSize: 2.5, district: 'Nakuru East' } });
    // What the demo flow's "My main crop" input and older callers send: the column, and one more crop in the list.
    const crop = await patch(gw, '0712000101', { crop: 'cassava' });
    expect(crop.json()).toMatchObject({ crop: 'cassava', profile: { crops: ['maize', 'beans', 'cassava'] } });
    const cleared = await patch(gw, '0712000101', { district: null, crops: 'sorghum|maize' });
    expect(cleared.json().profile).toEqual({ gender: 'female', birthYear: 1988, crops: ['sorghum', 'maize'], farmSize: 2.5 });
  });

  it('refuses values outside the schema and unknown fields with 400 naming the field, and writes nothing', async () => {
    gw = await testGateway();
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ gender: 'robot' }, 'INVALID_PROFILE_VALUE', /^gender: "robot" is not allowed; gender must be one of female, male, other\.$/],
      [{ birthYear: 1850 }, 'INVALID_PROFILE_VALUE', /birthYear: 1850 is not allowed; birthYear must be a whole number from 1900 to 2030/],
      [{ birthYear: 'abc' }, 'INVALID_PROFILE_VALUE', /birthYear: "abc" is not allowed/],
      [{ farmSize: -1 }, 'INVALID_PROFILE_VALUE', /farmSize must be a number of at least 0/],
      [{ language: 'xx' }, 'INVALID_PROFILE_VALUE', /language: "xx" is not allowed; language must be one of en, sw/],
      [{ age: 'abc' }, 'UNKNOWN_PROFILE_FIELD', /^age is not a profile field \(fields: gender, birthYear, region, district, language, crops, farmSize, crop, operator\)\.$/],
      [{ gender: 'female', age: '30' }, 'UNKNOWN_PROFILE_FIELD', /^age is not a profile field/],
    ];
    for (const [body, code, message] of cases) {
      const res = await patch(gw, '0712000102', body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json().error).toMatchObject({ code, message: expect.stringMatching(message) });
    }
    // Nothing half-written: the subscriber was never created.
    expect((await get(gw, '0712000102')).statusCode).toBe(404);
  });

  it('a subscriber created by PATCH has no last-seen until real traffic', async () => {
    gw = await testGateway();
    await patch(gw, '0712000103', { gender: 'male' });
    expect((await get(gw, '0712000103')).json().lastSeenAt).toBeNull();
    expect(await preview(gw, { lastSeenWithinDays: 1 })).toEqual({ count: 0, sample: [] });
    await ussdSession(gw, '+254712000103', []);
    expect((await get(gw, '0712000103')).json().lastSeenAt).toBe('2026-11-20T09:00:00.000Z');
    expect((await preview(gw, { lastSeenWithinDays: 1 })).sample).toEqual(['+254712000103']);
  });
});

describe('POST /api/v1/subscribers/import with the typed profile', () => {
  it('coerces CSV text, rejects a bad row whole with its line and reason, imports the good rows', async () => {
    gw = await testGateway();
    await patch(gw, '0712000204', { gender: 'male', birthYear: 1970 });
    const csv = [
      'msisdn,Gender,birthYear,crops,farmSize,language',
      '0712000201,female,1990,maize;beans,1.5,sw', // 2 good
      '0712000202,male,1985,cassava|sorghum,3,en', // 3 good
      '0712000203,female,19x0,maize,1,sw', // 4 bad birthYear: nothing of it written
      '0712000204,female,1850,,,', // 5 bad birthYear on an existing subscriber: gender stays male
      '0712000205,woman,1990,,,', // 6 bad gender
      '0712000206,,,,-2,', // 7 bad farmSize
      '0712000207,,,,,xx', // 8 bad language
      '0712000208,other,2001,,,', // 9 good
    ].join('\n');
    const res = await importCsv(gw, csv);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      created: 3,
      updated: 0,
      rejected: 5,
      errors: [
        { line: 4, msisdn: '+254712000203', reason: 'birthYear: "19x0" is not allowed; birthYear must be a whole number from 1900 to 2030.' },
        { line: 5, msisdn: '+254712000204', reason: 'birthYear: "1850" is not allowed; birthYear must be a whole number from 1900 to 2030.' },
        { line: 6, msisdn: '+254712000205', reason: 'gender: "woman" is not allowed; gender must be one of female, male, other.' },
        { line: 7, msisdn: '+254712000206', reason: 'farmSize: "-2" is not allowed; farmSize must be a number of at least 0.' },
        { line: 8, msisdn: '+254712000207', reason: 'language: "xx" is not allowed; language must be one of en, sw.' },
      ],
    });
    expect((await get(gw, '0712000201')).json()).toMatchObject({ language: 'sw', profile: { gender: 'female', birthYear: 1990, crops: ['maize', 'beans'], farmSize: 1.5 } });
    expect((await get(gw, '0712000202')).json().profile).toEqual({ gender: 'male', birthYear: 1985, crops: ['cassava', 'sorghum'], farmSize: 3 });
    for (const n of ['0712000203', '0712000205', '0712000206', '0712000207']) expect((await get(gw, n)).statusCode).toBe(404);
    expect((await get(gw, '0712000204')).json().profile).toEqual({ gender: 'male', birthYear: 1970 });
  });

  it('never touches activity: imported subscribers have no last-seen and do not match lastSeenWithinDays', async () => {
    gw = await testGateway();
    await ussdSession(gw, '+254712000301', []); // one real caller
    const res = await importCsv(gw, 'msisdn,gender\n0712000302,female\n0712000301,male\n');
    expect(res.json()).toMatchObject({ created: 1, updated: 1, rejected: 0 });
    const imported = (await get(gw, '0712000302')).json();
    expect(imported.lastSeenAt).toBeNull();
    expect((await get(gw, '0712000301')).json().lastSeenAt).toBe('2026-11-20T09:00:00.000Z');
    gw.clock.advance(60 * 60_000);
    expect((await preview(gw, { lastSeenWithinDays: 1 })).sample).toEqual(['+254712000301']);
    expect((await preview(gw, { notSeenForDays: 0.01 })).sample).toEqual(['+254712000301']);
    expect((await preview(gw, { neverSeen: true })).sample).toEqual(['+254712000302']);
  });

  it('refuses a header naming an unknown field', async () => {
    gw = await testGateway();
    const res = await importCsv(gw, 'msisdn,age\n0712000401,30\n');
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'INVALID_CSV', message: expect.stringMatching(/^Column "age" is not a profile field \(fields: language, region, crop, operator, gender, birthYear/) });
  });
});

describe('flow input nodes', () => {
  it('the demo flow stores the chosen crop typed: the column and the crops list', async () => {
    gw = await testGateway();
    // English (1) -> My account (4) -> My main crop (5) -> Beans (2).
    const screens = await ussdSession(gw, '+254712000501', ['1', '4', '5', '2']);
    expect(screens.at(-1)).toMatch(/Saved/);
    expect((await get(gw, '+254712000501')).json()).toMatchObject({ crop: 'beans', profile: { crops: ['beans'] } });
  });

  it('stores typed digits as a number; a value outside the schema is not stored and the session goes on', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vasgw-born-'));
    writeFileSync(
      path.join(dir, 'born.yaml'),
      ['id: born', 'languages: [en]', 'entry: { ussd: ["*600#"] }', 'start: ask', 'nodes:', '  ask:', '    type: input', '    field: birthYear', "    pattern: '[0-9]{4}'", '    text: { en: "Year you were born?" }', '    next: done', '  done:', '    type: end', '    text: { en: "Thank you." }', ''].join('\n'),
    );
    gw = await testGateway({ flows: { dir } });
    expect((await ussdSession(gw, '+254712000601', ['1850'], { code: '*600#' })).at(-1)).toBe('END Thank you.');
    expect((await get(gw, '+254712000601')).json().profile).toEqual({});
    await ussdSession(gw, '+254712000601', ['1985'], { code: '*600#' });
    expect((await get(gw, '+254712000601')).json().profile).toEqual({ birthYear: 1985 });
  });

  it('refuses to start when a flow offers a choice the schema does not allow, naming flow, node and field', async () => {
    await expect(testGateway({ profile: { fields: { crops: { type: 'list', values: ['maize', 'beans'] } } } })).rejects.toThrow(
      /flow crop-advice node crop stores a profile value the schema refuses .*crop: "cassava" is not allowed/,
    );
  });
});

describe('profile schema in config', () => {
  it('is validated at start-up with a message naming the key', () => {
    expect(() => testConfig({ profile: { fields: { tribe: { type: 'enum' } } } })).toThrow(/invalid config key profile\.fields\.tribe\.values: an enum field needs its list of values/);
    expect(() => testConfig({ profile: { fields: { size: { type: 'number', min: 5, max: 1 } } } })).toThrow(/profile\.fields\.size\.min: 5 is above max 1/);
    expect(() => testConfig({ profile: { fields: { size: { type: 'text' as 'string' } } } })).toThrow(/invalid config key profile\.fields\.size\.type/);
    expect(() => testConfig({ profile: { fields: { joined: { type: 'date', min: 1 } } } })).toThrow(/profile\.fields\.joined\.min: only integer and number fields take min/);
  });
});
