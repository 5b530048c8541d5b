import { describe, expect, it } from 'vitest';
import { loadFlowFile } from '../../src/engine/flow-loader';
import { offerResume, start, step } from '../../src/engine/engine';
import type { Flow, StepContext } from '../../src/engine/types';

const ctx: StepContext = { language: 'en', maxChars: 182, maxInvalid: 3 };

function mini(): Flow {
  const { flow } = loadFlowFile('test/fixtures/flows/valid/mini.yaml');
  return flow!;
}

describe('resume after a dropped session', () => {
  it('offers to continue or start again, in the previous language', () => {
    const flow = mini();
    const dropped = step(flow, start(flow, ctx).state, '1', ctx).state;
    const r = offerResume(flow, dropped, ctx);
    expect(r.screen.text).toBe('1. Continue where you left off\n2. Start again');
    expect(r.state.phase).toBe('resume');
    expect(r.events).toEqual([{ type: 'session_start', detail: { resume: true } }, { type: 'menu', nodeId: '_resume' }]);
  });

  it('1 goes back to the same screen and keeps the way back', () => {
    const flow = mini();
    const dropped = step(flow, step(flow, start(flow, ctx).state, '1', ctx).state, '1', ctx).state;
    const r = step(flow, offerResume(flow, dropped, ctx).state, '1', ctx);
    expect(r.screen.nodeId).toBe('tip2');
    expect(r.events).toEqual([{ type: 'content', nodeId: 'tip2' }]);
    expect(step(flow, r.state, '0', ctx).screen.nodeId).toBe('tip');
  });

  it('2 starts from the start node', () => {
    const flow = mini();
    const dropped = step(flow, start(flow, ctx).state, '1', ctx).state;
    const r = step(flow, offerResume(flow, dropped, ctx).state, '2', ctx);
    expect(r.screen.nodeId).toBe('home');
    expect(r.state.stack).toEqual([]);
    expect(r.events).toEqual([{ type: 'menu', nodeId: 'home' }]);
  });

  it('starts normally when the previous session had ended', () => {
    const flow = mini();
    const ended = step(flow, start(flow, ctx).state, '7', ctx).state;
    expect(offerResume(flow, ended, ctx).screen.nodeId).toBe('home');
  });

  it('treats anything else as invalid', () => {
    const flow = mini();
    const dropped = step(flow, start(flow, ctx).state, '1', ctx).state;
    const r = step(flow, offerResume(flow, dropped, ctx).state, '3', ctx);
    expect(r.screen.text).toBe('Invalid choice.\n1. Continue where you left off\n2. Start again');
  });
});
