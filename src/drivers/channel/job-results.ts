import type { Outcome } from '../../ports/control-channel';

/**
 * The outcomes of the most recent jobs a local controller finished, by job id, bounded (oldest forgotten first). A job
 * id seen again (re-sent after a reconnect, or dispatched twice) is answered from here instead of running again.
 */
export class RecentJobResults {
  private readonly results = new Map<string, Outcome>();

  constructor(readonly capacity = 4096) {}

  get size(): number {
    return this.results.size;
  }

  get(id: string): Outcome | undefined {
    return this.results.get(id);
  }

  has(id: string): boolean {
    return this.results.has(id);
  }

  set(id: string, outcome: Outcome): void {
    this.results.delete(id);
    this.results.set(id, outcome);
    while (this.results.size > this.capacity) {
      const oldest = this.results.keys().next().value as string;
      this.results.delete(oldest);
    }
  }

  /** Ids, oldest first. */
  ids(): string[] {
    return [...this.results.keys()];
  }
}
