/**
 * Keeps other migrations' network changes out of a migration's pause.
 *
 * Before a VM pauses, central has the DCs precompute its switchover against their model as it is then; in the pause
 * they only commit it, unless their model changed meanwhile: then they compute it all in the pause. Another migration
 * that opens its copy stream (a cross-site flow on two gateways) or prepares its destination in that window changes
 * those models, and its flow changes compete for the same switches. So such changes go through `change()`, and a
 * migration `hold()`s the gate from before its precompute to the end of its switchover: a change waits while the gate
 * is held, and `hold()` waits for the changes already under way.
 *
 * Pure coordination (no I/O). One holder at a time is the caller's business (the migration's network section).
 */
export class PauseGate {
  private changing = 0;
  private held: Promise<void> | undefined;
  private idle: (() => void) | undefined;

  /** Runs `fn` once no pause holds the gate; a `hold()` that comes meanwhile waits until it ends. */
  async change<T>(fn: () => Promise<T>): Promise<T> {
    while (this.held !== undefined) await this.held;
    this.changing++;
    try {
      return await fn();
    } finally {
      this.changing--;
      if (this.changing === 0) this.idle?.();
    }
  }

  /**
   * Holds the gate (new changes wait) and resolves, with its release, once the changes under way have ended. The
   * release is idempotent.
   */
  async hold(): Promise<() => void> {
    while (this.held !== undefined) await this.held;
    let open!: () => void;
    const held = new Promise<void>((r) => (open = r));
    this.held = held;
    if (this.changing > 0) await new Promise<void>((r) => (this.idle = r));
    this.idle = undefined;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      if (this.held === held) this.held = undefined;
      open();
    };
  }

  /** Whether a pause holds the gate now. */
  isHeld(): boolean {
    return this.held !== undefined;
  }
}
