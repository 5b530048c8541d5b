import type { Flow } from '../engine/types';
import { badRequest } from '../lib/errors';
import { newId } from '../lib/ids';
import type { MessageKind } from '../messaging/types';
import type { Subscriber } from '../subscribers/subscriber-service';
import type { CallPolicy } from './call-policy';
import type { CallEnqueueResult, CallRequest, CallRow } from './types';

const KINDS: readonly MessageKind[] = ['transactional', 'promotional'];

/** A call request that passed the checks: what a new call is built from. */
export interface CheckedCallRequest {
  now: number;
  msisdn: string;
  flow: Flow;
  kind: MessageKind;
}

/** Checks a call request at `now`; 400 for an invalid number, flow, start node or kind. */
export function checkCallRequest(
  req: CallRequest,
  now: number,
  d: { subscribers: { normalize(raw: string): string | null }; flows: { byId(id: string): Flow | null | undefined } },
): CheckedCallRequest {
  const msisdn = typeof req.to === 'string' ? d.subscribers.normalize(req.to) : null;
  if (!msisdn) throw badRequest('INVALID_MSISDN', `to "${String(req.to).slice(0, 32)}" is not a phone number (use +2547..., 2547... or 07...).`);
  const flow = d.flows.byId(req.flowId);
  if (!flow) throw badRequest('UNKNOWN_FLOW', `There is no flow "${String(req.flowId).slice(0, 64)}".`);
  if (req.startNode !== undefined && !flow.nodes[req.startNode]) {
    throw badRequest('UNKNOWN_NODE', `Flow ${flow.id} has no node "${String(req.startNode).slice(0, 64)}".`);
  }
  const kind = req.kind ?? 'promotional';
  if (!KINDS.includes(kind)) throw badRequest('INVALID_KIND', 'kind must be transactional or promotional.');
  return { now, msisdn, flow, kind };
}

/** A new call's row, as the policies decide it now (queued, deferred or blocked), and the answer to give. */
export function newCall(subscriber: Subscriber, req: CallRequest, v: CheckedCallRequest, policy: CallPolicy): { call: CallRow; out: CallEnqueueResult } {
  const { now, msisdn, flow, kind } = v;
  const call: CallRow = {
    id: newId('call', now),
    subscriberId: subscriber.id,
    msisdn,
    flowId: flow.id,
    startNode: req.startNode ?? null,
    kind,
    source: req.source ?? 'api',
    sourceRef: req.sourceRef ?? null,
    status: 'queued',
    reason: null,
    attempts: 0,
    nextAttemptAt: Math.max(now, req.notBefore ?? now),
    provider: null,
    providerRef: null,
    sessionId: null,
    hangupCause: null,
    durationSeconds: null,
    amount: null,
    currency: null,
    createdAt: now,
    updatedAt: now,
    dialedAt: null,
    answeredAt: null,
    endedAt: null,
  };
  const decision = policy(subscriber, kind, call.nextAttemptAt!);
  if (decision.action === 'block') {
    Object.assign(call, { status: 'blocked', reason: decision.reason, nextAttemptAt: null, endedAt: now });
  } else if (decision.action === 'defer') {
    Object.assign(call, { reason: decision.reason, nextAttemptAt: decision.until });
  }
  const out: CallEnqueueResult = { id: call.id, status: call.status === 'blocked' ? 'blocked' : 'queued' };
  if (call.reason) out.reason = call.reason;
  if (call.status === 'queued' && call.nextAttemptAt! > now) out.sendAt = call.nextAttemptAt!;
  return { call, out };
}
