/**
 * Directory sync between central and the local controllers, central side (and the message bodies both sides use).
 *
 * Protocol (bodies carried by the control channel; every body has `v`, the sync protocol version):
 * - local -> central `request` {@link DirectoryVmsRequest} `{ type: 'directory.vms', v: 1 }`, after every (re)connect
 *   and after every push; the reply is {@link DirectoryVmsReply} `{ v: 1, vms: SyncVm[] }`: every VM of every VN
 *   that has a VM in the asking DC (any DC), with the DC, host and host's virtual switch of each, and `crossSite`:
 *   the open cross-site flows with an end in that DC (src/central/cross-site.ts), so a local that reconnects or
 *   restarts puts their NAT flows back.
 * - central -> local `event` {@link DirectoryChanged} `{ type: 'directory.changed', v: 1 }`, sent to every connected
 *   DC when a VM is created, deleted or moved (coalesced: one push per burst of changes). It carries no data: the
 *   local asks again, so a lost push is repaired by the next one or the next reconnect.
 */
import type { CrossSiteFlow } from '../model/cross-site-flow';
import type { HostRecord, VmRecord } from '../model/intent';
import type { Store, StoreTx } from '../ports/store';

/** Version of the sync bodies. */
export const LOCAL_SYNC_VERSION = 1;

export interface DirectoryVmsRequest {
  type: 'directory.vms';
  v: number;
}

/** A VM as central sends it to a local controller. */
export interface SyncVm {
  name: string;
  tenant: string;
  vn: string;
  ip: string;
  mac: string;
  /** DC of its host. */
  dc: string;
  host: string;
  /** Its host's virtual switch. */
  switch: string;
  /** Its port on that switch when the directory fixed one (after a migration). */
  port?: number;
}

export interface DirectoryVmsReply {
  v: number;
  vms: SyncVm[];
  /** Open cross-site flows with an end in the asking DC (absent when central has no cross-site service). */
  crossSite?: CrossSiteFlow[];
}

export interface DirectoryChanged {
  type: 'directory.changed';
  v: number;
}

export const directoryVmsRequest = (): DirectoryVmsRequest => ({ type: 'directory.vms', v: LOCAL_SYNC_VERSION });
export const directoryChanged = (): DirectoryChanged => ({ type: 'directory.changed', v: LOCAL_SYNC_VERSION });

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null;

export function isDirectoryVmsRequest(body: unknown): body is DirectoryVmsRequest {
  return isObject(body) && body['type'] === 'directory.vms';
}

export function isDirectoryChanged(body: unknown): body is DirectoryChanged {
  return isObject(body) && body['type'] === 'directory.changed';
}

/**
 * The VMs DC `dc` must know: every VM of every VN with a VM in `dc`, sorted by name. `moved`: as if VM `moved.vm` were
 * on host `moved.host` port `moved.port` already (what a migration's switchover will send).
 */
export function vmsForDc(store: Store, dc: string, moved?: { vm: string; host: string; port: number }): Promise<SyncVm[]> {
  return store.transaction(async (tx) => {
    const hosts = new Map((await tx.listHosts()).map((h) => [h.name, h]));
    const all = (await tx.listVms())
      .map((v) => (moved !== undefined && v.name === moved.vm ? { ...v, host: moved.host, port: moved.port } : v))
      .filter((v) => hosts.has(v.host));
    const vns = new Set(all.filter((v) => hosts.get(v.host)!.dc === dc).map((v) => `${v.tenant}/${v.vn}`));
    return all
      .filter((v) => vns.has(`${v.tenant}/${v.vn}`))
      .map((v) => toSyncVm(v, hosts.get(v.host)!))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  });
}

/** The VMs on hosts of DC `dc` (inside the caller's transaction), as {@link SyncVm}s. */
export async function vmsForDcIn(tx: StoreTx, dc: string): Promise<SyncVm[]> {
  const hosts = new Map((await tx.listHosts()).map((h) => [h.name, h]));
  return (await tx.listVms({ dc })).map((v) => toSyncVm(v, hosts.get(v.host)!));
}

function toSyncVm(v: VmRecord, h: HostRecord): SyncVm {
  return { name: v.name, tenant: v.tenant, vn: v.vn, ip: v.ip, mac: v.mac, dc: h.dc, host: h.name, switch: h.switch, ...(v.port !== undefined ? { port: v.port } : {}) };
}

/** What {@link LocalSync} needs of the channel server. */
export interface SyncChannel {
  connectedDcs(): string[];
  send(dc: string, message: unknown): void;
}

/**
 * Answers `directory.vms` requests and pushes `directory.changed` to every connected DC. {@link changed} may be called
 * many times in a row: one push goes out per event-loop turn.
 */
export class LocalSync {
  private scheduled = false;
  private closed = false;
  /** Pushes sent (one per DC). */
  pushes = 0;

  constructor(
    private readonly store: Store,
    private readonly channel: SyncChannel,
    /** The open cross-site flows of a DC, sent along with its VMs. */
    private readonly crossSiteFor?: (dc: string) => Promise<CrossSiteFlow[]>,
  ) {}

  /** Handles a request from `dc`; undefined when it is not a sync request. */
  handle(dc: string, body: unknown): Promise<DirectoryVmsReply> | undefined {
    if (!isDirectoryVmsRequest(body)) return undefined;
    return (async () => {
      const vms = await vmsForDc(this.store, dc);
      if (this.crossSiteFor === undefined) return { v: LOCAL_SYNC_VERSION, vms };
      return { v: LOCAL_SYNC_VERSION, vms, crossSite: await this.crossSiteFor(dc) };
    })();
  }

  /** The directory's VMs changed: push `directory.changed` to every connected DC (coalesced). */
  changed(): void {
    if (this.scheduled || this.closed) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (this.closed) return;
      for (const dc of this.channel.connectedDcs()) {
        try {
          this.channel.send(dc, directoryChanged());
          this.pushes++;
        } catch {
          // disconnected meanwhile: it asks again when it reconnects
        }
      }
    });
  }

  close(): void {
    this.closed = true;
  }
}

/** Wraps the directory's VM-changing methods of `target` so each successful call reports `changed()`. */
export function notifyOnVmChanges<T extends { addVm: unknown; removeVm: unknown; moveVm: unknown }>(target: T, changed: () => void): T {
  for (const key of ['addVm', 'removeVm', 'moveVm'] as const) {
    const original = target[key] as (...args: unknown[]) => Promise<unknown>;
    (target as Record<string, unknown>)[key] = async (...args: unknown[]) => {
      const r = await original.apply(target, args);
      changed();
      return r;
    };
  }
  return target;
}
