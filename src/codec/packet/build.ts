/**
 * Frame encoding from a layered spec. The spec mirrors {@link Packet} (a parsed packet is a valid spec, so
 * `buildPacket(parsePacket(frame))` re-encodes it), but lengths, ethertype, IP protocol and every checksum are
 * computed: IPv4 header, TCP/UDP over the IPv4 or IPv6 pseudo-header, ICMP, ICMPv6.
 */
import { type ArpSpec, encodeArp } from './arp';
import { put16 } from './bytes';
import { internetChecksum, ipv4PseudoHeaderSum, ipv6PseudoHeaderSum } from './checksum';
import { ETHERTYPE, HEADER_LEN, IPPROTO } from './constants';
import { PacketBuildError } from './errors';
import { type EthernetSpec, type VlanSpec, encodeEthernet, ethernetHeaderLength } from './ethernet';
import { type IcmpSpec, encodeIcmp } from './icmp';
import { type Icmpv6Spec, encodeIcmpv6, icmpv6Length } from './icmpv6';
import { type Ipv4Spec, encodeIpv4, ipv4HeaderLength } from './ipv4';
import { type Ipv6Spec, encodeIpv6, ipv6HeaderLength } from './ipv6';
import { type TcpSpec, encodeTcp, tcpHeaderLength } from './tcp';
import { type UdpSpec, encodeUdp } from './udp';

/**
 * A frame to encode: Ethernet (plus optional VLAN tags, outermost first), at most one of ARP/IPv4/IPv6, at most one
 * L4 layer (ICMP needs IPv4, ICMPv6 needs IPv6, TCP/UDP need either), and the payload after the last header.
 */
export interface PacketSpec {
  eth: EthernetSpec;
  vlans?: readonly VlanSpec[] | undefined;
  arp?: ArpSpec | undefined;
  ipv4?: Ipv4Spec | undefined;
  ipv6?: Ipv6Spec | undefined;
  icmp?: IcmpSpec | undefined;
  icmpv6?: Icmpv6Spec | undefined;
  tcp?: TcpSpec | undefined;
  udp?: UdpSpec | undefined;
  payload?: Uint8Array | undefined;
}

/** Options of {@link buildPacket}. */
export interface BuildOptions {
  /** Zero-pad the frame to at least this many bytes (60 = minimum Ethernet frame without FCS). Default: no padding. */
  padTo?: number;
}

function count(...xs: unknown[]): number {
  let n = 0;
  for (const x of xs) if (x !== undefined) n++;
  return n;
}

/**
 * Encodes `spec` into a new Buffer. Throws an XsiteError `PKT_BAD_SPEC` for an inconsistent or out-of-range spec and
 * `BAD_ADDRESS` for an invalid address. For a first IP fragment the L4 checksum covers only the data given.
 */
export function buildPacket(spec: PacketSpec, options?: BuildOptions): Buffer {
  const { eth, ipv4, ipv6, arp, tcp, udp, icmp, icmpv6 } = spec;
  const vlans = spec.vlans ?? [];
  const payload = spec.payload ?? new Uint8Array(0);
  if (count(arp, ipv4, ipv6) > 1) throw new PacketBuildError('at most one of arp, ipv4, ipv6');
  if (count(tcp, udp, icmp, icmpv6) > 1) throw new PacketBuildError('at most one of tcp, udp, icmp, icmpv6');
  if (icmp !== undefined && ipv4 === undefined) throw new PacketBuildError('icmp needs ipv4');
  if (icmpv6 !== undefined && ipv6 === undefined) throw new PacketBuildError('icmpv6 needs ipv6');
  if ((tcp !== undefined || udp !== undefined) && ipv4 === undefined && ipv6 === undefined) {
    throw new PacketBuildError('tcp and udp need ipv4 or ipv6');
  }

  const impliedType = arp ? ETHERTYPE.ARP : ipv4 ? ETHERTYPE.IPV4 : ipv6 ? ETHERTYPE.IPV6 : undefined;
  const etherType = eth.etherType ?? impliedType;
  if (etherType === undefined) throw new PacketBuildError('eth.etherType is required without an L3 layer');
  if (!Number.isInteger(etherType) || etherType < 0 || etherType > 0xffff) throw new PacketBuildError(`ethertype ${etherType} invalid`);

  const impliedProto = tcp ? IPPROTO.TCP : udp ? IPPROTO.UDP : icmp ? IPPROTO.ICMP : icmpv6 ? IPPROTO.ICMPV6 : undefined;
  const l2Len = ethernetHeaderLength(vlans.length);
  const l3Len = arp ? HEADER_LEN.ARP : ipv4 ? ipv4HeaderLength(ipv4) : ipv6 ? ipv6HeaderLength(ipv6) : 0;
  const l4Len = tcp ? tcpHeaderLength(tcp) : udp ? HEADER_LEN.UDP : icmp ? HEADER_LEN.ICMP : icmpv6 ? icmpv6Length(icmpv6) : 0;
  const frameLen = l2Len + l3Len + l4Len + payload.length;
  const padTo = options?.padTo ?? 0;
  const buf = Buffer.alloc(Math.max(frameLen, padTo));

  let p = encodeEthernet(buf, 0, eth, etherType, vlans);
  const l3 = p;
  let protocol = -1;
  if (arp) p = encodeArp(buf, p, arp);
  else if (ipv4) {
    const proto = ipv4.protocol ?? impliedProto;
    if (proto === undefined) throw new PacketBuildError('ipv4.protocol is required without an L4 layer');
    protocol = proto;
    p = encodeIpv4(buf, p, ipv4, proto, l3Len + l4Len + payload.length);
  } else if (ipv6) {
    const proto = ipv6.protocol ?? impliedProto;
    if (proto === undefined) throw new PacketBuildError('ipv6.protocol is required without an L4 layer');
    protocol = proto;
    p = encodeIpv6(buf, p, ipv6, proto, l3Len - HEADER_LEN.IPV6 + l4Len + payload.length);
  }
  const l4 = p;
  if (tcp) p = encodeTcp(buf, p, tcp);
  else if (udp) p = encodeUdp(buf, p, udp, l4Len + payload.length);
  else if (icmp) p = encodeIcmp(buf, p, icmp);
  else if (icmpv6) p = encodeIcmpv6(buf, p, icmpv6);
  buf.set(payload, p);

  const end = frameLen;
  const ulen = end - l4;
  if (tcp || udp || icmpv6) {
    const pseudo = ipv4
      ? ipv4PseudoHeaderSum(buf, l3 + 12, l3 + 16, protocol, ulen)
      : ipv6PseudoHeaderSum(buf, l3 + 8, l3 + 24, protocol, ulen);
    const sum = internetChecksum(buf, l4, end, pseudo);
    if (tcp) put16(buf, l4 + 16, sum);
    else if (udp) put16(buf, l4 + 6, sum === 0 ? 0xffff : sum);
    else put16(buf, l4 + 2, sum);
  } else if (icmp) {
    put16(buf, l4 + 2, internetChecksum(buf, l4, end));
  }
  return buf;
}
