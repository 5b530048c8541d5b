import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { isAlias, LineCounter, parseDocument, visit } from 'yaml';
import { Value } from '@sinclair/typebox/value';
import type { Static } from '@sinclair/typebox';
import { ConfigError } from '../lib/errors';
import { contextWarnings } from './flow-context';
import { nodeLines } from './flow-lines';
import { FlowFileSchema, NODE_SCHEMAS, NODE_TYPES } from './flow-schema';
import { validateFlow, type ValidateOptions } from './flow-validator';
import { normalizeUssdCode } from './shortcuts';
import { NATIVE_LANGUAGE_NAMES } from './system-messages';
import type { Flow, FlowNode, FlowProblem } from './types';

/**
 * Reading flow files: YAML syntax, the schema, then the semantic checks of validateFlow, then conflicts
 * between files. Never throws on a bad file: every problem is returned with its file and node.
 */

type FlowFile = Static<typeof FlowFileSchema>;

/**
 * One problem as `vasgw flows check` prints it: `FILE: node ID: message` or `FILE: message`; a warning
 * says so and names the node's line: `FILE: node ID: warning (line N): message`.
 */
export function formatProblem(p: FlowProblem): string {
  const message = p.warning ? `warning${p.line ? ` (line ${p.line})` : ''}: ${p.message}` : p.message;
  return p.nodeId ? `${p.file}: node ${p.nodeId}: ${message}` : `${p.file}: ${message}`;
}

/** Problems that fail a check or stop the gateway (warnings do not). */
export const errorsOf = (problems: readonly FlowProblem[]): FlowProblem[] => problems.filter((p) => !p.warning);

function schemaProblems(schema: Parameters<typeof Value.Errors>[0], value: unknown): string[] {
  const out: string[] = [];
  const paths = new Set<string>();
  for (const e of Value.Errors(schema, value)) {
    // One message per place: TypeBox reports a missing key both as missing and as the wrong type.
    if (paths.has(e.path)) continue;
    paths.add(e.path);
    const where = e.path.replace(/^\//, '').replace(/\//g, '.');
    let msg = e.message.charAt(0).toLowerCase() + e.message.slice(1);
    if (msg === 'unexpected property') msg = 'unknown key (misspelt?)';
    else if (msg === 'expected required property') msg = 'is required';
    else if (e.schema.pattern && typeof e.value === 'string') msg = `"${e.value}" does not match ${e.schema.pattern}`;
    out.push(where ? `${where}: ${msg}` : msg);
  }
  return out;
}

/** Parses one flow file's text; `flow` is null when the file is not structurally a flow. */
export function parseFlow(source: string, file: string, opts: ValidateOptions = {}): { flow: Flow | null; problems: FlowProblem[] } {
  const problems: FlowProblem[] = [];
  const add = (nodeId: string | null, message: string) => problems.push({ file, nodeId, message });
  const lineCounter = new LineCounter();
  const doc = parseDocument(source, { prettyErrors: false, uniqueKeys: true, lineCounter });
  for (const err of doc.errors) {
    const pos = err.linePos?.[0];
    const msg = err.message.split('\n')[0]!.replace(/ at line \d+, column \d+.*$/, '');
    add(null, pos ? `YAML error at line ${pos.line}, column ${pos.col}: ${msg}` : `YAML error: ${msg}`);
  }
  if (problems.length) return { flow: null, problems };
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    // An unquoted USSD code (`*384*1#`) reads as a YAML alias: say where, and what to do.
    let where = '';
    visit(doc, {
      Alias(_, node) {
        if (!where && isAlias(node) && node.resolve(doc) === undefined && node.range) {
          const pos = lineCounter.linePos(node.range[0]);
          where = ` at line ${pos.line}, column ${pos.col}`;
        }
      },
    });
    const hint = where ? ' (quote values that start with *, such as "*384*1#")' : '';
    add(null, `YAML error${where}: ${(e as Error).message.split('\n')[0]}${hint}`);
    return { flow: null, problems };
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    add(null, 'not a flow: expected a mapping with id, languages, start and nodes');
    return { flow: null, problems };
  }
  for (const m of schemaProblems(FlowFileSchema, raw)) add(null, m);
  if (problems.length) return { flow: null, problems };
  const top = raw as FlowFile;

  const nodes: Record<string, FlowNode> = {};
  for (const [id, value] of Object.entries(top.nodes)) {
    const type = (value as { type?: unknown } | null)?.type;
    if (typeof type !== 'string' || !NODE_TYPES.includes(type)) {
      add(id, `type must be one of ${NODE_TYPES.join(', ')}${type === undefined ? '' : ` (got ${JSON.stringify(type)})`}`);
      continue;
    }
    const errs = schemaProblems(NODE_SCHEMAS[type]!, value);
    for (const m of errs) add(id, m);
    if (errs.length) continue;
    const node = { ...(value as FlowNode), id };
    if (node.type === 'input' && node.choices) node.choices = node.choices.map((c) => ({ ...c, value: String(c.value) }));
    nodes[id] = node;
  }
  if (problems.length) return { flow: null, problems };

  const languageNames: Record<string, string> = {};
  for (const l of top.languages) {
    const name = top.languageNames?.[l] ?? NATIVE_LANGUAGE_NAMES[l];
    if (name) languageNames[l] = name;
  }
  const flow: Flow = {
    id: top.id,
    file,
    languages: top.languages,
    defaultLanguage: top.defaultLanguage ?? top.languages[0]!,
    languageNames: { ...top.languageNames, ...languageNames },
    entry: {
      ussd: (top.entry?.ussd ?? []).map((c) => c.trim()),
      ivr: (top.entry?.ivr ?? []).map((n) => n.trim()),
      sms: (top.entry?.sms ?? []).map((s) =>
        s.shortCode === undefined ? { keyword: s.keyword, node: s.node } : { keyword: s.keyword, node: s.node, shortCode: String(s.shortCode) },
      ),
    },
    start: top.start,
    messages: top.messages ?? {},
    nodes,
  };
  if (top.title) flow.title = top.title;
  problems.push(...validateFlow(flow, opts));
  const warnings = contextWarnings(flow, opts.knownContext);
  if (warnings.length) {
    const lines = nodeLines(source);
    for (const w of warnings) {
      const line = w.nodeId ? lines.get(w.nodeId) : undefined;
      problems.push(line ? { ...w, line } : w);
    }
  }
  return { flow, problems };
}

/** Reads and validates one flow file. */
export function loadFlowFile(file: string, opts: ValidateOptions = {}): { flow: Flow | null; problems: FlowProblem[] } {
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch (e) {
    return { flow: null, problems: [{ file, nodeId: null, message: `cannot read file: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` }] };
  }
  return parseFlow(source, file, opts);
}

/** Entry points two flows cannot share; each key maps to a human description. */
function entryKeys(flow: Flow): [string, string][] {
  const keys: [string, string][] = [[`id:${flow.id}`, `flow id "${flow.id}"`]];
  for (const c of flow.entry.ussd) keys.push([`ussd:${normalizeUssdCode(c)}`, `USSD code "${c}"`]);
  for (const n of flow.entry.ivr) keys.push([`ivr:${n.replace(/\D/g, '')}`, `IVR number "${n}"`]);
  for (const s of flow.entry.sms) {
    keys.push([`sms:${s.keyword.toUpperCase()}@${s.shortCode ?? '*'}`, `SMS keyword "${s.keyword}"${s.shortCode ? ` on ${s.shortCode}` : ''}`]);
  }
  return keys;
}

/**
 * Loads every `*.yaml`/`*.yml` file of `dir` (sorted by name). `flows` holds only the flows without
 * problems; `problems` lists everything wrong, including ids and entry points claimed by two files.
 */
export function loadFlows(dir: string, opts: ValidateOptions = {}): { flows: Flow[]; problems: FlowProblem[] } {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => /\.ya?ml$/i.test(n)).sort();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such directory' : code === 'ENOTDIR' ? 'not a directory' : (code ?? (e as Error).message);
    return { flows: [], problems: [{ file: dir, nodeId: null, message: `cannot read the flows directory: ${why}` }] };
  }
  const flows: Flow[] = [];
  const problems: FlowProblem[] = [];
  const owners = new Map<string, string>();
  for (const name of names) {
    const r = loadFlowFile(path.join(dir, name), opts);
    problems.push(...r.problems);
    if (!r.flow) continue;
    let clash = false;
    for (const [key, what] of entryKeys(r.flow)) {
      const owner = owners.get(key);
      if (owner && owner !== r.flow.file) {
        problems.push({ file: r.flow.file, nodeId: null, message: `${what} is already used by ${owner}` });
        clash = true;
      } else owners.set(key, r.flow.file);
    }
    if (!clash && errorsOf(r.problems).length === 0) flows.push(r.flow);
  }
  // An SMS keyword without a short code answers on every short code: it clashes with any same keyword.
  const anyCode = new Map<string, string>();
  for (const f of flows) for (const s of f.entry.sms) if (!s.shortCode) anyCode.set(s.keyword.toUpperCase(), f.file);
  for (const f of flows) {
    for (const s of f.entry.sms) {
      const other = anyCode.get(s.keyword.toUpperCase());
      if (s.shortCode && other && other !== f.file) {
        problems.push({ file: f.file, nodeId: null, message: `SMS keyword "${s.keyword}" is already used on every short code by ${other}` });
      }
    }
  }
  return { flows: flows.filter((f) => !problems.some((p) => p.file === f.file && !p.warning)), problems };
}

/**
 * Loads the flows or throws a ConfigError listing every error (the server refuses to start on them);
 * warnings go to `warn` when given.
 */
export function loadFlowsOrThrow(dir: string, opts: ValidateOptions = {}, warn?: (line: string) => void): Flow[] {
  const { flows, problems: all } = loadFlows(dir, opts);
  if (warn) for (const p of all) if (p.warning) warn(formatProblem(p));
  const problems = errorsOf(all);
  if (problems.length) {
    const lines = problems.map(formatProblem);
    throw new ConfigError(`invalid flows (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${lines.join('\n')}`);
  }
  return flows;
}
