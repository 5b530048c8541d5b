// Worker-thread entry of a scheduled CRM pass. Registers tsx (as src/vasgw.mjs does) so the TypeScript
// sources run directly, then runs one pass on its own database connection.
import { register } from 'tsx/esm/api';

register();
await import('./scheduled-pass-thread.ts');
