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
        // Callback URLs may carry ?secret=... (Africa's Talking cannot send headers): log the path only.
        req: (req: { method?: string; url?: string; ip?: string }) => ({ method: req.method, url: req.url?.split('?')[0], remoteAddress: req.ip }),
      },
      base: undefined,
    },
    destination,
  );
}

/** A logger that writes nothing, for tests and the CLI's quiet commands. */
export const silentLogger: Logger = pino({ level: 'silent' });
