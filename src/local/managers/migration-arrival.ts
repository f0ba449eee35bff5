/**
 * Arrival guards of a migration into this DC from another DC (seed 000 section 5, "make before break"), so that the
 * destination's switches can take the switchover all at once instead of one level of the fabric after the other.
 *
 * Before the switchover, traffic to the VM goes towards this DC's gateway (the VM is elsewhere); after it, towards
 * the VM's new switch T. While some switches have flipped and others not, a frame could meet a switch that sends it
 * back the way it came: OpenFlow drops an output to the input port. Two kinds of flow (table l2, just above the
 * plain forwarding flows) turn each such drop into forwarding on the new path:
 *
 * - guard (installed with the arrival, before the pause; kept until the migration settled, the last release): on
 *   switch S, a frame to the VM coming in on the port S sends it to now (towards the gateway) goes on towards T
 *   instead; on T itself, until the switchover, it goes to the controller, which holds it like the hold does (from
 *   the switchover on the hold, then the VM's own flow, take it). Such frames do not exist before the switchover
 *   (they would be dropped), so the guard changes nothing for live traffic.
 * - return (installed with the switchover, kept until the migration settled): on S, a frame to the VM coming in on the
 *   port towards T (sent by a switch that still forwards the old way) is sent back out of that port (IN_PORT), where
 *   the guard of the switch that sent it takes it on towards T.
 *
 * A frame sent back comes in on the switch that sent it, from the gateway's side, with the source MAC of one of its
 * own VMs. In a DC whose VN scheme is `mac`, table classify accepts a VM's MAC on an inner port only from switches it
 * is not plugged into; the third kind, installed with the guards, accepts exactly these frames on that port.
 *
 * Guards exist for {@link DcModel.incoming} VMs that are not local yet and for {@link DcModel.settling} VMs; returns
 * for settling VMs only (before the switchover the old way is the right way).
 */
import { OFPCML_NO_BUFFER, OFPP } from '../../codec/openflow/constants';
import type { Action } from '../../codec/openflow/types';
import { XSITE_MANAGERS } from '../../pipeline/cookie';
import { FlowBuilder, type FlowSpec } from '../../pipeline/flow-builder';
import { XSITE_PLAN } from '../../pipeline/table-plan';
import type { DcModel, DirectoryVm } from '../dc-model';
import { gatewaySwitchOf } from './gateway-nat';
import { toInnerPort, vnMetadata, writeVn } from './vn-encap';

const fb = new FlowBuilder(XSITE_PLAN, XSITE_MANAGERS.idOf('migration'));

/**
 * Offset in table l2's `specific` band: above the plain forwarding flows (offset 0), below the hold (override). The
 * departure returns (./migration-departure.ts) use it too.
 */
export const ARRIVAL_OFFSET = 1;

/** The arriving VMs of this DC with the switch they arrive at: incoming (not local yet) and settling ones. */
function arrivals(model: DcModel): { vm: DirectoryVm; settling: boolean }[] {
  const local = model.localVms();
  const out: { vm: DirectoryVm; settling: boolean }[] = [];
  for (const vm of model.incoming) if (vm.switch !== undefined && !local.some((l) => l.name === vm.name)) out.push({ vm, settling: false });
  for (const name of model.settling) {
    const vm = local.find((l) => l.name === name);
    if (vm !== undefined && !out.some((a) => a.vm.name === name)) out.push({ vm, settling: true });
  }
  return out;
}

/** Flows of the arrival guards on `switchName`. */
export function migrationArrivalFlows(model: DcModel, switchName: string): FlowSpec[] {
  model.switch(switchName);
  const gw = gatewaySwitchOf(model);
  if (gw === undefined) return [];
  const flows: FlowSpec[] = [];
  for (const { vm, settling } of arrivals(model)) {
    const target = vm.switch!;
    if (!model.switches.has(target)) continue;
    const vn = model.vnOf(vm);
    const add = (inPort: number, apply: Action[]) =>
      flows.push(
        fb.flow({
          table: 'l2',
          band: 'specific',
          offset: ARRIVAL_OFFSET,
          match: [vnMetadata(vn.id), { field: 'in_port', value: inPort }, { field: 'eth_dst', value: vm.mac }],
          apply,
          cookie: BigInt(vn.id),
        }),
      );
    // Where this switch sends the VM's frames before the switchover: towards the gateway (the gateway itself hands
    // them to its NAT table, and frames from the WAN reach the VM through the NAT flows, not this table).
    const old = switchName === gw ? undefined : model.nextHop(switchName, gw);
    if (switchName === target) {
      if (old !== undefined) {
        // Once the VM is local here its plain flow delivers such a frame (while it is held, the hold catches it).
        if (!settling) add(old, [{ type: 'output', port: OFPP.CONTROLLER, maxLen: OFPCML_NO_BUFFER }]);
        acceptOwnReturned(model, switchName, vm, old, flows);
      }
      continue;
    }
    const next = model.nextHop(switchName, target);
    if (next === undefined || next === old) continue;
    if (old !== undefined) {
      add(old, toInnerPort(model, vn, next));
      acceptOwnReturned(model, switchName, vm, old, flows);
    }
    if (settling) add(next, toInnerPort(model, vn, OFPP.IN_PORT));
  }
  return flows;
}

/** `mac` scheme: frames of `vm`'s VN from VMs plugged into `switchName`, sent back in on inner port `port`. */
export function acceptOwnReturned(model: DcModel, switchName: string, vm: DirectoryVm, port: number, flows: FlowSpec[]): void {
  if (model.encap !== 'mac') return;
  const vn = model.vnOf(vm);
  for (const own of model.localVms()) {
    if (own.switch !== switchName || own.name === vm.name || model.vnOf(own).id !== vn.id) continue;
    flows.push(
      fb.flow({
        table: 'classify',
        band: 'specific',
        offset: ARRIVAL_OFFSET,
        match: [
          { field: 'in_port', value: port },
          { field: 'eth_src', value: own.mac },
        ],
        writeMetadata: writeVn(vn.id),
        goto: 'arp',
        cookie: BigInt(vn.id),
      }),
    );
  }
}
