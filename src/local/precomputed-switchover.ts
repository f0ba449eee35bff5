/**
 * A migration's switchover computed ahead of the pause (`migration.precompute`). Central knows, before the VM pauses,
 * the directory and the cross-site flows each DC will get in the pause (the tuples are reserved by then). The DC
 * computes from them the desired state of each switch and the difference to what the switch holds, and opens one
 * bundle per switch with that difference, uncommitted. In the pause only the commits are left: one round trip per
 * switch, no computing.
 *
 * It holds only while nothing changed in between: the switchover must bring the same inputs (the flows' set-up
 * generations aside: no flow depends on them), find the DC's model it was computed from, and each switch still
 * holding what the bundle was computed against. Otherwise the switchover reconciles as usual and the bundles are
 * discarded. One change is expected and absorbed: a cross-site flow of other VMs set up or closed meanwhile (traffic
 * does that at any time; central's switchover will bring it too): the DC computes the switchover again with it
 * ({@link withFlowChange}). Pure: the local controller does the I/O.
 */
import type { OpenBundle, SwitchConnection } from '../openflow/connection';
import type { CrossSiteFlow } from '../model/cross-site-flow';
import type { DcModel, DirectoryVm } from './dc-model';
import { DesiredState } from './desired-state';
import { type LocalManager, managerChanges } from './managers/manager';
import { diffFlows, diffMessages, type InstalledFlow, type ReconcileReport, snapshotOf } from './reconciler';
import type { MessageOf } from '../codec/openflow/types';

/** How long a DC keeps a precomputed switchover that no switchover used (OVS drops an idle bundle after 10 s). */
export const PRECOMPUTED_TTL_MS = 10_000;

/** One switch's part: its bundle (absent: nothing changes there) and what it holds once committed. */
export interface PrecomputedSwitch {
  conn: SwitchConnection;
  /** What the switch held when the difference was computed (the local controller's picture, by identity). */
  applied: readonly InstalledFlow[];
  desired: DesiredState;
  /** What the switch holds once the bundle is committed. */
  snapshot: InstalledFlow[];
  bundle?: OpenBundle;
  report: Omit<ReconcileReport, 'ms' | 'via'>;
}

export interface PrecomputedSwitchover {
  /** The DC's model it was computed from. */
  base: DcModel;
  /** {@link switchoverInputs} of the switchover it expects. */
  inputs: string;
  /** What it was computed for (to compute it again after a change of another cross-site flow). */
  args: { vms: readonly DirectoryVm[]; crossSite: readonly CrossSiteFlow[]; keep: boolean };
  switches: Map<string, PrecomputedSwitch>;
  /** The model after the switchover as expected, and how it goes (for a commit ahead of the switchover job). */
  next?: { model: DcModel; arriving: boolean; keep: boolean };
  timer?: NodeJS.Timeout;
}

/**
 * The cross-site flows a switchover precomputed with `crossSite` brings once flow `id` changed meanwhile (`flow`: set
 * up or replaced; undefined: closed), in central's order (by id); undefined when the change is the migrating VM's own
 * flow (its switchover sets those up anew, they are not part of what was precomputed).
 */
export function withFlowChange(vm: string, crossSite: readonly CrossSiteFlow[], id: string, flow: CrossSiteFlow | undefined): CrossSiteFlow[] | undefined {
  const mine = (f: CrossSiteFlow | undefined) => f !== undefined && (f.a.vm === vm || f.b.vm === vm);
  if (mine(flow) || mine(crossSite.find((f) => f.id === id))) return undefined;
  return [...crossSite.filter((f) => f.id !== id), ...(flow !== undefined ? [flow] : [])].sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
}

/** The inputs of a switchover as one text, set-up generations left out. */
export function switchoverInputs(vm: string, vms: readonly DirectoryVm[], crossSite: readonly CrossSiteFlow[], hold: boolean): string {
  return JSON.stringify({ vm, vms, crossSite: crossSite.map(({ gen: _gen, ...f }) => f), hold });
}

/**
 * The desired state of `switchName` in `model` and the flow changes that take the switch there from `applied`.
 */
export function planSwitch(
  managers: readonly LocalManager[],
  model: DcModel,
  switchName: string,
  applied: readonly InstalledFlow[],
): { desired: DesiredState; snapshot: InstalledFlow[]; messages: MessageOf<'flow_mod'>[]; report: PrecomputedSwitch['report'] } {
  const desired = new DesiredState();
  for (const m of managers) managerChanges(desired, m, model, switchName);
  const diff = diffFlows(desired, applied, { managersOwned: managers.map((m) => m.id) });
  return {
    desired,
    snapshot: snapshotOf(desired),
    messages: diffMessages(diff),
    report: { added: diff.add.length, modified: diff.modify.length, deleted: diff.delete.length, foreign: diff.foreign, unchanged: diff.unchanged },
  };
}
