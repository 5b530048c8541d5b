import { describe, expect, it } from 'vitest';
import { loadFlowFile } from '../../src/engine/flow-loader';
import { currentScreen, start, step } from '../../src/engine/engine';
import type { EngineState, Flow, StepContext, StepResult } from '../../src/engine/types';

const ctx: StepContext = { language: 'en', maxChars: 182, maxInvalid: 3 };

function mini(): Flow {
  const { flow, problems } = loadFlowFile('test/fixtures/flows/valid/mini.yaml');
  expect(problems).toEqual([]);
  return flow!;
}

/** Starts a session and replies with each input in turn; returns every result. */
function run(flow: Flow, inputs: string[], c = ctx): StepResult[] {
  const out = [start(flow, c)];
  for (const i of inputs) out.push(step(flow, out[out.length - 1]!.state, i, c));
  return out;
}
const last = (rs: StepResult[]) => rs[rs.length - 1]!;

describe('navigation', () => {
  it('shows the start menu with numbered options and no footer on the root', () => {
    const r = start(mini(), ctx);
    expect(r.screen.text).toBe('Mini\n1. Tip\n2. Region\n3. Rate us\n4. Join\n5. Kiswahili\n6. Year\n7. Bye');
    expect(r.events).toEqual([{ type: 'session_start' }, { type: 'menu', nodeId: 'home' }]);
    expect(r.end).toBeNull();
  });

  it('goes forward on an option, shows content with Continue and the footer, and records it', () => {
    const r = last(run(mini(), ['1']));
    expect(r.screen.text).toBe('Plant early.\n1. Continue\n0 Back 00 Home');
    expect(r.screen.kind).toBe('content');
    expect(r.events).toEqual([{ type: 'content', nodeId: 'tip' }]);
  });

  it('0 goes back one screen, 00 goes home, and both record exactly one screen', () => {
    const flow = mini();
    const rs = run(flow, ['1', '1', '0']);
    expect(last(rs).screen.nodeId).toBe('tip');
    expect(last(rs).events).toEqual([{ type: 'back', nodeId: 'tip2' }, { type: 'content', nodeId: 'tip' }]);
    const home = step(flow, rs[2]!.state, '00', ctx);
    expect(home.screen.nodeId).toBe('home');
    expect(home.events).toEqual([{ type: 'home', nodeId: 'tip2' }, { type: 'menu', nodeId: 'home' }]);
    expect(home.state.stack).toEqual([]);
    const back = step(flow, home.state, '0', ctx);
    expect(back.screen.nodeId).toBe('home');
    expect(back.events).toEqual([{ type: 'back', nodeId: 'home' }, { type: 'menu', nodeId: 'home' }]);
  });

  it('can start at a given node (a call into it), with back leading to the start node', () => {
    const flow = mini();
    const r = start(flow, ctx, { node: 'tip2' });
    expect(r.screen.nodeId).toBe('tip2');
    expect(r.events).toEqual([{ type: 'session_start' }, { type: 'content', nodeId: 'tip2' }]);
    expect(step(flow, r.state, '0', ctx).screen.nodeId).toBe('home');
    const asked = start(flow, { ...ctx, language: null }, { node: 'tip2' });
    expect(asked.screen.kind).toBe('language');
    expect(step(flow, asked.state, '1', ctx).screen.nodeId).toBe('tip2');
  });

  it('never changes the state it is given', () => {
    const flow = mini();
    const s0 = start(flow, ctx).state;
    const copy: EngineState = structuredClone(s0);
    step(flow, s0, '1', ctx);
    step(flow, s0, 'zzz', ctx);
    expect(s0).toEqual(copy);
  });

  it('counts visits per node for revisit detection', () => {
    const r = last(run(mini(), ['1', '0', '1']));
    expect(r.state.visits).toEqual({ home: 2, tip: 2 });
  });

  it('repeats the current screen on * without recording anything', () => {
    const flow = mini();
    const r = last(run(flow, ['1', '*']));
    expect(r.screen.nodeId).toBe('tip');
    expect(r.events).toEqual([]);
    expect(currentScreen(flow, r.state, ctx).text).toBe(r.screen.text);
  });
});

describe('invalid input', () => {
  it.each([
    ['a letter', 'a'],
    ['an option out of range', '9'],
    ['an emoji', '🌽'],
    ['500 characters', '1'.repeat(500)],
    ['an empty reply', ''],
    ['a leading zero', '01'],
    ['a hash', '#'],
  ])('re-shows the same screen with a notice for %s', (_, input) => {
    const flow = mini();
    const r = step(flow, start(flow, ctx).state, input, ctx);
    expect(r.screen.nodeId).toBe('home');
    expect(r.screen.notice).toBe('Invalid choice.');
    expect(r.screen.text.startsWith('Invalid choice.\nMini\n1. Tip')).toBe(true);
    expect(r.events).toEqual([{ type: 'input_invalid', nodeId: 'home', detail: { input: Array.from(input.trim()).slice(0, 20).join('') } }]);
    expect(r.end).toBeNull();
  });

  it('ends politely on the third invalid try in a row', () => {
    const rs = run(mini(), ['x', 'y', 'z']);
    const r = last(rs);
    expect(r.end).toBe('max_invalid');
    expect(r.screen.end).toBe(true);
    expect(r.screen.text).toBe('Sorry, too many invalid choices. Please dial again.');
    expect(r.events).toEqual([
      { type: 'input_invalid', nodeId: 'home', detail: { input: 'z' } },
      { type: 'session_end', nodeId: 'home', detail: { reason: 'max_invalid' } },
    ]);
    expect(r.state.phase).toBe('ended');
  });

  it('resets the count after a valid input', () => {
    const r = last(run(mini(), ['x', 'y', '1', 'x', 'y']));
    expect(r.end).toBeNull();
    expect(r.screen.nodeId).toBe('tip');
    expect(r.state.invalid).toBe(2);
  });

  it('trims spaces around an input', () => {
    expect(last(run(mini(), [' 1 '])).screen.nodeId).toBe('tip');
  });
});

describe('node types', () => {
  it('input with choices stores the profile field and moves on', () => {
    const r = last(run(mini(), ['2', '2']));
    expect(r.effects).toEqual([{ kind: 'set_profile', field: 'region', value: 'south' }]);
    expect(r.events).toEqual([
      { type: 'profile_update', nodeId: 'region', detail: { field: 'region', value: 'south' } },
      { type: 'content', nodeId: 'tip' },
    ]);
  });

  it('free input accepts what matches its pattern and rejects the rest', () => {
    const flow = mini();
    const rs = run(flow, ['6', '1850', '2019']);
    expect(rs[2]!.screen.notice).toBe('Invalid choice.');
    expect(last(rs).effects).toEqual([{ kind: 'set_profile', field: 'year', value: '2019' }]);
    expect(last(rs).screen.nodeId).toBe('home');
  });

  it('a poll records the answer and, without next, thanks and ends', () => {
    const r = last(run(mini(), ['3', '2']));
    expect(r.effects).toEqual([{ kind: 'poll_answer', poll: 'mini-useful', answer: 1, nodeId: 'rate' }]);
    expect(r.end).toBe('completed');
    expect(r.screen.text).toBe('Thank you for your answer.');
    expect(r.events.map((e) => e.type)).toEqual(['poll_answer', 'session_end']);
  });

  it('subscribe records the request and ends with its confirmation', () => {
    const r = last(run(mini(), ['4']));
    expect(r.effects).toEqual([{ kind: 'subscribe', service: 'daily' }]);
    expect(r.events).toEqual([
      { type: 'action', nodeId: 'join', detail: { action: 'subscribe', service: 'daily' } },
      { type: 'session_end', nodeId: 'join', detail: { reason: 'completed' } },
    ]);
    expect(r.screen).toMatchObject({ end: true, text: 'Request received.' });
  });

  it('an end node ends the session with its text', () => {
    const r = last(run(mini(), ['7']));
    expect(r.end).toBe('completed');
    expect(r.screen.text).toBe('Goodbye.');
  });

  it('an ended session answers with a goodbye and records nothing more', () => {
    const flow = mini();
    const ended = last(run(flow, ['7']));
    const again = step(flow, ended.state, '1', ctx);
    expect(again.screen.end).toBe(true);
    expect(again.events).toEqual([]);
  });

  it('fills the voice fields for IVR', () => {
    const r = start(mini(), { ...ctx, maxChars: Infinity });
    expect(r.screen.voiceBody).toBe('Welcome to mini.');
    expect(r.screen.audio).toBe('home-en.mp3');
    expect(r.screen.options[0]).toEqual({ key: '1', label: 'Tip', voice: 'a tip' });
    expect(r.screen.options).toHaveLength(7);
  });
});
