/**
 * Departure returns of a migration out of this DC into another (seed 000 section 5, "make before break"), the mirror
 * of the arrival guards (./migration-arrival.ts).
 *
 * When the source DC switches over (after the pause, once the VM runs at the destination), traffic to the VM stops
 * going towards its old switch T and goes towards this DC's gateway instead. The switches flip one level after the
 * other from the gateway outwards, each commit confirmed before the next level; but a userspace datapath goes on
 * forwarding a flow it has cached with the old verdict until its revalidators caught up with the new table. So for a
 * moment a switch can still send a frame to the VM towards T while T (or a switch on the way) already sends the VM's
 * frames towards the gateway, out of the very port the frame came in on, and OpenFlow drops an output to the input
 * port. Seen in the OVS migration benchmark about one run in ten: a peer's probe reached T from the fabric, right as
 * the source DC flipped, and never left it (tcpdump on both ends of every veth).
 *
 * - return (from the source DC's switchover until the migration settled, {@link DcModel.departed}): on each switch S
 *   whose way to T differs from its way to the gateway (T itself among them), a frame to the VM coming in on the port
 *   towards the gateway, from a switch still forwarding the old way, is sent back out of that port (IN_PORT). It comes
 *   back in on the sender's port towards T: another input port, so another cached flow, looked up in the new table,
 *   which sends it towards the gateway.
 * - In a DC whose VN scheme is `mac`, table classify accepts a VM's MAC on an inner port only from switches it is not
 *   plugged into; the sender accepts its own VMs' frames sent back in on its port towards T (as the arrival guards do).
 *
 * A departed VM that is local again or arriving (it came back) has none.
 */
import type { FlowSpec } from '../../pipeline/flow-builder';
import { FlowBuilder } from '../../pipeline/flow-builder';
import { XSITE_MANAGERS } from '../../pipeline/cookie';
import { XSITE_PLAN } from '../../pipeline/table-plan';
import { OFPP } from '../../codec/openflow/constants';
import type { DcModel } from '../dc-model';
import { gatewaySwitchOf } from './gateway-nat';
import { acceptOwnReturned, ARRIVAL_OFFSET } from './migration-arrival';
import { toInnerPort, vnMetadata } from './vn-encap';

const fb = new FlowBuilder(XSITE_PLAN, XSITE_MANAGERS.idOf('migration'));

/** Flows of the departure returns on `switchName`. */
export function migrationDepartureFlows(model: DcModel, switchName: string): FlowSpec[] {
  model.switch(switchName);
  const gw = gatewaySwitchOf(model);
  if (gw === undefined || switchName === gw || model.departed.length === 0) return [];
  const back = new Set([...model.localVms(), ...model.incoming].map((v) => v.name));
  const flows: FlowSpec[] = [];
  for (const vm of model.departed) {
    if (back.has(vm.name) || vm.switch === undefined || !model.switches.has(vm.switch)) continue;
    const toGateway = model.nextHop(switchName, gw);
    // Where this switch sent the VM's frames before: its port, or the port towards its old switch.
    const toOld = switchName === vm.switch ? vm.port : model.nextHop(switchName, vm.switch);
    if (toGateway === undefined || toOld === undefined || toGateway === toOld) continue;
    const vn = model.vnOf(vm);
    flows.push(
      fb.flow({
        table: 'l2',
        band: 'specific',
        offset: ARRIVAL_OFFSET,
        match: [vnMetadata(vn.id), { field: 'in_port', value: toGateway }, { field: 'eth_dst', value: vm.mac }],
        apply: toInnerPort(model, vn, OFPP.IN_PORT),
        cookie: BigInt(vn.id),
      }),
    );
    if (switchName !== vm.switch) acceptOwnReturned(model, switchName, vm, toOld, flows);
  }
  return flows;
}
