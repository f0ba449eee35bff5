/**
 * The local controller of one data center (seed 000 section 4.2), as an application of an {@link OpenFlowController}:
 * when a switch of its DC connects it reconciles the switch's desired flows (the managers classify, arp and l2,
 * computed from the {@link DcModel}) with `reconcile()`; it answers the ARP requests the vswitches send it with a
 * PACKET_OUT to the port they came from (`answerArp`); when the directory changes (`setVms`) it recomputes and
 * reconciles every connected switch of the DC. Switches of other DCs are ignored. The managers stay pure; this is
 * the only part that does I/O.
 */
import { EventEmitter } from 'node:events';
import { OFP_NO_BUFFER, OFPP, OFPRR } from '../codec/openflow/constants';
import type { Action, MessageOf } from '../codec/openflow/types';
import { IPPROTO, type Packet, tryParsePacket } from '../codec/packet';
import type { FlowOpenRequest, FlowReopenRequest } from '../central/cross-site-protocol';
import { type CrossSiteFlow, crossSiteFlowId } from '../model/cross-site-flow';
import { cookieLocal, cookieManager, makeCookie, XSITE_MANAGERS } from '../pipeline/cookie';
import { XSITE_PLAN } from '../pipeline/table-plan';
import type { Topology } from '../emulator/topology/model';
import type { ControllerApp } from '../openflow/controller';
import type { SwitchConnection } from '../openflow/connection';
import { XsiteError } from '../core/errors';
import { DcModel, type DirectoryVm } from './dc-model';
import { DesiredState } from './desired-state';
import { flowKey } from './flow-normalise';
import { type ArpDecision, explainArp, XSITE_GATEWAY_MAC, arpManager } from './managers/arp';
import { classifyManager } from './managers/classify';
import { type GatewayNatOptions, gatewayNatManager, gatewaySwitchOf, isNatCookie, matchesInbound, natCookie, natPlan, WAN_MISS_COOKIE } from './managers/gateway-nat';
import { l2Manager } from './managers/l2';
import { toInnerPort, toVmPort } from './managers/vn-encap';
import { migrationHoldManager } from './managers/migration-hold';
import { type LocalManager, managerChanges } from './managers/manager';
import { type InstalledFlow, reconcile, reconcileAgainst, type ReconcileOptions, type ReconcileReport, snapshotOf } from './reconciler';
import { planSwitch, PRECOMPUTED_TTL_MS, type PrecomputedSwitch, type PrecomputedSwitchover, switchoverInputs, withFlowChange } from './precomputed-switchover';
import { ONF_BF } from '../codec/openflow/constants';

export interface LocalControllerOptions {
  topology: Topology;
  /** The DC this controller is in charge of. */
  dc: string;
  /** The directory's VMs (every DC); default: the topology's VMs. */
  vms?: readonly DirectoryVm[];
  /** MAC answered for default gateways; default {@link XSITE_GATEWAY_MAC} (the same in every DC). */
  gatewayMac?: string;
  /** Managers whose flows are installed; default classify, arp, l2, gateway-nat. */
  managers?: readonly LocalManager[];
  /** Options of the default gateway-nat manager (idle timeout of NAT flows). */
  nat?: GatewayNatOptions;
  /** How first packets of cross-site flows reach central; without it they are dropped (counted). */
  crossSite?: CrossSitePort;
  /**
   * Packets held per cross-site flow while central sets it up; more are dropped (default {@link DEFAULT_MAX_HELD_PER_FLOW}:
   * a migrated VM answers everything held for it during its pause at once, on flows that may be new).
   */
  maxHeldPerFlow?: number;
  /** How flow changes go out (see ReconcileOptions.mode). */
  mode?: ReconcileOptions['mode'];
  /** How long a departure settles by itself without central's `migration.settle` (default {@link DEPARTED_TTL_MS}). */
  departedTtlMs?: number;
}

/** What the local controller needs of central for cross-site flows (the channel in `xsite local`). */
export interface CrossSitePort {
  /** Asks central to set the flow up; resolves once both gateways confirmed (the install job of this DC included). */
  open(req: FlowOpenRequest): Promise<CrossSiteFlow>;
  /** Tells central the flow's NAT flows (set-up `gen`) on this DC's gateway went idle. */
  idle(flowId: string, gen?: string): void;
  /** Asks central to set up again the flow whose tuple a packet from another gateway carries (`flow.reopen`). */
  reopen?(req: FlowReopenRequest): Promise<CrossSiteFlow>;
}

/** Counters of a {@link LocalController}. */
export interface LocalControllerCounters {
  /** First packets of cross-site flows received from the gateway switch. */
  crossSitePacketIns: number;
  crossSiteOpened: number;
  crossSiteOpenFailed: number;
  /** Held first packets sent on after their flow was set up / dropped (flow failed or too many held). */
  heldReleased: number;
  heldDropped: number;
  /** Cross-site flows whose NAT flows on this gateway all went idle. */
  crossSiteIdle: number;
  /** Packets from the WAN that missed the NAT flows and were sent on by the controller. */
  wanForwarded: number;
  /** Frames held while a VM of this DC was paused for its migration. */
  migrationHeld: number;
  packetIns: number;
  arpAnswered: number;
  arpUnanswered: number;
  /** Packet-ins from a port with no registered VM, or with another source MAC. */
  packetInsIgnored: number;
  reconciles: number;
  reconcileErrors: number;
  /** Migration switchovers that committed the bundles precomputed for them / that reconciled as usual instead. */
  switchoversPrecomputed: number;
  switchoversNotPrecomputed: number;
  /** Switchovers committed ahead whose switchover job then brought other inputs than expected (reconciled). */
  switchoversCorrected: number;
  /** Precomputed switchovers computed again because another cross-site flow changed before their pause. */
  switchoversRecomputed: number;
}

/**
 * Events: `reconciled` (switch name, ReconcileReport), `arp` (switch name, in_port, ArpDecision), `error` is never
 * emitted (failures are counted and reported through the returned promises and `reconcile_error`).
 */
const NAT_TABLE = XSITE_PLAN.table('gateway-nat').id;
const NAT_MANAGER = XSITE_MANAGERS.idOf('gateway-nat');
const MIGRATION_MANAGER = XSITE_MANAGERS.idOf('migration');
/** Frames held per VM during a migration pause; more are dropped (counted). */
const MAX_HELD_PER_VM = 4096;

/** Default of LocalControllerOptions.maxHeldPerFlow. */
export const DEFAULT_MAX_HELD_PER_FLOW = 1024;

/**
 * How long a DC keeps the departure returns of a VM that left (managers/migration-departure.ts) when central's
 * `migration.settle` never comes (central went away meanwhile); central settles them a second after the migration.
 */
export const DEPARTED_TTL_MS = 30_000;

export class LocalController extends EventEmitter implements ControllerApp {
  model: DcModel;
  readonly gatewayMac: string;
  readonly managers: readonly LocalManager[];
  readonly counters: LocalControllerCounters = {
    crossSitePacketIns: 0,
    crossSiteOpened: 0,
    crossSiteOpenFailed: 0,
    heldReleased: 0,
    heldDropped: 0,
    crossSiteIdle: 0,
    wanForwarded: 0,
    migrationHeld: 0,
    packetIns: 0,
    arpAnswered: 0,
    arpUnanswered: 0,
    packetInsIgnored: 0,
    reconciles: 0,
    reconcileErrors: 0,
    switchoversPrecomputed: 0,
    switchoversNotPrecomputed: 0,
    switchoversCorrected: 0,
    switchoversRecomputed: 0,
  };
  /** Packets from the WAN held per tuple while central sets their flow up again (`flow.reopen`). */
  private readonly heldWan = new Map<string, { inPort: number; data: Buffer }[]>();
  /** Tuples central did not know, until when (ms) they are not asked about again. */
  private readonly unknownTuples = new Map<string, number>();
  /** First packets held per cross-site flow id while central sets the flow up. */
  private readonly held = new Map<string, Buffer[]>();
  private crossSiteSeq = 0;
  /** The latest job change of each cross-site flow (install: the flow; remove: none), by flow id, oldest first. */
  private readonly crossSiteChanges = new Map<string, { seq: number; flow?: CrossSiteFlow }>();
  /** NAT entries ('in' / 'out') of each cross-site flow the gateway removed (idle). */
  private readonly gone = new Map<string, Set<string>>();
  /** Connected switches of the DC, by name. */
  readonly connections = new Map<string, SwitchConnection>();
  /** Switches reconciled at least once since they connected. */
  readonly reconciled = new Set<string>();
  /** What the last successful reconcile of each switch left on it (for incremental reconciles). */
  private readonly applied = new Map<string, InstalledFlow[]>();
  /** Keys of flows a switch reported removed while a reconcile of it runs. */
  private readonly removedDuring = new Map<string, Set<string>>();
  private readonly desired = new Map<string, DesiredState>();
  private readonly queues = new Map<string, Promise<unknown>>();
  private exclusiveTail: Promise<void> = Promise.resolve();

  constructor(private readonly opts: LocalControllerOptions) {
    super();
    this.model = DcModel.fromTopology(opts.topology, opts.dc, opts.vms);
    this.gatewayMac = opts.gatewayMac ?? XSITE_GATEWAY_MAC;
    this.managers = opts.managers ?? [classifyManager, arpManager, l2Manager, gatewayNatManager(opts.nat), migrationHoldManager];
  }

  /** The desired state of `switchName` after applying every manager to the current model. */
  desiredState(switchName: string): DesiredState {
    let d = this.desired.get(switchName);
    if (d === undefined) {
      d = new DesiredState();
      this.desired.set(switchName, d);
    }
    for (const m of this.managers) managerChanges(d, m, this.model, switchName);
    return d;
  }

  /**
   * Reconciles switch `switchName` (queued behind any reconcile of it in progress); see ReconcileOptions.refresh.
   * `incremental`: diff against what the last reconcile of this switch left there instead of reading its flows (the
   * fast path for migrations and NAT set-ups; a full reconcile when there was none since the switch connected).
   */
  reconcileSwitch(switchName: string, refresh?: ReconcileOptions['refresh'], incremental = false): Promise<ReconcileReport> {
    const run = async (): Promise<ReconcileReport> => {
      const conn = this.connections.get(switchName);
      if (conn === undefined) throw new Error(`switch ${switchName} is not connected`);
      const desired = this.desiredState(switchName);
      try {
        const opts: ReconcileOptions = {
          managersOwned: this.managers.map((m) => m.id),
          ...(this.opts.mode !== undefined ? { mode: this.opts.mode } : {}),
          ...(refresh !== undefined ? { refresh } : {}),
        };
        const last = incremental ? this.applied.get(switchName) : undefined;
        // Flows the switch reports removed while this reconcile runs are not in the picture it leaves (they may be in
        // `desired`, read before): better one ADD too many next time than a desired flow believed installed.
        const removed = new Set<string>();
        this.removedDuring.set(switchName, removed);
        let report: ReconcileReport;
        try {
          report = last !== undefined ? await reconcileAgainst(conn, desired, last, opts) : await reconcile(conn, desired, opts);
        } catch (e) {
          this.applied.delete(switchName);
          throw e;
        } finally {
          if (this.removedDuring.get(switchName) === removed) this.removedDuring.delete(switchName);
        }
        this.applied.set(switchName, snapshotOf(desired).filter((f) => !removed.has(f.key)));
        this.counters.reconciles++;
        this.reconciled.add(switchName);
        this.emit('reconciled', switchName, report);
        return report;
      } catch (e) {
        this.counters.reconcileErrors++;
        this.emit('reconcile_error', switchName, e);
        throw e;
      }
    };
    const prev = this.queues.get(switchName) ?? Promise.resolve();
    const next = prev.then(run, run);
    this.queues.set(switchName, next.catch(() => undefined));
    return next;
  }

  /** Replaces the directory's VMs and reconciles every connected switch; resolves with the reports by switch. */
  private async setVmsNow(vms: readonly DirectoryVm[]): Promise<Map<string, ReconcileReport>> {
    this.model = this.model.withVms(vms);
    const names = [...this.connections.keys()];
    const reports = await Promise.all(names.map((n) => this.reconcileSwitch(n)));
    return new Map(names.map((n, i) => [n, reports[i]!]));
  }

  /** The cross-site flows this DC's gateway carries now. */
  get crossSiteFlows(): readonly CrossSiteFlow[] {
    return this.model.crossSite;
  }

  /** A mark to pass to {@link setCrossSite}: changes made by jobs after it win over a resync asked for before it. */
  crossSiteMark(): number {
    return this.crossSiteSeq;
  }

  /**
   * Replaces the cross-site flows (a resync from central) and reconciles the gateway switch if connected. With `mark`
   * (from {@link crossSiteMark} taken before the resync was asked for), flows installed or removed by jobs since
   * then keep their newer state: the resync answer may predate them.
   */
  private async setCrossSiteNow(flows: readonly CrossSiteFlow[], mark?: number): Promise<ReconcileReport | undefined> {
    const next = new Map(flows.map((f) => [f.id, f]));
    if (mark !== undefined) {
      for (const [id, c] of this.crossSiteChanges) {
        if (c.seq <= mark) continue;
        if (c.flow !== undefined) next.set(id, c.flow);
        else next.delete(id);
      }
    }
    this.model = this.model.withCrossSite([...next.values()]);
    this.gone.clear();
    return this.reconcileGateway(false, undefined, false);
  }

  /** Adds (or replaces) one cross-site flow and has the gateway switch confirm it (LOCAL_GATEWAY_DOWN if not connected). */
  private async installCrossSiteNow(flow: CrossSiteFlow): Promise<ReconcileReport | undefined> {
    this.noteChange(flow.id, flow);
    this.model = this.model.withCrossSite([...this.model.crossSite.filter((f) => f.id !== flow.id), flow]);
    this.gone.delete(flow.id);
    // A set-up of a flow whose NAT flows are still on the switch (e.g. put back by a resync) sends them again, so
    // their idle timeouts restart now rather than expire under the packets this set-up releases.
    const cookie = makeCookie(NAT_MANAGER, natCookie(flow.id));
    const report = await this.reconcileGateway(true, (f) => f.cookie === cookie);
    await this.rebasePrecomputed(flow.id, flow);
    return report;
  }

  /** Removes a cross-site flow and its NAT flows from the gateway switch. */
  private async removeCrossSiteNow(flowId: string): Promise<ReconcileReport | undefined> {
    this.noteChange(flowId, undefined);
    this.model = this.model.withCrossSite(this.model.crossSite.filter((f) => f.id !== flowId));
    this.gone.delete(flowId);
    const report = await this.reconcileGateway(false);
    await this.rebasePrecomputed(flowId, undefined);
    return report;
  }

  /**
   * Cross-site flow `id` of other VMs was set up (`flow`) or closed while switchovers were precomputed here: the model
   * and the gateway's flows changed under their bundles, and central's switchover will bring the change too. Each is
   * computed again with it (precomputed-switchover.ts, withFlowChange), so that the pause still only commits.
   */
  private async rebasePrecomputed(id: string, flow: CrossSiteFlow | undefined): Promise<void> {
    for (const [vm, pre] of [...this.precomputed]) {
      // Only what changed the cross-site flows since (anything else, a directory change say, voids it as before).
      if (!pre.base.differsOnlyInCrossSite(this.model)) continue;
      const crossSite = withFlowChange(vm, pre.args.crossSite, id, flow);
      if (crossSite === undefined) continue;
      try {
        await this.precomputeNow(vm, pre.args.vms, crossSite, { holdUntilRelease: pre.args.keep });
        this.counters.switchoversRecomputed++;
      } catch {
        // The switchover computes it all in the pause then; the flow's own change is done.
        this.dropPrecomputed(vm);
      }
    }
  }

  private noteChange(id: string, flow: CrossSiteFlow | undefined): void {
    this.crossSiteChanges.delete(id);
    this.crossSiteChanges.set(id, { seq: ++this.crossSiteSeq, ...(flow !== undefined ? { flow } : {}) });
    // Bounded: only recent changes can race with a resync.
    if (this.crossSiteChanges.size > 4096) this.crossSiteChanges.delete(this.crossSiteChanges.keys().next().value!);
  }

  private async reconcileGateway(required: boolean, refresh?: ReconcileOptions['refresh'], incremental = true): Promise<ReconcileReport | undefined> {
    const gw = gatewaySwitchOf(this.model);
    if (gw === undefined || !this.connections.has(gw)) {
      if (required) throw new XsiteError('LOCAL_GATEWAY_DOWN', `the gateway switch of ${this.model.dc} is not connected`, { dc: this.model.dc, switch: gw ?? null });
      return undefined;
    }
    return this.reconcileSwitch(gw, refresh, incremental);
  }

  // ---- migrations (seed 000 section 5)

  /** Frames held for VMs being paused, by VM name: the frame and the port it came in on. */
  private readonly heldFrames = new Map<string, { switch: string; inPort: number; data: Buffer }[]>();
  /** Switchovers computed ahead, by VM (precomputed-switchover.ts). */
  private readonly precomputed = new Map<string, PrecomputedSwitchover>();
  /** Switchovers committed ahead of the `switchover` job (commitAhead): the model and inputs they were for. */
  private readonly committedEarly = new Map<string, { model: DcModel; inputs: string; arriving: boolean }>();
  /** VMs that departed (DcModel.departed): the migration that moved each, and the timer that settles it at the latest. */
  private readonly departures = new Map<string, { migrationId?: string; timer: NodeJS.Timeout }>();
  /** Cross-site flows staged for the migration of each VM (DcModel.staged is their union). */
  private readonly stagedFor = new Map<string, readonly CrossSiteFlow[]>();

  /** Frames held now for `vm` (a copy). */
  heldFor(vm: string): number {
    return this.heldFrames.get(vm)?.length ?? 0;
  }

  /** A VM migrating into this DC will be plugged into `vm.switch` port `vm.port`: classify its frames there from now on. */
  private async prepareIncomingNow(vm: DirectoryVm): Promise<Map<string, ReconcileReport>> {
    this.forgetDeparture(vm.name);
    this.model = this.model.withMigrations({
      incoming: [...this.model.incoming.filter((v) => v.name !== vm.name), vm],
      departed: this.model.departed.filter((v) => v.name !== vm.name),
    });
    // The arrival guard on its new switch sends frames that come early to the controller, which holds them.
    if (!this.heldFrames.has(vm.name)) this.heldFrames.set(vm.name, []);
    return this.reconcileConnected();
  }

  /** Starts holding the frames sent to `vm` (a VM of this DC about to be paused). */
  private async holdNow(vm: string): Promise<Map<string, ReconcileReport>> {
    if (!this.model.holding.includes(vm)) this.model = this.model.withMigrations({ holding: [...this.model.holding, vm] });
    if (!this.heldFrames.has(vm)) this.heldFrames.set(vm, []);
    return this.reconcileConnected();
  }

  /**
   * The cross-site flows of `vm` as its migration will set them up (new tuples): the gateway installs their NAT flows
   * that no live packet matches yet (managers/gateway-nat.ts), so the switchover has less to change. Replaces what
   * was staged for `vm` before; an empty list unstages.
   */
  private async stageNow(vm: string, flows: readonly CrossSiteFlow[]): Promise<Map<string, ReconcileReport>> {
    this.setStaged(vm, flows);
    const gw = gatewaySwitchOf(this.model);
    const out = new Map<string, ReconcileReport>();
    if (gw !== undefined && this.connections.has(gw)) out.set(gw, await this.reconcileSwitch(gw, undefined, true));
    return out;
  }

  /** What is staged for `vm` (none: `[]`); the model's staged flows follow. */
  private setStaged(vm: string, flows: readonly CrossSiteFlow[]): void {
    if (flows.length > 0) this.stagedFor.set(vm, [...flows]);
    else this.stagedFor.delete(vm);
    this.model = this.model.withMigrations({ staged: [...this.stagedFor.values()].flat() });
  }

  /**
   * The switchover of a migration in this DC: the directory (the VM at its new place) and the cross-site flows change
   * together, every connected switch is reconciled once (the hold and the arrival state of `vm` end in the same
   * bundles), then the frames held for `vm` are sent on through the new flows. A VM arriving from another DC has its
   * arrival guards (managers/migration-arrival.ts) in place, so every switch flips at once; otherwise switch by switch
   * from the VM's new switch outwards. When `precompute` computed this very switchover before the pause and nothing
   * changed since, each switch only commits the bundle opened then. Resolves with the reports by switch.
   */
  private async switchoverNow(vm: string, vms: readonly DirectoryVm[], crossSite: readonly CrossSiteFlow[], opts: { holdUntilRelease?: boolean; migrationId?: string } = {}): Promise<Map<string, ReconcileReport>> {
    // The destination keeps holding frames to the VM (now at its new port) until it runs there (`release`).
    const keep = opts.holdUntilRelease === true;
    const early = this.committedEarly.get(vm);
    if (early !== undefined) {
      // `commitAhead` flipped the switches to what was expected: the switchover brings the actual inputs (their
      // set-up generations, or a change since); nothing to do on the switches when they are the same.
      this.committedEarly.delete(vm);
      const unchanged = early.model === this.model && early.inputs === switchoverInputs(vm, vms, crossSite, keep);
      this.model = this.model.withVms(vms).withCrossSite(crossSite);
      if (unchanged) return new Map();
      this.counters.switchoversCorrected++;
      return this.reconcileConnected(early.arriving ? undefined : this.anchorOf(vm));
    }
    const { model, arriving } = this.switchoverModel(vm, vms, crossSite, keep);
    if (model.departed.some((v) => v.name === vm) && !this.model.departed.some((v) => v.name === vm)) this.noteDeparture(vm, opts.migrationId);
    else if (!model.departed.some((v) => v.name === vm)) this.forgetDeparture(vm);
    const pre = this.precomputed.get(vm);
    this.dropPrecomputed(vm, false);
    const usable = pre !== undefined && pre.base === this.model && pre.inputs === switchoverInputs(vm, vms, crossSite, keep);
    this.stagedFor.delete(vm);
    this.model = model;
    this.gone.clear();
    // Frames held here before (by the arrival guard) wait for the release with the new ones.
    if (keep && !this.heldFrames.has(vm)) this.heldFrames.set(vm, []);
    if (pre !== undefined && !usable) this.discardBundles(pre);
    if (usable) this.counters.switchoversPrecomputed++;
    else this.counters.switchoversNotPrecomputed++;
    const each = usable ? (n: string) => this.commitPrecomputed(n, pre.switches.get(n)) : undefined;
    return this.reconcileConnected(arriving ? undefined : this.anchorOf(vm), each);
  }

  /**
   * Commits the switchover precomputed for `vm` as it was expected, ahead of the `switchover` itself (central sends
   * this as the pause begins, while it still updates its directory): when the model did not change since, every switch
   * commits its bundle and the model becomes the expected one; the `switchover` that follows then only checks that it
   * brings the same. Resolves with the reports by switch, or undefined when nothing was committed (nothing
   * precomputed, or the model changed: the `switchover` does it all).
   */
  private async commitAheadNow(vm: string): Promise<Map<string, ReconcileReport> | undefined> {
    const pre = this.precomputed.get(vm);
    if (pre === undefined || pre.base !== this.model || pre.next === undefined) return undefined;
    this.dropPrecomputed(vm, false);
    this.stagedFor.delete(vm);
    this.model = pre.next.model;
    this.gone.clear();
    if (pre.next.keep && !this.heldFrames.has(vm)) this.heldFrames.set(vm, []);
    this.committedEarly.set(vm, { model: this.model, inputs: pre.inputs, arriving: pre.next.arriving });
    this.counters.switchoversPrecomputed++;
    return this.reconcileConnected(pre.next.arriving ? undefined : this.anchorOf(vm), (n) => this.commitPrecomputed(n, pre.switches.get(n)));
  }

  /**
   * The model after the switchover of `vm` (see switchoverNow) and whether the VM arrives from another DC. A VM
   * arriving had its arrival guards installed ahead: every switch flips at once.
   */
  private switchoverModel(vm: string, vms: readonly DirectoryVm[], crossSite: readonly CrossSiteFlow[], keep: boolean): { model: DcModel; arriving: boolean } {
    const holding = this.model.holding.filter((v) => v !== vm);
    if (keep) holding.push(vm);
    const arriving = keep && this.model.incoming.some((v) => v.name === vm) && !this.model.localVms().some((v) => v.name === vm);
    const settling = this.model.settling.filter((v) => v !== vm);
    if (arriving) settling.push(vm);
    const staged = [...this.stagedFor].filter(([v]) => v !== vm).flatMap(([, flows]) => flows);
    const moved = this.model.withVms(vms);
    // A VM that leaves this DC, while VMs of its VN stay here: frames they sent to its old place are turned back until
    // the migration settled (managers/migration-departure.ts).
    const was = this.model.localVms().find((v) => v.name === vm);
    const stays = moved.localVms().some((v) => v.name === vm);
    const leaves = was !== undefined && !stays && moved.localVms().some((v) => v.tenant === was.tenant && v.vn === was.vn);
    // An earlier departure of the VM goes when it is back here or leaves again (a second switchover of the same move,
    // as recovery sends, keeps it).
    const departed = [...this.model.departed.filter((v) => v.name !== vm || (!stays && !leaves)), ...(leaves ? [was] : [])];
    const model = moved
      .withCrossSite(crossSite)
      .withMigrations({ incoming: this.model.incoming.filter((v) => v.name !== vm), holding, settling, staged, departed });
    return { model, arriving };
  }

  /**
   * Computes the switchover of `vm` that central expects in the pause (the same inputs as `switchover`) and opens on
   * each connected switch a bundle with the changes, uncommitted (precomputed-switchover.ts). Replaces what was
   * precomputed for `vm` before. Resolves with the number of flow changes waiting in bundles.
   */
  private async precomputeNow(vm: string, vms: readonly DirectoryVm[], crossSite: readonly CrossSiteFlow[], opts: { holdUntilRelease?: boolean } = {}): Promise<number> {
    this.dropPrecomputed(vm);
    const keep = opts.holdUntilRelease === true;
    const pre: PrecomputedSwitchover = { base: this.model, inputs: switchoverInputs(vm, vms, crossSite, keep), args: { vms, crossSite, keep }, switches: new Map() };
    if (this.opts.mode === 'plain') return 0;
    const { model, arriving } = this.switchoverModel(vm, vms, crossSite, keep);
    pre.next = { model, arriving, keep };
    let changes = 0;
    const opened = [...this.connections].map(async ([name, conn]) => {
      const applied = this.applied.get(name);
      // A switch without a picture of its flows (not reconciled yet) reconciles as usual in the switchover.
      if (applied === undefined) return;
      const plan = planSwitch(this.managers, model, name, applied);
      const entry: PrecomputedSwitch = { conn, applied, desired: plan.desired, snapshot: plan.snapshot, report: plan.report };
      if (plan.messages.length > 0) {
        try {
          entry.bundle = await conn.openBundle(plan.messages, { flags: ONF_BF.ATOMIC | ONF_BF.ORDERED });
        } catch {
          return;
        }
        changes += plan.messages.length;
      }
      pre.switches.set(name, entry);
    });
    await Promise.all(opened);
    pre.timer = setTimeout(() => this.dropPrecomputed(vm), PRECOMPUTED_TTL_MS);
    pre.timer.unref();
    this.precomputed.set(vm, pre);
    return changes;
  }

  /** Forgets what was precomputed for `vm`; `discard`: and discards its bundles on the switches. */
  private dropPrecomputed(vm: string, discard = true): void {
    const pre = this.precomputed.get(vm);
    if (pre === undefined) return;
    this.precomputed.delete(vm);
    clearTimeout(pre.timer);
    if (discard) this.discardBundles(pre);
  }

  private discardBundles(pre: PrecomputedSwitchover): void {
    for (const e of pre.switches.values()) if (e.bundle !== undefined) void e.conn.discardBundle(e.bundle);
  }

  /**
   * Switch `switchName`'s part of a precomputed switchover (queued like a reconcile of it): commits its bundle, when
   * the switch still holds what the bundle was computed against; otherwise (or when the commit fails) an incremental
   * reconcile as usual.
   */
  private commitPrecomputed(switchName: string, entry: PrecomputedSwitch | undefined): Promise<ReconcileReport> {
    if (entry === undefined) return this.reconcileSwitch(switchName, undefined, true);
    const run = async (): Promise<ReconcileReport | undefined> => {
      if (this.applied.get(switchName) !== entry.applied || this.connections.get(switchName) !== entry.conn) {
        if (entry.bundle !== undefined) void entry.conn.discardBundle(entry.bundle);
        return undefined;
      }
      const t0 = performance.now();
      const removed = new Set<string>();
      this.removedDuring.set(switchName, removed);
      try {
        if (entry.bundle !== undefined) await entry.conn.commitBundle(entry.bundle);
      } catch {
        // Nothing of it applied (a bundle is atomic), or the switch went away: a full reconcile knows.
        this.applied.delete(switchName);
        return undefined;
      } finally {
        if (this.removedDuring.get(switchName) === removed) this.removedDuring.delete(switchName);
      }
      this.desired.set(switchName, entry.desired);
      this.applied.set(switchName, entry.snapshot.filter((f) => !removed.has(f.key)));
      const report: ReconcileReport = { ...entry.report, via: entry.bundle !== undefined ? 'bundle' : 'none', ms: performance.now() - t0 };
      this.counters.reconciles++;
      this.reconciled.add(switchName);
      this.emit('reconciled', switchName, report);
      return report;
    };
    const prev = this.queues.get(switchName) ?? Promise.resolve();
    const next = prev.then(run, run);
    this.queues.set(switchName, next.catch(() => undefined));
    return next.then((r) => r ?? this.reconcileSwitch(switchName, undefined, true));
  }

  /**
   * Takes the frames held here for `vm` (a DC it left): they go to its new place with the release (central hands them
   * to the destination), not through this DC's flows, which may not lead there (e.g. when the sender is in the VM's
   * new DC and its cross-site flow was closed by the move).
   */
  takeHeld(vm: string): Buffer[] {
    const frames = (this.heldFrames.get(vm) ?? []).map((f) => f.data);
    if (!this.model.holding.includes(vm)) this.heldFrames.delete(vm);
    else this.heldFrames.set(vm, []);
    return frames;
  }

  /**
   * The VM runs at its new place in this DC: stop holding its frames, deliver `handed` (held elsewhere, oldest first),
   * then those held here; `settled`: its arrival guards go too (else they stay for frames still bouncing between
   * switches that flipped at different moments). Resolves with the number of frames delivered.
   */
  private async releaseNow(vm: string, handed: readonly Buffer[] = [], settled = true): Promise<number> {
    const here = this.model.localVms().find((v) => v.name === vm);
    const conn = here !== undefined ? this.connections.get(here.switch!) : undefined;
    let n = 0;
    if (here !== undefined && conn !== undefined) {
      for (const data of handed) {
        conn.send({ type: 'packet_out', bufferId: OFP_NO_BUFFER, inPort: OFPP.CONTROLLER, actions: toVmPort(here.port!), data });
        n++;
      }
      this.counters.heldReleased += n;
    } else this.counters.heldDropped += handed.length;
    n += this.heldFor(vm);
    const settling = settled ? this.model.settling.filter((v) => v !== vm) : this.model.settling;
    this.model = this.model.withMigrations({ holding: this.model.holding.filter((v) => v !== vm), settling });
    await this.reconcileConnected(this.anchorOf(vm));
    this.releaseHeld(vm);
    return n;
  }

  /**
   * The migration of `vm`, which left this DC, has settled: the returns for frames still on their way to its old
   * place go (managers/migration-departure.ts). Resolves with the reports by switch (none when it had none).
   */
  private async settleDepartureNow(vm: string, migrationId?: string): Promise<Map<string, ReconcileReport>> {
    const mine = this.departures.get(vm);
    // A settle of an earlier migration of the VM leaves a later departure alone.
    if (migrationId !== undefined && mine?.migrationId !== undefined && mine.migrationId !== migrationId) return new Map();
    this.forgetDeparture(vm);
    if (!this.model.departed.some((v) => v.name === vm)) return new Map();
    this.model = this.model.withMigrations({ departed: this.model.departed.filter((v) => v.name !== vm) });
    return this.reconcileConnected();
  }

  /** The departure of `vm` (its migration `migrationId`) began: it settles by itself after DEPARTED_TTL_MS at the latest. */
  private noteDeparture(vm: string, migrationId: string | undefined): void {
    this.forgetDeparture(vm);
    const timer = setTimeout(() => void this.settleDeparture(vm, migrationId).catch(() => undefined), this.opts.departedTtlMs ?? DEPARTED_TTL_MS);
    timer.unref();
    this.departures.set(vm, { ...(migrationId !== undefined ? { migrationId } : {}), timer });
  }

  private forgetDeparture(vm: string): void {
    clearTimeout(this.departures.get(vm)?.timer);
    this.departures.delete(vm);
  }

  /** A migration of `vm` was abandoned: no arrival here, no hold; frames held go on to where the VM still is. */
  private async abortMigrationNow(vm: string): Promise<Map<string, ReconcileReport>> {
    this.dropPrecomputed(vm);
    this.committedEarly.delete(vm);
    this.setStaged(vm, []);
    this.model = this.model.withMigrations({
      incoming: this.model.incoming.filter((v) => v.name !== vm),
      holding: this.model.holding.filter((v) => v !== vm),
      settling: this.model.settling.filter((v) => v !== vm),
    });
    const reports = await this.reconcileConnected(this.anchorOf(vm));
    this.releaseHeld(vm);
    return reports;
  }

  /**
   * Sends the frames held for `vm` on towards where the VM is now: to its port when it is plugged into the holding
   * switch, else out of the inner port towards its new switch (same DC) or towards the DC's gateway (another DC; the
   * gateway's flows take over there). OpenFlow drops an output to the port a frame came in on, so that case uses
   * IN_PORT.
   */
  private releaseHeld(vm: string): void {
    const frames = this.heldFrames.get(vm) ?? [];
    this.heldFrames.delete(vm);
    for (const f of frames) {
      const conn = this.connections.get(f.switch);
      const actions = this.actionsTowards(vm, f.switch, f.inPort);
      if (conn === undefined || actions === undefined) {
        this.counters.heldDropped++;
        continue;
      }
      conn.send({ type: 'packet_out', bufferId: OFP_NO_BUFFER, inPort: f.inPort, actions, data: f.data });
      this.counters.heldReleased++;
    }
  }

  /**
   * Actions that send a frame of `vm`'s VN, now on switch `sw` (came in on `inPort`), on towards where `vm` is: its
   * port when it is plugged into `sw`, else the inner port towards its switch (this DC) or towards the DC's gateway
   * (another DC). OpenFlow drops an output to the input port, so that case uses IN_PORT. Undefined when there is no
   * way from here.
   */
  private actionsTowards(vm: string, sw: string, inPort: number): Action[] | undefined {
    const dvm = this.model.vms.find((v) => v.name === vm);
    const vn = dvm !== undefined ? this.model.vns.get(`${dvm.tenant}/${dvm.vn}`) : undefined;
    if (vn === undefined) return undefined;
    const here = this.model.localVms().find((v) => v.name === vm);
    if (here !== undefined && here.switch === sw) return toVmPort(here.port!);
    const target = here !== undefined ? here.switch! : gatewaySwitchOf(this.model);
    if (target === undefined) return undefined;
    if (target === sw) return [{ type: 'output', port: OFPP.TABLE, maxLen: 0 }];
    const port = this.model.nextHop(sw, target);
    if (port === undefined) return undefined;
    return toInnerPort(this.model, vn, port).map((a) => (a.type === 'output' && a.port === inPort ? { ...a, port: OFPP.IN_PORT } : a));
  }

  /**
   * Incremental reconcile of every connected switch. With `anchor`, switch by switch in order of distance from it
   * (same distance together): when traffic moves towards the anchor (a VM's new switch, or the gateway for a VM that
   * left), every switch that already forwards the new way sends frames only to switches that do too. Updated in
   * parallel, a fabric switch could still send a frame back to a gateway that already forwards it towards the fabric:
   * an output to the input port, which OpenFlow drops.
   */
  private async reconcileConnected(anchor?: string, each = (n: string) => this.reconcileSwitch(n, undefined, true)): Promise<Map<string, ReconcileReport>> {
    const names = [...this.connections.keys()];
    const out = new Map<string, ReconcileReport>();
    if (anchor === undefined || !this.model.switches.has(anchor)) {
      const reports = await Promise.all(names.map(each));
      names.forEach((n, i) => out.set(n, reports[i]!));
      return out;
    }
    const levels = new Map<number, string[]>();
    for (const n of names) {
      const d = this.distance(n, anchor);
      const l = levels.get(d) ?? [];
      l.push(n);
      levels.set(d, l);
    }
    for (const d of [...levels.keys()].sort((a, b) => a - b)) {
      const level = levels.get(d)!;
      const reports = await Promise.all(level.map(each));
      level.forEach((n, i) => out.set(n, reports[i]!));
    }
    return out;
  }

  /** Hops from switch `from` to switch `to` inside the DC (Infinity when unreachable). */
  private distance(from: string, to: string): number {
    let at = from;
    for (let hops = 0; hops <= this.model.switches.size; hops++) {
      if (at === to) return hops;
      const port = this.model.nextHop(at, to);
      const peer = port !== undefined ? this.model.switch(at).ports.get(port) : undefined;
      if (peer === undefined || peer.kind !== 'switch') return Infinity;
      at = peer.switch;
    }
    return Infinity;
  }

  /** Where traffic to `vm` goes in this DC once the model is current: its switch, or the gateway when it is elsewhere. */
  private anchorOf(vm: string): string | undefined {
    const here = this.model.localVms().find((v) => v.name === vm);
    return here !== undefined ? here.switch : gatewaySwitchOf(this.model);
  }

  /**
   * Changes of the model made by jobs and syncs run one at a time, each with its reconciles: a migration's switch-by-
   * switch order (reconcileConnected) would not hold if another change reconciled a switch in the middle of it.
   * The public methods below queue the private `...Now` ones.
   */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.exclusiveTail.then(fn, fn);
    this.exclusiveTail = next.then(
      () => undefined,
      () => undefined,
    );
    return next;
  }

  setVms(vms: readonly DirectoryVm[]): Promise<Map<string, ReconcileReport>> {
    return this.exclusive(() => this.setVmsNow(vms));
  }

  setCrossSite(flows: readonly CrossSiteFlow[], mark?: number): Promise<ReconcileReport | undefined> {
    return this.exclusive(() => this.setCrossSiteNow(flows, mark));
  }

  installCrossSite(flow: CrossSiteFlow): Promise<ReconcileReport | undefined> {
    return this.exclusive(() => this.installCrossSiteNow(flow));
  }

  removeCrossSite(flowId: string): Promise<ReconcileReport | undefined> {
    return this.exclusive(() => this.removeCrossSiteNow(flowId));
  }

  prepareIncoming(vm: DirectoryVm): Promise<Map<string, ReconcileReport>> {
    return this.exclusive(() => this.prepareIncomingNow(vm));
  }

  stage(vm: string, flows: readonly CrossSiteFlow[]): Promise<Map<string, ReconcileReport>> {
    return this.exclusive(() => this.stageNow(vm, flows));
  }

  hold(vm: string): Promise<Map<string, ReconcileReport>> {
    return this.exclusive(() => this.holdNow(vm));
  }

  switchover(vm: string, vms: readonly DirectoryVm[], crossSite: readonly CrossSiteFlow[], opts: { holdUntilRelease?: boolean; migrationId?: string } = {}): Promise<Map<string, ReconcileReport>> {
    return this.exclusive(() => this.switchoverNow(vm, vms, crossSite, opts));
  }

  precompute(vm: string, vms: readonly DirectoryVm[], crossSite: readonly CrossSiteFlow[], opts: { holdUntilRelease?: boolean } = {}): Promise<number> {
    return this.exclusive(() => this.precomputeNow(vm, vms, crossSite, opts));
  }

  commitAhead(vm: string): Promise<Map<string, ReconcileReport> | undefined> {
    return this.exclusive(() => this.commitAheadNow(vm));
  }

  release(vm: string, handed: readonly Buffer[] = [], opts: { settled?: boolean } = {}): Promise<number> {
    return this.exclusive(() => this.releaseNow(vm, handed, opts.settled !== false));
  }

  /** See settleDepartureNow: `migrationId`, when given, must be the departure's. */
  settleDeparture(vm: string, migrationId?: string): Promise<Map<string, ReconcileReport>> {
    return this.exclusive(() => this.settleDepartureNow(vm, migrationId));
  }

  abortMigration(vm: string): Promise<Map<string, ReconcileReport>> {
    return this.exclusive(() => this.abortMigrationNow(vm));
  }

  /** Reconciles every connected switch again. */
  async reconcileAll(): Promise<Map<string, ReconcileReport>> {
    return this.setVms(this.model.vms);
  }

  /** Resolves once every switch of the DC has connected and been reconciled (rejects after `timeoutMs`). */
  waitForSwitches(timeoutMs = 10000): Promise<void> {
    const all = () => [...this.model.switches.keys()].every((n) => this.reconciled.has(n));
    if (all()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off('reconciled', check);
        reject(new Error(`${this.reconciled.size}/${this.model.switches.size} switches of ${this.model.dc} reconciled after ${timeoutMs} ms`));
      }, timeoutMs);
      const check = () => {
        if (!all()) return;
        clearTimeout(timer);
        this.off('reconciled', check);
        resolve();
      };
      this.on('reconciled', check);
    });
  }

  // ---- ControllerApp

  async onSwitchReady(conn: SwitchConnection): Promise<void> {
    const sw = this.model.switchByDpid(conn.datapathId);
    if (sw === undefined) return; // another DC's switch
    this.connections.set(sw.name, conn);
    this.reconciled.delete(sw.name);
    this.applied.delete(sw.name);
    await this.reconcileSwitch(sw.name);
  }

  onSwitchGone(conn: SwitchConnection): void {
    const sw = this.model.switchByDpid(conn.datapathId);
    if (sw !== undefined && this.connections.get(sw.name) === conn) {
      this.connections.delete(sw.name);
      this.reconciled.delete(sw.name);
    }
  }

  /**
   * A packet-in this controller drops: counted, and emitted as `ignored` (reason, a one-line summary of the packet)
   * so a lost probe can be told from what the controllers dropped around it.
   */
  private ignore(reason: string, pkt: Packet | undefined): void {
    this.counters.packetInsIgnored++;
    if (this.listenerCount('ignored') === 0) return;
    const ip = pkt?.ipv4;
    const l4 = pkt?.tcp ?? pkt?.udp;
    const what = ip === undefined ? (pkt !== undefined ? `${pkt.eth.src} > ${pkt.eth.dst}` : 'unparsable') : `${ip.protocol === IPPROTO.ICMP ? 'icmp' : ip.protocol === IPPROTO.TCP ? 'tcp' : ip.protocol === IPPROTO.UDP ? 'udp' : `ip ${ip.protocol}`} ${ip.src}${l4 !== undefined ? `:${l4.srcPort}` : ''} > ${ip.dst}${l4 !== undefined ? `:${l4.dstPort}` : ''}`;
    this.emit('ignored', reason, what);
  }

  onPacketIn(conn: SwitchConnection, msg: MessageOf<'packet_in'>): void {
    this.counters.packetIns++;
    const sw = this.model.switchByDpid(conn.datapathId);
    if (sw !== undefined && cookieManager(msg.cookie) === MIGRATION_MANAGER) {
      this.holdFrame(conn, sw.name, msg);
      return;
    }
    if (sw !== undefined && msg.tableId === NAT_TABLE && cookieManager(msg.cookie) === NAT_MANAGER) {
      if (cookieLocal(msg.cookie) === WAN_MISS_COOKIE) this.wanPacket(conn, msg);
      else this.firstPacket(conn, msg);
      return;
    }
    const inPortTlv = msg.match.find((t) => t.field === 'in_port');
    const inPort = inPortTlv !== undefined && inPortTlv.field !== 'raw' ? Number(inPortTlv.value) : undefined;
    const vm = sw !== undefined && inPort !== undefined ? this.model.vmAt(sw.name, inPort) : undefined;
    const parsed = tryParsePacket(msg.data);
    if (vm === undefined || !parsed.ok || parsed.packet.eth.src !== vm.mac || parsed.packet.arp === undefined) {
      this.ignore('not an ARP request of a VM of this switch', parsed.ok ? parsed.packet : undefined);
      return;
    }
    const decision: ArpDecision = explainArp(this.model, this.model.vnOf(vm).id, parsed.packet, this.gatewayMac);
    this.emit('arp', sw!.name, inPort, decision);
    if (decision.answer === 'none') {
      this.counters.arpUnanswered++;
      return;
    }
    this.counters.arpAnswered++;
    conn.send({
      type: 'packet_out',
      bufferId: OFP_NO_BUFFER,
      inPort: OFPP.CONTROLLER,
      actions: [{ type: 'output', port: inPort!, maxLen: 0 }],
      data: decision.frame,
    });
  }

  onFlowRemoved(conn: SwitchConnection, msg: MessageOf<'flow_removed'>): void {
    const sw = this.model.switchByDpid(conn.datapathId);
    // The switch no longer holds that flow: keep the incremental reconciles' picture of it true.
    const applied = sw !== undefined ? this.applied.get(sw.name) : undefined;
    if (sw !== undefined) this.removedDuring.get(sw.name)?.add(flowKey(msg));
    if (sw !== undefined && applied !== undefined) {
      const key = flowKey(msg);
      // A new array: a precomputed bundle was computed against the old one (compared by identity).
      if (applied.some((f) => f.key === key)) this.applied.set(sw.name, applied.filter((f) => f.key !== key));
    }
    if (sw === undefined || sw.name !== gatewaySwitchOf(this.model) || cookieManager(msg.cookie) !== NAT_MANAGER) return;
    if (msg.reason !== OFPRR.IDLE_TIMEOUT && msg.reason !== OFPRR.HARD_TIMEOUT) return;
    const local = cookieLocal(msg.cookie);
    if (!isNatCookie(local)) return;
    const flow = this.model.crossSite.find((f) => natCookie(f.id) === local);
    if (flow === undefined) return;
    let gone = this.gone.get(flow.id);
    if (gone === undefined) this.gone.set(flow.id, (gone = new Set()));
    gone.add(msg.match.some((t) => t.field === 'in_port') ? 'in' : 'out');
    if (gone.size < 2) return;
    // Both NAT flows of this gateway timed out: forget the flow here and tell central (which closes it once every
    // DC of the flow said so, and then sends nat.remove).
    this.gone.delete(flow.id);
    this.model = this.model.withCrossSite(this.model.crossSite.filter((f) => f.id !== flow.id));
    this.counters.crossSiteIdle++;
    this.emit('cross_site_idle', flow.id);
    this.opts.crossSite?.idle(flow.id, flow.gen);
  }

  /**
   * A frame to a VM whose migration pause is on: keep it for {@link releaseHeld}. When the hold has ended meanwhile
   * (the switch sent the packet-in just before the flows changed), the frame goes on towards where the VM is now.
   */
  private holdFrame(conn: SwitchConnection, switchName: string, msg: MessageOf<'packet_in'>): void {
    const inPortTlv = msg.match.find((t) => t.field === 'in_port');
    const inPort = inPortTlv !== undefined && inPortTlv.field !== 'raw' ? Number(inPortTlv.value) : undefined;
    const parsed = tryParsePacket(msg.data);
    const vm = parsed.ok ? this.model.vmByMac(parsed.packet.eth.dst) : undefined;
    const list = vm !== undefined ? this.heldFrames.get(vm.name) : undefined;
    if (vm !== undefined && inPort !== undefined && list === undefined) {
      const actions = this.actionsTowards(vm.name, switchName, inPort);
      if (actions !== undefined) {
        conn.send({ type: 'packet_out', bufferId: OFP_NO_BUFFER, inPort, actions, data: msg.data });
        this.counters.heldReleased++;
        return;
      }
    }
    if (inPort === undefined || list === undefined || list.length >= MAX_HELD_PER_VM) {
      this.counters.heldDropped++;
      return;
    }
    list.push({ switch: switchName, inPort, data: msg.data });
    this.counters.migrationHeld++;
  }

  /**
   * A packet from another DC's gateway found no NAT flow on this gateway. When it belongs to a cross-site flow this
   * DC has (its NAT flows were just installed and the switch's datapath cache still had the old verdict), it is sent
   * on with the flow's inbound actions; anything else is dropped (counted as ignored).
   */
  private wanPacket(conn: SwitchConnection, msg: MessageOf<'packet_in'>): void {
    const inPortTlv = msg.match.find((t) => t.field === 'in_port');
    const inPort = inPortTlv !== undefined && inPortTlv.field !== 'raw' ? Number(inPortTlv.value) : undefined;
    const parsed = tryParsePacket(msg.data);
    if (inPort === undefined || !parsed.ok) {
      this.ignore('WAN packet without in_port or unparsable', undefined);
      return;
    }
    const forward = (): boolean => {
      for (const f of this.model.crossSite) {
        const plan = natPlan(this.model, f);
        if (plan === undefined || !matchesInbound(plan, inPort, parsed.packet)) continue;
        conn.send({ type: 'packet_out', bufferId: OFP_NO_BUFFER, inPort, actions: plan.inbound.apply, data: msg.data });
        this.counters.wanForwarded++;
        return true;
      }
      return false;
    };
    if (forward()) return;
    // Not a flow of ours any more (its NAT flows here timed out a moment before the other gateway's): ask central to
    // set it up again, holding the packet meanwhile. Tuples central does not know are remembered for a second.
    const pkt = parsed.packet;
    const port = this.opts.crossSite;
    const proto = pkt.ipv4?.protocol === IPPROTO.TCP ? 'tcp' : pkt.ipv4?.protocol === IPPROTO.UDP ? 'udp' : pkt.ipv4?.protocol === IPPROTO.ICMP ? 'icmp' : undefined;
    const l4 = pkt.tcp ?? pkt.udp;
    const ports = proto === 'icmp' ? (pkt.vlans[0] !== undefined ? [pkt.vlans[0].vid] : []) : l4 !== undefined ? [l4.srcPort, l4.dstPort] : [];
    if (port?.reopen === undefined || proto === undefined || pkt.ipv4 === undefined || ports.length === 0) {
      this.ignore('WAN packet of no NAT flow, not reopenable', pkt);
      return;
    }
    const key = `${proto}|${pkt.ipv4.src}|${pkt.ipv4.dst}|${ports.join('/')}`;
    const now = Date.now();
    if ((this.unknownTuples.get(key) ?? 0) > now) {
      this.ignore('WAN packet of a tuple central did not know a moment ago', pkt);
      return;
    }
    const waiting = this.heldWan.get(key);
    if (waiting !== undefined) {
      if (waiting.length < (this.opts.maxHeldPerFlow ?? DEFAULT_MAX_HELD_PER_FLOW)) waiting.push({ inPort, data: msg.data });
      else this.counters.heldDropped++;
      return;
    }
    const queue = [{ inPort, data: msg.data }];
    this.heldWan.set(key, queue);
    void port
      .reopen({ type: 'flow.reopen', v: 1, protocol: proto, srcPublicIp: pkt.ipv4.src, dstPublicIp: pkt.ipv4.dst, ports })
      .then(async (flow) => {
        if (!this.model.crossSite.some((f) => f.id === flow.id && f.gen === flow.gen)) await this.installCrossSite(flow);
        this.heldWan.delete(key);
        const plan = natPlan(this.model, flow);
        for (const q of queue) {
          const p = tryParsePacket(q.data);
          if (plan !== undefined && p.ok && matchesInbound(plan, q.inPort, p.packet)) {
            conn.send({ type: 'packet_out', bufferId: OFP_NO_BUFFER, inPort: q.inPort, actions: plan.inbound.apply, data: q.data });
            this.counters.wanForwarded++;
          } else this.counters.heldDropped++;
        }
      })
      .catch((e: unknown) => {
        this.heldWan.delete(key);
        this.emit('cross_site_error', `reopen ${key}`, e);
        this.unknownTuples.set(key, Date.now() + 1000);
        if (this.unknownTuples.size > 4096) this.unknownTuples.clear();
        this.counters.heldDropped += queue.length;
      });
  }

  /**
   * A frame of a VN reached the gateway's first-packet rule: a flow from a VM of this DC to a VM of another DC with no
   * NAT flow yet. Holds it (and any further ones of the same flow), asks central to set the flow up, then sends the
   * held frames on with the flow's outbound NAT actions.
   */
  private firstPacket(conn: SwitchConnection, msg: MessageOf<'packet_in'>): void {
    this.counters.crossSitePacketIns++;
    const parsed = tryParsePacket(msg.data);
    const port = this.opts.crossSite;
    if (!parsed.ok || parsed.packet.ipv4 === undefined || port === undefined) {
      this.ignore('first packet unparsable or without a cross-site port', parsed.ok ? parsed.packet : undefined);
      return;
    }
    const pkt = parsed.packet;
    const ip = pkt.ipv4!;
    const src = this.model.vmByMac(pkt.eth.src);
    const dst = this.model.vmByMac(pkt.eth.dst);
    const protocol = ip.protocol === IPPROTO.TCP ? 'tcp' : ip.protocol === IPPROTO.UDP ? 'udp' : ip.protocol === IPPROTO.ICMP ? 'icmp' : undefined;
    const l4 = pkt.tcp ?? pkt.udp;
    // A frame that was on its way to the gateway when its destination moved into this DC (a migration's switchover):
    // send it on to the destination's new place.
    const inPortTlv = msg.match.find((t) => t.field === 'in_port');
    const inPort = inPortTlv !== undefined && inPortTlv.field !== 'raw' ? Number(inPortTlv.value) : undefined;
    const swName = this.model.switchByDpid(conn.datapathId)?.name;
    if (src !== undefined && dst !== undefined && dst.dc === this.model.dc && src.tenant === dst.tenant && src.vn === dst.vn && inPort !== undefined && swName !== undefined) {
      const actions = this.actionsTowards(dst.name, swName, inPort);
      if (actions !== undefined) {
        conn.send({ type: 'packet_out', bufferId: OFP_NO_BUFFER, inPort, actions, data: msg.data });
        this.counters.heldReleased++;
        return;
      }
    }
    if (
      src === undefined ||
      dst === undefined ||
      protocol === undefined ||
      (protocol !== 'icmp' && l4 === undefined) ||
      src.dc !== this.model.dc ||
      dst.dc === this.model.dc ||
      src.ip !== ip.src ||
      dst.ip !== ip.dst ||
      src.tenant !== dst.tenant ||
      src.vn !== dst.vn
    ) {
      this.ignore(
        src === undefined || dst === undefined ? 'first packet between unknown MACs' : dst.dc === this.model.dc ? 'first packet to a VM of this DC not reachable from here' : src.dc !== this.model.dc ? 'first packet from a VM of another DC' : 'first packet not a cross-site flow of one VN',
        pkt,
      );
      return;
    }
    const srcRef = { ip: src.ip, ...(l4 !== undefined && protocol !== 'icmp' ? { port: l4.srcPort } : {}) };
    const dstRef = { ip: dst.ip, ...(l4 !== undefined && protocol !== 'icmp' ? { port: l4.dstPort } : {}) };
    const id = crossSiteFlowId(protocol, src.tenant, src.vn, srcRef, dstRef);
    const waiting = this.held.get(id);
    if (waiting !== undefined) {
      if (waiting.length < (this.opts.maxHeldPerFlow ?? DEFAULT_MAX_HELD_PER_FLOW)) waiting.push(msg.data);
      else this.counters.heldDropped++;
      return;
    }
    // Even when this DC still has the flow (one of its NAT flows timed out, or a datapath cache of the switch had not
    // caught up yet), ask central: the other gateway may have dropped its half, and central sets up both again.
    const queue = [msg.data];
    this.held.set(id, queue);
    const req: FlowOpenRequest = {
      type: 'flow.open',
      v: 1,
      protocol,
      srcVm: src.name,
      dstVm: dst.name,
      ...(srcRef.port !== undefined ? { srcPort: srcRef.port } : {}),
      ...(dstRef.port !== undefined ? { dstPort: dstRef.port } : {}),
    };
    void port
      .open(req)
      .then(async (flow) => {
        // Normally central's nat.install job for this DC has run already; in-process set-ups may not have one.
        if (!this.model.crossSite.some((f) => f.id === flow.id && f.tuple.port === flow.tuple.port && f.tuple.srcPublicIp === flow.tuple.srcPublicIp)) {
          await this.installCrossSite(flow);
        }
        const plan = natPlan(this.model, flow);
        this.held.delete(id);
        if (plan === undefined) {
          this.counters.heldDropped += queue.length;
          return;
        }
        this.counters.crossSiteOpened++;
        for (const data of queue) {
          conn.send({ type: 'packet_out', bufferId: OFP_NO_BUFFER, inPort: OFPP.CONTROLLER, actions: plan.outbound.apply, data });
          this.counters.heldReleased++;
        }
        this.emit('cross_site_opened', flow);
      })
      .catch((e: unknown) => {
        this.held.delete(id);
        this.counters.crossSiteOpenFailed++;
        this.counters.heldDropped += queue.length;
        this.emit('cross_site_error', id, e);
      });
  }
}
