import type { FastifyInstance } from 'fastify';
import type { Core } from '../core';
import { subscriberRoutes } from './subscribers';

/** Every /api/v1 route group, registered behind the bearer token. One line per domain. */
export const apiRoutes: Array<(app: FastifyInstance, core: Core) => void> = [subscriberRoutes];
