import type { FastifyInstance } from 'fastify';
import type { ConsoleDeps } from '../context';
import { discoveryPages } from './discovery';
import { payingVsUsingPages } from './paying-vs-using';
import { riskPages } from './risk';
import { stuckPages } from './stuck';

/** Every group of console pages, one line each (the login pages are registered before these). */
export const CONSOLE_PAGES: Array<(app: FastifyInstance, deps: ConsoleDeps) => void> = [
  discoveryPages,
  stuckPages,
  payingVsUsingPages,
  riskPages,
];
