/**
 * Table `l2`: forwarding within a VN inside the DC, by destination MAC. For every VM registered in this DC, each
 * switch of the DC has one flow (VN metadata, eth_dst = VM MAC): on the VM's own vswitch it outputs to the VM's
 * port; on any other switch it outputs on the port leading (shortest intra-DC path) towards the VM's vswitch,
 * encapsulated as the DC's scheme says (see ../dc-model.ts). Nothing is flooded: broadcast, multicast and unknown
 * destinations (other than ARP, which never gets here from a VM: table arp sends it to the controller) hit the
 * table-miss flow, which drops.
 *
 * Cross-site destinations (VMs of the VN registered in another DC) are not this manager's job: the `remote` hook of
 * {@link l2Flows} lets the cross-site manager say what to do with them (e.g. go to the gateway); by default they are
 * dropped like any unknown destination.
 */
import type { Action } from '../../codec/openflow/types';
import { XSITE_MANAGERS } from '../../pipeline/cookie';
import { FlowBuilder, type FlowSpec } from '../../pipeline/flow-builder';
import { XSITE_PLAN } from '../../pipeline/table-plan';
import type { DcModel, DcVn, DirectoryVm } from '../dc-model';
import type { LocalManager } from './manager';
import { toInnerPort, toVmPort, vnMetadata } from './vn-encap';

const ID = XSITE_MANAGERS.idOf('l2');
const fb = new FlowBuilder(XSITE_PLAN, ID);

/** Options of {@link l2Flows}. */
export interface L2Options {
  /**
   * Hook for destinations in other DCs: the actions on switch `switchName` for frames of `vn` to `vm` (a VM of a VN
   * present in this DC, registered in another DC), or undefined for none (dropped). Default: none.
   */
  remote?: (vm: DirectoryVm, vn: DcVn, switchName: string) => Action[] | undefined;
}

/** Flows of table l2 on `switchName`. */
export function l2Flows(model: DcModel, switchName: string, opts: L2Options = {}): FlowSpec[] {
  model.switch(switchName);
  const flows: FlowSpec[] = [fb.flow({ table: 'l2', band: 'miss' })];
  const local = model.localVms();
  const add = (vm: DirectoryVm, vn: DcVn, apply: Action[]): void => {
    flows.push(
      fb.flow({
        table: 'l2',
        band: 'specific',
        match: [vnMetadata(vn.id), { field: 'eth_dst', value: vm.mac }],
        apply,
        cookie: BigInt(vn.id),
      }),
    );
  };
  for (const vm of local) {
    const vn = model.vnOf(vm);
    if (vm.switch === switchName) {
      add(vm, vn, toVmPort(vm.port!));
      continue;
    }
    const port = model.nextHop(switchName, vm.switch!);
    if (port !== undefined) add(vm, vn, toInnerPort(model, vn, port));
  }
  if (opts.remote !== undefined) {
    const here = new Set(local.map((v) => model.vnOf(v).id));
    const localNames = new Set(local.map((v) => v.name));
    for (const vm of model.vms) {
      if (localNames.has(vm.name)) continue;
      const vn = model.vns.get(`${vm.tenant}/${vm.vn}`);
      if (vn === undefined || !here.has(vn.id)) continue;
      const apply = opts.remote(vm, vn, switchName);
      if (apply !== undefined) add(vm, vn, apply);
    }
  }
  return flows;
}

/** The l2 manager (no cross-site hook). */
export const l2Manager: LocalManager = { name: 'l2', id: ID, flows: (m, s) => l2Flows(m, s) };
