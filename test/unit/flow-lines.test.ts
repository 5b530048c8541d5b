import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { lineOf, nodeLines } from '../../src/engine/flow-lines';

const FLOW = `# a comment
id: demo
languages: [en]
start: main
nodes:
  main:
    type: menu
    text: { en: "Hello" }
    options:
      - { label: &l { en: "Tips" }, next: "tips" }

  "tips":
    type: content
    text: { en: "Water early." }
`;

describe('flow file lines of nodes', () => {
  it('gives the line of each node key under nodes:, quoted or not', () => {
    expect(Object.fromEntries(nodeLines(FLOW))).toEqual({ main: 6, tips: 12 });
    expect(nodeLines('not: [a flow').size).toBe(0);
  });

  it('reads the file, follows an edit, and answers null for an unknown file or node', () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'vasgw-lines-')), 'demo.yaml');
    writeFileSync(file, FLOW);
    expect(lineOf(file, 'tips')).toBe(12);
    expect(lineOf(file, 'nope')).toBeNull();
    writeFileSync(file, `# one more line on top\n${FLOW}`);
    expect(lineOf(file, 'tips')).toBe(13);
    expect(lineOf(path.join(path.dirname(file), 'missing.yaml'), 'tips')).toBeNull();
  });
});
