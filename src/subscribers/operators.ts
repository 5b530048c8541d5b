import type { Config } from '../config';

/** Maps an E.164 number or a network code to the configured operator id (longest prefix wins). */
export class OperatorDirectory {
  private readonly prefixes: { prefix: string; id: string }[];
  private readonly networks = new Map<string, string>();
  private readonly timezones = new Map<string, string>();

  constructor(operators: Config['operators']) {
    this.prefixes = operators
      .flatMap((o) => o.prefixes.map((prefix) => ({ prefix, id: o.id })))
      .sort((a, b) => b.prefix.length - a.prefix.length);
    for (const o of operators) {
      for (const n of o.networkCodes) this.networks.set(n, o.id);
      if (o.timezone) this.timezones.set(o.id, o.timezone);
    }
  }

  /** Operator id for a number, or null when no prefix matches. */
  forMsisdn(msisdn: string): string | null {
    for (const p of this.prefixes) if (msisdn.startsWith(p.prefix)) return p.id;
    return null;
  }

  /** Operator id for a mobile network code (e.g. Africa's Talking `networkCode` 63902), else the code itself. */
  forNetworkCode(code: string | undefined | null): string | null {
    if (!code) return null;
    return this.networks.get(code) ?? code;
  }

  /** The operator's time zone, if configured. */
  timezoneOf(operatorId: string | null | undefined): string | undefined {
    return operatorId ? this.timezones.get(operatorId) : undefined;
  }
}
