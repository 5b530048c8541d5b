import { describe, expect, it } from 'vitest';
import { loadFlows } from '../../src/engine/flow-loader';
import { FlowRegistry } from '../../src/engine/flow-registry';
import { start, step } from '../../src/engine/engine';
import { isGsm7, septets } from '../../src/engine/gsm';
import { screenLayout, screenModel } from '../../src/engine/screens';
import type { Flow, StepContext, StepResult } from '../../src/engine/types';

// The demo flow is what operators and content teams see first: it must stay valid, short and bilingual.
let cached: Flow | undefined;
function demo(): Flow {
  if (!cached) {
    const { flows, problems } = loadFlows('flows');
    expect(problems).toEqual([]);
    cached = new FlowRegistry(flows).byUssd('*384*1#')!.flow;
  }
  return cached;
}
const ctx: StepContext = { language: 'en', maxChars: 182, maxInvalid: 3 };
function run(inputs: string[], c = ctx): StepResult {
  const flow = demo();
  let r = start(flow, c);
  for (const i of inputs) r = step(flow, r.state, i, c);
  return r;
}

describe('demo flow crop-advice', () => {
  it('answers *384*1# in English and Swahili', () => {
    const flow = demo();
    expect(flow.id).toBe('crop-advice');
    expect(flow.languages).toEqual(['en', 'sw']);
  });

  it('has the main menu the product promises', () => {
    expect(run([]).screen.options.map((o) => o.label)).toEqual(['Crop advice', 'Market prices', 'Weather tips', 'My account']);
  });

  it('has planting and pests advice for maize, beans and cassava, each with an SMS version', () => {
    const flow = demo();
    for (const crop of ['maize', 'beans', 'cassava']) {
      for (const topic of ['planting', 'pests']) {
        const node = flow.nodes[`${crop}-${topic}`];
        expect(node?.type).toBe('content');
        if (node?.type === 'content') expect(Object.keys(node.sms ?? {})).toEqual(['en', 'sw']);
      }
    }
  });

  it('keeps every SMS version to one GSM-7 message (160 characters)', () => {
    for (const node of Object.values(demo().nodes)) {
      if (node.type !== 'content') continue;
      for (const text of Object.values(node.sms ?? {})) {
        expect(isGsm7(text)).toBe(true);
        expect(septets(text), node.id).toBeLessThanOrEqual(160);
      }
    }
  });

  it('answers the SMS keywords with the planting advice', () => {
    const registry = new FlowRegistry([demo()]);
    for (const [kw, node] of [['MAIZE', 'maize-planting'], ['MAHARAGE', 'beans-planting'], ['muhogo', 'cassava-planting']]) {
      expect(registry.bySmsKeyword(kw!, '20123')?.node.id).toBe(node);
    }
  });

  it('asks the language once: the choice becomes a profile update', () => {
    const first = { ...ctx, language: null };
    const r = run(['2'], first);
    expect(r.effects).toEqual([{ kind: 'set_profile', field: 'language', value: 'sw' }]);
    expect(run([], { ...ctx, language: 'sw' }).screen.text.startsWith('Karibu Ushauri wa Mazao')).toBe(true);
  });

  it('records subscribe and unsubscribe requests for crop-daily after a confirmation', () => {
    const sub = run(['4', '2', '1']);
    expect(sub.effects).toEqual([{ kind: 'subscribe', service: 'crop-daily' }]);
    expect(sub.end).toBe('completed');
    const unsub = run(['4', '3', '1']);
    expect(unsub.effects).toEqual([{ kind: 'unsubscribe', service: 'crop-daily' }]);
    expect(run(['4', '3', '2']).screen.nodeId).toBe('account');
  });

  it('stores region and crop, and records the advice-useful poll', () => {
    expect(run(['4', '4', '3']).effects).toEqual([{ kind: 'set_profile', field: 'region', value: 'rift-valley' }]);
    expect(run(['4', '5', '1']).effects).toEqual([{ kind: 'set_profile', field: 'crop', value: 'maize' }]);
    expect(run(['4', '6', '1']).effects).toEqual([{ kind: 'poll_answer', poll: 'advice-useful', answer: 0, nodeId: 'advice-useful' }]);
  });

  it('sends the advice by SMS from an advice screen', () => {
    const r = run(['1', '3', '2', '1']);
    expect(r.effects).toEqual([{ kind: 'send_sms', node: 'cassava-pests', text: expect.stringMatching(/^CASSAVA DISEASES:/) }]);
  });

  it('fits every screen on one 182-character page in both languages', () => {
    const flow = demo();
    for (const lang of flow.languages) {
      for (const [id, node] of Object.entries(flow.nodes)) {
        if (node.type === 'end' || (node.type === 'action' && !node.next)) continue;
        const pages = screenLayout(flow, screenModel(flow, id, lang), 182, false).pages;
        expect(pages.length, `${id} (${lang})`).toBe(1);
      }
    }
  });
});
