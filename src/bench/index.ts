import type { Bench } from './types';
import { ussdBench } from './ussd';
import { ivrBench } from './ivr';
import { billingBench } from './billing';
import { smppBench } from './smpp';
import { campaignsBench } from './campaigns';
import { crmBench, crmTruthBench } from './crm';
import { importBench } from './import';
import { postgresBench } from './postgres';

/** Every benchmark `npm run bench` runs, in order. One line per area. */
export const benches: Bench[] = [ussdBench, ivrBench, billingBench, smppBench, campaignsBench, crmBench, crmTruthBench, importBench, postgresBench];
