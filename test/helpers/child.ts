import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const VASGW = fileURLToPath(new URL('../../src/vasgw.mjs', import.meta.url));

/** A `vasgw` command in its own process, with its output collected and lines waited for. */
export class VasgwProcess {
  stdout = '';
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly child: ChildProcessWithoutNullStreams;

  /** `env` is added to this process's environment (e.g. DATABASE_URL for one command). */
  constructor(args: string[], env: NodeJS.ProcessEnv = {}) {
    this.child = spawn(process.execPath, [VASGW, ...args], { cwd: ROOT, env: { ...process.env, LOG_LEVEL: 'warn', ...env } });
    this.child.stdout.on('data', (d: Buffer) => (this.stdout += d.toString('utf8')));
    this.child.stderr.on('data', (d: Buffer) => (this.stderr += d.toString('utf8')));
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => resolve({ code, signal })));
  }

  /** Resolves with the first match of `re` in standard output (bounded wait). */
  async waitFor(re: RegExp, timeoutMs = 20_000): Promise<RegExpMatchArray> {
    const end = performance.now() + timeoutMs;
    for (;;) {
      const m = this.stdout.match(re);
      if (m) return m;
      if (this.child.exitCode !== null) throw new Error(`vasgw exited (${this.child.exitCode}) before printing ${re}: ${this.stdout.slice(-2000)} ${this.stderr.slice(-2000)}`);
      if (performance.now() > end) throw new Error(`timed out waiting for ${re}; output so far:\n${this.stdout.slice(-3000)}\n${this.stderr.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** Kills it if still running (test clean-up). */
  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }

  /** The same as `kill`, so `stopAfterEach` can end it with the gateway and the fakes. */
  stop(): void {
    this.kill();
  }
}

/** Runs a command to its end. */
export async function runVasgw(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const p = new VasgwProcess(args, env);
  p.child.stdin.end();
  const { code } = await p.exited;
  return { code, stdout: p.stdout, stderr: p.stderr };
}
