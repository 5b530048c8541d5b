import { parseArgs } from 'node:util';
import { loadConfig } from './config';
import { migrateDb, openDb } from './db/client';
import { ConfigError } from './lib/errors';
import { closeDb } from './db/handle';

type Out = (line: string) => void;

interface Command {
  usage: string;
  summary: string;
  run(args: string[], out: Out, err: Out): Promise<number>;
}

/** Thrown for bad command-line input: printed as one sentence, exit code 2. */
export class UsageError extends Error {}

function options<T extends Record<string, { type: 'string' | 'boolean'; short?: string }>>(args: string[], spec: T) {
  try {
    return parseArgs({ args, options: spec, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

const commands: Record<string, Command> = {
  serve: {
    usage: 'vasgw serve [--config FILE]',
    summary: 'run the gateway (what `npm start` runs)',
    async run(args) {
      const { values } = options(args, { config: { type: 'string' } });
      // Loaded on use: the whole gateway is a large import that the other commands do not need.
      const { serve } = await import('./server');
      await serve({ configFile: values.config });
      return -1; // keep running
    },
  },
  migrate: {
    usage: 'vasgw migrate [--config FILE] [--json]',
    summary: 'apply database migrations (SQLite, or PostgreSQL when DATABASE_URL is set), then check stored profiles against config profile.fields (exit 1 on violations)',
    async run(args, out, err) {
      const { values } = options(args, { config: { type: 'string' }, json: { type: 'boolean' } });
      const config = loadConfig({ file: values.config });
      if (config.database.url) {
        const { runMigratePostgres } = await import('./cli/migrate-postgres');
        return runMigratePostgres(config, values.json ?? false, out, err);
      }
      const db = openDb({ path: config.database.path });
      try {
        migrateDb(db);
        const { checkStoredProfiles } = await import('./subscribers/profile-check');
        const { profileSchemaFor } = await import('./subscribers/profile-flows');
        const { loadFlowRegistry } = await import('./server');
        let flows: Pick<ReturnType<typeof loadFlowRegistry>, 'all'>;
        try {
          flows = loadFlowRegistry(config);
        } catch (e) {
          // The languages flows declare widen the language field; without flows the configured list still holds.
          err(`vasgw migrate: flows not loaded (${(e as Error).message.slice(0, 200)}); checking language against profile.fields only`);
          flows = { all: () => [] };
        }
        const { sqliteDatabase } = await import('./db/sqlite-database');
        const { GroupCommit } = await import('./db/group-commit');
        const result = await checkStoredProfiles(sqliteDatabase(db), new GroupCommit(db), profileSchemaFor(config.profile, flows));
        if (values.json) out(JSON.stringify(result, null, 2));
        else {
          out(`database ${config.database.path} is up to date`);
          out(`profiles: ${result.checked} checked, ${result.typed} stored as text now typed, ${result.violatingSubscribers} outside the schema (left unchanged)`);
          for (const v of result.violations) out(`  subscriber ${v.subscriberId} (${v.msisdn}): ${v.field} = ${JSON.stringify(v.value)?.slice(0, 60)}: ${v.reason}`);
          if (result.violationsTruncated) out('  ... more not listed (use --json for the first 1000)');
        }
        if (result.violatingSubscribers > 0) {
          err(`vasgw migrate: ${result.violatingSubscribers} subscriber profile(s) do not fit config profile.fields; fix the data (PATCH /api/v1/subscribers/:msisdn) or the schema, then run migrate again.`);
          return 1;
        }
        return 0;
      } finally {
        closeDb(db);
      }
    },
  },
  flows: {
    usage: 'vasgw flows check [DIR]',
    summary: 'validate flow files; one line per problem as FILE: node ID: message',
    async run(args, out) {
      const { positionals } = options(args, {});
      if (positionals[0] !== 'check') throw new UsageError('usage: vasgw flows check [DIR]');
      const { runFlowsCheck } = await import('./cli/flows-check');
      const { flowValidation } = await import('./server');
      const config = loadConfig();
      return runFlowsCheck(positionals[1] ?? config.flows.dir, out, flowValidation(config));
    },
  },
  simulate: {
    usage: "vasgw simulate ussd --msisdn M --code '*384*1#' [--language en] [--flows DIR]",
    summary: 'talk to the flows in the terminal as a handset would',
    async run(args) {
      const { values, positionals } = options(args, {
        msisdn: { type: 'string' },
        code: { type: 'string' },
        language: { type: 'string' },
        flows: { type: 'string' },
      });
      if (positionals[0] !== 'ussd') throw new UsageError("usage: vasgw simulate ussd --msisdn M --code '*384*1#'");
      if (!values.msisdn || !values.code) throw new UsageError('simulate ussd needs --msisdn and --code.');
      const { runSimulateUssd } = await import('./cli/simulate');
      return runSimulateUssd({
        msisdn: values.msisdn,
        code: values.code,
        flowsDir: values.flows ?? loadConfig().flows.dir,
        input: process.stdin,
        output: process.stdout,
        ...(values.language ? { language: values.language } : {}),
      });
    },
  },
};

/** Adds a command (domains register theirs in src/cli/commands.ts). */
export function registerCommand(name: string, cmd: Command): void {
  commands[name] = cmd;
}

function help(out: Out): void {
  out('vasgw: the vas-crm-gateway command line\n');
  out('usage: vasgw <command> [options]\n');
  for (const c of Object.values(commands)) out(`  ${c.usage.padEnd(70)} ${c.summary}`);
}

/** Runs the CLI; returns the exit code (-1: a server keeps running). */
export async function main(argv: string[], out: Out = console.log, err: Out = console.error): Promise<number | undefined> {
  await import('./cli/commands');
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    help(out);
    return name ? 0 : 2;
  }
  const cmd = commands[name];
  if (!cmd) {
    err(`vasgw: unknown command "${name}". Run vasgw --help for the list.`);
    return 2;
  }
  try {
    const code = await cmd.run(rest, out, err);
    return code === -1 ? undefined : code;
  } catch (e) {
    if (e instanceof UsageError) {
      err(`vasgw ${name}: ${e.message}`);
      return 2;
    }
    if (e instanceof ConfigError) {
      err(`vasgw ${name}: ${e.message}`);
      return 1;
    }
    throw e;
  }
}
