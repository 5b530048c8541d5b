import type { Config } from '../../../src/config';
import type { Logger } from '../../../src/lib/logger';
import { CallProviderError, type PlaceCallRequest, type PlaceCallResult, type VoiceProvider } from '../../../src/calls/provider';

interface AtCallEntry {
  phoneNumber?: string;
  status?: string;
  sessionId?: string;
  errorMessage?: string;
}

interface AtCallReply {
  entries?: AtCallEntry[];
  errorMessage?: string;
}

// Entry statuses that name a problem with this number or account: trying again will not help.
const PERMANENT: Record<string, string> = {
  InvalidPhoneNumber: 'invalid_number',
  DestinationNotSupported: 'destination_not_supported',
  InsufficientCredit: 'insufficient_credit',
  InvalidRequest: 'provider_rejected',
  NotAuthorized: 'provider_auth',
};

/**
 * Africa's Talking voice: `POST {baseUrl}/call` with header `apiKey` and form `username, from, to,
 * clientRequestId`. The reply lists one entry per number with `status` (Queued on success) and the
 * `sessionId` that the voice callbacks will carry; answer and outcome arrive through those callbacks.
 */
export function africasTalkingVoiceProvider(cfg: Config['ivr'], log: Logger): VoiceProvider {
  const at = cfg.africastalking;
  const url = `${at.baseUrl.replace(/\/+$/, '')}/call`;
  const plog = log.child({ comp: 'voice-provider', provider: 'africastalking' });
  return {
    name: 'africastalking',
    async placeCall(req: PlaceCallRequest): Promise<PlaceCallResult> {
      if (!at.apiKey) throw new CallProviderError('ivr.africastalking.apiKey is not set.', false, 'provider_not_configured');
      if (!at.callerId) throw new CallProviderError('ivr.africastalking.callerId is not set.', false, 'provider_not_configured');
      const body = new URLSearchParams({ username: at.username, from: at.callerId, to: req.to, clientRequestId: req.callId });
      let res: Response;
      try {
        res = await fetch(url, {
          method: 'POST',
          headers: { apiKey: at.apiKey, accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' },
          body,
          signal: AbortSignal.timeout(cfg.providerTimeoutSeconds * 1000),
        });
      } catch (err) {
        throw new CallProviderError(`Africa's Talking did not answer: ${(err as Error).message}`, true, 'provider_unreachable');
      }
      const text = await res.text().catch(() => '');
      if (res.status === 401 || res.status === 403) throw new CallProviderError(`Africa's Talking refused the credentials (HTTP ${res.status}).`, false, 'provider_auth');
      if (res.status === 429 || res.status >= 500) throw new CallProviderError(`Africa's Talking answered HTTP ${res.status}.`, true, 'provider_unavailable');
      if (res.status >= 400) throw new CallProviderError(`Africa's Talking rejected the call (HTTP ${res.status}): ${text.slice(0, 200)}`, false, 'provider_rejected');
      let reply: AtCallReply;
      try {
        reply = JSON.parse(text) as AtCallReply;
      } catch {
        throw new CallProviderError(`Africa's Talking answered something that is not JSON: ${text.slice(0, 100)}`, true, 'provider_bad_reply');
      }
      const entry = reply.entries?.[0];
      if (!entry) {
        throw new CallProviderError(`Africa's Talking placed no call: ${String(reply.errorMessage ?? 'no entries').slice(0, 200)}`, false, 'provider_rejected');
      }
      if (entry.status !== 'Queued') {
        const code = PERMANENT[entry.status ?? ''];
        throw new CallProviderError(`Africa's Talking did not queue the call: ${entry.status ?? 'no status'}${entry.errorMessage ? ` (${entry.errorMessage})` : ''}`, code === undefined, code ?? 'provider_rejected');
      }
      plog.debug({ callId: req.callId, providerRef: entry.sessionId }, 'call queued at the provider');
      return { providerRef: entry.sessionId ?? null };
    },
  };
}
