import { describe, expect, it } from 'vitest';
import { parseFlow } from '../../src/engine/flow-loader';
import { start, step } from '../../src/engine/engine';
import { septets } from '../../src/engine/gsm';
import type { Flow, StepContext, StepResult } from '../../src/engine/types';

const ctx: StepContext = { language: 'en', maxChars: 182, maxInvalid: 3 };

/** A one-language flow whose start node is `start` (no navigation footer on the root). */
function flowOf(nodesYaml: string): Flow {
  const src = `id: paging\nlanguages: [en]\nstart: start\nnodes:\n${nodesYaml}`;
  const { flow, problems } = parseFlow(src, 'paging.yaml');
  expect(problems).toEqual([]);
  return flow!;
}

const words = (n: number, w = 'soil') => Array.from({ length: n }, () => w).join(' ');
const content = (text: string) => `  start:\n    type: content\n    text: { en: ${JSON.stringify(text)} }\n`;

/** Every page of the current screen, pressing 98 until the last. */
function allPages(flow: Flow, first: StepResult, c = ctx): StepResult[] {
  const pages = [first];
  for (let i = 0; i < 20 && pages[pages.length - 1]!.screen.nav.more; i++) {
    pages.push(step(flow, pages[pages.length - 1]!.state, '98', c));
  }
  return pages;
}

const bodyWords = (text: string) =>
  text
    .split('\n')
    .filter((l) => !/^98\. More$/.test(l) && l !== 'Invalid choice.')
    .join(' ')
    .split(' ')
    .filter(Boolean);

describe('paging at the GSM-7 limit', () => {
  it('keeps a screen of exactly 182 characters on one page', () => {
    const text = `${words(36)} ab`; // 36*5 - 1 + 3 = 182
    expect(septets(text)).toBe(182);
    const r = start(flowOf(content(text)), ctx);
    expect(r.screen.text).toBe(text);
    expect(r.screen.nav.more).toBe(false);
  });

  it('pages a screen of 183 characters at a word boundary, with 98. More and nothing lost', () => {
    const text = `${words(36)} abc`;
    expect(septets(text)).toBe(183);
    const flow = flowOf(content(text));
    const pages = allPages(flow, start(flow, ctx));
    expect(pages).toHaveLength(2);
    expect(pages[0]!.screen.text.endsWith('\n98. More')).toBe(true);
    for (const p of pages) expect(septets(p.screen.text)).toBeLessThanOrEqual(182);
    expect(pages.flatMap((p) => bodyWords(p.screen.text))).toEqual(text.split(' '));
    expect(pages[1]!.events).toEqual([
      { type: 'more', nodeId: 'start', detail: { page: 2 } },
      { type: 'content', nodeId: 'start', detail: { page: 2 } },
    ]);
  });

  it('counts GSM extension characters (€ [ ] { } ~ ^ | \\) as two', () => {
    const text = `${words(35)} €€€€€€€€`; // 175 + 16 = 191 septets, 183 characters
    const flow = flowOf(content(text));
    const r = start(flow, ctx);
    expect(r.screen.nav.more).toBe(true);
    for (const p of allPages(flow, r)) expect(septets(p.screen.text)).toBeLessThanOrEqual(182);
  });

  it('keeps option numbers global across pages and accepts any of them from any page', () => {
    const opts = Array.from({ length: 14 }, (_, i) => `      - { label: { en: "Choice number ${i + 1} here" }, next: leaf }`).join('\n');
    const flow = flowOf(
      `  start:\n    type: menu\n    text: { en: "Pick one" }\n    options:\n${opts}\n  leaf:\n    type: content\n    text: { en: "Leaf" }\n`,
    );
    const first = start(flow, ctx);
    const pages = allPages(flow, first);
    expect(pages.length).toBeGreaterThan(1);
    const shown = pages.flatMap((p) => p.screen.text.split('\n').filter((l) => /^\d+\. Choice/.test(l)));
    expect(shown.map((l) => l.split('.')[0])).toEqual(Array.from({ length: 14 }, (_, i) => String(i + 1)));
    expect(pages[1]!.screen.text.split('\n')[0]).toMatch(/^\d+\. Choice number \d+ here$/);
    const picked = step(flow, first.state, '14', ctx);
    expect(picked.screen.nodeId).toBe('leaf');
    expect(first.screen.options).toHaveLength(14);
  });

  it('treats 98 on the last page as invalid', () => {
    const flow = flowOf(content('Short text.'));
    const r = step(flow, start(flow, ctx).state, '98', ctx);
    expect(r.screen.notice).toBe('Invalid choice.');
    expect(r.events.map((e) => e.type)).toEqual(['input_invalid']);
  });

  it('shows the whole screen on one page when there is no limit (voice)', () => {
    const text = words(100);
    const r = start(flowOf(content(text)), { ...ctx, maxChars: Infinity });
    expect(r.screen.text).toBe(text);
    expect(r.screen.nav.more).toBe(false);
  });

  it('respects a smaller configured limit (160)', () => {
    const flow = flowOf(content(words(60)));
    for (const p of allPages(flow, start(flow, { ...ctx, maxChars: 160 }), { ...ctx, maxChars: 160 })) {
      expect(septets(p.screen.text)).toBeLessThanOrEqual(160);
    }
  });
});

describe('paging at the UCS-2 limit', () => {
  it('pages text that needs UCS-2 within 80 characters per page, never mid-word', () => {
    const text = `“Quoted” advice: ${words(30, 'mbegu')}`; // curly quotes are not GSM-7
    const flow = flowOf(content(text));
    const pages = allPages(flow, start(flow, ctx));
    expect(pages.length).toBeGreaterThan(2);
    for (const p of pages) expect(p.screen.text.length).toBeLessThanOrEqual(80);
    expect(pages.flatMap((p) => bodyWords(p.screen.text))).toEqual(text.split(' '));
  });

  it('counts an emoji as two UCS-2 units', () => {
    const text = `Karibu 🌽 ${words(14, 'shamba')}`; // 7 + 1 + 2 + 1 + 14*7-1 = 108 units
    const flow = flowOf(content(text));
    for (const p of allPages(flow, start(flow, ctx))) expect(p.screen.text.length).toBeLessThanOrEqual(80);
  });
});

describe('the invalid notice on a full page', () => {
  it('still fits the limit and loses nothing', () => {
    const text = `${words(36)} ab`; // exactly 182: no room left for the notice
    const flow = flowOf(content(text));
    const bad = step(flow, start(flow, ctx).state, 'x', ctx);
    expect(bad.screen.text.startsWith('Invalid choice.\n')).toBe(true);
    expect(septets(bad.screen.text)).toBeLessThanOrEqual(182);
    const pages = allPages(flow, bad);
    for (const p of pages) expect(septets(p.screen.text)).toBeLessThanOrEqual(182);
    expect(pages.flatMap((p) => bodyWords(p.screen.text))).toEqual(text.split(' '));
  });

  it('shows the notice above the same page when it fits', () => {
    const flow = flowOf(content(words(60)));
    const second = step(flow, start(flow, ctx).state, '98', ctx);
    const bad = step(flow, second.state, '7', ctx);
    expect(bad.screen.text).toBe(`Invalid choice.\n${second.screen.text}`);
  });
});
