/**
 * The shape of a local-controller manager: pure, it computes the flows it wants on one switch of the DC from the
 * {@link DcModel}; {@link managerChanges} turns them into the {@link FlowChange}s against a switch's desired state.
 */
import type { FlowSpec } from '../../pipeline/flow-builder';
import type { DcModel } from '../dc-model';
import type { DesiredState, FlowChange } from '../desired-state';

export interface LocalManager {
  /** Manager name in XSITE_MANAGERS. */
  readonly name: string;
  /** Manager id (cookie owner). */
  readonly id: number;
  /** Every flow this manager wants on switch `switchName` of `model`, checked against the plan. */
  flows(model: DcModel, switchName: string): FlowSpec[];
}

/** Replaces `manager`'s flows in `desired` with what it wants now; returns the changes. */
export function managerChanges(desired: DesiredState, manager: LocalManager, model: DcModel, switchName: string): FlowChange[] {
  return desired.replaceOwned(manager.id, manager.flows(model, switchName));
}
