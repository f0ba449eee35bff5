/**
 * The smallest manager: it owns the flows it is given. Like every manager it returns changes instead of sending
 * anything; tests (and operators pinning a flow by hand) use it.
 */
import { makeCookie } from '../../pipeline/cookie';
import { checkFlow, type FlowSpec } from '../../pipeline/flow-builder';
import type { TablePlan } from '../../pipeline/table-plan';
import type { FlowChange } from '../desired-state';

/** Owns a fixed set of flows, re-stamped with its manager id and checked against the plan. */
export class StaticFlowsManager {
  private current: FlowSpec[] = [];

  constructor(
    readonly plan: TablePlan,
    readonly managerId: number,
  ) {
    makeCookie(managerId);
  }

  /** Stamps `flow`'s cookie with this manager's id (keeping its low 48 bits) and checks it against the plan. */
  own(flow: FlowSpec): FlowSpec {
    return checkFlow(this.plan, { ...flow, cookie: makeCookie(this.managerId, flow.cookie & 0xffff_ffff_ffffn) });
  }

  /** Sets the flows this manager wants; returns the changes from the previous set (removes, then adds). */
  set(flows: readonly FlowSpec[]): FlowChange[] {
    const next = flows.map((f) => this.own(f));
    const changes: FlowChange[] = [
      ...this.current.map((flow): FlowChange => ({ op: 'remove', flow })),
      ...next.map((flow): FlowChange => ({ op: 'add', flow })),
    ];
    this.current = next;
    return changes;
  }

  /** The flows this manager currently wants. */
  flows(): FlowSpec[] {
    return [...this.current];
  }
}
