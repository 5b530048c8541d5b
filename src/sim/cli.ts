import { clearLine, createInterface, cursorTo, type Interface } from 'node:readline';
import { parseMoLine, tailLines } from './mo-input';
import { OptionReader, parseOptions, type UsageErrorCtor } from './options';
import { SmscSimulator } from './smsc-sim';
import { VoiceSimulator, type CallerAction } from './voice-sim';

type Out = (line: string) => void;

/** Runs `stop` then exits 0 on SIGINT/SIGTERM (or Ctrl-C at a readline prompt). */
export function stopOnSignal(stop: () => Promise<void>, rl?: Interface): void {
  let stopping = false;
  const onSignal = () => {
    if (stopping) return;
    stopping = true;
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    stop().then(
      () => process.exit(0),
      (e: unknown) => {
        console.error(`stopping failed: ${(e as Error).message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  rl?.on('SIGINT', onSignal);
}

/** A prompt on standard input; lines go to `onLine`. End of input leaves the simulator running. */
export function prompt(text: string, onLine: (line: string) => void | Promise<void>): Interface {
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: Boolean(process.stdin.isTTY) });
  rl.setPrompt(text);
  rl.on('line', (line) => {
    void Promise.resolve(onLine(line)).finally(() => rl.prompt());
  });
  if (process.stdin.isTTY) rl.prompt();
  return rl;
}

/**
 * Wraps `out` so a line printed while a person is typing at the prompt does not break their line: the
 * prompt is cleared, the line printed, and the prompt shown again with what was typed so far.
 */
export function aboveThePrompt(out: Out, rl: () => Interface | null): Out {
  return (line) => {
    const r = rl();
    if (!r || !process.stdout.isTTY) return out(line);
    cursorTo(process.stdout, 0);
    clearLine(process.stdout, 0);
    out(line);
    r.prompt(true);
  };
}

/** `vasgw smsc-sim`: an SMPP SMSC on this machine for the gateway to bind to. */
export async function runSmscSim(args: string[], plainOut: Out, UsageError: UsageErrorCtor): Promise<number> {
  let rl: Interface | null = null;
  const out = aboveThePrompt(plainOut, () => rl);
  const { values, positionals } = parseOptions(
    args,
    {
      host: { type: 'string' },
      port: { type: 'string' },
      'system-id': { type: 'string' },
      password: { type: 'string' },
      'dlr-delay-ms': { type: 'string' },
      'fail-share': { type: 'string' },
      'mo-file': { type: 'string' },
    },
    UsageError,
  );
  if (positionals.length) throw new UsageError(`smsc-sim takes no arguments besides options; "${positionals[0]}" is not one.`);
  const r = new OptionReader(UsageError);
  const sim = new SmscSimulator({
    host: r.host(values.host),
    port: r.port('port', values.port, 2775),
    systemId: r.text('system-id', values['system-id'], 'vasgw', 15),
    password: r.text('password', values.password, 'secret', 8),
    dlrDelayMs: r.int('dlr-delay-ms', values['dlr-delay-ms'], 1000, 0, 86_400_000),
    failShare: r.share('fail-share', values['fail-share'], 0),
    out,
  });
  const moFile = r.file('mo-file', values['mo-file']);
  try {
    await sim.start();
  } catch (e) {
    throw new UsageError(`cannot listen on ${values.host ?? '127.0.0.1'}:${values.port ?? 2775}: ${(e as Error).message}`);
  }
  out(`smsc-sim listening on ${values.host ?? '127.0.0.1'}:${sim.port} (system id ${values['system-id'] ?? 'vasgw'}); type an MO as FROM TO TEXT`);
  const stopTail = moFile
    ? tailLines(moFile, (line, n) => {
        const mo = parseMoLine(line);
        if (mo === null) return;
        if ('error' in mo) out(`${moFile}:${n}: ${mo.error}`);
        else sim.sendMo(mo.from, mo.to, mo.text);
      })
    : () => {};
  rl = prompt('MO> ', (line) => {
    const mo = parseMoLine(line);
    if (mo === null) return;
    if ('error' in mo) out(mo.error);
    else sim.sendMo(mo.from, mo.to, mo.text);
  });
  const typed = rl;
  stopOnSignal(async () => {
    stopTail();
    typed.close();
    await sim.stop();
  }, typed);
  return -1;
}

/** `vasgw voice-sim`: Africa's Talking voice on this machine, driving the gateway's voice callbacks. */
export async function runVoiceSim(args: string[], out: Out, UsageError: UsageErrorCtor): Promise<number> {
  const { values, positionals } = parseOptions(
    args,
    {
      host: { type: 'string' },
      port: { type: 'string' },
      gateway: { type: 'string' },
      'api-key': { type: 'string' },
      secret: { type: 'string' },
      'answer-share': { type: 'string' },
      keys: { type: 'string' },
      call: { type: 'string' },
    },
    UsageError,
  );
  const r = new OptionReader(UsageError);
  let inbound: { from: string; to: string } | null = null;
  if (values.call !== undefined) {
    if (positionals.length !== 1) throw new UsageError('--call needs two numbers: --call FROM TO (TO is a number a flow answers, e.g. +254711082000).');
    inbound = { from: values.call, to: positionals[0]! };
    for (const n of [inbound.from, inbound.to]) if (!/^\+?\d{3,15}$/.test(n)) throw new UsageError(`"${n}" is not a phone number (digits, optionally with a leading +).`);
  } else if (positionals.length) throw new UsageError(`voice-sim takes no arguments besides options; "${positionals[0]}" is not one.`);
  const keys = r.keys(values.keys);
  const interactive = Boolean(process.stdin.isTTY);
  let rl: Interface | null = null;
  const ask = (): Promise<CallerAction> =>
    new Promise((resolve) => {
      if (!rl) return resolve('hangup');
      rl.question('keys (Enter: press nothing, h: hang up)> ', (answer) => {
        const a = answer.trim();
        if (a === 'h' || a === 'hangup') resolve('hangup');
        else if (a === '') resolve('nothing');
        else if (/^[0-9*#]+$/.test(a)) resolve({ press: a });
        else {
          out('keys are 0-9, * and #; hanging up');
          resolve('hangup');
        }
      });
    });
  const sim = new VoiceSimulator({
    host: r.host(values.host),
    port: r.port('port', values.port, inbound ? 0 : 8090),
    gatewayUrl: r.url('gateway', values.gateway, 'http://127.0.0.1:3000'),
    apiKey: values['api-key'] ?? null,
    secret: values.secret ?? null,
    answerShare: r.share('answer-share', values['answer-share'], 1),
    keys,
    ...(interactive ? { ask } : {}),
    out,
  });
  if (interactive) rl = createInterface({ input: process.stdin, output: process.stdout, terminal: true });
  if (inbound) {
    const call = await sim.callIn(inbound.from, inbound.to);
    rl?.close();
    const ok = call.statuses.length > 0 && call.statuses.every((s) => s === 200);
    return ok ? 0 : 1;
  }
  try {
    await sim.start();
  } catch (e) {
    throw new UsageError(`cannot listen on ${values.host ?? '127.0.0.1'}:${values.port ?? 8090}: ${(e as Error).message}`);
  }
  out(`voice-sim listening on http://${values.host ?? '127.0.0.1'}:${sim.port} (set ivr.africastalking.baseUrl to it); callbacks go to ${values.gateway ?? 'http://127.0.0.1:3000'}`);
  stopOnSignal(async () => {
    rl?.close();
    await sim.stop();
  }, rl ?? undefined);
  return -1;
}
