import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VirtualClock } from '../../../src/core/clock';
import { isXsiteError } from '../../../src/core/errors';
import { buildPacket } from '../../../src/codec/packet';
import { EmulatedNetwork } from '../../../src/emulator/network';
import { settle } from '../../../src/emulator/net/settle';
import { TopologyBuilder } from '../../../src/emulator/topology/builder';
import { planPrecopy, type PrecopyInput } from '../../../src/drivers/hypervisor/sim/precopy';
import { SimHypervisor, type SimHypervisorOptions } from '../../../src/drivers/hypervisor/sim/sim-hypervisor';
import type { HypervisorMigrateRequest, HypervisorProgress } from '../../../src/ports/hypervisor';

// ---------------------------------------------------------------------------------------------------------------
// The pre-copy model

const base: PrecopyInput = {
  memoryBytes: 1_000_000,
  dirtyBytesPerSec: 100_000,
  bandwidthBytesPerSec: 1_000_000,
  rttMs: 0,
  downtimeLimitMs: 5,
  maxRounds: 30,
};

test('precopy: converges; each round copies what the previous one dirtied', () => {
  const p = planPrecopy(base);
  // 1e6 B in 1000 ms (1e5 dirtied), 1e5 B in 100 ms (1e4), 1e4 B in 10 ms (1e3: 1 ms to copy <= 5 ms).
  assert.deepEqual(
    p.rounds.map((r) => [r.round, r.bytes, r.ms, r.dirtiedBytes]),
    [
      [1, 1_000_000, 1000, 100_000],
      [2, 100_000, 100, 10_000],
      [3, 10_000, 10, 1_000],
    ],
  );
  assert.equal(p.converged, true);
  assert.equal(p.precopyMs, 1110);
  assert.equal(p.stopCopyBytes, 1000);
  assert.equal(p.stopCopyMs, 1);
  assert.equal(p.totalBytes, 1_111_000);
});

test('precopy: the RTT costs one round trip per round and in the stop-and-copy', () => {
  const p = planPrecopy({ ...base, rttMs: 10 });
  assert.equal(p.rounds[0]!.ms, 1010);
  assert.equal(p.rounds[0]!.dirtiedBytes, 101_000);
  for (let i = 1; i < p.rounds.length; i++) {
    assert.equal(p.rounds[i]!.bytes, p.rounds[i - 1]!.dirtiedBytes);
    assert.ok(Math.abs(p.rounds[i]!.ms - (p.rounds[i]!.bytes / 1000 + 10)) < 1e-9);
  }
  assert.equal(p.converged, true);
  assert.ok(p.stopCopyBytes / 1000 <= 5, 'the convergence test leaves the RTT out (as QEMU)');
  assert.equal(p.stopCopyMs, p.stopCopyBytes / 1000 + 10);
  assert.ok(Math.abs(p.precopyMs - p.rounds.reduce((s, r) => s + r.ms, 0)) < 1e-9);
  assert.equal(p.totalBytes, p.rounds.reduce((s, r) => s + r.bytes, 0) + p.stopCopyBytes);
});

test('precopy: a guest dirtying faster than the copy never converges and is paused after maxRounds', () => {
  for (const dirty of [1_000_000, 2_000_000, 50_000_000]) {
    const p = planPrecopy({ ...base, dirtyBytesPerSec: dirty, maxRounds: 5 });
    assert.equal(p.rounds.length, 5, `dirty ${dirty}`);
    assert.equal(p.converged, false);
    // The dirty set never shrinks, and is capped at the whole memory.
    for (const r of p.rounds) assert.equal(r.bytes, 1_000_000);
    assert.equal(p.stopCopyBytes, 1_000_000);
    assert.equal(p.stopCopyMs, 1000);
    assert.equal(p.totalBytes, 6_000_000);
  }
  const one = planPrecopy({ ...base, dirtyBytesPerSec: 2_000_000, maxRounds: 1 });
  assert.equal(one.rounds.length, 1);
  assert.equal(one.converged, false);
});

test('precopy: slow convergence stops at maxRounds too', () => {
  // Dirty rate half the bandwidth: each round halves; 1e6 B needs ~8 rounds to get under 5 ms.
  const free = planPrecopy({ ...base, dirtyBytesPerSec: 500_000 });
  assert.equal(free.converged, true);
  assert.ok(free.rounds.length >= 7, `${free.rounds.length} rounds`);
  const capped = planPrecopy({ ...base, dirtyBytesPerSec: 500_000, maxRounds: 3 });
  assert.equal(capped.rounds.length, 3);
  assert.equal(capped.converged, false);
  assert.equal(capped.stopCopyBytes, 125_000);
  assert.equal(capped.stopCopyMs, 125);
});

test('precopy: tiny memory and zero dirty rate take one round', () => {
  const tiny = planPrecopy({ ...base, memoryBytes: 4096, rttMs: 2 });
  assert.equal(tiny.rounds.length, 1);
  assert.equal(tiny.rounds[0]!.bytes, 4096);
  assert.equal(tiny.converged, true);
  assert.ok(tiny.stopCopyBytes <= 4096);
  const clean = planPrecopy({ ...base, dirtyBytesPerSec: 0, rttMs: 3 });
  assert.equal(clean.rounds.length, 1);
  assert.equal(clean.stopCopyBytes, 0);
  assert.equal(clean.stopCopyMs, 3);
  assert.equal(clean.totalBytes, 1_000_000);
  const empty = planPrecopy({ ...base, memoryBytes: 0 });
  assert.deepEqual([empty.rounds.length, empty.totalBytes, empty.stopCopyMs], [1, 0, 0]);
});

test('precopy: invalid input is refused', () => {
  for (const bad of [
    { bandwidthBytesPerSec: 0 },
    { bandwidthBytesPerSec: Infinity },
    { memoryBytes: -1 },
    { dirtyBytesPerSec: NaN },
    { maxRounds: 0 },
    { maxRounds: 1.5 },
    { rttMs: -1 },
    { downtimeLimitMs: -5 },
  ]) {
    assert.throws(() => planPrecopy({ ...base, ...bad }), (e: unknown) => isXsiteError(e, 'PRECOPY_BAD_PARAM'), JSON.stringify(bad));
  }
});

// ---------------------------------------------------------------------------------------------------------------
// The sim hypervisor on an emulated network

/** dc1: gateway + two hypervisor hosts; dc2: gateway + one host; dc3: no WAN link. vm1 on dc1-h1. */
function topology() {
  return new TopologyBuilder('sim')
    .dc('dc1', { subnet: '10.1.0.0/16' })
    .dc('dc2', { subnet: '10.2.0.0/16' })
    .dc('dc3', { subnet: '10.3.0.0/16' })
    .switch('dc1-gw', { dc: 'dc1', role: 'gateway', failMode: 'standalone' })
    .switch('dc1-h1-vs', { dc: 'dc1', role: 'host', failMode: 'standalone' })
    .switch('dc1-h2-vs', { dc: 'dc1', role: 'host', failMode: 'standalone' })
    .switch('dc2-gw', { dc: 'dc2', role: 'gateway', failMode: 'standalone' })
    .switch('dc2-h1-vs', { dc: 'dc2', role: 'host', failMode: 'standalone' })
    .switch('dc3-h1-vs', { dc: 'dc3', role: 'host', failMode: 'standalone' })
    .host('dc1-h1', { dc: 'dc1', switch: 'dc1-h1-vs', address: '10.1.0.11' })
    .host('dc1-h2', { dc: 'dc1', switch: 'dc1-h2-vs', address: '10.1.0.12' })
    .host('dc2-h1', { dc: 'dc2', switch: 'dc2-h1-vs', address: '10.2.0.11' })
    .host('dc3-h1', { dc: 'dc3', switch: 'dc3-h1-vs', address: '10.3.0.11' })
    .link('dc1-gw', 'dc1-h1-vs')
    .link('dc1-gw', 'dc1-h2-vs')
    .link('dc2-gw', 'dc2-h1-vs')
    .wan('dc1-gw', 'dc2-gw', { latencyMs: 20, bandwidthMbps: 1000 })
    .tenant('acme', [{ name: 'web', subnet: '192.168.10.0/24' }])
    .vm('vm1', { tenant: 'acme', vn: 'web', host: 'dc1-h1', ip: '192.168.10.1', memoryMB: 64 })
    .build();
}

function setup(opts: Partial<SimHypervisorOptions> = {}) {
  const clock = new VirtualClock();
  const net = EmulatedNetwork.build(topology(), { clock });
  const hv = new SimHypervisor({ net, topology: net.topology, ...opts });
  const vm = net.host('vm1');
  const frame = buildPacket({
    eth: { src: '02:00:00:00:99:99', dst: vm.mac },
    ipv4: { src: '192.168.10.99', dst: '192.168.10.1' },
    udp: { srcPort: 1000, dstPort: 2000 },
  });
  /** Sends a frame out of switch port `port` of `sw` (towards what is plugged in there); true if the VM got it. */
  const reaches = (sw: string, port: number): boolean => {
    const before = vm.nic.counters.rxFrames;
    const tx = net.switch(sw).port(port)?.tx;
    if (tx === undefined) return false;
    tx.transmit(frame);
    clock.advance(1);
    return vm.nic.counters.rxFrames === before + 1;
  };
  return { clock, net, hv, vm, reaches };
}

const MB64 = 64 * 1024 * 1024;

test('sim: the copy path is the WAN link between DCs (live parameters), the intra-DC default otherwise', () => {
  const { net, hv } = setup();
  const wan = hv.estimate({ vm: 'vm1', to: { switch: 'dc2-h1-vs' } });
  assert.equal(wan.path.kind, 'wan');
  assert.deepEqual(wan.path.wanLink, { a: 'dc1-gw', b: 'dc2-gw' });
  assert.equal(wan.path.bandwidthBytesPerSec, 125_000_000);
  assert.equal(wan.path.rttMs, 40);
  assert.equal(wan.memoryBytes, MB64);
  assert.equal(wan.plan.rounds[0]!.bytes, MB64);
  assert.ok(Math.abs(wan.plan.rounds[0]!.ms - ((MB64 * 1000) / 125_000_000 + 40)) < 1e-9);
  const local = hv.estimate({ vm: 'vm1', to: { switch: 'dc1-h2-vs' } });
  assert.equal(local.path.kind, 'intra-dc');
  assert.equal(local.path.bandwidthBytesPerSec, 1_250_000_000);
  assert.ok(Math.abs(local.path.rttMs - 0.2) < 1e-12);
  assert.ok(local.plan.precopyMs < wan.plan.precopyMs / 5);
  // Degrading the emulated WAN link slows the next migration down.
  const ep = net.switch('dc1-gw').port(net.topology.wanLinks[0]!.portA)!;
  net.links.find((l) => l.a === ep || l.b === ep)!.setParams({ bandwidthMbps: 100, latencyMs: 50 });
  const slow = hv.estimate({ vm: 'vm1', to: { switch: 'dc2-h1-vs' } });
  assert.equal(slow.path.bandwidthBytesPerSec, 12_500_000);
  assert.equal(slow.path.rttMs, 100);
  // Per-VM overrides and the copy-rate cap.
  const capped = new SimHypervisor({ net, vmParams: () => ({ memoryMB: 1, maxBandwidthBytesPerSec: 1_000_000 }) });
  const c = capped.estimate({ vm: 'vm1', to: { switch: 'dc1-h2-vs' } });
  assert.equal(c.memoryBytes, 1024 * 1024);
  assert.equal(c.path.bandwidthBytesPerSec, 1_000_000);
  net.close();
});

test('sim: migrates a VM across DCs: progress in order, hook once while paused, VM plugged in at the destination', async () => {
  const { clock, net, hv, vm, reaches } = setup({ defaults: { dirtyBytesPerSec: 20_000_000, downtimeLimitMs: 30 } });
  const src = net.attachmentOf('vm1')!;
  const srcLink = vm.link!;
  assert.ok(reaches(src.switch, src.port));
  const est = hv.estimate({ vm: 'vm1', to: { switch: 'dc2-h1-vs' } });
  assert.ok(est.plan.rounds.length >= 2, `${est.plan.rounds.length} rounds`);
  const events: HypervisorProgress[] = [];
  let hookCalls = 0;
  let beforePauseAttached: boolean | undefined;
  const req: HypervisorMigrateRequest = {
    vm: 'vm1',
    fromHost: 'dc1-h1',
    toHost: 'dc2-h1',
    to: { switch: 'dc2-h1-vs', port: 10 },
    onProgress: (p) => events.push(p),
    beforePause: async () => {
      beforePauseAttached = vm.nic.attached;
    },
    beforeSwitchover: async () => {
      hookCalls++;
      // Paused: unplugged, still recorded at the source, nothing at the destination yet.
      assert.equal(vm.nic.attached, false);
      assert.deepEqual(net.attachmentOf('vm1'), src);
      assert.equal(events.at(-1)!.phase, 'paused');
      assert.equal(reaches(src.switch, src.port), false);
      await new Promise<void>((r) => clock.setTimeout(r, 50));
    },
  };
  const r = await settle(clock, hv.migrate(req), { stepMs: 1 });
  assert.equal(hookCalls, 1);
  assert.equal(beforePauseAttached, true);
  // Progress: precopy samples (start + one per round), then paused, then resumed; bytes never decrease.
  const phases = events.map((e) => e.phase);
  assert.deepEqual(phases, [...Array(est.plan.rounds.length + 1).fill('precopy'), 'paused', 'resumed']);
  const precopy = events.filter((e) => e.phase === 'precopy');
  for (let i = 1; i < precopy.length; i++) {
    assert.ok(precopy[i]!.bytesCopied > precopy[i - 1]!.bytesCopied, 'bytes increase each round');
    assert.ok(precopy[i]!.elapsedMs > precopy[i - 1]!.elapsedMs);
    assert.equal(precopy[i]!.round, i);
  }
  for (let i = 1; i < events.length; i++) assert.ok(events[i]!.bytesCopied >= events[i - 1]!.bytesCopied);
  assert.equal(events[1]!.bytesCopied, MB64);
  assert.equal(events[0]!.bytesTotal, MB64);
  assert.equal(events[0]!.copyBytesPerSec, 125_000_000);
  assert.equal(events[0]!.dirtyBytesPerSec, 20_000_000);
  assert.equal(events.at(-1)!.remainingBytes, 0);
  // The result follows the plan: the WAN's bandwidth and latency decide how long the copy takes.
  assert.equal(r.rounds, est.plan.rounds.length);
  assert.equal(r.bytesCopied, est.plan.totalBytes);
  assert.ok(r.hookMs >= 50 && r.hookMs <= 52, `hook ${r.hookMs}`);
  assert.ok(r.downtimeMs >= est.plan.stopCopyMs + r.hookMs - 1e-9, `downtime ${r.downtimeMs}`);
  assert.ok(r.downtimeMs <= est.plan.stopCopyMs + r.hookMs + 2, `downtime ${r.downtimeMs}`);
  assert.ok(r.totalMs >= est.plan.precopyMs + r.downtimeMs - 1e-9, `total ${r.totalMs}`);
  assert.ok(r.totalMs >= (MB64 * 1000) / 125_000_000 + 40);
  // Plugged in at the destination, the old link gone.
  assert.deepEqual(net.attachmentOf('vm1'), { switch: 'dc2-h1-vs', port: 10 });
  assert.deepEqual(net.peerOf('dc2-h1-vs', 10), { kind: 'host', name: 'vm1' });
  assert.equal(net.peerOf(src.switch, src.port), undefined);
  assert.equal(srcLink.connected, false);
  assert.ok(!net.links.includes(srcLink));
  assert.ok(net.links.includes(vm.link!));
  assert.ok(vm.link!.a === net.switch('dc2-h1-vs').port(10) || vm.link!.b === net.switch('dc2-h1-vs').port(10));
  assert.equal(reaches('dc2-h1-vs', 10), true);
  assert.equal(reaches(src.switch, src.port), false);
  // The VM announced itself at the destination (gratuitous ARP + RARP).
  assert.ok(net.switch('dc2-h1-vs').port(10)!.stats.rxPackets >= 2);
  // And the trace now starts at the destination.
  assert.equal(net.trace('vm1', buildPacket({ eth: { src: vm.mac, dst: 'ff:ff:ff:ff:ff:ff' }, arp: { op: 1, senderMac: vm.mac, senderIp: '192.168.10.1', targetMac: '00:00:00:00:00:00', targetIp: '192.168.10.2' } })).hops[0]!.switch, 'dc2-h1-vs');
  // It can move back to the port it came from (left empty on its switch).
  const back = await settle(clock, hv.migrate({ ...req, to: src, beforePause: undefined, beforeSwitchover: async () => undefined, onProgress: undefined }), { stepMs: 1 });
  assert.ok(back.totalMs > 0);
  assert.deepEqual(net.attachmentOf('vm1'), src);
  assert.equal(reaches(src.switch, src.port), true);
  net.close();
});

test('sim: an intra-DC migration is much faster than a WAN one', async () => {
  const { clock, net, hv } = setup();
  const r = await settle(clock, hv.migrate({ vm: 'vm1', fromHost: 'dc1-h1', toHost: 'dc1-h2', to: { switch: 'dc1-h2-vs', port: 7 }, beforeSwitchover: async () => undefined }));
  assert.deepEqual(net.attachmentOf('vm1'), { switch: 'dc1-h2-vs', port: 7 });
  assert.ok(r.totalMs < 100, `intra-DC ${r.totalMs} ms`);
  const w = await settle(clock, hv.migrate({ vm: 'vm1', fromHost: 'dc1-h2', toHost: 'dc2-h1', to: { switch: 'dc2-h1-vs', port: 7 }, beforeSwitchover: async () => undefined }));
  assert.ok(w.totalMs > 500, `WAN ${w.totalMs} ms`);
  net.close();
});

test('sim: a rejecting switchover hook puts the VM back at the source and rejects HYPERVISOR_ABORTED', async () => {
  const { clock, net, hv, vm, reaches } = setup();
  const src = net.attachmentOf('vm1')!;
  vm.link!.setParams({ latencyMs: 0.5 });
  const hookError = new Error('flows not confirmed');
  let calls = 0;
  const events: string[] = [];
  await assert.rejects(
    settle(
      clock,
      hv.migrate({
        vm: 'vm1', fromHost: 'dc1-h1', toHost: 'dc2-h1', to: { switch: 'dc2-h1-vs', port: 10 },
        onProgress: (p) => events.push(p.phase),
        beforeSwitchover: async () => {
          calls++;
          assert.equal(vm.nic.attached, false);
          throw hookError;
        },
      }),
    ),
    (e: unknown) => {
      assert.ok(isXsiteError(e, 'HYPERVISOR_ABORTED'), String(e));
      assert.equal(e.cause, hookError);
      assert.equal(e.details?.['cause'], hookError);
      assert.match(e.message, /flows not confirmed/);
      return true;
    },
  );
  assert.equal(calls, 1);
  assert.ok(!events.includes('resumed'));
  assert.deepEqual(net.attachmentOf('vm1'), src);
  assert.deepEqual(net.peerOf(src.switch, src.port), { kind: 'host', name: 'vm1' });
  assert.equal(vm.link!.latencyMs, 0.5, 'same link parameters as before');
  assert.equal(reaches(src.switch, src.port), true);
  // Nothing left behind at the destination.
  assert.equal(net.switch('dc2-h1-vs').port(10), undefined);
  assert.equal(net.peerOf('dc2-h1-vs', 10), undefined);
  net.close();
});

test('sim: aborting during pre-copy rejects without touching the VM', async () => {
  const { clock, net, hv, vm, reaches } = setup();
  const src = net.attachmentOf('vm1')!;
  const link = vm.link!;
  const ac = new AbortController();
  let hooks = 0;
  let rounds = 0;
  clock.setTimeout(() => ac.abort(new Error('operator cancelled')), 100);
  await assert.rejects(
    settle(
      clock,
      hv.migrate({
        vm: 'vm1', fromHost: 'dc1-h1', toHost: 'dc2-h1', to: { switch: 'dc2-h1-vs', port: 10 }, signal: ac.signal,
        onProgress: (p) => {
          assert.equal(p.phase, 'precopy');
          rounds++;
        },
        beforePause: async () => {
          hooks++;
        },
        beforeSwitchover: async () => {
          hooks++;
        },
      }),
    ),
    (e: unknown) => isXsiteError(e, 'HYPERVISOR_ABORTED') && e.details?.['phase'] === 'precopy',
  );
  assert.equal(clock.now() < 200, true, 'rejected at once');
  assert.equal(hooks, 0);
  assert.equal(rounds, 1, 'only the start sample: the first round takes ~577 ms');
  assert.equal(vm.link, link);
  assert.equal(link.connected, true);
  assert.deepEqual(net.attachmentOf('vm1'), src);
  assert.equal(reaches(src.switch, src.port), true);
  assert.equal(net.switch('dc2-h1-vs').port(10), undefined);
  // Nothing keeps running: no progress after the abort.
  clock.advance(10_000);
  assert.equal(rounds, 1);
  // An already aborted signal is refused up front.
  await assert.rejects(
    hv.migrate({ vm: 'vm1', fromHost: 'a', toHost: 'b', to: { switch: 'dc2-h1-vs', port: 10 }, signal: AbortSignal.abort(), beforeSwitchover: async () => undefined }),
    (e: unknown) => isXsiteError(e, 'HYPERVISOR_ABORTED'),
  );
  net.close();
});

test('sim: aborting while paused (stop-and-copy) plugs the VM back in at the source', async () => {
  // Never converges: 64 MB stop-and-copy over the WAN (~577 ms of pause).
  const { clock, net, hv, vm, reaches } = setup({ defaults: { dirtyBytesPerSec: 500_000_000, maxRounds: 2 } });
  const src = net.attachmentOf('vm1')!;
  const ac = new AbortController();
  let hooks = 0;
  const p = hv.migrate({
    vm: 'vm1', fromHost: 'dc1-h1', toHost: 'dc2-h1', to: { switch: 'dc2-h1-vs', port: 10 }, signal: ac.signal,
    onProgress: (e) => {
      if (e.phase === 'paused') clock.setTimeout(() => ac.abort(), 100);
    },
    beforeSwitchover: async () => {
      hooks++;
    },
  });
  await assert.rejects(settle(clock, p), (e: unknown) => isXsiteError(e, 'HYPERVISOR_ABORTED') && e.details?.['phase'] === 'paused');
  assert.equal(hooks, 0);
  assert.deepEqual(net.attachmentOf('vm1'), src);
  assert.equal(vm.nic.attached, true);
  assert.equal(reaches(src.switch, src.port), true);
  net.close();
});

test('sim: a rejecting beforePause aborts before the VM is paused', async () => {
  const { clock, net, hv, vm } = setup();
  const link = vm.link!;
  let switchovers = 0;
  await assert.rejects(
    settle(clock, hv.migrate({
      vm: 'vm1', fromHost: 'dc1-h1', toHost: 'dc1-h2', to: { switch: 'dc1-h2-vs', port: 10 },
      beforePause: async () => {
        throw new Error('cannot hold frames');
      },
      beforeSwitchover: async () => {
        switchovers++;
      },
    })),
    (e: unknown) => isXsiteError(e, 'HYPERVISOR_ABORTED') && /cannot hold frames/.test((e as Error).message),
  );
  assert.equal(switchovers, 0);
  assert.equal(vm.link, link);
  assert.equal(link.connected, true);
  net.close();
});

test('sim: bad requests are refused with clear errors', async () => {
  const { clock, net, hv } = setup();
  const req = (over: Partial<HypervisorMigrateRequest>): HypervisorMigrateRequest => ({
    vm: 'vm1', fromHost: 'dc1-h1', toHost: 'dc2-h1', to: { switch: 'dc2-h1-vs', port: 10 }, beforeSwitchover: async () => undefined, ...over,
  });
  const code = (c: string, re: RegExp) => (e: unknown) => isXsiteError(e, c) && re.test((e as Error).message);
  await assert.rejects(hv.migrate(req({ vm: 'nope' })), code('HYPERVISOR_UNKNOWN_VM', /nope/));
  await assert.rejects(hv.migrate(req({ to: { switch: 'nowhere', port: 1 } })), code('HYPERVISOR_FAILED', /switch nowhere/));
  await assert.rejects(hv.migrate(req({ to: { switch: 'dc2-h1-vs', port: 0 } })), code('HYPERVISOR_FAILED', /port 0 invalid/));
  // Port 1 of dc2-h1-vs is its uplink to the gateway.
  await assert.rejects(hv.migrate(req({ to: { switch: 'dc2-h1-vs', port: 1 } })), code('HYPERVISOR_FAILED', /in use \(switch dc2-gw\)/));
  const src = net.attachmentOf('vm1')!;
  await assert.rejects(hv.migrate(req({ to: src })), code('HYPERVISOR_FAILED', /already on port/));
  await assert.rejects(hv.migrate(req({ to: { switch: 'dc3-h1-vs', port: 5 } })), code('HYPERVISOR_FAILED', /no WAN link between dc1 and dc3/));
  // One migration of a VM at a time, one VM per destination port.
  const first = hv.migrate(req({}));
  await assert.rejects(hv.migrate(req({ to: { switch: 'dc1-h2-vs', port: 3 } })), code('HYPERVISOR_FAILED', /already being migrated/));
  await settle(clock, first);
  net.close();
});
