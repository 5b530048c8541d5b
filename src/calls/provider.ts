/**
 * What the call queue needs from a voice provider (Africa's Talking today; another provider is one new
 * file under channels/ivr/providers). The provider only places the call: its answer and final status
 * come back through the provider's callbacks, which the IVR channel turns into `CallService` outcomes.
 */
export interface PlaceCallRequest {
  /** Our call id; sent as the provider's client reference so callbacks can name the call. */
  callId: string;
  /** E.164 number to call. */
  to: string;
  /** 1 for the first try. */
  attempt: number;
}

export interface PlaceCallResult {
  /** The provider's id for this call attempt (Africa's Talking sessionId), when it gives one. */
  providerRef: string | null;
}

export interface VoiceProvider {
  name: string;
  /** Asks the provider to dial; resolves once the provider accepted the request. Throws CallProviderError. */
  placeCall(req: PlaceCallRequest): Promise<PlaceCallResult>;
}

/**
 * A provider refusal or transport failure. `retryable` says whether trying again later can help
 * (timeouts, 5xx, throttling) or not (bad credentials, invalid number, no credit).
 */
export class CallProviderError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly code: string,
  ) {
    super(message);
    this.name = 'CallProviderError';
  }
}
