import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OFPVID_PRESENT } from '../../../../src/codec/openflow/constants';
import type { Instruction, Match } from '../../../../src/codec/openflow/types';
import { XSITE_MANAGERS, cookieManager } from '../../../../src/pipeline/cookie';
import { checkFlow, type FlowSpec } from '../../../../src/pipeline/flow-builder';
import { METADATA_VN_MASK, XSITE_PLAN } from '../../../../src/pipeline/table-plan';
import { DcModel } from '../../../../src/local/dc-model';
import { classifyFlows } from '../../../../src/local/managers/classify';
import { oneDc } from '../dc-topology';

const val = (m: Match, field: string) => m.find((t) => t.field === field && t.field !== 'raw') as { value: unknown } | undefined;
const meta = (ins: Instruction[]) => ins.find((i) => i.type === 'write_metadata') as { metadata: bigint; mask: bigint } | undefined;
const byPort = (flows: FlowSpec[], port: number) => flows.filter((f) => val(f.match, 'in_port')?.value === port);

test('classify (mac): VM ports by in_port + source MAC, inner ports by source MAC; all into table arp', () => {
  const topo = oneDc('mac');
  const model = DcModel.fromTopology(topo, 'dc1');
  const flows = classifyFlows(model, 'dc1-h1-vs');
  for (const f of flows) {
    checkFlow(XSITE_PLAN, f);
    assert.equal(f.tableId, XSITE_PLAN.table('classify').id);
    assert.equal(cookieManager(f.cookie), XSITE_MANAGERS.idOf('classify'));
  }
  const miss = flows.filter((f) => f.priority === 0);
  assert.equal(miss.length, 1);
  assert.deepEqual(miss[0]!.instructions, [], 'unclassified frames are dropped');
  const vm = (name: string) => topo.vms.find((v) => v.name === name)!;
  for (const [name, vn] of [['a1', 100], ['a2', 100], ['g2', 200]] as const) {
    const f = byPort(flows, vm(name).port);
    assert.equal(f.length, 1, name);
    assert.equal(val(f[0]!.match, 'eth_src')?.value, vm(name).mac);
    assert.deepEqual(meta(f[0]!.instructions), { type: 'write_metadata', metadata: BigInt(vn), mask: METADATA_VN_MASK });
    assert.deepEqual(f[0]!.instructions.at(-1), { type: 'goto_table', tableId: XSITE_PLAN.table('arp').id });
  }
  const [uplink] = model.innerPorts('dc1-h1-vs');
  const up = byPort(flows, uplink!);
  assert.deepEqual(up.map((f) => val(f.match, 'eth_src')?.value).sort(), [vm('a3').mac, vm('g1').mac, vm('g5').mac].sort());
  assert.equal(flows.length, 1 + 3 + 3);
});

test('classify (vlan): inner ports by VLAN tag per VN, popped; the tag of VN 100 is 100', () => {
  const topo = oneDc('vlan');
  const model = DcModel.fromTopology(topo, 'dc1');
  const flows = classifyFlows(model, 'dc1-tor');
  flows.forEach((f) => checkFlow(XSITE_PLAN, f));
  assert.equal(model.innerPorts('dc1-tor').length, 3);
  assert.equal(flows.length, 1 + 3 * 2);
  for (const f of flows.filter((x) => x.priority !== 0)) {
    const vid = Number(val(f.match, 'vlan_vid')!.value);
    const vn = vid & 0xfff;
    assert.ok(vid & OFPVID_PRESENT);
    assert.ok(vn === 100 || vn === 200);
    assert.deepEqual(f.instructions[0], { type: 'apply_actions', actions: [{ type: 'pop_vlan' }] });
    assert.equal(meta(f.instructions)!.metadata, BigInt(vn));
  }
});

test('classify follows the directory: an unregistered VM port gets no flow', () => {
  const topo = oneDc('mac');
  const model = DcModel.fromTopology(topo, 'dc1');
  const without = model.withVms(model.vms.filter((v) => v.name !== 'a1'));
  const a1 = topo.vms.find((v) => v.name === 'a1')!;
  assert.equal(byPort(classifyFlows(model, 'dc1-h1-vs'), a1.port).length, 1);
  assert.equal(byPort(classifyFlows(without, 'dc1-h1-vs'), a1.port).length, 0);
  assert.throws(() => classifyFlows(model, 'nope'), /no switch nope/);
});
