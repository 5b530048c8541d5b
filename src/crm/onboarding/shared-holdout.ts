import type { InterventionKind } from '../interventions';

/**
 * The experiment a kind's holdout belongs to: the onboarding follow-up uses the welcome's assignment, so a
 * held-out new subscriber gets neither and the onboarding comparison stays clean.
 */
export function holdoutKind(kind: InterventionKind): InterventionKind {
  return kind === 'onboarding_followup' ? 'welcome' : kind;
}
