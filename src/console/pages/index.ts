import type { FastifyInstance } from 'fastify';
import type { ConsoleDeps } from '../context';
import { accountsPages } from './accounts';
import { adviceContextPages } from './advice-context';
import { auditPages } from './audit';
import { campaignsPages } from './campaigns';
import { demographyPages } from './demography';
import { discoveryPages } from './discovery';
import { exitReasonsPages } from './exit-reasons';
import { flowsPages } from './flows';
import { flowTextsPages } from './flow-texts';
import { interventionsPages } from './interventions';
import { onboardingPages } from './onboarding';
import { menuRecommendationsPages } from './menu-recommendations';
import { operationsPages } from './operations';
import { overviewPages } from './overview';
import { packageFitPages } from './package-fit';
import { payingVsUsingPages } from './paying-vs-using';
import { pollsPages } from './polls';
import { retentionPages } from './retention';
import { riskPages } from './risk';
import { segmentsPages } from './segments';
import { stuckPages } from './stuck';
import { subscribersPages } from './subscribers';
import { tiersPages } from './tiers';

/** Every group of console pages, in the navigation's order (the login pages are registered before these). */
export const CONSOLE_PAGES: Array<(app: FastifyInstance, deps: ConsoleDeps) => void> = [
  overviewPages,
  flowsPages,
  flowTextsPages,
  discoveryPages,
  stuckPages,
  payingVsUsingPages,
  retentionPages,
  riskPages,
  interventionsPages,
  demographyPages,
  packageFitPages,
  adviceContextPages,
  onboardingPages,
  menuRecommendationsPages,
  exitReasonsPages,
  tiersPages,
  subscribersPages,
  segmentsPages,
  pollsPages,
  campaignsPages,
  operationsPages,
  accountsPages,
  auditPages,
];
