import type { Tx } from '../db/database';

/**
 * What a caller writes in the same unit of work as a change it asks for, given the changed thing: the
 * console's audit entry, so an entry is kept only with the change it records. Units do not nest, so the
 * service that opens the unit calls it just before the unit ends.
 */
export type Within<T> = (tx: Tx, changed: T) => Promise<void>;
