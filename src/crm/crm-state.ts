// The CRM's small persistent values now live in a store (crm-state-store.ts); this name stays for the
// generator, which another change moves onto the store.
export { CrmStateStore as CrmState } from './crm-state-store';
