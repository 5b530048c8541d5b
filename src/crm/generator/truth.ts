import type { PassSummary } from '../crm-service';
import { DEMOGRAPHY_TRUTH, type plantedShares } from './demography';
import { TRUTH } from './model';
import { ONBOARDING_TRUTH, type OnboardingTruth } from './onboarding';
import { INTERVENTION_TRUTH, type KindTruth } from './treatment';

/**
 * The planted truth in one place: the models' true parameters (BG/BB activity, sBG cancellation, charge
 * success, subscriptions over time), who the subscribers are and how groups differ in content use, and
 * what each intervention does to the subscribers it reaches. Reports are checked against it.
 */
export const GENERATOR_TRUTH = { models: TRUTH, demography: DEMOGRAPHY_TRUTH, interventions: INTERVENTION_TRUTH, onboarding: ONBOARDING_TRUTH } as const;

/** The real CRM the generator runs at the end of every simulated day (`core.crm`). */
export interface CrmHook {
  runPass(now: number): Promise<PassSummary>;
}

/** The crm_state key holding the planted truth of a population generated with the CRM acting. */
export const TRUTH_KEY = 'generator_truth';

/**
 * Everything a generation with the CRM acting planted, and the true effects it produced: the one object
 * tests and the bench compare reports against (stored in crm_state under `TRUTH_KEY`).
 */
export interface GeneratorTruth {
  /** Per intervention kind: arms, delivery, and the true effect on the reached and ITT (closed windows). */
  interventions: KindTruth[];
  /** The planted mechanism: delivery shares and the share of the reached moved to act. */
  planted: typeof INTERVENTION_TRUTH;
  /** The planted demographic differences in content use. */
  demography: typeof DEMOGRAPHY_TRUTH;
  /** Per group, the planted share of sessions aiming at market prices and reaching weather content. */
  plantedContent: ReturnType<typeof plantedShares>;
  /** Onboarding: welcomes by arm, and the true first-go and 30-day retention outcomes per arm (what the onboarding report should recover). */
  onboarding?: OnboardingTruth;
}
