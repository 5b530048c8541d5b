// Worker-thread entry of the usage-log reader: registers tsx (as src/vasgw.mjs does), then runs the
// TypeScript reader, which decodes pages of the log while the detectors classify the previous ones.
import { register } from 'tsx/esm/api';

register();
await import('./read-worker-thread.ts');
