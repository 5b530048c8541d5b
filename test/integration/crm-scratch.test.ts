import { it } from 'vitest';
import { eventually } from '../helpers/gateway';
import { crmGateway, ussdSession, apiGet } from '../helpers/crm';
it('scratch', async () => {
  const { gw, smsc } = await crmGateway({ crm: { holdoutPercent: 0 } }, '2026-11-20T07:00:00Z');
  for (let i = 0; i < 3; i++) { await ussdSession(gw, '+254711000001', [...(i === 0 ? ['1'] : []), '1', '1', '9', '8', '7']); gw.clock.advance(1800000); }
  await ussdSession(gw, '+254711000002', ['1', '1', '1', '2']);
  console.log(JSON.stringify(gw.core.crm.runPass(), null, 1));
  const sms = await eventually(() => smsc.submits[0]);
  console.log(sms.text);
  console.log(JSON.stringify((await apiGet(gw, '/subscribers/+254711000001')).body, null, 1));
  console.log(JSON.stringify(gw.core.db.$client.prepare('select * from crm_node_daily').all()));
  await gw.stop(); await smsc.stop();
});
