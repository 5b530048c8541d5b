import type { Db } from './client';

/**
 * Raises the connection's WAL auto-checkpoint threshold to at least `pages` until the returned function
 * is called. A bulk writer (a campaign fan-out) then checkpoints every `pages` pages instead of every
 * 1,000: pages it rewrites batch after batch (index tails, interior pages) are copied back once per
 * window, and the file is synced a few times instead of dozens. Durability is unchanged: commits go to
 * the WAL exactly as before; only when its frames are copied into the database file moves. The WAL is
 * still bounded (by `pages` plus one transaction).
 */
export function deferCheckpoints(db: Db, pages: number): () => void {
  const c = db.$client;
  const was = c.pragma('wal_autocheckpoint', { simple: true }) as number;
  // Off (a CRM pass holds them: src/crm/pass-store.ts) or already as high: nothing to raise or restore.
  if (was <= 0 || was >= pages) return () => {};
  c.pragma(`wal_autocheckpoint = ${pages}`);
  return () => {
    if (!c.open) return;
    // Changed by someone else meanwhile (a CRM pass paused them): theirs to restore, not ours.
    if ((c.pragma('wal_autocheckpoint', { simple: true }) as number) === pages) c.pragma(`wal_autocheckpoint = ${was}`);
  };
}
