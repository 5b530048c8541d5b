import type { InterventionKind } from '../interventions';

// An exit offer (issue 15) proposes a cheaper package to a subscriber who said the price made them leave;
// the exit answer's finding names that package when it is raised (crm.exitReasons), null when none is configured.

/** The package an exit offer proposes, or null when the finding names none (the offer is then ineligible). */
export function offeredPackage(detail: Record<string, unknown>): string | null {
  return typeof detail.offerServiceId === 'string' ? detail.offerServiceId : null;
}

/** The package a message of `kind` speaks of: an exit offer's is the package offered, not the one left. */
export function packageSpokenOf(kind: InterventionKind, findingServiceId: string | null, detail: Record<string, unknown>): string | null {
  return (kind === 'exit_offer' ? offeredPackage(detail) : null) ?? findingServiceId;
}
