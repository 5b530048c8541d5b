import type { CampaignArm, CampaignGoal } from '../db/schema/campaigns';
import type { Flow } from '../engine/types';
import { badRequest } from '../lib/errors';
import { assertLocalized } from './localized';
import type { Poll } from './poll-repo';

/** The arm name the holdout goes by in assignments and results (so no arm may take it). */
export const HOLDOUT_ARM = 'holdout';
export const MAX_ARMS = 6;
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9 _.-]{0,39}$/;

/** What an arms check needs to know about the rest of the gateway. */
export interface ArmsContext {
  kind: 'sms' | 'poll' | 'call';
  /** The campaign's own text, poll and flow: an arm without its own falls back on them. */
  text: Record<string, string> | null;
  pollId: string | null;
  flowId: string | null;
  flow(id: string): Flow | null | undefined;
  poll(id: string): Poll | null;
  serviceIds(): string[];
}

/** Arms, holdout and goal as stored (all three null for a campaign without arms). */
export interface ArmsSetup {
  arms: CampaignArm[] | null;
  holdoutPercent: number | null;
  goal: CampaignGoal | null;
}

const bad = (field: string, message: string) => badRequest('INVALID_ARMS', `${field}: ${message}`);

/**
 * Checks a campaign's arms, holdout and goal together and returns them as stored; every refusal is a 400
 * INVALID_ARMS naming the field (`arms[1].text`, `goal.serviceId`, ...). No arms, holdout or goal: null.
 */
export function checkArms(input: { arms?: CampaignArm[] | null; holdoutPercent?: number | null; goal?: CampaignGoal | null }, ctx: ArmsContext): ArmsSetup {
  const arms = input.arms ?? null;
  const none = { arms: null, holdoutPercent: null, goal: null };
  if (arms === null || arms.length === 0) {
    if (input.goal || (input.holdoutPercent !== undefined && input.holdoutPercent !== null)) throw bad('arms', 'a holdout and a goal belong to a campaign with arms; give at least one arm.');
    return none;
  }
  if (arms.length > MAX_ARMS) throw bad('arms', `at most ${MAX_ARMS} arms.`);
  if (input.holdoutPercent === undefined || input.holdoutPercent === null) throw bad('holdoutPercent', 'required with arms (0-90: the share of recipients sent nothing, to measure uplift against).');
  if (!Number.isInteger(input.holdoutPercent) || input.holdoutPercent < 0 || input.holdoutPercent > 90) throw bad('holdoutPercent', 'a whole number from 0 to 90.');
  if (!input.goal) throw bad('goal', 'required with arms: { "type": "subscribed" | "reached_content" | "renewed" | "answered", "windowDays": n }.');
  const names = new Set<string>();
  const out = arms.map((a, i) => checkArm(a, i, ctx, names));
  return { arms: out, holdoutPercent: input.holdoutPercent, goal: checkGoal(input.goal, out, ctx) };
}

function checkArm(a: CampaignArm, i: number, ctx: ArmsContext, names: Set<string>): CampaignArm {
  const f = `arms[${i}]`;
  if (!NAME_RE.test(a.name)) throw bad(`${f}.name`, 'letters, digits, space, "_", "." or "-", up to 40, starting with a letter or digit.');
  if (a.name.toLowerCase() === HOLDOUT_ARM) throw bad(`${f}.name`, `"${HOLDOUT_ARM}" is the name of the group sent nothing; choose another.`);
  if (names.has(a.name.toLowerCase())) throw bad(`${f}.name`, `two arms are named "${a.name}".`);
  names.add(a.name.toLowerCase());
  if (a.text !== undefined) {
    try {
      assertLocalized(a.text, `${f}.text`);
    } catch (e) {
      throw bad(`${f}.text`, e instanceof Error ? e.message : 'per-language text, e.g. { "en": "..." }.');
    }
  }
  if (a.share !== undefined && !(a.share > 0 && a.share <= 100)) throw bad(`${f}.share`, 'a weight above 0 and at most 100.');
  if (a.serviceId !== undefined && !ctx.serviceIds().includes(a.serviceId)) throw bad(`${f}.serviceId`, `no service "${a.serviceId.slice(0, 64)}" (known: ${ctx.serviceIds().join(', ') || 'none'}).`);
  const channel = a.channel ?? (ctx.kind === 'call' && !a.text ? 'call' : 'sms');
  if (channel === 'call') {
    if (ctx.kind === 'poll') throw bad(`${f}.channel`, 'the arms of a poll campaign go by SMS.');
    if (a.pollId) throw bad(`${f}.pollId`, 'a poll arm goes by SMS.');
    const flowId = a.flowId ?? ctx.flowId;
    if (!flowId) throw bad(`${f}.flowId`, 'a call arm needs the flow the answered call runs.');
    const flow = ctx.flow(flowId);
    if (!flow) throw bad(`${f}.flowId`, `there is no flow "${flowId.slice(0, 64)}".`);
    if (a.startNode !== undefined && !flow.nodes[a.startNode]) throw bad(`${f}.startNode`, `flow ${flow.id} has no node "${a.startNode.slice(0, 64)}".`);
    if (a.text) throw bad(`${f}.text`, 'a call arm has no SMS text (its flow speaks); set channel sms for a text.');
  } else {
    if (a.flowId || a.startNode) throw bad(`${f}.flowId`, 'flowId and startNode are for call arms (channel call).');
    if (a.pollId) {
      if (ctx.kind !== 'poll') throw bad(`${f}.pollId`, 'arms ask a poll only in a poll campaign (kind poll).');
      const poll = ctx.poll(a.pollId);
      if (!poll) throw bad(`${f}.pollId`, `no poll "${a.pollId.slice(0, 64)}".`);
      if (poll.status !== 'open') throw bad(`${f}.pollId`, `poll ${poll.id} is closed.`);
    }
    if (ctx.kind !== 'poll' && !a.text && !ctx.text) throw bad(`${f}.text`, 'an SMS arm needs text per language (or the campaign its text).');
  }
  return {
    name: a.name,
    ...(a.text ? { text: a.text } : {}),
    ...(a.pollId ? { pollId: a.pollId } : {}),
    channel,
    ...(a.flowId ? { flowId: a.flowId } : {}),
    ...(a.startNode ? { startNode: a.startNode } : {}),
    ...(a.serviceId ? { serviceId: a.serviceId } : {}),
    ...(a.price ? { price: a.price } : {}),
    share: a.share ?? 1,
  };
}

function checkGoal(g: CampaignGoal, arms: CampaignArm[], ctx: ArmsContext): CampaignGoal {
  if (!Number.isInteger(g.windowDays) || g.windowDays < 1 || g.windowDays > 365) throw bad('goal.windowDays', 'a whole number of days from 1 to 365.');
  const out: CampaignGoal = { type: g.type, windowDays: g.windowDays };
  if (g.serviceId !== undefined) {
    if (g.type !== 'subscribed' && g.type !== 'renewed') throw bad('goal.serviceId', 'only for goals subscribed and renewed.');
    if (!ctx.serviceIds().includes(g.serviceId)) throw bad('goal.serviceId', `no service "${g.serviceId.slice(0, 64)}" (known: ${ctx.serviceIds().join(', ') || 'none'}).`);
    out.serviceId = g.serviceId;
  }
  if (g.nodeId !== undefined || g.flowId !== undefined) {
    if (g.type !== 'reached_content') throw bad(g.nodeId !== undefined ? 'goal.nodeId' : 'goal.flowId', 'only for goal reached_content.');
    if (g.flowId !== undefined) {
      const flow = ctx.flow(g.flowId);
      if (!flow) throw bad('goal.flowId', `there is no flow "${g.flowId.slice(0, 64)}".`);
      if (g.nodeId !== undefined && !flow.nodes[g.nodeId]) throw bad('goal.nodeId', `flow ${flow.id} has no node "${g.nodeId.slice(0, 64)}".`);
      out.flowId = g.flowId;
    }
    if (g.nodeId !== undefined) out.nodeId = g.nodeId;
  }
  if (g.type === 'answered') {
    const pollId = g.pollId ?? ctx.pollId ?? arms.find((a) => a.pollId)?.pollId;
    if (!pollId) throw bad('goal.pollId', 'goal answered needs the poll whose answer counts (or a poll campaign).');
    if (!ctx.poll(pollId)) throw bad('goal.pollId', `no poll "${pollId.slice(0, 64)}".`);
    out.pollId = pollId;
  } else if (g.pollId !== undefined) {
    throw bad('goal.pollId', 'only for goal answered.');
  }
  return out;
}
