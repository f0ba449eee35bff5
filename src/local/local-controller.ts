/**
 * The local controller of one data center (seed 000 section 4.2), as an application of an {@link OpenFlowController}:
 * when a switch of its DC connects it reconciles the switch's desired flows (the managers classify, arp and l2,
 * computed from the {@link DcModel}) with `reconcile()`; it answers the ARP requests the vswitches send it with a
 * PACKET_OUT to the port they came from (`answerArp`); when the directory changes (`setVms`) it recomputes and
 * reconciles every connected switch of the DC. Switches of other DCs are ignored. The managers stay pure; this is
 * the only part that does I/O.
 */
import { EventEmitter } from 'node:events';
import { OFP_NO_BUFFER, OFPP } from '../codec/openflow/constants';
import type { MessageOf } from '../codec/openflow/types';
import { tryParsePacket } from '../codec/packet';
import type { Topology } from '../emulator/topology/model';
import type { ControllerApp } from '../openflow/controller';
import type { SwitchConnection } from '../openflow/connection';
import { DcModel, type DirectoryVm } from './dc-model';
import { DesiredState } from './desired-state';
import { type ArpDecision, explainArp, XSITE_GATEWAY_MAC, arpManager } from './managers/arp';
import { classifyManager } from './managers/classify';
import { l2Manager } from './managers/l2';
import { type LocalManager, managerChanges } from './managers/manager';
import { reconcile, type ReconcileOptions, type ReconcileReport } from './reconciler';

export interface LocalControllerOptions {
  topology: Topology;
  /** The DC this controller is in charge of. */
  dc: string;
  /** The directory's VMs (every DC); default: the topology's VMs. */
  vms?: readonly DirectoryVm[];
  /** MAC answered for default gateways; default {@link XSITE_GATEWAY_MAC} (the same in every DC). */
  gatewayMac?: string;
  /** Managers whose flows are installed; default classify, arp, l2. */
  managers?: readonly LocalManager[];
  /** How flow changes go out (see ReconcileOptions.mode). */
  mode?: ReconcileOptions['mode'];
}

/** Counters of a {@link LocalController}. */
export interface LocalControllerCounters {
  packetIns: number;
  arpAnswered: number;
  arpUnanswered: number;
  /** Packet-ins from a port with no registered VM, or with another source MAC. */
  packetInsIgnored: number;
  reconciles: number;
  reconcileErrors: number;
}

/**
 * Events: `reconciled` (switch name, ReconcileReport), `arp` (switch name, in_port, ArpDecision), `error` is never
 * emitted (failures are counted and reported through the returned promises and `reconcile_error`).
 */
export class LocalController extends EventEmitter implements ControllerApp {
  model: DcModel;
  readonly gatewayMac: string;
  readonly managers: readonly LocalManager[];
  readonly counters: LocalControllerCounters = { packetIns: 0, arpAnswered: 0, arpUnanswered: 0, packetInsIgnored: 0, reconciles: 0, reconcileErrors: 0 };
  /** Connected switches of the DC, by name. */
  readonly connections = new Map<string, SwitchConnection>();
  /** Switches reconciled at least once since they connected. */
  readonly reconciled = new Set<string>();
  private readonly desired = new Map<string, DesiredState>();
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(private readonly opts: LocalControllerOptions) {
    super();
    this.model = DcModel.fromTopology(opts.topology, opts.dc, opts.vms);
    this.gatewayMac = opts.gatewayMac ?? XSITE_GATEWAY_MAC;
    this.managers = opts.managers ?? [classifyManager, arpManager, l2Manager];
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

  /** Reconciles switch `switchName` (queued behind any reconcile of it in progress). */
  reconcileSwitch(switchName: string): Promise<ReconcileReport> {
    const run = async (): Promise<ReconcileReport> => {
      const conn = this.connections.get(switchName);
      if (conn === undefined) throw new Error(`switch ${switchName} is not connected`);
      const desired = this.desiredState(switchName);
      try {
        const report = await reconcile(conn, desired, {
          managersOwned: this.managers.map((m) => m.id),
          ...(this.opts.mode !== undefined ? { mode: this.opts.mode } : {}),
        });
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
  async setVms(vms: readonly DirectoryVm[]): Promise<Map<string, ReconcileReport>> {
    this.model = this.model.withVms(vms);
    const names = [...this.connections.keys()];
    const reports = await Promise.all(names.map((n) => this.reconcileSwitch(n)));
    return new Map(names.map((n, i) => [n, reports[i]!]));
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
    await this.reconcileSwitch(sw.name);
  }

  onSwitchGone(conn: SwitchConnection): void {
    const sw = this.model.switchByDpid(conn.datapathId);
    if (sw !== undefined && this.connections.get(sw.name) === conn) {
      this.connections.delete(sw.name);
      this.reconciled.delete(sw.name);
    }
  }

  onPacketIn(conn: SwitchConnection, msg: MessageOf<'packet_in'>): void {
    this.counters.packetIns++;
    const sw = this.model.switchByDpid(conn.datapathId);
    const inPortTlv = msg.match.find((t) => t.field === 'in_port');
    const inPort = inPortTlv !== undefined && inPortTlv.field !== 'raw' ? Number(inPortTlv.value) : undefined;
    const vm = sw !== undefined && inPort !== undefined ? this.model.vmAt(sw.name, inPort) : undefined;
    const parsed = tryParsePacket(msg.data);
    if (vm === undefined || !parsed.ok || parsed.packet.eth.src !== vm.mac || parsed.packet.arp === undefined) {
      this.counters.packetInsIgnored++;
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
}
