/**
 * How the copy streams running at once divide a bandwidth: by weight, within a group (a path, or one migration
 * network). A paused VM's stop-and-copy weighs {@link STOP_AND_COPY_WEIGHT} pre-copy streams, so that the downtime
 * does not wait for other migrations' pre-copy; with `pausedFirst` it takes the whole bandwidth and the pre-copy
 * streams of its group wait (rate 0) until no VM of the group is paused any more, so that the pause has the switches
 * and the CPU to itself. Pure bookkeeping: the hypervisors pace their streams to `share()`.
 */

/** How many pre-copy streams' shares a stop-and-copy (a paused VM) takes. */
export const STOP_AND_COPY_WEIGHT = 4;

export interface BandwidthSharesOptions {
  /** While a VM of a group is paused, the paused ones share the bandwidth and the pre-copy streams get 0. */
  pausedFirst?: boolean;
}

export class BandwidthShares<K> {
  private readonly entries = new Map<K, { group: string; weight: number; paused: boolean }>();

  constructor(private readonly opts: BandwidthSharesOptions = {}) {}

  /**
   * Sets `key`'s weight in `group`; weight 0 removes it (its stream ended). `paused`: its VM is paused (a
   * stop-and-copy, or the switchover after it while the stream has nothing left to send).
   */
  set(key: K, weight: number, group = '', paused = false): void {
    if (weight > 0) this.entries.set(key, { group, weight, paused });
    else this.entries.delete(key);
  }

  /** Whether `key`'s VM is paused (as last set). */
  isPaused(key: K): boolean {
    return this.entries.get(key)?.paused === true;
  }

  /** The streams running now. */
  keys(): K[] {
    return [...this.entries.keys()];
  }

  /** `key`'s part of `bandwidth` (all of it when it is alone or unknown; 0 when it waits for a pause). */
  share(key: K, bandwidth: number): number {
    const me = this.entries.get(key);
    if (me === undefined) return bandwidth;
    const group = [...this.entries.values()].filter((e) => e.group === me.group);
    const pausedFirst = this.opts.pausedFirst === true && group.some((e) => e.paused);
    if (pausedFirst && !me.paused) return 0;
    let total = 0;
    for (const e of group) if (!pausedFirst || e.paused) total += e.weight;
    return (bandwidth * me.weight) / total;
  }
}
