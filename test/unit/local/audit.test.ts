/**
 * `xsite audit`, local half, on the emulator (three DCs, central's cross-site service in process): a clean set-up
 * audits clean; a foreign flow on a switch is leaked; a desired flow deleted from a switch is a mismatch; a
 * cross-site flow's NAT entries are found on both gateways; central's runAudit over these locals sums it up.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { AUDIT_REQUEST, AUDIT_VERSION, isAuditRequest } from '../../../src/central/audit-protocol';
import { runAudit } from '../../../src/central/audit';
import { loadTopologyFile } from '../../../src/emulator/topology/load';
import { auditLocal } from '../../../src/local/audit';
import { natCookie } from '../../../src/local/managers/gateway-nat';
import { addFlowMod, deleteFlowMod } from '../../../src/pipeline/flow-builder';
import { crossSiteHarness, type CrossSiteHarness } from './cross-site-harness';

const TOPO = 'examples/topologies/three-dcs.yaml';

describe('local audit (emulator, three DCs)', () => {
  let h: CrossSiteHarness;
  const topo = loadTopologyFile(TOPO);
  const local = (dc: string) => h.locals.get(dc)!;
  /** central's audit over the in-process locals (a fake channel: every DC connected). */
  const central = () =>
    runAudit({
      store: h.store,
      dcs: ['dc1', 'dc2', 'dc3'],
      channel: {
        connectedDcs: () => ['dc1', 'dc2', 'dc3'],
        request: async <R>(dc: string, body: unknown) => {
          assert.ok(isAuditRequest(body));
          return (await auditLocal(local(dc))) as R;
        },
      },
    });

  before(async () => {
    h = await crossSiteHarness(topo);
  });
  after(async () => {
    await h?.close();
  });

  test('after set-up every switch of every DC agrees with its desired state', async () => {
    for (const dc of ['dc1', 'dc2', 'dc3']) {
      const a = await auditLocal(local(dc));
      assert.equal(a.v, AUDIT_VERSION);
      assert.equal(a.dc, dc);
      assert.equal(a.switches, 4);
      assert.equal(a.connected, 4);
      assert.equal(a.leakedFlows, 0, `${dc}: ${JSON.stringify(a.details)}`);
      assert.equal(a.mismatches, 0, `${dc}: ${JSON.stringify(a.details)}`);
      assert.deepEqual(a.natFlows, []);
      assert.deepEqual(a.details, []);
    }
    const r = await central();
    assert.deepEqual([r.leakedFlows, r.leakedTuples, r.mismatches], [0, 0, 0], JSON.stringify(r.details));
    assert.ok(isAuditRequest({ type: AUDIT_REQUEST, v: 1 }));
    assert.ok(!isAuditRequest({ type: 'directory.vms', v: 1 }));
  });

  test('a foreign flow added straight on a switch is one leaked flow, with its details', async () => {
    const sw = h.net.switches.get('dc1-tor')!;
    const foreign = { tableId: 0, priority: 7, match: [{ field: 'eth_type' as const, value: 0x88b5 }], instructions: [], cookie: 0xabcn };
    const replies = sw.handleMessage(addFlowMod(foreign));
    assert.ok(!replies.some((m) => m.type === 'error'), JSON.stringify(replies));
    try {
      const a = await auditLocal(local('dc1'));
      assert.equal(a.leakedFlows, 1, JSON.stringify(a.details));
      assert.equal(a.mismatches, 0);
      assert.equal(a.details.length, 1);
      const d = a.details[0]!;
      assert.equal(d.switch, 'dc1-tor');
      assert.equal(d.kind, 'leaked');
      assert.equal(d.tableId, 0);
      assert.equal(d.priority, 7);
      assert.equal(d.cookie, '0xabc');
      assert.match(d.match ?? '', /88b5/i);
      assert.equal((await auditLocal(local('dc2'))).leakedFlows, 0, 'other DCs are not affected');
      const r = await central();
      assert.equal(r.leakedFlows, 1);
      assert.equal(r.details[0]?.dc, 'dc1');
    } finally {
      sw.handleMessage(deleteFlowMod(foreign));
    }
    assert.equal((await auditLocal(local('dc1'))).leakedFlows, 0);
  });

  test('a desired flow deleted from a switch is a mismatch until the switch is reconciled', async () => {
    const app = local('dc2');
    const name = 'dc2-h1-vs';
    const flows = [...app.desiredState(name).entries()].map(([, f]) => f);
    const victim = flows.find((f) => f.priority > 0) ?? flows[0]!;
    const sw = h.net.switches.get(name)!;
    sw.handleMessage(deleteFlowMod(victim));
    const a = await auditLocal(app);
    assert.ok(a.mismatches >= 1, JSON.stringify(a));
    assert.equal(a.leakedFlows, 0);
    const missing = a.details.find((d) => d.kind === 'missing');
    assert.ok(missing, JSON.stringify(a.details));
    assert.equal(missing.switch, name);
    assert.equal(missing.tableId, victim.tableId);
    assert.equal(missing.priority, victim.priority);
    assert.equal(missing.cookie, `0x${victim.cookie.toString(16)}`);
    assert.ok((await central()).mismatches >= 1);
    await app.reconcileSwitch(name);
    const b = await auditLocal(app);
    assert.deepEqual([b.leakedFlows, b.mismatches], [0, 0], JSON.stringify(b.details));
  });

  test('after a ping across sites both gateways hold the NAT entries of the flow', async () => {
    const r = await h.net.host('acme-web1').ping('192.168.10.2', { count: 2, intervalMs: 20, timeoutMs: 1000 });
    assert.equal(r.received, 2, JSON.stringify(r));
    const open = await h.store.listFlows({ state: 'open' });
    assert.equal(open.length, 1, JSON.stringify(open));
    const id = open[0]!.id;
    for (const dc of ['dc1', 'dc2']) {
      const a = await auditLocal(local(dc));
      assert.deepEqual(a.natFlows, [id], dc);
      assert.deepEqual([a.leakedFlows, a.mismatches], [0, 0], `${dc}: ${JSON.stringify(a.details)}`);
    }
    assert.deepEqual((await auditLocal(local('dc3'))).natFlows, []);
    const clean = await central();
    assert.deepEqual([clean.leakedFlows, clean.leakedTuples, clean.mismatches], [0, 0, 0], JSON.stringify(clean.details));

    // One NAT entry gone from dc2's gateway: the flow is no longer in dc2's natFlows, its tuple counts as leaked.
    const nat = local('dc2').desiredState('dc2-gw-sw');
    const entry = [...nat.entries()].map(([, f]) => f).find((f) => (f.cookie & 0xffff_ffff_ffffn) === natCookie(id) && f.match.some((t) => t.field === 'in_port'))!;
    assert.ok(entry, 'the inbound NAT entry is desired on dc2-gw-sw');
    h.net.switches.get('dc2-gw-sw')!.handleMessage(deleteFlowMod(entry));
    const a2 = await auditLocal(local('dc2'));
    assert.deepEqual(a2.natFlows, []);
    assert.equal(a2.mismatches, 1);
    const r2 = await central();
    assert.equal(r2.leakedTuples, 1, JSON.stringify(r2.details));
    assert.ok(r2.details.some((d) => d.kind === 'leaked-tuple' && d.flowId === id && /dc2/.test(d.reason ?? '')), JSON.stringify(r2.details));
    await local('dc2').reconcileSwitch('dc2-gw-sw');
    assert.deepEqual((await auditLocal(local('dc2'))).natFlows, [id]);
  });
});
