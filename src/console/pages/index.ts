import type { FastifyInstance } from 'fastify';
import type { ConsoleDeps } from '../context';
import { operationsPages } from './operations';
import { overviewPages } from './overview';

/** Every group of console pages, one line each (the login pages are registered before these). */
export const CONSOLE_PAGES: Array<(app: FastifyInstance, deps: ConsoleDeps) => void> = [
  overviewPages,
  operationsPages,
];
