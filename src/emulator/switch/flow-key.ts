/**
 * The flow key: every OpenFlow 1.3 match field of a frame as unsigned 32-bit words in a reusable Uint32Array, plus
 * the header offsets the actions need. Extraction reads the frame bytes directly (no strings, no allocation), the
 * way Open vSwitch's flow_extract does: one VLAN tag (vlan-limit 1), MPLS top label, IPv4/IPv6 (extension headers
 * walked), TCP/UDP/SCTP ports, ICMP/ICMPv6 type and code, ARP/RARP, and the IPv6 neighbour-discovery fields.
 *
 * Fields wider than 32 bits take several words, most significant first (MACs: 16 + 32 bits; IPv6: 4 x 32;
 * metadata and tunnel id: 2 x 32). Fields absent from the frame are 0; vlan_vid carries OFPVID_PRESENT (0x1000)
 * when a tag is present, as OXM vlan_vid does.
 */

/** Word index of each field in {@link FlowKey.w}. */
export const K = {
  IN_PORT: 0,
  IN_PHY_PORT: 1,
  METADATA: 2, // 2 words
  ETH_DST: 4, // 2 words: 16 high bits, 32 low bits
  ETH_SRC: 6, // 2 words
  ETH_TYPE: 8,
  VLAN_VID: 9,
  VLAN_PCP: 10,
  IP_DSCP: 11,
  IP_ECN: 12,
  IP_PROTO: 13,
  IPV4_SRC: 14,
  IPV4_DST: 15,
  TP_SRC: 16,
  TP_DST: 17,
  ICMP_TYPE: 18,
  ICMP_CODE: 19,
  ARP_OP: 20,
  ARP_SPA: 21,
  ARP_TPA: 22,
  ARP_SHA: 23, // 2 words
  ARP_THA: 25, // 2 words
  IPV6_SRC: 27, // 4 words
  IPV6_DST: 31, // 4 words
  IPV6_FLABEL: 35,
  ND_TARGET: 36, // 4 words
  ND_SLL: 40, // 2 words
  ND_TLL: 42, // 2 words
  MPLS_LABEL: 44,
  MPLS_TC: 45,
  MPLS_BOS: 46,
  PBB_ISID: 47,
  TUNNEL_ID: 48, // 2 words
  IPV6_EXTHDR: 50,
  /** IPv4 TTL / IPv6 hop limit (not an OXM field; for traces and dec_nw_ttl checks). */
  NW_TTL: 51,
  /** 1 = fragment (first or later), 2 = later fragment (OVS nw_frag). */
  NW_FRAG: 52,
  /** MPLS TTL of the top label. */
  MPLS_TTL: 53,
} as const;

/** Number of words in a flow key. */
export const KEY_WORDS = 54;

const ETH_VLAN = 0x8100;
const ETH_QINQ = 0x88a8;
const ETH_IPV4 = 0x0800;
const ETH_IPV6 = 0x86dd;
const ETH_ARP = 0x0806;
const ETH_RARP = 0x8035;
const ETH_MPLS = 0x8847;
const ETH_MPLS_MC = 0x8848;

/** A frame's extracted match fields and header offsets. Reused across packets: call {@link extractKey} to refill. */
export class FlowKey {
  /** Field words, indexed by {@link K}. */
  readonly w = new Uint32Array(KEY_WORDS);
  /** Offset of the (outermost) VLAN tag's TPID, or -1 when untagged. */
  vlanOff = -1;
  /** Offset of the ethertype field that names the L3 protocol (after the tag, if any). */
  typeOff = 12;
  /** Offset of the L3 header (IP, ARP, MPLS label stack), or -1. */
  l3Off = -1;
  /** Offset of the L4 header, or -1 (also for non-first fragments). */
  l4Off = -1;

  /** Copies every field and offset of `o` into this key. */
  copyFrom(o: FlowKey): void {
    this.w.set(o.w);
    this.vlanOff = o.vlanOff;
    this.typeOff = o.typeOff;
    this.l3Off = o.l3Off;
    this.l4Off = o.l4Off;
  }

  /** The 48-bit eth_dst as a number (exact). */
  ethDst(): number {
    return this.w[K.ETH_DST]! * 0x100000000 + this.w[K.ETH_DST + 1]!;
  }

  /** The 48-bit eth_src as a number (exact). */
  ethSrc(): number {
    return this.w[K.ETH_SRC]! * 0x100000000 + this.w[K.ETH_SRC + 1]!;
  }
}

function u16(b: Buffer, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}

function u32(b: Buffer, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

/**
 * Fills `key` from `frame`, preserving the pipeline fields (in_port, in_phy_port, metadata, tunnel_id) already in
 * it. Never throws: a truncated header simply leaves its fields 0.
 */
export function extractKey(frame: Buffer, key: FlowKey): void {
  const w = key.w;
  const inPort = w[K.IN_PORT]!;
  const inPhy = w[K.IN_PHY_PORT]!;
  const m0 = w[K.METADATA]!;
  const m1 = w[K.METADATA + 1]!;
  const t0 = w[K.TUNNEL_ID]!;
  const t1 = w[K.TUNNEL_ID + 1]!;
  w.fill(0);
  w[K.IN_PORT] = inPort;
  w[K.IN_PHY_PORT] = inPhy;
  w[K.METADATA] = m0;
  w[K.METADATA + 1] = m1;
  w[K.TUNNEL_ID] = t0;
  w[K.TUNNEL_ID + 1] = t1;
  key.vlanOff = -1;
  key.typeOff = 12;
  key.l3Off = -1;
  key.l4Off = -1;
  const n = frame.length;
  if (n < 14) return;
  w[K.ETH_DST] = u16(frame, 0);
  w[K.ETH_DST + 1] = u32(frame, 2);
  w[K.ETH_SRC] = u16(frame, 6);
  w[K.ETH_SRC + 1] = u32(frame, 8);
  let off = 12;
  let et = u16(frame, 12);
  if (et === ETH_VLAN || et === ETH_QINQ) {
    if (n < 18) {
      w[K.ETH_TYPE] = 0;
      return;
    }
    const tci = u16(frame, 14);
    w[K.VLAN_VID] = (tci & 0xfff) | 0x1000;
    w[K.VLAN_PCP] = tci >>> 13;
    key.vlanOff = 12;
    off = 16;
    et = u16(frame, 16);
  }
  key.typeOff = off;
  const l3 = off + 2;
  if (et < 0x600) {
    // 802.3 length field: OVS reports the "no ethertype" value.
    w[K.ETH_TYPE] = 0x05ff;
    return;
  }
  w[K.ETH_TYPE] = et;
  if (et === ETH_IPV4) {
    if (n < l3 + 20) return;
    key.l3Off = l3;
    const ihl = (frame[l3]! & 0x0f) * 4;
    const tos = frame[l3 + 1]!;
    w[K.IP_DSCP] = tos >>> 2;
    w[K.IP_ECN] = tos & 3;
    w[K.NW_TTL] = frame[l3 + 8]!;
    const proto = frame[l3 + 9]!;
    w[K.IP_PROTO] = proto;
    w[K.IPV4_SRC] = u32(frame, l3 + 12);
    w[K.IPV4_DST] = u32(frame, l3 + 16);
    const fo = u16(frame, l3 + 6);
    if ((fo & 0x3fff) !== 0) {
      w[K.NW_FRAG] = (fo & 0x1fff) !== 0 ? 3 : 1;
      if ((fo & 0x1fff) !== 0) return;
    }
    if (ihl < 20) return;
    extractL4(frame, key, l3 + ihl, proto, false);
  } else if (et === ETH_IPV6) {
    if (n < l3 + 40) return;
    key.l3Off = l3;
    const v = u32(frame, l3);
    const tc = (v >>> 20) & 0xff;
    w[K.IP_DSCP] = tc >>> 2;
    w[K.IP_ECN] = tc & 3;
    w[K.IPV6_FLABEL] = v & 0xfffff;
    w[K.NW_TTL] = frame[l3 + 7]!;
    for (let i = 0; i < 4; i++) {
      w[K.IPV6_SRC + i] = u32(frame, l3 + 8 + 4 * i);
      w[K.IPV6_DST + i] = u32(frame, l3 + 24 + 4 * i);
    }
    let nh = frame[l3 + 6]!;
    let p = l3 + 40;
    // Walk extension headers: hop-by-hop 0, routing 43, fragment 44, AH 51, destination options 60.
    for (let guard = 0; guard < 16; guard++) {
      if (nh === 0 || nh === 43 || nh === 60) {
        if (n < p + 8) return;
        const next = frame[p]!;
        p += (frame[p + 1]! + 1) * 8;
        nh = next;
      } else if (nh === 51) {
        if (n < p + 8) return;
        const next = frame[p]!;
        p += (frame[p + 1]! + 2) * 4;
        nh = next;
      } else if (nh === 44) {
        if (n < p + 8) return;
        const next = frame[p]!;
        const fo = u16(frame, p + 2);
        p += 8;
        nh = next;
        w[K.NW_FRAG] = (fo & 0xfff8) !== 0 ? 3 : 1;
        if ((fo & 0xfff8) !== 0) {
          w[K.IP_PROTO] = nh;
          return;
        }
      } else break;
    }
    w[K.IP_PROTO] = nh;
    if (p > n) return;
    extractL4(frame, key, p, nh, true);
  } else if (et === ETH_ARP || et === ETH_RARP) {
    if (n < l3 + 28) return;
    // Ethernet/IPv4 ARP only, as OVS.
    if (u16(frame, l3) !== 1 || u16(frame, l3 + 2) !== ETH_IPV4 || frame[l3 + 4] !== 6 || frame[l3 + 5] !== 4) return;
    key.l3Off = l3;
    const op = u16(frame, l3 + 6);
    w[K.ARP_OP] = op <= 0xff ? op : 0;
    w[K.ARP_SHA] = u16(frame, l3 + 8);
    w[K.ARP_SHA + 1] = u32(frame, l3 + 10);
    w[K.ARP_SPA] = u32(frame, l3 + 14);
    w[K.ARP_THA] = u16(frame, l3 + 18);
    w[K.ARP_THA + 1] = u32(frame, l3 + 20);
    w[K.ARP_TPA] = u32(frame, l3 + 24);
  } else if (et === ETH_MPLS || et === ETH_MPLS_MC) {
    if (n < l3 + 4) return;
    key.l3Off = l3;
    const lse = u32(frame, l3);
    w[K.MPLS_LABEL] = lse >>> 12;
    w[K.MPLS_TC] = (lse >>> 9) & 7;
    w[K.MPLS_BOS] = (lse >>> 8) & 1;
    w[K.MPLS_TTL] = lse & 0xff;
  }
}

function extractL4(frame: Buffer, key: FlowKey, l4: number, proto: number, v6: boolean): void {
  const w = key.w;
  const n = frame.length;
  if (proto === 6 || proto === 17 || proto === 132) {
    if (n < l4 + 4) return;
    // OVS needs the whole fixed header (TCP 20, UDP 8, SCTP 12) before it reads the ports.
    const need = proto === 6 ? 20 : proto === 17 ? 8 : 12;
    if (n < l4 + need) return;
    key.l4Off = l4;
    w[K.TP_SRC] = u16(frame, l4);
    w[K.TP_DST] = u16(frame, l4 + 2);
  } else if (proto === 1 && !v6) {
    if (n < l4 + 4) return;
    key.l4Off = l4;
    w[K.ICMP_TYPE] = frame[l4]!;
    w[K.ICMP_CODE] = frame[l4 + 1]!;
  } else if (proto === 58 && v6) {
    if (n < l4 + 4) return;
    key.l4Off = l4;
    const type = frame[l4]!;
    w[K.ICMP_TYPE] = type;
    w[K.ICMP_CODE] = frame[l4 + 1]!;
    if ((type === 135 || type === 136) && frame[l4 + 1] === 0 && n >= l4 + 24) {
      for (let i = 0; i < 4; i++) w[K.ND_TARGET + i] = u32(frame, l4 + 8 + 4 * i);
      let p = l4 + 24;
      while (p + 8 <= n) {
        const ot = frame[p]!;
        const ol = frame[p + 1]! * 8;
        if (ol === 0 || p + ol > n) break;
        if (ol === 8) {
          if (ot === 1 && type === 135 && w[K.ND_SLL] === 0 && w[K.ND_SLL + 1] === 0) {
            w[K.ND_SLL] = u16(frame, p + 2);
            w[K.ND_SLL + 1] = u32(frame, p + 4);
          } else if (ot === 2 && type === 136 && w[K.ND_TLL] === 0 && w[K.ND_TLL + 1] === 0) {
            w[K.ND_TLL] = u16(frame, p + 2);
            w[K.ND_TLL + 1] = u32(frame, p + 4);
          }
        }
        p += ol;
      }
    }
  }
}
