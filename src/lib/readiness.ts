/** Why the gateway is not ready, in words an operator can act on. */
export interface NotReadyReason {
  /** Stable code: DATABASE_UNAVAILABLE, BIND_DOWN, NO_TRANSPORT, OLDEST_DUE_TOO_OLD, ... */
  code: string;
  message: string;
  /** The check that gave it. */
  check: string;
}

/** What one check found; a failing check says why in `reasons` (else a reason is made from its name and detail). */
export interface CheckResult {
  ok: boolean;
  detail?: unknown;
  reasons?: Array<{ code: string; message: string }>;
}

/** A named readiness check: /readyz is 200 only while every check is ok. One that reads the database answers asynchronously. */
export interface ReadinessCheck {
  (): CheckResult | Promise<CheckResult>;
}

/** The whole answer of /readyz. */
export interface ReadinessReport {
  ok: boolean;
  reasons: NotReadyReason[];
  checks: Record<string, { ok: boolean; detail?: unknown }>;
}

/** The set of readiness checks components register (database, each SMPP bind, the outbox, ...). */
export class Readiness {
  private readonly checks = new Map<string, { check: ReadinessCheck; code: string }>();
  /** `code` names a failure of a check that gives no reasons of its own (e.g. BIND_DOWN). */
  register(name: string, check: ReadinessCheck, code = 'CHECK_FAILED'): void {
    this.checks.set(name, { check, code });
  }
  /** Evaluates every check (side by side); `ok` is the conjunction, `reasons` says why not. A check that throws or rejects is not ok. */
  async evaluate(): Promise<ReadinessReport> {
    const checks: Record<string, { ok: boolean; detail?: unknown }> = {};
    const reasons: NotReadyReason[] = [];
    let ok = true;
    const entries = [...this.checks];
    const results = await Promise.all(entries.map(async ([, { check }]): Promise<CheckResult> => {
      try {
        return await check();
      } catch (e) {
        return { ok: false, detail: (e as Error).message };
      }
    }));
    for (const [k, [name, { code }]] of entries.entries()) {
      const r = results[k]!;
      checks[name] = r.detail === undefined ? { ok: r.ok } : { ok: r.ok, detail: r.detail };
      ok &&= r.ok;
      if (r.ok) continue;
      if (r.reasons?.length) for (const x of r.reasons) reasons.push({ ...x, check: name });
      else reasons.push({ code, message: describeFailure(name, r.detail), check: name });
    }
    return { ok, reasons, checks };
  }
}

/** A sentence for a failing check from what its detail tells (state, last error). */
function describeFailure(name: string, detail: unknown): string {
  if (typeof detail === 'string') return `${name}: ${detail}`;
  const d = (detail ?? {}) as { state?: unknown; lastError?: unknown };
  const parts = [typeof d.state === 'string' ? `state ${d.state}` : null, d.lastError ? `last error ${errorText(d.lastError)}` : null].filter(Boolean);
  return `${name} is not ok${parts.length ? ` (${parts.join(', ')})` : ''}`;
}

// A check's last error as words: checks give a string, but an Error or a plain object must not print as [object Object].
function errorText(e: unknown): string {
  if (typeof e === 'string') return e;
  if (e instanceof Error) return e.message;
  try {
    return JSON.stringify(e) ?? String(e);
  } catch {
    return 'unprintable error';
  }
}
