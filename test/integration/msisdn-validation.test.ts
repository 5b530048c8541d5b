import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { AUTH, stopAfterEach, testGateway, type TestGateway } from '../helpers/gateway';

let gw: TestGateway | null = null;
stopAfterEach(() => [gw]);

const send = (g: TestGateway, to: string) => g.app.inject({ method: 'POST', url: '/api/v1/messages', headers: AUTH, payload: { to, text: 'Top-dress maize now.', kind: 'transactional' } });

describe('phone numbers on the API', () => {
  it('accepts each country’s own numbers in the three house forms', async () => {
    gw = await testGateway();
    for (const to of ['+254712345678', '254712345678', '0712345678', '+255712345678', '+2348031234567']) {
      const r = await send(gw, to);
      expect(r.statusCode, to).toBe(202);
    }
  });

  it('refuses a number no country has, saying what is wrong with it, and queues nothing', async () => {
    gw = await testGateway();
    const cases: [string, RegExp][] = [
      ['+25471234567', /to "\+25471234567" is not a valid number in Kenya \(\+254\); a mobile number there looks like \+2547\d{8}/],
      ['071234567', /not a valid number in Kenya/],
      ['+254712345678901', /too long for a number in Kenya/],
      ['+2557123456', /too short for a number in Tanzania \(\+255\)/],
      ['+99912345678', /no known country calling code/],
    ];
    for (const [to, why] of cases) {
      const r = await send(gw, to);
      expect(r.statusCode, to).toBe(400);
      expect(r.json().error.code).toBe('INVALID_MSISDN');
      expect(r.json().error.message).toMatch(why);
    }
    const n = await gw.core.database.get<{ n: number }>(sql`SELECT count(*) AS n FROM messages`);
    expect(n?.n).toBe(0);
  });
});
