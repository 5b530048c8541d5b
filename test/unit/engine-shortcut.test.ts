import { describe, expect, it } from 'vitest';
import { loadFlows } from '../../src/engine/flow-loader';
import { FlowRegistry } from '../../src/engine/flow-registry';
import { start, step } from '../../src/engine/engine';
import { nodePath, parseDialled, shortcutFor } from '../../src/engine/shortcuts';
import type { Flow, StepContext } from '../../src/engine/types';

const ctx: StepContext = { language: 'en', maxChars: 182, maxInvalid: 3 };

let loaded: { registry: FlowRegistry; flow: Flow } | undefined;
/** The demo flows, loaded once: flows are immutable, so the tests can share them. */
function demo() {
  if (!loaded) {
    const { flows, problems } = loadFlows('flows');
    expect(problems).toEqual([]);
    const registry = new FlowRegistry(flows);
    loaded = { registry, flow: registry.byId('crop-advice')! };
  }
  return loaded;
}

describe('shortcut dials', () => {
  it('gives the key path and the dial string of a node', () => {
    const { flow } = demo();
    expect(nodePath(flow, 'main')).toEqual([]);
    expect(nodePath(flow, 'maize-pests')).toEqual(['1', '1', '2']);
    expect(shortcutFor(flow, 'maize-pests')).toBe('*384*1*1*1*2#');
    expect(shortcutFor(flow, 'cassava-planting')).toBe('*384*1*1*3*1#');
    // Answers are never given on the subscriber's behalf: no shortcut passes through an input or a poll.
    expect(nodePath(flow, 'profile-saved')).toBeNull();
    expect(nodePath(flow, 'nowhere')).toBeNull();
  });

  it('splits a dialled string into the longest base code and inputs', () => {
    expect(parseDialled('*384*1*1*2#', ['*384#', '*384*1#'])).toEqual({ base: '*384*1#', inputs: ['1', '2'] });
    expect(parseDialled('*384*1#', ['*384*1#'])).toEqual({ base: '*384*1#', inputs: [] });
    expect(parseDialled('*384*1', ['*384*1#'])).toEqual({ base: '*384*1#', inputs: [] });
    expect(parseDialled('*384*11#', ['*384*1#'])).toBeNull();
    expect(parseDialled('*999#', ['*384*1#'])).toBeNull();
  });

  it('lands on the node the shortcut names, recording only that screen', () => {
    const { registry } = demo();
    const hit = registry.byUssd('*384*1*1*1*2#')!;
    expect(hit.shortcut).toEqual(['1', '1', '2']);
    const r = start(hit.flow, ctx, { shortcut: hit.shortcut });
    expect(r.screen.nodeId).toBe('maize-pests');
    expect(r.events).toEqual([{ type: 'session_start', detail: { shortcut: true } }, { type: 'content', nodeId: 'maize-pests' }]);
    // Back walks the path the shortcut took.
    const back = step(hit.flow, r.state, '0', ctx);
    expect(back.screen.nodeId).toBe('maize');
  });

  it('round-trips: the dial string of any reachable node lands on it', () => {
    const { registry, flow } = demo();
    for (const id of ['crops', 'beans-harvest', 'market-tips', 'weather-dry', 'region', 'advice-useful']) {
      const hit = registry.byUssd(shortcutFor(flow, id)!)!;
      expect(start(hit.flow, ctx, { shortcut: hit.shortcut }).screen.nodeId).toBe(id);
    }
  });

  it('asks a first-time subscriber for the language first, then applies the shortcut', () => {
    const { flow } = demo();
    const first = { ...ctx, language: null };
    const r = start(flow, first, { shortcut: ['1', '1', '2'] });
    expect(r.screen.kind).toBe('language');
    const sw = step(flow, r.state, '2', first);
    expect(sw.screen.nodeId).toBe('maize-pests');
    expect(sw.screen.lang).toBe('sw');
    expect(sw.events.map((e) => e.type)).toEqual(['profile_update', 'content']);
  });

  it('stops on the last valid screen with a notice when a shortcut digit is wrong', () => {
    const { flow } = demo();
    const r = start(flow, ctx, { shortcut: ['1', '9', '2'] });
    expect(r.screen.nodeId).toBe('crops');
    expect(r.screen.notice).toBe('Invalid choice.');
    expect(r.state.invalid).toBe(0);
    expect(r.events).toEqual([
      { type: 'session_start', detail: { shortcut: true } },
      { type: 'input_invalid', nodeId: 'crops', detail: { input: '9', shortcut: true } },
      { type: 'menu', nodeId: 'crops' },
    ]);
  });
});

describe('registry', () => {
  it('finds content by SMS keyword, any case, on its short code', () => {
    const { registry } = demo();
    expect(registry.bySmsKeyword('maize', '20123')?.node.id).toBe('maize-planting');
    expect(registry.bySmsKeyword('MAHINDI tafadhali', '20123')?.node.id).toBe('maize-planting');
    expect(registry.bySmsKeyword(' Muhogo ', '20123')?.node.id).toBe('cassava-planting');
    expect(registry.bySmsKeyword('BEANS', '20999')).toBeNull();
    expect(registry.bySmsKeyword('POTATO', '20123')).toBeNull();
  });

  it('finds a flow by IVR number whatever the number format', () => {
    const { flows } = loadFlows('test/fixtures/flows/valid');
    const registry = new FlowRegistry(flows);
    expect(registry.byIvrNumber('254700000500')?.id).toBe('mini');
    expect(registry.byIvrNumber('+254700000500')?.id).toBe('mini');
    expect(registry.byIvrNumber('+254700000501')).toBeUndefined();
    expect(registry.bySmsKeyword('kidokezo', '99999')?.node.id).toBe('tip');
  });
});
