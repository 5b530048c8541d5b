import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';

/** Thrown for a bad option; the CLI prints the sentence and exits non-zero. */
export type UsageErrorCtor = new (message: string) => Error;

type Spec = Record<string, { type: 'string' | 'boolean' }>;

/** parseArgs with every mistake turned into a usage sentence. */
export function parseOptions<T extends Spec>(args: string[], spec: T, UsageError: UsageErrorCtor) {
  try {
    return parseArgs({ args, options: spec, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** Reads option values with the checks every simulator shares; each failure is one sentence. */
export class OptionReader {
  constructor(private readonly UsageError: UsageErrorCtor) {}

  /** A TCP port, 0 meaning any free one. */
  port(name: string, raw: string | undefined, dflt: number): number {
    if (raw === undefined) return dflt;
    if (!/^\d+$/.test(raw) || Number(raw) > 65535) throw new this.UsageError(`--${name} must be a port number from 0 to 65535, not "${raw}".`);
    return Number(raw);
  }

  /** A whole number from `min` to `max`. */
  int(name: string, raw: string | undefined, dflt: number, min: number, max: number): number {
    if (raw === undefined) return dflt;
    if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) throw new this.UsageError(`--${name} must be a whole number from ${min} to ${max}, not "${raw}".`);
    return Number(raw);
  }

  /** A share from 0 to 1 (0.1 = one in ten). */
  share(name: string, raw: string | undefined, dflt: number): number {
    if (raw === undefined) return dflt;
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) throw new this.UsageError(`--${name} must be a share from 0 to 1 (e.g. 0.1 for one in ten), not "${raw}".`);
    return n;
  }

  /** A non-empty string of at most `max` characters. */
  text(name: string, raw: string | undefined, dflt: string, max: number): string {
    if (raw === undefined) return dflt;
    if (raw.length === 0 || raw.length > max) throw new this.UsageError(`--${name} must be 1 to ${max} characters long.`);
    return raw;
  }

  /** A host name or address to listen on. */
  host(raw: string | undefined): string {
    if (raw === undefined) return '127.0.0.1';
    if (!/^[A-Za-z0-9.:-]+$/.test(raw)) throw new this.UsageError(`--host must be a host name or IP address, not "${raw}".`);
    return raw;
  }

  /** An http(s) URL. */
  url(name: string, raw: string | undefined, dflt: string): string {
    const v = raw ?? dflt;
    let u: URL;
    try {
      u = new URL(v);
    } catch {
      throw new this.UsageError(`--${name} must be an http:// or https:// URL, not "${v}".`);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new this.UsageError(`--${name} must be an http:// or https:// URL, not "${v}".`);
    return v.replace(/\/+$/, '');
  }

  /** A file that exists. */
  file(name: string, raw: string | undefined): string | null {
    if (raw === undefined) return null;
    if (!existsSync(raw)) throw new this.UsageError(`--${name} ${raw} does not exist; create it first (it may be empty).`);
    return raw;
  }

  /** Keys for prompts, comma-separated: digits, * and #; an empty item presses nothing. */
  keys(raw: string | undefined): string[] {
    if (raw === undefined || raw === '') return [];
    const keys = raw.split(',').map((k) => k.trim());
    const bad = keys.find((k) => !/^[0-9*#]*$/.test(k));
    if (bad !== undefined) throw new this.UsageError(`--keys takes keys separated by commas (0-9, * and #), e.g. 1,2,1; "${bad}" is not a key.`);
    return keys;
  }
}
