/**
 * A migration's switchover computed ahead of the pause (src/local/precomputed-switchover.ts), in one emulated DC: the
 * switchover commits the bundles opened ahead when it brings the same inputs, and reconciles as usual (the bundles
 * discarded) when the inputs, the model or a switch changed in between. Either way the switches end holding what a
 * full reconcile, reading their flows, wants.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { directoryFromTopology, type DirectoryVm } from '../../../src/local/dc-model';
import type { CrossSiteFlow } from '../../../src/model/cross-site-flow';
import type { LocalController } from '../../../src/local/local-controller';
import type { EmulatedNetwork } from '../../../src/emulator/network';
import { oneDc, twoDcsWithGateways } from './dc-topology';
import { localOnEmulator } from './helpers';

/** a3 moved from dc1-h2-vs to dc1-h1-vs port `port`. */
const moved = (lc: LocalController, port: number): DirectoryVm[] => lc.model.vms.map((v) => (v.name === 'a3' ? { ...v, switch: 'dc1-h1-vs', port } : v));

async function assertConverged(lc: LocalController, net: EmulatedNetwork): Promise<void> {
  for (const n of lc.connections.keys()) {
    const r = await lc.reconcileSwitch(n);
    assert.deepEqual([r.added, r.modified, r.deleted], [0, 0, 0], `${n} holds what the model wants`);
    assert.equal(net.switch(n).openBundles, 0, `${n}: no bundle left open`);
  }
}

test('the switchover commits the bundles opened ahead when it brings the same inputs', async () => {
  const { net, lc, close } = await localOnEmulator(oneDc('mac'), 'dc1');
  try {
    const vms = moved(lc, 7);
    const waiting = await lc.precompute('a3', vms, [], { holdUntilRelease: true });
    assert.ok(waiting > 0, 'flow changes wait in bundles');
    assert.ok([...lc.connections.keys()].some((n) => net.switch(n).openBundles === 1), 'bundles are open on the switches');
    const sent = { ...lc.counters };
    const reports = await lc.switchover('a3', vms, [], { holdUntilRelease: true });
    assert.equal(lc.counters.switchoversPrecomputed, 1);
    assert.equal(lc.counters.switchoversNotPrecomputed, 0);
    const changed = [...reports.values()].reduce((n, r) => n + r.added + r.modified + r.deleted, 0);
    assert.equal(changed, waiting, 'the reports count the changes the bundles held');
    assert.equal(lc.counters.reconciles - sent.reconciles, lc.connections.size);
    assert.equal(lc.model.vms.find((v) => v.name === 'a3')?.switch, 'dc1-h1-vs');
    await assertConverged(lc, net);
    await lc.release('a3');
    await assertConverged(lc, net);
  } finally {
    await close();
  }
});

test('other inputs in the pause: the switchover reconciles as usual and the bundles are discarded', async () => {
  const { net, lc, close } = await localOnEmulator(oneDc('mac'), 'dc1');
  try {
    assert.ok((await lc.precompute('a3', moved(lc, 7), [], { holdUntilRelease: true })) > 0);
    await lc.switchover('a3', moved(lc, 8), [], { holdUntilRelease: true });
    assert.deepEqual([lc.counters.switchoversPrecomputed, lc.counters.switchoversNotPrecomputed], [0, 1]);
    assert.equal(lc.model.vms.find((v) => v.name === 'a3')?.port, 8);
    // The discards are on their way; a barrier on each switch lets them land.
    for (const conn of lc.connections.values()) await conn.barrier();
    await assertConverged(lc, net);
  } finally {
    await close();
  }
});

test('a change of the model in between (another VM held) voids what was precomputed', async () => {
  const { net, lc, close } = await localOnEmulator(oneDc('mac'), 'dc1');
  try {
    const vms = moved(lc, 7);
    assert.ok((await lc.precompute('a3', vms, [], { holdUntilRelease: true })) > 0);
    await lc.hold('a1');
    await lc.switchover('a3', vms, [], { holdUntilRelease: true });
    assert.deepEqual([lc.counters.switchoversPrecomputed, lc.counters.switchoversNotPrecomputed], [0, 1]);
    assert.ok(lc.model.holding.includes('a1') && lc.model.holding.includes('a3'));
    for (const conn of lc.connections.values()) await conn.barrier();
    await assertConverged(lc, net);
  } finally {
    await close();
  }
});

test('an abandoned migration discards the bundles opened ahead', async () => {
  const { net, lc, close } = await localOnEmulator(oneDc('mac'), 'dc1');
  try {
    assert.ok((await lc.precompute('a3', moved(lc, 7), [], { holdUntilRelease: true })) > 0);
    await lc.abortMigration('a3');
    for (const conn of lc.connections.values()) await conn.barrier();
    assert.equal(lc.model.vms.find((v) => v.name === 'a3')?.switch, 'dc1-h2-vs');
    await assertConverged(lc, net);
    // Nothing left to commit: the next switchover of a3 reconciles as usual.
    await lc.switchover('a3', moved(lc, 7), [], { holdUntilRelease: true });
    assert.deepEqual([lc.counters.switchoversPrecomputed, lc.counters.switchoversNotPrecomputed], [0, 1]);
  } finally {
    await close();
  }
});

test('committed ahead of the switchover job: the switchover then finds nothing to do, or reconciles what differs', async () => {
  const { net, lc, close } = await localOnEmulator(oneDc('mac'), 'dc1');
  try {
    // Same inputs: the switches flip with the commit; the switchover only takes the inputs into the model.
    const vms = moved(lc, 7);
    const waiting = await lc.precompute('a3', vms, [], { holdUntilRelease: true });
    const ahead = await lc.commitAhead('a3');
    assert.ok(ahead !== undefined, 'committed');
    assert.equal([...ahead.values()].reduce((n, r) => n + r.added + r.modified + r.deleted, 0), waiting);
    assert.equal(lc.model.vms.find((v) => v.name === 'a3')?.switch, 'dc1-h1-vs', 'the model is the expected one');
    assert.deepEqual([...(await lc.switchover('a3', vms, [], { holdUntilRelease: true })).values()], [], 'nothing left to change');
    assert.deepEqual([lc.counters.switchoversPrecomputed, lc.counters.switchoversNotPrecomputed, lc.counters.switchoversCorrected], [1, 0, 0]);
    await assertConverged(lc, net);
    await lc.release('a3');

    // Other inputs than expected: the switchover reconciles the difference from what was committed.
    const back = lc.model.vms.map((v) => (v.name === 'a3' ? { ...v, switch: 'dc1-h2-vs', port: 9 } : v));
    await lc.precompute('a3', back, [], { holdUntilRelease: true });
    assert.ok((await lc.commitAhead('a3')) !== undefined);
    const other = back.map((v) => (v.name === 'a3' ? { ...v, port: 10 } : v));
    const reports = await lc.switchover('a3', other, [], { holdUntilRelease: true });
    assert.ok([...reports.values()].some((r) => r.added + r.modified + r.deleted > 0), 'the difference was reconciled');
    assert.equal(lc.counters.switchoversCorrected, 1);
    assert.equal(lc.model.vms.find((v) => v.name === 'a3')?.port, 10);
    await assertConverged(lc, net);

    // Nothing precomputed: nothing to commit ahead.
    assert.equal(await lc.commitAhead('a3'), undefined);
  } finally {
    await close();
  }
});

test('a cross-site flow of other VMs set up or closed before the pause: the switchover is computed again with it, the pause still only commits', async () => {
  const topo = twoDcsWithGateways('mac');
  const { net, lc, close } = await localOnEmulator(topo, 'dc1');
  try {
    const dir = directoryFromTopology(topo);
    const vm = (n: string) => dir.find((v) => v.name === n)!;
    // a3 moves inside dc1; meanwhile traffic sets up a flow a1 (dc1) <-> x9 (dc2).
    const vms = dir.map((v) => (v.name === 'a3' ? { ...v, switch: 'dc1-h1-vs', port: 7 } : v));
    const other: CrossSiteFlow = {
      id: 'udp|acme/web|192.168.10.1:7000|192.168.10.9:7001',
      protocol: 'udp',
      tenant: 'acme',
      vn: 'web',
      a: { vm: 'a1', ip: vm('a1').ip, mac: vm('a1').mac, dc: 'dc1', port: 7000 },
      b: { vm: 'x9', ip: vm('x9').ip, mac: vm('x9').mac, dc: 'dc2', port: 7001 },
      tuple: { protocol: 'udp', srcPublicIp: '203.0.113.1', dstPublicIp: '203.0.113.2', port: 20007 },
      gen: '1.1',
    };
    assert.ok((await lc.precompute('a3', vms, [], { holdUntilRelease: true })) > 0);
    await lc.installCrossSite(other);
    assert.equal(lc.counters.switchoversRecomputed, 1);
    // The pause: commit ahead, then the switchover brings the flow (another set-up generation, which does not count).
    assert.ok((await lc.commitAhead('a3')) !== undefined, 'committed what was computed again');
    await lc.switchover('a3', vms, [{ ...other, gen: '1.2' }], { holdUntilRelease: true });
    assert.deepEqual([lc.counters.switchoversPrecomputed, lc.counters.switchoversNotPrecomputed, lc.counters.switchoversCorrected], [1, 0, 0]);
    await assertConverged(lc, net);
    await lc.release('a3');

    // Closed before the pause: the same.
    const back = dir.map((v) => (v.name === 'a3' ? { ...v, switch: 'dc1-h2-vs', port: 8 } : v));
    assert.ok((await lc.precompute('a3', back, [other], { holdUntilRelease: true })) > 0);
    await lc.removeCrossSite(other.id);
    assert.equal(lc.counters.switchoversRecomputed, 2);
    assert.ok((await lc.commitAhead('a3')) !== undefined);
    await lc.switchover('a3', back, [], { holdUntilRelease: true });
    assert.deepEqual([lc.counters.switchoversPrecomputed, lc.counters.switchoversCorrected], [2, 0]);
    await assertConverged(lc, net);
    await lc.release('a3');

    // A flow of the migrating VM itself is the switchover's business: what was precomputed no longer holds.
    const mine: CrossSiteFlow = { ...other, id: 'udp|acme/web|192.168.10.3:7000|192.168.10.9:7001', a: { vm: 'a3', ip: vm('a3').ip, mac: vm('a3').mac, dc: 'dc1', port: 7000 } };
    assert.ok((await lc.precompute('a3', vms, [], { holdUntilRelease: true })) > 0);
    await lc.installCrossSite(mine);
    assert.equal(lc.counters.switchoversRecomputed, 2);
    assert.equal(await lc.commitAhead('a3'), undefined, 'nothing committed ahead: the switchover does it all');
    await lc.switchover('a3', vms, [mine], { holdUntilRelease: true });
    for (const conn of lc.connections.values()) await conn.barrier();
    await assertConverged(lc, net);
  } finally {
    await close();
  }
});

test('a flow change after another change of the model does not revive what was precomputed', async () => {
  const topo = twoDcsWithGateways('mac');
  const { net, lc, close } = await localOnEmulator(topo, 'dc1');
  try {
    const dir = directoryFromTopology(topo);
    const vm = (n: string) => dir.find((v) => v.name === n)!;
    const vms = dir.map((v) => (v.name === 'a3' ? { ...v, switch: 'dc1-h1-vs', port: 7 } : v));
    const other: CrossSiteFlow = {
      id: 'udp|acme/web|192.168.10.1:7000|192.168.10.9:7001',
      protocol: 'udp',
      tenant: 'acme',
      vn: 'web',
      a: { vm: 'a1', ip: vm('a1').ip, mac: vm('a1').mac, dc: 'dc1', port: 7000 },
      b: { vm: 'x9', ip: vm('x9').ip, mac: vm('x9').mac, dc: 'dc2', port: 7001 },
      tuple: { protocol: 'udp', srcPublicIp: '203.0.113.1', dstPublicIp: '203.0.113.2', port: 20007 },
    };
    assert.ok((await lc.precompute('a3', vms, [], { holdUntilRelease: true })) > 0);
    await lc.hold('a2');
    await lc.installCrossSite(other);
    assert.equal(lc.counters.switchoversRecomputed, 0);
    assert.equal(await lc.commitAhead('a3'), undefined);
    await lc.switchover('a3', vms, [other], { holdUntilRelease: true });
    assert.deepEqual([lc.counters.switchoversPrecomputed, lc.counters.switchoversNotPrecomputed], [0, 1]);
    for (const conn of lc.connections.values()) await conn.barrier();
    await assertConverged(lc, net);
  } finally {
    await close();
  }
});
