/** A named readiness check: /readyz is 200 only while every check is ok. */
export interface ReadinessCheck {
  (): { ok: boolean; detail?: unknown };
}

/** The set of readiness checks components register (database, each SMPP bind, ...). */
export class Readiness {
  private readonly checks = new Map<string, ReadinessCheck>();
  register(name: string, check: ReadinessCheck): void {
    this.checks.set(name, check);
  }
  /** Evaluates every check; `ok` is the conjunction. */
  evaluate(): { ok: boolean; checks: Record<string, { ok: boolean; detail?: unknown }> } {
    const checks: Record<string, { ok: boolean; detail?: unknown }> = {};
    let ok = true;
    for (const [name, check] of this.checks) {
      let r: { ok: boolean; detail?: unknown };
      try {
        r = check();
      } catch (e) {
        r = { ok: false, detail: (e as Error).message };
      }
      checks[name] = r;
      ok &&= r.ok;
    }
    return { ok, checks };
  }
}
