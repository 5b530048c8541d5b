/** Something with background work (a dispatcher, a sweeper, a scheduler) that the server starts and stops. */
export interface Lifecycle {
  start(): void | Promise<void>;
  /** Stops timers and drains in-flight work; must be safe to call twice. */
  stop(): void | Promise<void>;
}
