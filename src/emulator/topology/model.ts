/**
 * The emulator's topology model: what a multi-DC network looks like before it runs.
 *
 * Two layers, one vocabulary:
 * - {@link TopologySpec} is what a person writes, in a YAML file (`examples/topologies/*.yaml`) or with the
 *   `TopologyBuilder` (`builder.ts`): every derivable field may be left out.
 * - {@link Topology} is the resolved model (see `defaults.ts`): every dpid, MAC, port number, VN id and link
 *   parameter filled in, addresses in canonical text, each switch listing what sits on each of its ports.
 *
 * Vocabulary (seed 000 sections 3-4): a **datacenter** (DC) owns an IP subnet for its hosts and has a local
 * controller; its **switches** are hypervisor virtual switches (`role: host`), fabric switches (ToR/spine,
 * `role: fabric`) and gateway switches (`role: gateway`); a **host** is a hypervisor with one virtual switch; a
 * **gateway** has public IPs and a TCP/UDP port range from which the central controller allocates NAT tuples;
 * **tenants** own virtual networks (**VNs**), and two VNs may use the same private addresses; a **VM** belongs to
 * one VN and sits on a port of its host's virtual switch. **End hosts** are bare hosts on a switch port, for
 * switch-level tests that need no tenants.
 *
 * Port numbering (applied in `defaults.ts`, checked in `validate.ts`). For each switch, explicitly given port
 * numbers are reserved first. Every attachment without an explicit number then gets the lowest free number >= 1 of
 * its switch, attachments taken in this order: `links` in file order (side `a` before side `b`), then `wanLinks` in
 * file order, then `vms` in file order, then `endHosts` in file order. So infrastructure ports (links) come first
 * and adding a VM never renumbers a link; give `port`/`portA`/`portB` explicitly to pin a number.
 */

/** Bridge behaviour without a controller connection (as in Open vSwitch). */
export type FailMode = 'secure' | 'standalone';

/** What a switch is in the DC. */
export type SwitchRole = 'host' | 'fabric' | 'gateway';

/** How a DC separates VNs on its wires (seed 000 section 4.2: by VLAN tag or by classifying MAC addresses). */
export type Virtualisation = 'vlan' | 'mac';

/** A local controller reached over TCP, or the emulator's own in-process controller. */
export type ControllerSpec = { host: string; port: number } | 'in-process';

/** Lowest usable switch port number. */
export const PORT_MIN = 1;
/** Highest usable switch port number (the same limit as Open vSwitch's ofport). */
export const PORT_MAX = 0xfeff;
/** Lowest VLAN id a VM or end host may be tagged with. */
export const VLAN_MIN = 1;
/** Highest VLAN id a VM or end host may be tagged with. */
export const VLAN_MAX = 4094;
/** Lowest VN id. */
export const VN_ID_MIN = 1;
/** Highest VN id: VN ids are 24-bit (as a VXLAN VNI). */
export const VN_ID_MAX = 0xffffff;
/** Fewest flow tables a switch may have. */
export const TABLES_MIN = 1;
/** Most flow tables a switch may have (table ids 0..253). */
export const TABLES_MAX = 254;

// ---------------------------------------------------------------------------------------------------------------
// As written (file or builder)

/** A data center. */
export interface DatacenterSpec {
  name: string;
  /** The DC's address space for hosts (underlay), e.g. `10.1.0.0/16`. DC subnets must not overlap. */
  subnet: string;
  /** Where its local controller listens; default `in-process`. */
  controller?: ControllerSpec;
  /** Default gateway address the VMs in this DC use (seed 003: may be the same in every DC). */
  gatewayIp?: string;
  /** Default `mac`. */
  virtualisation?: Virtualisation;
}

/** A switch: a hypervisor's virtual switch, a fabric switch or a DC gateway switch. */
export interface SwitchSpec {
  name: string;
  dc: string;
  role: SwitchRole;
  /** Datapath id: an integer, or hex text of 1-16 digits (optional `0x`, `:` separators). Default: see defaults.ts. */
  dpid?: string | number;
  /** Default `secure`. */
  failMode?: FailMode;
  /** Number of flow tables; default {@link DEFAULT_TABLES}. */
  tables?: number;
}

/** A hypervisor host and its virtual switch. */
export interface HostSpec {
  name: string;
  dc: string;
  /** Its virtual switch (a switch with `role: host` in the same DC, used by no other host). */
  switch: string;
  /** Underlay IP, inside the DC's subnet. */
  address: string;
  /** Underlay MAC; default derived. */
  mac?: string;
  /** Limits checked against the VMs placed on the host (a missing limit is unlimited). */
  capacity?: { vms?: number; memoryMB?: number };
}

/** A DC gateway: NAT between DCs (seed 000 sections 4.2-4.3). */
export interface GatewaySpec {
  name: string;
  dc: string;
  /** Its switch (`role: gateway`, same DC). */
  switch: string;
  /** Public addresses usable in NAT tuples; at least one, unique over all gateways. */
  publicIps: string[];
  /** Inclusive TCP/UDP port range for NAT tuples, within 1..65535. */
  portRange: [number, number];
  /** The gateway's MAC (NAT rewrites to it); default derived. */
  mac?: string;
}

/** Link parameters (the emulator's link model). */
export interface LinkParams {
  /** One-way latency in milliseconds, >= 0. */
  latencyMs: number;
  /** Bandwidth in Mbit/s, > 0. */
  bandwidthMbps: number;
  /** Probability in [0, 1) that a frame is dropped. */
  loss: number;
}

/** A link between two switches of the same DC. */
export interface LinkSpec extends Partial<LinkParams> {
  a: string;
  b: string;
  portA?: number;
  portB?: number;
}

/** A WAN link between the gateway switches of two different DCs. */
export interface WanLinkSpec {
  a: string;
  b: string;
  latencyMs: number;
  bandwidthMbps: number;
  loss?: number;
  portA?: number;
  portB?: number;
}

/** A virtual network of a tenant. */
export interface VnSpec {
  name: string;
  /** Unique over all tenants; default: the lowest free id from 1, in file order. */
  id?: number;
  /** When given, every VM of the VN must have an address in it. */
  subnet?: string;
}

/** A tenant and its VNs. */
export interface TenantSpec {
  name: string;
  vns: VnSpec[];
}

/** A VM on a port of its host's virtual switch. */
export interface VmSpec {
  name: string;
  tenant: string;
  vn: string;
  host: string;
  /** Its address in the VN (no prefix length: the VN's subnet gives it). Unique within the VN. */
  ip: string;
  /** Default derived; unique over all MACs of the topology. */
  mac?: string;
  vlan?: number;
  /** Default {@link DEFAULT_VM_MEMORY_MB}. */
  memoryMB?: number;
  /** Port on the host's virtual switch; default: see the port numbering rule. */
  port?: number;
}

/** A bare host on a switch port (switch-level tests). */
export interface EndHostSpec {
  name: string;
  switch: string;
  /** `a.b.c.d` or `a.b.c.d/len` (IPv6 accepted too). */
  ip: string;
  mac?: string;
  vlan?: number;
  port?: number;
}

/** A whole topology as written. Every list may be omitted except `datacenters`. */
export interface TopologySpec {
  name?: string;
  description?: string;
  datacenters: DatacenterSpec[];
  switches?: SwitchSpec[];
  hosts?: HostSpec[];
  gateways?: GatewaySpec[];
  links?: LinkSpec[];
  wanLinks?: WanLinkSpec[];
  tenants?: TenantSpec[];
  vms?: VmSpec[];
  endHosts?: EndHostSpec[];
}

// ---------------------------------------------------------------------------------------------------------------
// Resolved

/** A data center with its defaults applied. */
export interface Datacenter {
  name: string;
  subnet: string;
  controller: ControllerSpec;
  gatewayIp?: string;
  virtualisation: Virtualisation;
}

/** What sits on one switch port. `peer` is a switch (links), a VM or an end host name. */
export interface PortAttachment {
  port: number;
  kind: 'link' | 'wan' | 'vm' | 'endHost';
  peer: string;
  /** For links: the port number on the peer switch. */
  peerPort?: number;
}

/** A switch with its defaults applied and its ports listed (sorted by port number). */
export interface Switch {
  name: string;
  dc: string;
  role: SwitchRole;
  /** 16 lowercase hex digits. */
  dpid: string;
  failMode: FailMode;
  tables: number;
  ports: PortAttachment[];
}

/** A hypervisor host with its defaults applied. */
export interface Host {
  name: string;
  dc: string;
  switch: string;
  address: string;
  mac: string;
  capacity?: { vms?: number; memoryMB?: number };
}

/** A gateway with its defaults applied. */
export interface Gateway {
  name: string;
  dc: string;
  switch: string;
  publicIps: string[];
  portRange: [number, number];
  mac: string;
}

/** A resolved intra-DC link. */
export interface Link extends LinkParams {
  a: string;
  b: string;
  portA: number;
  portB: number;
}

/** A resolved WAN link. */
export interface WanLink extends LinkParams {
  a: string;
  b: string;
  portA: number;
  portB: number;
}

/** A resolved VN. */
export interface Vn {
  name: string;
  id: number;
  subnet?: string;
}

/** A resolved tenant. */
export interface Tenant {
  name: string;
  vns: Vn[];
}

/** A resolved VM. `switch` is its host's virtual switch, `port` its port there. */
export interface Vm {
  name: string;
  tenant: string;
  vn: string;
  host: string;
  switch: string;
  port: number;
  ip: string;
  mac: string;
  vlan?: number;
  memoryMB: number;
}

/** A resolved end host. `ip` keeps the prefix length when one was written. */
export interface EndHost {
  name: string;
  switch: string;
  port: number;
  ip: string;
  mac: string;
  vlan?: number;
}

/** The resolved topology: every list present, every default applied, lists in file order. */
export interface Topology {
  name?: string;
  description?: string;
  datacenters: Datacenter[];
  switches: Switch[];
  hosts: Host[];
  gateways: Gateway[];
  links: Link[];
  wanLinks: WanLink[];
  tenants: Tenant[];
  vms: Vm[];
  endHosts: EndHost[];
}

/** Default number of flow tables (what Open vSwitch reports in FEATURES_REPLY). */
export const DEFAULT_TABLES = 254;
/** Default VM memory, used for host capacity checks and the simulated hypervisor. */
export const DEFAULT_VM_MEMORY_MB = 1024;
/** Default parameters of an intra-DC link. */
export const DEFAULT_LINK_PARAMS: Readonly<LinkParams> = Object.freeze({ latencyMs: 0.1, bandwidthMbps: 10_000, loss: 0 });

/** A topology spec with every list present and empty (what the builder and the generator start from). */
export function emptyTopologySpec(): Required<Omit<TopologySpec, 'name' | 'description'>> {
  return { datacenters: [], switches: [], hosts: [], gateways: [], links: [], wanLinks: [], tenants: [], vms: [], endHosts: [] };
}
