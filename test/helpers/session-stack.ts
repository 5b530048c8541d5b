import path from 'node:path';
import { loadFlowsOrThrow } from '../../src/engine/flow-loader';
import { FlowRegistry } from '../../src/engine/flow-registry';
import { ManualClock } from '../../src/lib/clock';
import { silentLogger } from '../../src/lib/logger';
import { createMetrics } from '../../src/lib/metrics';
import { SessionService } from '../../src/sessions/session-service';
import { OperatorDirectory } from '../../src/subscribers/operators';
import { SubscriberRepo } from '../../src/subscribers/subscriber-repo';
import { SubscriberService } from '../../src/subscribers/subscriber-service';
import { UsageLog } from '../../src/usage/usage-log';
import type { Backend } from './backends';

// The sessions area (sessions, subscribers, usage log) built on one engine of `eachBackend`, as one
// gateway process builds it: what the both-engine store tests drive.

const flows = new FlowRegistry(loadFlowsOrThrow(path.resolve('flows')));

/** One process's sessions stack on a backend. */
export interface SessionStack {
  clock: ManualClock;
  subscribers: SubscriberService;
  usage: UsageLog;
  sessions: SessionService;
  close(): void;
}

/** A sessions stack over `b`. */
export function sessionStack(b: Backend, clock = new ManualClock(Date.parse('2026-11-20T07:00:00Z'))): SessionStack {
  const metrics = createMetrics({ processMetrics: false });
  const subscribers = new SubscriberService(new SubscriberRepo(b.database), new OperatorDirectory([]), clock, '254');
  const usage = new UsageLog(metrics, b.database);
  const sessions = new SessionService({
    database: b.database,
    units: b.units,
    clock,
    log: silentLogger,
    flows,
    subscribers,
    usage,
    metrics,
    config: { maxChars: 182, sessionTimeoutSeconds: 180, resumeWindowSeconds: 300, maxInvalid: 3 },
    timeoutSeconds: { ussd: 180, ivr: 60 },
    defaultLanguage: 'en',
  });
  return { clock, subscribers, usage, sessions, close: () => {} };
}
