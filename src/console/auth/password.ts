import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

// Console passwords: scrypt (memory-hard; node's own), stored self-describing so the cost can rise later
// without invalidating old hashes: `scrypt$N$r$p$salt$hash` (base64url).

const N = 1 << 15; // 32 MiB per hash: slow to guess in bulk, still ~100 ms on one core
const R = 8;
const P = 1;
const KEY_BYTES = 32;

function derive(password: string, salt: Buffer, n: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFC'), salt, KEY_BYTES, { N: n, r, p, maxmem: 256 * n * r }, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

/** A new hash of `password` with a fresh salt. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, N, R, P);
  return ['scrypt', N, R, P, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/** Whether `password` matches `stored` (constant time in the hash comparison). */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !n || !r || !p || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const key = await derive(password, Buffer.from(salt, 'base64url'), Number(n), Number(r), Number(p));
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/** Why a new password is refused, or null when it will do. */
export function passwordProblem(password: string): 'too_short' | 'too_long' | null {
  if (password.length < 10) return 'too_short';
  if (password.length > 200) return 'too_long';
  return null;
}
