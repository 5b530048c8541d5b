import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { start, step } from '../engine/engine';
import { errorsOf, formatProblem, loadFlows } from '../engine/flow-loader';
import { FlowRegistry } from '../engine/flow-registry';
import { isGsm7, septets, ucs2Limit } from '../engine/gsm';
import type { Effect, Screen, StepContext } from '../engine/types';
import { normalizeMsisdn } from '../lib/msisdn';

/**
 * `vasgw simulate ussd`: a content writer talks to a flow in the terminal exactly as a handset shows it.
 * The engine runs directly with in-memory state (no database, no gateway); effects that the gateway would
 * apply (profile, subscription, SMS, poll answer) are listed under the screen.
 */
export interface SimulateUssdOptions {
  msisdn: string;
  code: string;
  flowsDir: string;
  input: Readable;
  output: Writable;
  /** The subscriber's stored language; without it a first-time subscriber is asked. */
  language?: string;
  /** Characters per screen (config ussd.maxChars); default 182. */
  maxChars?: number;
  /** Invalid tries in a row before the session ends; default 3. */
  maxInvalid?: number;
  /** Country calling code for national numbers; default 254. */
  countryCode?: string;
}

/** Handset-like width: long lines wrap at word boundaries, as a phone's screen does. */
const WIDTH = 32;

function wrap(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (const word of line.split(' ')) {
    if (cur && (cur + ' ' + word).length > WIDTH) {
      out.push(cur);
      cur = word;
    } else cur = cur ? `${cur} ${word}` : word;
    while (cur.length > WIDTH) {
      out.push(cur.slice(0, WIDTH));
      cur = cur.slice(WIDTH);
    }
  }
  out.push(cur);
  return out;
}

/** The screen in a box, with what the operator would see: CON/END and the length against the limit. */
export function frameScreen(screen: Screen, maxChars: number): string[] {
  const lines = screen.text.split('\n').flatMap(wrap);
  const gsm = isGsm7(screen.text);
  const len = gsm ? septets(screen.text) : screen.text.length;
  const limit = gsm ? maxChars : ucs2Limit(maxChars);
  const info = ` ${screen.end ? 'END' : 'CON'} ${len}/${limit}${gsm ? '' : ' UCS-2'} `;
  const bar = '─'.repeat(WIDTH + 2);
  return [
    `┌${bar}┐`,
    ...lines.map((l) => `│ ${l.padEnd(WIDTH)} │`),
    `└${bar.slice(0, WIDTH + 2 - info.length - 1)}${info}─┘`,
  ];
}

function describe(e: Effect, msisdn: string): string {
  switch (e.kind) {
    case 'set_profile':
      return `saves ${e.field} = ${e.value}`;
    case 'subscribe':
      return `subscription request: ${e.service}`;
    case 'unsubscribe':
      return `unsubscription request: ${e.service}`;
    case 'send_sms':
      return `SMS to ${msisdn}: ${e.text}`;
    case 'poll_answer':
      return `poll ${e.poll}: answer ${e.answer + 1}`;
  }
}

/** Runs the simulation until an END screen or the end of input; returns the exit code. */
export async function runSimulateUssd(opts: SimulateUssdOptions): Promise<number> {
  const write = (line: string) => opts.output.write(`${line}\n`);
  const maxChars = opts.maxChars ?? 182;
  const msisdn = normalizeMsisdn(opts.msisdn, opts.countryCode ?? '254');
  if (!msisdn) {
    write(`error: --msisdn "${opts.msisdn}" is not a phone number (use +2547..., 2547... or 07...)`);
    return 2;
  }
  const { flows, problems: all } = loadFlows(opts.flowsDir, { maxChars });
  const problems = errorsOf(all);
  if (problems.length) {
    for (const p of problems) write(formatProblem(p));
    write('error: fix the flows first (vasgw flows check)');
    return 1;
  }
  const registry = new FlowRegistry(flows);
  const hit = registry.byUssd(opts.code);
  if (!hit) {
    const codes = flows.flatMap((f) => f.entry.ussd);
    write(`error: no flow answers ${opts.code} (codes: ${codes.length ? codes.join(', ') : 'none'})`);
    return 1;
  }
  const { flow, shortcut } = hit;
  if (opts.language && !flow.languages.includes(opts.language)) {
    write(`note: flow ${flow.id} has no "${opts.language}"; it answers in ${flow.defaultLanguage}`);
  }
  const ctx: StepContext = { language: opts.language ?? null, maxChars, maxInvalid: opts.maxInvalid ?? 3 };
  write(`${msisdn} dials ${opts.code} (flow ${flow.id}). Type a reply and press Enter; end of input hangs up.`);

  const rl = createInterface({ input: opts.input, crlfDelay: Infinity, terminal: false });
  const lines = rl[Symbol.asyncIterator]();
  const echo = !(opts.input as Readable & { isTTY?: boolean }).isTTY;
  let r = start(flow, ctx, { shortcut });
  try {
    for (;;) {
      for (const l of frameScreen(r.screen, maxChars)) write(l);
      for (const e of r.effects) write(`  * ${describe(e, msisdn)}`);
      if (r.screen.end) {
        write(`(session ended: ${r.end ?? 'completed'})`);
        return 0;
      }
      opts.output.write('> ');
      const next = await lines.next();
      if (next.done) {
        write('');
        write('(hung up)');
        return 0;
      }
      if (echo) write(next.value);
      r = step(flow, r.state, next.value, ctx);
    }
  } finally {
    rl.close();
  }
}
