import type { FastifyInstance } from 'fastify';
import type { ConsoleDeps } from '../context';
import { campaignsPages } from './campaigns';
import { pollsPages } from './polls';

/** Every group of console pages, one line each (the login pages are registered before these). */
export const CONSOLE_PAGES: Array<(app: FastifyInstance, deps: ConsoleDeps) => void> = [pollsPages, campaignsPages];
