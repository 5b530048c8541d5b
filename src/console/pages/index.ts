import type { FastifyInstance } from 'fastify';
import type { ConsoleDeps } from '../context';
import { demographyPages } from './demography';
import { interventionsPages } from './interventions';
import { retentionPages } from './retention';

/** Every group of console pages, one line each (the login pages are registered before these). */
export const CONSOLE_PAGES: Array<(app: FastifyInstance, deps: ConsoleDeps) => void> = [
  retentionPages,
  interventionsPages,
  demographyPages,
];
