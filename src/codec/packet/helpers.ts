/**
 * Ready-made frames a controller sends: ARP request/reply, gratuitous ARP, RARP announce, ICMP/ICMPv6 echo,
 * neighbor solicitation/advertisement, UDP datagrams and TCP segments. Each returns the encoded frame.
 * IP helpers pick IPv4 or IPv6 from the address text (a `:` means IPv6).
 */
import { MAC_BROADCAST, MAC_ZERO, ipv6FromBytes, ipv6ToBytes, macFromBytes } from '../../core/addr';
import { type PacketSpec, buildPacket } from './build';
import { ARP_OP, ETHERTYPE } from './constants';
import { PacketBuildError } from './errors';
import type { VlanSpec } from './ethernet';
import type { NdOption } from './types';

/** Minimum Ethernet frame length without FCS; ARP and RARP frames are padded to it, as hosts and QEMU send them. */
export const MIN_FRAME_LEN = 60;

/** Optional VLAN tags (outermost first) accepted by every helper. */
export interface WithVlans {
  vlans?: readonly VlanSpec[];
}

/** Who-has `targetIp`, broadcast from `srcMac`/`srcIp`. */
export function arpRequest(o: { srcMac: string; srcIp: string; targetIp: string } & WithVlans): Buffer {
  return buildPacket(
    {
      eth: { src: o.srcMac, dst: MAC_BROADCAST },
      vlans: o.vlans,
      arp: { op: ARP_OP.REQUEST, senderMac: o.srcMac, senderIp: o.srcIp, targetMac: MAC_ZERO, targetIp: o.targetIp },
    },
    { padTo: MIN_FRAME_LEN },
  );
}

/** `srcIp` is-at `srcMac`, unicast to the requester `dstMac`/`dstIp`. */
export function arpReply(o: { srcMac: string; srcIp: string; dstMac: string; dstIp: string } & WithVlans): Buffer {
  return buildPacket(
    {
      eth: { src: o.srcMac, dst: o.dstMac },
      vlans: o.vlans,
      arp: { op: ARP_OP.REPLY, senderMac: o.srcMac, senderIp: o.srcIp, targetMac: o.dstMac, targetIp: o.dstIp },
    },
    { padTo: MIN_FRAME_LEN },
  );
}

/**
 * Gratuitous ARP announcing `ip` at `mac`, broadcast, sender and target IP both `ip`. `op` chooses the request form
 * (target MAC zero, the default, as `arping -U` sends it) or the reply form (target MAC = `mac`, as `arping -A`).
 */
export function gratuitousArp(o: { mac: string; ip: string; op?: 'request' | 'reply' } & WithVlans): Buffer {
  const reply = o.op === 'reply';
  return buildPacket(
    {
      eth: { src: o.mac, dst: MAC_BROADCAST },
      vlans: o.vlans,
      arp: {
        op: reply ? ARP_OP.REPLY : ARP_OP.REQUEST,
        senderMac: o.mac,
        senderIp: o.ip,
        targetMac: reply ? o.mac : MAC_ZERO,
        targetIp: o.ip,
      },
    },
    { padTo: MIN_FRAME_LEN },
  );
}

/**
 * The RARP announcement QEMU broadcasts after a live migration so switches relearn `mac`: ethertype 0x8035,
 * op 3 (reverse request), sender and target MAC = `mac`, IPs 0.0.0.0, padded to 60 bytes.
 */
export function rarpAnnounce(o: { mac: string } & WithVlans): Buffer {
  return buildPacket(
    {
      eth: { src: o.mac, dst: MAC_BROADCAST, etherType: ETHERTYPE.RARP },
      vlans: o.vlans,
      arp: { op: ARP_OP.REVERSE_REQUEST, senderMac: o.mac, senderIp: '0.0.0.0', targetMac: o.mac, targetIp: '0.0.0.0' },
    },
    { padTo: MIN_FRAME_LEN },
  );
}

/** Ethernet and IP endpoints of a unicast IP frame (IPv4 or IPv6 by the address text). */
export interface IpEndpoints extends WithVlans {
  srcMac: string;
  dstMac: string;
  srcIp: string;
  dstIp: string;
  /** TTL / hop limit [64]. */
  ttl?: number;
}

function isV6(o: IpEndpoints): boolean {
  const v6 = o.srcIp.includes(':');
  if (v6 !== o.dstIp.includes(':')) throw new PacketBuildError(`mixed address families ${o.srcIp} -> ${o.dstIp}`);
  return v6;
}

/** The Ethernet/IP part of a spec for `o`. */
function ipSpec(o: IpEndpoints): Pick<PacketSpec, 'eth' | 'vlans' | 'ipv4' | 'ipv6'> {
  const l2 = { eth: { src: o.srcMac, dst: o.dstMac }, vlans: o.vlans };
  return isV6(o)
    ? { ...l2, ipv6: { src: o.srcIp, dst: o.dstIp, hopLimit: o.ttl ?? 64 } }
    : { ...l2, ipv4: { src: o.srcIp, dst: o.dstIp, ttl: o.ttl ?? 64 } };
}

/** Echo parameters: identifier, sequence number and data [empty]. */
export interface EchoParams {
  id: number;
  seq: number;
  data?: Uint8Array;
}

function echo(kind: 'echo-request' | 'echo-reply', o: IpEndpoints & EchoParams): Buffer {
  const base = ipSpec(o);
  const msg = { kind, id: o.id, seq: o.seq } as const;
  return buildPacket(base.ipv6 ? { ...base, icmpv6: msg, payload: o.data } : { ...base, icmp: msg, payload: o.data });
}

/** ICMP echo request (ICMPv6 echo request for IPv6 addresses). */
export function icmpEchoRequest(o: IpEndpoints & EchoParams): Buffer {
  return echo('echo-request', o);
}

/** ICMP echo reply (ICMPv6 echo reply for IPv6 addresses). */
export function icmpEchoReply(o: IpEndpoints & EchoParams): Buffer {
  return echo('echo-reply', o);
}

/** The solicited-node multicast address ff02::1:ffXX:XXXX of an IPv6 address (RFC 4291). */
export function solicitedNodeMulticast(ip: string): string {
  const b = ipv6ToBytes(ip);
  const m = ipv6ToBytes('ff02::1:ff00:0');
  m[13] = b[13]!;
  m[14] = b[14]!;
  m[15] = b[15]!;
  return ipv6FromBytes(m);
}

/** The Ethernet multicast MAC 33:33:XX:XX:XX:XX of an IPv6 multicast address (RFC 2464). */
export function ipv6MulticastMac(ip: string): string {
  const b = ipv6ToBytes(ip);
  const m = Buffer.from([0x33, 0x33, b[12]!, b[13]!, b[14]!, b[15]!]);
  return macFromBytes(m);
}

/**
 * Neighbor solicitation for `target` from `srcMac`/`srcIp`, hop limit 255. Without `dstIp` it goes to the target's
 * solicited-node multicast group (and its multicast MAC); with `srcIp` `::` (duplicate address detection) no source
 * link-layer address option is sent.
 */
export function ndSolicit(
  o: { srcMac: string; srcIp: string; target: string; dstIp?: string; dstMac?: string; options?: NdOption[] } & WithVlans,
): Buffer {
  const dstIp = o.dstIp ?? solicitedNodeMulticast(o.target);
  const dad = ipv6FromBytes(ipv6ToBytes(o.srcIp)) === '::';
  return buildPacket({
    eth: { src: o.srcMac, dst: o.dstMac ?? ipv6MulticastMac(dstIp) },
    vlans: o.vlans,
    ipv6: { src: o.srcIp, dst: dstIp, hopLimit: 255 },
    icmpv6: { kind: 'ns', target: o.target, sourceLinkAddr: dad ? undefined : o.srcMac, options: o.options },
  });
}

/**
 * Neighbor advertisement: `target` (default `srcIp`) is at `srcMac` (target link-layer address option), hop limit
 * 255. Without `dstIp` it is unsolicited to all nodes (ff02::1); flags default to solicited = !!dstIp, override = true.
 */
export function ndAdvert(
  o: {
    srcMac: string;
    srcIp: string;
    target?: string;
    dstIp?: string;
    dstMac?: string;
    router?: boolean;
    solicited?: boolean;
    override?: boolean;
  } & WithVlans,
): Buffer {
  const dstIp = o.dstIp ?? 'ff02::1';
  return buildPacket({
    eth: { src: o.srcMac, dst: o.dstMac ?? ipv6MulticastMac(dstIp) },
    vlans: o.vlans,
    ipv6: { src: o.srcIp, dst: dstIp, hopLimit: 255 },
    icmpv6: {
      kind: 'na',
      target: o.target ?? o.srcIp,
      router: o.router ?? false,
      solicited: o.solicited ?? o.dstIp !== undefined,
      override: o.override ?? true,
      targetLinkAddr: o.srcMac,
    },
  });
}

/** A UDP datagram with a correct checksum (IPv4 or IPv6). */
export function udpPacket(o: IpEndpoints & { srcPort: number; dstPort: number; data?: Uint8Array }): Buffer {
  return buildPacket({ ...ipSpec(o), udp: { srcPort: o.srcPort, dstPort: o.dstPort }, payload: o.data });
}

/** A TCP segment with a correct checksum (IPv4 or IPv6); seq/ack/flags/window default to 0, options to none. */
export function tcpSegment(
  o: IpEndpoints & {
    srcPort: number;
    dstPort: number;
    seq?: number;
    ack?: number;
    flags?: number;
    window?: number;
    options?: Buffer;
    data?: Uint8Array;
  },
): Buffer {
  return buildPacket({
    ...ipSpec(o),
    tcp: { srcPort: o.srcPort, dstPort: o.dstPort, seq: o.seq, ack: o.ack, flags: o.flags, window: o.window, options: o.options },
    payload: o.data,
  });
}
