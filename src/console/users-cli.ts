import { parseArgs } from 'node:util';
import { loadConfig } from '../config';
import { PostgresUnavailableError } from '../db/postgres/migrate';
import { openStorage, type Storage } from '../db/storage';
import { systemClock } from '../lib/clock';
import { AppError } from '../lib/errors';
import { ConsoleAccounts } from './auth/accounts';
import { asLang } from './i18n';

type Out = (line: string) => void;

/** Reads a password: the first line of standard input when it is not a terminal, else typed twice without echo. */
async function readPassword(err: Out): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) {
    let text = '';
    for await (const chunk of stdin) text += String(chunk);
    return (text.split(/\r?\n/)[0] ?? '').trimEnd();
  }
  const ask = (prompt: string) =>
    new Promise<string>((resolve) => {
      process.stderr.write(prompt);
      let typed = '';
      stdin.setRawMode(true);
      stdin.resume();
      const onData = (buf: Buffer) => {
        for (const ch of buf.toString('utf8')) {
          if (ch === '\r' || ch === '\n' || ch === '\u0004') {
            stdin.setRawMode(false);
            stdin.pause();
            stdin.off('data', onData);
            process.stderr.write('\n');
            return resolve(typed);
          }
          if (ch === '\u0003') process.exit(130);
          typed = ch === '\u007f' ? typed.slice(0, -1) : typed + ch;
        }
      };
      stdin.on('data', onData);
    });
  const first = await ask('Password (at least 10 characters): ');
  const again = await ask('The same password again: ');
  if (first !== again) {
    err('vasgw users add: the two passwords differ; nothing was saved.');
    return '';
  }
  return first;
}

/** `vasgw users add NAME --role ROLE [--language en|sw]` and `vasgw users list`. */
export async function runUsers(args: string[], out: Out, err: Out, UsageError: new (m: string) => Error): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, options: { role: { type: 'string' }, language: { type: 'string' }, config: { type: 'string' } }, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const [sub, name, ...extra] = parsed.positionals;
  if ((sub !== 'add' && sub !== 'list') || (sub === 'add' && (!name || extra.length > 0)) || (sub === 'list' && name)) {
    throw new UsageError('usage: vasgw users add NAME --role viewer|editor|admin [--language en|sw] | vasgw users list');
  }
  if (sub === 'add' && !parsed.values.role) throw new UsageError('vasgw users add needs --role viewer, editor or admin.');
  if (parsed.values.language !== undefined && parsed.values.language !== 'en' && parsed.values.language !== 'sw') throw new UsageError('--language is en or sw.');
  const config = loadConfig({ file: parsed.values.config });
  // SQLite or PostgreSQL (DATABASE_URL), migrated; each unit is durable before the command answers.
  let storage: Storage;
  try {
    storage = await openStorage(config);
  } catch (e) {
    if (!(e instanceof PostgresUnavailableError)) throw e;
    err(`vasgw users ${sub}: ${e.message}. Nothing was saved.`);
    return 1;
  }
  try {
    const accounts = new ConsoleAccounts(storage, systemClock, config.console);
    if (sub === 'list') {
      for (const a of await accounts.accounts.all()) out(`${a.name}\t${a.role}\t${a.language}${a.disabled ? '\tdisabled' : ''}`);
      return 0;
    }
    const password = await readPassword(err);
    if (!password) {
      err('vasgw users add: no password given (type it at the prompt or pipe it on standard input); nothing was saved.');
      return 1;
    }
    const account = await accounts.add(name as string, parsed.values.role as string, password, asLang(parsed.values.language), '(command line)');
    out(`account ${account.name} (${account.role}) created; log in at /console`);
    return 0;
  } catch (e) {
    if (e instanceof AppError) {
      err(`vasgw users add: ${e.message} Nothing was saved.`);
      return 1;
    }
    throw e;
  } finally {
    await storage.close();
  }
}
