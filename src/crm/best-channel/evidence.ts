/** The channels a subscriber can answer on, in the order a tie is broken (the cheapest first). */
export const BEST_CHANNELS = ['sms', 'call', 'ussd'] as const;
export type Channel = (typeof BEST_CHANNELS)[number];
/** A subscriber's best channel, or `unknown` while no channel has enough evidence. */
export type BestChannel = Channel | 'unknown';
export const BEST_CHANNEL_VALUES: readonly BestChannel[] = [...BEST_CHANNELS, 'unknown'];

/** One subscriber's evidence as stored in crm_best_channels. */
export interface BestChannelRow {
  subscriberId: number;
  smsAttempts: number;
  smsResponses: number;
  callAttempts: number;
  callResponses: number;
  ussdAttempts: number;
  ussdResponses: number;
  smsOpen: number;
  ussdOpen: number;
  openUntil: number | null;
  channel: BestChannel;
  updatedAt: number;
}

/** Attempts and responses per channel summed over every subscriber: the base rates a rate shrinks towards. */
export type ChannelTotals = Record<Channel, { attempts: number; responses: number }>;

export interface BestChannelSettings {
  minAttempts: number;
  prior: number;
}

/** A fresh row for a subscriber with no evidence yet. */
export function emptyRow(subscriberId: number): BestChannelRow {
  return { subscriberId, smsAttempts: 0, smsResponses: 0, callAttempts: 0, callResponses: 0, ussdAttempts: 0, ussdResponses: 0, smsOpen: 0, ussdOpen: 0, openUntil: null, channel: 'unknown', updatedAt: 0 };
}

/** Zero totals. */
export function emptyTotals(): ChannelTotals {
  return { sms: { attempts: 0, responses: 0 }, call: { attempts: 0, responses: 0 }, ussd: { attempts: 0, responses: 0 } };
}

/** A row's attempts and responses on one channel. */
export function countsOf(r: BestChannelRow, c: Channel): { attempts: number; responses: number } {
  switch (c) {
    case 'sms':
      return { attempts: r.smsAttempts, responses: r.smsResponses };
    case 'call':
      return { attempts: r.callAttempts, responses: r.callResponses };
    case 'ussd':
      return { attempts: r.ussdAttempts, responses: r.ussdResponses };
  }
}

/** The base rate of a channel over everyone (Laplace: 0.5 before any evidence). */
export function baseRate(totals: ChannelTotals, c: Channel): number {
  const t = totals[c];
  return (t.responses + 1) / (t.attempts + 2);
}

/**
 * A subscriber's rate on a channel pulled towards the channel's base rate, as if `prior` more attempts had
 * answered at the base rate: a couple of lucky answers do not outrank a long record.
 */
export function shrunkRate(responses: number, attempts: number, base: number, prior: number): number {
  return (responses + prior * base) / (attempts + prior);
}

/**
 * The best channel: among channels with at least `minAttempts` attempts and at least one response, the one
 * with the highest shrunk rate (ties go to the cheaper channel, in BEST_CHANNELS order); `unknown` otherwise.
 */
export function chooseBest(r: BestChannelRow, totals: ChannelTotals, s: BestChannelSettings): BestChannel {
  let best: BestChannel = 'unknown';
  let bestScore = -1;
  for (const c of BEST_CHANNELS) {
    const { attempts, responses } = countsOf(r, c);
    if (attempts < s.minAttempts || responses === 0) continue;
    const score = shrunkRate(responses, attempts, baseRate(totals, c), s.prior);
    if (score > bestScore) {
      best = c;
      bestScore = score;
    }
  }
  return best;
}
