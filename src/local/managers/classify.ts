/**
 * Table `classify`: which VN a frame belongs to. A frame from a registered VM's port (and with that VM's source
 * MAC: no spoofing of another VM) gets the VM's VN id in the metadata; a frame from an inner link (vswitch uplink,
 * fabric port) carries its VN as the DC's scheme says (see ../dc-model.ts): in a `vlan` DC by its VLAN tag (popped
 * here), in a `mac` DC by its source MAC. Everything else (unregistered ports, unknown tags or MACs) is dropped.
 */
import { XSITE_MANAGERS } from '../../pipeline/cookie';
import { FlowBuilder, type FlowSpec } from '../../pipeline/flow-builder';
import { XSITE_PLAN } from '../../pipeline/table-plan';
import { OFPVID_PRESENT } from '../../codec/openflow/constants';
import type { DcModel, DcVn } from '../dc-model';
import type { LocalManager } from './manager';
import { writeVn } from './vn-encap';

const ID = XSITE_MANAGERS.idOf('classify');
const fb = new FlowBuilder(XSITE_PLAN, ID);

/** Flows of table classify on `switchName`. */
export function classifyFlows(model: DcModel, switchName: string): FlowSpec[] {
  model.switch(switchName);
  const flows: FlowSpec[] = [fb.flow({ table: 'classify', band: 'miss' })];
  const local = model.localVms();
  // VMs of this DC, and VMs migrating in (plugged in at their destination port, classified ahead of the switchover).
  const incoming = model.incoming.filter((v) => v.switch === switchName && !local.some((l) => l.name === v.name));
  for (const vm of [...local.filter((v) => v.switch === switchName), ...incoming]) {
    const vn = model.vnOf(vm);
    flows.push(
      fb.flow({
        table: 'classify',
        band: 'specific',
        match: [
          { field: 'in_port', value: vm.port! },
          { field: 'eth_src', value: vm.mac },
        ],
        writeMetadata: writeVn(vn.id),
        goto: 'arp',
        cookie: BigInt(vn.id),
      }),
    );
  }
  const inner = model.innerPorts(switchName);
  if (model.encap === 'vlan') {
    const vns = new Map<number, DcVn>();
    for (const vm of local) vns.set(model.vnOf(vm).id, model.vnOf(vm));
    for (const port of inner) {
      for (const vn of vns.values()) {
        flows.push(
          fb.flow({
            table: 'classify',
            band: 'specific',
            match: [
              { field: 'in_port', value: port },
              { field: 'vlan_vid', value: OFPVID_PRESENT | vn.tag },
            ],
            apply: [{ type: 'pop_vlan' }],
            writeMetadata: writeVn(vn.id),
            goto: 'arp',
            cookie: BigInt(vn.id),
          }),
        );
      }
    }
  } else {
    // Frames of remote VMs (cross-site flows restored by the gateway) carry their source MAC too.
    const peers = [...local.filter((v) => v.switch !== switchName), ...model.remoteVms()];
    for (const port of inner) {
      for (const vm of peers) {
        const vn = model.vnOf(vm);
        flows.push(
          fb.flow({
            table: 'classify',
            band: 'specific',
            match: [
              { field: 'in_port', value: port },
              { field: 'eth_src', value: vm.mac },
            ],
            writeMetadata: writeVn(vn.id),
            goto: 'arp',
            cookie: BigInt(vn.id),
          }),
        );
      }
    }
  }
  // Frames from other DCs' gateways (WAN links) go straight to the NAT table; no VN until a NAT flow restores one.
  for (const port of model.wanPorts(switchName)) {
    flows.push(fb.flow({ table: 'classify', band: 'specific', match: [{ field: 'in_port', value: port }], goto: 'gateway-nat' }));
  }
  return flows;
}

/** The classify manager. */
export const classifyManager: LocalManager = { name: 'classify', id: ID, flows: classifyFlows };
