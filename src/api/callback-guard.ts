import { timingSafeEqual } from 'node:crypto';
import { BlockList, isIP } from 'node:net';
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction, onRequestHookHandler } from 'fastify';
import { AppError } from '../lib/errors';
import { ConfigError } from '../lib/errors';

/** Builds a matcher for the allow-list (single addresses or CIDR ranges, IPv4 or IPv6). */
export function ipAllowList(entries: string[]): ((ip: string) => boolean) | null {
  if (entries.length === 0) return null;
  const list = new BlockList();
  for (const entry of entries) {
    const [addr, bits] = entry.split('/');
    const family = isIP(addr ?? '');
    if (!family) throw new ConfigError(`invalid config key callbacks.allowIps: "${entry}" is not an IP address or CIDR range`);
    const type = family === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) list.addAddress(addr!, type);
    else list.addSubnet(addr!, Number(bits), type);
  }
  return (ip: string) => {
    const plain = ip.startsWith('::ffff:') ? ip.slice(7) : ip;
    const fam = isIP(plain);
    return fam !== 0 && list.check(plain, fam === 6 ? 'ipv6' : 'ipv4');
  };
}

/**
 * An onRequest hook for operator and aggregator callbacks: a shared secret (query `secret` or header
 * `X-Callback-Secret`) answered 401 when wrong, and an IP allow-list answered 403. It runs before the
 * body is read, so a refused request changes nothing. Null when neither is configured: nothing to check.
 */
export function callbackGuard(opts: { secret: string | null; allowIps: string[] }): onRequestHookHandler | null {
  const allowed = ipAllowList(opts.allowIps);
  const secret = opts.secret;
  if (!allowed && !secret) return null;
  // Encoded once at registration, not on every callback.
  const want = secret ? Buffer.from(secret) : null;
  // A callback hook rather than an async one: every callback passes here, and a promise per request is waste.
  return (req: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction) => {
    if (allowed && !allowed(req.ip)) {
      done(new AppError(403, 'FORBIDDEN_SOURCE', 'This source address may not call the gateway.'));
      return;
    }
    if (want) {
      const header = req.headers['x-callback-secret'];
      const q = (req.query as Record<string, unknown> | undefined)?.secret;
      const given = typeof header === 'string' ? header : typeof q === 'string' ? q : null;
      if (!given || !sameBytes(given, want)) {
        done(new AppError(401, 'INVALID_CALLBACK_SECRET', 'The callback secret is missing or wrong.'));
        return;
      }
    }
    done();
  };
}

/** Constant-time comparison of a given string with secret bytes encoded once. */
function sameBytes(given: string, want: Buffer): boolean {
  const got = Buffer.from(given);
  return got.length === want.length && timingSafeEqual(got, want);
}
