/**
 * The desired flow table of one switch (OVN's per-host desired flows): flows keyed by (table, priority, normalised
 * match), each with its instructions and the cookie of the manager that owns it. Managers return
 * {@link FlowChange}s; this is the one place that applies them. The reconciler compares it with the switch.
 */
import { XsiteError } from '../core/errors';
import { cookieManager } from '../pipeline/cookie';
import type { FlowSpec } from '../pipeline/flow-builder';
import { flowKey, instructionsKey } from './flow-normalise';

/** A change a manager returns: add (or replace) a flow, or remove one. */
export interface FlowChange {
  op: 'add' | 'remove';
  flow: FlowSpec;
}

/** Desired flows of one switch. */
export class DesiredState {
  private readonly flowsByKey = new Map<string, FlowSpec>();

  constructor(flows: readonly FlowSpec[] = []) {
    this.apply(flows.map((flow) => ({ op: 'add', flow })));
  }

  /** Number of desired flows. */
  get size(): number {
    return this.flowsByKey.size;
  }

  /**
   * Applies managers' changes in order. `add` inserts or replaces the flow with the same key when the same manager
   * owns it; `remove` drops it (absent: nothing to do). Throws DESIRED_CONFLICT when a change touches a flow another
   * manager owns; nothing is applied then.
   */
  apply(changes: readonly FlowChange[]): void {
    const staged = new Map<string, FlowSpec | null>();
    const current = (k: string): FlowSpec | undefined => {
      const s = staged.get(k);
      return s === null ? undefined : (s ?? this.flowsByKey.get(k));
    };
    for (const { op, flow } of changes) {
      const key = flowKey(flow);
      const have = current(key);
      if (have !== undefined && cookieManager(have.cookie) !== cookieManager(flow.cookie)) {
        throw new XsiteError('DESIRED_CONFLICT', `flow ${key} is owned by manager ${cookieManager(have.cookie)}`, {
          key,
          owner: cookieManager(have.cookie),
          manager: cookieManager(flow.cookie),
        });
      }
      staged.set(key, op === 'add' ? flow : null);
    }
    for (const [k, f] of staged) {
      if (f === null) this.flowsByKey.delete(k);
      else this.flowsByKey.set(k, f);
    }
  }

  /**
   * Replaces every flow of `managerId` with `flows` (which must all carry that manager's id); returns the changes
   * that were needed (adds of new or changed flows, removes of flows no longer wanted).
   */
  replaceOwned(managerId: number, flows: readonly FlowSpec[]): FlowChange[] {
    const wanted = new Map<string, FlowSpec>();
    for (const f of flows) {
      if (cookieManager(f.cookie) !== managerId) {
        throw new XsiteError('DESIRED_CONFLICT', `flow ${flowKey(f)} does not carry manager id ${managerId}`, {
          key: flowKey(f),
          manager: managerId,
        });
      }
      wanted.set(flowKey(f), f);
    }
    const changes: FlowChange[] = [];
    for (const [k, f] of this.flowsByKey) {
      if (cookieManager(f.cookie) === managerId && !wanted.has(k)) changes.push({ op: 'remove', flow: f });
    }
    for (const [k, f] of wanted) {
      const have = this.flowsByKey.get(k);
      if (have === undefined || have.cookie !== f.cookie || instructionsKey(have.instructions) !== instructionsKey(f.instructions)) {
        changes.push({ op: 'add', flow: f });
      }
    }
    this.apply(changes);
    return changes;
  }

  /** The flow with the key of `flow` (table, priority, match), or undefined. */
  get(flow: { tableId: number; priority: number; match: FlowSpec['match'] }): FlowSpec | undefined {
    return this.flowsByKey.get(flowKey(flow));
  }

  /** Desired flows by key. */
  entries(): IterableIterator<[string, FlowSpec]> {
    return this.flowsByKey.entries();
  }

  /** Every desired flow, in a stable order (table, then priority descending, then key). */
  flows(): FlowSpec[] {
    return [...this.flowsByKey.entries()]
      .sort(([ka, a], [kb, b]) => a.tableId - b.tableId || b.priority - a.priority || (ka < kb ? -1 : ka > kb ? 1 : 0))
      .map(([, f]) => f);
  }

  /** Flows owned by `managerId`. */
  owned(managerId: number): FlowSpec[] {
    return this.flows().filter((f) => cookieManager(f.cookie) === managerId);
  }
}
