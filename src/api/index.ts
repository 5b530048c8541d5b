import type { FastifyInstance } from 'fastify';
import type { Core } from '../core';
import { subscriberRoutes } from './subscribers';
import { messageRoutes } from './messages';
import { callRoutes } from './calls';
import { subscriptionRoutes } from './subscriptions';
import { segmentRoutes } from './segments';
import { pollRoutes } from './polls';
import { campaignRoutes } from './campaigns';
import { subscriberImportRoutes } from './subscriber-import';
import { reportRoutes } from './reports';
import { openApiRoutes } from './openapi';
import { operationsApiRoutes } from './operations';

/** Every /api/v1 route group, registered behind the bearer token. One line per domain. */
export const apiRoutes: Array<(app: FastifyInstance, core: Core) => void> = [subscriberRoutes, messageRoutes, callRoutes, subscriptionRoutes, subscriberImportRoutes, segmentRoutes, pollRoutes, campaignRoutes, reportRoutes, operationsApiRoutes, openApiRoutes];
