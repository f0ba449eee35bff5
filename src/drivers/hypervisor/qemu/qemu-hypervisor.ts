/**
 * The `qemu` hypervisor: real QEMU guests (the tiny guest of scripts/build-guest.sh, TCG) as the VMs of the Open
 * vSwitch lab (src/lab/ovs-dataplane.ts), live-migrated over QMP.
 *
 * {@link QemuHypervisor.boot} takes a VM of the data plane over: the VM namespace's port is removed from its bridge
 * (the namespace stays, idle; the lab removes it later) and a QEMU guest with the VM's MAC, its IP with the prefix
 * length of its VN's subnet and the default gateway the lab gives the namespace (both from
 * {@link labTopologyFromTopology}) is plugged into the same bridge at the same ofport through a hybrid plug
 * (src/lab/hybrid-plug.ts: tap -> Linux bridge -> veth -> OVS port, all in the lab's switch namespace, where QEMU runs
 * too). It resolves when the guest printed its ready line.
 *
 * What a migration does:
 *  1. Validation as the `netns` driver: the VM must be one of the data plane's (and booted here: otherwise
 *     HYPERVISOR_UNKNOWN_VM), the destination switch one of the topology's, the destination port a valid OpenFlow
 *     port that no interface of that bridge uses or requests (HYPERVISOR_FAILED).
 *  2. A destination QEMU (`-incoming defer`) is started, plugged into the destination bridge at `to.port`, before the
 *     copy starts.
 *  3. {@link liveMigrate} with pause-before-switchover: with the route central gave (`req.copy`), through a relay
 *     from the source host's migration endpoint namespace to the destination host's, across the OVS data plane
 *     (./migration-relay.ts); without one over the switch namespace's loopback. `query-migrate` samples
 *     become progress records (phase `precopy`, round = QEMU's dirty-sync count, copy rate from successive samples,
 *     dirty rate = dirty pages/s x 4 KiB). An aborted `signal` cancels the migration (`migrate_cancel`).
 *  4. Near the end of the copy (liveMigrate's `beforeStop`, with the copy braked so that the pass cannot end
 *     meanwhile) `beforePause` runs while the guest still runs; then the copy goes on at full speed and the guest is
 *     stopped (progress `paused`; `downtimeMs` is measured from here). When the source reaches `pre-switchover`,
 *     `beforeSwitchover` runs; then `migrate-continue`: the rest of the RAM and the device state go over, the guest
 *     runs at the destination (progress `resumed`, before the source is tidied up).
 *  5. The source QEMU is stopped (reaped) and its plug removed; {@link OvsDataplane.moved} records the new place.
 *     QEMU's self-announce (virtio-net: the guest sends gratuitous ARPs, else QEMU sends RARPs) tells the switches;
 *     the driver checks that the guest sent a frame into the destination port within `announceWaitMs` (the kernel RX
 *     counter of the plug's OVS veth) and otherwise writes a gratuitous ARP for the VM into that port itself.
 *  On a failure before or inside the hooks: `migrate_cancel`, the driver waits until the source guest runs again (it
 *  never left its port), stops the destination QEMU and removes its plug, and rejects HYPERVISOR_ABORTED (a hook
 *  rejected, or the signal aborted) or HYPERVISOR_FAILED.
 *
 * Figures: `totalMs` is wall-clock from the `migrate` command to the guest running at the destination, `downtimeMs`
 * QEMU's reported downtime (from the source's stop, which includes the hooks; the measured pause when QEMU gives
 * none), `bytesCopied` QEMU's RAM bytes transferred, `rounds` its dirty-sync count.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gratuitousArp } from '../../../codec/packet/helpers';
import { XsiteError } from '../../../core/errors';
import type { Topology } from '../../../emulator/topology/model';
import { sleep } from '../../../lab/exec';
import { linkCounters, plugHybrid, unplugHybrid, type HybridPlug } from '../../../lab/hybrid-plug';
import { hostPortName } from '../../../lab/names';
import type { OvsDataplane } from '../../../lab/ovs-dataplane';
import { labTopologyFromTopology } from '../../../lab/topology-lab';
import type { Host } from '../../../lab/topology';
import type { Hypervisor, HypervisorMigrateRequest, HypervisorMigrateResult, HypervisorProgress } from '../../../ports/hypervisor';
import { liveMigrate, type MigrationProgress } from './migrate';
import { QemuProcess } from './qemu-process';
import { errorText, hypervisorAborted as aborted, hypervisorFailed as failed } from '../errors';
import { LabDestinations } from '../lab-destinations';
import { sendRawFrames } from '../../../lab/raw-frames';
import { labCopyRoute } from '../lab-copy-route';
import { MigrationRelay } from './migration-relay';

/** Options of {@link QemuHypervisor}. */
export interface QemuHypervisorOptions {
  dataplane: OvsDataplane;
  /** Default `dataplane.topology`. */
  topology?: Topology;
  /** Guest memory; default 128. */
  memoryMB?: number;
  /** Directory with `vmlinuz` and `initramfs.cpio.gz` (scripts/build-guest.sh); default $XSITE_GUEST_DIR or /var/cache/xsite/guest. */
  guestDir?: string;
  /** Wait this long for a guest's ready line; default 60000. */
  bootTimeoutMs?: number;
  /** Give a migration up (cancel it) after this long; default 60000. */
  migrateTimeoutMs?: number;
  /** Migration bandwidth cap, bytes/s (QEMU `max-bandwidth`); default QEMU's. */
  maxBandwidth?: number;
  /**
   * Pace of a migration stream over the data plane (through the relay, ./migration-relay.ts), bytes/s; default
   * 24 MiB/s (one stream; the `netns` hypervisor's stop-and-copy has as much). QEMU's own `max-bandwidth` (32 MiB/s by default) comes
   * in 100 ms bursts, and those overflowed the userspace switches' queues: 6 of 397 probes lost in one demo run.
   */
  routedBytesPerSec?: number;
  /** Allowed downtime, ms (QEMU `downtime-limit`); default QEMU's (300). */
  downtimeLimitMs?: number;
  /** How long to wait for the guest's own announcement at the destination before sending one; default 1000 ms. */
  announceWaitMs?: number;
  qemuBinary?: string;
  /** Progress messages. */
  log?: (msg: string) => void;
}

/** Defaults of {@link QemuHypervisorOptions}. */
export const QEMU_HV_DEFAULTS = Object.freeze({
  memoryMB: 128,
  bootTimeoutMs: 60000,
  migrateTimeoutMs: 60000,
  announceWaitMs: 1000,
  routedBytesPerSec: 24 * 1024 * 1024,
});

/**
 * When a migration over the data plane holds the guest's frames and stops it (liveMigrate's `stopAt`): at the pace of
 * the relay, not of loopback, so that what is left when the guest stops takes about 40 ms to send (with loopback's
 * thresholds, 48 MiB left at the hold and 4 MiB at the stop, the guest stayed paused for a second at 24 MiB/s).
 */
export function routedStopAt(bytesPerSec: number): { remainingBytes: number; stopBytes: number } {
  return { remainingBytes: Math.round(bytesPerSec * 0.25), stopBytes: Math.round(bytesPerSec * 0.04) };
}

/** A guest this hypervisor runs. */
export interface QemuGuestInfo {
  vm: string;
  /** PID of its QEMU. */
  pid: number;
  switch: string;
  bridge: string;
  ofport: number;
  /** The hybrid plug (tap, Linux bridge, veth ends) it is plugged in through. */
  plug: HybridPlug;
  /** QEMU's run dir (QMP socket, serial log). */
  runDir: string;
  /** Milliseconds from starting QEMU to the guest's ready line (boot), or 0 for a migrated guest. */
  bootMs: number;
}

/** A QEMU process of this hypervisor. */
export interface QemuProcessInfo {
  vm: string;
  /** `guest`: the running VM; `incoming`: a destination waiting for (or receiving) a migration. */
  role: 'guest' | 'incoming';
  pid: number;
}

/** Details of the last successful migration of a VM (beyond {@link HypervisorMigrateResult}). */
export interface QemuMigrationDetails extends HypervisorMigrateResult {
  vm: string;
  /** QEMU's `downtime` (ms), NaN when it reported none. */
  qemuDowntimeMs: number;
  /** From the source reaching pre-switchover to the destination running, as measured here. */
  measuredPauseMs: number;
  /** Wall-clock from `migrate` to the source reaching pre-switchover. */
  precopyMs: number;
  /** Who announced the VM at the destination: the guest/QEMU (a frame seen in the destination port) or this driver. */
  announcedBy: 'guest' | 'driver' | 'none';
  /** Milliseconds from the guest running at the destination until its first frame reached the destination port. */
  announceMs: number | undefined;
  sourcePid: number;
  destinationPid: number;
}

interface Guest {
  vm: string;
  qemu: QemuProcess;
  plug: HybridPlug;
  switch: string;
  bridge: string;
  ofport: number;
  bootMs: number;
}


/** x86 target page size: QEMU's dirty rate is in pages/s. */
const PAGE = 4096;
/** Longest Unix socket path QEMU's QMP socket may have (sun_path is 108 bytes). */
const MAX_SOCKET_PATH = 100;

/** A hook's failure, kept apart from QEMU's own errors. */
class HookFailure extends Error {
  constructor(
    readonly phase: 'precopy' | 'before-pause' | 'switchover' | 'paused',
    readonly original: unknown,
    readonly byAbort: boolean,
  ) {
    super(errorText(original));
  }
}

/** The `qemu` hypervisor (see the module comment). */
export class QemuHypervisor implements Hypervisor {
  readonly kind = 'qemu' as const;
  private readonly dp: OvsDataplane;
  private readonly topology: Topology;
  private readonly destinations: LabDestinations;
  private readonly vmHosts: Map<string, Host>;
  private readonly guests = new Map<string, Guest>();
  /** Every QEMU started and not yet known stopped, with its role. */
  private readonly procs = new Map<QemuProcess, { vm: string; role: 'guest' | 'incoming' }>();
  /** Every plug made and not yet removed. */
  private readonly plugs = new Set<HybridPlug>();
  private readonly details = new Map<string, QemuMigrationDetails>();
  private closing: Promise<void> | undefined;
  private readonly log: (msg: string) => void;

  constructor(private readonly opts: QemuHypervisorOptions) {
    this.dp = opts.dataplane;
    this.topology = opts.topology ?? opts.dataplane.topology;
    const mapped = labTopologyFromTopology(this.topology, { controllerFor: () => null });
    this.destinations = new LabDestinations(this.dp, this.topology);
    this.vmHosts = new Map();
    for (const [vm, host] of mapped.vmHosts) {
      const h = mapped.lab.hosts.find((x) => x.name === host);
      if (h) this.vmHosts.set(vm, h);
    }
    this.log = opts.log ?? (() => undefined);
  }

  /** Guest memory in MB. */
  get memoryMB(): number {
    return this.opts.memoryMB ?? QEMU_HV_DEFAULTS.memoryMB;
  }

  /** The guest running VM `vm`, or undefined when it was not booted here. */
  guest(vm: string): QemuGuestInfo | undefined {
    const g = this.guests.get(vm);
    if (!g) return undefined;
    return { vm, pid: g.qemu.pid, switch: g.switch, bridge: g.bridge, ofport: g.ofport, plug: g.plug, runDir: g.qemu.runDir, bootMs: g.bootMs };
  }

  /** Every QEMU process of this hypervisor that has not exited. */
  processes(): QemuProcessInfo[] {
    const out: QemuProcessInfo[] = [];
    for (const [p, r] of this.procs) if (!p.exited) out.push({ vm: r.vm, role: r.role, pid: p.pid });
    return out;
  }

  /** Details of the last successful migration of `vm`. */
  lastMigration(vm: string): QemuMigrationDetails | undefined {
    return this.details.get(vm);
  }

  private assertOpen(): void {
    if (this.closing) throw failed('the qemu hypervisor is closed');
  }

  private guestFiles(): { kernel: string; initrd: string } {
    const dir = this.opts.guestDir ?? process.env.XSITE_GUEST_DIR ?? '/var/cache/xsite/guest';
    const kernel = path.join(dir, 'vmlinuz');
    const initrd = path.join(dir, 'initramfs.cpio.gz');
    for (const f of [kernel, initrd]) {
      if (!fs.existsSync(f)) throw failed(`guest file ${f} missing (build it with scripts/build-guest.sh)`, { file: f });
    }
    return { kernel, initrd };
  }

  /** Parent of QEMU run dirs: the lab directory when the QMP socket path fits, else the OS temp dir. */
  private runParent(name: string): string {
    const dir = this.dp.lab.dir;
    return dir.length + `/xsite-qemu-${name}-XXXXXX/qmp.sock`.length <= MAX_SOCKET_PATH ? dir : os.tmpdir();
  }

  private async startQemu(vm: string, plug: HybridPlug, incoming: boolean): Promise<QemuProcess> {
    const host = this.vmHosts.get(vm);
    const v = this.dp.vm(vm);
    if (!host) throw failed(`VM ${vm} has no lab host in the topology`, { vm });
    const files = this.guestFiles();
    const name = `${vm.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 20)}-${plug.id}`;
    const p = await QemuProcess.start({
      name,
      ...files,
      nic: { kind: 'tap', ifname: plug.names.tap, mac: v.mac },
      ip: host.ip,
      ...(host.gateway ? { gw: host.gateway } : {}),
      memoryMb: this.memoryMB,
      incoming,
      netns: plug.netns,
      runParent: this.runParent(name),
      ...(this.opts.qemuBinary ? { qemuBinary: this.opts.qemuBinary } : {}),
    });
    this.procs.set(p, { vm, role: incoming ? 'incoming' : 'guest' });
    return p;
  }

  private async stopQemu(p: QemuProcess): Promise<void> {
    await p.stop(3000);
    this.procs.delete(p);
  }

  private async plug(bridge: string, ofport: number, vm: string, replacePort?: string): Promise<HybridPlug> {
    const plug = await plugHybrid(this.dp.lab, { bridge, ofport, externalIds: { 'xsite-vm': vm }, ...(replacePort ? { replacePort } : {}) });
    this.plugs.add(plug);
    return plug;
  }

  private async unplug(plug: HybridPlug): Promise<void> {
    await unplugHybrid(this.dp.lab, plug);
    this.plugs.delete(plug);
  }

  /**
   * Replaces VM `vm`'s namespace in the data plane by a QEMU guest at the same bridge and ofport (see the module
   * comment); resolves when the guest is ready. Rejects HYPERVISOR_UNKNOWN_VM, HYPERVISOR_FAILED (already booted,
   * guest files missing, QEMU or the plug failing: then the namespace's port is plugged back).
   */
  async boot(vm: string): Promise<QemuGuestInfo> {
    this.assertOpen();
    let v;
    try {
      v = this.dp.vm(vm);
    } catch {
      throw new XsiteError('HYPERVISOR_UNKNOWN_VM', `no VM named ${vm} in the OVS data plane`, { vm });
    }
    if (this.guests.has(vm) || this.destinations.isBusy(vm)) throw failed(`VM ${vm} is already booted (or busy) in QEMU`, { vm });
    if (!this.vmHosts.has(vm)) throw failed(`VM ${vm} has no lab host in the topology`, { vm });
    this.guestFiles();
    const lab = this.dp.lab;
    const nsPort = hostPortName(lab.host(v.host).bridge, v.host);
    const unmark = this.destinations.markBusy(vm);
    let plug: HybridPlug | undefined;
    let qemu: QemuProcess | undefined;
    try {
      plug = await this.plug(v.bridge, v.ofport, vm, nsPort);
      const t0 = performance.now();
      qemu = await this.startQemu(vm, plug, false);
      await qemu.waitReady(this.opts.bootTimeoutMs ?? QEMU_HV_DEFAULTS.bootTimeoutMs);
      const bootMs = performance.now() - t0;
      const g: Guest = { vm, qemu, plug, switch: v.switch, bridge: v.bridge, ofport: v.ofport, bootMs };
      this.guests.set(vm, g);
      this.log(`VM ${vm}: QEMU pid ${qemu.pid} ready in ${bootMs.toFixed(0)} ms at ${v.bridge}:${v.ofport} (plug ${plug.id})`);
      return this.guest(vm)!;
    } catch (e) {
      const serial = qemu?.serial().slice(-500);
      if (qemu) await this.stopQemu(qemu).catch(() => undefined);
      if (plug) {
        await this.unplug(plug).catch(() => undefined);
        // Put the namespace's port back where it was.
        await lab
          .vsctl('--may-exist', 'add-port', v.bridge, nsPort, '--', 'set', 'Interface', nsPort, `ofport_request=${v.ofport}`)
          .catch(() => undefined);
      }
      throw failed(`VM ${vm}: QEMU guest could not be booted: ${errorText(e)}`, { vm, cause: e, ...(serial ? { serial } : {}) });
    } finally {
      unmark();
    }
  }

  async migrate(req: HypervisorMigrateRequest): Promise<HypervisorMigrateResult> {
    const vm = req.vm;
    this.assertOpen();
    try {
      this.dp.vm(vm);
    } catch {
      throw new XsiteError('HYPERVISOR_UNKNOWN_VM', `no VM named ${vm} in the OVS data plane`, { vm });
    }
    const g = this.guests.get(vm);
    if (!g) throw new XsiteError('HYPERVISOR_UNKNOWN_VM', `VM ${vm} does not run in QEMU here (boot it first)`, { vm, reason: 'not-booted' });
    const claim = await this.destinations.claim(vm, req.to);
    try {
      if (req.signal?.aborted) throw aborted(`migration of ${vm} aborted before it started`, req.signal.reason, { vm, phase: 'start' });
      return await this.run(req, g, claim.bridge);
    } finally {
      claim.release();
    }
  }

  private async run(req: HypervisorMigrateRequest, g: Guest, toBridge: string): Promise<HypervisorMigrateResult> {
    const vm = req.vm;
    const signal = req.signal;
    const start = performance.now();
    const memoryBytes = this.memoryMB * 1024 * 1024;

    // Progress: precopy samples, then paused, then resumed; bytes never shrink.
    const order = { precopy: 0, paused: 1, resumed: 2 } as const;
    let phaseNow: HypervisorProgress['phase'] = 'precopy';
    let lastBytes = 0;
    let lastRound = 1;
    let prev: { t: number; bytes: number } | undefined;
    let rate = 0;
    const emit = (p: Omit<HypervisorProgress, 'elapsedMs'>): void => {
      if (order[p.phase] < order[phaseNow]) return;
      phaseNow = p.phase;
      lastBytes = Math.max(lastBytes, p.bytesCopied);
      lastRound = Math.max(lastRound, p.round);
      try {
        req.onProgress?.({ ...p, bytesCopied: lastBytes, round: lastRound, elapsedMs: performance.now() - start });
      } catch {
        // A failing progress listener does not stop the migration.
      }
    };
    const onSample = (s: MigrationProgress): void => {
      if (s.status === 'completed' || s.status === 'setup') return;
      const now = performance.now();
      if (prev && now > prev.t && s.transferredBytes > prev.bytes) rate = Math.round(((s.transferredBytes - prev.bytes) * 1000) / (now - prev.t));
      prev = { t: now, bytes: s.transferredBytes };
      emit({
        phase: s.status === 'active' ? 'precopy' : 'paused',
        round: Math.max(1, s.dirtySyncCount),
        bytesCopied: s.transferredBytes,
        bytesTotal: s.totalBytes || memoryBytes,
        remainingBytes: s.remainingBytes,
        dirtyBytesPerSec: s.dirtyPagesRate * PAGE,
        copyBytesPerSec: rate,
      });
    };

    // Over the data plane between the migration endpoints central gave, through two relays; else over loopback.
    const route = labCopyRoute(this.dp, req);
    let relay: MigrationRelay | undefined;
    let dstPlug: HybridPlug | undefined;
    let dst: QemuProcess | undefined;
    let cancelSent = false;
    let hookPhase = false;
    let pauseAt: number | undefined;
    let hookMs = 0;
    const onAbort = (): void => {
      if (hookPhase) return;
      cancelSent = true;
      void g.qemu.qmp.execute('migrate_cancel').catch(() => undefined);
    };
    let migrateAt = start;
    try {
      // The destination, plugged in before the copy starts.
      dstPlug = await this.plug(toBridge, req.to.port, vm);
      dst = await this.startQemu(vm, dstPlug, true);
      const rx0 = (await linkCounters(dstPlug.netns, dstPlug.names.ovsVeth))?.rxPackets ?? 0;
      if (route !== undefined) {
        relay = new MigrationRelay(route, this.opts.routedBytesPerSec ?? QEMU_HV_DEFAULTS.routedBytesPerSec);
        await relay.open();
      }
      if (signal?.aborted) throw new HookFailure('precopy', signal.reason, true);
      signal?.addEventListener('abort', onAbort, { once: true });
      migrateAt = performance.now();
      const report = await liveMigrate({
        source: g.qemu,
        destination: dst,
        stopSource: false,
        timeoutMs: this.opts.migrateTimeoutMs ?? QEMU_HV_DEFAULTS.migrateTimeoutMs,
        ...(this.opts.maxBandwidth !== undefined ? { maxBandwidth: this.opts.maxBandwidth } : {}),
        ...(relay !== undefined ? { uris: { incoming: relay.incomingUri, outgoing: relay.outgoingUri }, stopAt: routedStopAt(relay.bytesPerSec) } : {}),
        ...(this.opts.downtimeLimitMs !== undefined ? { downtimeLimitMs: this.opts.downtimeLimitMs } : {}),
        onProgress: onSample,
        // xsite stops the guest once the copy nearly converged: the frames sent to it are held first (beforePause),
        // so none reaches a guest that cannot read it (they would wait in the source tap and die with it).
        beforeStop: async () => {
          hookPhase = true;
          signal?.removeEventListener('abort', onAbort);
          if (cancelSent || signal?.aborted) throw new HookFailure('precopy', signal?.reason, true);
          if (req.beforePause) {
            try {
              await req.beforePause();
            } catch (e) {
              throw new HookFailure('before-pause', e, false);
            }
            if (signal?.aborted) throw new HookFailure('before-pause', signal.reason, true);
          }
        },
        onStopped: () => {
          pauseAt = performance.now();
          emit({ phase: 'paused', round: lastRound, bytesCopied: lastBytes, bytesTotal: memoryBytes, remainingBytes: 0, dirtyBytesPerSec: 0, copyBytesPerSec: rate });
        },
        beforeSwitchover: async () => {
          const h0 = performance.now();
          try {
            await req.beforeSwitchover();
          } catch (e) {
            throw new HookFailure('switchover', e, false);
          }
          hookMs = performance.now() - h0;
        },
      });
      const runningAt = performance.now();
      const totalMs = runningAt - migrateAt;
      const measuredPauseMs = pauseAt !== undefined ? runningAt - pauseAt : NaN;
      // The guest stopped when xsite stopped it (pauseAt), before QEMU's own downtime clock starts: measured.
      const downtimeMs = Number.isFinite(measuredPauseMs) ? measuredPauseMs : report.downtimeMs;
      const rounds = report.precopyRounds ?? lastRound;
      emit({
        phase: 'resumed',
        round: rounds,
        bytesCopied: report.bytes,
        bytesTotal: memoryBytes,
        remainingBytes: 0,
        dirtyBytesPerSec: 0,
        copyBytesPerSec: report.precopyMs > 0 ? Math.round((report.bytes * 1000) / report.precopyMs) : rate,
      });

      // Commit: the guest runs at the destination.
      const sourcePid = g.qemu.pid;
      const old = { qemu: g.qemu, plug: g.plug };
      this.procs.set(dst, { vm, role: 'guest' });
      const ng: Guest = { vm, qemu: dst, plug: dstPlug, switch: req.to.switch, bridge: toBridge, ofport: req.to.port, bootMs: 0 };
      this.guests.set(vm, ng);
      this.dp.moved(vm, { switch: req.to.switch, bridge: toBridge, ofport: req.to.port });
      dst = undefined;
      dstPlug = undefined;
      const { by, ms } = await this.announce(vm, ng, rx0, runningAt);
      try {
        await this.stopQemu(old.qemu);
        await this.unplug(old.plug);
      } catch (e) {
        this.log(`VM ${vm}: removing the source QEMU/plug failed (close() retries): ${errorText(e)}`);
      }
      const result: HypervisorMigrateResult = { totalMs, downtimeMs, hookMs, bytesCopied: report.bytes, rounds, copiedOver: relay !== undefined ? 'route' : 'loopback' };
      this.details.set(vm, {
        vm,
        ...result,
        qemuDowntimeMs: report.downtimeMs,
        measuredPauseMs,
        precopyMs: report.precopyMs,
        announcedBy: by,
        announceMs: ms,
        sourcePid,
        destinationPid: ng.qemu.pid,
      });
      this.log(
        `VM ${vm} -> ${toBridge}:${req.to.port}: total ${totalMs.toFixed(0)} ms, downtime ${downtimeMs.toFixed(0)} ms (QEMU ${report.downtimeMs}, measured ${measuredPauseMs.toFixed(0)}), hook ${hookMs.toFixed(0)} ms, ${report.bytes} bytes, ${rounds} rounds, announced by ${by}`,
      );
      return result;
    } catch (e) {
      signal?.removeEventListener('abort', onAbort);
      await this.rollBack(g, dst, dstPlug);
      if (e instanceof HookFailure) {
        if (e.byAbort) throw aborted(`migration of ${vm} aborted (${e.phase})`, e.original, { vm, phase: e.phase });
        const what = e.phase === 'before-pause' ? 'beforePause failed' : 'the switchover hook failed';
        throw aborted(`migration of ${vm} aborted: ${what}: ${errorText(e.original)}`, e.original, { vm, phase: e.phase });
      }
      if (cancelSent || signal?.aborted) throw aborted(`migration of ${vm} aborted (precopy)`, signal?.reason, { vm, phase: 'precopy' });
      throw failed(`migration of ${vm} failed: ${errorText(e)}`, { vm, cause: e });
    } finally {
      await relay?.close().catch((e) => this.log(`VM ${vm}: closing the migration relay: ${errorText(e)}`));
    }
  }

  /**
   * After a failed migration: makes sure the source guest runs (migrate_cancel, waiting for QEMU to restart it, `cont`
   * as a last resort), stops the destination QEMU and removes its plug.
   */
  private async rollBack(g: Guest, dst: QemuProcess | undefined, dstPlug: HybridPlug | undefined): Promise<void> {
    const qmp = g.qemu.qmp;
    await qmp.execute('migrate_cancel').catch(() => undefined);
    const until = Date.now() + 10000;
    let contSent = false;
    while (!g.qemu.exited && Date.now() < until) {
      const st = await qmp.execute<{ status: string; running: boolean }>('query-status').catch(() => undefined);
      if (st?.running) break;
      const mig = await qmp.execute<{ status?: string }>('query-migrate').catch(() => undefined);
      const settled = !mig?.status || ['cancelled', 'failed', 'none'].includes(mig.status);
      if (settled && !contSent && st && ['paused', 'finish-migrate', 'postmigrate'].includes(st.status) && Date.now() > until - 7000) {
        contSent = true;
        await qmp.execute('cont').catch(() => undefined);
      }
      await sleep(10);
    }
    if (dst) await this.stopQemu(dst).catch((e) => this.log(`stopping the destination QEMU: ${errorText(e)}`));
    if (dstPlug) await this.unplug(dstPlug).catch((e) => this.log(`removing the destination plug: ${errorText(e)}`));
  }

  /**
   * Waits up to `announceWaitMs` for the guest's first frame in its destination port (QEMU's self-announce); without
   * one, writes a gratuitous ARP (request and reply form) for the VM into the port from the Linux bridge's side.
   */
  private async announce(vm: string, g: Guest, rx0: number, runningAt: number): Promise<{ by: 'guest' | 'driver' | 'none'; ms: number | undefined }> {
    const until = performance.now() + (this.opts.announceWaitMs ?? QEMU_HV_DEFAULTS.announceWaitMs);
    for (;;) {
      const c = await linkCounters(g.plug.netns, g.plug.names.ovsVeth);
      if (c && c.rxPackets > rx0) return { by: 'guest', ms: performance.now() - runningAt };
      if (performance.now() > until) break;
      await sleep(10);
    }
    const v = this.dp.vm(vm);
    const frames = [gratuitousArp({ mac: v.mac, ip: v.ip }), gratuitousArp({ mac: v.mac, ip: v.ip, op: 'reply' })];
    try {
      await sendRawFrames(g.plug.netns, g.plug.names.lbVeth, frames);
      return { by: 'driver', ms: undefined };
    } catch (e) {
      this.log(`VM ${vm}: gratuitous ARP failed: ${errorText(e)}`);
      return { by: 'none', ms: undefined };
    }
  }

  /**
   * Stops every QEMU this hypervisor started (quit over QMP, then SIGKILL by PID; always reaped) and removes every
   * plug it made. Idempotent (later calls return the first call's promise). Throws HYPERVISOR_FAILED when something
   * could not be removed.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const errors: string[] = [];
      await Promise.all(
        [...this.procs.keys()].map((p) =>
          this.stopQemu(p).catch((e) => {
            errors.push(`QEMU pid ${p.pid}: ${errorText(e)}`);
          }),
        ),
      );
      for (const plug of [...this.plugs]) {
        await this.unplug(plug).catch((e) => {
          errors.push(`plug ${plug.id}: ${errorText(e)}`);
        });
      }
      this.guests.clear();
      if (errors.length > 0) throw failed(`closing the qemu hypervisor: ${errors.join('; ')}`, { errors });
    })();
    return this.closing;
  }
}
