import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OFPVID_PRESENT } from '../../../../src/codec/openflow/constants';
import type { Action, Match } from '../../../../src/codec/openflow/types';
import { XSITE_MANAGERS, cookieManager } from '../../../../src/pipeline/cookie';
import { checkFlow, type FlowSpec } from '../../../../src/pipeline/flow-builder';
import { METADATA_VN_MASK, XSITE_PLAN } from '../../../../src/pipeline/table-plan';
import { DcModel } from '../../../../src/local/dc-model';
import { l2Flows } from '../../../../src/local/managers/l2';
import { oneDc } from '../dc-topology';

const val = (m: Match, field: string) => (m.find((t) => t.field === field && t.field !== 'raw') as { value: unknown; mask?: unknown } | undefined);
const actions = (f: FlowSpec): Action[] => (f.instructions.find((i) => i.type === 'apply_actions') as { actions: Action[] } | undefined)?.actions ?? [];
const to = (flows: FlowSpec[], mac: string) => flows.filter((f) => val(f.match, 'eth_dst')?.value === mac);

test('l2 (mac): one flow per VM of the DC, VN metadata + MAC; to the VM port, or towards its vswitch', () => {
  const topo = oneDc('mac');
  const model = DcModel.fromTopology(topo, 'dc1');
  const vm = (n: string) => topo.vms.find((v) => v.name === n)!;
  for (const sw of model.switches.keys()) {
    const flows = l2Flows(model, sw);
    for (const f of flows) {
      checkFlow(XSITE_PLAN, f);
      assert.equal(cookieManager(f.cookie), XSITE_MANAGERS.idOf('l2'));
    }
    assert.equal(flows.length, 1 + topo.vms.length, sw);
    const miss = flows.find((f) => f.priority === 0)!;
    assert.deepEqual(miss.instructions, [], 'unknown and broadcast destinations are dropped, never flooded');
  }
  const h1 = l2Flows(model, 'dc1-h1-vs');
  const [a1] = to(h1, vm('a1').mac);
  assert.deepEqual(val(a1!.match, 'metadata'), { field: 'metadata', value: 100n, mask: METADATA_VN_MASK });
  assert.deepEqual(actions(a1!), [{ type: 'output', port: vm('a1').port, maxLen: 0 }]);
  const uplink = model.innerPorts('dc1-h1-vs')[0]!;
  assert.deepEqual(actions(to(h1, vm('g1').mac)[0]!), [{ type: 'output', port: uplink, maxLen: 0 }]);
  assert.equal(val(to(h1, vm('g1').mac)[0]!.match, 'metadata')!.value, 200n);
  // The fabric switch sends each VM's frames to the port of its vswitch.
  const tor = l2Flows(model, 'dc1-tor');
  const torToH2 = model.nextHop('dc1-tor', 'dc1-h2-vs')!;
  assert.equal(model.switch('dc1-tor').ports.get(torToH2)!.kind, 'switch');
  assert.deepEqual(actions(to(tor, vm('a3').mac)[0]!), [{ type: 'output', port: torToH2, maxLen: 0 }]);
  // The gateway switch reaches the vswitches through the fabric.
  const gw = l2Flows(model, 'dc1-gw-sw');
  assert.deepEqual(actions(to(gw, vm('a3').mac)[0]!), [{ type: 'output', port: model.nextHop('dc1-gw-sw', 'dc1-tor'), maxLen: 0 }]);
});

test('l2 (vlan): towards another switch the VN tag is pushed; to a VM it is not', () => {
  const topo = oneDc('vlan');
  const model = DcModel.fromTopology(topo, 'dc1');
  const vm = (n: string) => topo.vms.find((v) => v.name === n)!;
  const h1 = l2Flows(model, 'dc1-h1-vs');
  assert.deepEqual(actions(to(h1, vm('g1').mac)[0]!), [
    { type: 'push_vlan', ethertype: 0x8100 },
    { type: 'set_field', field: { field: 'vlan_vid', value: OFPVID_PRESENT | 200 } },
    { type: 'output', port: model.innerPorts('dc1-h1-vs')[0]!, maxLen: 0 },
  ]);
  assert.deepEqual(actions(to(h1, vm('g2').mac)[0]!), [{ type: 'output', port: vm('g2').port, maxLen: 0 }]);
});

test('l2: VMs of other DCs get no flow when the DC has no gateway', () => {
  const topo = oneDc('mac', true);
  const model = DcModel.fromTopology(topo, 'dc1');
  const a9 = topo.vms.find((v) => v.name === 'a9')!;
  assert.deepEqual(model.remoteVms().map((v) => v.name), ['a9']);
  for (const sw of model.switches.keys()) assert.equal(to(l2Flows(model, sw), a9.mac).length, 0, sw);
  // dc2's model knows only its own switch.
  assert.deepEqual([...DcModel.fromTopology(topo, 'dc2').switches.keys()], ['dc2-h1-vs']);
});
