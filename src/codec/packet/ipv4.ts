/** IPv4 header (RFC 791): options kept raw, fragments flagged. */
import { ipv4FromBytes, writeIpv4 } from '../../core/addr';
import { type Cursor, u16, put16, view } from './bytes';
import { internetChecksum } from './checksum';
import { HEADER_LEN } from './constants';
import { PacketBuildError, packetDecodeError } from './errors';
import type { FragmentInfo, Ipv4Header } from './types';

/**
 * Decodes the IPv4 header at `cur.pos`: advances past it (options included) and narrows `cur.end` to the end of the
 * datagram as given by the total length, so Ethernet padding is excluded.
 */
export function decodeIpv4(buf: Buffer, cur: Cursor): Ipv4Header {
  const o = cur.pos;
  const avail = cur.end - o;
  if (avail < HEADER_LEN.IPV4_MIN) {
    throw packetDecodeError('PKT_TRUNCATED', 'ipv4', o, `need ${HEADER_LEN.IPV4_MIN} bytes, have ${avail}`);
  }
  const vihl = buf[o]!;
  if (vihl >>> 4 !== 4) throw packetDecodeError('PKT_BAD_VERSION', 'ipv4', o, `version ${vihl >>> 4}, expected 4`);
  const headerLength = (vihl & 0x0f) * 4;
  if (headerLength < HEADER_LEN.IPV4_MIN) throw packetDecodeError('PKT_BAD_IHL', 'ipv4', o, `IHL ${vihl & 0x0f} below 5`);
  if (headerLength > avail) {
    throw packetDecodeError('PKT_TRUNCATED', 'ipv4', o, `header of ${headerLength} bytes, have ${avail}`);
  }
  const totalLength = u16(buf, o + 2);
  if (totalLength < headerLength || totalLength > avail) {
    throw packetDecodeError('PKT_BAD_TOTAL_LENGTH', 'ipv4', o, `total length ${totalLength} (header ${headerLength}, buffer ${avail})`);
  }
  const id = u16(buf, o + 4);
  const flagsFrag = u16(buf, o + 6);
  const mf = (flagsFrag & 0x2000) !== 0;
  const fragOffset = (flagsFrag & 0x1fff) * 8;
  const fragment: FragmentInfo | undefined = mf || fragOffset !== 0 ? { mf, offset: fragOffset, id } : undefined;
  cur.pos = o + headerLength;
  cur.end = o + totalLength;
  const tos = buf[o + 1]!;
  return {
    headerLength,
    dscp: tos >>> 2,
    ecn: tos & 3,
    totalLength,
    id,
    dontFragment: (flagsFrag & 0x4000) !== 0,
    fragment,
    ttl: buf[o + 8]!,
    protocol: buf[o + 9]!,
    checksum: u16(buf, o + 10),
    src: ipv4FromBytes(buf, o + 12),
    dst: ipv4FromBytes(buf, o + 16),
    options: view(buf, o + HEADER_LEN.IPV4_MIN, o + headerLength),
  };
}

/** Fields of an IPv4 header to encode; unset fields take the defaults in brackets. */
export interface Ipv4Spec {
  src: string;
  dst: string;
  /** [64] */
  ttl?: number;
  /** Implied by the L4 layer in `buildPacket`; required otherwise. */
  protocol?: number;
  /** [fragment.id, else 0] */
  id?: number;
  /** [0] */
  dscp?: number;
  /** [0] */
  ecn?: number;
  /** [false] */
  dontFragment?: boolean;
  /** Make a fragment: `offset` in bytes (multiple of 8). */
  fragment?: { mf: boolean; offset: number; id?: number } | undefined;
  /** Raw options, a multiple of 4 bytes, at most 40 (pad them yourself with EOL/NOP). */
  options?: Buffer;
}

function checkUint(name: string, v: number, max: number): void {
  if (!Number.isInteger(v) || v < 0 || v > max) throw new PacketBuildError(`IPv4 ${name} ${v} outside 0-${max}`);
}

/** Length of the IPv4 header `spec` encodes to. */
export function ipv4HeaderLength(spec: Ipv4Spec): number {
  const optLen = spec.options?.length ?? 0;
  if (optLen % 4 !== 0 || optLen > 40) throw new PacketBuildError(`IPv4 options length ${optLen} not a multiple of 4 up to 40`);
  return HEADER_LEN.IPV4_MIN + optLen;
}

/**
 * Writes an IPv4 header at `off` for a datagram of `totalLength` bytes carrying `protocol`, with a correct header
 * checksum; returns the offset after the header.
 */
export function encodeIpv4(buf: Buffer, off: number, spec: Ipv4Spec, protocol: number, totalLength: number): number {
  const hl = ipv4HeaderLength(spec);
  const ttl = spec.ttl ?? 64;
  const dscp = spec.dscp ?? 0;
  const ecn = spec.ecn ?? 0;
  const id = spec.id ?? spec.fragment?.id ?? 0;
  const fragOffset = spec.fragment?.offset ?? 0;
  checkUint('ttl', ttl, 255);
  checkUint('protocol', protocol, 255);
  checkUint('dscp', dscp, 63);
  checkUint('ecn', ecn, 3);
  checkUint('id', id, 0xffff);
  checkUint('total length', totalLength, 0xffff);
  if (!Number.isInteger(fragOffset) || fragOffset < 0 || fragOffset % 8 !== 0 || fragOffset > 0x1fff * 8) {
    throw new PacketBuildError(`IPv4 fragment offset ${fragOffset} must be a multiple of 8 up to ${0x1fff * 8}`);
  }
  buf[off] = 0x40 | (hl >>> 2);
  buf[off + 1] = (dscp << 2) | ecn;
  put16(buf, off + 2, totalLength);
  put16(buf, off + 4, id);
  put16(buf, off + 6, (spec.dontFragment ? 0x4000 : 0) | (spec.fragment?.mf ? 0x2000 : 0) | (fragOffset / 8));
  buf[off + 8] = ttl;
  buf[off + 9] = protocol;
  put16(buf, off + 10, 0);
  writeIpv4(spec.src, buf, off + 12);
  writeIpv4(spec.dst, buf, off + 16);
  if (spec.options && spec.options.length > 0) spec.options.copy(buf, off + HEADER_LEN.IPV4_MIN);
  put16(buf, off + 10, internetChecksum(buf, off, off + hl));
  return off + hl;
}
