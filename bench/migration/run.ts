/**
 * `xsite bench migration`: many live migrations in a row, VMs moving back and forth among the three DCs of
 * examples/topologies/three-dcs.yaml, several at once, each migrating VM receiving a probe every 10 ms from a peer
 * that stays put. On the emulator (`sim` hypervisor; UDP probes) or on Open vSwitch (`--dataplane ovs`: the `netns`
 * hypervisor; ICMP probes); the controllers run in this process. At the end every migration must have completed and
 * the audit must find nothing: no leaked flow, no leaked tuple, no mismatch, no active migration; on OVS also no
 * namespace, link or process of the lab left once it is torn down.
 *
 * Figures: migrations completed / rolled back / failed, switchover and hypervisor downtime (p50, p95, max), how many
 * switchovers the DCs had precomputed, probes sent / lost / largest gap over all streams, the audit, wall time.
 */
import { runAudit } from '../../src/central/audit';
import { leftovers } from '../../src/lab/leftovers';
import { auditLocal } from '../../src/local/audit';
import type { MigrationRecord } from '../../src/model/migration';
import { startEmulatorTestbed } from '../../src/scenario/emulator-testbed';
import { loadMigrationTopology } from '../../src/scenario/migration-demo';
import type { MigrationTestbed, ProbeStream } from '../../src/scenario/migration-testbed';
import { startOvsTestbed } from '../../src/scenario/ovs-testbed';

/**
 * The guests' dirty rate on OVS: the migrations running at once share the `netns` hypervisor's 16 MiB/s pre-copy
 * bandwidth (5.3 MiB/s each with 3 at once), and a guest that dirties as fast as its share copies never converges.
 */
export const OVS_DIRTY_BYTES_PER_SEC = 2 * 1024 * 1024;

export interface MigrationBenchOptions {
  /** Migrations to run (default 50). */
  count?: number;
  /** At most this many at once (default 3; never two of one VM). */
  concurrency?: number;
  /** Memory of each migrating VM for the pre-copy model, MB (default 16). */
  memoryMB?: number;
  /** emulator (default, `sim`) or ovs (`netns`, root). */
  dataplane?: 'emulator' | 'ovs';
  log?: (line: string) => void;
}

export interface MigrationBenchResult {
  dataplane: 'emulator' | 'ovs';
  hypervisor: string;
  migrations: { requested: number; completed: number; rolledBack: number; failed: number; maxAtOnce: number };
  switchoverMs: { p50: number; p95: number; max: number };
  /**
   * Completed moves whose pause only committed the switchover the DCs computed before it (`precomputed`), and those
   * where a DC computed it in the pause because its model had changed meanwhile (`computedInPause`, the slow way).
   */
  switchovers: { precomputed: number; computedInPause: number };
  hypervisorDowntimeMs: { p50: number; p95: number; max: number };
  probes: {
    streams: number;
    intervalMs: number;
    sent: number;
    lost: number;
    maxGapMs: number;
    /** Where each lost probe (the first 50 per stream, where the data plane can tell) fell: `lostAt`. */
    lostAt?: string[];
  };
  /**
   * The local controllers' counters over every DC, for where a probe went: frames they held during pauses and set-ups
   * and sent on / dropped (dropped includes a closed copy stream's last segments arriving from the WAN after its tuple
   * was released), packet-ins they ignored, cross-site flows they set up (and failed to).
   */
  controllers: { migrationHeld: number; heldReleased: number; heldDropped: number; packetInsIgnored: number; crossSiteOpened: number; crossSiteOpenFailed: number; wanForwarded: number };
  /** leakedFrames: frames across VNs (emulator; null on OVS); leftovers: lab namespaces, links, processes left (OVS; null on the emulator). */
  audit: { leakedFlows: number; leakedTuples: number; mismatches: number; activeMigrations: number; leakedFrames: number | null; leftovers: number | null };
  ms: number;
}

const pct = (xs: number[], p: number) => {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! * 10) / 10;
};

/** Which phase of migration `m` time `t` (epoch ms) fell in, with `t` relative to the moments the bench saw; or undefined. */
function phaseAt(m: MigrationRecord, t: number, marks: ReadonlyMap<string, Record<string, number>>): string | undefined {
  for (const [name, p] of [['pre-migration', m.phases.preMigration], ['migration', m.phases.migration], ['post-migration', m.phases.postMigration]] as const) {
    if (p !== undefined && t >= p.startedAt && t <= (p.endedAt ?? Infinity)) {
      // Relative to the moments the bench saw (the VM paused, the switchover began, the VM resumed, the source DC
      // switched over).
      const rel = Object.entries(marks.get(m.id) ?? {}).map(([k, at]) => `${k} ${t - at >= 0 ? '+' : ''}${Math.round(t - at)} ms`);
      return `${name} +${Math.round(t - p.startedAt)} ms${rel.length > 0 ? ` (${rel.join(', ')})` : ''}`;
    }
  }
  return undefined;
}

/**
 * Where time `t` (epoch ms) fell among the migrations of `vm`: `migration 7 (dc1-h1 -> dc2-h2), post-migration
 * +12 ms`, or `between migrations` / `outside any migration`; then what the other VMs' migrations were doing then
 * (`meanwhile: ...`).
 */
export function whereInMigrations(done: readonly MigrationRecord[], vm: string, t: number, marks: ReadonlyMap<string, Record<string, number>> = new Map()): string {
  const mine = done.filter((m) => m.vm === vm);
  const others = done.flatMap((m) => {
    const at = m.vm !== vm ? phaseAt(m, t, marks) : undefined;
    return at !== undefined ? [`${m.vm} (${m.fromHost} -> ${m.toHost}) ${at}`] : [];
  });
  const meanwhile = others.length > 0 ? `; meanwhile: ${others.join('; ')}` : '';
  for (const [i, m] of mine.entries()) {
    const at = phaseAt(m, t, marks);
    if (at !== undefined) return `migration ${i + 1} of ${vm} (${m.fromHost} -> ${m.toHost}), ${at}${meanwhile}`;
  }
  const after = mine.filter((m) => (m.phases.postMigration?.endedAt ?? 0) < t).pop();
  const here = after !== undefined ? `${Math.round(t - after.phases.postMigration!.endedAt!)} ms after migration ${mine.indexOf(after) + 1} of ${vm} (${after.fromHost} -> ${after.toHost})` : 'before any migration';
  return here + meanwhile;
}

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
  const topo = loadMigrationTopology();
  const memoryMB = o.memoryMB ?? 16;
  const tb: MigrationTestbed =
    (o.dataplane ?? 'emulator') === 'ovs'
      ? await startOvsTestbed({ topology: topo, hypervisor: 'netns', memoryMB, netns: { dirtyBytesPerSec: OVS_DIRTY_BYTES_PER_SEC }, log: (l) => log(`  ${l}`) })
      : await startEmulatorTestbed({ topology: topo, memoryMB });
  const ctl = tb.ctl;
  const streams: ProbeStream[] = [];
  const done: MigrationRecord[] = [];
  // When each migration's VM paused, its switchover began, the VM resumed and its source DC switched over (to place
  // lost probes).
  const marks = new Map<string, Record<string, number>>();
  const mark = (id: string, what: string) => marks.set(id, { ...(marks.get(id) ?? {}), [what]: Date.now() });
  ctl.migrations.on('state', (r: MigrationRecord) => {
    if (r.state === 'switchover') mark(r.id, 'switchover');
  });
  ctl.migrations.on('source-switched', (r: MigrationRecord) => mark(r.id, 'source switched'));
  // The packet-ins the controllers dropped, to tell a lost probe the controllers dropped from one the datapath did.
  const ignored: { t: number; dc: string; reason: string; what: string }[] = [];
  for (const [dc, lc] of ctl.locals) lc.on('ignored', (reason: string, what: string) => ignored.length < 10_000 && ignored.push({ t: Date.now(), dc, reason, what }));
  ctl.migrations.on('progress', (r: MigrationRecord) => {
    if ((r.progress?.phase === 'paused' || r.progress?.phase === 'resumed') && marks.get(r.id)?.[r.progress.phase] === undefined) mark(r.id, r.progress.phase);
  });
  let closed = false;
  try {
    for (const [vm, peer] of MOVERS) {
      await tb.reach(peer, vm);
      streams.push(await tb.startProbes(peer, vm, 10));
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
          log(`${String(done.length).padStart(3)}/${count} ${vm} ${loc.host.name} -> ${host}: ${fin.state}${fin.error ? ` [${fin.error.code}: ${fin.error.message}]` : ''}, switchover ${fin.result?.switchoverMs.toFixed(1) ?? '-'} ms, downtime ${fin.result?.hypervisorDowntimeMs.toFixed(1) ?? '-'} ms`);
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
    const nStreams = streams.length;
    const lostAt: string[] = [];
    for (const [i, pr] of (await Promise.all(streams.splice(0).map((p) => p.stop()))).entries()) {
      sent += pr.sent;
      lost += pr.lost;
      maxGap = Math.max(maxGap, pr.maxGapMs);
      const [vm, peer] = MOVERS[i]!;
      for (const t of pr.lostSentAt ?? []) {
        const near = ignored.filter((g) => g.t >= t - 5 && g.t <= t + 100).map((g) => `${g.dc} +${g.t - t} ms ${g.reason} (${g.what})`);
        lostAt.push(`${peer} -> ${vm}: ${whereInMigrations(done, vm, t, marks)}${near.length > 0 ? `; controllers dropped: ${near.join('; ')}` : ''}`);
      }
    }
    for (const l of lostAt) log(`lost probe ${l}`);
    const byReason = new Map<string, number>();
    for (const g of ignored) byReason.set(`${g.dc}: ${g.reason}`, (byReason.get(`${g.dc}: ${g.reason}`) ?? 0) + 1);
    for (const [r, n] of byReason) log(`controllers dropped ${n} packet-in(s), ${r}`);
    const a = await runAudit({
      store: ctl.store,
      channel: { connectedDcs: () => [...ctl.locals.keys()], request: async (dc: string) => auditLocal(ctl.locals.get(dc)!) } as never,
      dcs: [...ctl.locals.keys()],
    });
    const completed = done.filter((m) => m.state === 'completed');
    const controllers = { migrationHeld: 0, heldReleased: 0, heldDropped: 0, packetInsIgnored: 0, crossSiteOpened: 0, crossSiteOpenFailed: 0, wanForwarded: 0 };
    for (const lc of ctl.locals.values()) for (const k of Object.keys(controllers) as (keyof typeof controllers)[]) controllers[k] += lc.counters[k];
    const activeMigrations = (await ctl.migrations.list({ active: true })).length;
    const leakedFrames = tb.leakedFrames() ?? null;
    closed = true;
    await tb.close();
    const left = tb.labPrefix !== undefined ? await leftovers(tb.labPrefix) : undefined;
    for (const l of left ?? []) log(`left behind: ${String(l)}`);
    return {
      dataplane: tb.dataplane,
      hypervisor: tb.hypervisor,
      migrations: {
        requested: done.length,
        completed: completed.length,
        rolledBack: done.filter((m) => m.state === 'rolled-back').length,
        failed: done.filter((m) => m.state === 'failed').length,
        maxAtOnce,
      },
      switchoverMs: { p50: pct(completed.map((m) => m.result!.switchoverMs), 50), p95: pct(completed.map((m) => m.result!.switchoverMs), 95), max: pct(completed.map((m) => m.result!.switchoverMs), 100) },
      switchovers: {
        precomputed: completed.filter((m) => m.result!.precomputed === true).length,
        computedInPause: completed.filter((m) => m.result!.precomputed === false).length,
      },
      hypervisorDowntimeMs: {
        p50: pct(completed.map((m) => m.result!.hypervisorDowntimeMs), 50),
        p95: pct(completed.map((m) => m.result!.hypervisorDowntimeMs), 95),
        max: pct(completed.map((m) => m.result!.hypervisorDowntimeMs), 100),
      },
      probes: { streams: nStreams, intervalMs: 10, sent, lost, maxGapMs: Math.round(maxGap * 10) / 10, ...(lostAt.length > 0 ? { lostAt } : {}) },
      controllers,
      audit: {
        leakedFlows: a.leakedFlows,
        leakedTuples: a.leakedTuples,
        mismatches: a.mismatches,
        activeMigrations,
        leakedFrames,
        leftovers: left !== undefined ? left.length : null,
      },
      ms: Date.now() - t0,
    };
  } finally {
    if (!closed) await tb.close();
  }
}
