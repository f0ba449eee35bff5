/**
 * `xsite demo` (the main job): three data centers on the emulator, the controllers of seed 000 and the `sim`
 * hypervisor in this process; VMs that talk to each other across sites over TCP; a peer that sends a UDP probe to
 * the migrating VM every 10 ms; the VM migrates from DC1 to DC2 and then on to DC3. For each migration it reports
 * what the issue asks: phases, hypervisor downtime, network switchover, probes (sent, lost, largest gap), TCP
 * sessions kept, flow_mods, NAT tuples allocated / released / leaked, and a readable timeline.
 */
import * as path from 'node:path';
import { copyFlowId } from '../central/migration';
import { SimHypervisor } from '../drivers/hypervisor/sim/sim-hypervisor';
import { ProbeReceiver, ProbeSender, probeReport } from '../emulator/host/probe';
import { verifyStream } from '../emulator/host/stream';
import { EmulatedNetwork } from '../emulator/network';
import { loadTopologyFile } from '../emulator/topology/load';
import type { MigrationRecord } from '../model/migration';
import { startInProcessControllers } from './in-process-controllers';
import { LeakWatch } from './leak-watch';

export interface MigrationDemoOptions {
  /** Topology file; default examples/topologies/three-dcs.yaml. */
  topologyFile?: string;
  /** The VM that migrates (default acme-web1) and its path of hosts (default dc2-h2, then dc3-h2). */
  vm?: string;
  path?: string[];
  /** Memory of the migrating VM in MB for the pre-copy model (default 64). */
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
  timeline: string[];
}

export interface MigrationDemoResult {
  migrations: MigrationSummary[];
  leaks: { packets: number };
  ms: number;
}

const r1 = (x: number) => Math.round(x * 10) / 10;
const phaseMs = (p: { startedAt: number; endedAt?: number } | undefined) => (p?.endedAt !== undefined ? p.endedAt - p.startedAt : 0);

/** Runs the demo; resolves with the figures (never throws for a failed migration: its status says so). */
export async function runMigrationDemo(opts: MigrationDemoOptions = {}): Promise<MigrationDemoResult> {
  const t0 = Date.now();
  const log = opts.log ?? (() => undefined);
  const topo = loadTopologyFile(path.resolve(opts.topologyFile ?? path.join(__dirname, '..', '..', '..', 'examples', 'topologies', 'three-dcs.yaml')));
  const vmName = opts.vm ?? 'acme-web1';
  const hops = opts.path ?? ['dc2-h2', 'dc3-h2'];
  const net = EmulatedNetwork.build(topo);
  const memoryMB = opts.memoryMB ?? 64;
  const hv = new SimHypervisor({ net, topology: topo, vmParams: () => ({ memoryMB }) });
  const ctl = await startInProcessControllers({ topology: topo, net, hypervisor: hv, natIdleTimeoutS: 30 });
  const leaks = new LeakWatch(net, topo);
  const migrations: MigrationSummary[] = [];
  try {
    const me = topo.vms.find((v) => v.name === vmName)!;
    const peers = topo.vms.filter((v) => v.tenant === me.tenant && v.vn === me.vn && v.name !== vmName);
    log(`three DCs, ${topo.vms.length} VMs; ${vmName} (${me.ip}, ${me.tenant}/${me.vn}) talks to ${peers.map((p) => p.name).join(', ')}`);
    // Warm the paths (ARP, cross-site flows) so the migration figures are about the migration.
    for (const p of peers) {
      await net.host(p.name).ping(me.ip, { count: 1, timeoutMs: 2000 });
    }
    let from = topo.hosts.find((h) => h.switch === me.switch)!.name;
    for (const [i, to] of hops.entries()) {
      const prober = peers[0]!;
      const rx = new ProbeReceiver(net.host(vmName), { port: 7100 + i });
      const tx = new ProbeSender(net.host(prober.name), { dstIp: me.ip, dstPort: 7100 + i, intervalMs: 10, stream: i + 1 });
      tx.start();
      // TCP sessions that span the migration: one to the VM from each peer, paced over ~1.5 s.
      const sessions = peers.map((p, k) =>
        verifyStream({ client: net.host(p.name), server: net.host(vmName), serverIp: me.ip, port: 5100 + i * 10 + k, bytes: 96 * 1024, chunkBytes: 2048, intervalMs: 30, timeoutMs: 30_000 }),
      );
      await new Promise((r) => setTimeout(r, 200));
      const timeline: string[] = [];
      const start = Date.now();
      const at = () => `+${String(Date.now() - start).padStart(5)} ms`;
      const onState = (r: MigrationRecord) => {
        if (r.vm === vmName) timeline.push(`${at()}  ${r.state}`);
      };
      let lastRound = 0;
      const onProgress = (r: MigrationRecord) => {
        const p = r.progress;
        if (r.vm !== vmName || p === undefined) return;
        if (p.phase === 'precopy' && p.round !== lastRound) {
          lastRound = p.round;
          timeline.push(`${at()}  copy round ${p.round}: ${(p.bytesCopied / 2 ** 20).toFixed(1)}/${(p.bytesTotal / 2 ** 20).toFixed(0)} MiB, dirty ${(p.dirtyBytesPerSec / 2 ** 20).toFixed(1)} MiB/s, ${(p.remainingBytes / 2 ** 20).toFixed(2)} MiB left`);
        } else if (p.phase !== 'precopy') timeline.push(`${at()}  VM ${p.phase}`);
      };
      ctl.migrations.on('state', onState);
      ctl.migrations.on('progress', onProgress);
      log(`\nmigration ${i + 1}: ${vmName} ${from} -> ${to}`);
      let rec = await ctl.migrations.request({ vm: vmName, destinationHost: to });
      rec = await ctl.migrations.wait(rec.id);
      ctl.migrations.off('state', onState);
      ctl.migrations.off('progress', onProgress);
      await new Promise((r) => setTimeout(r, 300));
      tx.stop();
      await new Promise((r) => setTimeout(r, 100));
      const pr = probeReport(tx, rx);
      rx.close();
      tx.close();
      const streams = await Promise.all(sessions);
      const leakedTuples = (await ctl.store.getNatTuple(copyFlowId(rec.id))) !== undefined ? 1 : 0;
      const s: MigrationSummary = {
        vm: vmName,
        from,
        to,
        status: rec.state,
        phasesMs: { preMigration: phaseMs(rec.phases.preMigration), migration: phaseMs(rec.phases.migration), postMigration: phaseMs(rec.phases.postMigration) },
        hypervisorDowntimeMs: r1(rec.result?.hypervisorDowntimeMs ?? 0),
        switchoverMs: r1(rec.result?.switchoverMs ?? 0),
        probes: { intervalMs: 10, sent: pr.sent, lost: pr.lost, maxGapMs: r1(pr.maxGapMs) },
        tcp: { sessions: streams.length, kept: streams.filter((x) => x.kept).length },
        flowMods: rec.result?.flowMods ?? 0,
        framesHeld: rec.result?.framesHeld ?? 0,
        nat: { allocated: rec.nat?.allocated ?? 0, released: rec.nat?.released ?? 0, leaked: leakedTuples },
        timeline,
      };
      for (const l of timeline) log(l);
      log(
        `${s.status}: downtime ${s.hypervisorDowntimeMs} ms (switchover ${s.switchoverMs} ms, ${s.flowMods} flow_mods, ${s.framesHeld} frames held and sent on); ` +
          `probes every 10 ms: ${s.probes.sent} sent, ${s.probes.lost} lost, largest gap ${s.probes.maxGapMs} ms; TCP ${s.tcp.kept}/${s.tcp.sessions} kept`,
      );
      if (rec.error) log(`  error: ${rec.error.code}: ${rec.error.message}`);
      migrations.push(s);
      from = to;
    }
    return { migrations, leaks: { packets: leaks.leaks.length }, ms: Date.now() - t0 };
  } finally {
    leaks.close();
    net.close();
    await ctl.close();
  }
}

/** Whether the demo proves the targets: every migration completed, no probe lost, every TCP session kept, no leak. */
export function migrationDemoPassed(r: MigrationDemoResult): boolean {
  return (
    r.migrations.length > 0 &&
    r.leaks.packets === 0 &&
    r.migrations.every((m) => m.status === 'completed' && m.probes.lost === 0 && m.tcp.kept === m.tcp.sessions && m.nat.leaked === 0)
  );
}
