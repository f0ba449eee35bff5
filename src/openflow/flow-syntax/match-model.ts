/**
 * The match as Open vSwitch holds it while parsing and printing: one slot per header field of the packet, shared
 * between protocols the way OVS's `struct flow` shares them (TCP/UDP/SCTP ports and ICMP type/code live in
 * `tpSrc`/`tpDst`, the ARP sender/target IPv4 in `nwSrc`/`nwDst`, the ARP opcode in `nwProto`, ARP and ND
 * link-layer addresses in `arpSha`/`arpTha`, VLAN id, CFI and PCP in one 16-bit TCI).
 *
 * Working on this model instead of directly on OXM TLVs is what makes xsite agree with `ovs-ofctl`: `tcp_src` on
 * a UDP flow becomes `udp_src`, `icmp,tp_src=8` is `icmp_type=8`, and {@link toOxm} drops fields whose
 * prerequisites the match does not meet (OVS "normalizes" them away), emitting the rest in OVS's OXM order.
 */
import type { Match, OxmBasic, OxmTlv } from '../../codec/openflow/types';
import { OFPVID_PRESENT } from '../../codec/openflow/constants';
import { ipv4FromNumber } from '../../core/addr';
import { IPV6_ALL, MAC_ALL, ipv4ToNum, ipv6Text, ipv6ToBig, macText, macToBig, type Masked } from './values';

/** Ethertypes with a protocol shorthand or prerequisites. */
export const ETH = { IP: 0x0800, ARP: 0x0806, RARP: 0x8035, IPV6: 0x86dd, MPLS: 0x8847, MPLS_MCAST: 0x8848, VLAN: 0x8100 } as const;
/** IP protocol numbers with a shorthand or prerequisites. */
export const PROTO = { ICMP: 1, TCP: 6, UDP: 17, SCTP: 132, ICMPV6: 58 } as const;

/** VLAN TCI bits. */
export const TCI = { CFI: 0x1000, VID: 0x0fff, PCP: 0xe000 } as const;

/** Storage slots of the model (names used in normalization notes). */
export type Slot =
  | 'inPort' | 'metadata' | 'tunId' | 'dlSrc' | 'dlDst' | 'dlType' | 'vlan' | 'mplsLabel' | 'mplsTc' | 'mplsBos'
  | 'nwSrc' | 'nwDst' | 'ipv6Src' | 'ipv6Dst' | 'ipv6Label' | 'nwProto' | 'dscp' | 'ecn' | 'tpSrc' | 'tpDst'
  | 'ndTarget' | 'arpSha' | 'arpTha';

/** OVS-like match storage. Absent slots are wildcarded. */
export interface MatchModel {
  inPort?: number;
  metadata?: Masked<bigint>;
  tunId?: Masked<bigint>;
  dlSrc?: Masked<bigint>;
  dlDst?: Masked<bigint>;
  dlType?: number;
  /** VLAN TCI value and mask (mask 0 = VLAN not matched). */
  tci: number;
  tciMask: number;
  mplsLabel?: number;
  mplsTc?: number;
  mplsBos?: number;
  nwSrc?: Masked<number>;
  nwDst?: Masked<number>;
  ipv6Src?: Masked<bigint>;
  ipv6Dst?: Masked<bigint>;
  ipv6Label?: Masked<number>;
  nwProto?: number;
  /** The IP TOS byte split as OVS splits it: DSCP (6 bits, shifted) and ECN. */
  dscp?: number;
  ecn?: number;
  tpSrc?: Masked<number>;
  tpDst?: Masked<number>;
  ndTarget?: Masked<bigint>;
  arpSha?: Masked<bigint>;
  arpTha?: Masked<bigint>;
  /** OXM TLVs the model has no slot for (in_phy_port, pbb_isid, ipv6_exthdr, non-basic classes); printed last. */
  extra: OxmTlv[];
}

/** An empty (match-everything) model. */
export function emptyModel(): MatchModel {
  return { tci: 0, tciMask: 0, extra: [] };
}

const isIp = (m: MatchModel): boolean => m.dlType === ETH.IP;
const isIpv6 = (m: MatchModel): boolean => m.dlType === ETH.IPV6;
const isArp = (m: MatchModel): boolean => m.dlType === ETH.ARP || m.dlType === ETH.RARP;
const isMpls = (m: MatchModel): boolean => m.dlType === ETH.MPLS || m.dlType === ETH.MPLS_MCAST;

/** True when the match is an IPv6 Neighbour Solicitation/Advertisement (ICMPv6 type 135/136, code 0). */
export function isNd(m: MatchModel): boolean {
  return (
    isIpv6(m) &&
    m.nwProto === PROTO.ICMPV6 &&
    m.tpSrc !== undefined &&
    (m.tpSrc.v & 0xff) >= 135 &&
    (m.tpSrc.v & 0xff) <= 136 &&
    (m.tpDst === undefined || (m.tpDst.v & 0xff) === 0)
  );
}

type Conv = (x: number | bigint) => string | number | bigint;

const id: Conv = (x) => x;
const mac: Conv = (x) => macText(x as bigint);
const ip4: Conv = (x) => ipv4FromNumber(x as number);
const ip6: Conv = (x) => ipv6Text(x as bigint);

/** Collects OXM TLVs and remembers which model slots made it into the match. */
class Emitter {
  readonly out: Match = [];
  readonly used = new Set<Slot>();

  exact(slot: Slot | undefined, field: OxmBasic['field'], value: number): void {
    this.out.push({ field, value });
    if (slot) this.used.add(slot);
  }

  /** A maskable field: no mask when all ones, nothing at all when the mask is zero. */
  masked(slot: Slot, field: OxmBasic['field'], v: Masked<number> | Masked<bigint> | undefined, full: number | bigint, conv: Conv): void {
    if (v === undefined) return;
    if (v.m === full) this.out.push({ field, value: conv(v.v) });
    else if (v.m !== 0 && v.m !== 0n) this.out.push({ field, value: conv(v.v), mask: conv(v.m) });
    this.used.add(slot);
  }
}

const U64_ALL = 0xffffffffffffffffn;

/**
 * Converts the model to an OXM match in the order Open vSwitch 3.1 emits for OpenFlow 1.3, leaving out fields
 * whose prerequisites are not met. Returns the match and the slots that were dropped.
 */
export function toOxm(m: MatchModel): { match: Match; dropped: Slot[] } {
  const e = new Emitter();
  if (m.inPort !== undefined) e.exact('inPort', 'in_port', m.inPort);
  e.masked('dlSrc', 'eth_src', m.dlSrc, MAC_ALL, mac);
  e.masked('dlDst', 'eth_dst', m.dlDst, MAC_ALL, mac);
  if (m.dlType !== undefined) e.exact('dlType', 'eth_type', m.dlType);
  // VLAN: OXM vlan_vid carries VID + the CFI (OFPVID_PRESENT) bit; vlan_pcp only when a VLAN is required.
  const vid = m.tci & 0x1fff;
  const vidMask = m.tciMask & 0x1fff;
  if (vidMask === 0x1fff) e.out.push({ field: 'vlan_vid', value: vid });
  else if (vidMask !== 0) e.out.push({ field: 'vlan_vid', value: vid, mask: vidMask });
  if (vid !== 0 && (m.tciMask & TCI.PCP) !== 0) e.out.push({ field: 'vlan_pcp', value: (m.tci >>> 13) & 7 });
  if (isMpls(m)) {
    if (m.mplsTc !== undefined) e.exact('mplsTc', 'mpls_tc', m.mplsTc);
    if (m.mplsBos !== undefined) e.exact('mplsBos', 'mpls_bos', m.mplsBos);
    if (m.mplsLabel !== undefined) e.exact('mplsLabel', 'mpls_label', m.mplsLabel);
  }
  if (isIp(m) || isIpv6(m)) {
    if (isIp(m)) {
      e.masked('nwSrc', 'ipv4_src', m.nwSrc, 0xffffffff, ip4);
      e.masked('nwDst', 'ipv4_dst', m.nwDst, 0xffffffff, ip4);
    } else {
      e.masked('ipv6Src', 'ipv6_src', m.ipv6Src, IPV6_ALL, ip6);
      e.masked('ipv6Dst', 'ipv6_dst', m.ipv6Dst, IPV6_ALL, ip6);
      e.masked('ipv6Label', 'ipv6_flabel', m.ipv6Label, 0xfffff, id);
    }
    if (m.dscp !== undefined) e.exact('dscp', 'ip_dscp', m.dscp);
    if (m.ecn !== undefined) e.exact('ecn', 'ip_ecn', m.ecn);
    if (m.nwProto !== undefined) {
      e.exact('nwProto', 'ip_proto', m.nwProto);
      const p = m.nwProto;
      const l4 = p === PROTO.TCP ? 'tcp' : p === PROTO.UDP ? 'udp' : p === PROTO.SCTP ? 'sctp' : undefined;
      if (l4 !== undefined) {
        e.masked('tpSrc', `${l4}_src`, m.tpSrc, 0xffff, id);
        e.masked('tpDst', `${l4}_dst`, m.tpDst, 0xffff, id);
      } else if ((p === PROTO.ICMP && isIp(m)) || (p === PROTO.ICMPV6 && isIpv6(m))) {
        const v6 = p === PROTO.ICMPV6;
        if (m.tpSrc) e.exact('tpSrc', v6 ? 'icmpv6_type' : 'icmpv4_type', m.tpSrc.v & 0xff);
        if (m.tpDst) e.exact('tpDst', v6 ? 'icmpv6_code' : 'icmpv4_code', m.tpDst.v & 0xff);
        if (v6 && isNd(m)) {
          e.masked('ndTarget', 'ipv6_nd_target', m.ndTarget, IPV6_ALL, ip6);
          const type = m.tpSrc!.v & 0xff;
          if (type === 135) e.masked('arpSha', 'ipv6_nd_sll', m.arpSha, MAC_ALL, mac);
          if (type === 136) e.masked('arpTha', 'ipv6_nd_tll', m.arpTha, MAC_ALL, mac);
        }
      }
    }
  } else if (isArp(m)) {
    if (m.nwProto !== undefined) e.exact('nwProto', 'arp_op', m.nwProto);
    e.masked('nwSrc', 'arp_spa', m.nwSrc, 0xffffffff, ip4);
    e.masked('nwDst', 'arp_tpa', m.nwDst, 0xffffffff, ip4);
    e.masked('arpSha', 'arp_sha', m.arpSha, MAC_ALL, mac);
    e.masked('arpTha', 'arp_tha', m.arpTha, MAC_ALL, mac);
  }
  e.masked('tunId', 'tunnel_id', m.tunId, U64_ALL, id);
  e.masked('metadata', 'metadata', m.metadata, U64_ALL, id);
  e.out.push(...m.extra);
  const dropped: Slot[] = [];
  for (const k of Object.keys(m) as (keyof MatchModel)[]) {
    if (k === 'extra' || k === 'tci' || k === 'tciMask' || m[k] === undefined) continue;
    if (!e.used.has(k as Slot)) dropped.push(k as Slot);
  }
  return { match: e.out, dropped };
}

const num = (v: unknown): number => v as number;
const big = (v: unknown): bigint => v as bigint;

function maskedNum(t: { value: unknown; mask?: unknown }, full: number): Masked<number> {
  const m = t.mask === undefined ? full : num(t.mask);
  return { v: (num(t.value) & m) >>> 0, m };
}

function maskedBig(t: { value: unknown; mask?: unknown }, full: bigint, conv: (x: unknown) => bigint): Masked<bigint> {
  const m = t.mask === undefined ? full : conv(t.mask);
  return { v: conv(t.value) & m, m };
}

const macB = (x: unknown): bigint => macToBig(x as string);
const ip6B = (x: unknown): bigint => ipv6ToBig(x as string);
const ip4N = (t: { value: unknown; mask?: unknown }): Masked<number> => {
  const m = t.mask === undefined ? 0xffffffff : ipv4ToNum(t.mask as string);
  return { v: (ipv4ToNum(t.value as string) & m) >>> 0, m };
};

/** Builds the model of an OXM match (as a switch reports it, or as {@link toOxm} produced it). */
export function fromOxm(match: Match): MatchModel {
  const m = emptyModel();
  for (const t of match) {
    switch (t.field) {
      case 'in_port': m.inPort = num(t.value); break;
      case 'metadata': m.metadata = maskedBig(t, 0xffffffffffffffffn, big); break;
      case 'tunnel_id': m.tunId = maskedBig(t, 0xffffffffffffffffn, big); break;
      case 'eth_src': m.dlSrc = maskedBig(t, MAC_ALL, macB); break;
      case 'eth_dst': m.dlDst = maskedBig(t, MAC_ALL, macB); break;
      case 'eth_type': m.dlType = num(t.value); break;
      case 'vlan_vid': {
        const mask = (t.mask === undefined ? 0x1fff : num(t.mask)) & 0x1fff;
        m.tci = (m.tci & ~0x1fff) | (num(t.value) & mask);
        m.tciMask = (m.tciMask & TCI.PCP) | mask;
        break;
      }
      case 'vlan_pcp':
        m.tci = (m.tci & 0x1fff) | ((num(t.value) & 7) << 13) | OFPVID_PRESENT;
        m.tciMask |= TCI.PCP | TCI.CFI;
        break;
      case 'ip_dscp': m.dscp = num(t.value); break;
      case 'ip_ecn': m.ecn = num(t.value); break;
      case 'ip_proto': case 'arp_op': m.nwProto = num(t.value); break;
      case 'ipv4_src': case 'arp_spa': m.nwSrc = ip4N(t); break;
      case 'ipv4_dst': case 'arp_tpa': m.nwDst = ip4N(t); break;
      case 'tcp_src': case 'udp_src': case 'sctp_src': m.tpSrc = maskedNum(t, 0xffff); break;
      case 'tcp_dst': case 'udp_dst': case 'sctp_dst': m.tpDst = maskedNum(t, 0xffff); break;
      case 'icmpv4_type': case 'icmpv6_type': m.tpSrc = { v: num(t.value), m: 0xff }; break;
      case 'icmpv4_code': case 'icmpv6_code': m.tpDst = { v: num(t.value), m: 0xff }; break;
      case 'arp_sha': case 'ipv6_nd_sll': m.arpSha = maskedBig(t, MAC_ALL, macB); break;
      case 'arp_tha': case 'ipv6_nd_tll': m.arpTha = maskedBig(t, MAC_ALL, macB); break;
      case 'ipv6_src': m.ipv6Src = maskedBig(t, IPV6_ALL, ip6B); break;
      case 'ipv6_dst': m.ipv6Dst = maskedBig(t, IPV6_ALL, ip6B); break;
      case 'ipv6_flabel': m.ipv6Label = maskedNum(t, 0xfffff); break;
      case 'ipv6_nd_target': m.ndTarget = maskedBig(t, IPV6_ALL, ip6B); break;
      case 'mpls_label': m.mplsLabel = num(t.value); break;
      case 'mpls_tc': m.mplsTc = num(t.value); break;
      case 'mpls_bos': m.mplsBos = num(t.value); break;
      default: m.extra.push(t);
    }
  }
  return m;
}
