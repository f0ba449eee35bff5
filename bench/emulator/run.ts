/**
 * `xsite bench emulator`: forwarding speed of the emulator's data plane and the memory a large network takes.
 *
 * - packetsPerSec: UDP frames sent by h1 cross s1 -> s2 -> s3 (one flow lookup each, through real Link objects) to h2
 *   in virtual time; wall-clock frames delivered per second on one core.
 * - memoryMBPer1000Hosts / largeNetwork: heap taken by an emulated network of 100 switches and 10,000 VMs (built from
 *   the topology generator), measured after a forced GC.
 */
import vm from 'node:vm';
import v8 from 'node:v8';
import { VirtualClock } from '../../src/core/clock';
import { buildPacket } from '../../src/codec/packet';
import type { MessageOf } from '../../src/codec/openflow/types';
import { EmulatedNetwork } from '../../src/emulator/network';
import { TopologyBuilder } from '../../src/emulator/topology/builder';
import { generateLargeTopology } from '../../src/emulator/topology/generate';
import { resolveTopology } from '../../src/emulator/topology/defaults';
import { validateTopology } from '../../src/emulator/topology/validate';

export interface EmulatorBenchOptions {
  packets?: number;
  switches?: number;
  hosts?: number;
}

export interface EmulatorBenchResult {
  packetsPerSec: number;
  memoryMBPer1000Hosts: number;
  forwarding: { packets: number; delivered: number; wallSeconds: number; virtualMs: number; hops: 3 };
  largeNetwork: { switches: number; hosts: number; links: number; heapMB: number; buildSeconds: number; underOneGB: boolean };
}

function gc(): void {
  v8.setFlagsFromString('--expose-gc');
  (vm.runInNewContext('gc') as () => void)();
}

function heapUsed(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

function forwardFlow(inPort: number, outPort: number): MessageOf<'flow_mod'> {
  return {
    type: 'flow_mod', cookie: 0n, cookieMask: 0n, tableId: 0, command: 0, idleTimeout: 0, hardTimeout: 0, priority: 10,
    bufferId: 0xffffffff, outPort: 0xffffffff, outGroup: 0xffffffff, flags: 0, match: [{ field: 'in_port', value: inPort }],
    instructions: [{ type: 'apply_actions', actions: [{ type: 'output', port: outPort, maxLen: 0 }] }],
  };
}

/** h1 - s1 - s2 - s3 - h2 with static in_port -> out_port flows; frames sent in bursts through the links. */
function forwarding(packets: number): EmulatorBenchResult['forwarding'] {
  const clock = new VirtualClock();
  const topo = new TopologyBuilder('bench-3hop')
    .dc('dc1', { subnet: '10.0.0.0/16' })
    .switch('s1', { dc: 'dc1', role: 'fabric' })
    .switch('s2', { dc: 'dc1', role: 'fabric' })
    .switch('s3', { dc: 'dc1', role: 'fabric' })
    .link('s1', 's2')
    .link('s2', 's3')
    .endHost('h1', { switch: 's1', ip: '10.0.0.1/24' })
    .endHost('h2', { switch: 's3', ip: '10.0.0.2/24' })
    .build();
  const net = EmulatedNetwork.build(topo, { clock });
  const portTo = (sw: string, peer: string): number => {
    for (let p = 1; p < 64; p++) if (net.peerOf(sw, p)?.name === peer) return p;
    throw new Error(`no port from ${sw} to ${peer}`);
  };
  const install = (sw: string, from: string, to: string) => {
    const r = net.switch(sw).handleMessage(forwardFlow(portTo(sw, from), portTo(sw, to)));
    if (r.length) throw new Error(`flow refused on ${sw}`);
  };
  install('s1', 'h1', 's2');
  install('s2', 's1', 's3');
  install('s3', 's2', 'h2');
  const h1 = net.host('h1');
  const h2 = net.host('h2');
  const frame = buildPacket({ eth: { src: h1.mac, dst: h2.mac }, ipv4: { src: '10.0.0.1', dst: '10.0.0.2' }, udp: { srcPort: 4000, dstPort: 5000 }, payload: Buffer.alloc(64) });
  const before = h2.nic.counters.rxFrames;
  const burst = 1000;
  const t0 = performance.now();
  for (let sent = 0; sent < packets; sent += burst) {
    for (let i = 0; i < burst && sent + i < packets; i++) h1.nic.send(frame);
    clock.runAll();
  }
  const wallSeconds = (performance.now() - t0) / 1000;
  const delivered = h2.nic.counters.rxFrames - before;
  net.close();
  return { packets, delivered, wallSeconds: Math.round(wallSeconds * 1000) / 1000, virtualMs: clock.now(), hops: 3 };
}

function largeNetwork(switches: number, hosts: number): EmulatorBenchResult['largeNetwork'] {
  const spec = generateLargeTopology({ switches, hosts });
  const topo = resolveTopology(validateTopology(spec));
  const base = heapUsed();
  const t0 = performance.now();
  const net = EmulatedNetwork.build(topo, { clock: new VirtualClock() });
  const buildSeconds = (performance.now() - t0) / 1000;
  const heapMB = (heapUsed() - base) / (1024 * 1024);
  const result = {
    switches: net.switches.size,
    hosts: net.hosts.size,
    links: net.links.length,
    heapMB: Math.round(heapMB * 10) / 10,
    buildSeconds: Math.round(buildSeconds * 1000) / 1000,
    underOneGB: heapMB < 1024,
  };
  net.close();
  return result;
}

export function runEmulatorBench(o: EmulatorBenchOptions = {}): EmulatorBenchResult {
  const packets = o.packets ?? 500_000;
  forwarding(20_000); // warm-up (JIT)
  const fwd = forwarding(packets);
  if (fwd.delivered !== fwd.packets) throw new Error(`bench: only ${fwd.delivered} of ${fwd.packets} frames delivered`);
  const large = largeNetwork(o.switches ?? 100, o.hosts ?? 10_000);
  return {
    packetsPerSec: Math.round(fwd.delivered / fwd.wallSeconds),
    memoryMBPer1000Hosts: Math.round((large.heapMB / large.hosts) * 1000 * 100) / 100,
    forwarding: fwd,
    largeNetwork: large,
  };
}
