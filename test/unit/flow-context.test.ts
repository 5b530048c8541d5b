import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { effectiveContexts } from '../../src/engine/flow-context';
import { formatProblem, parseFlow } from '../../src/engine/flow-loader';
import { runVasgw } from '../helpers/child';

// A menu for the long rains whose child advice is for September: it can never be in context.
const PLANTED = [
  'id: ctx',
  'languages: [en]',
  'entry: { ussd: ["*501#"] }',
  'start: main',
  'nodes:',
  '  main:',
  '    type: menu',
  '    text: { en: Main }',
  '    context: { months: [3, 4], crops: [maize] }',
  '    options:',
  '      - { label: { en: Planting }, next: planting }',
  '      - { label: { en: Prices }, next: prices }',
  '  planting:',
  '    type: content',
  '    context: { months: [9] }',
  '    text: { en: Plant now }',
  '  prices:',
  '    type: content',
  '    context: { regions: [coast, mars] }',
  '    text: { en: Prices }',
  '',
].join('\n');

describe('advice context in flow files', () => {
  it('inherits dimensions from the menu above and lets a node override one', () => {
    const { flow } = parseFlow(PLANTED, 'ctx.yaml');
    const ctx = effectiveContexts(flow!);
    expect(ctx.get('planting')).toEqual({ months: [9], crops: ['maize'] });
    expect(ctx.get('prices')).toEqual({ months: [3, 4], crops: ['maize'], regions: ['coast', 'mars'] });
  });

  it('warns (not errors) on a child disjoint from its ancestor and on a region the profile schema does not list, with the line', () => {
    const { flow, problems } = parseFlow(PLANTED, 'ctx.yaml', { knownContext: { regions: ['coast', 'western'] } });
    expect(flow).not.toBeNull();
    expect(problems.every((p) => p.warning)).toBe(true);
    expect(problems.map(formatProblem)).toEqual([
      'ctx.yaml: node prices: warning (line 17): context regions "mars" is not a value the profile schema knows (coast, western)',
      'ctx.yaml: node planting: warning (line 13): context months [9] shares nothing with [3, 4] of "main" above it: this advice can never be in context',
    ]);
  });

  it('a month outside 1-12 is an error', () => {
    const { flow, problems } = parseFlow(PLANTED.replace('months: [9]', 'months: [13]'), 'ctx.yaml');
    expect(flow).toBeNull();
    expect(problems.map(formatProblem).join('\n')).toMatch(/ctx\.yaml: node planting: context\.months\.0: /);
  });

  it('vasgw flows check prints the warnings and still exits 0', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vasgw-ctx-'));
    writeFileSync(path.join(dir, 'ctx.yaml'), PLANTED);
    const r = await runVasgw(['flows', 'check', dir]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`${path.join(dir, 'ctx.yaml')}: node planting: warning (line 13): context months [9] shares nothing with [3, 4] of "main" above it`);
    expect(r.stdout).toMatch(/1 flow OK \(1 warning\)/);
  });
});
