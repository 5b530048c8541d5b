import type { PollNode } from '../engine/types';
import type { EffectHandler } from '../sessions/session-service';
import type { PollService } from './poll-service';

/**
 * The sessions' `poll_answer` effect (a flow's poll node answered in USSD or IVR): the poll behind the
 * node, created on first use, and the answer under the first-answer rule, both in the hop's unit.
 */
export function pollAnswerEffect(polls: Pick<PollService, 'forFlowNode' | 'recordAnswer'>): EffectHandler<'poll_answer'> {
  return async (e, ctx) => {
    const node = ctx.flow.nodes[e.nodeId];
    if (node?.type !== 'poll') return;
    const poll = await polls.forFlowNode(ctx.tx, e.poll, ctx.flow.id, pollNodeContent(node));
    await polls.recordAnswer(ctx.tx, poll, ctx.subscriber.id, e.answer, { channel: ctx.channel, at: ctx.at });
  };
}

function pollNodeContent(node: PollNode): { id: string; text: Record<string, string>; answers: Record<string, string>[] } {
  return { id: node.id, text: node.text, answers: node.answers };
}
