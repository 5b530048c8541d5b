import { createHmac } from 'node:crypto';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { expect } from 'vitest';

/** Helpers for reading the gateway's Africa's Talking voice XML in tests. */

export interface AtXml {
  raw: string;
  says: string[];
  plays: string[];
  getDigits: { numDigits?: string; timeout?: string; finishOnKey?: string; callbackUrl?: string } | null;
  redirect: string | null;
  reject: boolean;
  /** Everything spoken, in order, as one string. */
  text: string;
}

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', isArray: (name) => name === 'Say' || name === 'Play' });

type Node = { Say?: (string | { '#text': string })[]; Play?: { '@url': string }[] };

/** Parses (and checks well-formedness of) an Africa's Talking `<Response>`. */
export function parseAtXml(raw: string): AtXml {
  expect(XMLValidator.validate(raw), raw).toBe(true);
  const doc = parser.parse(raw) as { Response?: Node & { GetDigits?: Node & Record<string, string>; Redirect?: string; Reject?: unknown } | '' };
  const r = typeof doc.Response === 'object' ? doc.Response : {};
  const says: string[] = [];
  const plays: string[] = [];
  const collect = (n: Node | undefined) => {
    for (const s of n?.Say ?? []) says.push(typeof s === 'string' ? s : s['#text']);
    for (const p of n?.Play ?? []) plays.push(p['@url']);
  };
  collect(r);
  collect(r.GetDigits);
  const gd = r.GetDigits;
  return {
    raw,
    says,
    plays,
    getDigits: gd ? { numDigits: gd['@numDigits'], timeout: gd['@timeout'], finishOnKey: gd['@finishOnKey'], callbackUrl: gd['@callbackUrl'] } : null,
    redirect: typeof r.Redirect === 'string' ? r.Redirect : null,
    reject: 'Reject' in r,
    text: says.join(' '),
  };
}

export interface Vxml {
  raw: string;
  /** The session id the document submits back (from `<var name="session" expr="'...'"/>`). */
  session: string | null;
  /** Keys the DTMF grammar accepts; null for the built-in digits grammar or no field. */
  keys: string[] | null;
  builtinDigits: boolean;
  prompts: { lang: string; text: string; audio: string | null }[];
  /** `next` of the submit in <filled>, <noinput>, <nomatch>, and the hang-up catch. */
  filled: string | null;
  noinput: string | null;
  nomatch: string | null;
  hangup: string | null;
  disconnect: boolean;
  text: string;
}

const vparser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  isArray: (name) => ['prompt', 'item', 'var', 'catch', 'form'].includes(name),
});

type VNode = Record<string, unknown>;
type Submit = { submit?: { '@next'?: string } };

/** Parses a VoiceXML document the gateway served (and checks it is well-formed XML). */
export function parseVxml(raw: string): Vxml {
  expect(XMLValidator.validate(raw), raw).toBe(true);
  const doc = vparser.parse(raw) as { vxml: VNode & { '@version': string; var?: VNode[]; catch?: (VNode & Submit)[]; form: VNode[] } };
  const v = doc.vxml;
  expect(v['@version']).toBe('2.1');
  const sessionVar = (v.var ?? []).find((x) => x['@name'] === 'session');
  const session = typeof sessionVar?.['@expr'] === 'string' ? (sessionVar['@expr'] as string).replace(/^'|'$/g, '') : null;
  const form = v.form[0]!;
  const field = form.field as (VNode & { grammar?: VNode; prompt?: VNode[]; filled?: Submit; noinput?: Submit; nomatch?: Submit }) | undefined;
  const block = form.block as (VNode & { prompt?: VNode[] }) | undefined;
  const promptNodes = field?.prompt ?? block?.prompt ?? [];
  const prompts = promptNodes.map((p) => {
    const audio = p.audio as (VNode & { '#text'?: string }) | undefined;
    return {
      lang: String((p['@xml:lang'] ?? '') as string | number),
      text: String((audio ? (audio['#text'] ?? '') : (p['#text'] ?? '')) as string | number),
      audio: audio ? String(audio['@src']) : null,
    };
  });
  const grammar = field?.grammar;
  const rule = grammar?.rule as { 'one-of'?: { item?: (string | number)[] } } | undefined;
  const items = rule?.['one-of']?.item;
  return {
    raw,
    session,
    keys: items ? items.map((i) => String(i).replace(/\s+/g, '')) : null,
    builtinDigits: grammar?.['@src'] === 'builtin:dtmf/digits',
    prompts,
    filled: field?.filled?.submit?.['@next'] ?? (block?.submit as { '@next'?: string } | undefined)?.['@next'] ?? null,
    noinput: field?.noinput?.submit?.['@next'] ?? null,
    nomatch: field?.nomatch?.submit?.['@next'] ?? null,
    hangup: (v.catch ?? []).find((c) => c['@event'] === 'connection.disconnect.hangup')?.submit?.['@next'] ?? null,
    disconnect: block !== undefined && 'disconnect' in block,
    text: prompts.map((p) => p.text).join(' '),
  };
}

export interface Twiml {
  raw: string;
  says: { text: string; language: string | null }[];
  plays: string[];
  gather: { input?: string; numDigits?: string; timeout?: string; finishOnKey?: string; action?: string; method?: string } | null;
  /** The verb Twilio runs when the Gather got no keys. */
  redirect: string | null;
  hangup: boolean;
  reject: boolean;
  text: string;
}

const tparser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', isArray: (name) => name === 'Say' || name === 'Play' });
type TNode = { Say?: (string | { '#text': string; '@language'?: string })[]; Play?: (string | { '#text': string })[] };

/** Parses (and checks well-formedness of) a TwiML `<Response>` the gateway served. */
export function parseTwiml(raw: string): Twiml {
  expect(XMLValidator.validate(raw), raw).toBe(true);
  const doc = tparser.parse(raw) as { Response?: (TNode & { Gather?: TNode & Record<string, string>; Redirect?: string | { '#text': string }; Hangup?: unknown; Reject?: unknown }) | '' };
  const r = typeof doc.Response === 'object' ? doc.Response : {};
  const says: Twiml['says'] = [];
  const plays: string[] = [];
  const collect = (n: TNode | undefined) => {
    for (const s of n?.Say ?? []) says.push(typeof s === 'string' ? { text: s, language: null } : { text: s['#text'], language: s['@language'] ?? null });
    for (const p of n?.Play ?? []) plays.push(typeof p === 'string' ? p : p['#text']);
  };
  collect(r);
  collect(r.Gather);
  const g = r.Gather;
  return {
    raw,
    says,
    plays,
    gather: g ? { input: g['@input'], numDigits: g['@numDigits'], timeout: g['@timeout'], finishOnKey: g['@finishOnKey'], action: g['@action'], method: g['@method'] } : null,
    redirect: typeof r.Redirect === 'string' ? r.Redirect : (r.Redirect?.['#text'] ?? null),
    hangup: 'Hangup' in r,
    reject: 'Reject' in r,
    text: says.map((s) => s.text).join(' '),
  };
}

/**
 * X-Twilio-Signature for a request, computed here from Twilio's documented rule (independently of the
 * gateway's code): base64 HMAC-SHA1 of the URL plus each POST parameter, sorted by name, as name+value.
 */
export function signTwilio(authToken: string, url: string, params: Record<string, string>): string {
  const data = url + Object.keys(params).sort().map((k) => k + params[k]).join('');
  return createHmac('sha1', authToken).update(data).digest('base64');
}
