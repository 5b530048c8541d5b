/**
 * The SMSC the SMPP benchmark talks to, in its own process (as a real SMSC would be): a real
 * `smpp.createServer` on 127.0.0.1 port 0 that binds anyone, answers submit_sm at once, and on
 * command sends MO deliver_sm with at most 50 unanswered. Prints `PORT <n>`; reads commands on stdin:
 * `mo <count>` -> `MO_DONE <ms>`, `stop`.
 */
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import smpp from 'smpp';
import { installRawMessageCodec, type Pdu } from '../../channels/smpp/pdu';
import { encodeSms } from '../messaging/encoding';

installRawMessageCodec();

const receivers: smpp.Session[] = [];
let nextId = 1;

const server = smpp.createServer((session) => {
  session.socket.setNoDelay(true);
  session.on('error', () => session.destroy());
  session.on('close', () => {
    const i = receivers.indexOf(session);
    if (i >= 0) receivers.splice(i, 1);
  });
  session.on('pdu', (pdu: Pdu) => {
    switch (pdu.command) {
      case 'bind_transceiver':
      case 'bind_receiver':
        receivers.push(session);
        session.send(pdu.response({ system_id: 'benchsmsc' }));
        return;
      case 'bind_transmitter':
        session.send(pdu.response({ system_id: 'benchsmsc' }));
        return;
      case 'submit_sm':
        session.send(pdu.response({ message_id: (nextId++).toString(16) }));
        return;
      case 'enquire_link':
      case 'unbind':
        session.send(pdu.response());
        return;
      default:
        if (!pdu.isResponse()) session.send(pdu.response({ command_status: smpp.errors.ESME_RINVCMDID }));
    }
  });
});

function sendMos(count: number): void {
  const session = receivers[0];
  if (!session) {
    process.stdout.write('MO_DONE -1\n');
    return;
  }
  const body = encodeSms('MAIZE').parts[0]!;
  const t0 = performance.now();
  let sent = 0;
  let answered = 0;
  const pump = () => {
    while (sent < count && sent - answered < 50) {
      sent++;
      const n = 10_000_000 + sent;
      session.send(new smpp.PDU('deliver_sm', { source_addr: `2547${n}`, destination_addr: '20123', data_coding: 0, short_message: body }), () => {
        answered++;
        if (answered === count) process.stdout.write(`MO_DONE ${(performance.now() - t0).toFixed(1)}\n`);
        else pump();
      });
    }
  };
  pump();
}

server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`PORT ${(server.address() as AddressInfo).port}\n`);
});

createInterface({ input: process.stdin }).on('line', (line) => {
  const [cmd, arg] = line.trim().split(/\s+/);
  if (cmd === 'mo') sendMos(Number(arg));
  if (cmd === 'stop') process.exit(0);
});
