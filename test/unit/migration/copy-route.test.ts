/**
 * The copy stream's route (src/model/migration-network.ts) on the emulator: with the migration network in the
 * topology, pre-migration opens the copy stream as a cross-site flow between the two hosts' migration endpoints
 * (tuple allocated, NAT flows on both gateways) and hands the route to the hypervisor; a TCP stream from the source
 * endpoint's port reaches the destination endpoint through the gateways while the migration runs; afterwards the flow
 * is closed and nothing is left. Endpoints do not migrate and do not count against a host's capacity.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { runAudit } from '../../../src/central/audit';
import { isXsiteError } from '../../../src/core/errors';
import { SimHypervisor } from '../../../src/drivers/hypervisor/sim/sim-hypervisor';
import { EmulatedNetwork } from '../../../src/emulator/network';
import { auditLocal } from '../../../src/local/audit';
import { MIGRATION_LISTEN_PORTS, copyStreamFlowId, migrationEndpointName } from '../../../src/model/migration-network';
import type { CopyRoute } from '../../../src/model/migration-network';
import type { Hypervisor } from '../../../src/ports/hypervisor';
import { type InProcessControllers, startInProcessControllers } from '../../../src/scenario/in-process-controllers';
import { loadMigrationTopology } from '../../../src/scenario/migration-demo';

describe('the copy stream between migration endpoints (emulator)', () => {
  const topo = loadMigrationTopology();
  // dc2-h1 runs acme-web2 and its endpoint: room for one more guest only if the endpoint does not count.
  topo.hosts.find((h) => h.name === 'dc2-h1')!.capacity = { vms: 2, memoryMB: 16384 };
  let net: EmulatedNetwork;
  let ctl: InProcessControllers;
  const seen: { route?: CopyRoute; received: number; flowOpen: boolean; tupleOnGateways: string[]; copiedOver?: string; bytesCopied?: number }[] = [];
  /** Bytes that crossed the link of host `vm` so far (both directions; the copy stream's dwarf the rest). */
  const hostLinkBytes = (vm: string): number => {
    const st = net.host(vm).link?.stats();
    return st === undefined ? 0 : st.ab.rxBytes + st.ba.rxBytes;
  };

  before(async () => {
    net = EmulatedNetwork.build(topo);
    const sim = new SimHypervisor({ net, topology: topo, vmParams: () => ({ memoryMB: 16 }) });
    const hv: Hypervisor = {
      kind: 'sim',
      migrate: async (req) => {
        const s: (typeof seen)[number] = { ...(req.copy !== undefined ? { route: req.copy } : {}), received: 0, flowOpen: false, tupleOnGateways: [] };
        seen.push(s);
        const r = req.copy;
        const before = r !== undefined ? hostLinkBytes(r.to.vm) : 0;
        const result = await sim.migrate({
          ...req,
          beforePause: async () => {
            // After the pre-copy rounds, before the stop-and-copy: the flow is open and on both gateways.
            if (r !== undefined && r.flowId !== undefined) {
              s.flowOpen = (await ctl.store.getFlow(r.flowId))?.state === 'open';
              for (const [dc, lc] of ctl.locals) if (lc.model.crossSite.some((f) => f.id === r.flowId)) s.tupleOnGateways.push(dc);
            }
            await req.beforePause?.();
          },
        });
        if (r !== undefined) s.received = hostLinkBytes(r.to.vm) - before;
        s.copiedOver = result.copiedOver;
        s.bytesCopied = result.bytesCopied;
        return result;
      },
    };
    ctl = await startInProcessControllers({ topology: topo, switches: { net }, hypervisor: hv, natIdleTimeoutS: 30 });
  });
  after(async () => {
    net?.close();
    await ctl?.close();
  });

  test('an endpoint does not migrate', async () => {
    await assert.rejects(ctl.migrations.request({ vm: migrationEndpointName('dc1-h1'), destinationHost: 'dc2-h1' }), (e) => isXsiteError(e, 'MIGRATION_ENDPOINT'));
    assert.deepEqual(await ctl.migrations.list(), []);
  });

  test('across DCs: a cross-site flow between the endpoints carries the stream, then it is closed', async () => {
    const rec = await ctl.migrations.request({ vm: 'acme-web1', destinationHost: 'dc2-h2' });
    const done = await ctl.migrations.wait(rec.id);
    assert.equal(done.state, 'completed', JSON.stringify(done.error));
    const s = seen.at(-1)!;
    const route = s.route!;
    assert.deepEqual([route.from.vm, route.to.vm], [migrationEndpointName('dc1-h1'), migrationEndpointName('dc2-h2')]);
    assert.ok(route.to.port >= MIGRATION_LISTEN_PORTS[0] && route.to.port <= MIGRATION_LISTEN_PORTS[1], `listen port ${route.to.port}`);
    assert.equal(route.flowId, copyStreamFlowId(route));
    assert.deepEqual(done.copyRoute, route, 'journaled');
    assert.ok(done.copyTuple !== undefined && done.copyTuple.srcPublicIp !== done.copyTuple.dstPublicIp, 'a tuple between the two gateways');
    assert.equal(s.flowOpen, true, 'the flow was open during the copy');
    assert.deepEqual(s.tupleOnGateways.sort(), ['dc1', 'dc2'], 'both DCs had its NAT flows');
    assert.equal(s.copiedOver, 'route', 'the sim hypervisor streamed the memory over the route');
    assert.ok(s.bytesCopied! >= 16 * 2 ** 20, `copied ${s.bytesCopied}`);
    assert.ok(s.received >= s.bytesCopied!, `the destination endpoint received ${s.received} bytes of ${s.bytesCopied}`);
    assert.equal((await ctl.store.getFlow(route.flowId!))?.state, 'closed');
    assert.equal(await ctl.store.getNatTuple(route.flowId!), undefined, 'tuple released');
    assert.deepEqual(done.nat, { allocated: done.nat!.allocated, released: done.nat!.allocated });
    await new Promise((r) => setTimeout(r, 50));
    for (const lc of ctl.locals.values()) assert.ok(!lc.model.crossSite.some((f) => f.id === route.flowId), 'the DCs dropped its NAT flows');
    const a = await runAudit({
      store: ctl.store,
      channel: { connectedDcs: () => [...ctl.locals.keys()], request: async (dc: string) => auditLocal(ctl.locals.get(dc)!) } as never,
      dcs: [...ctl.locals.keys()],
    });
    assert.deepEqual([a.leakedFlows, a.leakedTuples, a.mismatches], [0, 0, 0], JSON.stringify(a.details));
  });

  test('inside one DC: the route has no flow (no gateway on the way); the endpoint is not counted against capacity', async () => {
    const rec = await ctl.migrations.request({ vm: 'acme-web1', destinationHost: 'dc2-h1' });
    const done = await ctl.migrations.wait(rec.id);
    assert.equal(done.state, 'completed', JSON.stringify(done.error));
    assert.deepEqual(done.copyRoute?.from.vm, migrationEndpointName('dc2-h2'));
    assert.equal(done.copyRoute?.flowId, undefined);
    assert.equal(done.copyTuple, undefined);
    assert.deepEqual(ctl.appErrors, []);
  });

  test('two migrations into one host at once: each stream has its own listen port', async () => {
    const from = seen.length;
    const [a, b] = await Promise.all([
      ctl.migrations.request({ vm: 'acme-web4', destinationHost: 'dc3-h2' }),
      ctl.migrations.request({ vm: 'globex-app1', destinationHost: 'dc3-h2' }),
    ]);
    const done = await Promise.all([ctl.migrations.wait(a.id), ctl.migrations.wait(b.id)]);
    for (const d of done) assert.equal(d.state, 'completed', JSON.stringify(d.error));
    const routes = seen.slice(from).map((s) => s.route!);
    assert.equal(routes.length, 2);
    assert.deepEqual(routes.map((r) => r.to.vm), [migrationEndpointName('dc3-h2'), migrationEndpointName('dc3-h2')]);
    assert.notEqual(routes[0]!.to.port, routes[1]!.to.port, 'two receivers on one endpoint need two ports');
    assert.deepEqual(ctl.appErrors, []);
  });
});
