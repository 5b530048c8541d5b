import { describe, expect, it } from 'vitest';
import { loadFlowFile, parseFlow } from '../../src/engine/flow-loader';
import { start, step } from '../../src/engine/engine';
import type { Flow, StepContext } from '../../src/engine/types';

const firstTime: StepContext = { language: null, maxChars: 182, maxInvalid: 3 };

function mini(): Flow {
  const { flow, problems } = loadFlowFile('test/fixtures/flows/valid/mini.yaml');
  expect(problems).toEqual([]);
  return flow!;
}

describe('language', () => {
  it('asks a first-time subscriber to choose, in every language, with native names', () => {
    const r = start(mini(), firstTime);
    expect(r.screen.kind).toBe('language');
    expect(r.screen.text).toBe('Choose language / Chagua lugha\n1. English\n2. Kiswahili');
    expect(r.state.phase).toBe('language');
    expect(r.events).toEqual([{ type: 'session_start' }, { type: 'menu', nodeId: '_language' }]);
  });

  it('remembers the choice as a profile update and continues in that language', () => {
    const flow = mini();
    const r = step(flow, start(flow, firstTime).state, '2', firstTime);
    expect(r.effects).toEqual([{ kind: 'set_profile', field: 'language', value: 'sw' }]);
    expect(r.events).toEqual([
      { type: 'profile_update', nodeId: '_language', detail: { field: 'language', value: 'sw' } },
      { type: 'menu', nodeId: 'home' },
    ]);
    expect(r.screen.text).toBe('Mini\n1. Kidokezo\n2. Eneo\n3. Tathmini\n4. Jiunge\n5. Kiswahili\n6. Mwaka\n7. Kwaheri');
    const tip = step(flow, r.state, '1', firstTime);
    expect(tip.screen.text).toBe('Panda mapema.\n1. Endelea\n0 Rudi 00 Mwanzo');
  });

  it('does not ask again once the language is stored', () => {
    const r = start(mini(), { ...firstTime, language: 'sw' });
    expect(r.screen.kind).toBe('menu');
    expect(r.screen.lang).toBe('sw');
  });

  it('uses the default language when the stored one is not offered by the flow', () => {
    const r = start(mini(), { ...firstTime, language: 'fr' });
    expect(r.screen.kind).toBe('menu');
    expect(r.screen.lang).toBe('en');
  });

  it('never asks in a single-language flow', () => {
    const { flow } = parseFlow('id: one\nlanguages: [sw]\nstart: a\nnodes:\n  a: { type: content, text: { sw: "Habari" } }\n', 'one.yaml');
    const r = start(flow!, firstTime);
    expect(r.screen.text).toBe('Habari');
    expect(r.effects).toEqual([]);
  });

  it('gives the invalid notice in every language on the language menu', () => {
    const flow = mini();
    const r = step(flow, start(flow, firstTime).state, '3', firstTime);
    expect(r.screen.text.split('\n')[0]).toBe('Invalid choice. / Chaguo si sahihi.');
    expect(r.state.phase).toBe('language');
  });

  it('switches language with a set_language action and says so in the new language', () => {
    const flow = mini();
    const en = start(flow, { ...firstTime, language: 'en' });
    const r = step(flow, en.state, '5', firstTime);
    expect(r.screen.text).toBe('Lugha: Kiswahili.\n1. Endelea\n0 Rudi 00 Mwanzo');
    expect(r.effects).toEqual([{ kind: 'set_profile', field: 'language', value: 'sw' }]);
    expect(r.events).toEqual([
      { type: 'action', nodeId: 'to-sw', detail: { action: 'set_language', language: 'sw' } },
      { type: 'profile_update', nodeId: 'to-sw', detail: { field: 'language', value: 'sw' } },
    ]);
    const home = step(flow, r.state, '1', firstTime);
    expect(home.screen.text.startsWith('Mini\n1. Kidokezo')).toBe(true);
    // Back from the screen after an action skips the action: it is never run twice by navigation.
    const tip = step(flow, home.state, '1', firstTime);
    expect(step(flow, tip.state, '0', firstTime).screen.nodeId).toBe('home');
  });

  it('uses a flow override of a system message', () => {
    const src = [
      'id: o',
      'languages: [en]',
      'messages: { invalid: { en: "Try again." } }',
      'start: a',
      'nodes:',
      '  a: { type: content, text: { en: "Hi" } }',
    ].join('\n');
    const { flow } = parseFlow(src, 'o.yaml');
    const r = step(flow!, start(flow!, firstTime).state, 'x', firstTime);
    expect(r.screen.text).toBe('Try again.\nHi');
  });
});
