/**
 * Intent records: what the central controller knows about the infrastructure and the tenants (seed 000 section 4.1).
 * They mirror the resolved emulator `Topology` (the central controller's intent file is a topology file), keeping
 * only what the control plane needs. A VM's location is its `host`; the DC follows from the host.
 */
import type { Virtualisation } from '../emulator/topology/model';

/** A data center. */
export interface DatacenterRecord {
  name: string;
  /** Underlay subnet of its hosts, e.g. `10.1.0.0/16`. */
  subnet: string;
  virtualisation: Virtualisation;
  /** Default gateway address its VMs use, when set. */
  gatewayIp?: string;
}

/** A hypervisor host. */
export interface HostRecord {
  name: string;
  dc: string;
  /** Its virtual switch. */
  switch: string;
  /** Underlay address. */
  address: string;
  mac: string;
}

/** A DC gateway: public addresses and the inclusive port range NAT tuples are taken from. */
export interface GatewayRecord {
  name: string;
  dc: string;
  switch: string;
  /** At least one; unique over all gateways. */
  publicIps: string[];
  /** Inclusive, within 1..65535. */
  portRange: [number, number];
  mac: string;
}

/** A tenant. */
export interface TenantRecord {
  name: string;
}

/** A virtual network of a tenant. `id` is unique over all tenants (24-bit, as a VNI). */
export interface VnRecord {
  tenant: string;
  name: string;
  id: number;
  subnet?: string;
}

/** A VM and its current location (`host`). `(tenant, vn, ip)` and `name` are each unique. */
export interface VmRecord {
  name: string;
  tenant: string;
  vn: string;
  ip: string;
  mac: string;
  /** Where the VM runs now. */
  host: string;
  /** Its port on the host's virtual switch, when the directory fixed one (after a migration); else the intent's. */
  port?: number;
  vlan?: number;
  memoryMB: number;
}
