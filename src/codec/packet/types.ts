/**
 * The decoded form of a frame, as returned by `parsePacket`. Addresses are canonical text (see `core/addr`), numbers
 * are host numbers, and every Buffer is a view (`subarray`) into the parsed frame: copy it if the frame's memory is
 * reused.
 */

/** Ethernet II header. `etherType` is the inner ethertype, after any VLAN tags. */
export interface EthernetHeader {
  dst: string;
  src: string;
  /** Ethertype of the payload (after VLAN tags); values below 0x0600 are 802.3 lengths and are not decoded. */
  etherType: number;
}

/** One 802.1Q / 802.1ad tag, outermost first in {@link Packet.vlans}. */
export interface VlanTag {
  /** Tag protocol identifier: 0x8100, 0x88a8 or 0x9100. */
  tpid: number;
  /** Priority code point, 0-7. */
  pcp: number;
  /** Drop eligible indicator (formerly CFI). */
  dei: boolean;
  /** VLAN id, 0-4095. */
  vid: number;
}

/** An ARP or RARP packet (Ethernet hardware, IPv4 protocol addresses only). */
export interface ArpPacket {
  /** 1 request, 2 reply, 3 reverse request, 4 reverse reply (see `ARP_OP`). */
  op: number;
  senderMac: string;
  senderIp: string;
  targetMac: string;
  targetIp: string;
}

/** Fragmentation state of an IPv4 packet or of an IPv6 packet with a fragment header. */
export interface FragmentInfo {
  /** More fragments follow. */
  mf: boolean;
  /** Offset of this fragment's data in the original datagram, in bytes (the wire field times 8). */
  offset: number;
  /** Identification shared by all fragments of the datagram. */
  id: number;
}

/** IPv4 header. */
export interface Ipv4Header {
  /** Header length in bytes (IHL * 4). */
  headerLength: number;
  dscp: number;
  ecn: number;
  totalLength: number;
  id: number;
  dontFragment: boolean;
  /** Present only when the packet is a fragment (MF set or offset non-zero). */
  fragment?: FragmentInfo;
  ttl: number;
  protocol: number;
  checksum: number;
  src: string;
  dst: string;
  /** Raw options (empty when IHL is 5). */
  options: Buffer;
}

/** IPv6 fixed header plus a summary of its extension headers. */
export interface Ipv6Header {
  trafficClass: number;
  flowLabel: number;
  payloadLength: number;
  /** Next header of the fixed header (the first extension header's type when there are any). */
  nextHeader: number;
  hopLimit: number;
  src: string;
  dst: string;
  /** Types of the extension headers walked, in order (0, 43, 44, 60, 51); empty when none. */
  extHeaders: readonly number[];
  /** Upper-layer protocol after the extension headers (e.g. 6, 17, 58; 59 for none; 50 for ESP, not decoded). */
  protocol: number;
  /** Present when a fragment header was found. */
  fragment?: FragmentInfo;
}

/** ICMP echo request (type 8) or reply (type 0); the echo data is {@link Packet.payload}. */
export interface IcmpEcho {
  kind: 'echo-request' | 'echo-reply';
  type: number;
  code: number;
  checksum: number;
  id: number;
  seq: number;
}

/** Any other ICMP message, kept raw: the 4 bytes after the checksum in `rest`, the body in {@link Packet.payload}. */
export interface IcmpOther {
  kind: 'other';
  type: number;
  code: number;
  checksum: number;
  /** The second 32-bit word of the header (unused, pointer, MTU, gateway... depending on type). */
  rest: number;
}

/** A decoded ICMP message. */
export type IcmpMessage = IcmpEcho | IcmpOther;

/** A raw neighbor-discovery option: `data` is the option after its type and length bytes. */
export interface NdOption {
  type: number;
  data: Buffer;
}

/** Fields shared by neighbor-discovery messages. */
interface NdCommon {
  type: number;
  code: number;
  checksum: number;
  /** Every option in order, raw. */
  options: NdOption[];
  /** MAC of the first source link-layer address option, if any. */
  sourceLinkAddr?: string;
  /** MAC of the first target link-layer address option, if any. */
  targetLinkAddr?: string;
}

/** ICMPv6 echo request (128) or reply (129); the echo data is {@link Packet.payload}. */
export interface Icmpv6Echo {
  kind: 'echo-request' | 'echo-reply';
  type: number;
  code: number;
  checksum: number;
  id: number;
  seq: number;
}

/** Neighbor solicitation (135). */
export interface Icmpv6NeighborSolicit extends NdCommon {
  kind: 'ns';
  target: string;
}

/** Neighbor advertisement (136). */
export interface Icmpv6NeighborAdvert extends NdCommon {
  kind: 'na';
  router: boolean;
  solicited: boolean;
  override: boolean;
  target: string;
}

/** Router solicitation (133). */
export interface Icmpv6RouterSolicit extends NdCommon {
  kind: 'rs';
}

/** Router advertisement (134). */
export interface Icmpv6RouterAdvert extends NdCommon {
  kind: 'ra';
  curHopLimit: number;
  /** The raw flags byte (M = 0x80, O = 0x40, rest kept as is). */
  flags: number;
  managed: boolean;
  other: boolean;
  routerLifetime: number;
  reachableTime: number;
  retransTimer: number;
}

/** Any other ICMPv6 message, kept raw (second header word in `rest`, body in {@link Packet.payload}). */
export interface Icmpv6Other {
  kind: 'other';
  type: number;
  code: number;
  checksum: number;
  rest: number;
}

/** A decoded ICMPv6 message. */
export type Icmpv6Message =
  | Icmpv6Echo
  | Icmpv6NeighborSolicit
  | Icmpv6NeighborAdvert
  | Icmpv6RouterSolicit
  | Icmpv6RouterAdvert
  | Icmpv6Other;

/** TCP header. */
export interface TcpHeader {
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  /** Header length in bytes (data offset * 4). */
  headerLength: number;
  /** Flag bits, see `TCP_FLAGS` (FIN 0x01 ... CWR 0x80, NS 0x100). */
  flags: number;
  window: number;
  checksum: number;
  urgentPointer: number;
  /** Raw options (empty when the header is 20 bytes). */
  options: Buffer;
}

/** UDP header. */
export interface UdpHeader {
  srcPort: number;
  dstPort: number;
  /** Length field (header + data). For a first fragment it covers the whole datagram. */
  length: number;
  checksum: number;
}

/** Result of a checksum verification: `none` = not present (UDP over IPv4 with 0), `skipped` = not verifiable (fragment). */
export type ChecksumStatus = 'ok' | 'bad' | 'none' | 'skipped';

/** Checksums of a packet, one entry per layer that has one. `valid` is false when any is `bad`. */
export interface ChecksumReport {
  valid: boolean;
  ipv4?: ChecksumStatus;
  tcp?: ChecksumStatus;
  udp?: ChecksumStatus;
  icmp?: ChecksumStatus;
  icmpv6?: ChecksumStatus;
}

/**
 * A decoded frame. Exactly the layers present are set; `payload` is what follows the last decoded header (the TCP
 * or UDP data, the ICMP body, the bytes of an unknown protocol or of a non-first fragment), bounded by the IP and
 * UDP length fields (so Ethernet padding is excluded for IP packets).
 */
export interface Packet {
  eth: EthernetHeader;
  /** VLAN tags, outermost first; empty when untagged. */
  vlans: readonly VlanTag[];
  /** ARP (ethertype 0x0806) or RARP (0x8035, see `eth.etherType`). */
  arp?: ArpPacket;
  ipv4?: Ipv4Header;
  ipv6?: Ipv6Header;
  icmp?: IcmpMessage;
  icmpv6?: Icmpv6Message;
  tcp?: TcpHeader;
  udp?: UdpHeader;
  payload: Buffer;
  /** The parsed frame (same object as the input). */
  frame: Buffer;
  /** Offset of the L3 (ARP/IP) header in `frame`, or -1. */
  l3Offset: number;
  /** Offset of the L4 (TCP/UDP/ICMP/ICMPv6) header in `frame`, or -1. */
  l4Offset: number;
  /** Set when parsing was asked to verify checksums. */
  checksums?: ChecksumReport;
}
