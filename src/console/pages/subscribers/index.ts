import type { FastifyInstance } from 'fastify';
import type { ConsoleDeps } from '../../context';
import { subscriberImportPages } from './import';
import { subscriberProfilePages } from './profile';
import { subscriberSearchPages } from './search';

/** Subscribers: search, import (editors) and each subscriber's profile with its timeline. */
export function subscribersPages(app: FastifyInstance, deps: ConsoleDeps): void {
  subscriberSearchPages(app, deps);
  subscriberImportPages(app, deps);
  subscriberProfilePages(app, deps);
}
