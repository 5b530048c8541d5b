import { randomBytes } from 'node:crypto';

/** Time-sortable unique id (base36 time + random), short enough for logs and URLs. */
export function newId(prefix: string, nowMs: number): string {
  return `${prefix}_${nowMs.toString(36)}${randomBytes(6).toString('hex')}`;
}
