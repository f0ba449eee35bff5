/** Protocol numbers used by the packet codecs (named, not scattered magic numbers). */

/** Ethertypes. */
export const ETHERTYPE = {
  IPV4: 0x0800,
  ARP: 0x0806,
  /** Reverse ARP; QEMU announces a migrated VM's MAC with RARP frames. */
  RARP: 0x8035,
  VLAN: 0x8100,
  IPV6: 0x86dd,
  /** 802.1ad service tag (outer tag of QinQ). */
  QINQ: 0x88a8,
  /** Legacy pre-802.1ad QinQ tag. */
  QINQ_LEGACY: 0x9100,
} as const;

/** IP protocol / IPv6 next-header numbers. */
export const IPPROTO = {
  HOPOPTS: 0,
  ICMP: 1,
  TCP: 6,
  UDP: 17,
  ROUTING: 43,
  FRAGMENT: 44,
  ESP: 50,
  AH: 51,
  ICMPV6: 58,
  NONE: 59,
  DSTOPTS: 60,
} as const;

/** ARP/RARP operation codes. */
export const ARP_OP = { REQUEST: 1, REPLY: 2, REVERSE_REQUEST: 3, REVERSE_REPLY: 4 } as const;

/** ICMP (v4) types. */
export const ICMP_TYPE = { ECHO_REPLY: 0, DEST_UNREACHABLE: 3, ECHO_REQUEST: 8, TIME_EXCEEDED: 11 } as const;

/** ICMPv6 types. */
export const ICMPV6_TYPE = {
  DEST_UNREACHABLE: 1,
  PACKET_TOO_BIG: 2,
  TIME_EXCEEDED: 3,
  ECHO_REQUEST: 128,
  ECHO_REPLY: 129,
  ROUTER_SOLICIT: 133,
  ROUTER_ADVERT: 134,
  NEIGHBOR_SOLICIT: 135,
  NEIGHBOR_ADVERT: 136,
} as const;

/** Neighbor-discovery option types (RFC 4861). */
export const ND_OPT = { SOURCE_LL_ADDR: 1, TARGET_LL_ADDR: 2, PREFIX_INFO: 3, REDIRECTED_HEADER: 4, MTU: 5 } as const;

/** TCP flag bits as they appear in {@link TcpHeader.flags} (NS is bit 8). */
export const TCP_FLAGS = {
  FIN: 0x001,
  SYN: 0x002,
  RST: 0x004,
  PSH: 0x008,
  ACK: 0x010,
  URG: 0x020,
  ECE: 0x040,
  CWR: 0x080,
  NS: 0x100,
} as const;

/** Header sizes in bytes. */
export const HEADER_LEN = {
  ETHERNET: 14,
  VLAN: 4,
  ARP: 28,
  IPV4_MIN: 20,
  IPV6: 40,
  TCP_MIN: 20,
  UDP: 8,
  ICMP: 8,
} as const;
