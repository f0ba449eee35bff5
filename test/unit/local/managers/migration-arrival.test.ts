import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OFPCML_NO_BUFFER, OFPP, OFPVID_PRESENT } from '../../../../src/codec/openflow/constants';
import type { Action, Match } from '../../../../src/codec/openflow/types';
import type { Virtualisation } from '../../../../src/emulator/topology/model';
import { DcModel, directoryFromTopology, type DirectoryVm } from '../../../../src/local/dc-model';
import { l2Flows } from '../../../../src/local/managers/l2';
import { migrationArrivalFlows } from '../../../../src/local/managers/migration-arrival';
import { migrationHoldFlows } from '../../../../src/local/managers/migration-hold';
import { XSITE_MANAGERS, cookieManager } from '../../../../src/pipeline/cookie';
import { checkFlow, type FlowSpec } from '../../../../src/pipeline/flow-builder';
import { XSITE_PLAN } from '../../../../src/pipeline/table-plan';
import { twoDcsWithGateways } from '../dc-topology';

const field = (m: Match, name: string) => (m.find((t) => t.field === name) as { value: unknown } | undefined)?.value;
const actions = (f: FlowSpec): Action[] => (f.instructions.find((i) => i.type === 'apply_actions') as { actions: Action[] } | undefined)?.actions ?? [];
const out = (port: number): Action => ({ type: 'output', port, maxLen: 0 });

function setUp(virtualisation: Virtualisation) {
  const topo = twoDcsWithGateways(virtualisation);
  const dir = directoryFromTopology(topo);
  const x9 = dir.find((v) => v.name === 'x9')!;
  const arriving: DirectoryVm = { ...x9, dc: 'dc1', switch: 'dc1-h2-vs', port: 7 };
  const before = DcModel.fromTopology(topo, 'dc1', dir).withMigrations({ incoming: [arriving] });
  const after = DcModel.fromTopology(topo, 'dc1', dir.map((v) => (v.name === 'x9' ? arriving : v))).withMigrations({ holding: ['x9'], settling: ['x9'] });
  const port = (m: DcModel, from: string, to: string) => m.nextHop(from, to)!;
  return { topo, x9, before, after, port };
}

test('arrival guards (mac): before the switchover, frames to the arriving VM that come back from the gateway side go on towards its new switch', () => {
  const { x9, before, port, topo } = setUp('mac');
  const all = [...before.switches.keys()].flatMap((sw) => migrationArrivalFlows(before, sw).map((f) => ({ sw, f })));
  for (const { f } of all) {
    checkFlow(XSITE_PLAN, f);
    assert.equal(cookieManager(f.cookie), XSITE_MANAGERS.idOf('migration'));
  }
  const l2 = (sw: string) => migrationArrivalFlows(before, sw).filter((f) => f.tableId === XSITE_PLAN.table('l2').id);
  // The fabric: a frame coming from the gateway goes to the VM's new vswitch (today it would go back: dropped).
  const tor = l2('dc1-tor');
  assert.equal(tor.length, 1);
  assert.equal(field(tor[0]!.match, 'in_port'), port(before, 'dc1-tor', 'dc1-gw-sw'));
  assert.equal(field(tor[0]!.match, 'eth_dst'), x9.mac);
  assert.deepEqual(actions(tor[0]!), [out(port(before, 'dc1-tor', 'dc1-h2-vs'))]);
  // The new vswitch: such a frame goes to the controller (held until the VM runs there).
  const h2 = l2('dc1-h2-vs');
  assert.equal(h2.length, 1);
  assert.equal(field(h2[0]!.match, 'in_port'), port(before, 'dc1-h2-vs', 'dc1-tor'));
  assert.deepEqual(actions(h2[0]!), [{ type: 'output', port: OFPP.CONTROLLER, maxLen: OFPCML_NO_BUFFER }]);
  // A vswitch whose way to the VM is its way to the gateway, and the gateway (frames from the WAN go through NAT
  // flows), need nothing; and no return flows before the switchover.
  assert.deepEqual(migrationArrivalFlows(before, 'dc1-h1-vs'), []);
  assert.deepEqual(migrationArrivalFlows(before, 'dc1-gw-sw'), []);
  // Above the plain forwarding flow of the same MAC, below the hold.
  const plain = l2Flows(before, 'dc1-tor').find((f) => field(f.match, 'eth_dst') === x9.mac)!;
  assert.ok(tor[0]!.priority > plain.priority);
  // mac scheme: on the new vswitch, frames of its own VMs of the VN (a3) sent back in on the uplink are accepted.
  const a3 = topo.vms.find((v) => v.name === 'a3')!;
  const accept = migrationArrivalFlows(before, 'dc1-h2-vs').filter((f) => f.tableId === XSITE_PLAN.table('classify').id);
  assert.deepEqual(
    accept.map((f) => [field(f.match, 'in_port'), field(f.match, 'eth_src')]),
    [[port(before, 'dc1-h2-vs', 'dc1-tor'), directoryFromTopology(topo).find((v) => v.name === a3.name)!.mac]],
  );
});

test('arrival guards after the switchover: returns send a frame from a switch that still forwards the old way back (IN_PORT); all gone once settled', () => {
  const { x9, after, port } = setUp('mac');
  const l2 = (sw: string) => migrationArrivalFlows(after, sw).filter((f) => f.tableId === XSITE_PLAN.table('l2').id);
  const torReturn = l2('dc1-tor').find((f) => field(f.match, 'in_port') === port(after, 'dc1-tor', 'dc1-h2-vs'));
  assert.deepEqual(actions(torReturn!), [out(OFPP.IN_PORT)]);
  const gw = l2('dc1-gw-sw');
  assert.equal(gw.length, 1);
  assert.equal(field(gw[0]!.match, 'in_port'), port(after, 'dc1-gw-sw', 'dc1-tor'));
  assert.deepEqual(actions(gw[0]!), [out(OFPP.IN_PORT)]);
  // The guards stay until the VM runs (the other switches may not have flipped yet when one has).
  assert.ok(l2('dc1-tor').some((f) => field(f.match, 'in_port') === port(after, 'dc1-tor', 'dc1-gw-sw')));
  // On the VM's switch the hold, then the VM's own flow, take frames from the uplink: no guard to the controller
  // (it would take the VM's traffic once it runs), but its own VMs' frames sent back are still accepted.
  assert.deepEqual(l2('dc1-h2-vs'), []);
  assert.ok(migrationHoldFlows(after, 'dc1-h2-vs').some((f) => field(f.match, 'eth_dst') === x9.mac));
  assert.equal(migrationArrivalFlows(after, 'dc1-h2-vs').length, 1);
  const released = after.withMigrations({ holding: [] });
  assert.deepEqual(migrationArrivalFlows(released, 'dc1-h2-vs').map((f) => f.tableId), [XSITE_PLAN.table('classify').id]);
  // Settled: nothing left.
  const done = after.withMigrations({ holding: [], settling: [] });
  for (const sw of done.switches.keys()) assert.deepEqual(migrationArrivalFlows(done, sw), [], sw);
});

test('arrival guards (vlan): forwarding pushes the VN tag, IN_PORT too; no classify flows (the tag carries the VN)', () => {
  const { before, after, port } = setUp('vlan');
  const tag = [{ type: 'push_vlan', ethertype: 0x8100 }, { type: 'set_field', field: { field: 'vlan_vid', value: OFPVID_PRESENT | 100 } }];
  const [guard] = migrationArrivalFlows(before, 'dc1-tor');
  assert.deepEqual(actions(guard!), [...tag, out(port(before, 'dc1-tor', 'dc1-h2-vs'))]);
  const ret = migrationArrivalFlows(after, 'dc1-gw-sw');
  assert.deepEqual(actions(ret[0]!), [...tag, out(OFPP.IN_PORT)]);
  for (const sw of before.switches.keys()) {
    assert.ok(migrationArrivalFlows(before, sw).every((f) => f.tableId === XSITE_PLAN.table('l2').id), sw);
  }
});

test('arrival guards: none for a VM moving inside the DC, and none in a DC without a gateway', () => {
  const { topo } = setUp('mac');
  const dir = directoryFromTopology(topo);
  const a1 = dir.find((v) => v.name === 'a1')!;
  const inside = DcModel.fromTopology(topo, 'dc1', dir).withMigrations({ incoming: [{ ...a1, switch: 'dc1-h2-vs', port: 7 }] });
  for (const sw of inside.switches.keys()) assert.deepEqual(migrationArrivalFlows(inside, sw), [], sw);
  const x9 = dir.find((v) => v.name === 'x9')!;
  const noGw = DcModel.fromTopology({ ...topo, gateways: [] }, 'dc1', dir).withMigrations({ incoming: [{ ...x9, dc: 'dc1', switch: 'dc1-h2-vs', port: 7 }] });
  for (const sw of noGw.switches.keys()) assert.deepEqual(migrationArrivalFlows(noGw, sw), [], sw);
});
