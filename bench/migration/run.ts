/**
 * `xsite bench migration`: many live migrations in a row on the emulator (`sim` hypervisor, the controllers in this
 * process), VMs moving back and forth among the three DCs of examples/topologies/three-dcs.yaml, several at once,
 * each migrating VM receiving a UDP probe every 10 ms from a peer that stays put. At the end every migration must
 * have completed and the audit must find nothing: no leaked flow, no leaked tuple, no mismatch, no active migration.
 *
 * Figures: migrations completed / rolled back / failed, switchover and hypervisor downtime (p50, p95, max), probes
 * sent / lost / largest gap over all streams, the audit, wall time.
 */
import * as path from 'node:path';
import { runAudit } from '../../src/central/audit';
import { SimHypervisor } from '../../src/drivers/hypervisor/sim/sim-hypervisor';
import { ProbeReceiver, ProbeSender, probeReport } from '../../src/emulator/host/probe';
import { EmulatedNetwork } from '../../src/emulator/network';
import { loadTopologyFile } from '../../src/emulator/topology/load';
import { auditLocal } from '../../src/local/audit';
import type { MigrationRecord } from '../../src/model/migration';
import { startInProcessControllers } from '../../src/scenario/in-process-controllers';
import { LeakWatch } from '../../src/scenario/leak-watch';

export interface MigrationBenchOptions {
  /** Migrations to run (default 50). */
  count?: number;
  /** At most this many at once (default 3; never two of one VM). */
  concurrency?: number;
  /** Memory of each migrating VM for the pre-copy model, MB (default 16). */
  memoryMB?: number;
  log?: (line: string) => void;
}

export interface MigrationBenchResult {
  migrations: { requested: number; completed: number; rolledBack: number; failed: number; maxAtOnce: number };
  switchoverMs: { p50: number; p95: number; max: number };
  hypervisorDowntimeMs: { p50: number; p95: number; max: number };
  probes: { streams: number; intervalMs: number; sent: number; lost: number; maxGapMs: number };
  audit: { leakedFlows: number; leakedTuples: number; mismatches: number; activeMigrations: number; leakedFrames: number };
  ms: number;
}

const pct = (xs: number[], p: number) => {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! * 10) / 10;
};

/** Migrating VMs and the peer (same VN, never migrating) that probes each. */
const MOVERS: [string, string][] = [
  ['acme-web1', 'acme-web2'],
  ['acme-web3', 'acme-web4'],
  ['globex-app1', 'globex-app2'],
  ['globex-app3', 'globex-app2'],
];

export async function runMigrationBench(o: MigrationBenchOptions = {}): Promise<MigrationBenchResult> {
  const t0 = Date.now();
  const log = o.log ?? (() => undefined);
  const count = o.count ?? 50;
  const concurrency = Math.max(1, Math.min(o.concurrency ?? 3, MOVERS.length));
  const topo = loadTopologyFile(path.join(__dirname, '..', '..', '..', 'examples', 'topologies', 'three-dcs.yaml'));
  const net = EmulatedNetwork.build(topo);
  const memoryMB = o.memoryMB ?? 16;
  const hv = new SimHypervisor({ net, topology: topo, vmParams: () => ({ memoryMB }) });
  const ctl = await startInProcessControllers({ topology: topo, switches: { net }, hypervisor: hv, natIdleTimeoutS: 30 });
  const leaks = new LeakWatch(net, topo);
  const streams: { tx: ProbeSender; rx: ProbeReceiver }[] = [];
  const done: MigrationRecord[] = [];
  try {
    for (const [i, [vm, peer]] of MOVERS.entries()) {
      const ip = topo.vms.find((v) => v.name === vm)!.ip;
      await net.host(peer).ping(ip, { count: 1, timeoutMs: 2000 });
      const rx = new ProbeReceiver(net.host(vm), { port: 7200 + i });
      const tx = new ProbeSender(net.host(peer), { dstIp: ip, dstPort: 7200 + i, intervalMs: 10, stream: 100 + i });
      tx.start();
      streams.push({ tx, rx });
    }
    const hostsByDc = new Map<string, string[]>();
    for (const h of topo.hosts) hostsByDc.set(h.dc, [...(hostsByDc.get(h.dc) ?? []), h.name]);
    const dcs = [...hostsByDc.keys()];
    let next = 0;
    let started = 0;
    let atOnce = 0;
    let maxAtOnce = 0;
    const busy = new Set<string>();
    const runOne = async (vm: string): Promise<void> => {
      const loc = await ctl.directory.vmByName(vm);
      // Back and forth among the DCs: the next DC in order, a host there with room (tried in order).
      const dc = dcs[(dcs.indexOf(loc.dc) + 1) % dcs.length]!;
      for (const host of hostsByDc.get(dc)!) {
        try {
          const rec = await ctl.migrations.request({ vm, destinationHost: host });
          atOnce++;
          maxAtOnce = Math.max(maxAtOnce, atOnce);
          const fin = await ctl.migrations.wait(rec.id);
          atOnce--;
          done.push(fin);
          log(`${String(done.length).padStart(3)}/${count} ${vm} ${loc.host.name} -> ${host}: ${fin.state}, switchover ${fin.result?.switchoverMs.toFixed(1) ?? '-'} ms, downtime ${fin.result?.hypervisorDowntimeMs.toFixed(1) ?? '-'} ms`);
          return;
        } catch (e) {
          if ((e as { code?: string }).code === 'MIGRATION_NO_CAPACITY') continue;
          throw e;
        }
      }
      throw new Error(`no host with room in ${dc} for ${vm}`);
    };
    await new Promise<void>((resolve, reject) => {
      const pump = () => {
        if (done.length >= count && busy.size === 0) return resolve();
        while (busy.size < concurrency && started < count) {
          const free = MOVERS.map(([v]) => v).filter((v) => !busy.has(v));
          if (free.length === 0) break;
          const vm = free[next++ % free.length]!;
          busy.add(vm);
          started++;
          runOne(vm).then(
            () => {
              busy.delete(vm);
              pump();
            },
            (e: unknown) => reject(e),
          );
        }
      };
      pump();
    });
    await new Promise((r) => setTimeout(r, 300));
    let sent = 0;
    let lost = 0;
    let maxGap = 0;
    for (const { tx, rx } of streams) {
      tx.stop();
    }
    await new Promise((r) => setTimeout(r, 200));
    for (const { tx, rx } of streams) {
      const pr = probeReport(tx, rx);
      sent += pr.sent;
      lost += pr.lost;
      maxGap = Math.max(maxGap, pr.maxGapMs);
    }
    const a = await runAudit({
      store: ctl.store,
      channel: { connectedDcs: () => [...ctl.locals.keys()], request: async (dc: string) => auditLocal(ctl.locals.get(dc)!) } as never,
      dcs: [...ctl.locals.keys()],
    });
    const completed = done.filter((m) => m.state === 'completed');
    return {
      migrations: {
        requested: done.length,
        completed: completed.length,
        rolledBack: done.filter((m) => m.state === 'rolled-back').length,
        failed: done.filter((m) => m.state === 'failed').length,
        maxAtOnce,
      },
      switchoverMs: { p50: pct(completed.map((m) => m.result!.switchoverMs), 50), p95: pct(completed.map((m) => m.result!.switchoverMs), 95), max: pct(completed.map((m) => m.result!.switchoverMs), 100) },
      hypervisorDowntimeMs: {
        p50: pct(completed.map((m) => m.result!.hypervisorDowntimeMs), 50),
        p95: pct(completed.map((m) => m.result!.hypervisorDowntimeMs), 95),
        max: pct(completed.map((m) => m.result!.hypervisorDowntimeMs), 100),
      },
      probes: { streams: streams.length, intervalMs: 10, sent, lost, maxGapMs: Math.round(maxGap * 10) / 10 },
      audit: {
        leakedFlows: a.leakedFlows,
        leakedTuples: a.leakedTuples,
        mismatches: a.mismatches,
        activeMigrations: (await ctl.migrations.list({ active: true })).length,
        leakedFrames: leaks.leaks.length,
      },
      ms: Date.now() - t0,
    };
  } finally {
    for (const { tx, rx } of streams) {
      tx.close();
      rx.close();
    }
    leaks.close();
    net.close();
    await ctl.close();
  }
}
