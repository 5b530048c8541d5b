import type { Tx, UnitOfWork } from '../db/database';
import type { Flow, PollNode } from '../engine/types';
import type { Clock } from '../lib/clock';
import { iso } from '../lib/clock';
import { badRequest, conflict, notFound } from '../lib/errors';
import { newId } from '../lib/ids';
import type { Campaign, CampaignRun, ExposureCount } from './campaign-types';
import type { CampaignStore } from './campaign-store';
import { parseSchedule, type ScheduleInput } from './campaign-schedule';
import type { Poll, PollRepo } from './poll-repo';
import type { SegmentService } from './segment-service';
import { nextCronRun } from './schedule';
import { assertLocalized } from './localized';
import { CALL_STATES, SMS_STATES } from '../reports/delivery';
import type { CampaignArm, CampaignGoal } from '../db/schema/campaigns';
import { checkArms, type ArmsSetup } from './arms-validate';
import type { Within } from './within';

/** What went out on one channel of a best-channel campaign. */
export type ChannelCounts = { recipients: number; sent: number; delivered: number; delivery: Record<string, number> };

/** A run as the API shows it. */
// A type alias (not an interface) so it is assignable to the API's open Record schema.
export type RunJson = {
  id: number;
  dueAt: string | null;
  status: string;
  total: number;
  queued: number;
  blocked: number;
  pending: number;
  sent: number;
  delivered: number;
  delivery: Record<string, number>;
  /** Campaigns by best channel: the same counts per channel the recipients were reached on. */
  byChannel?: Record<'sms' | 'call', ChannelCounts>;
  deferredUntil: string | null;
  startedAt: string | null;
  finishedAt: string | null;
};

/** What a content team sends to create a campaign (docs/contract.md shape plus name, channel, rate, draft). */
export interface CampaignInput {
  name?: string;
  kind: 'sms' | 'poll' | 'call';
  segmentId: string;
  text?: Record<string, string>;
  pollId?: string;
  /**
   * Poll campaigns: sms (default) or call (press 1-3 in `flowId`'s poll node). best (any kind): each
   * recipient by SMS or by a call into `flowId` as their best channel says, `fallbackChannel` when unknown.
   */
  channel?: 'sms' | 'call' | 'best';
  fallbackChannel?: 'sms' | 'call';
  flowId?: string;
  startNode?: string;
  schedule: ScheduleInput;
  /** Messages or calls per second handed to the outbox; absent = as fast as possible. */
  ratePerSecond?: number;
  /** Create without scheduling; POST /campaigns/:id/start schedules it. */
  draft?: boolean;
  /** Offers tested: arms (each its own text, poll, channel or offer), a holdout and a goal with its window. */
  arms?: CampaignArm[];
  holdoutPercent?: number;
  goal?: CampaignGoal;
}

export type CampaignPatch = Partial<Pick<CampaignInput, 'name' | 'text' | 'segmentId' | 'schedule' | 'flowId' | 'startNode' | 'arms' | 'holdoutPercent' | 'goal'>> & { ratePerSecond?: number | null };

export interface CampaignServiceDeps {
  /** Units of work: the group commit on SQLite, transactions on PostgreSQL. */
  units: UnitOfWork;
  clock: Clock;
  /** Campaigns and runs on either engine: every write here goes through it. */
  store: CampaignStore;
  segments: Pick<SegmentService, 'require' | 'requireIn'>;
  /** The polls a poll campaign or its arms ask, read in the campaign's unit. */
  polls: Pick<PollRepo, 'findIn'>;
  /** Service ids of the catalogue (arms offer packages, goals name them). */
  serviceIds: () => string[];
  flows: { byId(id: string): Flow | null | undefined };
  defaultTimezone: string;
  /** Wakes the scheduler (a campaign due now starts at once). */
  kick: () => void;
}

/**
 * Campaigns: what to send (SMS text per language, a poll, a call into a flow), to which segment and
 * when (once at a time, or by cron in a time zone), at what rate. Start, pause, resume and cancel move
 * the campaign and its open run; the scheduler (campaign-scheduler.ts) does the sending.
 */
export class CampaignService {
  constructor(private readonly d: CampaignServiceDeps) {}

  /**
   * Runs `fn` in a unit; when it created a run due now, wakes the scheduler once the unit is durable (a
   * tick before the commit would not see the run on PostgreSQL).
   */
  private async changing(fn: (tx: Tx, woke: { run: boolean }) => Promise<Campaign>, within?: Within<Campaign>): Promise<Campaign> {
    const woke = { run: false };
    const c = await this.d.units.unit(async (tx) => {
      const changed = await fn(tx, woke);
      await within?.(tx, changed);
      return changed;
    });
    if (woke.run) this.d.kick();
    return c;
  }

  /** Validates and stores a campaign; one due now gets its first run at once. `within` writes in the same unit. */
  async create(input: CampaignInput, within?: Within<Campaign>): Promise<Campaign> {
    const now = this.d.clock.now();
    await this.d.segments.require(input.segmentId);
    return this.changing(async (tx, woke) => {
      // The polls are read in the unit that inserts: a poll closed meanwhile is seen as closed.
      const polls = await this.pollsOf(input, tx);
      const shape = this.checkKind(input, polls);
      const armed = this.checkArms(input, shape.flowId, shape.channel, polls);
      const sched = parseSchedule(input.schedule, this.d.defaultTimezone, now);
      const c: Campaign = {
        id: newId('cmp', now),
        name: input.name ?? `${input.kind} campaign`,
        kind: input.kind,
        channel: shape.channel,
        fallbackChannel: shape.channel === 'best' ? (input.fallbackChannel ?? 'sms') : null,
        segmentId: input.segmentId,
        text: input.text ?? null,
        pollId: input.pollId ?? null,
        flowId: shape.flowId,
        startNode: shape.startNode,
        scheduleAt: sched.scheduleAt,
        cron: sched.cron,
        timezone: sched.timezone,
        ratePerSecond: input.ratePerSecond ?? null,
        status: input.draft ? 'draft' : 'scheduled',
        nextRunAt: input.draft ? null : sched.nextRunAt,
        runs: 0,
        lastRunAt: null,
        ...armed,
        createdAt: now,
        updatedAt: now,
      };
      // Again in the unit: the segment cannot go between the check and the insert.
      await this.d.segments.requireIn(c.segmentId, tx);
      await this.d.store.insert(c, tx);
      return this.startIfDue(c, now, tx, woke);
    }, within);
  }

  /** Changes a campaign that has not finished; the schedule and segment only while no run is sending. `within` writes in the same unit. */
  async update(id: string, patch: CampaignPatch, within?: Within<Campaign>): Promise<Campaign> {
    const now = this.d.clock.now();
    return this.changing(async (tx, woke) => {
      const c = await this.requireIn(id, tx);
      if (c.status === 'completed' || c.status === 'cancelled') throw conflict('CAMPAIGN_FINISHED', `Campaign ${id} is ${c.status} and cannot change.`);
      const busy = (await this.d.store.openRun(id, tx)) !== null;
      if ((patch.schedule || patch.segmentId) && busy) {
        throw conflict('CAMPAIGN_RUNNING', `Campaign ${id} has a run in progress; pause and cancel it, or wait for it to finish, before changing the schedule or segment.`);
      }
      const next: Campaign = { ...c, updatedAt: now };
      if (patch.name !== undefined) next.name = patch.name;
      if (patch.text !== undefined) next.text = patch.text;
      if (patch.ratePerSecond !== undefined) next.ratePerSecond = patch.ratePerSecond;
      if (patch.segmentId !== undefined) {
        // Read in this unit: the segment cannot go between the check and the save.
        await this.d.segments.requireIn(patch.segmentId, tx);
        next.segmentId = patch.segmentId;
      }
      if (patch.flowId !== undefined) next.flowId = patch.flowId;
      if (patch.startNode !== undefined) next.startNode = patch.startNode;
      const polls = await this.pollsOf({ pollId: next.pollId, arms: patch.arms ?? next.arms, goal: patch.goal ?? next.goal }, tx);
      const shape = this.checkKind({
        kind: next.kind,
        segmentId: next.segmentId,
        schedule: {},
        channel: next.channel,
        ...(next.arms ? { arms: patch.arms ?? next.arms } : patch.arms ? { arms: patch.arms } : {}),
        ...(next.fallbackChannel ? { fallbackChannel: next.fallbackChannel } : {}),
        ...(next.text ? { text: next.text } : {}),
        ...(next.pollId ? { pollId: next.pollId } : {}),
        ...(next.flowId ? { flowId: next.flowId } : {}),
        ...(next.startNode ? { startNode: next.startNode } : {}),
      }, polls);
      next.flowId = shape.flowId;
      next.startNode = shape.startNode;
      if (patch.arms !== undefined || patch.holdoutPercent !== undefined || patch.goal !== undefined) {
        // Changing arms after some recipients were assigned would compare groups given different things.
        if (c.runs > 0) throw conflict('ARMS_FIXED', `Campaign ${id} has already run; its arms, holdout and goal stay as they were so the comparison holds. Copy it into a new campaign to test other arms.`);
        const merged = {
          arms: patch.arms !== undefined ? patch.arms : next.arms,
          holdoutPercent: patch.holdoutPercent !== undefined ? patch.holdoutPercent : next.holdoutPercent,
          goal: patch.goal !== undefined ? patch.goal : next.goal,
        };
        Object.assign(next, this.checkArms({ kind: next.kind, text: next.text ?? undefined, pollId: next.pollId ?? undefined, ...merged }, next.flowId, next.channel, polls));
      } else if (next.arms && patch.text !== undefined) {
        Object.assign(next, this.checkArms({ kind: next.kind, text: next.text ?? undefined, pollId: next.pollId ?? undefined, arms: next.arms, holdoutPercent: next.holdoutPercent, goal: next.goal }, next.flowId, next.channel, polls));
      }
      if (patch.schedule) {
        const s = parseSchedule(patch.schedule, next.timezone, now);
        next.scheduleAt = s.scheduleAt;
        next.cron = s.cron;
        next.timezone = s.timezone;
        if (next.status === 'scheduled' || next.status === 'running') next.nextRunAt = s.nextRunAt;
        if (next.status === 'running') next.status = 'scheduled';
      }
      await this.d.store.save(next, tx);
      return this.startIfDue(next, now, tx, woke);
    }, within);
  }

  /** Draft -> scheduled (due now: starts at once). `within` writes in the same unit. */
  start(id: string, within?: Within<Campaign>): Promise<Campaign> {
    const now = this.d.clock.now();
    return this.changing(async (tx, woke) => {
      const c = await this.requireIn(id, tx);
      if (c.status !== 'draft') throw conflict('INVALID_STATE', `Campaign ${id} is ${c.status}; only a draft can be started (use resume for a paused one).`);
      const next: Campaign = { ...c, status: 'scheduled', nextRunAt: this.nextDue(c, now), updatedAt: now };
      await this.d.store.save(next, tx);
      return this.startIfDue(next, now, tx, woke);
    }, within);
  }

  /** Stops the fan-out of the open run and holds the schedule; messages already in the outbox still go. `within` writes in the same unit. */
  pause(id: string, within?: Within<Campaign>): Promise<Campaign> {
    const now = this.d.clock.now();
    return this.d.units.unit(async (tx) => {
      const c = await this.requireIn(id, tx);
      if (c.status !== 'scheduled' && c.status !== 'running') throw conflict('INVALID_STATE', `Campaign ${id} is ${c.status}; only a scheduled or running campaign can be paused.`);
      const run = await this.d.store.openRun(id, tx);
      if (run) await this.d.store.setRunStatus(run.id, 'paused', now, ['pending', 'sending'], tx);
      const next: Campaign = { ...c, status: 'paused', updatedAt: now };
      await this.d.store.save(next, tx);
      await within?.(tx, next);
      return next;
    });
  }

  /** Continues a paused campaign: its open run goes on from where it stopped, at its rate from now. `within` writes in the same unit. */
  async resume(id: string, within?: Within<Campaign>): Promise<Campaign> {
    const now = this.d.clock.now();
    const next = await this.d.units.unit(async (tx) => {
      const c = await this.requireIn(id, tx);
      if (c.status !== 'paused') throw conflict('INVALID_STATE', `Campaign ${id} is ${c.status}; only a paused campaign can be resumed.`);
      const run = await this.d.store.openRun(id, tx);
      if (run && run.status === 'paused') {
        await this.d.store.setRunStatus(run.id, run.startedAt === null ? 'pending' : 'sending', now, ['paused'], tx);
        await this.d.store.repace(run.id, now, null, tx);
      }
      // Cron slots missed while paused are skipped; a one-off that never ran is due now.
      const nextRunAt = c.cron ? nextCronRun(c.cron, c.timezone, now) : c.runs === 0 ? Math.max(c.scheduleAt ?? now, now) : null;
      const resumed: Campaign = { ...c, status: run ? 'running' : 'scheduled', nextRunAt, updatedAt: now };
      await this.d.store.save(resumed, tx);
      await within?.(tx, resumed);
      return resumed;
    });
    // After the unit is durable: the scheduler's tick must see the resumed run.
    this.d.kick();
    return next;
  }

  /** Ends the campaign: no more runs, the open run stops; messages already in the outbox still go. `within` writes in the same unit. */
  cancel(id: string, within?: Within<Campaign>): Promise<Campaign> {
    const now = this.d.clock.now();
    return this.d.units.unit(async (tx) => {
      const c = await this.requireIn(id, tx);
      if (c.status === 'completed' || c.status === 'cancelled') throw conflict('INVALID_STATE', `Campaign ${id} is already ${c.status}.`);
      const run = await this.d.store.openRun(id, tx);
      if (run) await this.d.store.setRunStatus(run.id, 'cancelled', now, ['pending', 'sending', 'paused'], tx);
      const next: Campaign = { ...c, status: 'cancelled', nextRunAt: null, updatedAt: now };
      await this.d.store.save(next, tx);
      await within?.(tx, next);
      return next;
    });
  }

  /** The campaign; 404 otherwise. */
  async require(id: string): Promise<Campaign> {
    const c = await this.d.store.find(id);
    if (!c) throw notFound('CAMPAIGN_NOT_FOUND', `No campaign with id ${id}.`);
    return c;
  }

  /** The campaign as unit `tx` sees it (check-then-act); 404 otherwise. */
  private async requireIn(id: string, tx: Tx): Promise<Campaign> {
    const c = await this.d.store.find(id, tx);
    if (!c) throw notFound('CAMPAIGN_NOT_FOUND', `No campaign with id ${id}.`);
    return c;
  }

  /** The public JSON shape of a campaign. */
  toJson(c: Campaign): Record<string, unknown> {
    return campaignJson(c);
  }

  private nextDue(c: Campaign, now: number): number | null {
    if (c.cron) return nextCronRun(c.cron, c.timezone, now);
    return Math.max(c.scheduleAt ?? now, now);
  }

  /**
   * A scheduled campaign due now gets its run created in the same unit, and the scheduler a nudge once
   * the unit is durable (a tick that ran before the commit would not see the run).
   */
  private async startIfDue(c: Campaign, now: number, tx: Tx, woke: { run: boolean }): Promise<Campaign> {
    if (c.status !== 'scheduled' || c.nextRunAt === null || c.nextRunAt > now) return c;
    const next = c.cron ? nextCronRun(c.cron, c.timezone, now) : null;
    if (await this.d.store.createRun(c, c.nextRunAt, next, now, tx)) woke.run = true;
    return (await this.d.store.find(c.id, tx)) ?? c;
  }

  /** The polls a campaign names (its own, its arms', its goal's) as unit `tx` sees them; a missing one is absent. */
  private async pollsOf(input: { pollId?: string | null | undefined; arms?: CampaignArm[] | null | undefined; goal?: CampaignGoal | null | undefined }, tx: Tx): Promise<Map<string, Poll>> {
    const ids = new Set<string>();
    if (input.pollId) ids.add(input.pollId);
    for (const a of input.arms ?? []) if (a.pollId) ids.add(a.pollId);
    if (input.goal?.pollId) ids.add(input.goal.pollId);
    const out = new Map<string, Poll>();
    for (const id of ids) {
      const poll = await this.d.polls.findIn(tx, id);
      if (poll) out.set(id, poll);
    }
    return out;
  }

  /** Checks the fields each kind needs and returns the channel, flow and start node to use. */
  private checkKind(input: CampaignInput, polls: ReadonlyMap<string, Poll>): { channel: Campaign['channel']; flowId: string | null; startNode: string | null } {
    if (input.text !== undefined) assertLocalized(input.text, 'text');
    const hasText = input.text !== undefined;
    if (input.fallbackChannel !== undefined && input.channel !== 'best') throw badRequest('INVALID_CAMPAIGN', 'fallbackChannel is for campaigns with channel best.');
    if (input.channel === 'best') return this.checkBest(input, polls);
    if (input.kind === 'sms') {
      // With arms, each SMS arm carries its own text (checked by checkArms).
      if (!hasText && !(input.arms && input.arms.length > 0)) throw badRequest('INVALID_CAMPAIGN', 'An sms campaign needs text per language, e.g. { "en": "...", "sw": "..." }.');
      if (input.pollId || input.flowId) throw badRequest('INVALID_CAMPAIGN', 'An sms campaign takes text only; use kind poll (pollId) or call (flowId).');
      if (input.channel === 'call') throw badRequest('INVALID_CAMPAIGN', 'An sms campaign goes by SMS; use kind call for calls.');
      return { channel: 'sms', flowId: null, startNode: null };
    }
    if (input.kind === 'call') {
      if (!input.flowId) throw badRequest('INVALID_CAMPAIGN', 'A call campaign needs flowId: the flow the answered call runs.');
      const flow = this.flow(input.flowId);
      if (input.startNode !== undefined && !flow.nodes[input.startNode]) throw badRequest('INVALID_CAMPAIGN', `Flow ${flow.id} has no node "${input.startNode}".`);
      if (input.pollId) throw badRequest('INVALID_CAMPAIGN', 'A call campaign with a poll is kind poll with channel call.');
      return { channel: 'call', flowId: flow.id, startNode: input.startNode ?? null };
    }
    if (!input.pollId) throw badRequest('INVALID_CAMPAIGN', 'A poll campaign needs pollId (create the poll with POST /api/v1/polls).');
    const poll = requirePoll(polls, input.pollId);
    if (poll.status !== 'open') throw badRequest('INVALID_CAMPAIGN', `Poll ${poll.id} is closed.`);
    const channel: 'sms' | 'call' = input.channel ?? (input.flowId ? 'call' : 'sms');
    if (channel === 'sms') {
      if (input.flowId) throw badRequest('INVALID_CAMPAIGN', 'flowId is for poll campaigns by call (channel call).');
      return { channel, flowId: null, startNode: null };
    }
    if (!input.flowId) throw badRequest('INVALID_CAMPAIGN', `A poll campaign by call needs flowId: a flow with a poll node "poll: ${poll.key}".`);
    const flow = this.flow(input.flowId);
    const node = pollNodeOf(flow, poll);
    if (!node) throw badRequest('INVALID_CAMPAIGN', `Flow ${flow.id} has no poll node for this poll (a node of type poll with "poll: ${poll.key}").`);
    if (node.answers.length !== poll.answers.length && poll.type === 'choice') {
      throw badRequest('INVALID_CAMPAIGN', `Flow ${flow.id} node ${node.id} offers ${node.answers.length} answers but poll ${poll.id} has ${poll.answers.length}.`);
    }
    if (input.startNode !== undefined && !flow.nodes[input.startNode]) throw badRequest('INVALID_CAMPAIGN', `Flow ${flow.id} has no node "${input.startNode}".`);
    return { channel, flowId: flow.id, startNode: input.startNode ?? node.id };
  }

  /** Arms, holdout and goal checked against the kind, the catalogue, polls and flows (400 INVALID_ARMS naming the field). */
  private checkArms(input: { kind: CampaignInput['kind']; text?: Record<string, string> | undefined; pollId?: string | undefined; arms?: CampaignArm[] | null; holdoutPercent?: number | null; goal?: CampaignGoal | null }, flowId: string | null, channel: string, polls: ReadonlyMap<string, Poll>): ArmsSetup {
    // Arms choose their own channel each; "best" would overrule them, so the two do not combine.
    if (channel === 'best' && input.arms && input.arms.length > 0) throw badRequest('INVALID_ARMS', 'arms: a campaign with arms gives each arm its channel; channel "best" does not combine with arms.');
    return checkArms(input, {
      kind: input.kind,
      text: input.text ?? null,
      pollId: input.pollId ?? null,
      flowId,
      flow: (id) => this.d.flows.byId(id),
      poll: (id) => polls.get(id) ?? null,
      serviceIds: this.d.serviceIds,
    });
  }

  /**
   * A campaign by best channel carries both sides: what the SMS says (text, or the poll's question) and the
   * flow an answered call runs (a poll campaign's flow must ask the poll).
   */
  private checkBest(input: CampaignInput, polls: ReadonlyMap<string, Poll>): { channel: 'best'; flowId: string; startNode: string | null } {
    if (!input.flowId) throw badRequest('INVALID_CAMPAIGN', 'A campaign by best channel needs flowId: the flow an answered call runs.');
    const flow = this.flow(input.flowId);
    if (input.startNode !== undefined && !flow.nodes[input.startNode]) throw badRequest('INVALID_CAMPAIGN', `Flow ${flow.id} has no node "${input.startNode}".`);
    if (input.kind !== 'poll') {
      if (input.text === undefined) throw badRequest('INVALID_CAMPAIGN', 'A campaign by best channel needs text per language for those it reaches by SMS.');
      if (input.pollId) throw badRequest('INVALID_CAMPAIGN', 'A campaign with a poll is kind poll.');
      return { channel: 'best', flowId: flow.id, startNode: input.startNode ?? null };
    }
    if (!input.pollId) throw badRequest('INVALID_CAMPAIGN', 'A poll campaign needs pollId (create the poll with POST /api/v1/polls).');
    const poll = requirePoll(polls, input.pollId);
    if (poll.status !== 'open') throw badRequest('INVALID_CAMPAIGN', `Poll ${poll.id} is closed.`);
    const node = pollNodeOf(flow, poll);
    if (!node) throw badRequest('INVALID_CAMPAIGN', `Flow ${flow.id} has no poll node for this poll (a node of type poll with "poll: ${poll.key}").`);
    return { channel: 'best', flowId: flow.id, startNode: input.startNode ?? node.id };
  }

  private flow(id: string): Flow {
    const flow = this.d.flows.byId(id);
    if (!flow) throw badRequest('UNKNOWN_FLOW', `There is no flow "${id.slice(0, 64)}".`);
    return flow;
  }
}

/** The poll a campaign names, from those read for it; 404 otherwise. */
function requirePoll(polls: ReadonlyMap<string, Poll>, id: string): Poll {
  const poll = polls.get(id);
  if (!poll) throw notFound('POLL_NOT_FOUND', `No poll with id ${id}.`);
  return poll;
}

/** The node of a flow that asks this poll (its `poll` is the poll's key or id). */
export function pollNodeOf(flow: Flow, poll: Poll): PollNode | null {
  for (const n of Object.values(flow.nodes)) if (n.type === 'poll' && (n.poll === poll.key || n.poll === poll.id)) return n;
  return null;
}

/**
 * The public JSON shape of a run from its row and what became of what it handed over: the exposure
 * counts of its channel, or of each channel for a best-channel run.
 */
export function runJsonOf(r: CampaignRun, exposed: ExposureCount[] | Record<'sms' | 'call', ExposureCount[]>): RunJson {
  const per = Array.isArray(exposed) ? null : exposed;
  const exposure = per ? [...per.sms, ...per.call] : (exposed as ExposureCount[]);
  const delivery: Record<string, number> = {};
  for (const e of exposure) delivery[e.state] = (delivery[e.state] ?? 0) + e.n;
  const counts = (ex: typeof exposure): ChannelCounts => ({
    recipients: ex.reduce((a, e) => a + e.n, 0),
    sent: ex.reduce((a, e) => a + e.sent, 0),
    delivered: ex.reduce((a, e) => a + e.reached, 0),
    delivery: Object.fromEntries(ex.map((e) => [e.state, e.n])),
  });
  return {
    id: r.id,
    dueAt: iso(r.dueAt),
    status: r.status,
    total: r.total,
    queued: r.queued,
    blocked: r.blocked,
    pending: Math.max(0, r.total - r.queued - r.blocked),
    sent: exposure.reduce((a, e) => a + e.sent, 0),
    delivered: exposure.reduce((a, e) => a + e.reached, 0),
    delivery,
    ...(per ? { byChannel: { sms: counts(per.sms), call: counts(per.call) } } : {}),
    deferredUntil: r.deferredUntil !== null && r.status === 'sending' ? iso(r.deferredUntil) : null,
    startedAt: iso(r.startedAt),
    finishedAt: iso(r.finishedAt),
  };
}

/** A campaign's results from its runs' JSON (newest first): totals over the runs, per state and per channel. */
export function resultsJson(c: Campaign, runs: Array<RunJson & { blockedReasons: Record<string, number> }>): Record<string, unknown> {
  const sum = (k: 'total' | 'queued' | 'blocked' | 'sent' | 'delivered') => runs.reduce((a, r) => a + r[k], 0);
  const statesOf = (ch: 'sms' | 'call'): readonly string[] => (ch === 'sms' ? SMS_STATES : CALL_STATES);
  const states: readonly string[] = c.channel === 'best' ? [...new Set([...SMS_STATES, ...CALL_STATES])] : statesOf(c.channel);
  const delivery = Object.fromEntries(states.map((s) => [s, runs.reduce((a, r) => a + (r.delivery[s] ?? 0), 0)]));
  const byChannel =
    c.channel === 'best'
      ? Object.fromEntries(
          (['sms', 'call'] as const).map((ch) => {
            const of = runs.map((r) => r.byChannel![ch]);
            const total = (k: 'recipients' | 'sent' | 'delivered') => of.reduce((a, x) => a + x[k], 0);
            return [ch, { recipients: total('recipients'), sent: total('sent'), delivered: total('delivered'), delivery: Object.fromEntries(statesOf(ch).map((s) => [s, of.reduce((a, x) => a + (x.delivery[s] ?? 0), 0)])) }];
          }),
        )
      : undefined;
  return {
    campaignId: c.id,
    status: c.status,
    channel: c.channel,
    totals: { recipients: sum('total'), queued: sum('queued'), blocked: sum('blocked'), sent: sum('sent'), delivered: sum('delivered'), delivery, ...(byChannel ? { byChannel } : {}) },
    runs,
  };
}

/** The public JSON shape of a campaign. */
export function campaignJson(c: Campaign): Record<string, unknown> {
  return {
    id: c.id,
    name: c.name,
    kind: c.kind,
    channel: c.channel,
    ...(c.fallbackChannel ? { fallbackChannel: c.fallbackChannel } : {}),
    status: c.status,
    segmentId: c.segmentId,
    ...(c.text ? { text: c.text } : {}),
    ...(c.pollId ? { pollId: c.pollId } : {}),
    ...(c.flowId ? { flowId: c.flowId } : {}),
    ...(c.startNode ? { startNode: c.startNode } : {}),
    ...(c.arms ? { arms: c.arms, holdoutPercent: c.holdoutPercent ?? 0, goal: c.goal } : {}),
    schedule: { ...(c.scheduleAt !== null ? { at: iso(c.scheduleAt) } : {}), ...(c.cron ? { cron: c.cron } : {}), timezone: c.timezone },
    ratePerSecond: c.ratePerSecond,
    nextRunAt: iso(c.nextRunAt),
    runs: c.runs,
    lastRunAt: iso(c.lastRunAt),
    createdAt: iso(c.createdAt),
    updatedAt: iso(c.updatedAt),
  };
}
