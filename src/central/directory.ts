/**
 * The central controller's directory (seed 000 section 4.1): where every VM is, and which VMs talk across sites.
 *
 * - {@link Directory.loadIntent} writes a resolved `Topology` (the intent file) into the store in one transaction.
 *   Loading the same topology again changes nothing. A VM already known keeps its current location (it may have
 *   migrated since the file was written) unless `resetLocations` is set; its other attributes follow the file.
 *   Records absent from the file are kept (the directory only grows from intent; deleting is explicit).
 * - A VM is found by name or by `(tenant, vn, ip)`: two tenants (or two VNs) may use the same private address.
 * - Flows: {@link Directory.openFlow} records a flow between two VMs of one VN; when they are in different DCs it
 *   allocates the flow's NAT tuple in the same transaction (gateways: the first gateway of each DC by name).
 *   {@link Directory.closeFlow} marks it closed and releases the tuple, also in one transaction.
 *
 * Errors: `VM_NOT_FOUND`, `HOST_NOT_FOUND`, `VN_NOT_FOUND`, `DUPLICATE_VM` (name, or address in its VN, taken),
 * `DUPLICATE_VN_ID`, `FLOW_NOT_FOUND`, `FLOW_VN_MISMATCH`, `FLOW_CONFLICT`, `NO_GATEWAY`, plus the allocator's.
 */
import { XsiteError, isXsiteError } from '../core/errors';
import type { Topology } from '../emulator/topology/model';
import type { FlowFilter, FlowRecord, NatProtocol, NatTuple } from '../model/flow';
import type { HostRecord, VmRecord } from '../model/intent';
import type { Store, StoreTx, VmFilter } from '../ports/store';
import { NatAllocator } from './nat-allocator';

/** A VM with where it is. */
export interface VmLocation {
  vm: VmRecord;
  host: HostRecord;
  dc: string;
}

/** What {@link Directory.loadIntent} wrote. */
export interface IntentLoadSummary {
  datacenters: number;
  hosts: number;
  gateways: number;
  tenants: number;
  vns: number;
  vms: number;
  /** VMs that were not known before. */
  vmsAdded: number;
}

/** A flow to record. Tenant and VN follow from the VMs. */
export interface OpenFlowRequest {
  id: string;
  protocol: NatProtocol;
  srcVm: string;
  dstVm: string;
  srcPort?: number;
  dstPort?: number;
}

/** VMs that talk across sites (from the open flows), one entry per ordered (srcVm, dstVm). */
export interface CrossSitePair {
  tenant: string;
  vn: string;
  srcVm: string;
  dstVm: string;
  srcDc: string;
  dstDc: string;
  /** Open flow ids, sorted. */
  flows: string[];
}

/** Options of {@link Directory}. */
export interface DirectoryOptions {
  now?: () => number;
  /** Allocator to use (default: one on the same store and clock). */
  allocator?: NatAllocator;
}

function mapVmConstraint(e: unknown, vm: VmRecord): unknown {
  if (isXsiteError(e, 'STORE_CONSTRAINT')) {
    const c = e.details?.constraint;
    if (c === 'vm_ip') {
      return new XsiteError('DUPLICATE_VM', `address ${vm.ip} is taken in ${vm.tenant}/${vm.vn}`, { tenant: vm.tenant, vn: vm.vn, ip: vm.ip, vm: vm.name });
    }
    if (c === 'ref') return new XsiteError('VM_BAD_REFERENCE', `VM ${vm.name} names a missing host or VN`, { vm: vm.name });
  }
  return e;
}

/** The directory on a {@link Store}. */
export class Directory {
  private readonly now: () => number;
  readonly allocator: NatAllocator;

  constructor(
    private readonly store: Store,
    options: DirectoryOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.allocator = options.allocator ?? new NatAllocator(store, { now: this.now });
  }

  // ---- intent

  /** Writes the topology's DCs, hosts, gateways, tenants, VNs and VMs (idempotent; see the module comment). */
  loadIntent(topology: Topology, options: { resetLocations?: boolean } = {}): Promise<IntentLoadSummary> {
    return this.store.transaction(async (tx) => {
      for (const d of topology.datacenters) {
        await tx.putDatacenter({
          name: d.name,
          subnet: d.subnet,
          virtualisation: d.virtualisation,
          ...(d.gatewayIp !== undefined ? { gatewayIp: d.gatewayIp } : {}),
        });
      }
      for (const h of topology.hosts) await tx.putHost({ name: h.name, dc: h.dc, switch: h.switch, address: h.address, mac: h.mac });
      for (const g of topology.gateways) {
        await tx.putGateway({ name: g.name, dc: g.dc, switch: g.switch, publicIps: [...g.publicIps], portRange: [g.portRange[0], g.portRange[1]], mac: g.mac });
      }
      let vns = 0;
      for (const t of topology.tenants) {
        await tx.putTenant({ name: t.name });
        for (const vn of t.vns) {
          try {
            await tx.putVn({ tenant: t.name, name: vn.name, id: vn.id, ...(vn.subnet !== undefined ? { subnet: vn.subnet } : {}) });
          } catch (e) {
            if (isXsiteError(e, 'STORE_CONSTRAINT') && e.details?.constraint === 'vn_id') {
              throw new XsiteError('DUPLICATE_VN_ID', `VN id ${vn.id} of ${t.name}/${vn.name} is used by another VN`, { tenant: t.name, vn: vn.name, id: vn.id });
            }
            throw e;
          }
          vns++;
        }
      }
      let vmsAdded = 0;
      for (const v of topology.vms) {
        const existing = await tx.getVm(v.name);
        if (!existing) vmsAdded++;
        const rec: VmRecord = {
          name: v.name,
          tenant: v.tenant,
          vn: v.vn,
          ip: v.ip,
          mac: v.mac,
          host: existing && !options.resetLocations ? existing.host : v.host,
          memoryMB: v.memoryMB,
          ...(existing && !options.resetLocations ? (existing.port !== undefined ? { port: existing.port } : {}) : {}),
          ...(v.vlan !== undefined ? { vlan: v.vlan } : {}),
        };
        try {
          await tx.putVm(rec);
        } catch (e) {
          throw mapVmConstraint(e, rec);
        }
      }
      return {
        datacenters: topology.datacenters.length,
        hosts: topology.hosts.length,
        gateways: topology.gateways.length,
        tenants: topology.tenants.length,
        vns,
        vms: topology.vms.length,
        vmsAdded,
      };
    });
  }

  /** Adds a new VM (`DUPLICATE_VM` if its name or its address in the VN is taken). */
  addVm(vm: VmRecord): Promise<VmLocation> {
    return this.store.transaction(async (tx) => {
      if (await tx.getVm(vm.name)) throw new XsiteError('DUPLICATE_VM', `VM ${vm.name} exists`, { vm: vm.name });
      if (!(await tx.getVn(vm.tenant, vm.vn))) {
        throw new XsiteError('VN_NOT_FOUND', `no VN ${vm.tenant}/${vm.vn}`, { tenant: vm.tenant, vn: vm.vn });
      }
      const host = await this.hostIn(tx, vm.host);
      try {
        await tx.putVm(vm);
      } catch (e) {
        throw mapVmConstraint(e, vm);
      }
      return { vm: { ...vm }, host, dc: host.dc };
    });
  }

  /** Removes a VM (its flows are not touched); false when it did not exist. */
  removeVm(name: string): Promise<boolean> {
    return this.store.deleteVm(name);
  }

  // ---- lookups

  /** The VM named `name` and where it is; `VM_NOT_FOUND`. */
  vmByName(name: string): Promise<VmLocation> {
    return this.store.transaction((tx) => this.locateIn(tx, name));
  }

  /** The VM with address `ip` in `tenant`'s VN `vn` and where it is; `VM_NOT_FOUND`. */
  vmByIp(tenant: string, vn: string, ip: string): Promise<VmLocation> {
    return this.store.transaction(async (tx) => {
      const vm = await tx.findVmByIp(tenant, vn, ip);
      if (!vm) throw new XsiteError('VM_NOT_FOUND', `no VM with address ${ip} in ${tenant}/${vn}`, { tenant, vn, ip });
      const host = await this.hostIn(tx, vm.host);
      return { vm, host, dc: host.dc };
    });
  }

  /** VMs, sorted by name. */
  listVms(filter: VmFilter = {}): Promise<VmRecord[]> {
    return this.store.listVms(filter);
  }

  /** The DCs where VMs of the VN are (what "changing routing" must notify), sorted. */
  async dcsOfVn(tenant: string, vn: string): Promise<string[]> {
    return this.store.transaction(async (tx) => {
      const dcs = new Set<string>();
      const hosts = new Map((await tx.listHosts()).map((h) => [h.name, h.dc]));
      for (const v of await tx.listVms({ tenant, vn })) dcs.add(hosts.get(v.host)!);
      return [...dcs].sort();
    });
  }

  /** Moves a VM to `toHost` (location update only). Returns where it was and where it is now. */
  moveVm(name: string, toHost: string): Promise<{ from: VmLocation; to: VmLocation }> {
    return this.store.transaction(async (tx) => {
      const from = await this.locateIn(tx, name);
      const host = await this.hostIn(tx, toHost);
      if (from.host.name !== host.name) await tx.setVmHost(name, host.name);
      return { from, to: { vm: { ...from.vm, host: host.name }, host, dc: host.dc } };
    });
  }

  // ---- flows

  /**
   * Records an open flow (cross-site: with its NAT tuple, in the same transaction). Idempotent: an open flow with the
   * same id and VMs is touched and returned with the same tuple; a closed one is reopened. If a VM moved since, a
   * tuple for the old gateways is released and one for the current gateways allocated (none when now in one DC).
   * `FLOW_CONFLICT` if the id names other VMs or another protocol. `adopt`: the staging id of a tuple reserved ahead
   * for the current gateways ({@link reserveTuple}); the flow takes that tuple instead of a new one.
   */
  openFlow(req: OpenFlowRequest, opts: { adopt?: string } = {}): Promise<FlowRecord> {
    return this.store.transaction(async (tx) => {
      const src = await this.locateIn(tx, req.srcVm);
      const dst = await this.locateIn(tx, req.dstVm);
      if (src.vm.tenant !== dst.vm.tenant || src.vm.vn !== dst.vm.vn) {
        throw new XsiteError('FLOW_VN_MISMATCH', `VMs ${req.srcVm} and ${req.dstVm} are not in one VN`, {
          src: `${src.vm.tenant}/${src.vm.vn}`,
          dst: `${dst.vm.tenant}/${dst.vm.vn}`,
        });
      }
      const at = this.now();
      const old = await tx.getFlow(req.id);
      if (old && (old.srcVm !== req.srcVm || old.dstVm !== req.dstVm || old.protocol !== req.protocol)) {
        throw new XsiteError('FLOW_CONFLICT', `flow ${req.id} exists between other VMs or with another protocol`, { id: req.id });
      }
      const flow: FlowRecord = {
        id: req.id,
        tenant: src.vm.tenant,
        vn: src.vm.vn,
        protocol: req.protocol,
        srcVm: req.srcVm,
        dstVm: req.dstVm,
        state: 'open',
        createdAt: old && old.state === 'open' ? old.createdAt : at,
        lastSeenAt: at,
      };
      const srcPort = req.srcPort ?? old?.srcPort;
      const dstPort = req.dstPort ?? old?.dstPort;
      if (srcPort !== undefined) flow.srcPort = srcPort;
      if (dstPort !== undefined) flow.dstPort = dstPort;
      await tx.putFlow(flow);
      // A tuple held for gateways that no longer fit (a VM moved) is released first.
      const held = await tx.getNatTuple(req.id);
      const gws = src.dc !== dst.dc ? [await this.gatewayOf(tx, src.dc), await this.gatewayOf(tx, dst.dc)] : undefined;
      if (held && (!gws || held.srcGateway !== gws[0] || held.dstGateway !== gws[1])) await this.allocator.releaseIn(tx, req.id);
      const reserved = gws && opts.adopt !== undefined ? await tx.getNatTuple(opts.adopt) : undefined;
      if (reserved && reserved.srcGateway === gws![0] && reserved.dstGateway === gws![1] && reserved.protocol === req.protocol) {
        await this.allocator.releaseIn(tx, req.id);
        await this.allocator.transferIn(tx, opts.adopt!, req.id);
      }
      if (gws) {
        flow.tuple = await this.allocator.allocateIn(tx, { protocol: req.protocol, srcGateway: gws[0]!, dstGateway: gws[1]!, flowId: req.id });
      }
      return flow;
    });
  }

  /**
   * Reserves, under the id `stagedId`, the tuple a flow between a VM in `srcDc` and one in `dstDc` will need (their
   * gateways, as {@link openFlow} allocates it), e.g. ahead of a migration that moves one of its VMs there.
   * Idempotent for one id; released like any tuple (NatAllocator.release) or taken over with `openFlow(.., { adopt })`.
   */
  reserveTuple(stagedId: string, protocol: NatProtocol, srcDc: string, dstDc: string): Promise<NatTuple> {
    return this.store.transaction(async (tx) => {
      const srcGateway = await this.gatewayOf(tx, srcDc);
      const dstGateway = await this.gatewayOf(tx, dstDc);
      return this.allocator.allocateIn(tx, { protocol, srcGateway, dstGateway, flowId: stagedId });
    });
  }

  /** Updates a flow's last-seen time; `FLOW_NOT_FOUND`. */
  touchFlow(id: string, at: number = this.now()): Promise<FlowRecord> {
    return this.store.transaction(async (tx) => {
      const f = await tx.getFlow(id);
      if (!f) throw new XsiteError('FLOW_NOT_FOUND', `no flow ${id}`, { id });
      const updated = { ...f, lastSeenAt: Math.max(f.lastSeenAt, at) };
      await tx.putFlow(updated);
      return updated;
    });
  }

  /** Closes a flow and releases its tuple (one transaction; idempotent); `FLOW_NOT_FOUND`. */
  closeFlow(id: string): Promise<FlowRecord> {
    return this.store.transaction(async (tx) => {
      const f = await tx.getFlow(id);
      if (!f) throw new XsiteError('FLOW_NOT_FOUND', `no flow ${id}`, { id });
      await this.allocator.releaseIn(tx, id);
      const closed: FlowRecord = { ...f, state: 'closed' };
      delete closed.tuple;
      if (f.state !== 'closed') await tx.putFlow(closed);
      return closed;
    });
  }

  /** The flow; `FLOW_NOT_FOUND`. */
  async getFlow(id: string): Promise<FlowRecord> {
    const f = await this.store.getFlow(id);
    if (!f) throw new XsiteError('FLOW_NOT_FOUND', `no flow ${id}`, { id });
    return f;
  }

  /** Flows, sorted by id. */
  listFlows(filter: FlowFilter = {}): Promise<FlowRecord[]> {
    return this.store.listFlows(filter);
  }

  /** Pairs of VMs in different DCs (where they are now) with open flows, sorted by srcVm then dstVm. */
  listCrossSitePairs(): Promise<CrossSitePair[]> {
    return this.store.transaction(async (tx) => {
      const hostDc = new Map((await tx.listHosts()).map((h) => [h.name, h.dc]));
      const vmDc = new Map((await tx.listVms()).map((v) => [v.name, hostDc.get(v.host)]));
      const pairs = new Map<string, CrossSitePair>();
      for (const f of await tx.listFlows({ state: 'open' })) {
        const srcDc = vmDc.get(f.srcVm);
        const dstDc = vmDc.get(f.dstVm);
        if (srcDc === undefined || dstDc === undefined || srcDc === dstDc) continue;
        const key = JSON.stringify([f.srcVm, f.dstVm]);
        let p = pairs.get(key);
        if (!p) pairs.set(key, (p = { tenant: f.tenant, vn: f.vn, srcVm: f.srcVm, dstVm: f.dstVm, srcDc, dstDc, flows: [] }));
        p.flows.push(f.id);
      }
      return [...pairs.values()].sort((a, b) => (a.srcVm < b.srcVm ? -1 : a.srcVm > b.srcVm ? 1 : a.dstVm < b.dstVm ? -1 : a.dstVm > b.dstVm ? 1 : 0));
    });
  }

  // ---- helpers

  private async locateIn(tx: StoreTx, name: string): Promise<VmLocation> {
    const vm = await tx.getVm(name);
    if (!vm) throw new XsiteError('VM_NOT_FOUND', `no VM ${name}`, { vm: name });
    const host = await this.hostIn(tx, vm.host);
    return { vm, host, dc: host.dc };
  }

  private async hostIn(tx: StoreTx, name: string): Promise<HostRecord> {
    const h = await tx.getHost(name);
    if (!h) throw new XsiteError('HOST_NOT_FOUND', `no host ${name}`, { host: name });
    return h;
  }

  private async gatewayOf(tx: StoreTx, dc: string): Promise<string> {
    const gws = await tx.listGateways(dc);
    if (gws.length === 0) throw new XsiteError('NO_GATEWAY', `DC ${dc} has no gateway`, { dc });
    return gws[0]!.name;
  }
}
