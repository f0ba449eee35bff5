/**
 * How the copy streams running at once divide a bandwidth: by weight, within a group (a path, or one migration
 * network). A paused VM's stop-and-copy weighs {@link STOP_AND_COPY_WEIGHT} pre-copy streams, so that the downtime
 * does not wait for other migrations' pre-copy. Pure bookkeeping: the hypervisors pace their streams to `share()`.
 */

/** How many pre-copy streams' shares a stop-and-copy (a paused VM) takes. */
export const STOP_AND_COPY_WEIGHT = 4;

export class BandwidthShares<K> {
  private readonly entries = new Map<K, { group: string; weight: number }>();

  /** Sets `key`'s weight in `group`; weight 0 removes it (its stream ended). */
  set(key: K, weight: number, group = ''): void {
    if (weight > 0) this.entries.set(key, { group, weight });
    else this.entries.delete(key);
  }

  /** The streams running now, each with its group. */
  keys(): K[] {
    return [...this.entries.keys()];
  }

  /** `key`'s part of `bandwidth` (all of it when it is alone or unknown). */
  share(key: K, bandwidth: number): number {
    const me = this.entries.get(key);
    if (me === undefined) return bandwidth;
    let total = 0;
    for (const e of this.entries.values()) if (e.group === me.group) total += e.weight;
    return (bandwidth * me.weight) / total;
  }
}
