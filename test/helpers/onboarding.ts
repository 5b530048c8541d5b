import type { UsageEvent } from '../../src/usage/usage-log';

let seq = 0;

/** One USSD visit to maize pests as the engine logs it: straight there, or with a stumble (an invalid input) on the way. */
export function maizeVisit(sub: number, at: number, clean: boolean, flowId = 'crop-advice'): UsageEvent[] {
  const sessionId = `ses_onb_${++seq}`;
  const e = (dt: number, type: UsageEvent['type'], nodeId: string | null, detail: Record<string, unknown> | null = null): UsageEvent => ({ at: at + dt * 1000, subscriberId: sub, channel: 'ussd', type, sessionId, flowId, nodeId, detail });
  return [
    e(0, 'session_start', null, { dialect: 'africastalking' }),
    e(1, 'menu', 'main'),
    e(6, 'menu', 'crops'),
    ...(clean ? [] : [e(9, 'input_invalid', 'crops', { input: '9' })]),
    e(12, 'menu', 'maize'),
    e(18, 'content', 'maize-pests'),
    e(40, 'session_end', 'maize-pests', { reason: 'user_exit' }),
  ];
}
