import { describe, expect, it } from 'vitest';
import { runFlowsCheck } from '../../src/cli/flows-check';
import { loadFlows, loadFlowsOrThrow, parseFlow } from '../../src/engine/flow-loader';
import { validateFlow } from '../../src/engine/flow-validator';

function check(dir: string): { code: number; lines: string[] } {
  const lines: string[] = [];
  const code = runFlowsCheck(dir, (l) => lines.push(l));
  return { code, lines };
}

const F = 'test/fixtures/flows/invalid';

describe('vasgw flows check', () => {
  it('prints N flows OK and exits 0 for valid flows', () => {
    expect(check('test/fixtures/flows/valid')).toEqual({ code: 0, lines: ['1 flow OK'] });
    expect(check('flows').code).toBe(0);
  });

  it('prints one FILE: node ID: message line per problem and exits 1', () => {
    const { code, lines } = check(F);
    expect(code).toBe(1);
    expect(lines).toEqual(
      expect.arrayContaining([
        `${F}/broken.yaml: node home: option 1 leads to unknown node "nowhere"`,
        `${F}/broken.yaml: node home: option 3 label has no "sw" translation`,
        `${F}/broken.yaml: node empty: dead end: a menu needs at least one option`,
        `${F}/broken.yaml: node half: text has language "sv", which is not in languages (en, sw)`,
        `${F}/broken.yaml: node half: text has no "sw" translation`,
        `${F}/broken.yaml: node to-fr: set_language to unknown language "fr" (languages: en, sw)`,
        `${F}/broken.yaml: node join: subscribe needs a service`,
        `${F}/broken.yaml: node send: send_sms: "half" is not a content node with an sms text`,
        `${F}/broken.yaml: node orphan: unreachable: no option or next leads here from the start node "home"`,
        `${F}/schema.yaml: node home: optons: unknown key (misspelt?)`,
        `${F}/schema.yaml: node other: type must be one of menu, content, input, action, poll, end (got "video")`,
        `${F}/too-long.yaml: node long-end: final text is longer than one screen (182 characters) in en`,
      ]),
    );
    expect(lines.find((l) => l.startsWith(`${F}/too-long.yaml: node word: does not fit in 182 characters even when paged`))).toBeDefined();
    expect(lines.find((l) => l.startsWith(`${F}/syntax.yaml: YAML error at line 5, column 10:`))).toMatch(/quote/);
    for (const l of lines) expect(l).toMatch(/^test\/fixtures\/flows\/invalid\/[a-z-]+\.yaml: /);
  });

  it('names entry points and ids claimed by two files', () => {
    const d = 'test/fixtures/flows/duplicate';
    expect(check(d)).toEqual({
      code: 1,
      lines: [`${d}/b.yaml: flow id "first" is already used by ${d}/a.yaml`, `${d}/b.yaml: USSD code "*600#" is already used by ${d}/a.yaml`],
    });
    expect(loadFlows(d).flows.map((f) => f.id)).toEqual(['first']);
  });

  it('fails on a missing or empty directory', () => {
    expect(check('test/fixtures/flows/nope')).toEqual({ code: 1, lines: ['test/fixtures/flows/nope: cannot read the flows directory: no such directory'] });
    expect(check('test/fixtures/flows/valid/mini.yaml').code).toBe(1);
  });

  it('lets the server refuse to start, saying why', () => {
    expect(() => loadFlowsOrThrow(F)).toThrow(/invalid flows \(\d+ problems\):\n.*broken\.yaml: node home: option 1 leads to unknown node "nowhere"/);
  });
});

describe('validation details', () => {
  const base = (nodes: string, start = 'a') => `id: t\nlanguages: [en, sw]\nstart: ${start}\nnodes:\n${nodes}`;
  const problemsOf = (src: string, opts = {}) => parseFlow(src, 't.yaml', opts).problems.map((p) => `${p.nodeId ?? '-'}: ${p.message}`);

  it('checks services against the configured list when given', () => {
    const src = base(
      '  m: { type: menu, text: { en: "M", sw: "M" }, options: [{ label: { en: "Stop", sw: "Acha" }, next: a }] }\n' +
        '  a: { type: action, action: unsubscribe, service: weekly, text: { en: "OK", sw: "Sawa" } }\n',
      'm',
    );
    expect(problemsOf(src)).toEqual([]);
    expect(problemsOf(src, { services: ['daily'] })).toEqual(['a: unsubscribe: unknown service "weekly"']);
  });

  it('rejects an option label that cannot fit next to "98. More"', () => {
    const long = 'word '.repeat(40).trim();
    const src = base(`  a: { type: menu, text: { en: "M", sw: "M" }, options: [{ label: { en: "${long}", sw: "x" }, next: a }] }\n`);
    expect(problemsOf(src)[0]).toMatch(/^a: does not fit in 182 characters even when paged \(en\): option "1\. word word/);
  });

  it('asks for every system message in a language without built-in texts', () => {
    const src = 'id: t\nlanguages: [fr]\nstart: a\nnodes:\n  a: { type: content, text: { fr: "Salut" } }\n';
    expect(problemsOf(src)).toEqual([expect.stringMatching(/^-: no built-in system messages in "fr": add messages\.invalid\.fr, messages\.maxInvalid\.fr, /)]);
  });

  it('reports an invalid input pattern and a dead-end poll', () => {
    const src = base(
      '  a: { type: menu, text: { en: "M", sw: "M" }, options: [{ label: { en: "x", sw: "x" }, next: b }, { label: { en: "y", sw: "y" }, next: c }] }\n' +
        '  b: { type: input, field: age, pattern: "(", text: { en: "Age?", sw: "Umri?" }, next: a }\n' +
        '  c: { type: poll, poll: p, answers: [], text: { en: "Q", sw: "Q" } }\n',
    );
    const ps = problemsOf(src);
    expect(ps.some((p) => p.startsWith('b: pattern is not a valid regular expression'))).toBe(true);
    expect(ps).toContain('c: dead end: a poll needs at least one answer');
  });

  it('validateFlow on a loaded flow finds nothing new', () => {
    const { flows } = loadFlows('flows');
    for (const f of flows) expect(validateFlow(f)).toEqual([]);
  });
});
