/**
 * The reconciler against a REAL Open vSwitch: ~50 multi-table flows with several match kinds (masks, VLAN, IPv4
 * prefixes, metadata, transport ports) and set_field actions are installed, then a second reconcile must find
 * nothing to do (our normalisation agrees with what OVS reports), a dropped desired flow is exactly one delete, and
 * a flow added by hand with ovs-ofctl is reported as foreign and left alone.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Action, Match } from '../../src/codec/openflow/types';
import { Lab, leftovers } from '../../src/lab/lab';
import { TopologyBuilder } from '../../src/lab/topology';
import type { SwitchConnection } from '../../src/openflow/connection';
import { OpenFlowController } from '../../src/openflow/controller';
import { XSITE_MANAGERS } from '../../src/pipeline/cookie';
import { FlowBuilder, type FlowSpec } from '../../src/pipeline/flow-builder';
import { METADATA_VN_MASK, XSITE_PLAN } from '../../src/pipeline/table-plan';
import { DesiredState } from '../../src/local/desired-state';
import { readInstalled, reconcile } from '../../src/local/reconciler';
import { flowKey } from '../../src/local/flow-normalise';
import { StaticFlowsManager } from '../../src/local/managers/static-flows';
import { labSkipReason } from '../support/lab-guard';

const STATIC = XSITE_MANAGERS.idOf('static');
const out = (port: number): Action => ({ type: 'output', port, maxLen: 0 });
const setf = (field: Match[number]): Action => ({ type: 'set_field', field });

/** About 50 flows over every table of the plan. */
export function sampleFlows(): FlowSpec[] {
  const b = new FlowBuilder(XSITE_PLAN, STATIC);
  const flows: FlowSpec[] = [];
  const vn = (n: number) => ({ value: BigInt(n), mask: METADATA_VN_MASK });
  for (let p = 1; p <= 8; p++) {
    flows.push(b.flow({ table: 'classify', band: 'specific', offset: p, match: [{ field: 'in_port', value: p }], writeMetadata: vn(100 + (p % 3)), goto: 'arp', cookie: BigInt(p) }));
  }
  flows.push(b.flow({ table: 'classify', band: 'override', match: [{ field: 'in_port', value: 9 }, { field: 'vlan_vid', value: 0x1000 | 42 }], apply: [{ type: 'pop_vlan' }], writeMetadata: vn(42), goto: 'arp' }));
  flows.push(b.flow({ table: 'classify', band: 'default', match: [{ field: 'vlan_vid', value: 0x1000, mask: 0x1000 }], apply: [] }));
  flows.push(b.flow({ table: 'classify', band: 'default', offset: 1, match: [{ field: 'eth_src', value: '01:00:00:00:00:00', mask: '01:00:00:00:00:00' }] }));
  flows.push(b.flow({ table: 'classify', band: 'miss', apply: [out(0xfffffffd)] }));
  for (let i = 0; i < 8; i++) {
    flows.push(b.flow({ table: 'arp', band: 'specific', offset: i, match: [
      { field: 'metadata', value: 100n + BigInt(i % 3), mask: METADATA_VN_MASK }, { field: 'eth_type', value: 0x0806 },
      { field: 'arp_op', value: 1 }, { field: 'arp_tpa', value: `10.0.${i}.1` },
    ], apply: [{ type: 'output', port: 0xfffffffd, maxLen: 0xffff }] }));
  }
  flows.push(b.flow({ table: 'arp', band: 'default', match: [{ field: 'eth_type', value: 0x0806 }, { field: 'arp_spa', value: '10.9.0.0', mask: '255.255.0.0' }], goto: 'l2' }));
  flows.push(b.flow({ table: 'arp', band: 'miss', goto: 'l2' }));
  for (let i = 0; i < 10; i++) {
    flows.push(b.flow({ table: 'l2', band: 'specific', match: [
      { field: 'metadata', value: 100n + BigInt(i % 3), mask: METADATA_VN_MASK },
      { field: 'eth_dst', value: `02:00:00:00:01:${i.toString(16).padStart(2, '0')}` },
    ], write: [out(1 + (i % 4))], goto: 'egress', cookie: 0x1000n + BigInt(i) }));
  }
  flows.push(b.flow({ table: 'l2', band: 'override', match: [{ field: 'eth_dst', value: '02:AA:00:00:00:01' }], goto: 'l3' }));
  flows.push(b.flow({ table: 'l2', band: 'default', match: [{ field: 'eth_dst', value: 'ff:ff:ff:ff:ff:ff' }], apply: [{ type: 'output', port: 0xfffffffb, maxLen: 0 }] }));
  for (let len = 8; len <= 32; len += 4) {
    const mask = len === 32 ? '255.255.255.255' : `${[0, 1, 2, 3].map((o) => Math.max(0, Math.min(8, len - 8 * o))).map((bits) => 256 - 2 ** (8 - bits)).join('.')}`;
    flows.push(b.flow({ table: 'l3', band: 'specific', offset: len, match: [
      { field: 'eth_type', value: 0x0800 }, { field: 'ipv4_dst', value: '10.128.0.0'.split('.').map((o, i) => (i * 8 < len ? o : '0')).join('.'), mask },
    ], apply: [setf({ field: 'eth_dst', value: `02:00:00:00:03:${len.toString(16).padStart(2, '0')}` }), { type: 'dec_nw_ttl' }], goto: 'gateway-nat' }));
  }
  flows.push(b.flow({ table: 'l3', band: 'default', match: [{ field: 'eth_type', value: 0x86dd }, { field: 'ipv6_dst', value: '2001:DB8::', mask: 'ffff:ffff::' }], goto: 'egress' }));
  flows.push(b.flow({ table: 'l3', band: 'override', match: [{ field: 'eth_type', value: 0x0800 }, { field: 'ip_proto', value: 1 }, { field: 'ipv4_src', value: '192.168.7.0', mask: '255.255.255.0' }], apply: [] }));
  for (let k = 0; k < 8; k++) {
    flows.push(b.flow({ table: 'gateway-nat', band: 'specific', offset: k, match: [
      { field: 'eth_type', value: 0x0800 }, { field: 'ip_proto', value: k % 2 === 0 ? 6 : 17 },
      { field: 'ipv4_src', value: `10.0.0.${k + 1}` }, { field: 'ipv4_dst', value: '10.1.0.9', mask: '255.255.255.255' },
      k % 2 === 0 ? { field: 'tcp_dst', value: 80 } : { field: 'udp_dst', value: 4000 + 16 * k, mask: 0xfff0 },
    ], apply: [
      setf({ field: 'ipv4_src', value: '203.0.113.1' }), setf({ field: 'eth_src', value: '02:BB:00:00:00:01' }),
      k % 2 === 0 ? setf({ field: 'tcp_src', value: 40000 + k }) : setf({ field: 'udp_src', value: 40000 + k }),
    ], write: [out(2)], goto: 'egress', cookie: 0xabc00n + BigInt(k) }));
  }
  for (let v = 0; v < 5; v++) {
    flows.push(b.flow({ table: 'egress', band: 'specific', match: [{ field: 'metadata', value: BigInt(v) << 32n, mask: 0xff00000000n }], apply: [
      { type: 'push_vlan', ethertype: 0x8100 }, setf({ field: 'vlan_vid', value: 0x1000 | (10 + v) }), out(3),
    ] }));
  }
  flows.push(b.flow({ table: 'egress', band: 'miss', apply: [] }));
  return flows;
}

describe('reconciler against Open vSwitch', { skip: labSkipReason(), concurrency: false }, () => {
  const controller = new OpenFlowController();
  let lab: Lab | undefined;
  let conn: SwitchConnection;

  before(async () => {
    const port = await controller.listen(0);
    lab = await Lab.up(
      new TopologyBuilder('recon')
        .bridge('s1', { controller: `tcp:127.0.0.1:${port}`, dpid: '00000000000000b1' })
        .host('h1', 's1', '10.0.0.1/24')
        .build(),
    );
    await controller.waitForSwitches(1, 20000);
    conn = controller.switches.get(0xb1n)!;
    assert.ok(conn, 'switch b1 connected');
  });

  after(async () => {
    const prefix = lab?.prefix;
    if (lab) await lab.down();
    await controller.close();
    if (prefix) assert.deepEqual((await leftovers(prefix)).map(String), []);
  });

  it('installs ~50 flows, finds nothing to do the second time, deletes exactly one, reports a foreign flow', async () => {
    const manager = new StaticFlowsManager(XSITE_PLAN, STATIC);
    const desired = new DesiredState();
    const flows = sampleFlows();
    assert.ok(flows.length >= 50, `${flows.length} flows`);
    desired.apply(manager.set(flows));
    const owned = { managersOwned: [STATIC] };

    const first = await reconcile(conn, desired, owned);
    assert.equal(first.via, 'bundle');
    assert.deepEqual([first.added, first.modified, first.deleted, first.unchanged], [flows.length, 0, 0, 0]);
    const foreignBefore = first.foreign.length;

    const installed = await readInstalled(conn);
    const ours = installed.filter((f) => (f.cookie >> 48n) === BigInt(STATIC));
    assert.equal(ours.length, flows.length);
    // OVS does rewrite what we sent (field order, all-ones masks, MAC case, empty apply_actions): normalisation is needed.
    const text = (v: unknown) => JSON.stringify(v, (_, x) => (typeof x === 'bigint' ? String(x) : x));
    const rawDiffers = flows.filter((f) => {
      const got = ours.find((o) => o.key === flowKey(f))!;
      return text(got.match) !== text(f.match) || text(got.instructions) !== text(f.instructions);
    });
    if (process.env.XSITE_SHOW_NORMALISATION === '1') {
      for (const f of rawDiffers) console.log(text(f), '\n  ->', text(ours.find((o) => o.key === flowKey(f))));
    }
    assert.ok(rawDiffers.length > 0);

    const second = await reconcile(conn, desired, owned);
    assert.deepEqual([second.added, second.modified, second.deleted, second.unchanged, second.via], [0, 0, 0, flows.length, 'none'],
      'OVS reports every flow the way we normalise it');

    // A manager drops one flow: exactly one delete.
    const dropped = flows[20]!;
    desired.apply(manager.set(flows.filter((f) => f !== dropped)));
    const third = await reconcile(conn, desired, owned);
    assert.deepEqual([third.added, third.modified, third.deleted, third.unchanged], [0, 0, 1, flows.length - 1]);
    assert.equal((await readInstalled(conn)).filter((f) => (f.cookie >> 48n) === BigInt(STATIC)).length, flows.length - 1);

    // A modified flow: one modify, counted once, then steady.
    const changed = { ...flows[0]!, instructions: [{ type: 'apply_actions' as const, actions: [out(2)] }] };
    desired.apply([{ op: 'add', flow: changed }]);
    const fourth = await reconcile(conn, desired, owned);
    assert.deepEqual([fourth.added, fourth.modified, fourth.deleted], [0, 1, 0]);
    assert.equal((await reconcile(conn, desired, owned)).via, 'none');

    // A foreign flow added by hand.
    await lab!.ofctl('s1', 'add-flow', 'table=3,cookie=0x1234,priority=1500,ip,nw_dst=10.77.0.0/16,actions=drop');
    const fifth = await reconcile(conn, desired, owned);
    assert.equal(fifth.via, 'none');
    assert.equal(fifth.foreign.length, foreignBefore + 1);
    assert.ok(fifth.foreign.some((f) => f.cookie === 0x1234n && f.tableId === 3 && f.priority === 1500));
    assert.match(await lab!.ofctl('s1', 'dump-flows'), /cookie=0x1234/, 'the foreign flow is still there');
  });
});
