/**
 * A gateway in its own process, for crash tests: opens the given SQLite file, binds to the fake SMSC,
 * queues `count` messages and prints READY. The test kills it with SIGKILL mid-send.
 * Usage: node --import tsx test/fakes/gateway-process.ts DB_PATH SMSC_PORT COUNT
 */
import { testGateway } from '../helpers/gateway';
import type { Config } from '../../src/config';

const [dbPath, port, count] = process.argv.slice(2);
const binds = [{ id: 'trx', host: '127.0.0.1', port: Number(port), systemId: 'vasgw', password: 'secret', mode: 'transceiver', window: 5, reconnect: { minSeconds: 0.02, maxSeconds: 0.1 } }];
// The same instance id as the gateway the test restarts on this file: a restart takes its claims back at once.
const gw = await testGateway({ server: { instanceId: 'gw-crash' }, smpp: { binds: binds as Config['smpp']['binds'] }, messaging: { quietHours: null, dispatch: { pollMs: 10, batch: 50 } } } as never, { dbPath: dbPath! });
for (let i = 0; i < Number(count); i++) await gw.core.messaging.send({ to: `+2547100000${String(i).padStart(2, '0')}`, text: `crash ${i}`, kind: 'transactional' });
await gw.start();
process.stdout.write('READY\n');
setInterval(() => {}, 60_000);
