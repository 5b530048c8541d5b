/** The engine's public surface: load and validate flows, look them up, and step through them. */
export * from './types';
export { start, step, offerResume, currentScreen } from './engine';
export { loadFlows, loadFlowFile, loadFlowsOrThrow, parseFlow, formatProblem } from './flow-loader';
export { validateFlow, type ValidateOptions } from './flow-validator';
export { FlowRegistry } from './flow-registry';
export { nodePath, shortcutFor, shortcutDial, parseDialled, normalizeUssdCode } from './shortcuts';
export { systemText, fillTemplate, BUILTIN_MESSAGES } from './system-messages';
export { isGsm7, septets, ucs2Limit } from './gsm';
export { LANGUAGE_SCREEN, RESUME_SCREEN } from './screens';
