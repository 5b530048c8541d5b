import type { Bench } from './types';
import { ussdBench } from './ussd';

/** Every benchmark `npm run bench` runs, in order. One line per area. */
export const benches: Bench[] = [ussdBench];
