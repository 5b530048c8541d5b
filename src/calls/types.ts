import type { MessageKind } from '../messaging/types';
import type { Tx } from '../db/database';
import type { calls } from '../db/schema';

/**
 * The outbound-call port (CRM guidance calls, call campaigns, POST /api/v1/calls). Implemented by
 * src/calls (durable call queue); a voice provider in channels/ivr places the calls.
 */
export interface CallRequest {
  /** E.164 number to call. */
  to: string;
  /** Flow the answered call runs. */
  flowId: string;
  /** Node to start at (default: the flow's start). */
  startNode?: string;
  /** Default promotional: opt-out and quiet hours apply. */
  kind?: MessageKind;
  source?: string;
  sourceRef?: string;
  notBefore?: number;
}

export interface CallEnqueueResult {
  id: string;
  status: 'queued' | 'blocked';
  reason?: string;
  sendAt?: number;
}

export type CallStatus = 'queued' | 'dialing' | 'ringing' | 'in_progress' | 'completed' | 'no_answer' | 'busy' | 'failed' | 'blocked' | 'retry_wait' | 'cancelled';

export interface CallsPort {
  enqueueIn(tx: Tx, req: CallRequest): Promise<CallEnqueueResult>;
}

/** One outbound call as the queue keeps it (the row, with its kind and status narrowed to the domain's). */
export type CallRow = Omit<typeof calls.$inferSelect, 'kind' | 'status'> & { kind: MessageKind; status: CallStatus };

/** Statuses during which a call holds one of the simultaneous-call slots. */
export const IN_FLIGHT: readonly CallStatus[] = ['dialing', 'ringing', 'in_progress'];
/** Statuses after which nothing more happens to a call. */
export const FINAL: readonly CallStatus[] = ['completed', 'no_answer', 'busy', 'failed', 'blocked', 'cancelled'];
