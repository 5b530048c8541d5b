import { normalizeReply } from '../../campaigns/poll-text';

/** Why a subscriber left, in the order the question numbers them (1 = too expensive ... 5 = other). */
export const EXIT_REASONS = ['too_expensive', 'not_useful', 'hard_to_use', 'poor_network', 'other'] as const;
export type ExitReason = (typeof EXIT_REASONS)[number];

/** What a reply means: a reason, and the text kept when it was free text (reason `other`). */
export interface ParsedExitReply {
  reason: ExitReason;
  freeText: string | null;
}

/** The longest free text kept (an SMS worth). */
const MAX_FREE_TEXT = 160;

/**
 * Reads an answer to the exit question: the reason's number, one of its words (any language, case and
 * punctuation ignored), or anything else as free text (`other`, text kept). Null for an empty reply.
 */
export function parseExitReply(text: string, words: Record<ExitReason, readonly string[]>): ParsedExitReply | null {
  const reply = normalizeReply(text);
  if (reply === '') return null;
  if (/^\d{1,2}$/.test(reply)) {
    const n = Number(reply);
    if (n >= 1 && n <= EXIT_REASONS.length) return { reason: EXIT_REASONS[n - 1]!, freeText: null };
  }
  for (const reason of EXIT_REASONS) {
    if (words[reason].some((w) => normalizeReply(w) === reply)) return { reason, freeText: null };
  }
  return { reason: 'other', freeText: text.trim().slice(0, MAX_FREE_TEXT) };
}

/** "1 Too expensive, 2 Not useful, ..." in a language (the default language's label when one is missing). */
export function numberedOptions(labels: Record<ExitReason, Record<string, string>>, lang: string, fallback: string): string {
  return EXIT_REASONS.map((r, i) => `${i + 1} ${labels[r][lang] ?? labels[r][fallback] ?? r}`).join(', ');
}

/** Tenure bands of the report (days from the run's start to the exit). */
export const TENURE_BANDS = [
  { band: 'under_1_week', maxDays: 7 },
  { band: '1_4_weeks', maxDays: 28 },
  { band: '1_3_months', maxDays: 91 },
  { band: '3_months_plus', maxDays: Infinity },
] as const;
export type TenureBand = (typeof TENURE_BANDS)[number]['band'] | 'unknown';

/** The tenure band of a number of days. */
export function tenureBand(days: number | null): TenureBand {
  if (days === null) return 'unknown';
  return TENURE_BANDS.find((b) => days < b.maxDays)!.band;
}
