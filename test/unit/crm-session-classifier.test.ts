import { describe, expect, it } from 'vitest';
import type { Config } from '../../src/config';
import { loadConfig } from '../../src/config';
import { FlowIndex } from '../../src/crm/flow-index';
import { applySessionEvent, finishSession, newSessionAcc, type NodeSink } from '../../src/crm/session-classifier';
import { FlowRegistry } from '../../src/engine/flow-registry';
import { loadFlowsOrThrow } from '../../src/engine/flow-loader';

const flows = new FlowIndex(new FlowRegistry(loadFlowsOrThrow('flows')));
const cfg: Config['crm']['stuck'] = loadConfig({ env: {} }).crm.stuck;

/** Replays [type, node, seconds after the previous step] and ends the session; returns the outcome and what the sink saw. */
function replay(steps: [string, string | null, number][], end: { reason: string; after: number; depth?: number }) {
  const seen = { views: [] as string[], dwell: new Map<string, number>(), invalid: 0, backs: 0 };
  const sink: NodeSink = {
    view: (_at, _acc, node) => seen.views.push(node),
    dwell: (_at, _acc, node, ms) => seen.dwell.set(node, (seen.dwell.get(node) ?? 0) + ms),
    invalid: () => seen.invalid++,
    back: () => seen.backs++,
  };
  let t = 1_000_000;
  const acc = newSessionAcc(7, 'ussd', 'crop-advice', t);
  for (const [type, node, secs] of steps) {
    t += secs * 1000;
    applySessionEvent(acc, type, node, t, sink);
  }
  const o = finishSession(acc, { at: t + end.after * 1000, reason: end.reason, node: null, ...(end.depth !== undefined ? { depth: end.depth } : {}) }, cfg, flows, sink);
  return { o, seen };
}

const toMaize: [string, string, number][] = [
  ['menu', 'main', 0],
  ['menu', 'crops', 5],
  ['menu', 'maize', 5],
];

describe('session classification', () => {
  it('content found at the first go', () => {
    const { o, seen } = replay([...toMaize, ['content', 'maize-planting', 6]], { reason: 'user_exit', after: 30 });
    expect(o).toMatchObject({ content: true, clean: true, stuck: false, signals: [], sought: null, endNode: 'maize-planting' });
    expect(seen.views).toEqual(['main', 'crops', 'maize', 'maize-planting']);
    expect(seen.dwell.get('maize-planting')).toBe(30_000);
    expect(o.menuMs).toBe(16_000);
  });

  it('content after a stumble is found, but not at the first go', () => {
    const { o } = replay([...toMaize, ['input_invalid', 'maize', 4], ['content', 'maize-pests', 4]], { reason: 'timeout', after: 60 });
    expect(o).toMatchObject({ content: true, clean: false, stuck: false });
  });

  it('three invalid inputs in the maize menu: stuck, looking for maize', () => {
    const { o, seen } = replay([...toMaize, ['input_invalid', 'maize', 5], ['input_invalid', 'maize', 5], ['input_invalid', 'maize', 5]], { reason: 'max_invalid', after: 0 });
    expect(o).toMatchObject({ content: false, stuck: true, sought: 'maize', endNode: 'maize' });
    expect(o.signals).toEqual(['invalid', 'max_invalid']);
    expect(seen.invalid).toBe(3);
  });

  it('a hang-up deep in the menu is friction; one on the main menu is not', () => {
    expect(replay(toMaize, { reason: 'dropped', after: 10 }).o).toMatchObject({ stuck: true, signals: ['deep_exit'], sought: 'maize' });
    expect(replay([['menu', 'main', 0]], { reason: 'dropped', after: 10 }).o).toMatchObject({ stuck: false, signals: [] });
  });

  it('going back and forth is friction, and the deepest menu is what they sought', () => {
    const { o, seen } = replay(
      [...toMaize, ['back', 'maize', 5], ['menu', 'crops', 0], ['menu', 'beans', 5], ['back', 'beans', 5], ['menu', 'crops', 0], ['menu', 'maize', 5]],
      { reason: 'user_exit', after: 5 },
    );
    expect(o.stuck).toBe(true);
    expect(o.signals).toEqual(['revisits']);
    expect(o.sought).toBe('maize'); // maize and beans are equally deep; maize was visited more
    expect(seen.backs).toBe(2);
  });

  it('a long time in menus without content is friction', () => {
    const { o } = replay([['menu', 'main', 0], ['menu', 'weather', 50]], { reason: 'user_exit', after: 50 });
    expect(o).toMatchObject({ stuck: true, signals: ['long_menus'], sought: 'weather' });
  });

  it('a page of the same screen or a re-shown screen is not a revisit', () => {
    const { o, seen } = replay([['menu', 'main', 0], ['menu', 'main', 3], ['more', 'main', 0], ['menu', 'crops', 3]], { reason: 'user_exit', after: 3 });
    expect(o.signals).toEqual([]);
    expect(seen.views).toEqual(['main', 'crops']);
  });
});
