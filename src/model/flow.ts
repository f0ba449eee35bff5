/**
 * Cross-site communication: flows between two VMs of one VN (seed 000 section 4.1 "communication pairs") and the NAT
 * tuples that identify them between gateways (seed 000 section 4.2).
 */

/** Transport protocols that get NAT tuples. For ICMP the "port" is the echo identifier. */
export type NatProtocol = 'tcp' | 'udp' | 'icmp';

/** The protocols, in a fixed order. */
export const NAT_PROTOCOLS: readonly NatProtocol[] = ['tcp', 'udp', 'icmp'];

/** A flow's identifier between gateways: unique per protocol among the tuples in use (see nat-allocator.ts). */
export interface NatTuple {
  srcPublicIp: string;
  dstPublicIp: string;
  port: number;
  protocol: NatProtocol;
}

/** A tuple in use, as stored. */
export interface NatTupleRecord extends NatTuple {
  flowId: string;
  srcGateway: string;
  dstGateway: string;
  /** The pool it was taken from (see {@link NatPoolRecord}). */
  pool: string;
  allocatedAt: number;
}

/**
 * A pool of ports for one protocol and one unordered pair of public IPs. `lo..hi` is the pool's inclusive domain;
 * its free ports are kept as disjoint {@link NatFreeRange}s so that allocation and release cost O(log n).
 */
export interface NatPoolRecord {
  key: string;
  protocol: NatProtocol;
  /** The lower of the two IPs (string order). */
  ipLo: string;
  ipHi: string;
  lo: number;
  hi: number;
  /** Tuples in use from this pool. */
  inUse: number;
}

/** An inclusive run of free ports of a pool. */
export interface NatFreeRange {
  pool: string;
  lo: number;
  hi: number;
}

/** Life of a flow: `open` while traffic is seen, `closed` when it ended (its tuple released). */
export type FlowState = 'open' | 'closed';

/** A communication pair's flow between two VMs of one VN. */
export interface FlowRecord {
  id: string;
  tenant: string;
  vn: string;
  protocol: NatProtocol;
  srcVm: string;
  dstVm: string;
  /** L4 ports (ICMP: identifier in srcPort) when known. */
  srcPort?: number;
  dstPort?: number;
  state: FlowState;
  createdAt: number;
  lastSeenAt: number;
  /** Filled on read from the tuple in use for this flow, if any; ignored on write. */
  tuple?: NatTuple;
}

/** Filter for listing flows (all given fields must match). */
export interface FlowFilter {
  state?: FlowState;
  tenant?: string;
  /** Flows whose source or destination is this VM. */
  vm?: string;
}
