/**
 * Central's side of cross-site flows (seed 000 sections 4.1-4.2): it answers a local controller's `flow.open` by
 * recording the flow and its NAT tuple (Directory.openFlow, one transaction), has the local controllers of both DCs
 * install the gateway NAT flows (jobs `nat.install`, idempotent ids) and replies once both confirmed; it closes a
 * flow (tuple released) when every DC of the flow reported it idle, or when one of its VMs is gone or moved, and
 * then has the DCs remove the NAT flows (`nat.remove`). Work on one flow is serialised; different flows run in
 * parallel. Protocol: ./cross-site-protocol.ts.
 *
 * Errors answered to `flow.open`: the directory's (`VM_NOT_FOUND`, `FLOW_VN_MISMATCH`, `NAT_POOL_EXHAUSTED`, ...),
 * `CROSS_SITE_SAME_DC` when both VMs are in one DC, and the channel's when a DC did not confirm.
 */
import { EventEmitter } from 'node:events';
import { XsiteError } from '../core/errors';
import { type CrossSiteFlow, crossSiteFlowId, orderEndpoints } from '../model/cross-site-flow';
import type { FlowRecord } from '../model/flow';
import type { ChannelJob, DispatchOptions, JobResult } from '../ports/control-channel';
import type { Store } from '../ports/store';
import {
  CROSS_SITE_VERSION,
  type FlowOpenReply,
  type FlowOpenRequest,
  NAT_INSTALL_JOB,
  NAT_REMOVE_JOB,
  isFlowIdleEvent,
  isFlowOpenRequest,
  isFlowReopenRequest,
  type FlowReopenRequest,
} from './cross-site-protocol';
import type { Directory } from './directory';

/** What the service needs of the channel server. */
export interface CrossSiteChannel {
  dispatchJob<R = unknown>(dc: string, job: ChannelJob, opts?: DispatchOptions): Promise<JobResult<R>>;
}

export interface CrossSiteOptions {
  /** How long a DC may take to confirm a `nat.install` (ms); default 10 s. */
  installTimeoutMs?: number;
}

/** Counters of a {@link CrossSiteService}. */
export interface CrossSiteCounters {
  opened: number;
  openFailed: number;
  closedIdle: number;
  closedStale: number;
  /** Closed by {@link CrossSiteService.close} (a migration's copy stream ended). */
  closedByOwner: number;
  installJobs: number;
  removeJobs: number;
}

/** What {@link CrossSiteService.resetupForVm} did. */
export interface ResetupResult {
  /** The VM's flows as they are set up now (their new tuples), and the ids of those closed (now inside one DC). */
  flows: CrossSiteFlow[];
  closed: string[];
  /** Tuples taken and given back. */
  allocated: number;
  released: number;
  /** Flows that took the tuple reserved for them ahead (stageMove). */
  adopted: string[];
}

/** Events: `opened` (CrossSiteFlow), `closed` (flowId, reason 'idle' | 'stale' | 'owner'), `error` never (failures are counted). */
export class CrossSiteService extends EventEmitter {
  readonly counters: CrossSiteCounters = { opened: 0, openFailed: 0, closedIdle: 0, closedStale: 0, closedByOwner: 0, installJobs: 0, removeJobs: 0 };
  /** DCs that reported each open flow idle since it was last (re)installed. */
  private readonly idle = new Map<string, Set<string>>();
  /** The current set-up generation of each flow set up since this process started. */
  private readonly gens = new Map<string, string>();
  private readonly queues = new Map<string, Promise<unknown>>();
  private seq = 0;
  /** Prefix of this process's set-up generations (distinct across restarts). */
  private readonly epoch = `${Date.now().toString(36)}${Math.floor(Math.random() * 36 ** 4).toString(36)}`;

  constructor(
    private readonly store: Store,
    private readonly directory: Directory,
    private readonly channel: CrossSiteChannel,
    private readonly opts: CrossSiteOptions = {},
  ) {
    super();
  }

  /** Handles a channel request from `dc`; undefined when it is not one of ours. */
  handle(dc: string, body: unknown): Promise<FlowOpenReply> | undefined {
    if (isFlowReopenRequest(body)) return this.reopen(dc, body).then((flow) => ({ v: CROSS_SITE_VERSION, flow }));
    if (!isFlowOpenRequest(body)) return undefined;
    return this.open(dc, body).then((flow) => ({ v: CROSS_SITE_VERSION, flow }));
  }

  /** The open flow whose tuple a packet between two gateways carries, set up again on both gateways (`flow.reopen`). */
  async reopen(fromDc: string, req: FlowReopenRequest): Promise<CrossSiteFlow> {
    const pair = (t: { srcPublicIp: string; dstPublicIp: string }) =>
      (t.srcPublicIp === req.srcPublicIp && t.dstPublicIp === req.dstPublicIp) || (t.srcPublicIp === req.dstPublicIp && t.dstPublicIp === req.srcPublicIp);
    for (const t of await this.store.listNatTuples()) {
      if (t.protocol !== req.protocol || !pair(t) || !req.ports.includes(t.port)) continue;
      const rec = await this.store.getFlow(t.flowId);
      if (rec === undefined || rec.state !== 'open') continue;
      // TCP/UDP: the other port of the packet must be b's (the tuple port stands for a's).
      if (req.protocol !== 'icmp' && !req.ports.some((p) => p !== t.port && p === rec.dstPort) && !(req.ports.length === 2 && req.ports[0] === req.ports[1] && rec.dstPort === t.port)) continue;
      return this.open(fromDc, {
        type: 'flow.open',
        v: CROSS_SITE_VERSION,
        protocol: rec.protocol,
        srcVm: rec.srcVm,
        dstVm: rec.dstVm,
        ...(rec.srcPort !== undefined ? { srcPort: rec.srcPort } : {}),
        ...(rec.dstPort !== undefined ? { dstPort: rec.dstPort } : {}),
      });
    }
    throw new XsiteError('CROSS_SITE_UNKNOWN_TUPLE', `no open flow holds ${req.protocol} ${req.srcPublicIp} ${req.dstPublicIp} ${req.ports.join('/')}`, { ...req, from: fromDc });
  }

  /** Handles a one-way message from `dc`; true when it was one of ours. */
  message(dc: string, msg: unknown): boolean {
    if (!isFlowIdleEvent(msg)) return false;
    void this.reportIdle(dc, msg.flowId, msg.gen);
    return true;
  }

  /** Records (or re-records) the flow, allocates its tuple and has both DCs install it; resolves with the flow. */
  async open(fromDc: string, req: FlowOpenRequest): Promise<CrossSiteFlow> {
    try {
      const srcP = req.protocol === 'icmp' ? undefined : req.srcPort;
      const dstP = req.protocol === 'icmp' ? undefined : req.dstPort;
      const src = await this.directory.vmByName(req.srcVm);
      const dst = await this.directory.vmByName(req.dstVm);
      if (src.dc === dst.dc) {
        throw new XsiteError('CROSS_SITE_SAME_DC', `${req.srcVm} and ${req.dstVm} are both in ${src.dc}`, { src: req.srcVm, dst: req.dstVm, dc: src.dc, from: fromDc });
      }
      if (req.protocol !== 'icmp' && (srcP === undefined || dstP === undefined)) {
        throw new XsiteError('CROSS_SITE_BAD_REQUEST', `a ${req.protocol} flow needs both ports`, { protocol: req.protocol });
      }
      const s = { vm: src.vm.name, ip: src.vm.ip, mac: src.vm.mac, dc: src.dc, ...(srcP !== undefined ? { port: srcP } : {}) };
      const d = { vm: dst.vm.name, ip: dst.vm.ip, mac: dst.vm.mac, dc: dst.dc, ...(dstP !== undefined ? { port: dstP } : {}) };
      const { a, b } = orderEndpoints(s, d);
      const id = crossSiteFlowId(req.protocol, src.vm.tenant, src.vm.vn, a, b);
      return await this.serial(id, async () => {
        const rec = await this.directory.openFlow({ id, protocol: req.protocol, srcVm: a.vm, dstVm: b.vm, ...(a.port !== undefined ? { srcPort: a.port } : {}), ...(b.port !== undefined ? { dstPort: b.port } : {}) });
        const gen = `${this.epoch}.${++this.seq}`;
        const flow = { ...toCrossSiteFlow(rec, a, b), gen };
        this.idle.delete(id);
        this.gens.set(id, gen);
        const timeoutMs = this.opts.installTimeoutMs ?? 10_000;
        await Promise.all(
          [a.dc, b.dc].map((dc) => {
            this.counters.installJobs++;
            return this.channel.dispatchJob(dc, { id: `${NAT_INSTALL_JOB}|${id}|${gen}`, type: NAT_INSTALL_JOB, body: { flow } }, { timeoutMs });
          }),
        );
        this.counters.opened++;
        this.emit('opened', flow);
        return flow;
      });
    } catch (e) {
      this.counters.openFailed++;
      throw e;
    }
  }

  /**
   * Closes open flow `flowId` now (its owner is done with it, e.g. a migration's copy stream): the tuple is released
   * and the DCs of its gateways and VMs remove its NAT flows. Resolves with true when the flow was open and held a
   * tuple, false when there was nothing to close.
   */
  close(flowId: string): Promise<boolean> {
    return this.serial(flowId, async () => {
      const rec = await this.store.getFlow(flowId);
      if (rec === undefined || rec.state !== 'open') return false;
      const tuple = await this.store.getNatTuple(flowId);
      const dcs = await this.dcsOf(rec);
      await this.directory.closeFlow(flowId);
      this.idle.delete(flowId);
      this.gens.delete(flowId);
      this.counters.closedByOwner++;
      this.emit('closed', flowId, 'owner');
      const gwDcs = tuple !== undefined ? await this.gatewayDcs(tuple.srcGateway, tuple.dstGateway) : [];
      await this.remove(flowId, [...gwDcs, ...(dcs ?? [])]);
      return tuple !== undefined;
    });
  }

  /**
   * DC `dc` says flow `flowId` (set-up `gen`) went idle on its gateway; closes the flow when every DC of it did. A
   * report about an earlier set-up than the current one is stale (the flow was set up again since) and ignored.
   */
  reportIdle(dc: string, flowId: string, gen?: string): Promise<void> {
    return this.serial(flowId, async () => {
      const current = this.gens.get(flowId);
      if (current !== undefined && gen !== undefined && gen !== current) return;
      // A report about a set-up made by an earlier central process: this process hands the flow out again when the DC
      // resyncs (directory.vms), and only reports about what the DCs hold from then on count.
      if (gen !== undefined && !gen.startsWith(`${this.epoch}.`)) return;
      const rec = await this.store.getFlow(flowId);
      if (rec === undefined || rec.state !== 'open') {
        // Already closed (or unknown): make sure the DC drops it.
        await this.remove(flowId, [dc]);
        return;
      }
      const dcs = await this.dcsOf(rec);
      let seen = this.idle.get(flowId);
      if (seen === undefined) this.idle.set(flowId, (seen = new Set()));
      seen.add(dc);
      if (dcs !== undefined && !dcs.every((d) => seen!.has(d))) return;
      this.idle.delete(flowId);
      this.gens.delete(flowId);
      await this.directory.closeFlow(flowId);
      this.counters.closedIdle++;
      this.emit('closed', flowId, 'idle');
      await this.remove(flowId, dcs ?? [dc]);
    });
  }

  /**
   * Closes every open cross-site flow whose VMs are gone, in one DC now, or in other DCs than when it was opened
   * (a VM was deleted or moved), and has the DCs remove its NAT flows. Resolves with the closed ids.
   */
  async revalidate(): Promise<string[]> {
    const closed: string[] = [];
    for (const rec of await this.store.listFlows({ state: 'open' })) {
      if (rec.tuple === undefined) continue;
      await this.serial(rec.id, async () => {
        const now = await this.store.getFlow(rec.id);
        if (now === undefined || now.state !== 'open' || now.tuple === undefined) return;
        const tuple = await this.store.getNatTuple(rec.id);
        const dcs = await this.dcsOf(now);
        const gws = dcs !== undefined ? await Promise.all(dcs.map((d) => this.store.listGateways(d))) : undefined;
        const stale =
          dcs === undefined || dcs[0] === dcs[1] || tuple === undefined || gws![0]![0]?.name !== tuple.srcGateway || gws![1]![0]?.name !== tuple.dstGateway;
        if (!stale) return;
        await this.directory.closeFlow(rec.id);
        this.idle.delete(rec.id);
        this.gens.delete(rec.id);
        this.counters.closedStale++;
        closed.push(rec.id);
        this.emit('closed', rec.id, 'stale');
        const gwDcs = tuple !== undefined ? await this.gatewayDcs(tuple.srcGateway, tuple.dstGateway) : [];
        await this.remove(rec.id, [...new Set([...gwDcs, ...(dcs ?? [])])]);
      });
    }
    return closed;
  }

  /**
   * Ahead of a move of `vm` to DC `toDc` (a migration, before its pause): for every open flow of the VM that stays
   * cross-site after the move, reserves the tuple its new gateways will use under the id `${stageKey}|${flowId}`
   * (Directory.reserveTuple) and returns the flow as it will be set up then, so that the DCs can install ahead what
   * does not touch live traffic (the NAT flows of the new tuples). {@link resetupForVm} adopts the reserved tuples.
   */
  async stageMove(vm: string, toDc: string, stageKey: string): Promise<{ flows: CrossSiteFlow[]; staged: Map<string, string> }> {
    const flows: CrossSiteFlow[] = [];
    const staged = new Map<string, string>();
    for (const rec of await this.store.listFlows({ state: 'open', vm })) {
      const ends = await this.endsOf(rec);
      if (ends === undefined) continue;
      const moved = (e: CrossSiteFlow['a']) => (e.vm === vm ? { ...e, dc: toDc } : e);
      const a = moved(ends.a);
      const b = moved(ends.b);
      if (a.dc === b.dc) continue;
      const dcOf = (name: string) => (a.vm === name ? a.dc : b.dc);
      const stagedId = `${stageKey}|${rec.id}`;
      const tuple = await this.directory.reserveTuple(stagedId, rec.protocol, dcOf(rec.srcVm), dcOf(rec.dstVm));
      staged.set(rec.id, stagedId);
      flows.push({ ...toCrossSiteFlow({ ...rec, tuple }, a, b), gen: `${this.epoch}.staged` });
    }
    return { flows, staged };
  }

  /**
   * A VM moved (a migration's switchover): every open flow of it gets a tuple for its new pair of gateways (the old
   * one released in the same transaction) and a new set-up generation, or is closed when both ends are now in one
   * DC. Nothing is sent to the DCs: the caller ships the new flows with its switchover. Resolves with the flows set up
   * again, the ids closed, and the tuple counts.
   */
  async resetupForVm(vm: string, staged: ReadonlyMap<string, string> = new Map()): Promise<ResetupResult> {
    const out: ResetupResult = { flows: [], closed: [], allocated: 0, released: 0, adopted: [] };
    for (const rec of await this.store.listFlows({ state: 'open', vm })) {
      await this.serial(rec.id, async () => {
        const now = await this.store.getFlow(rec.id);
        if (now === undefined || now.state !== 'open') return;
        const ends = await this.endsOf(now);
        const held = await this.store.getNatTuple(rec.id);
        if (ends === undefined || ends.a.dc === ends.b.dc) {
          await this.directory.closeFlow(rec.id);
          if (held !== undefined) out.released++;
          this.idle.delete(rec.id);
          this.gens.delete(rec.id);
          out.closed.push(rec.id);
          this.emit('closed', rec.id, 'stale');
          return;
        }
        const adopt = staged.get(rec.id);
        const again = await this.directory.openFlow({ id: rec.id, protocol: now.protocol, srcVm: now.srcVm, dstVm: now.dstVm }, adopt !== undefined ? { adopt } : {});
        const after = await this.store.getNatTuple(rec.id);
        if (adopt !== undefined && (await this.store.getNatTuple(adopt)) === undefined) out.adopted.push(rec.id);
        if (held !== undefined && (after === undefined || after.srcGateway !== held.srcGateway || after.dstGateway !== held.dstGateway)) out.released++;
        if (after !== undefined && (held === undefined || after.srcGateway !== held.srcGateway || after.dstGateway !== held.dstGateway)) out.allocated++;
        const gen = `${this.epoch}.${++this.seq}`;
        this.gens.set(rec.id, gen);
        this.idle.delete(rec.id);
        out.flows.push({ ...toCrossSiteFlow(again, ends.a, ends.b), gen });
      });
    }
    return out;
  }

  /** The open cross-site flows with an end in DC `dc` (for a local's resync), sorted by id. */
  async flowsForDc(dc: string): Promise<CrossSiteFlow[]> {
    const out: CrossSiteFlow[] = [];
    for (const rec of await this.store.listFlows({ state: 'open' })) {
      if (rec.tuple === undefined) continue;
      const ends = await this.endsOf(rec);
      if (ends === undefined || (ends.a.dc !== dc && ends.b.dc !== dc)) continue;
      // A flow handed out again gets a generation, so idle reports about its NAT flows from before (e.g. made while
      // this process was not running yet) no longer count: only reports about what the DCs hold now close it.
      let gen = this.gens.get(rec.id);
      if (gen === undefined) this.gens.set(rec.id, (gen = `${this.epoch}.resync`));
      out.push({ ...toCrossSiteFlow(rec, ends.a, ends.b), gen });
    }
    return out;
  }

  // ---- helpers

  private async remove(flowId: string, dcs: readonly string[]): Promise<void> {
    const gen = `${this.epoch}.${++this.seq}`;
    await Promise.all(
      [...new Set(dcs)].map((dc) => {
        this.counters.removeJobs++;
        return this.channel.dispatchJob(dc, { id: `${NAT_REMOVE_JOB}|${flowId}|${gen}`, type: NAT_REMOVE_JOB, body: { flowId } }, { timeoutMs: 10_000 }).catch(() => undefined);
      }),
    );
  }

  private async endsOf(rec: FlowRecord): Promise<{ a: CrossSiteFlow['a']; b: CrossSiteFlow['b'] } | undefined> {
    const end = async (name: string, port: number | undefined) => {
      const vm = await this.store.getVm(name);
      const host = vm ? await this.store.getHost(vm.host) : undefined;
      if (!vm || !host) return undefined;
      return { vm: vm.name, ip: vm.ip, mac: vm.mac, dc: host.dc, ...(rec.protocol !== 'icmp' && port !== undefined ? { port } : {}) };
    };
    const a = await end(rec.srcVm, rec.srcPort);
    const b = await end(rec.dstVm, rec.dstPort);
    return a && b ? { a, b } : undefined;
  }

  private async dcsOf(rec: FlowRecord): Promise<[string, string] | undefined> {
    const ends = await this.endsOf(rec);
    return ends ? [ends.a.dc, ends.b.dc] : undefined;
  }

  private async gatewayDcs(...names: string[]): Promise<string[]> {
    const out: string[] = [];
    for (const n of names) {
      const g = await this.store.getGateway(n);
      if (g) out.push(g.dc);
    }
    return out;
  }

  private serial<T>(key: string, run: () => Promise<T>): Promise<T> {
    const prev = this.queues.get(key) ?? Promise.resolve();
    const next = prev.then(run, run);
    const tail = next.catch(() => undefined);
    this.queues.set(key, tail);
    void tail.then(() => {
      if (this.queues.get(key) === tail) this.queues.delete(key);
    });
    return next;
  }
}

function toCrossSiteFlow(rec: FlowRecord, a: CrossSiteFlow['a'], b: CrossSiteFlow['b']): CrossSiteFlow {
  if (rec.tuple === undefined) throw new XsiteError('CROSS_SITE_NO_TUPLE', `flow ${rec.id} holds no NAT tuple`, { id: rec.id });
  return { id: rec.id, protocol: rec.protocol, tenant: rec.tenant, vn: rec.vn, a, b, tuple: rec.tuple };
}
