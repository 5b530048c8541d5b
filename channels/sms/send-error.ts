import type { SubmitOutcome } from '../../src/messaging/transport';
import { WHOLE_MESSAGE_SMSC_PREFIX } from '../../src/messaging/transport';

/**
 * Why an aggregator did not take a message. `retryable`: trying again later can help (timeouts,
 * 5xx, throttling, an empty balance, refused credentials that an operator can fix); otherwise the
 * message fails for good (invalid number, blacklisted, rejected sender).
 */
export class SendError extends Error {
  constructor(
    readonly code: string,
    readonly retryable: boolean,
    readonly status: number | null = null,
    message?: string,
  ) {
    super(message ?? code);
  }
}

/** Maps any failure of a send (SendError, fetch abort, socket error) to the outbox's outcome. */
export function failedOutcome(err: unknown, transportId: string): Extract<SubmitOutcome, { ok: false }> {
  if (err instanceof SendError) return { ok: false, retryable: err.retryable, code: err.code, status: err.status, bindId: transportId };
  const name = (err as { name?: string } | null)?.name;
  const code = name === 'TimeoutError' || name === 'AbortError' ? 'timeout' : 'network';
  return { ok: false, retryable: true, code, status: null, bindId: transportId };
}

/** HTTP statuses worth trying again: throttled, the aggregator's own trouble, refused credentials. */
export function retryableHttp(status: number): boolean {
  return status === 401 || status === 403 || status === 408 || status === 429 || status >= 500;
}

/** The SMSC name receipts of an aggregator are matched under (whole-message: one receipt settles every part). */
export function receiptSmsc(source: string): string {
  return `${WHOLE_MESSAGE_SMSC_PREFIX}${source}`;
}
