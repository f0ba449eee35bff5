/** Frame decoding: Ethernet, VLANs, ARP/RARP, IPv4, IPv6, then ICMP, ICMPv6, TCP or UDP. */
import { decodeArp } from './arp';
import { type Cursor, EMPTY, view } from './bytes';
import { ETHERTYPE, IPPROTO } from './constants';
import { type PacketDecodeError, isPacketDecodeError } from './errors';
import { decodeEthernet, decodeVlanTags, isVlanTpid, NO_VLANS } from './ethernet';
import { decodeIcmp } from './icmp';
import { decodeIcmpv6 } from './icmpv6';
import { decodeIpv4 } from './ipv4';
import { decodeIpv6 } from './ipv6';
import { decodeTcp } from './tcp';
import type { Packet } from './types';
import { decodeUdp } from './udp';
import { verifyChecksums } from './verify';

const CURSOR: Cursor = { pos: 0, end: 0 };

/** Options of {@link parsePacket}. */
export interface ParseOptions {
  /** Verify the IPv4 header and L4 checksums and report them in `packet.checksums` (never throws for a bad one). */
  verifyChecksums?: boolean;
}

/**
 * Decodes a frame layer by layer into a {@link Packet}. Buffers in the result are views into `frame`.
 *
 * Throws a {@link PacketDecodeError} (codes `PKT_*`) for a malformed frame and nothing else. Unknown ethertypes, IP
 * protocols and non-Ethernet/IPv4 ARP are not errors: decoding stops there and the rest is `payload`. The L4 header
 * of a fragmented datagram is decoded only from its first fragment.
 */
export function parsePacket(frame: Buffer, options?: ParseOptions): Packet {
  const buf = Buffer.isBuffer(frame) ? frame : asBuffer(frame);
  // Decoding is synchronous and never re-entered, so one cursor serves every call.
  const cur = CURSOR;
  cur.pos = 0;
  cur.end = buf.length;
  const eth = decodeEthernet(buf, cur);
  const vlans = isVlanTpid(eth.etherType) ? decodeVlanTags(buf, cur, eth) : NO_VLANS;
  const pkt: Packet = {
    eth,
    vlans,
    arp: undefined,
    ipv4: undefined,
    ipv6: undefined,
    icmp: undefined,
    icmpv6: undefined,
    tcp: undefined,
    udp: undefined,
    payload: EMPTY,
    frame: buf,
    l3Offset: -1,
    l4Offset: -1,
    checksums: undefined,
  };
  const et = eth.etherType;
  let protocol = -1;
  let fragmented = false;
  if (et === ETHERTYPE.IPV4) {
    pkt.l3Offset = cur.pos;
    const ip = decodeIpv4(buf, cur);
    pkt.ipv4 = ip;
    if (ip.fragment === undefined) protocol = ip.protocol;
    else if (ip.fragment.offset === 0) {
      protocol = ip.protocol;
      fragmented = true;
    }
  } else if (et === ETHERTYPE.IPV6) {
    pkt.l3Offset = cur.pos;
    const ip = decodeIpv6(buf, cur);
    pkt.ipv6 = ip;
    if (ip.fragment === undefined) protocol = ip.protocol;
    else if (ip.fragment.offset === 0) {
      protocol = ip.protocol;
      fragmented = true;
    }
  } else if (et === ETHERTYPE.ARP || et === ETHERTYPE.RARP) {
    const l3 = cur.pos;
    const arp = decodeArp(buf, cur);
    if (arp !== undefined) {
      pkt.arp = arp;
      pkt.l3Offset = l3;
    }
  }
  if (protocol >= 0) {
    const l4 = cur.pos;
    if (protocol === IPPROTO.TCP) {
      pkt.tcp = decodeTcp(buf, cur);
      pkt.l4Offset = l4;
    } else if (protocol === IPPROTO.UDP) {
      pkt.udp = decodeUdp(buf, cur, fragmented);
      pkt.l4Offset = l4;
    } else if (protocol === IPPROTO.ICMP && pkt.ipv4 !== undefined) {
      pkt.icmp = decodeIcmp(buf, cur);
      pkt.l4Offset = l4;
    } else if (protocol === IPPROTO.ICMPV6 && pkt.ipv6 !== undefined) {
      pkt.icmpv6 = decodeIcmpv6(buf, cur);
      pkt.l4Offset = l4;
    }
  }
  pkt.payload = view(buf, cur.pos, cur.end);
  if (options?.verifyChecksums) pkt.checksums = verifyChecksums(pkt);
  return pkt;
}

/** A Buffer view of a plain Uint8Array (no copy). */
function asBuffer(u8: Uint8Array): Buffer {
  return Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength);
}

/** Result of {@link tryParsePacket}. */
export type ParseResult = { ok: true; packet: Packet } | { ok: false; error: PacketDecodeError };

/** Like {@link parsePacket} but returns decoding failures instead of throwing them (other errors still propagate). */
export function tryParsePacket(frame: Buffer, options?: ParseOptions): ParseResult {
  try {
    return { ok: true, packet: parsePacket(frame, options) };
  } catch (e) {
    if (isPacketDecodeError(e)) return { ok: false, error: e };
    throw e;
  }
}
