import type { DetectorContext, FindingDraft } from './types';

/**
 * Stuck in menu: a subscriber whose sessions keep ending without content and with friction. Flags after
 * `minStuckSessions` stuck sessions in the window, or after a new stuck session when few of their sessions
 * found content at the first go. The finding names the menu they were after (the one their stuck
 * sessions most often got deepest into) with its shortcut, so the SMS can send them straight there.
 */
export function detectStuck(ctx: DetectorContext): FindingDraft[] {
  const cfg = ctx.config.crm.stuck;
  const s = ctx.store;
  const out: FindingDraft[] = [];
  const windowStart = ctx.now - cfg.windowDays * 86_400_000;
  for (const sub of ctx.delta.stuckSubs) {
    const recent = (s.stuckRecent.get(sub) ?? []).filter((e) => e[0] >= windowStart);
    if (recent.length === 0) continue;
    const sessions = s.sessions[sub]!;
    const rate = sessions > 0 ? s.clean[sub]! / sessions : 0;
    let reason: string;
    if (recent.length >= cfg.minStuckSessions) reason = 'repeated_stuck';
    else if (sessions >= cfg.minSessionsForRate && rate < cfg.lowDiscoveryRate) reason = 'low_discovery';
    else continue;

    // What they sought: the menu named most often by their stuck sessions; ties go to the latest.
    const counts = new Map<string, { n: number; last: number; flow: string }>();
    for (const [at, , flow, node] of recent) {
      if (!node) continue;
      const k = `${flow}\u0000${node}`;
      const c = counts.get(k) ?? { n: 0, last: 0, flow };
      c.n++;
      c.last = Math.max(c.last, at);
      counts.set(k, c);
    }
    let best: { flow: string; node: string } | null = null;
    let bestN = -1;
    let bestLast = -1;
    for (const [k, c] of counts) {
      if (c.n > bestN || (c.n === bestN && c.last > bestLast)) {
        best = { flow: c.flow, node: k.split('\u0000')[1]! };
        bestN = c.n;
        bestLast = c.last;
      }
    }
    const latest = recent[recent.length - 1]!;
    const flowId = best?.flow ?? latest[2];
    out.push({
      subscriberId: sub,
      kind: 'stuck',
      reason,
      serviceId: null,
      dedupeKey: `stuck:${sub}:${recent[0]![0]}`,
      detail: {
        flowId,
        nodeId: best?.node ?? null,
        shortcut: best ? ctx.flows.shortcut(best.flow, best.node) : ctx.flows.code(flowId),
        channel: latest[1],
        stuckSessions: recent.length,
        sessions,
        discoveryRate: Math.round(rate * 1000) / 1000,
      },
    });
  }
  return out;
}
