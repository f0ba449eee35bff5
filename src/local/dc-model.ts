/**
 * What one local controller knows of its data center (seed 000 section 4.2), derived from the topology: its
 * switches and their roles, what sits behind each port (another switch of the DC, a VM, the WAN), the shortest
 * intra-DC path from every switch to every other, the VNs with their ids and default gateway, and how VNs are kept
 * apart on the DC's inner links (see {@link InDcEncap}). The VMs themselves come from the directory
 * ({@link DirectoryVm}, replaced with {@link DcModel.withVms}) so a migration changes only that part. Pure: no I/O.
 *
 * In-DC virtualisation (seed 000 section 4.2 leaves it to each DC; the topology's `virtualisation` picks it):
 * - `vlan`: a frame leaving a switch on an inner link (vswitch uplink, fabric port) carries an 802.1Q tag whose VLAN
 *   id stands for its VN ({@link DcVn.tag}); the ingress vswitch pushes it, every switch pops it at ingress
 *   (classify) and pushes it again when it outputs on an inner link; the egress vswitch delivers untagged to the VM.
 * - `mac`: frames cross inner links unchanged; a switch classifies a frame arriving on an inner link by its source
 *   MAC (every VM MAC of the directory belongs to exactly one VN), as seed 000 suggests ("classifying MAC address").
 * Inside a switch the VN id always travels in the metadata (low 24 bits, METADATA_VN_MASK).
 */
import { ipv4FromNumber, ipv4ToNumber } from '../core/addr';
import { XsiteError } from '../core/errors';
import type { CrossSiteFlow } from '../model/cross-site-flow';
import type { Gateway, SwitchRole, Topology, Virtualisation } from '../emulator/topology/model';

/** A VM as the directory knows it. `switch`/`port` are set for VMs of this DC (where they are plugged in). */
export interface DirectoryVm {
  name: string;
  tenant: string;
  vn: string;
  ip: string;
  mac: string;
  /** The DC the VM is registered in. */
  dc: string;
  /** Its host's virtual switch (VMs of this DC). */
  switch?: string;
  /** Its port on that switch (VMs of this DC). */
  port?: number;
}

/** What is behind a port of a DC switch. */
export type DcPortPeer =
  | { kind: 'switch'; switch: string; port: number }
  | { kind: 'vm'; vm: string }
  | { kind: 'wan'; switch: string; port: number }
  | { kind: 'endHost'; host: string };

/** A switch of the DC. */
export interface DcSwitch {
  name: string;
  dpid: bigint;
  role: SwitchRole;
  /** Port number -> what is behind it. */
  ports: ReadonlyMap<number, DcPortPeer>;
}

/** A VN as the DC sees it. */
export interface DcVn {
  tenant: string;
  name: string;
  /** 24-bit VN id (metadata). */
  id: number;
  subnet?: string;
  /** VLAN id (1..4094) standing for this VN on inner links when the DC uses `vlan`. */
  tag: number;
}

/** How VNs are kept apart on the DC's inner links. */
export type InDcEncap = Virtualisation;

/** Key of a VN: `tenant/vn`. */
export const vnKey = (tenant: string, vn: string): string => `${tenant}/${vn}`;

/** The last usable address of `network/prefix`, or the DC gateway address when it lies inside (seed 003). */
export function defaultGateway(subnetOrIp: string, dcGatewayIp: string | undefined): string | undefined {
  const [addr, len] = subnetOrIp.split('/');
  const prefix = len === undefined ? 24 : Number(len);
  if (prefix >= 31) return undefined;
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  const network = (ipv4ToNumber(addr!) & mask) >>> 0;
  if (dcGatewayIp !== undefined && ((ipv4ToNumber(dcGatewayIp) & mask) >>> 0) === network) return dcGatewayIp;
  return ipv4FromNumber(((network | ~mask) >>> 0) - 1);
}

/** The model of one DC: static structure plus the directory's VMs. Immutable; {@link withVms} returns a new one. */
export class DcModel {
  readonly switches: ReadonlyMap<string, DcSwitch>;
  /** VNs by {@link vnKey}. */
  readonly vns: ReadonlyMap<string, DcVn>;
  private readonly vnsById: Map<number, DcVn>;
  private readonly byDpid: Map<bigint, DcSwitch>;
  /** from -> to -> port of `from` on a shortest path to `to`. */
  private readonly nextHops: Map<string, Map<string, number>>;

  private constructor(
    readonly dc: string,
    readonly encap: InDcEncap,
    readonly gatewayIp: string | undefined,
    switches: Map<string, DcSwitch>,
    vns: Map<string, DcVn>,
    nextHops: Map<string, Map<string, number>>,
    /** Every VM of the directory (any DC). */
    readonly vms: readonly DirectoryVm[],
    /** The gateways of every DC (NAT between DCs, seed 000 section 4.3). */
    readonly gateways: readonly Gateway[],
    /** The cross-site flows with an end in this DC that central set up (their NAT flows go on this DC's gateway). */
    readonly crossSite: readonly CrossSiteFlow[] = [],
    /** VMs migrating into this DC: where they will be plugged in (their classify flows are installed ahead). */
    readonly incoming: readonly DirectoryVm[] = [],
    /** VMs of this DC being paused for a migration: frames to them go to the controller, which holds them. */
    readonly holding: readonly string[] = [],
    /**
     * VMs that arrived from another DC and do not run here yet (from the switchover to the release): the switches of
     * this DC flipped all at once, so their arrival guards stay (see managers/migration-arrival.ts).
     */
    readonly settling: readonly string[] = [],
    /**
     * Cross-site flows as a migration of one of their VMs will set them up (new tuples), ahead of its pause: the
     * gateway installs what does not touch live traffic (see managers/gateway-nat.ts).
     */
    readonly staged: readonly CrossSiteFlow[] = [],
    /**
     * VMs that left this DC for another one, where they were plugged in here (from the source DC's switchover until
     * the migration settled): frames still on their way to the old place are turned back (managers/migration-departure.ts).
     */
    readonly departed: readonly DirectoryVm[] = [],
  ) {
    this.switches = switches;
    this.vns = vns;
    this.nextHops = nextHops;
    this.vnsById = new Map([...vns.values()].map((v) => [v.id, v]));
    this.byDpid = new Map([...switches.values()].map((s) => [s.dpid, s]));
  }

  /** Builds the model of DC `dc` of `topology`; the directory starts with the topology's VMs (all DCs). */
  static fromTopology(topology: Topology, dc: string, vms: readonly DirectoryVm[] = directoryFromTopology(topology)): DcModel {
    const d = topology.datacenters.find((x) => x.name === dc);
    if (d === undefined) throw new XsiteError('LOCAL_UNKNOWN_DC', `no data center named ${dc}`, { dc });
    const switches = new Map<string, DcSwitch>();
    for (const s of topology.switches.filter((x) => x.dc === dc)) {
      const ports = new Map<number, DcPortPeer>();
      for (const p of s.ports) {
        if (p.kind === 'link') ports.set(p.port, { kind: 'switch', switch: p.peer, port: p.peerPort! });
        else if (p.kind === 'wan') ports.set(p.port, { kind: 'wan', switch: p.peer, port: p.peerPort! });
        else if (p.kind === 'vm') ports.set(p.port, { kind: 'vm', vm: p.peer });
        else ports.set(p.port, { kind: 'endHost', host: p.peer });
      }
      switches.set(s.name, { name: s.name, dpid: BigInt(`0x${s.dpid}`), role: s.role, ports });
    }
    // VLAN tags: the VN id when it fits in 1..4094, else the lowest unused VLAN id (deterministic, file order).
    const vns = new Map<string, DcVn>();
    const all = topology.tenants.flatMap((t) => t.vns.map((v) => ({ tenant: t.name, v })));
    const used = new Set(all.filter(({ v }) => v.id <= 4094).map(({ v }) => v.id));
    let next = 1;
    for (const { tenant, v } of all) {
      let tag = v.id;
      if (tag > 4094) {
        while (used.has(next)) next++;
        if (next > 4094) throw new XsiteError('LOCAL_TOO_MANY_VNS', `no VLAN id left for VN ${tenant}/${v.name}`, { dc });
        tag = next;
        used.add(next);
      }
      vns.set(vnKey(tenant, v.name), { tenant, name: v.name, id: v.id, ...(v.subnet !== undefined ? { subnet: v.subnet } : {}), tag });
    }
    return new DcModel(dc, d.virtualisation, d.gatewayIp, switches, vns, shortestPaths(switches), [...vms], topology.gateways);
  }

  /** The same DC with another directory. */
  withVms(vms: readonly DirectoryVm[]): DcModel {
    return new DcModel(this.dc, this.encap, this.gatewayIp, this.switches as Map<string, DcSwitch>, this.vns as Map<string, DcVn>, this.nextHops, [...vms], this.gateways, this.crossSite, this.incoming, this.holding, this.settling, this.staged, this.departed);
  }

  /** The same DC with another set of cross-site flows. */
  withCrossSite(flows: readonly CrossSiteFlow[]): DcModel {
    return new DcModel(this.dc, this.encap, this.gatewayIp, this.switches as Map<string, DcSwitch>, this.vns as Map<string, DcVn>, this.nextHops, this.vms, this.gateways, [...flows], this.incoming, this.holding, this.settling, this.staged, this.departed);
  }

  /** The same DC with other migration state (VMs arriving, held, settling or departed; staged flows). */
  withMigrations(m: { incoming?: readonly DirectoryVm[]; holding?: readonly string[]; settling?: readonly string[]; staged?: readonly CrossSiteFlow[]; departed?: readonly DirectoryVm[] }): DcModel {
    return new DcModel(
      this.dc, this.encap, this.gatewayIp, this.switches as Map<string, DcSwitch>, this.vns as Map<string, DcVn>, this.nextHops, this.vms, this.gateways,
      this.crossSite, [...(m.incoming ?? this.incoming)], [...(m.holding ?? this.holding)], [...(m.settling ?? this.settling)], [...(m.staged ?? this.staged)],
      [...(m.departed ?? this.departed)],
    );
  }

  /**
   * Whether `other` is this model with other cross-site flows only: the same directory and migration state (by
   * identity: {@link withCrossSite} keeps them, every other `with…` makes new ones).
   */
  differsOnlyInCrossSite(other: DcModel): boolean {
    return (
      other.switches === this.switches &&
      other.vms === this.vms &&
      other.incoming === this.incoming &&
      other.holding === this.holding &&
      other.settling === this.settling &&
      other.staged === this.staged &&
      other.departed === this.departed
    );
  }

  /** The switch with datapath id `dpid`, if it is one of this DC. */
  switchByDpid(dpid: bigint): DcSwitch | undefined {
    return this.byDpid.get(dpid);
  }

  /** The switch named `name` (throws LOCAL_UNKNOWN_SWITCH). */
  switch(name: string): DcSwitch {
    const s = this.switches.get(name);
    if (s === undefined) throw new XsiteError('LOCAL_UNKNOWN_SWITCH', `no switch ${name} in ${this.dc}`, { dc: this.dc, switch: name });
    return s;
  }

  /** The VN of a VM (throws LOCAL_UNKNOWN_VN). */
  vnOf(vm: Pick<DirectoryVm, 'tenant' | 'vn'>): DcVn {
    const v = this.vns.get(vnKey(vm.tenant, vm.vn));
    if (v === undefined) throw new XsiteError('LOCAL_UNKNOWN_VN', `no VN ${vm.tenant}/${vm.vn}`, { tenant: vm.tenant, vn: vm.vn });
    return v;
  }

  /** The VN with id `id`, if any. */
  vnById(id: number): DcVn | undefined {
    return this.vnsById.get(id);
  }

  /** VMs registered in this DC and plugged into one of its switches. */
  localVms(): DirectoryVm[] {
    return this.vms.filter((v) => v.dc === this.dc && v.switch !== undefined && v.port !== undefined && this.switches.has(v.switch));
  }

  /** The registered VM on `port` of `switchName`, if any. */
  vmAt(switchName: string, port: number): DirectoryVm | undefined {
    return this.localVms().find((v) => v.switch === switchName && v.port === port);
  }

  /** The gateway of DC `dc` (the first by name, as central allocates tuples for it), or undefined. */
  gatewayOfDc(dc: string): Gateway | undefined {
    return [...this.gateways].filter((g) => g.dc === dc).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))[0];
  }

  /** The port of `fromSwitch` (a gateway switch of this DC) on the WAN link to `toSwitch`, if there is one. */
  wanPortTo(fromSwitch: string, toSwitch: string): number | undefined {
    const s = this.switches.get(fromSwitch);
    if (s === undefined) return undefined;
    const ports = [...s.ports].filter(([, p]) => p.kind === 'wan' && p.switch === toSwitch).map(([n]) => n);
    return ports.length > 0 ? Math.min(...ports) : undefined;
  }

  /** Ports of `switchName` on WAN links. */
  wanPorts(switchName: string): number[] {
    return [...this.switch(switchName).ports].filter(([, p]) => p.kind === 'wan').map(([n]) => n).sort((a, b) => a - b);
  }

  /** VMs of the directory registered in another DC whose VN has a VM in this DC (the cross-site peers). */
  remoteVms(): DirectoryVm[] {
    const here = new Set(this.localVms().map((v) => vnKey(v.tenant, v.vn)));
    return this.vms.filter((v) => v.dc !== this.dc && here.has(vnKey(v.tenant, v.vn)) && this.vns.has(vnKey(v.tenant, v.vn)));
  }

  /** The VM of the directory with MAC `mac`, if any. */
  vmByMac(mac: string): DirectoryVm | undefined {
    return this.vms.find((v) => v.mac === mac);
  }

  /** Every VM of VN `vnId` in the directory, in any DC. */
  vmsOfVn(vnId: number): DirectoryVm[] {
    return this.vms.filter((v) => this.vns.get(vnKey(v.tenant, v.vn))?.id === vnId);
  }

  /** Ports of `switchName` that lead to another switch of this DC (inner links). */
  innerPorts(switchName: string): number[] {
    return [...this.switch(switchName).ports].filter(([, p]) => p.kind === 'switch' && this.switches.has(p.switch)).map(([n]) => n).sort((a, b) => a - b);
  }

  /** The port of `from` on a shortest intra-DC path to `to` (undefined when `from === to` or unreachable). */
  nextHop(from: string, to: string): number | undefined {
    return this.nextHops.get(from)?.get(to);
  }

  /**
   * The default gateway address of VN `vn` for a VM with address `vmIp` (seed 003: the same in every DC): the DC
   * gatewayIp when it lies in the VN subnet, else the subnet's last usable address; a VN without subnet uses the
   * /24 around the VM's address (as the emulator's hosts are configured, `vmGateway`).
   */
  gatewayOf(vn: DcVn, vmIp: string): string | undefined {
    return defaultGateway(vn.subnet ?? `${vmIp}/24`, this.gatewayIp);
  }
}

/** The topology's VMs as directory entries (each registered in the DC of its virtual switch). */
export function directoryFromTopology(topology: Topology): DirectoryVm[] {
  const dcOf = new Map(topology.switches.map((s) => [s.name, s.dc]));
  return topology.vms.map((v) => ({ name: v.name, tenant: v.tenant, vn: v.vn, ip: v.ip, mac: v.mac, dc: dcOf.get(v.switch)!, switch: v.switch, port: v.port }));
}

/** BFS from every switch over intra-DC links; ties go to the lowest port number (deterministic). */
function shortestPaths(switches: Map<string, DcSwitch>): Map<string, Map<string, number>> {
  const out = new Map<string, Map<string, number>>();
  for (const from of switches.keys()) {
    const first = new Map<string, number>();
    const seen = new Set([from]);
    const queue: { sw: string; via: number | undefined }[] = [{ sw: from, via: undefined }];
    while (queue.length > 0) {
      const { sw, via } = queue.shift()!;
      const ports = [...switches.get(sw)!.ports].sort(([a], [b]) => a - b);
      for (const [port, peer] of ports) {
        if (peer.kind !== 'switch' || !switches.has(peer.switch) || seen.has(peer.switch)) continue;
        seen.add(peer.switch);
        const v = via ?? port;
        first.set(peer.switch, v);
        queue.push({ sw: peer.switch, via: v });
      }
    }
    out.set(from, first);
  }
  return out;
}
