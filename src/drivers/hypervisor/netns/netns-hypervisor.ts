/**
 * The `netns` hypervisor: live migration of a VM of the Open vSwitch lab (src/lab/ovs-dataplane.ts), where a VM is a
 * network namespace whose veth end is a port of its switch's bridge.
 *
 * What a migration does:
 *  1. Validation: the VM must be one of the data plane's, the destination switch one of the topology's (mapped to
 *     its lab bridge), the destination port a valid OpenFlow port that no interface of that bridge uses.
 *  2. Pre-copy: the rounds of {@link planPrecopy} (the VM's memory, its dirty rate, the copy rate cap, RTT 0, the
 *     downtime limit) are sent as a real byte stream over TCP (./copy-stream.ts), paced to this migration's share of
 *     the migration bandwidth (`copyBytesPerSec`, shared by the migrations running at once; while a VM is paused
 *     its stop-and-copy has `pausedBytesPerSec` alone); each next round is what the guest dirtied during the last one
 *     at its measured duration: with
 *     the route central gave (`req.copy`) from the source host's migration endpoint namespace to the destination
 *     host's, across the OVS data plane (host -> gateway -> gateway -> host, through the copy flow's NAT tuple);
 *     without one on 127.0.0.1. Each round's real duration is measured and reported (progress 'precopy', measured
 *     `copyBytesPerSec`). An aborted `signal` ends the migration here with
 *     HYPERVISOR_ABORTED, the VM untouched and the sockets closed.
 *  3. `beforePause` is awaited (a rejection aborts, VM untouched).
 *  4. Pause: every process of the VM's namespace (`ip netns pids`) gets SIGSTOP (no cgroup freezer here); the driver
 *     waits until each is stopped (State T). The final dirty bytes are copied over the stream (stop-and-copy).
 *  5. `beforeSwitchover` runs while the VM is paused. A rejection: SIGCONT, the port stays where it was,
 *     HYPERVISOR_ABORTED (the hook's error as `cause` and `details.cause`).
 *  6. The VM's port is moved to the destination bridge in ONE ovs-vsctl transaction (del-port, add-port,
 *     ofport_request), the assigned ofport is checked, the processes get SIGCONT, and the VM announces itself with a
 *     gratuitous ARP (request and reply form) written to its interface from inside its namespace. The data plane's
 *     idea of where the VM lives follows ({@link OvsDataplane.moved}).
 *  Processes are never left stopped and sockets never left open, on failure too. A failed port move is undone (the
 *  port is plugged back into the source bridge at its old ofport) and rejects HYPERVISOR_FAILED.
 *
 * Not modelled: the VM's real memory (the stream carries filler bytes of the planned sizes), a second host (the
 * "destination" is another bridge of the same ovs-vswitchd, the namespace stays the same).
 */
import * as fs from 'node:fs';
import { gratuitousArp } from '../../../codec/packet/helpers';
import { isXsiteError, XsiteError } from '../../../core/errors';
import { DEFAULT_VM_MEMORY_MB, type Topology } from '../../../emulator/topology/model';
import { sleep } from '../../../lab/exec';
import { hostPortName } from '../../../lab/names';
import type { OvsDataplane } from '../../../lab/ovs-dataplane';
import { namespacePids } from '../../../lab/teardown';
import type { Hypervisor, HypervisorMigrateRequest, HypervisorMigrateResult, HypervisorProgress } from '../../../ports/hypervisor';
import { afterRound, planPrecopy, type PrecopyPlan } from '../sim/precopy';
import { errorText, hypervisorAborted as aborted, hypervisorFailed as failed } from '../errors';
import { LabDestinations } from '../lab-destinations';
import { CopyStream, StreamAborted } from './copy-stream';
import { labCopyRoute } from '../lab-copy-route';
import { BandwidthShares, STOP_AND_COPY_WEIGHT } from '../bandwidth-shares';
import { armRawFrames, type ArmedFrames, sendRawFrames } from '../../../lab/raw-frames';

/** Parameters of the pre-copy model (every field optional). */
export interface NetnsVmParams {
  /** The VM's memory; default the topology's `memoryMB` of the VM, else {@link DEFAULT_VM_MEMORY_MB}. */
  memoryMB?: number;
  /** How fast the guest dirties memory, bytes/s; default 8 MiB/s. */
  dirtyBytesPerSec?: number;
  /** Longest acceptable stop-and-copy, ms; default 300. */
  downtimeLimitMs?: number;
  /** Pre-copy rounds after which the VM is paused whatever is left; default 30. */
  maxRounds?: number;
  /**
   * The migration network's bandwidth for pre-copy, bytes/s, shared by the copy streams running at once (writes are
   * paced to each one's share); default 16 MiB/s. While a VM is paused (its stop-and-copy and switchover) its stream
   * has `pausedBytesPerSec` and the other migrations' pre-copy streams wait (BandwidthShares `pausedFirst`): a pause
   * then has the switches and the 2 cores to itself (with the streams sharing by weight, a 3-at-once benchmark's
   * switchover p95 was 30-54 ms). The userspace Open vSwitch of the lab forwards about 30-45 MB/s host -> gateway ->
   * gateway -> host on this machine, all hosts together, and each of its ports buffers a few ms of that: an unpaced
   * stream dropped the probes of the migrating VM's peers (34 of 298 in one demo run), three streams paced to 24 MiB/s
   * each 33 of 23127 in a 3-at-once benchmark run, 24 MiB/s shared by three 0-14 of ~40,000 per run; 16 MiB/s shared
   * lost 2 of ~340,000 in seven runs (the probes share the switches' ports with the copy streams, as on a vMotion
   * network without its own bandwidth).
   */
  copyBytesPerSec?: number;
  /**
   * The bandwidth a paused VM's stop-and-copy has (the pre-copy streams wait meanwhile), bytes/s; default 24 MiB/s or
   * `copyBytesPerSec` when that is more. One stream at a time, for a few hundred ms: more than the pre-copy streams
   * may take together for seconds.
   */
  pausedBytesPerSec?: number;
}

/** The stop-and-copy's bandwidth of `d` (NetnsVmParams.pausedBytesPerSec). */
function pausedBudget(d: NetnsVmParams): number {
  return d.pausedBytesPerSec ?? Math.max(d.copyBytesPerSec ?? NETNS_DEFAULTS.copyBytesPerSec, NETNS_DEFAULTS.pausedBytesPerSec);
}

/** Defaults of {@link NetnsVmParams} (memory aside). */
export const NETNS_DEFAULTS = Object.freeze({
  dirtyBytesPerSec: 8 * 1024 * 1024,
  downtimeLimitMs: 300,
  maxRounds: 30,
  copyBytesPerSec: 16 * 1024 * 1024,
  pausedBytesPerSec: 24 * 1024 * 1024,
});

export interface NetnsHypervisorOptions {
  dataplane: OvsDataplane;
  /** Default `dataplane.topology`. */
  topology?: Topology;
  /** Replace the defaults; `memoryMB` here overrides the topology's VM memory. */
  defaults?: NetnsVmParams;
  /** Starts the writer of a VM's gratuitous ARP ahead of its resume; default armRawFrames (a helper in its namespace). */
  armAnnouncement?: (netns: string, iface: string, frames: readonly Buffer[]) => Promise<ArmedFrames>;
}

/**
 * How long a migration waits for its VM's gratuitous ARP to leave after the VM resumed. The announcement only
 * speeds up learning switches: the resume is reported before it, and a writer that hangs (seen once in about 2,500
 * benchmark migrations: 15 s, its own timeout, which held the destination's release back) is given up.
 */
const ANNOUNCE_TIMEOUT_MS = 1000;


/** The State letter of /proc/PID/status (undefined when the process is gone). */
export function processState(pid: number): string | undefined {
  try {
    const m = /^State:\s+(\S)/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m?.[1];
  } catch {
    return undefined;
  }
}

/** The `netns` hypervisor (see the module comment). */
export class NetnsHypervisor implements Hypervisor {
  readonly kind = 'netns' as const;
  private readonly dp: OvsDataplane;
  private readonly topology: Topology;
  private readonly destinations: LabDestinations;
  /** The copy streams running now and their weights (see NetnsVmParams.copyBytesPerSec). */
  private readonly streams = new BandwidthShares<CopyStream>({ pausedFirst: true });

  constructor(private readonly opts: NetnsHypervisorOptions) {
    this.dp = opts.dataplane;
    this.topology = opts.topology ?? opts.dataplane.topology;
    this.destinations = new LabDestinations(this.dp, this.topology);
  }

  /** The parameters and pre-copy plan of a migration of `vm` (throws HYPERVISOR_UNKNOWN_VM / HYPERVISOR_FAILED). */
  plan(vm: string): { params: Required<NetnsVmParams>; memoryBytes: number; plan: PrecopyPlan } {
    const spec = this.topology.vms.find((v) => v.name === vm);
    const d = this.opts.defaults ?? {};
    const params: Required<NetnsVmParams> = {
      memoryMB: d.memoryMB ?? spec?.memoryMB ?? DEFAULT_VM_MEMORY_MB,
      dirtyBytesPerSec: d.dirtyBytesPerSec ?? NETNS_DEFAULTS.dirtyBytesPerSec,
      downtimeLimitMs: d.downtimeLimitMs ?? NETNS_DEFAULTS.downtimeLimitMs,
      maxRounds: d.maxRounds ?? NETNS_DEFAULTS.maxRounds,
      copyBytesPerSec: d.copyBytesPerSec ?? NETNS_DEFAULTS.copyBytesPerSec,
      pausedBytesPerSec: pausedBudget(d),
    };
    if (!(Number.isFinite(params.memoryMB) && params.memoryMB >= 0)) {
      throw failed(`VM ${vm}: memoryMB ${params.memoryMB} invalid`, { vm, memoryMB: params.memoryMB });
    }
    const memoryBytes = Math.round(params.memoryMB * 1024 * 1024);
    try {
      const plan = planPrecopy({
        memoryBytes,
        dirtyBytesPerSec: params.dirtyBytesPerSec,
        bandwidthBytesPerSec: params.copyBytesPerSec,
        rttMs: 0,
        downtimeLimitMs: params.downtimeLimitMs,
        maxRounds: params.maxRounds,
      });
      return { params, memoryBytes, plan };
    } catch (e) {
      if (isXsiteError(e, 'PRECOPY_BAD_PARAM')) throw failed(`VM ${vm}: ${e.message}`, { vm, ...e.details });
      throw e;
    }
  }

  async migrate(req: HypervisorMigrateRequest): Promise<HypervisorMigrateResult> {
    const vm = req.vm;
    try {
      this.dp.vm(vm);
    } catch {
      throw new XsiteError('HYPERVISOR_UNKNOWN_VM', `no VM named ${vm} in the OVS data plane`, { vm });
    }
    const est = this.plan(vm);
    const claim = await this.destinations.claim(vm, req.to);
    try {
      if (req.signal?.aborted) throw aborted(`migration of ${vm} aborted before it started`, req.signal.reason, { vm, phase: 'start' });
      return await this.run(req, est, claim.bridge);
    } finally {
      claim.release();
    }
  }

  private async run(req: HypervisorMigrateRequest, est: ReturnType<NetnsHypervisor['plan']>, toBridge: string): Promise<HypervisorMigrateResult> {
    const dp = this.dp;
    const lab = dp.lab;
    const vm = req.vm;
    const v = dp.vm(vm);
    const from = { switch: v.switch, bridge: v.bridge, ofport: v.ofport };
    const portName = hostPortName(lab.host(v.host).bridge, v.host);
    const { memoryBytes, params } = est;
    const signal = req.signal;
    const start = performance.now();
    const progress = (p: Omit<HypervisorProgress, 'bytesTotal' | 'dirtyBytesPerSec' | 'elapsedMs'>): void => {
      try {
        req.onProgress?.({ bytesTotal: memoryBytes, dirtyBytesPerSec: params.dirtyBytesPerSec, ...p, elapsedMs: performance.now() - start });
      } catch {
        // A failing progress listener does not stop the migration.
      }
    };
    const stream = new CopyStream(params.copyBytesPerSec, signal, labCopyRoute(this.dp, req));
    let stopped: number[] = [];
    let paused = false;
    // The announcement's writer starts now, in the VM's namespace, so that it leaves as the VM resumes (starting a
    // process there takes a few hundred ms on this machine, which would hold the destination's release back).
    let announcer: ArmedFrames | undefined;
    try {
      announcer = await (this.opts.armAnnouncement ?? armRawFrames)(v.namespace, v.iface, announceFrames(v)).catch(() => undefined);
      this.share(stream, 1);
      try {
        await stream.open();
      } catch (e) {
        throw failed(`migration stream of ${vm} could not be opened: ${errorText(e)}`, { vm, cause: e });
      }

      // 1. Pre-copy rounds, a real byte stream; each next round is what the guest dirtied during the one before, at
      // its measured duration (afterRound), so a slow path takes more rounds, as QEMU's would.
      let copied = 0;
      const model = { memoryBytes, dirtyBytesPerSec: params.dirtyBytesPerSec, downtimeLimitMs: params.downtimeLimitMs, maxRounds: params.maxRounds };
      let next = { round: 1, bytes: memoryBytes };
      let stopCopyBytes = 0;
      let rounds = 0;
      for (;;) {
        const r = next;
        let ms: number;
        try {
          ms = await stream.send(r.bytes, true);
        } catch (e) {
          if (e instanceof StreamAborted || signal?.aborted) {
            throw aborted(`migration of ${vm} aborted (precopy round ${r.round})`, signal?.reason, { vm, phase: 'precopy', round: r.round });
          }
          throw failed(`migration stream of ${vm} failed in round ${r.round}: ${errorText(e)}`, { vm, cause: e });
        }
        copied += r.bytes;
        rounds = r.round;
        const out = afterRound(model, r.round, r.bytes, ms);
        progress({
          phase: 'precopy',
          round: r.round,
          bytesCopied: copied,
          remainingBytes: out.dirtiedBytes,
          copyBytesPerSec: ms > 0 ? Math.round((r.bytes * 1000) / ms) : 0,
        });
        if (out.pause) {
          stopCopyBytes = out.dirtiedBytes;
          break;
        }
        next = { round: r.round + 1, bytes: out.dirtiedBytes };
      }
      if (signal?.aborted) throw aborted(`migration of ${vm} aborted (precopy)`, signal.reason, { vm, phase: 'precopy' });

      // 2. beforePause.
      if (req.beforePause) {
        try {
          await req.beforePause();
        } catch (e) {
          throw aborted(`migration of ${vm} aborted: beforePause failed: ${errorText(e)}`, e, { vm, phase: 'before-pause' });
        }
        if (signal?.aborted) throw aborted(`migration of ${vm} aborted (before-pause)`, signal.reason, { vm, phase: 'before-pause' });
      }

      // 3. Pause: SIGSTOP every process of the namespace, then the stop-and-copy.
      const pauseAt = performance.now();
      paused = true;
      stopped = await this.freeze(v.namespace);
      this.share(stream, STOP_AND_COPY_WEIGHT, true);
      progress({ phase: 'paused', round: rounds, bytesCopied: copied, remainingBytes: stopCopyBytes, copyBytesPerSec: params.pausedBytesPerSec });
      let stopMs: number;
      try {
        stopMs = await stream.send(stopCopyBytes, true);
      } catch (e) {
        if (e instanceof StreamAborted || signal?.aborted) {
          throw aborted(`migration of ${vm} aborted (stop-and-copy)`, signal?.reason, { vm, phase: 'paused' });
        }
        throw failed(`migration stream of ${vm} failed in the stop-and-copy: ${errorText(e)}`, { vm, cause: e });
      }
      copied += stopCopyBytes;
      // The stream stays counted as paused until the VM resumes: the other streams wait through the switchover too.
      await stream.close();
      if (signal?.aborted) throw aborted(`migration of ${vm} aborted (paused)`, signal.reason, { vm, phase: 'paused' });

      // 4. The switchover hook (the signal is no longer looked at).
      const hookAt = performance.now();
      try {
        await req.beforeSwitchover();
      } catch (e) {
        throw aborted(`migration of ${vm} aborted: the switchover hook failed: ${errorText(e)}`, e, { vm, phase: 'switchover' });
      }
      const hookMs = performance.now() - hookAt;

      // 5. Move the port, resume, announce.
      await this.movePort(vm, portName, from.bridge, from.ofport, toBridge, req.to.port);
      dp.moved(vm, { switch: req.to.switch, bridge: toBridge, ofport: req.to.port });
      this.thaw(stopped);
      stopped = [];
      paused = false;
      this.share(stream, 0);
      const resumeAt = performance.now();
      // The VM runs: report it now (the network's release waits for this), then announce it.
      progress({
        phase: 'resumed',
        round: rounds,
        bytesCopied: copied,
        remainingBytes: 0,
        copyBytesPerSec: stopMs > 0 ? Math.round((stopCopyBytes * 1000) / stopMs) : 0,
      });
      const announced = announcer !== undefined ? announcer.fire(ANNOUNCE_TIMEOUT_MS) : this.announce(vm);
      announced.catch(() => undefined);
      // A lost announcement only delays learning.
      await Promise.race([announced, sleep(ANNOUNCE_TIMEOUT_MS + 100)]).catch(() => undefined);
      const end = performance.now();
      return { totalMs: end - start, downtimeMs: resumeAt - pauseAt, hookMs, bytesCopied: copied, rounds, copiedOver: stream.route !== undefined ? 'route' : 'loopback' };
    } finally {
      if (paused) this.thaw(stopped);
      this.share(stream, 0);
      await stream.close();
      await announcer?.cancel();
    }
  }

  /**
   * Sets `stream`'s weight (0: it ended) and whether its VM is paused, and paces every running stream to its share
   * of the bandwidth (NetnsVmParams.copyBytesPerSec, .pausedBytesPerSec for a paused VM's).
   */
  private share(stream: CopyStream, weight: number, paused = false): void {
    this.streams.set(stream, weight, '', paused);
    const d = this.opts.defaults;
    const budget = d?.copyBytesPerSec ?? NETNS_DEFAULTS.copyBytesPerSec;
    const pausedRate = pausedBudget(d ?? {});
    for (const s of this.streams.keys()) s.setRate(this.streams.share(s, this.streams.isPaused(s) ? pausedRate : budget));
  }

  /**
   * SIGSTOPs every process of namespace `ns` (again for processes that appeared meanwhile) and waits until each is
   * stopped; returns their PIDs.
   */
  private async freeze(ns: string): Promise<number[]> {
    const stopped = new Set<number>();
    for (let pass = 0; pass < 5; pass++) {
      const pids = (await namespacePids(ns)).filter((p) => !stopped.has(p));
      if (pids.length === 0) break;
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGSTOP');
          stopped.add(pid);
        } catch {
          // Gone meanwhile.
        }
      }
    }
    const until = performance.now() + 1000;
    for (const pid of stopped) {
      for (;;) {
        const st = processState(pid);
        if (st === undefined || st === 'T' || st === 't' || st === 'Z' || performance.now() > until) break;
        await sleep(1);
      }
    }
    return [...stopped];
  }

  private thaw(pids: readonly number[]): void {
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGCONT');
      } catch {
        // Gone.
      }
    }
  }

  /** Moves `port` from `fromBridge` to `toBridge` at `ofport` in one transaction; undoes it on failure. */
  private async movePort(vm: string, port: string, fromBridge: string, fromOfport: number, toBridge: string, ofport: number): Promise<void> {
    const lab = this.dp.lab;
    const move = (src: string, dst: string, n: number): Promise<string> =>
      lab.vsctl('--', 'del-port', src, port, '--', 'add-port', dst, port, '--', 'set', 'Interface', port, `ofport_request=${n}`);
    let problem: string | undefined;
    try {
      await move(fromBridge, toBridge, ofport);
      const got = await this.ofportOf(port);
      if (got.bridge !== toBridge || got.ofport !== ofport) {
        problem = `port ${port} is on ${got.bridge ?? 'no bridge'} at ofport ${String(got.ofport)}${got.error ? ` (${got.error})` : ''}, wanted ${toBridge}:${ofport}`;
      }
    } catch (e) {
      problem = errorText(e);
    }
    if (problem === undefined) return;
    // Undo: back to the source bridge at the old ofport.
    let undo = 'undone';
    try {
      const bridge = (await lab.vsctl('--if-exists', 'port-to-br', port).catch(() => '')).trim();
      if (bridge === toBridge) await move(toBridge, fromBridge, fromOfport);
      else if (bridge !== fromBridge) await lab.vsctl('--', 'add-port', fromBridge, port, '--', 'set', 'Interface', port, `ofport_request=${fromOfport}`);
    } catch (e) {
      undo = `undo failed: ${errorText(e)}`;
    }
    throw failed(`VM ${vm} could not be moved to port ${ofport} of bridge ${toBridge}: ${problem} (${undo})`, { vm, bridge: toBridge, port: ofport });
  }

  /** The bridge and ofport of interface `port` (waits up to 2 s for OVS to assign the ofport). */
  private async ofportOf(port: string): Promise<{ bridge: string | undefined; ofport: number | undefined; error: string | undefined }> {
    const lab = this.dp.lab;
    const until = performance.now() + 2000;
    for (;;) {
      const bridge = (await lab.vsctl('port-to-br', port)).trim() || undefined;
      const got = JSON.parse(await lab.vsctl('--format=json', '--columns=ofport,error', 'list', 'Interface', port)) as { data: unknown[][] };
      const row = got.data[0];
      const ofport = typeof row?.[0] === 'number' ? row[0] : undefined;
      const error = typeof row?.[1] === 'string' && row[1] ? row[1] : undefined;
      if ((ofport !== undefined && ofport > 0) || error || performance.now() > until) return { bridge, ofport, error };
      await sleep(10);
    }
  }

  /** A gratuitous ARP (request and reply form) from inside the VM's namespace. */
  private async announce(vm: string): Promise<void> {
    const v = this.dp.vm(vm);
    await sendRawFrames(v.namespace, v.iface, announceFrames(v));
  }
}

/** The gratuitous ARP (request and reply form) a VM announces itself with. */
function announceFrames(v: { mac: string; ip: string }): Buffer[] {
  return [gratuitousArp({ mac: v.mac, ip: v.ip }), gratuitousArp({ mac: v.mac, ip: v.ip, op: 'reply' })];
}
