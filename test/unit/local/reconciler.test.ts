import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { Action, OfpMessage } from '../../../src/codec/openflow/types';
import { ONF_BCT } from '../../../src/codec/openflow/constants';
import { makeCookie, XSITE_MANAGERS } from '../../../src/pipeline/cookie';
import { FlowBuilder, addFlowMod, type FlowSpec } from '../../../src/pipeline/flow-builder';
import { METADATA_VN_MASK, XSITE_PLAN } from '../../../src/pipeline/table-plan';
import { DesiredState } from '../../../src/local/desired-state';
import { StaticFlowsManager } from '../../../src/local/managers/static-flows';
import { readInstalled, reconcile } from '../../../src/local/reconciler';
import { flowKey, instructionsKey } from '../../../src/local/flow-normalise';
import { emulatedSwitch, type EmulatedSwitch } from './helpers';

const STATIC = XSITE_MANAGERS.idOf('static');
const L2 = XSITE_MANAGERS.idOf('l2');
const OWNED = { managersOwned: [STATIC, L2] };
const out = (port: number): Action => ({ type: 'output', port, maxLen: 0 });

function flows(): FlowSpec[] {
  const b = new FlowBuilder(XSITE_PLAN, STATIC);
  const list: FlowSpec[] = [];
  for (let p = 1; p <= 4; p++) {
    list.push(b.flow({ table: 'classify', band: 'specific', match: [{ field: 'in_port', value: p }], writeMetadata: { value: 7n, mask: METADATA_VN_MASK }, goto: 'l2', cookie: BigInt(p) }));
  }
  for (let i = 1; i <= 4; i++) {
    // Written in an order OVS would not report: eth_dst before metadata, an all-ones mask, upper-case MAC.
    list.push(b.flow({ table: 'l2', band: 'specific', match: [
      { field: 'eth_dst', value: `02:00:00:00:00:0${i}`.toUpperCase(), mask: 'ff:ff:ff:ff:ff:ff' },
      { field: 'metadata', value: 7n, mask: METADATA_VN_MASK },
    ], write: [out(i)], goto: 'egress' }));
  }
  list.push(b.flow({ table: 'l3', band: 'specific', offset: 24, match: [{ field: 'eth_type', value: 0x0800 }, { field: 'ipv4_dst', value: '10.1.2.0', mask: '255.255.255.0' }],
    apply: [{ type: 'set_field', field: { field: 'eth_dst', value: '02:AA:00:00:00:01' } }, { type: 'dec_nw_ttl' }], goto: 'egress' }));
  list.push(b.flow({ table: 'egress', band: 'miss', apply: [] }));
  return list;
}

function stateOf(list: FlowSpec[]): { manager: StaticFlowsManager; desired: DesiredState } {
  const manager = new StaticFlowsManager(XSITE_PLAN, STATIC);
  const desired = new DesiredState();
  desired.apply(manager.set(list));
  return { manager, desired };
}

const counts = (r: { added: number; modified: number; deleted: number; unchanged: number }) => [r.added, r.modified, r.deleted, r.unchanged];
const flowMods = (s: EmulatedSwitch) => s.received.filter((m) => m.type === 'flow_mod' || (m.type === 'bundle_add' && m.message.type === 'flow_mod'));

describe('reconciler against the emulated switch', () => {
  const open: EmulatedSwitch[] = [];
  const start = async (intercept?: (m: OfpMessage) => OfpMessage[] | undefined) => {
    const s = await emulatedSwitch(intercept);
    open.push(s);
    return s;
  };
  afterEach(() => {
    for (const s of open.splice(0)) s.close();
  });

  it('installs the desired flows on an empty switch in one bundle', async () => {
    const s = await start();
    const { desired } = stateOf(flows());
    const r = await reconcile(s.conn, desired, OWNED);
    assert.deepEqual(counts(r), [10, 0, 0, 0]);
    assert.equal(r.via, 'bundle');
    assert.deepEqual(r.foreign, []);
    assert.ok(r.ms >= 0);
    const types = s.types();
    assert.equal(types.filter((t) => t === 'bundle_control').length, 2, 'open + commit');
    assert.equal(types.filter((t) => t === 'bundle_add(flow_mod)').length, 10);
    assert.equal(types.filter((t) => t === 'flow_mod').length, 0, 'no flow_mod outside the bundle');
    const controls = s.received.filter((m) => m.type === 'bundle_control').map((m) => (m.type === 'bundle_control' ? m.ctrlType : -1));
    assert.deepEqual(controls, [ONF_BCT.OPEN_REQUEST, ONF_BCT.COMMIT_REQUEST]);
    const installed = await readInstalled(s.conn);
    assert.deepEqual(installed.map((f) => f.key).sort(), desired.flows().map(flowKey).sort());
  });

  it('a change of exactly one flow goes as one flow_mod and a barrier (atomic by itself): one round trip, no bundle', async () => {
    const s = await start();
    const { desired } = stateOf(flows());
    await reconcile(s.conn, desired, OWNED);
    desired.apply([{ op: 'remove', flow: desired.flows()[0]! }]);
    s.clear();
    const r = await reconcile(s.conn, desired, OWNED);
    assert.equal(r.via, 'single');
    assert.deepEqual(counts(r), [0, 0, 1, 9]);
    assert.deepEqual(s.types(), ['multipart_request', 'flow_mod', 'barrier_request']);
    assert.equal((await readInstalled(s.conn)).length, 9);
  });

  it('is idempotent: the second run changes nothing and sends no flow_mod', async () => {
    const s = await start();
    const { desired } = stateOf(flows());
    await reconcile(s.conn, desired, OWNED);
    s.clear();
    const r = await reconcile(s.conn, desired, OWNED);
    assert.deepEqual(counts(r), [0, 0, 0, 10]);
    assert.equal(r.via, 'none');
    assert.deepEqual(s.types(), ['multipart_request'], 'only the flow stats request');
  });

  it('a manager drops a flow: exactly that flow is deleted, strictly and with its cookie', async () => {
    const s = await start();
    const list = flows();
    const { manager, desired } = stateOf(list);
    await reconcile(s.conn, desired, OWNED);
    const gone = list[5]!;
    desired.apply(manager.set(list.filter((f) => f !== gone)));
    s.clear();
    const r = await reconcile(s.conn, desired, OWNED);
    assert.deepEqual(counts(r), [0, 0, 1, 9]);
    const mods = flowMods(s).map((m) => (m.type === 'bundle_add' ? m.message : m));
    assert.equal(mods.length, 1);
    const del = mods[0]!;
    assert.ok(del.type === 'flow_mod');
    assert.deepEqual([del.command, del.tableId, del.priority, del.cookie, del.cookieMask], [4, gone.tableId, gone.priority, gone.cookie, 0xffffffffffffffffn]);
    const keys = (await readInstalled(s.conn)).map((f) => f.key);
    assert.equal(keys.length, 9);
    assert.ok(!keys.includes(flowKey(gone)));
  });

  it('a modified flow (instructions, then cookie) is replaced in place', async () => {
    const s = await start();
    const list = flows();
    const { desired } = stateOf(list);
    await reconcile(s.conn, desired, OWNED);
    const target = list[4]!;
    desired.apply([{ op: 'add', flow: { ...target, instructions: [{ type: 'apply_actions', actions: [out(3)] }] } }]);
    const r = await reconcile(s.conn, desired, OWNED);
    assert.deepEqual(counts(r), [0, 1, 0, 9]);
    let got = (await readInstalled(s.conn)).find((f) => f.key === flowKey(target))!;
    assert.equal(instructionsKey(got.instructions), instructionsKey([{ type: 'apply_actions', actions: [out(3)] }]));
    desired.apply([{ op: 'add', flow: { ...desired.get(target)!, cookie: makeCookie(STATIC, 0x77n) } }]);
    assert.deepEqual(counts(await reconcile(s.conn, desired, OWNED)), [0, 1, 0, 9]);
    got = (await readInstalled(s.conn)).find((f) => f.key === flowKey(target))!;
    assert.equal(got.cookie, makeCookie(STATIC, 0x77n));
    assert.equal((await reconcile(s.conn, desired, OWNED)).via, 'none');
  });

  it('a foreign flow (unknown cookie) is reported and left alone, unless asked', async () => {
    const s = await start();
    const { desired } = stateOf(flows());
    s.conn.send({ ...addFlowMod({ tableId: 3, priority: 1500, match: [{ field: 'eth_type', value: 0x0800 }], instructions: [], cookie: 0x1234n }) });
    s.conn.send({ ...addFlowMod({ tableId: 9, priority: 1, match: [], instructions: [], cookie: makeCookie(0x7777) }) });
    await s.conn.barrier();
    const r = await reconcile(s.conn, desired, OWNED);
    assert.deepEqual(counts(r), [10, 0, 0, 0]);
    assert.deepEqual(r.foreign.map((f) => [f.tableId, f.priority, f.cookie]).sort(), [[3, 1500, 0x1234n], [9, 1, makeCookie(0x7777)]]);
    assert.equal((await readInstalled(s.conn)).length, 12);
    const again = await reconcile(s.conn, desired, OWNED);
    assert.equal(again.via, 'none');
    assert.equal(again.foreign.length, 2);
    const purge = await reconcile(s.conn, desired, { ...OWNED, deleteForeign: true });
    assert.deepEqual(counts(purge), [0, 0, 2, 10]);
    assert.equal((await readInstalled(s.conn)).length, 10);
  });

  it('a flow of our manager that nobody desires any more (e.g. left by a crash) is deleted', async () => {
    const s = await start();
    const stale = new FlowBuilder(XSITE_PLAN, L2).flow({ table: 'l2', band: 'default', match: [{ field: 'eth_dst', value: '02:00:00:00:00:99' }] });
    s.conn.send(addFlowMod(stale));
    await s.conn.barrier();
    const { desired } = stateOf(flows());
    const r = await reconcile(s.conn, desired, OWNED);
    assert.deepEqual(counts(r), [10, 0, 1, 0]);
    assert.deepEqual(r.foreign, []);
  });

  it('the switch restarted (flows lost): reconcile restores them', async () => {
    const first = await start();
    const { desired } = stateOf(flows());
    await reconcile(first.conn, desired, OWNED);
    first.close();
    const restarted = await start();
    assert.equal((await readInstalled(restarted.conn)).length, 0);
    const r = await reconcile(restarted.conn, desired, OWNED);
    assert.deepEqual(counts(r), [10, 0, 0, 0]);
    assert.equal((await reconcile(restarted.conn, desired, OWNED)).via, 'none');
  });

  it('desired flows listed in another order give the same switch state and messages', async () => {
    const a = await start();
    const b = await start();
    const list = flows();
    await reconcile(a.conn, stateOf(list).desired, OWNED);
    await reconcile(b.conn, stateOf([...list].reverse()).desired, OWNED);
    const dump = async (s: EmulatedSwitch) =>
      (await readInstalled(s.conn)).map((f) => `${f.key} ${f.cookie} ${instructionsKey(f.instructions)}`).sort();
    assert.deepEqual(await dump(a), await dump(b));
    const inner = (s: EmulatedSwitch) => flowMods(s).map((m) => (m.type === 'bundle_add' ? JSON.stringify(m.message, (_, v) => (typeof v === 'bigint' ? String(v) : v)).replace(/"xid":\d+,?/, '') : ''));
    assert.deepEqual(inner(a), inner(b), 'same flow_mods in the same order');
  });

  it('a flow the switch refuses at add time: nothing applied, a clear error', async () => {
    const s = await start();
    const list = flows();
    // arp_tpa without eth_type=arp before it: allowed by the plan, refused by the switch (bad prerequisite).
    const bad = new FlowBuilder(XSITE_PLAN, STATIC).flow({ table: 'arp', band: 'default', match: [{ field: 'arp_tpa', value: '10.0.0.1' }], apply: [out(1)] });
    const { desired } = stateOf([...list, bad]);
    await assert.rejects(reconcile(s.conn, desired, OWNED), (e: unknown) => {
      const err = e as { code: string; details: Record<string, unknown> };
      assert.equal(err.code, 'RECONCILE_REFUSED');
      assert.equal(err.details.atomic, true);
      assert.equal(err.details.tableId, 1);
      assert.equal(err.details.key, flowKey(bad));
      assert.deepEqual([err.details.errType, err.details.errCode], [4, 9], 'OFPET_BAD_MATCH / OFPBMC_BAD_PREREQ');
      return true;
    });
    assert.equal((await readInstalled(s.conn)).length, 0, 'nothing applied');
    assert.ok(!s.received.some((m) => m.type === 'bundle_control' && m.ctrlType === ONF_BCT.COMMIT_REQUEST), 'never committed');
    // The bundle was discarded: the next reconcile (without the bad flow) works.
    const r = await reconcile(s.conn, stateOf(list).desired, OWNED);
    assert.deepEqual(counts(r), [10, 0, 0, 0]);
  });

  it('a flow the switch refuses at commit time (missing group): nothing applied, a clear error', async () => {
    const s = await start();
    const list = flows();
    const bad = new FlowBuilder(XSITE_PLAN, STATIC).flow({ table: 'egress', band: 'default', match: [{ field: 'in_port', value: 2 }], apply: [{ type: 'group', groupId: 99 }] });
    await assert.rejects(reconcile(s.conn, stateOf([...list, bad]).desired, OWNED), (e: unknown) => {
      const err = e as { code: string; details: Record<string, unknown> };
      assert.equal(err.code, 'RECONCILE_REFUSED');
      assert.equal(err.details.atomic, true);
      assert.equal(err.details.key, flowKey(bad));
      return true;
    });
    assert.equal((await readInstalled(s.conn)).length, 0, 'nothing applied');
  });

  it('a switch that refuses bundles gets plain flow_mods and a barrier', async () => {
    const s = await start((m) =>
      m.type === 'bundle_control' ? [{ type: 'error', errType: 1, code: 3, data: Buffer.alloc(0), xid: m.xid }] : undefined,
    );
    const { desired } = stateOf(flows());
    const r = await reconcile(s.conn, desired, OWNED);
    assert.equal(r.via, 'plain');
    assert.deepEqual(counts(r), [10, 0, 0, 0]);
    const types = s.types();
    assert.equal(types.filter((t) => t === 'flow_mod').length, 10);
    assert.equal(types.at(-1), 'barrier_request');
    assert.equal((await readInstalled(s.conn)).length, 10);
    s.clear();
    const r2 = await reconcile(s.conn, desired, OWNED);
    assert.equal(r2.via, 'none');
    // Remembered: the next change goes plain at once.
    desired.apply([{ op: 'remove', flow: desired.flows()[0]! }, { op: 'remove', flow: desired.flows()[1]! }]);
    s.clear();
    const r3 = await reconcile(s.conn, desired, OWNED);
    assert.equal(r3.via, 'plain');
    assert.ok(!s.types().includes('bundle_control'));
    await assert.rejects(reconcile(s.conn, stateOf(flows()).desired, { ...OWNED, mode: 'bundle' }), { code: 'RECONCILE_NO_BUNDLES' });
  });

  it('plain mode reports a refused flow_mod (not atomic)', async () => {
    const s = await start();
    const bad = new FlowBuilder(XSITE_PLAN, STATIC).flow({ table: 'arp', band: 'default', match: [{ field: 'arp_tpa', value: '10.0.0.1' }] });
    await assert.rejects(reconcile(s.conn, stateOf([...flows(), bad]).desired, { ...OWNED, mode: 'plain' }), (e: unknown) => {
      const err = e as { code: string; details: Record<string, unknown> };
      assert.equal(err.code, 'RECONCILE_REFUSED');
      assert.equal(err.details.atomic, false);
      assert.equal(err.details.refused, 1);
      return true;
    });
  });
});
