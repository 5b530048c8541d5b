import type { FastifyInstance } from 'fastify';
import type { ConsoleDeps } from '../context';
import { segmentsPages } from './segments';
import { subscribersPages } from './subscribers';

/** Every group of console pages, one line each (the login pages are registered before these). */
export const CONSOLE_PAGES: Array<(app: FastifyInstance, deps: ConsoleDeps) => void> = [
  subscribersPages,
  segmentsPages,
];
