/**
 * The migration state machine (src/central/migration.ts) end to end on the emulator with the `sim` hypervisor and the
 * in-process controllers: refused requests change nothing; a failure before the switchover rolls back with the VM
 * still reachable at the source and nothing left behind; a completed migration moves the VM with its peers still
 * reaching it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { runAudit } from '../../../src/central/audit';
import { copyFlowId, stageKey } from '../../../src/central/migration';
import { isXsiteError } from '../../../src/core/errors';
import { SimHypervisor } from '../../../src/drivers/hypervisor/sim/sim-hypervisor';
import { EmulatedNetwork } from '../../../src/emulator/network';
import { loadTopologyFile } from '../../../src/emulator/topology/load';
import { auditLocal } from '../../../src/local/audit';
import type { Hypervisor } from '../../../src/ports/hypervisor';
import { type InProcessControllers, startInProcessControllers } from '../../../src/scenario/in-process-controllers';

const code = (c: string) => (e: unknown) => isXsiteError(e, c);

async function audit(ctl: InProcessControllers) {
  return runAudit({
    store: ctl.store,
    channel: { connectedDcs: () => [...ctl.locals.keys()], request: async (dc: string) => auditLocal(ctl.locals.get(dc)!) } as never,
    dcs: [...ctl.locals.keys()],
  });
}

describe('migrations on the emulator (sim hypervisor)', () => {
  const topo = loadTopologyFile('examples/topologies/three-dcs.yaml');
  topo.hosts.find((h) => h.name === 'dc3-h2')!.capacity = { vms: 1, memoryMB: 16384 };
  let net: EmulatedNetwork;
  let ctl: InProcessControllers;
  let failNext = false;
  /** How long each pause's network part (the hypervisor's beforeSwitchover hook) took, ms. */
  const hookMs: number[] = [];

  before(async () => {
    net = EmulatedNetwork.build(topo);
    const sim = new SimHypervisor({ net, topology: topo, vmParams: () => ({ memoryMB: 16 }) });
    // A hypervisor whose next migration fails just before the pause (after xsite started holding frames).
    const hv: Hypervisor = {
      kind: 'sim',
      migrate: (req) =>
        sim.migrate({
          ...req,
          beforeSwitchover: async () => {
            const t0 = performance.now();
            await req.beforeSwitchover();
            hookMs.push(performance.now() - t0);
          },
          beforePause: async () => {
            await req.beforePause?.();
            if (failNext) {
              failNext = false;
              throw new Error('disk full on the destination');
            }
          },
        }),
    };
    ctl = await startInProcessControllers({ topology: topo, switches: { net }, hypervisor: hv, natIdleTimeoutS: 30 });
  });
  after(async () => {
    net?.close();
    await ctl?.close();
  });

  test('refused requests: unknown VM or host, same host, other tenant, no capacity', async () => {
    await assert.rejects(ctl.migrations.request({ vm: 'nope', destinationHost: 'dc2-h1' }), code('VM_NOT_FOUND'));
    await assert.rejects(ctl.migrations.request({ vm: 'acme-web1', destinationHost: 'nope' }), code('HOST_NOT_FOUND'));
    await assert.rejects(ctl.migrations.request({ vm: 'acme-web1', destinationHost: 'dc1-h1' }), code('MIGRATION_SAME_HOST'));
    await assert.rejects(ctl.migrations.request({ vm: 'acme-web1', destinationHost: 'dc2-h1' }, { role: 'tenant', tenant: 'globex' }), code('FORBIDDEN'));
    await assert.rejects(ctl.migrations.request({ vm: 'acme-web1', destinationHost: 'dc3-h2' }), code('MIGRATION_NO_CAPACITY'));
    assert.deepEqual(await ctl.migrations.list(), [], 'nothing journaled');
    assert.equal((await ctl.directory.vmByName('acme-web1')).host.name, 'dc1-h1');
  });

  test('concurrent requests for one VM: exactly one wins', async () => {
    const rs = await Promise.allSettled([
      ctl.migrations.request({ vm: 'acme-web4', destinationHost: 'dc2-h1' }),
      ctl.migrations.request({ vm: 'acme-web4', destinationHost: 'dc2-h2' }),
      ctl.migrations.request({ vm: 'acme-web4', destinationHost: 'dc3-h1' }),
    ]);
    const won = rs.filter((r) => r.status === 'fulfilled');
    assert.equal(won.length, 1);
    for (const r of rs) if (r.status === 'rejected') assert.ok(code('MIGRATION_IN_PROGRESS')(r.reason), String(r.reason));
    const done = await ctl.migrations.wait((won[0] as PromiseFulfilledResult<{ id: string }>).value.id);
    assert.equal(done.state, 'completed', JSON.stringify(done.error));
    // acme-web1 stays in dc1: until the settle, dc1 turns back frames it sent to acme-web4's old place.
    assert.deepEqual(ctl.locals.get('dc1')!.model.departed.map((v) => `${v.name}@${v.switch}`), ['acme-web4@dc1-h1-vs']);
  });

  test('a failure before the switchover rolls back: the VM stays, peers reach it, nothing is left', async () => {
    assert.equal((await net.host('acme-web2').ping('192.168.10.1', { count: 1, timeoutMs: 2000 })).received, 1);
    // dc3 -> dc1 now, dc3 -> dc2 after the move: a flow to stage.
    assert.equal((await net.host('acme-web3').ping('192.168.10.1', { count: 1, timeoutMs: 2000 })).received, 1);
    failNext = true;
    const rec = await ctl.migrations.request({ vm: 'acme-web1', destinationHost: 'dc2-h2' });
    const done = await ctl.migrations.wait(rec.id);
    assert.equal(done.state, 'rolled-back');
    assert.equal(done.error?.code, 'HYPERVISOR_ABORTED');
    assert.equal((await ctl.directory.vmByName('acme-web1')).host.name, 'dc1-h1', 'the directory did not move');
    assert.deepEqual(net.attachmentOf('acme-web1'), { switch: 'dc1-h1-vs', port: topo.vms.find((v) => v.name === 'acme-web1')!.port });
    assert.equal((await net.host('acme-web2').ping('192.168.10.1', { count: 2, intervalMs: 20, timeoutMs: 2000 })).received, 2, 'reachable at the source');
    assert.equal(await ctl.store.getNatTuple(copyFlowId(rec.id)), undefined, 'copy tuple released');
    // The cross-site flow of the ping was staged for the move before the failure: its reserved tuple went back.
    assert.ok((ctl.jobs.get('migration.stage') ?? 0) >= 1, 'flows were staged before the pause');
    assert.deepEqual((await ctl.store.listNatTuples()).filter((t) => t.flowId.startsWith(stageKey(rec.id))), [], 'reserved tuples released');
    for (const [dc, lc] of ctl.locals) {
      for (const [n, conn] of lc.connections) {
        await conn.barrier();
        assert.equal(net.switch(n).openBundles, 0, `${n}: the bundles opened ahead of the pause were discarded`);
      }
      assert.deepEqual(lc.model.holding, [], `${dc} holds nothing`);
      assert.deepEqual(lc.model.incoming, [], `${dc} expects nothing`);
      assert.deepEqual(lc.model.staged, [], `${dc} has nothing staged`);
    }
    const a = await audit(ctl);
    assert.deepEqual([a.leakedFlows, a.leakedTuples, a.mismatches], [0, 0, 0], JSON.stringify(a.details));
  });

  test('a completed migration: the VM moves across sites, peers keep reaching it, the journal has the phases', async () => {
    // A cross-site flow of the VM before it moves; its tuple for the new gateways is reserved and staged ahead.
    assert.equal((await net.host('acme-web3').ping('192.168.10.1', { count: 1, timeoutMs: 2000 })).received, 1);
    const stageMove = ctl.crossSite.stageMove.bind(ctl.crossSite);
    let staged: Awaited<ReturnType<typeof stageMove>> | undefined;
    ctl.crossSite.stageMove = async (...args) => (staged = await stageMove(...args));
    const counted = () => new Map([...ctl.locals].map(([dc, lc]) => [dc, [lc.counters.switchoversPrecomputed, lc.counters.switchoversNotPrecomputed, lc.counters.switchoversCorrected]]));
    const before = counted();
    const switched: string[] = [];
    const onSwitched = (r: { id: string; state: string }) => switched.push(`${r.id} ${r.state}`);
    ctl.migrations.on('source-switched', onSwitched);
    const rec = await ctl.migrations.request({ vm: 'acme-web1', destinationHost: 'dc2-h2' });
    const done = await ctl.migrations.wait(rec.id);
    ctl.migrations.off('source-switched', onSwitched);
    assert.deepEqual(switched, [`${rec.id} post-migration`], 'the source DC switched over once, after the pause');
    ctl.crossSite.stageMove = stageMove;
    // Central predicted the pause's switchover exactly: every DC that switched over in the pause committed the
    // bundles it had opened ahead, as the pause began, and its switchover job brought exactly what was expected; the
    // source, which switches over after the pause, reconciled as usual.
    const after = counted();
    const delta = (dc: string) => after.get(dc)!.map((n, i) => n - before.get(dc)![i]!);
    assert.deepEqual(delta('dc2'), [1, 0, 0], 'the destination committed its precomputed switchover');
    assert.deepEqual(delta('dc1'), [0, 1, 0], 'the source switched over after the pause, as usual');
    assert.deepEqual(delta('dc3'), [1, 0, 0], 'the peer committed its precomputed switchover');
    assert.ok((ctl.jobs.get('migration.commit') ?? 0) >= 2, 'committed ahead of the switchover jobs');
    assert.ok(staged !== undefined && staged.flows.length >= 1, 'flows staged');
    for (const f of staged.flows) {
      const now = await ctl.store.getFlow(f.id);
      if (now?.state === 'open') assert.deepEqual(now.tuple, f.tuple, `${f.id} took the tuple reserved for it`);
    }
    assert.deepEqual((await ctl.store.listNatTuples()).filter((t) => t.flowId.startsWith(stageKey(rec.id))), []);
    for (const lc of ctl.locals.values()) assert.deepEqual([lc.model.staged, lc.model.settling], [[], []]);
    assert.equal(done.state, 'completed', JSON.stringify(done.error));
    assert.equal((await ctl.directory.vmByName('acme-web1')).host.name, 'dc2-h2');
    assert.equal(net.attachmentOf('acme-web1')?.switch, 'dc2-h2-vs');
    for (const p of ['acme-web2', 'acme-web3', 'acme-web4']) {
      assert.equal((await net.host(p).ping('192.168.10.1', { count: 1, timeoutMs: 2000 })).received, 1, `${p} -> acme-web1`);
    }
    assert.ok(done.phases.preMigration?.endedAt !== undefined && done.phases.migration?.endedAt !== undefined && done.phases.postMigration?.endedAt !== undefined);
    assert.ok(done.result !== undefined && done.result.hypervisorDowntimeMs > 0 && done.result.switchoverMs > 0 && done.result.flowMods > 0);
    assert.deepEqual(done.nat && done.nat.allocated >= 1 && done.nat.released >= 1, true);
    assert.equal(await ctl.store.getNatTuple(copyFlowId(rec.id)), undefined);
    assert.deepEqual((await ctl.migrations.list({ active: true })).map((m) => m.id), []);
    const a = await audit(ctl);
    assert.deepEqual([a.leakedFlows, a.leakedTuples, a.mismatches], [0, 0, 0], JSON.stringify(a.details));
    // A while after the end, the source drops them (migration.settle); the audit is still clean.
    const settles = ctl.jobs.get('migration.settle') ?? 0;
    await ctl.migrations.settled();
    assert.ok((ctl.jobs.get('migration.settle') ?? 0) - settles >= 1);
    for (const lc of ctl.locals.values()) assert.deepEqual(lc.model.departed, []);
    const b = await audit(ctl);
    assert.deepEqual([b.leakedFlows, b.leakedTuples, b.mismatches], [0, 0, 0], JSON.stringify(b.details));
    assert.deepEqual(ctl.appErrors, []);
  });

  test('the pause ends once the switches confirmed: switchover jobs that only check what the DCs committed go out after it, before the release', async () => {
    // Every DC's switchover job is slow now; the pause must not wait for the ones that only check.
    const order: string[] = [];
    for (const [dc, lc] of ctl.locals) {
      const orig = lc.switchover.bind(lc);
      lc.switchover = async (...args) => {
        await new Promise((r) => setTimeout(r, 300));
        order.push(`switchover ${dc}`);
        return orig(...args);
      };
      const release = lc.release.bind(lc);
      lc.release = async (...args) => {
        order.push(`release ${dc}`);
        return release(...args);
      };
    }
    try {
      const n = hookMs.length;
      const rec = await ctl.migrations.request({ vm: 'acme-web3', destinationHost: 'dc1-h2' });
      const done = await ctl.migrations.wait(rec.id);
      assert.equal(done.state, 'completed', JSON.stringify(done.error));
      assert.equal(done.result?.precomputed, true);
      assert.equal(hookMs.length, n + 1);
      assert.ok(hookMs[n]! < 250, `the pause's network part took ${hookMs[n]!.toFixed(1)} ms: it waited for the checking switchover jobs`);
      assert.ok(done.result!.switchoverMs < 250);
      // The destination got its switchover job before its release; the source switched over after the pause.
      assert.ok(order.indexOf('switchover dc1') >= 0 && order.indexOf('switchover dc1') < order.indexOf('release dc1'), order.join(', '));
      assert.ok(order.includes('switchover dc3'), order.join(', '));
      for (const p of ['acme-web1', 'acme-web2', 'acme-web4']) {
        assert.equal((await net.host(p).ping('192.168.10.3', { count: 1, timeoutMs: 2000 })).received, 1, `${p} -> acme-web3`);
      }
      for (const lc of ctl.locals.values()) assert.equal(lc.counters.switchoversCorrected, 0);
    } finally {
      for (const lc of ctl.locals.values()) {
        delete (lc as { switchover?: unknown }).switchover;
        delete (lc as { release?: unknown }).release;
      }
    }
  });
});
