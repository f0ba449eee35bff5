/**
 * Directory sync between central and a local controller, local side (the protocol is described in
 * src/central/local-sync.ts): after every (re)connect and every `directory.changed` push, ask central for the VMs the
 * DC must know and hand them to the local controller (`setVms`). Requests are serialised and coalesced: pushes that
 * arrive during a sync cause exactly one more sync.
 *
 * Ports: central knows a VM's host (hence its virtual switch) but not the port it is plugged into. A VM listed in the
 * local's topology file on the same switch keeps the port the file gives it; any other VM of this DC gets the lowest
 * port of its switch that the topology does not use, in name order (the emulator's rule for VMs appended to the
 * file). A real deployment would take the port from the hypervisor.
 */
import { EventEmitter } from 'node:events';
import {
  directoryVmsRequest,
  isDirectoryChanged,
  LOCAL_SYNC_VERSION,
  type DirectoryVmsReply,
  type SyncVm,
} from '../central/local-sync';
import { XsiteError } from '../core/errors';
import type { Topology } from '../emulator/topology/model';
import type { ChannelClient } from '../ports/control-channel';
import { type CrossSiteFlow, isCrossSiteFlow } from '../model/cross-site-flow';
import type { DirectoryVm } from './dc-model';

/** Turns central's VM list into directory entries for DC `dc` (switch and port for the VMs of `dc`). */
export function toDirectoryVms(vms: readonly SyncVm[], topology: Topology, dc: string): DirectoryVm[] {
  const fileVm = new Map(topology.vms.map((v) => [v.name, v]));
  const used = new Map<string, Set<number>>(topology.switches.filter((s) => s.dc === dc).map((s) => [s.name, new Set(s.ports.map((p) => p.port))]));
  const out: DirectoryVm[] = [];
  const unplanned: { vm: SyncVm; index: number }[] = [];
  for (const v of vms) {
    const base: DirectoryVm = { name: v.name, tenant: v.tenant, vn: v.vn, ip: v.ip, mac: v.mac, dc: v.dc };
    out.push(base);
    if (v.dc !== dc || !used.has(v.switch)) continue;
    const f = fileVm.get(v.name);
    if (v.port !== undefined) {
      // The directory fixed the port (a migration chose it).
      base.switch = v.switch;
      base.port = v.port;
      used.get(v.switch)!.add(v.port);
    } else if (f !== undefined && f.switch === v.switch) {
      base.switch = v.switch;
      base.port = f.port;
    } else {
      unplanned.push({ vm: v, index: out.length - 1 });
    }
  }
  unplanned.sort((a, b) => (a.vm.name < b.vm.name ? -1 : a.vm.name > b.vm.name ? 1 : 0));
  for (const { vm, index } of unplanned) {
    const taken = used.get(vm.switch)!;
    let port = 1;
    while (taken.has(port)) port++;
    taken.add(port);
    out[index] = { ...out[index]!, switch: vm.switch, port };
  }
  return out;
}

function parseReply(body: unknown): SyncVm[] {
  const r = body as Partial<DirectoryVmsReply> | null;
  if (typeof r !== 'object' || r === null || r.v !== LOCAL_SYNC_VERSION || !Array.isArray(r.vms)) {
    throw new XsiteError('LOCAL_SYNC_BAD_REPLY', `unexpected directory.vms reply (want version ${LOCAL_SYNC_VERSION})`);
  }
  const str = (x: unknown): x is string => typeof x === 'string' && x.length > 0;
  return r.vms.filter(
    (v): v is SyncVm =>
      typeof v === 'object' && v !== null && str(v.name) && str(v.tenant) && str(v.vn) && str(v.ip) && str(v.mac) && str(v.dc) && str(v.host) && str(v.switch),
  );
}

export interface CentralSyncOptions {
  client: Pick<ChannelClient, 'isConnected' | 'request' | 'on' | 'off'>;
  topology: Topology;
  dc: string;
  /** Applies a new directory (e.g. `localController.setVms`). */
  apply: (vms: DirectoryVm[]) => Promise<unknown>;
  /**
   * Applies the DC's open cross-site flows when central sent them (e.g. `localController.setCrossSite`), with the
   * mark `markCrossSite` gave before the request went out.
   */
  applyCrossSite?: (flows: CrossSiteFlow[], mark: number | undefined) => Promise<unknown>;
  markCrossSite?: () => number;
  requestTimeoutMs?: number;
}

/** Events: `synced` (DirectoryVm[]), `sync_error` (Error). */
export class CentralSync extends EventEmitter {
  /** Completed syncs. */
  syncs = 0;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private readonly onConnected = () => void this.refresh();
  private readonly onMessage = (m: unknown) => {
    if (isDirectoryChanged(m)) void this.refresh();
  };

  constructor(private readonly opts: CentralSyncOptions) {
    super();
  }

  /** Syncs now if connected, and after every (re)connect and push from now on. */
  start(): void {
    this.opts.client.on('connected', this.onConnected);
    this.opts.client.on('message', this.onMessage);
    if (this.opts.client.isConnected) void this.refresh();
  }

  stop(): void {
    this.stopped = true;
    this.opts.client.off('connected', this.onConnected);
    this.opts.client.off('message', this.onMessage);
  }

  /** Asks central and applies the answer; resolves when no sync is pending any more (never rejects). */
  refresh(): Promise<void> {
    if (this.running !== undefined) {
      this.again = true;
      return this.running;
    }
    this.running = this.loop().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      if (this.stopped) return;
      try {
        const mark = this.opts.markCrossSite?.();
        const reply = await this.opts.client.request(directoryVmsRequest(), this.opts.requestTimeoutMs !== undefined ? { timeoutMs: this.opts.requestTimeoutMs } : {});
        if (this.stopped) return;
        const vms = toDirectoryVms(parseReply(reply), this.opts.topology, this.opts.dc);
        await this.opts.apply(vms);
        const crossSite = (reply as { crossSite?: unknown } | null)?.crossSite;
        if (Array.isArray(crossSite) && this.opts.applyCrossSite !== undefined) await this.opts.applyCrossSite(crossSite.filter(isCrossSiteFlow), mark);
        this.syncs++;
        this.emit('synced', vms);
      } catch (e) {
        this.emit('sync_error', e);
      }
    } while (this.again);
  }
}
