// The multi-row insert lives with the database code now (src/db/batch-insert.ts); this name stays for the
// generator until it moves onto its store.
export { BatchInsert } from '../db/batch-insert';
