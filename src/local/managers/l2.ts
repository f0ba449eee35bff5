/**
 * Table `l2`: forwarding within a VN inside the DC, by destination MAC. For every VM registered in this DC, each
 * switch of the DC has one flow (VN metadata, eth_dst = VM MAC): on the VM's own vswitch it outputs to the VM's
 * port; on any other switch it outputs on the port leading (shortest intra-DC path) towards the VM's vswitch,
 * encapsulated as the DC's scheme says (see ../dc-model.ts). Nothing is flooded: broadcast, multicast and unknown
 * destinations (other than ARP, which never gets here from a VM: table arp sends it to the controller) hit the
 * table-miss flow, which drops.
 *
 * Cross-site destinations (VMs of a VN present here, registered in another DC, {@link DcModel.remoteVms}) are sent
 * towards this DC's gateway switch, and on the gateway switch itself to table gateway-nat (seed 000 section 4.2:
 * "forward the packets to gateway"), where the flow's NAT rewrites (or the first-packet rule) take over. A DC
 * without a gateway drops them like any unknown destination.
 */
import type { Action } from '../../codec/openflow/types';
import { XSITE_MANAGERS } from '../../pipeline/cookie';
import { FlowBuilder, type FlowSpec } from '../../pipeline/flow-builder';
import { XSITE_PLAN } from '../../pipeline/table-plan';
import type { DcModel, DcVn, DirectoryVm } from '../dc-model';
import { gatewaySwitchOf } from './gateway-nat';
import type { LocalManager } from './manager';
import { toInnerPort, toVmPort, vnMetadata } from './vn-encap';

const ID = XSITE_MANAGERS.idOf('l2');
const fb = new FlowBuilder(XSITE_PLAN, ID);

/** Flows of table l2 on `switchName`. */
export function l2Flows(model: DcModel, switchName: string): FlowSpec[] {
  model.switch(switchName);
  const flows: FlowSpec[] = [fb.flow({ table: 'l2', band: 'miss' })];
  const local = model.localVms();
  const add = (vm: DirectoryVm, vn: DcVn, apply: Action[] | 'gateway-nat'): void => {
    flows.push(
      fb.flow({
        table: 'l2',
        band: 'specific',
        match: [vnMetadata(vn.id), { field: 'eth_dst', value: vm.mac }],
        ...(apply === 'gateway-nat' ? { goto: 'gateway-nat' } : { apply }),
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
  const gw = gatewaySwitchOf(model);
  if (gw !== undefined) {
    const port = gw === switchName ? undefined : model.nextHop(switchName, gw);
    if (gw === switchName || port !== undefined) {
      for (const vm of model.remoteVms()) {
        const vn = model.vnOf(vm);
        add(vm, vn, port === undefined ? 'gateway-nat' : toInnerPort(model, vn, port));
      }
    }
  }
  return flows;
}

/** The l2 manager. */
export const l2Manager: LocalManager = { name: 'l2', id: ID, flows: (m, s) => l2Flows(m, s) };
