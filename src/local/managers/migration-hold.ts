/**
 * The hold of a migration (seed 000 section 5, "make before break"): while a VM of this DC is paused for its final
 * copy, frames to it must not reach the paused VM. For each VM in {@link DcModel.holding}, the switch it is plugged
 * into sends frames of its VN addressed to its MAC to the controller (table l2, override band), which keeps them and
 * sends them on through the new flows once the switchover is confirmed (LocalController.releaseHeld).
 */
import { OFPCML_NO_BUFFER, OFPP } from '../../codec/openflow/constants';
import { XSITE_MANAGERS } from '../../pipeline/cookie';
import { FlowBuilder, type FlowSpec } from '../../pipeline/flow-builder';
import { XSITE_PLAN } from '../../pipeline/table-plan';
import type { DcModel } from '../dc-model';
import type { LocalManager } from './manager';
import { migrationArrivalFlows } from './migration-arrival';
import { migrationDepartureFlows } from './migration-departure';
import { vnMetadata } from './vn-encap';

const ID = XSITE_MANAGERS.idOf('migration');
const fb = new FlowBuilder(XSITE_PLAN, ID);

/** Flows of the migration hold on `switchName`. */
export function migrationHoldFlows(model: DcModel, switchName: string): FlowSpec[] {
  model.switch(switchName);
  const flows: FlowSpec[] = [];
  for (const name of model.holding) {
    const vm = model.localVms().find((v) => v.name === name);
    if (vm === undefined || vm.switch !== switchName) continue;
    const vn = model.vnOf(vm);
    flows.push(
      fb.flow({
        table: 'l2',
        band: 'override',
        match: [vnMetadata(vn.id), { field: 'eth_dst', value: vm.mac }],
        apply: [{ type: 'output', port: OFPP.CONTROLLER, maxLen: OFPCML_NO_BUFFER }],
        cookie: BigInt(vn.id),
      }),
    );
  }
  return flows;
}

/**
 * The migration manager: the hold, the arrival guards of VMs migrating in (./migration-arrival.ts) and the departure
 * returns of VMs that left (./migration-departure.ts).
 */
export const migrationHoldManager: LocalManager = {
  name: 'migration',
  id: ID,
  flows: (m, s) => [...migrationHoldFlows(m, s), ...migrationArrivalFlows(m, s), ...migrationDepartureFlows(m, s)],
};
