import pino, { type Logger } from 'pino';
import { maskMsisdn } from './msisdn';

export type { Logger };

// Personal data and secrets never reach the log in full. MSISDNs are logged as fields and masked here;
// secrets are replaced entirely. Paths cover our own fields and the raw bodies of every dialect.
const MSISDN_KEYS = ['msisdn', 'to', 'phoneNumber', 'callerNumber', 'destinationNumber', 'destination_addr', 'source_addr'];
const SECRET_KEYS = ['password', 'apiKey', 'apikey', 'secret', 'token', 'apiToken'];

const paths = [
  ...MSISDN_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]),
  ...SECRET_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]),
  'req.headers.authorization',
  'req.headers["x-callback-secret"]',
  'req.headers.apikey',
  'req.query.secret',
];

// Query keys whose values are credentials: replaced whole (Africa's Talking cannot send headers, so the
// callback secret rides in the query).
const QUERY_SECRET_KEYS = new Set([...SECRET_KEYS, 'api_key', 'access_token', 'key', 'pw', 'pass', 'signature', 'sig', 'auth'].map((k) => k.toLowerCase()));

// A phone number as it appears in a URL: 7+ digits, optionally after a +, optionally split by spaces,
// dots or dashes, standing alone (not inside an id such as msg_mi7abc000000000001).
const NUMBER_IN_TEXT = /(?<![A-Za-z0-9_])\+?\d(?:[ .-]?\d){6,}(?![A-Za-z0-9_])/g;

// Only ASCII escapes are decoded: enough to see digits and a + that a sender encoded, and a broken
// escape stays as it was instead of failing the whole line.
const decodeAscii = (s: string): string => s.replace(/%([0-7][0-9A-Fa-f])/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));

const MAX_LOGGED_URL = 2048;

/** Masks every phone number in a piece of text (a URL path or a query value), for logs. */
export function maskNumbersIn(text: string): string {
  return text.replace(NUMBER_IN_TEXT, (n) => maskMsisdn(n.replace(/[^\d+]/g, '')));
}

/**
 * A request URL fit for the log: numbers in the path and query masked, credentials in the query
 * replaced. `+` in a query means a space (form encoding), so `0799+887+766` is read as a number too.
 */
export function urlForLog(full: string): string {
  // Bounded, so a hostile URL costs the log little (the masking regex backtracks on long digit runs).
  const url = full.length > MAX_LOGGED_URL ? full.slice(0, MAX_LOGGED_URL) : full;
  const q = url.indexOf('?');
  const path = maskNumbersIn(decodeAscii(q < 0 ? url : url.slice(0, q)));
  if (q < 0) return path;
  const query = url
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const key = decodeAscii(eq < 0 ? pair : pair.slice(0, eq));
      if (eq < 0) return maskNumbersIn(key);
      const bare = key.replace(/\[.*$/, '').toLowerCase();
      if (QUERY_SECRET_KEYS.has(bare)) return `${maskNumbersIn(key)}=[redacted]`;
      return `${maskNumbersIn(key)}=${maskNumbersIn(decodeAscii(pair.slice(eq + 1).replace(/\+/g, ' ')))}`;
    })
    .join('&');
  return `${path}?${query}`;
}

function censor(value: unknown, path: string[]): unknown {
  const key = path[path.length - 1] ?? '';
  if (MSISDN_KEYS.includes(key) && typeof value === 'string') return maskMsisdn(value);
  return '[redacted]';
}

/** The root logger; components take `log.child({ comp: '...' })`. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      redact: { paths, censor },
      serializers: {
        err: pino.stdSerializers.err,
        req: (req: { method?: string; url?: string; ip?: string }) => ({ method: req.method, url: req.url === undefined ? undefined : urlForLog(req.url), remoteAddress: req.ip }),
      },
      base: undefined,
    },
    destination,
  );
}

/** A logger that writes nothing, for tests and the CLI's quiet commands. */
export const silentLogger: Logger = pino({ level: 'silent' });
