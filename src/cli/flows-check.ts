import { errorsOf, formatProblem, loadFlows } from '../engine/flow-loader';
import type { ValidateOptions } from '../engine/flow-validator';

/**
 * `vasgw flows check [DIR]`: validates every flow file of DIR. Prints one line per problem
 * (`FILE: node ID: message`, or `FILE: message` when no node is concerned) and returns 1, or prints
 * `N flows OK` and returns 0. A directory without flow files is a problem too: the gateway would answer
 * no USSD code. Warnings (advice context that contradicts itself) are printed but do not fail the check.
 */
export function runFlowsCheck(dir: string, out: (line: string) => void, opts: ValidateOptions = {}): number {
  const { flows, problems } = loadFlows(dir, opts);
  for (const p of problems) out(formatProblem(p));
  if (errorsOf(problems).length) return 1;
  if (flows.length === 0) {
    out(`${dir}: no flow files (*.yaml or *.yml)`);
    return 1;
  }
  const warnings = problems.length;
  out(`${flows.length} flow${flows.length === 1 ? '' : 's'} OK${warnings ? ` (${warnings} warning${warnings === 1 ? '' : 's'})` : ''}`);
  return 0;
}
