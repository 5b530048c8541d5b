import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUTH, testGateway, type TestGateway } from '../helpers/gateway';
import { billingFixture } from '../helpers/billing';

// Every operator/aggregator callback, with the content types it reads and how its errors look on the wire.
type Shape = 'json' | 'soap';
interface Endpoint {
  method: 'GET' | 'POST';
  url: string;
  shape: Shape;
}
const ENDPOINTS: Endpoint[] = [
  { method: 'POST', url: '/ussd/africastalking', shape: 'json' },
  { method: 'POST', url: '/ussd/json', shape: 'json' },
  { method: 'POST', url: '/ivr/africastalking', shape: 'json' },
  { method: 'POST', url: '/ivr/vxml', shape: 'json' },
  { method: 'POST', url: '/billing/events', shape: 'json' },
  { method: 'POST', url: '/billing/africastalking', shape: 'json' },
  { method: 'POST', url: '/billing/sdp', shape: 'soap' },
];

const nested = (depth: number) => `${'<a>'.repeat(depth)}x${'</a>'.repeat(depth)}`;
const sdpAt = (depth: number) =>
  billingFixture('sdp-addition.xml').replace('<ns1:updateDesc>', `<ns1:extra>${nested(depth)}</ns1:extra><ns1:updateDesc>`);

// Malformed bodies a hostile or broken sender produces, each under a content type a parser will take.
const BODIES: Array<[string, string, string | Buffer]> = [
  ['XML nested 102 levels', 'text/xml', `<?xml version="1.0"?>${nested(102)}`],
  ['an SDP envelope with 102 nested levels', 'text/xml', sdpAt(102)],
  ['an SOAP envelope nested 2,000 levels', 'application/soap+xml', `<Envelope><Body>${nested(2000)}</Body></Envelope>`],
  ['truncated XML', 'application/xml', '<Envelope><Body><syncOrderRelation>'],
  ['XML with an entity bomb', 'text/xml', '<?xml version="1.0"?><!DOCTYPE a [<!ENTITY b "bbbbbbbb">]><a>&b;&b;</a>'],
  ['XML with an undefined entity', 'text/xml', '<Envelope><Body>&nope;</Body></Envelope>'],
  ['XML that is only a text', 'text/xml', 'hello'],
  ['XML in UTF-16 with a BOM', 'text/xml', Buffer.from('\ufeff<a/>', 'utf16le')],
  ['truncated JSON', 'application/json', '{"sessionId": "x", "msisdn":'],
  ['a JSON array', 'application/json', '[1,2,3]'],
  ['JSON null', 'application/json', 'null'],
  ['a JSON string', 'application/json', '"hello"'],
  ['a JSON number', 'application/json', '42'],
  ['JSON with __proto__', 'application/json', '{"__proto__": {"x": 1}, "constructor": {"prototype": {"y": 1}}}'],
  ['JSON nested 5,000 levels', 'application/json', `${'['.repeat(5000)}${']'.repeat(5000)}`],
  ['JSON with fields of the wrong types', 'application/json', '{"sessionId": 1, "msisdn": [], "serviceCode": {}, "input": null, "eventId": true, "at": 5}'],
  ['JSON in an unknown charset', 'application/json; charset=utf-16', '{}'],
  ['binary garbage as JSON', 'application/json', Buffer.from([0xff, 0xfe, 0x00, 0x81, 0x7b, 0x22])],
  ['an empty JSON body', 'application/json', ''],
  ['a form with repeated fields', 'application/x-www-form-urlencoded', 'sessionId=a&sessionId=b&phoneNumber=1&phoneNumber=2&text=x&text=y&isActive=1&isActive=0'],
  ['a form with broken percent escapes', 'application/x-www-form-urlencoded', 'sessionId=%E0%A4%A&phoneNumber=%ZZ&text=%'],
  ['a form with __proto__', 'application/x-www-form-urlencoded', '__proto__=x&constructor=y&hasOwnProperty=z'],
  ['a form of 5,000 empty fields', 'application/x-www-form-urlencoded', '&'.repeat(5000)],
  ['binary garbage as a form', 'application/x-www-form-urlencoded', Buffer.from([0xff, 0x00, 0x3d, 0x26, 0x81])],
  ['an empty form', 'application/x-www-form-urlencoded', ''],
  ['an unknown content type', 'application/octet-stream', Buffer.from([1, 2, 3])],
  ['a content type with a broken parameter', 'application/json; charset', '{}'],
  ['plain text', 'text/plain', 'CON hello'],
  ['a CSV', 'text/csv', 'msisdn\n123'],
];

let gw: TestGateway;
beforeAll(async () => {
  gw = await testGateway();
});
afterAll(async () => {
  await gw.stop();
});

/** The error a user of the endpoint sees, in the endpoint's own shape. */
function expectDialectError(ep: Endpoint, r: { statusCode: number; headers: Record<string, unknown>; body: string }) {
  if (ep.shape === 'soap') {
    expect(String(r.headers['content-type'])).toMatch(/^text\/xml/);
    expect(r.body).toContain('<soapenv:Fault><faultcode>soapenv:Client</faultcode>');
    expect(r.body).toMatch(/<detail><code>[A-Z_]+<\/code><\/detail>/);
  } else {
    const body = JSON.parse(r.body) as { error: { code: string; message: string } };
    expect(body.error.code).toMatch(/^[A-Z_]+$/);
    expect(body.error.message.length).toBeGreaterThan(0);
  }
}

describe('a malformed body on any callback is a 4xx in the dialect own error shape, never a 5xx', () => {
  const cases = ENDPOINTS.flatMap((ep) => BODIES.map(([what, type, body]) => [`${ep.method} ${ep.url}`, what, ep, type, body] as const));
  it.each(cases)('%s with %s', async (_name, _what, ep, type, payload) => {
    const r = await gw.app.inject({ method: ep.method, url: ep.url, headers: { 'content-type': type }, payload });
    expect(r.statusCode, r.body).toBeLessThan(500);
    // Some bodies are harmless to some dialects (a bare form opens a VoiceXML bootstrap): only errors have a shape.
    if (r.statusCode >= 400) expectDialectError(ep, r);
  });

  it('the SDP answers an unsupported content type with a SOAP fault (415)', async () => {
    const r = await gw.app.inject({ method: 'POST', url: '/billing/sdp', headers: { 'content-type': 'application/json' }, payload: '{}' });
    expect(r.statusCode).toBe(415);
    expectDialectError({ method: 'POST', url: '/billing/sdp', shape: 'soap' }, r);
  });

  it('the SDP answers a body over the size limit with a SOAP fault (413)', async () => {
    const big = `<Envelope><Body>${'x'.repeat(gw.core.config.server.bodyLimit + 10)}</Body></Envelope>`;
    const r = await gw.app.inject({ method: 'POST', url: '/billing/sdp', headers: { 'content-type': 'text/xml' }, payload: big });
    expect(r.statusCode).toBe(413);
    expectDialectError({ method: 'POST', url: '/billing/sdp', shape: 'soap' }, r);
  });

  it('GET /ivr/vxml with repeated and odd query fields is not a 5xx', async () => {
    for (const qs of ['caller=1&caller=2&called=3', 'session[]=x', 'session=%E0%A4%A', 'caller=sip%3A&called=tel%3A', `session=${'a'.repeat(5000)}`]) {
      const r = await gw.app.inject({ method: 'GET', url: `/ivr/vxml?${qs}` });
      expect(r.statusCode, `${qs}: ${r.body}`).toBeLessThan(500);
    }
  });
});

describe('the SDP hears a refused callback as a SOAP fault too', () => {
  it('a wrong callback secret is a 401 SOAP fault', async () => {
    const guarded = await testGateway({ callbacks: { secret: 'sdp-secret-1' } });
    try {
      const r = await guarded.app.inject({ method: 'POST', url: '/billing/sdp?secret=nope', headers: { 'content-type': 'text/xml' }, payload: billingFixture('sdp-addition.xml') });
      expect(r.statusCode).toBe(401);
      expectDialectError({ method: 'POST', url: '/billing/sdp', shape: 'soap' }, r);
      expect(r.body).toContain('<code>INVALID_CALLBACK_SECRET</code>');
    } finally {
      await guarded.stop();
    }
  });
});

describe('the same bodies on the /api/v1 routes that take one are 4xx with the JSON error shape', () => {
  const API: Array<[method: 'POST' | 'PATCH', url: string]> = [
    ['POST', '/api/v1/messages'],
    ['POST', '/api/v1/calls'],
    ['POST', '/api/v1/segments'],
    ['POST', '/api/v1/segments/preview'],
    ['POST', '/api/v1/polls'],
    ['POST', '/api/v1/campaigns'],
    ['PATCH', '/api/v1/subscribers/%2B254711000009'],
    ['POST', '/api/v1/subscribers/import'],
  ];
  const cases = API.flatMap(([method, url]) => BODIES.map(([what, type, body]) => [`${method} ${url}`, what, method, url, type, body] as const));
  it.each(cases)('%s with %s', async (_name, _what, method, url, type, payload) => {
    const r = await gw.app.inject({ method, url, headers: { ...AUTH, 'content-type': type }, payload });
    expect(r.statusCode, r.body).toBeLessThan(500);
    if (r.statusCode >= 400) expectDialectError({ method: 'POST', url, shape: 'json' }, r);
  });
});
