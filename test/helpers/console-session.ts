import type { Config } from '../../src/config';
import { populate } from './browser';
import { testGateway, type DeepPartial, type TestGateway } from './gateway';

/** A logged-in console account for `app.inject`: its cookie header and the session's CSRF token. */
export interface ConsoleLogin {
  cookie: string;
  csrf: string;
}

/** Adds an account with `role` and starts a session for it (no login form: these tests are about the pages). */
export async function consoleLogin(gw: TestGateway, name: string, role: 'viewer' | 'editor' | 'admin', language: 'en' | 'sw' = 'en'): Promise<ConsoleLogin> {
  const account = await gw.console!.add(name, role, `${name}-password-1`, language);
  const { token, csrf } = await gw.console!.startSession(account.id);
  return { cookie: `vasgw_console=${token}`, csrf };
}

/** A urlencoded form POST as a browser sends it, with the session's cookie and CSRF field. */
export function formPost(gw: TestGateway, who: ConsoleLogin, url: string, fields: Record<string, string | string[]>, extraHeaders: Record<string, string> = {}) {
  const body = new URLSearchParams();
  body.append('_csrf', who.csrf);
  for (const [k, v] of Object.entries(fields)) for (const x of Array.isArray(v) ? v : [v]) body.append(k, x);
  return gw.app.inject({ method: 'POST', url, headers: { cookie: who.cookie, 'content-type': 'application/x-www-form-urlencoded', ...extraHeaders }, payload: body.toString() });
}

/** A GET as the account. */
export function pageGet(gw: TestGateway, who: ConsoleLogin, url: string, headers: Record<string, string> = {}) {
  return gw.app.inject({ method: 'GET', url, headers: { cookie: who.cookie, ...headers } });
}

/** A multipart/form-data body (fields in order, then one file), as a browser builds it. */
export function multipart(fields: Array<[string, string]>, file: { field: string; filename: string; content: string; type?: string }): { payload: Buffer; contentType: string } {
  const boundary = '----vasgwTestBoundary7MA4YWxkTrZu0gW';
  const parts = fields.map(([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`);
  parts.push(`--${boundary}\r\nContent-Disposition: form-data; name="${file.field}"; filename="${file.filename}"\r\nContent-Type: ${file.type ?? 'text/csv'}\r\n\r\n${file.content}\r\n`);
  parts.push(`--${boundary}--\r\n`);
  return { payload: Buffer.from(parts.join('')), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** The readers the report pages' tests use: an editor, a viewer, and a viewer reading in Kiswahili. */
export const READERS = [
  ['esi.editor', 'editor', 'en'],
  ['vic.viewer', 'viewer', 'en'],
  ['wanjiru', 'viewer', 'sw'],
] as const;

/** Logs in each reader and gives `get(url, name)` as that reader (the editor by default). */
export async function readersOf(gw: TestGateway): Promise<(url: string, who?: string) => ReturnType<typeof pageGet>> {
  const logins: Record<string, ConsoleLogin> = {};
  for (const [name, role, language] of READERS) logins[name] = await consoleLogin(gw, name, role, language);
  return (url, who = 'esi.editor') => pageGet(gw, logins[who]!, url);
}

/** Crop advice sold daily and weekly: two packages of one service, for the pages that compare packages. */
const TWO_PACKAGES = [
  { id: 'crop-daily', name: 'Crop advice (daily)', price: 5, currency: 'KES', period: 'daily', shortCode: '20123', keywords: ['SHAMBA'] },
  { id: 'crop-weekly', name: 'Crop advice (weekly)', price: 20, currency: 'KES', period: 'weekly', shortCode: '20124', keywords: ['WIKI'] },
];

/**
 * A gateway selling TWO_PACKAGES to a generated population, with the session cookies of `reader` (reading
 * in English) and of a viewer reading in Kiswahili: the preamble of the package and revenue pages' tests.
 */
export async function twoPackageConsole(
  reader: { name: string; role: 'viewer' | 'editor' },
  population: { subscribers: number; days: number },
): Promise<{ gw: TestGateway; cookie: string; swCookie: string }> {
  const gw = await testGateway({ services: TWO_PACKAGES } as DeepPartial<Config>);
  const account = await gw.console!.add(reader.name, reader.role, 'a-long-password-1');
  const cookie = `vasgw_console=${(await gw.console!.startSession(account.id)).token}`;
  const sw = await gw.console!.add('wanjiru', 'viewer', 'a-long-password-1', 'sw');
  const swCookie = `vasgw_console=${(await gw.console!.startSession(sw.id)).token}`;
  await populate(gw, population);
  return { gw, cookie, swCookie };
}

/**
 * A gateway over a generated population of `population.days` with the CRM's figures, and `get(url, name)`
 * as each of READERS: the preamble of the report pages' tests.
 */
export async function populatedReaders(
  population: { subscribers: number; days: number },
  overrides: DeepPartial<Config> = {},
): Promise<{ gw: TestGateway; get: Awaited<ReturnType<typeof readersOf>> }> {
  const gw = await testGateway(overrides);
  const get = await readersOf(gw);
  await populate(gw, population);
  return { gw, get };
}
