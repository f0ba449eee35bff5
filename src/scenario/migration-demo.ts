/**
 * `xsite demo` (the main job): three data centers, the controllers of seed 000 in this process, and a hypervisor;
 * VMs that talk to each other across sites over TCP; a peer that sends a probe to the migrating VM every 10 ms; the
 * VM migrates from DC1 to DC2 and then on to DC3. By default on the emulator with the `sim` hypervisor; with
 * `dataplane: 'ovs'` on real Open vSwitch with the `netns` or `qemu` hypervisor (src/scenario/ovs-testbed.ts). For
 * each migration it reports what the issue asks: phases, hypervisor downtime, network switchover, probes (sent,
 * lost, largest gap), TCP sessions kept, flow_mods, NAT tuples allocated / released / leaked, and a timeline.
 */
import * as path from 'node:path';
import { copyFlowId } from '../central/migration';
import { XsiteError } from '../core/errors';
import { resolveTopology } from '../emulator/topology/defaults';
import { loadTopologySpecFile } from '../emulator/topology/load';
import { withMigrationNetwork } from '../emulator/topology/migration-network';
import type { Topology } from '../emulator/topology/model';
import type { MigrationRecord } from '../model/migration';
import { startEmulatorTestbed } from './emulator-testbed';
import type { MigrationTestbed } from './migration-testbed';
import { startOvsTestbed } from './ovs-testbed';

export interface MigrationDemoOptions {
  /** Topology file; default examples/topologies/three-dcs.yaml. */
  topologyFile?: string;
  /** Where it runs: the emulator with `sim` (default), or Open vSwitch with `netns` (default there) or `qemu`. */
  dataplane?: 'emulator' | 'ovs';
  hypervisor?: 'sim' | 'netns' | 'qemu';
  /** The VM that migrates (default acme-web1) and its path of hosts (default dc2-h2, then dc3-h2). */
  vm?: string;
  path?: string[];
  /** Memory of the migrating VM in MB (default 64; the QEMU guest's default 128). */
  memoryMB?: number;
  log?: (line: string) => void;
}

export interface MigrationSummary {
  vm: string;
  from: string;
  to: string;
  status: string;
  phasesMs: { preMigration: number; migration: number; postMigration: number };
  hypervisorDowntimeMs: number;
  switchoverMs: number;
  probes: { intervalMs: number; sent: number; lost: number; maxGapMs: number };
  tcp: { sessions: number; kept: number };
  flowMods: number;
  framesHeld: number;
  nat: { allocated: number; released: number; leaked: number };
  /**
   * The memory copy: where it went (`route`: between the hosts' migration endpoints through the data plane, over the
   * gateways with `tuple` across DCs; `loopback`: the driver's own connection; `model`: computed, the `sim` driver),
   * the route (`from -> to`, endpoint address:port) and the NAT tuple between the gateways.
   */
  copyStream: { over: string | null; route: string | null; tuple: string | null };
  timeline: string[];
}

export interface MigrationDemoResult {
  dataplane: 'emulator' | 'ovs';
  hypervisor: string;
  /** How probes travel: UDP datagrams counted at the VM, or ICMP echoes counted at the sender. */
  probeKind: 'udp' | 'icmp';
  migrations: MigrationSummary[];
  /** Frames that reached a VM of another VN (the emulator watches every NIC; on OVS: not measured, null). */
  leaks: { packets: number | null };
  /** The Open vSwitch lab's prefix (removed at the end; `xsite lab leftovers` checks), null on the emulator. */
  lab: string | null;
  ms: number;
}

const r1 = (x: number) => Math.round(x * 10) / 10;
const phaseMs = (p: { startedAt: number; endedAt?: number } | undefined) => (p?.endedAt !== undefined ? p.endedAt - p.startedAt : 0);

/**
 * The topology file (default examples/topologies/three-dcs.yaml) with the migration network added: every host gets
 * its migration endpoint (src/model/migration-network.ts), so that copy streams travel the gateways.
 */
export function loadMigrationTopology(file?: string): Topology {
  return resolveTopology(withMigrationNetwork(loadTopologySpecFile(path.resolve(file ?? path.join(__dirname, '..', '..', '..', 'examples', 'topologies', 'three-dcs.yaml')))));
}

/**
 * Starts the testbed the options ask for (`guest`: the VM that runs as a QEMU guest with `qemu`). DEMO_INVALID for
 * a hypervisor the data plane does not run.
 */
export async function startMigrationTestbed(o: MigrationDemoOptions, guest: string, log: (l: string) => void): Promise<MigrationTestbed> {
  const topology = loadMigrationTopology(o.topologyFile);
  if ((o.dataplane ?? 'emulator') === 'emulator') {
    if (o.hypervisor !== undefined && o.hypervisor !== 'sim') throw new XsiteError('DEMO_INVALID', `the emulator runs the sim hypervisor, not ${o.hypervisor} (use --dataplane ovs)`);
    return startEmulatorTestbed({ topology, memoryMB: o.memoryMB ?? 64 });
  }
  const hv = o.hypervisor ?? 'netns';
  if (hv === 'sim') throw new XsiteError('DEMO_INVALID', 'Open vSwitch runs the netns or qemu hypervisor, not sim');
  return startOvsTestbed({ topology, hypervisor: hv, memoryMB: o.memoryMB ?? (hv === 'qemu' ? 128 : 64), guests: [guest], log });
}

/** The copy stream of a finished migration, for the summary. */
function copyStreamOf(rec: MigrationRecord): MigrationSummary['copyStream'] {
  const r = rec.copyRoute;
  const t = rec.copyTuple;
  return {
    over: rec.result?.copiedOver ?? null,
    route: r !== undefined ? `${r.from.vm} ${r.from.ip}:${r.from.port} -> ${r.to.vm} ${r.to.ip}:${r.to.port}` : null,
    tuple: t !== undefined ? `tcp ${t.srcPublicIp}:${t.port} -> ${t.dstPublicIp}` : null,
  };
}

/** Runs the demo; resolves with the figures (never throws for a failed migration: its status says so). */
export async function runMigrationDemo(opts: MigrationDemoOptions = {}): Promise<MigrationDemoResult> {
  const t0 = Date.now();
  const log = opts.log ?? (() => undefined);
  const vmName = opts.vm ?? 'acme-web1';
  const hops = opts.path ?? ['dc2-h2', 'dc3-h2'];
  const tb = await startMigrationTestbed(opts, vmName, log);
  const topo = tb.topology;
  const ctl = tb.ctl;
  const migrations: MigrationSummary[] = [];
  try {
    const me = topo.vms.find((v) => v.name === vmName);
    if (me === undefined) throw new XsiteError('DEMO_INVALID', `no VM ${vmName} in the topology`);
    const peers = topo.vms.filter((v) => v.tenant === me.tenant && v.vn === me.vn && v.name !== vmName);
    log(`three DCs on ${tb.dataplane === 'ovs' ? 'Open vSwitch' : 'the emulator'} (${tb.hypervisor} hypervisor), ${topo.vms.length} VMs; ${vmName} (${me.ip}, ${me.tenant}/${me.vn}) talks to ${peers.map((p) => p.name).join(', ')}`);
    // Warm the paths (ARP, cross-site flows) so the migration figures are about the migration.
    for (const p of peers) {
      if (!(await tb.reach(p.name, vmName))) log(`  warning: ${p.name} does not reach ${vmName} before the migration`);
    }
    let from = topo.hosts.find((h) => h.switch === me.switch)!.name;
    for (const to of hops) {
      const prober = peers[0]!;
      const probes = await tb.startProbes(prober.name, vmName, 10);
      // TCP sessions that span the migration: one to the VM from each peer, paced over ~1.5 s.
      const sessions = peers.map((p) => tb.tcpSession(p.name, vmName, { bytes: 96 * 1024, chunkBytes: 2048, intervalMs: 30, timeoutMs: 30_000 }));
      await new Promise((r) => setTimeout(r, 200));
      const timeline: string[] = [];
      const start = Date.now();
      const at = () => `+${String(Date.now() - start).padStart(5)} ms`;
      const onState = (r: MigrationRecord) => {
        if (r.vm === vmName) timeline.push(`${at()}  ${r.state}`);
      };
      let lastRound = 0;
      let lastPhase = '';
      let lastCopied = 0;
      const onProgress = (r: MigrationRecord) => {
        const p = r.progress;
        if (r.vm !== vmName || p === undefined) return;
        // A line per round (its end, where the hypervisor reports it then), and the first bytes of round 1.
        if (p.phase === 'precopy' && (p.round !== lastRound || (lastCopied === 0 && p.bytesCopied > 0))) {
          lastRound = p.round;
          lastCopied = p.bytesCopied;
          timeline.push(`${at()}  copy round ${p.round}: ${(p.bytesCopied / 2 ** 20).toFixed(1)} MiB copied (memory ${(p.bytesTotal / 2 ** 20).toFixed(0)} MiB), dirty ${(p.dirtyBytesPerSec / 2 ** 20).toFixed(1)} MiB/s, ${(p.remainingBytes / 2 ** 20).toFixed(2)} MiB left`);
        } else if (p.phase !== 'precopy' && p.phase !== lastPhase) timeline.push(`${at()}  VM ${p.phase}`);
        lastPhase = p.phase;
      };
      ctl.migrations.on('state', onState);
      ctl.migrations.on('progress', onProgress);
      log(`\nmigration ${migrations.length + 1}: ${vmName} ${from} -> ${to}`);
      let rec = await ctl.migrations.request({ vm: vmName, destinationHost: to });
      rec = await ctl.migrations.wait(rec.id);
      ctl.migrations.off('state', onState);
      ctl.migrations.off('progress', onProgress);
      await new Promise((r) => setTimeout(r, 300));
      const pr = await probes.stop();
      const streams = await Promise.all(sessions);
      const copyIds = [copyFlowId(rec.id), ...(rec.copyRoute?.flowId !== undefined ? [rec.copyRoute.flowId] : [])];
      let leakedTuples = 0;
      for (const id of copyIds) if ((await ctl.store.getNatTuple(id)) !== undefined) leakedTuples++;
      const s: MigrationSummary = {
        vm: vmName,
        from,
        to,
        status: rec.state,
        phasesMs: { preMigration: phaseMs(rec.phases.preMigration), migration: phaseMs(rec.phases.migration), postMigration: phaseMs(rec.phases.postMigration) },
        hypervisorDowntimeMs: r1(rec.result?.hypervisorDowntimeMs ?? 0),
        switchoverMs: r1(rec.result?.switchoverMs ?? 0),
        probes: { intervalMs: pr.intervalMs, sent: pr.sent, lost: pr.lost, maxGapMs: r1(pr.maxGapMs) },
        tcp: { sessions: streams.length, kept: streams.filter((x) => x.kept).length },
        flowMods: rec.result?.flowMods ?? 0,
        framesHeld: rec.result?.framesHeld ?? 0,
        nat: { allocated: rec.nat?.allocated ?? 0, released: rec.nat?.released ?? 0, leaked: leakedTuples },
        copyStream: copyStreamOf(rec),
        timeline,
      };
      for (const l of timeline) log(l);
      if (s.copyStream.over !== null) log(`memory copied over ${s.copyStream.over === 'route' ? `the data plane: ${s.copyStream.route}${s.copyStream.tuple ? `, between the gateways as ${s.copyStream.tuple}` : ''}` : s.copyStream.over === 'loopback' ? 'the driver\'s own loopback connection' : 'no wire (sim: its time computed from the WAN link)'}`);
      log(
        `${s.status}: downtime ${s.hypervisorDowntimeMs} ms (switchover ${s.switchoverMs} ms, ${s.flowMods} flow_mods, ${s.framesHeld} frames held and sent on); ` +
          `${tb.probeKind === 'icmp' ? 'ICMP echoes' : 'UDP probes'} every 10 ms: ${s.probes.sent} sent, ${s.probes.lost} lost, largest gap ${s.probes.maxGapMs} ms; TCP ${s.tcp.kept}/${s.tcp.sessions} kept`,
      );
      for (const x of streams) if (!x.kept) log(`  TCP session lost: ${x.error ?? '?'}`);
      if (pr.lostSentAt?.length) log(`  lost probes sent at ${pr.lostSentAt.map((t) => `+${Math.round(t - start)} ms`).join(', ')}`);
      if (rec.error) log(`  error: ${rec.error.code}: ${rec.error.message}`);
      migrations.push(s);
      from = to;
    }
    const leaked = tb.leakedFrames();
    return { dataplane: tb.dataplane, hypervisor: tb.hypervisor, probeKind: tb.probeKind, migrations, leaks: { packets: leaked ?? null }, lab: tb.labPrefix ?? null, ms: Date.now() - t0 };
  } finally {
    await tb.close();
  }
}

/** Whether the demo proves the issue's targets: every migration completed, no probe lost, every TCP session kept, no leak. */
export function migrationDemoPassed(r: MigrationDemoResult): boolean {
  return (
    r.migrations.length > 0 &&
    (r.leaks.packets ?? 0) === 0 &&
    r.migrations.every((m) => m.status === 'completed' && m.probes.lost === 0 && m.tcp.kept === m.tcp.sessions && m.nat.leaked === 0)
  );
}
