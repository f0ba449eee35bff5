/**
 * IPv6 fixed header (RFC 8200) and the walk over its extension headers: hop-by-hop options, routing, fragment,
 * destination options and AH are skipped with bounds checks, at most {@link MAX_IPV6_EXT_HEADERS} of them.
 */
import { ipv6FromBytes, writeIpv6 } from '../../core/addr';
import { type Cursor, u16, u32, put16, put32 } from './bytes';
import { HEADER_LEN, IPPROTO } from './constants';
import { MAX_IPV6_EXT_HEADERS, PacketBuildError, packetDecodeError } from './errors';
import type { FragmentInfo, Ipv6Header } from './types';

const NO_EXT: readonly number[] = Object.freeze([]);

/** True for the next-header values walked as extension headers (0, 43, 44, 51, 60). */
export function isIpv6ExtHeader(nextHeader: number): boolean {
  return (
    nextHeader === IPPROTO.HOPOPTS ||
    nextHeader === IPPROTO.ROUTING ||
    nextHeader === IPPROTO.FRAGMENT ||
    nextHeader === IPPROTO.DSTOPTS ||
    nextHeader === IPPROTO.AH
  );
}

/**
 * Decodes the IPv6 header at `cur.pos` and walks its extension headers: advances to the upper-layer header and
 * narrows `cur.end` to the end of the payload (payload length), excluding Ethernet padding.
 */
export function decodeIpv6(buf: Buffer, cur: Cursor): Ipv6Header {
  const o = cur.pos;
  const avail = cur.end - o;
  if (avail < HEADER_LEN.IPV6) throw packetDecodeError('PKT_TRUNCATED', 'ipv6', o, `need ${HEADER_LEN.IPV6} bytes, have ${avail}`);
  const w0 = u32(buf, o);
  const version = Math.floor(w0 / 0x10000000);
  if (version !== 6) throw packetDecodeError('PKT_BAD_VERSION', 'ipv6', o, `version ${version}, expected 6`);
  const payloadLength = u16(buf, o + 4);
  if (payloadLength > avail - HEADER_LEN.IPV6) {
    throw packetDecodeError('PKT_BAD_PAYLOAD_LENGTH', 'ipv6', o, `payload length ${payloadLength}, buffer has ${avail - HEADER_LEN.IPV6}`);
  }
  const end = o + HEADER_LEN.IPV6 + payloadLength;
  const nextHeader = buf[o + 6]!;
  let nh = nextHeader;
  let p = o + HEADER_LEN.IPV6;
  let ext: number[] | undefined;
  let fragment: FragmentInfo | undefined;
  while (isIpv6ExtHeader(nh)) {
    if (ext === undefined) ext = [];
    else if (ext.length >= MAX_IPV6_EXT_HEADERS) {
      throw packetDecodeError('PKT_TOO_MANY_EXT_HEADERS', 'ipv6', p, `more than ${MAX_IPV6_EXT_HEADERS} extension headers`);
    }
    if (end - p < 8) throw packetDecodeError('PKT_BAD_EXT_HEADER', 'ipv6', p, `extension header ${nh} runs past the payload`);
    let len: number;
    if (nh === IPPROTO.FRAGMENT) {
      len = 8;
      const off = u16(buf, p + 2);
      fragment = { mf: (off & 1) !== 0, offset: off & 0xfff8, id: u32(buf, p + 4) };
    } else if (nh === IPPROTO.AH) {
      len = (buf[p + 1]! + 2) * 4;
    } else {
      len = (buf[p + 1]! + 1) * 8;
    }
    if (len > end - p) throw packetDecodeError('PKT_BAD_EXT_HEADER', 'ipv6', p, `extension header ${nh} of ${len} bytes runs past the payload`);
    ext.push(nh);
    nh = buf[p]!;
    p += len;
  }
  cur.pos = p;
  cur.end = end;
  return {
    trafficClass: (w0 >>> 20) & 0xff,
    flowLabel: w0 & 0xfffff,
    payloadLength,
    nextHeader,
    hopLimit: buf[o + 7]!,
    src: ipv6FromBytes(buf, o + 8),
    dst: ipv6FromBytes(buf, o + 24),
    extHeaders: ext ?? NO_EXT,
    protocol: nh,
    fragment,
  };
}

/**
 * An extension header to encode, in chain order. Hop-by-hop (0), routing (43) and destination options (60) carry
 * `data`: the header after its next-header and length bytes, padded by the encoder with zeros (Pad1/PadN-compatible)
 * to a multiple of 8 bytes in all. The fragment header (44) carries `mf`, `offset` (bytes, multiple of 8) and `id`.
 */
export type Ipv6ExtSpec =
  | { type: 0 | 43 | 60; data?: Buffer }
  | { type: 44; mf: boolean; offset: number; id: number };

/** Fields of an IPv6 header to encode; unset fields take the defaults in brackets. */
export interface Ipv6Spec {
  src: string;
  dst: string;
  /** [64] */
  hopLimit?: number;
  /** [0] */
  trafficClass?: number;
  /** [0] */
  flowLabel?: number;
  /** Upper-layer protocol; implied by the L4 layer in `buildPacket`, required otherwise. */
  protocol?: number;
  /** Extension headers, in order [none]. */
  extensions?: readonly Ipv6ExtSpec[];
  /**
   * Shorthand for a fragment header (`id` defaults to 0), appended last to `extensions` unless they already hold
   * one: lets a parsed fragment be re-encoded.
   */
  fragment?: { mf: boolean; offset: number; id?: number } | undefined;
}

/** The extension headers `spec` encodes, in order, with the `fragment` shorthand applied. */
function extensionsOf(spec: Ipv6Spec): readonly Ipv6ExtSpec[] {
  const exts = spec.extensions ?? [];
  const f = spec.fragment;
  if (f === undefined || exts.some((e) => e.type === IPPROTO.FRAGMENT)) return exts;
  return [...exts, { type: IPPROTO.FRAGMENT, mf: f.mf, offset: f.offset, id: f.id ?? 0 }];
}

function extLength(e: Ipv6ExtSpec): number {
  if (e.type === IPPROTO.FRAGMENT) return 8;
  const n = 2 + (e.data?.length ?? 0);
  const len = Math.ceil(n / 8) * 8;
  if (len > 2048) throw new PacketBuildError(`IPv6 extension header of ${len} bytes too long`);
  return len;
}

/** Length of the IPv6 header and extension headers `spec` encodes to. */
export function ipv6HeaderLength(spec: Ipv6Spec): number {
  let n = HEADER_LEN.IPV6;
  for (const e of extensionsOf(spec)) n += extLength(e);
  return n;
}

function checkUint(name: string, v: number, max: number): void {
  if (!Number.isInteger(v) || v < 0 || v > max) throw new PacketBuildError(`IPv6 ${name} ${v} outside 0-${max}`);
}

/**
 * Writes the IPv6 header and extension headers at `off` for `payloadLength` bytes after the fixed header, with
 * `protocol` as the upper layer; returns the offset of the upper-layer header.
 */
export function encodeIpv6(buf: Buffer, off: number, spec: Ipv6Spec, protocol: number, payloadLength: number): number {
  const tc = spec.trafficClass ?? 0;
  const fl = spec.flowLabel ?? 0;
  const hop = spec.hopLimit ?? 64;
  checkUint('traffic class', tc, 255);
  checkUint('flow label', fl, 0xfffff);
  checkUint('hop limit', hop, 255);
  checkUint('protocol', protocol, 255);
  checkUint('payload length', payloadLength, 0xffff);
  const exts = extensionsOf(spec);
  put32(buf, off, 0x60000000 + tc * 0x100000 + fl);
  put16(buf, off + 4, payloadLength);
  buf[off + 6] = exts.length > 0 ? exts[0]!.type : protocol;
  buf[off + 7] = hop;
  writeIpv6(spec.src, buf, off + 8);
  writeIpv6(spec.dst, buf, off + 24);
  let p = off + HEADER_LEN.IPV6;
  for (let i = 0; i < exts.length; i++) {
    const e = exts[i]!;
    const len = extLength(e);
    buf.fill(0, p, p + len);
    buf[p] = i + 1 < exts.length ? exts[i + 1]!.type : protocol;
    if (e.type === IPPROTO.FRAGMENT) {
      if (!Number.isInteger(e.offset) || e.offset < 0 || e.offset % 8 !== 0 || e.offset > 0xfff8) {
        throw new PacketBuildError(`IPv6 fragment offset ${e.offset} must be a multiple of 8 up to 65528`);
      }
      checkUint('fragment id', e.id, 0xffffffff);
      put16(buf, p + 2, e.offset | (e.mf ? 1 : 0));
      put32(buf, p + 4, e.id);
    } else if (e.type === IPPROTO.HOPOPTS || e.type === IPPROTO.ROUTING || e.type === IPPROTO.DSTOPTS) {
      buf[p + 1] = len / 8 - 1;
      if (e.data) e.data.copy(buf, p + 2);
      if (len - 2 - (e.data?.length ?? 0) >= 2) {
        // PadN option over the zero tail (hop-by-hop and destination options must stay well-formed).
        if (e.type !== IPPROTO.ROUTING) {
          const padStart = p + 2 + (e.data?.length ?? 0);
          buf[padStart] = 1;
          buf[padStart + 1] = p + len - padStart - 2;
        }
      }
    } else {
      throw new PacketBuildError(`IPv6 extension header type ${(e as { type: number }).type} not supported by the encoder`);
    }
    p += len;
  }
  return p;
}
