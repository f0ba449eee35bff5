/**
 * The `sim` hypervisor: live migration of a VM of the emulated network (src/emulator), its memory streamed through
 * the emulated network between the hosts' migration endpoints (without a route: pre-copy modelled analytically,
 * ./precopy.ts), in the network's clock time (real or virtual).
 *
 * What a migration does:
 *  1. Pre-copy: the rounds (see "The copy" below), one progress sample per round (plus one at the start).
 *     The VM keeps running and stays plugged in where it was. An aborted `signal` ends the migration here with
 *     HYPERVISOR_ABORTED and the VM untouched.
 *  2. `beforePause` (if given) is awaited; a rejection aborts (VM untouched).
 *  3. Pause: the VM's NIC is unplugged from its source port (frames sent to it are lost, as they are at a paused
 *     VM; xsite's controllers hold them). The stop-and-copy runs (an abort now plugs the VM back in at the
 *     source), then `beforeSwitchover` runs (once; the `signal` is no longer looked at from here on: the hook is
 *     flipping the network). A rejection plugs the VM back in at its source port, with the link parameters it had,
 *     and rejects HYPERVISOR_ABORTED (the hook's error as `cause` and `details.cause`).
 *  4. Resume: the NIC is plugged into port `to.port` of `to.switch` (added to the switch when missing, it must be
 *     free) with the link parameters the VM had at the source, `EmulatedNetwork.attachmentOf` follows
 *     (`EmulatedNetwork.replug`), and the VM announces itself (gratuitous ARP + RARP, as QEMU does). Its sockets and
 *     TCP connections live in the EmulatedHost and survive the move. The source port stays on its switch, empty.
 *
 * The copy: with a route (`req.copy`, central's copy stream between the two hosts' migration endpoints, both hosts
 * of the emulated network) each round is a real TCP stream through the emulated network (./emulated-copy-stream.ts):
 * source endpoint -> switches -> gateway (NAT) -> WAN link -> gateway (NAT) -> switches -> destination endpoint, so
 * the WAN link's bandwidth, latency and loss, and the queues it shares with the VMs' traffic, decide how long each
 * round takes; each next round is what the guest dirtied during the measured one before (./precopy.ts afterRound),
 * and the VM pauses when the rest fits the downtime limit at the measured rate (or after maxRounds). The streams
 * crossing one path share {@link COPY_SHARE} of its bandwidth (a stop-and-copy weighs {@link STOP_AND_COPY_WEIGHT}
 * pre-copies), capped per VM by `maxBandwidthBytesPerSec` (QEMU's max-bandwidth).
 * Without a route, the plan of ./precopy.ts elapses on the clock, computed from the copy path:
 *  - source and destination switches in different DCs: the WAN link joining the two DCs' gateway switches
 *    (`topology.wanLinks`), with its current parameters when the emulated Link is found (so `Link.setParams` on the
 *    WAN link slows later migrations down), else the topology's; RTT = 2 x one-way latency. No direct WAN link
 *    between the two DCs, or a WAN link that is down, fails the migration (HYPERVISOR_FAILED).
 *  - same DC: `intraDc` (default the topology's default intra-DC link, 10 Gbit/s and 0.1 ms one way), not the
 *    narrowest link of the actual path: a DC fabric is assumed not to be the bottleneck.
 *  The copy rate may be capped per VM (`maxBandwidthBytesPerSec`, QEMU's max-bandwidth). The same path and plan give
 *  the routed copy its share of the bandwidth and the first round's estimate.
 *
 * Not modelled: device state, post-copy, the source QEMU process lingering; without a route, the stream's frames.
 */
import type { TimerHandle } from '../../../core/clock';
import { isXsiteError, XsiteError } from '../../../core/errors';
import type { EmulatedNetwork } from '../../../emulator/network';
import { DEFAULT_LINK_PARAMS, DEFAULT_VM_MEMORY_MB, PORT_MAX, PORT_MIN, type Topology, type Vm } from '../../../emulator/topology/model';
import type {
  Hypervisor,
  HypervisorMigrateRequest,
  HypervisorMigrateResult,
  HypervisorProgress,
} from '../../../ports/hypervisor';
import { afterRound, planPrecopy, type PrecopyPlan } from './precopy';
import { EmulatedCopyStream } from './emulated-copy-stream';
import { BandwidthShares, STOP_AND_COPY_WEIGHT } from '../bandwidth-shares';
import type { CopyRoute } from '../../../model/migration-network';
import { errorText, hypervisorAborted as aborted, hypervisorFailed as failed } from '../errors';

/** Per-VM parameters of the model (every field optional: defaults, then per-VM overrides). */
export interface SimVmParams {
  /**
   * The VM's memory. A VM of the topology has the topology's `memoryMB` (a `defaults.memoryMB` does not replace it;
   * `vmParams` does); an end host has `defaults.memoryMB`, else {@link DEFAULT_VM_MEMORY_MB}.
   */
  memoryMB?: number;
  /** How fast the guest dirties memory, bytes/s; default {@link SIM_DEFAULTS}. */
  dirtyBytesPerSec?: number;
  /** Longest acceptable stop-and-copy, ms (QEMU's `downtime-limit`); default 300. */
  downtimeLimitMs?: number;
  /** Pre-copy rounds after which the VM is paused whatever is left; default 30. */
  maxRounds?: number;
  /** Caps the copy rate, bytes/s (QEMU's `max-bandwidth`); default none (the path's bandwidth). */
  maxBandwidthBytesPerSec?: number;
}

/**
 * The part of a path's bandwidth the copy streams crossing it may use together (the rest is left to the VMs' own
 * traffic, as a migration network's QoS share would): divided among them by weight.
 */
export const COPY_SHARE = 0.8;

/** Defaults of {@link SimVmParams} (memory aside). */
export const SIM_DEFAULTS = Object.freeze({
  dirtyBytesPerSec: 8 * 1024 * 1024,
  downtimeLimitMs: 300,
  maxRounds: 30,
});

export interface SimHypervisorOptions {
  net: EmulatedNetwork;
  /** Where DCs, WAN links and VM memory sizes are read; default `net.topology`. */
  topology?: Topology;
  defaults?: SimVmParams;
  /** Per-VM overrides (`spec` is the topology's VM, undefined for an end host). */
  vmParams?: (vm: string, spec: Vm | undefined) => SimVmParams | undefined;
  /** The copy path inside one DC; default 10 Gbit/s, 0.1 ms one way (DEFAULT_LINK_PARAMS). */
  intraDc?: { bandwidthMbps: number; latencyMs: number };
  /** Announcement after the resume (EmulatedHost.announce options); default one round of GARP + RARP. */
  announce?: { rounds?: number; intervalMs?: number };
}

/** The path the memory is copied over. */
export interface SimCopyPath {
  kind: 'intra-dc' | 'wan';
  fromDc: string | undefined;
  toDc: string | undefined;
  /** The WAN link used (gateway switch names), for kind 'wan'. */
  wanLink?: { a: string; b: string };
  bandwidthBytesPerSec: number;
  rttMs: number;
}

/** What a migration of a VM to a place would look like (see {@link SimHypervisor.estimate}). */
export interface SimEstimate {
  path: SimCopyPath;
  params: Required<Omit<SimVmParams, 'maxBandwidthBytesPerSec'>> & { maxBandwidthBytesPerSec?: number };
  memoryBytes: number;
  plan: PrecopyPlan;
}

type LinkParamsCopy = { latencyMs: number; bandwidthMbps: number; lossRate: number; queueBytes: number };

export class SimHypervisor implements Hypervisor {
  readonly kind = 'sim' as const;
  private readonly net: EmulatedNetwork;
  private readonly topology: Topology;
  /** VMs being migrated. */
  private readonly busy = new Set<string>();
  /** Destination ports promised to running migrations ("switch:port"). */
  private readonly reserved = new Set<string>();
  /** The copy streams running now, grouped by path. */
  private readonly streams = new BandwidthShares<EmulatedCopyStream>();

  constructor(private readonly opts: SimHypervisorOptions) {
    this.net = opts.net;
    this.topology = opts.topology ?? opts.net.topology;
  }

  /**
   * The copy path and pre-copy plan a migration of `vm` to `to.switch` would follow now (validates like `migrate`,
   * without the checks of the destination port). Throws HYPERVISOR_UNKNOWN_VM / HYPERVISOR_FAILED.
   */
  estimate(req: { vm: string; to: { switch: string } }): SimEstimate {
    const spec = this.topology.vms.find((v) => v.name === req.vm);
    if (!this.net.hosts.has(req.vm)) {
      throw new XsiteError('HYPERVISOR_UNKNOWN_VM', `no emulated VM or end host named ${req.vm}`, { vm: req.vm });
    }
    const from = this.net.attachmentOf(req.vm);
    if (!from) throw failed(`VM ${req.vm} is not plugged into any switch`, { vm: req.vm });
    if (!this.net.switches.has(req.to.switch)) {
      throw failed(`destination switch ${req.to.switch} does not exist`, { vm: req.vm, switch: req.to.switch });
    }
    const over = this.opts.vmParams?.(req.vm, spec) ?? {};
    const d = this.opts.defaults ?? {};
    const cap = over.maxBandwidthBytesPerSec ?? d.maxBandwidthBytesPerSec;
    const params: SimEstimate['params'] = {
      memoryMB: over.memoryMB ?? spec?.memoryMB ?? d.memoryMB ?? DEFAULT_VM_MEMORY_MB,
      dirtyBytesPerSec: over.dirtyBytesPerSec ?? d.dirtyBytesPerSec ?? SIM_DEFAULTS.dirtyBytesPerSec,
      downtimeLimitMs: over.downtimeLimitMs ?? d.downtimeLimitMs ?? SIM_DEFAULTS.downtimeLimitMs,
      maxRounds: over.maxRounds ?? d.maxRounds ?? SIM_DEFAULTS.maxRounds,
      ...(cap !== undefined ? { maxBandwidthBytesPerSec: cap } : {}),
    };
    if (!(Number.isFinite(params.memoryMB) && params.memoryMB >= 0)) {
      throw failed(`VM ${req.vm}: memoryMB ${params.memoryMB} invalid`, { vm: req.vm, memoryMB: params.memoryMB });
    }
    const path = this.copyPath(from.switch, req.to.switch);
    if (params.maxBandwidthBytesPerSec !== undefined) {
      path.bandwidthBytesPerSec = Math.min(path.bandwidthBytesPerSec, params.maxBandwidthBytesPerSec);
    }
    const memoryBytes = Math.round(params.memoryMB * 1024 * 1024);
    let plan: PrecopyPlan;
    try {
      plan = planPrecopy({
        memoryBytes,
        dirtyBytesPerSec: params.dirtyBytesPerSec,
        bandwidthBytesPerSec: path.bandwidthBytesPerSec,
        rttMs: path.rttMs,
        downtimeLimitMs: params.downtimeLimitMs,
        maxRounds: params.maxRounds,
      });
    } catch (e) {
      if (isXsiteError(e, 'PRECOPY_BAD_PARAM')) throw failed(`VM ${req.vm}: ${e.message}`, { vm: req.vm, ...e.details });
      throw e;
    }
    return { path, params, memoryBytes, plan };
  }

  /** The path memory is copied over from switch `fromSw` to switch `toSw` (see the module comment). */
  copyPath(fromSw: string, toSw: string): SimCopyPath {
    const dcOf = (sw: string): string | undefined => this.topology.switches.find((s) => s.name === sw)?.dc;
    const fromDc = dcOf(fromSw);
    const toDc = dcOf(toSw);
    if (fromDc === undefined || toDc === undefined || fromDc === toDc) {
      const p = this.opts.intraDc ?? DEFAULT_LINK_PARAMS;
      return { kind: 'intra-dc', fromDc, toDc, bandwidthBytesPerSec: (p.bandwidthMbps * 1e6) / 8, rttMs: 2 * p.latencyMs };
    }
    const w = this.topology.wanLinks.find((l) => {
      const a = dcOf(l.a);
      const b = dcOf(l.b);
      return (a === fromDc && b === toDc) || (a === toDc && b === fromDc);
    });
    if (!w) throw failed(`no WAN link between ${fromDc} and ${toDc} to copy the VM's memory over`, { fromDc, toDc });
    let bandwidthMbps = w.bandwidthMbps;
    let latencyMs = w.latencyMs;
    const ep = this.net.switches.get(w.a)?.port(w.portA);
    const live = ep ? this.net.links.find((l) => l.connected && (l.a === ep || l.b === ep)) : undefined;
    if (live) {
      if (!live.up) throw failed(`WAN link ${w.a} - ${w.b} is down`, { a: w.a, b: w.b });
      if (live.bandwidthMbps > 0) bandwidthMbps = live.bandwidthMbps;
      latencyMs = live.latencyMs;
    }
    return {
      kind: 'wan',
      fromDc,
      toDc,
      wanLink: { a: w.a, b: w.b },
      bandwidthBytesPerSec: (bandwidthMbps * 1e6) / 8,
      rttMs: 2 * latencyMs,
    };
  }

  async migrate(req: HypervisorMigrateRequest): Promise<HypervisorMigrateResult> {
    const vm = req.vm;
    const est = this.estimate(req);
    const from = this.net.attachmentOf(vm)!;
    const host = this.net.host(vm);
    if (!host.nic.attached) throw failed(`VM ${vm} is not running (its NIC is unplugged)`, { vm });
    if (this.busy.has(vm)) throw failed(`VM ${vm} is already being migrated`, { vm });
    const { switch: toSw, port: toPort } = req.to;
    if (!(Number.isInteger(toPort) && toPort >= PORT_MIN && toPort <= PORT_MAX)) {
      throw failed(`destination port ${toPort} invalid (${PORT_MIN}-${PORT_MAX})`, { vm, switch: toSw, port: toPort });
    }
    if (from.switch === toSw && from.port === toPort) {
      throw failed(`VM ${vm} is already on port ${toPort} of ${toSw}`, { vm, switch: toSw, port: toPort });
    }
    this.checkFree(vm, toSw, toPort);
    if (req.signal?.aborted) throw aborted(`migration of ${vm} aborted before it started`, req.signal.reason, { vm, phase: 'start' });
    const key = `${toSw}:${toPort}`;
    this.busy.add(vm);
    this.reserved.add(key);
    try {
      return await this.run(req, est, from);
    } finally {
      this.busy.delete(vm);
      this.reserved.delete(key);
    }
  }

  /**
   * The copy stream over the route central gave (`req.copy`), when both migration endpoints are hosts of the emulated
   * network; undefined otherwise (the copy is then the analytical model's).
   */
  private copyStream(req: HypervisorMigrateRequest, path: SimCopyPath): EmulatedCopyStream | undefined {
    const r: CopyRoute | undefined = req.copy;
    if (r === undefined || !this.net.hosts.has(r.from.vm) || !this.net.hosts.has(r.to.vm)) return undefined;
    const stream: EmulatedCopyStream = new EmulatedCopyStream(this.net, r, () => this.streams.share(stream, path.bandwidthBytesPerSec * COPY_SHARE));
    return stream;
  }

  /**
   * Sets a copy stream's weight on its path (0: it ended): the streams on one path share its bandwidth; their rates
   * follow at their next tick.
   */
  private share(stream: EmulatedCopyStream, weight: number, path: SimCopyPath): void {
    this.streams.set(stream, weight, path.kind === 'wan' ? `wan:${path.wanLink!.a}|${path.wanLink!.b}` : `dc:${path.fromDc ?? ''}`);
  }

  private checkFree(vm: string, sw: string, port: number): void {
    const peer = this.net.peerOf(sw, port);
    const p = this.net.switch(sw).port(port);
    if (peer || p?.tx !== undefined || this.reserved.has(`${sw}:${port}`)) {
      const by = peer ? `${peer.kind} ${peer.name}` : p?.tx !== undefined ? 'a link' : 'another migration';
      throw failed(`destination port ${port} of ${sw} is in use (${by})`, { vm, switch: sw, port });
    }
  }

  private run(req: HypervisorMigrateRequest, est: SimEstimate, from: { switch: string; port: number }): Promise<HypervisorMigrateResult> {
    const { net } = this;
    const clock = net.clock;
    const vm = req.vm;
    const host = net.host(vm);
    const { plan, path, memoryBytes } = est;
    const signal = req.signal;
    const start = clock.now();
    const base = { bytesTotal: memoryBytes, dirtyBytesPerSec: est.params.dirtyBytesPerSec, copyBytesPerSec: path.bandwidthBytesPerSec };
    const progress = (p: Omit<HypervisorProgress, 'bytesTotal' | 'dirtyBytesPerSec' | 'copyBytesPerSec' | 'elapsedMs'> & { copyBytesPerSec?: number }): void => {
      try {
        req.onProgress?.({ ...base, ...p, elapsedMs: clock.now() - start });
      } catch {
        // A failing progress listener does not stop the migration.
      }
    };

    const stream = this.copyStream(req, path);
    const closeStream = (): void => {
      if (stream === undefined) return;
      this.share(stream, 0, path);
      stream.close();
    };
    if (stream) this.share(stream, 1, path);

    return new Promise<HypervisorMigrateResult>((resolve, reject) => {
      let done = false;
      let timer: TimerHandle | undefined;
      let phase: 'precopy' | 'before-pause' | 'paused' | 'switchover' = 'precopy';
      let sourceLink: LinkParamsCopy | undefined;
      let pauseAt = 0;

      const finish = (err: unknown, result?: HypervisorMigrateResult): void => {
        if (done) return;
        done = true;
        clock.clearTimeout(timer);
        closeStream();
        signal?.removeEventListener('abort', onAbort);
        if (err !== undefined) reject(err);
        else resolve(result!);
      };
      /** Plugs the VM back in where it was; returns an error when even that failed. */
      const backToSource = (): XsiteError | undefined => {
        try {
          net.replug(vm, from.switch, from.port, sourceLink);
          return undefined;
        } catch (e) {
          return failed(`VM ${vm} could not be plugged back into port ${from.port} of ${from.switch}: ${errorText(e)}`, {
            vm,
            cause: e,
          });
        }
      };
      const onAbort = (): void => {
        if (done || phase === 'switchover') return;
        const at = phase;
        if (at === 'paused') {
          const e = backToSource();
          if (e) return finish(e);
        }
        finish(aborted(`migration of ${vm} aborted (${at})`, signal?.reason, { vm, phase: at }));
      };
      signal?.addEventListener('abort', onAbort, { once: true });

      // 1. Pre-copy rounds.
      const rounds = plan.rounds;
      const tail = (i: number): number => rounds.slice(i).reduce((s, r) => s + r.ms, 0) + plan.stopCopyMs;
      let copied = 0;
      // What the pause copies and how many rounds ran: the plan's, or (over the route) the measured rounds' outcome.
      let stopCopyBytes = plan.stopCopyBytes;
      let roundsRun = rounds.length;
      progress({ phase: 'precopy', round: 1, bytesCopied: 0, remainingBytes: memoryBytes, estimatedRemainingMs: tail(0) });
      // Over the route: each round a real stream through the emulated network, the next one what the guest dirtied
      // during its measured duration (as the netns hypervisor does).
      const overRoute = (): void => {
        const model = { memoryBytes, dirtyBytesPerSec: est.params.dirtyBytesPerSec, downtimeLimitMs: est.params.downtimeLimitMs, maxRounds: est.params.maxRounds };
        const next = (n: number, bytes: number): void => {
          stream!.send(bytes).then(
            (ms) => {
              if (done) return;
              copied += bytes;
              const out = afterRound(model, n, bytes, ms);
              progress({ phase: 'precopy', round: n, bytesCopied: copied, remainingBytes: out.dirtiedBytes, copyBytesPerSec: ms > 0 ? Math.round((bytes * 1000) / ms) : 0 });
              if (!out.pause) return next(n + 1, out.dirtiedBytes);
              stopCopyBytes = out.dirtiedBytes;
              roundsRun = n;
              beforePause();
            },
            (e: unknown) => finish(failed(`migration stream of ${vm} failed in round ${n}: ${errorText(e)}`, { vm, cause: e })),
          );
        };
        stream!.open().then(
          () => {
            if (!done) next(1, memoryBytes);
          },
          (e: unknown) => finish(failed(`migration stream of ${vm} could not be opened: ${errorText(e)}`, { vm, cause: e })),
        );
      };
      const round = (i: number): void => {
        if (i >= rounds.length) return beforePause();
        const r = rounds[i]!;
        timer = clock.setTimeout(() => {
          timer = undefined;
          if (done) return;
          copied += r.bytes;
          progress({ phase: 'precopy', round: r.round, bytesCopied: copied, remainingBytes: r.dirtiedBytes, estimatedRemainingMs: tail(i + 1) });
          round(i + 1);
        }, r.ms);
      };

      // 2. beforePause.
      const beforePause = (): void => {
        if (done) return;
        if (!req.beforePause) return pause();
        phase = 'before-pause';
        let p: Promise<void>;
        try {
          p = Promise.resolve(req.beforePause());
        } catch (e) {
          p = Promise.reject(e);
        }
        p.then(
          () => pause(),
          (e: unknown) => finish(aborted(`migration of ${vm} aborted: beforePause failed: ${errorText(e)}`, e, { vm, phase: 'before-pause' })),
        );
      };

      // 3. Pause, stop-and-copy.
      const pause = (): void => {
        if (done) return;
        phase = 'paused';
        const l = host.link;
        sourceLink = l ? { latencyMs: l.latencyMs, bandwidthMbps: l.bandwidthMbps, lossRate: l.lossRate, queueBytes: l.queueBytes } : undefined;
        pauseAt = clock.now();
        host.detach();
        progress({ phase: 'paused', round: roundsRun, bytesCopied: copied, remainingBytes: stopCopyBytes, estimatedRemainingMs: stream ? undefined : plan.stopCopyMs });
        if (stream) {
          this.share(stream, STOP_AND_COPY_WEIGHT, path);
          stream.send(stopCopyBytes).then(
            () => {
              if (!done) switchover();
            },
            (e: unknown) => {
              if (done) return;
              finish(backToSource() ?? failed(`migration stream of ${vm} failed in the stop-and-copy: ${errorText(e)}`, { vm, cause: e }));
            },
          );
          return;
        }
        timer = clock.setTimeout(() => {
          timer = undefined;
          if (!done) switchover();
        }, plan.stopCopyMs);
      };

      // 4. The switchover hook, then resume at the destination (or back at the source).
      const switchover = (): void => {
        phase = 'switchover';
        copied += stopCopyBytes;
        closeStream();
        const hookAt = clock.now();
        let p: Promise<void>;
        try {
          p = Promise.resolve(req.beforeSwitchover());
        } catch (e) {
          p = Promise.reject(e);
        }
        p.then(
          () => resume(clock.now() - hookAt),
          (e: unknown) => {
            const back = backToSource();
            if (back) return finish(back);
            finish(aborted(`migration of ${vm} aborted: the switchover hook failed: ${errorText(e)}`, e, { vm, phase: 'switchover' }));
          },
        );
      };

      const resume = (hookMs: number): void => {
        if (done) return;
        try {
          net.replug(vm, req.to.switch, req.to.port, sourceLink);
        } catch (e) {
          const back = backToSource();
          return finish(
            back ??
              failed(`VM ${vm} could not be plugged into port ${req.to.port} of ${req.to.switch}: ${errorText(e)}`, {
                vm,
                switch: req.to.switch,
                port: req.to.port,
                cause: e,
              }),
          );
        }
        host.announce(this.opts.announce);
        const now = clock.now();
        progress({ phase: 'resumed', round: roundsRun, bytesCopied: copied, remainingBytes: 0, estimatedRemainingMs: 0 });
        finish(undefined, { totalMs: now - start, downtimeMs: now - pauseAt, hookMs, bytesCopied: copied, rounds: roundsRun, copiedOver: stream ? 'route' : 'model' });
      };

      if (stream) overRoute();
      else round(0);
    });
  }
}
