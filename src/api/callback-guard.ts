import { BlockList, isIP } from 'node:net';
import type { FastifyRequest } from 'fastify';
import { AppError } from '../lib/errors';
import { ConfigError } from '../lib/errors';
import { safeEqual } from './auth';

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
 * body is read, so a refused request changes nothing.
 */
export function callbackGuard(opts: { secret: string | null; allowIps: string[] }) {
  const allowed = ipAllowList(opts.allowIps);
  return async (req: FastifyRequest) => {
    if (allowed && !allowed(req.ip)) throw new AppError(403, 'FORBIDDEN_SOURCE', 'This source address may not call the gateway.');
    if (opts.secret) {
      const header = req.headers['x-callback-secret'];
      const q = (req.query as Record<string, unknown> | undefined)?.secret;
      const given = typeof header === 'string' ? header : typeof q === 'string' ? q : null;
      if (!given || !safeEqual(given, opts.secret)) throw new AppError(401, 'INVALID_CALLBACK_SECRET', 'The callback secret is missing or wrong.');
    }
  };
}
