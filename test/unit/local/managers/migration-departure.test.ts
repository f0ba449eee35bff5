import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OFPP, OFPVID_PRESENT } from '../../../../src/codec/openflow/constants';
import type { Action, Match } from '../../../../src/codec/openflow/types';
import type { Virtualisation } from '../../../../src/emulator/topology/model';
import { DcModel, directoryFromTopology } from '../../../../src/local/dc-model';
import { l2Flows } from '../../../../src/local/managers/l2';
import { migrationDepartureFlows } from '../../../../src/local/managers/migration-departure';
import { migrationHoldManager } from '../../../../src/local/managers/migration-hold';
import { XSITE_MANAGERS, cookieManager } from '../../../../src/pipeline/cookie';
import { checkFlow, type FlowSpec } from '../../../../src/pipeline/flow-builder';
import { XSITE_PLAN } from '../../../../src/pipeline/table-plan';
import { TopologyBuilder } from '../../../../src/emulator/topology/builder';
import { twoDcsWithGateways } from '../dc-topology';

const field = (m: Match, name: string) => (m.find((t) => t.field === name) as { value: unknown } | undefined)?.value;
const actions = (f: FlowSpec): Action[] => (f.instructions.find((i) => i.type === 'apply_actions') as { actions: Action[] } | undefined)?.actions ?? [];
const out = (port: number): Action => ({ type: 'output', port, maxLen: 0 });
const l2Table = XSITE_PLAN.table('l2').id;

/** a1 (dc1-h1-vs) has left dc1 for dc2: dc1's model after its switchover, with a1's old place as departed. */
function setUp(virtualisation: Virtualisation) {
  const topo = twoDcsWithGateways(virtualisation);
  const dir = directoryFromTopology(topo);
  const a1 = dir.find((v) => v.name === 'a1')!;
  const moved = dir.map((v) => (v.name === 'a1' ? { ...v, dc: 'dc2', switch: 'dc2-h1-vs', port: 9 } : v));
  const after = DcModel.fromTopology(topo, 'dc1', moved).withMigrations({ departed: [a1] });
  const port = (from: string, to: string) => after.nextHop(from, to)!;
  return { topo, dir, a1, after, port };
}

test('departure returns: after the source switched over, a frame to the VM that still comes the old way goes back out of its input port', () => {
  const { a1, after, port } = setUp('mac');
  for (const sw of after.switches.keys()) {
    for (const f of migrationDepartureFlows(after, sw)) {
      checkFlow(XSITE_PLAN, f);
      assert.equal(cookieManager(f.cookie), XSITE_MANAGERS.idOf('migration'));
    }
  }
  const l2 = (sw: string) => migrationDepartureFlows(after, sw).filter((f) => f.tableId === l2Table);
  // The old vswitch: a frame to a1 from the fabric (a stale tor) would go back up the uplink it came from: dropped by
  // OpenFlow; the return sends it back there explicitly.
  const h1 = l2('dc1-h1-vs');
  assert.equal(h1.length, 1);
  assert.equal(field(h1[0]!.match, 'in_port'), port('dc1-h1-vs', 'dc1-tor'));
  assert.equal(field(h1[0]!.match, 'eth_dst'), a1.mac);
  assert.deepEqual(actions(h1[0]!), [out(OFPP.IN_PORT)]);
  // The fabric: frames from the gateway's side (a stale gateway) go back to it.
  const tor = l2('dc1-tor');
  assert.equal(tor.length, 1);
  assert.equal(field(tor[0]!.match, 'in_port'), port('dc1-tor', 'dc1-gw-sw'));
  assert.deepEqual(actions(tor[0]!), [out(OFPP.IN_PORT)]);
  // A vswitch whose way to the VM was its way to the gateway, and the gateway itself: nothing.
  assert.deepEqual(migrationDepartureFlows(after, 'dc1-h2-vs'), []);
  assert.deepEqual(migrationDepartureFlows(after, 'dc1-gw-sw'), []);
  // Above the plain forwarding of a1's MAC (towards the gateway now).
  const plain = l2Flows(after, 'dc1-h1-vs').find((f) => field(f.match, 'eth_dst') === a1.mac)!;
  assert.deepEqual(actions(plain), [out(port('dc1-h1-vs', 'dc1-tor'))]);
  assert.ok(h1[0]!.priority > plain.priority);
  // Part of the migration manager's flows.
  assert.ok(migrationHoldManager.flows(after, 'dc1-h1-vs').some((f) => field(f.match, 'eth_dst') === a1.mac && field(f.match, 'in_port') === port('dc1-h1-vs', 'dc1-tor')));
});

test('departure returns (mac): none in classify where no VM of the sender is turned back (the fabric has none)', () => {
  const { after } = setUp('mac');
  assert.deepEqual(migrationDepartureFlows(after, 'dc1-tor').filter((f) => f.tableId !== l2Table), []);
  assert.deepEqual(migrationDepartureFlows(after, 'dc1-h1-vs').filter((f) => f.tableId !== l2Table), []);
});

test('departure returns (mac), a chain gw - s1 - s2: s2 turns s1\'s frames back, and s1 accepts its own VM\'s frame sent back on its port towards s2', () => {
  // p on s1 sends to x, which left s2: a stale s1 sends towards s2, s2 (flipped) sends x's frames back towards the
  // gateway, that is up the port the frame came in on.
  const topo = new TopologyBuilder('chain')
    .dc('dc1', { subnet: '10.1.0.0/16', gatewayIp: '192.168.10.254' })
    .dc('dc2', { subnet: '10.2.0.0/16', gatewayIp: '192.168.10.254' })
    .switch('gw', { dc: 'dc1', role: 'gateway' })
    .switch('s1', { dc: 'dc1', role: 'host' })
    .switch('s2', { dc: 'dc1', role: 'host' })
    .switch('dc2-gw', { dc: 'dc2', role: 'gateway' })
    .switch('dc2-s', { dc: 'dc2', role: 'host' })
    .host('h1', { dc: 'dc1', switch: 's1', address: '10.1.0.11' })
    .host('h2', { dc: 'dc1', switch: 's2', address: '10.1.0.12' })
    .host('h3', { dc: 'dc2', switch: 'dc2-s', address: '10.2.0.11' })
    .link('gw', 's1')
    .link('s1', 's2')
    .link('dc2-gw', 'dc2-s')
    .wan('gw', 'dc2-gw', { latencyMs: 5, bandwidthMbps: 100 })
    .gateway('g1', { dc: 'dc1', switch: 'gw', publicIps: ['203.0.113.1'], portRange: [20000, 20999] })
    .gateway('g2', { dc: 'dc2', switch: 'dc2-gw', publicIps: ['203.0.113.2'], portRange: [20000, 20999] })
    .tenant('acme', [{ name: 'web', id: 100, subnet: '192.168.10.0/24' }])
    .vm('p', { tenant: 'acme', vn: 'web', host: 'h1', ip: '192.168.10.1' })
    .vm('x', { tenant: 'acme', vn: 'web', host: 'h2', ip: '192.168.10.2' })
    .build();
  const dir = directoryFromTopology(topo);
  const x = dir.find((v) => v.name === 'x')!;
  const p = dir.find((v) => v.name === 'p')!;
  const after = DcModel.fromTopology(topo, 'dc1', dir.map((v) => (v.name === 'x' ? { ...v, dc: 'dc2', switch: 'dc2-s', port: 9 } : v))).withMigrations({ departed: [x] });
  const s2 = migrationDepartureFlows(after, 's2');
  assert.deepEqual(s2.map((f) => [f.tableId, field(f.match, 'in_port'), actions(f)]), [[l2Table, after.nextHop('s2', 's1'), [out(OFPP.IN_PORT)]]]);
  const s1 = migrationDepartureFlows(after, 's1');
  const classify = s1.filter((f) => f.tableId === XSITE_PLAN.table('classify').id);
  assert.deepEqual(classify.map((f) => [field(f.match, 'in_port'), field(f.match, 'eth_src')]), [[after.nextHop('s1', 's2'), p.mac]]);
  // s1 also turns back what a stale gateway would send it.
  assert.deepEqual(s1.filter((f) => f.tableId === l2Table).map((f) => field(f.match, 'in_port')), [after.nextHop('s1', 'gw')]);
});

test('departure returns (vlan): IN_PORT with the VN tag pushed again', () => {
  const { after } = setUp('vlan');
  const tag = [{ type: 'push_vlan', ethertype: 0x8100 }, { type: 'set_field', field: { field: 'vlan_vid', value: OFPVID_PRESENT | 100 } }];
  const [ret] = migrationDepartureFlows(after, 'dc1-h1-vs');
  assert.deepEqual(actions(ret!), [...tag, out(OFPP.IN_PORT)]);
});

test('departure returns: none once settled, none for a VM that came back or is arriving again, none without a gateway', () => {
  const { topo, dir, a1, after } = setUp('mac');
  const settled = after.withMigrations({ departed: [] });
  for (const sw of settled.switches.keys()) assert.deepEqual(migrationDepartureFlows(settled, sw), [], sw);
  const back = DcModel.fromTopology(topo, 'dc1', dir).withMigrations({ departed: [a1] });
  for (const sw of back.switches.keys()) assert.deepEqual(migrationDepartureFlows(back, sw), [], sw);
  const arriving = after.withMigrations({ incoming: [{ ...a1, switch: 'dc1-h2-vs', port: 7 }] });
  for (const sw of arriving.switches.keys()) assert.deepEqual(migrationDepartureFlows(arriving, sw), [], sw);
  const noGw = DcModel.fromTopology({ ...topo, gateways: [] }, 'dc1', after.vms).withMigrations({ departed: [a1] });
  for (const sw of noGw.switches.keys()) assert.deepEqual(migrationDepartureFlows(noGw, sw), [], sw);
});
