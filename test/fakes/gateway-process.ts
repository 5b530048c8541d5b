/**
 * A gateway in its own process, for crash tests: opens the given database (a SQLite file, or a PostgreSQL
 * URL), binds to the fake SMSC, queues `count` messages and prints READY. The test kills it with SIGKILL
 * mid-send.
 * Usage: node --import tsx test/fakes/gateway-process.ts DATABASE SMSC_PORT COUNT
 */
import { ManualClock } from '../../src/lib/clock';
import { silentLogger } from '../../src/lib/logger';
import { buildGateway } from '../../src/server';
import { testConfig, type DeepPartial } from '../helpers/gateway';
import type { Config } from '../../src/config';

const [database, port, count] = process.argv.slice(2);
const binds = [{ id: 'trx', host: '127.0.0.1', port: Number(port), systemId: 'vasgw', password: 'secret', mode: 'transceiver', window: 5, reconnect: { minSeconds: 0.02, maxSeconds: 0.1 } }];
// The database named, whatever engine the suite runs on: testGateway would make this process a database
// of its own on PostgreSQL.
const where = /^postgres(ql)?:\/\//.test(database!) ? { url: database! } : { path: database! };
// The same instance id as the gateway the test restarts on this database: a restart takes its claims back at once.
const overrides = { database: where, server: { instanceId: 'gw-crash' }, smpp: { binds: binds as Config['smpp']['binds'] }, messaging: { quietHours: null, dispatch: { pollMs: 10, batch: 50 } } } as DeepPartial<Config>;
const gw = await buildGateway({ config: testConfig(overrides), clock: new ManualClock(new Date('2026-11-20T09:00:00Z').getTime()), log: silentLogger });
await gw.app.ready();
for (let i = 0; i < Number(count); i++) await gw.core.messaging.send({ to: `+2547100000${String(i).padStart(2, '0')}`, text: `crash ${i}`, kind: 'transactional' });
await gw.start();
process.stdout.write('READY\n');
setInterval(() => {}, 60_000);
