/**
 * ICMPv6 (RFC 4443) with neighbor discovery (RFC 4861): echo, neighbor solicitation/advertisement (target and
 * link-layer address options), router solicitation/advertisement (options kept); other types kept raw.
 */
import { ipv6FromBytes, macFromBytes, writeIpv6, writeMac } from '../../core/addr';
import { type Cursor, u16, u32, put16, put32 } from './bytes';
import { ICMPV6_TYPE, ND_OPT } from './constants';
import { PacketBuildError, packetDecodeError } from './errors';
import type { Icmpv6Message, NdOption } from './types';

/** Fixed part (before options) of each ND message. */
const ND_FIXED: Readonly<Record<number, number>> = {
  [ICMPV6_TYPE.ROUTER_SOLICIT]: 8,
  [ICMPV6_TYPE.ROUTER_ADVERT]: 16,
  [ICMPV6_TYPE.NEIGHBOR_SOLICIT]: 24,
  [ICMPV6_TYPE.NEIGHBOR_ADVERT]: 24,
};

interface NdOptions {
  options: NdOption[];
  sourceLinkAddr: string | undefined;
  targetLinkAddr: string | undefined;
}

/** Decodes ND options in `buf[p..end)`; every option must have a non-zero length and fit. */
function decodeNdOptions(buf: Buffer, p: number, end: number): NdOptions {
  const out: NdOptions = { options: [], sourceLinkAddr: undefined, targetLinkAddr: undefined };
  while (p < end) {
    if (end - p < 2) throw packetDecodeError('PKT_BAD_ND_OPTION', 'icmpv6', p, `option header needs 2 bytes, have ${end - p}`);
    const type = buf[p]!;
    const len = buf[p + 1]! * 8;
    if (len === 0) throw packetDecodeError('PKT_BAD_ND_OPTION', 'icmpv6', p, `option ${type} has length 0`);
    if (len > end - p) throw packetDecodeError('PKT_BAD_ND_OPTION', 'icmpv6', p, `option ${type} of ${len} bytes, have ${end - p}`);
    out.options.push({ type, data: buf.subarray(p + 2, p + len) });
    if (type === ND_OPT.SOURCE_LL_ADDR && out.sourceLinkAddr === undefined) out.sourceLinkAddr = macFromBytes(buf, p + 2);
    else if (type === ND_OPT.TARGET_LL_ADDR && out.targetLinkAddr === undefined) out.targetLinkAddr = macFromBytes(buf, p + 2);
    p += len;
  }
  return out;
}

/**
 * Decodes the ICMPv6 message at `cur.pos`. Echo and non-ND messages advance past their 8-byte header (the rest is
 * the packet payload); ND messages consume everything to `cur.end` (their options).
 */
export function decodeIcmpv6(buf: Buffer, cur: Cursor): Icmpv6Message {
  const o = cur.pos;
  const avail = cur.end - o;
  if (avail < 8) throw packetDecodeError('PKT_TRUNCATED', 'icmpv6', o, `need 8 bytes, have ${avail}`);
  const type = buf[o]!;
  const code = buf[o + 1]!;
  const checksum = u16(buf, o + 2);
  if (type === ICMPV6_TYPE.ECHO_REQUEST || type === ICMPV6_TYPE.ECHO_REPLY) {
    cur.pos = o + 8;
    return {
      kind: type === ICMPV6_TYPE.ECHO_REQUEST ? 'echo-request' : 'echo-reply',
      type,
      code,
      checksum,
      id: u16(buf, o + 4),
      seq: u16(buf, o + 6),
    };
  }
  const fixed = ND_FIXED[type];
  if (fixed === undefined) {
    cur.pos = o + 8;
    return { kind: 'other', type, code, checksum, rest: u32(buf, o + 4) };
  }
  if (avail < fixed) throw packetDecodeError('PKT_TRUNCATED', 'icmpv6', o, `type ${type} needs ${fixed} bytes, have ${avail}`);
  const nd = decodeNdOptions(buf, o + fixed, cur.end);
  cur.pos = cur.end;
  const common = { type, code, checksum, options: nd.options, sourceLinkAddr: nd.sourceLinkAddr, targetLinkAddr: nd.targetLinkAddr };
  switch (type) {
    case ICMPV6_TYPE.NEIGHBOR_SOLICIT:
      return { kind: 'ns', ...common, target: ipv6FromBytes(buf, o + 8) };
    case ICMPV6_TYPE.NEIGHBOR_ADVERT: {
      const f = buf[o + 4]!;
      return {
        kind: 'na',
        ...common,
        router: (f & 0x80) !== 0,
        solicited: (f & 0x40) !== 0,
        override: (f & 0x20) !== 0,
        target: ipv6FromBytes(buf, o + 8),
      };
    }
    case ICMPV6_TYPE.ROUTER_SOLICIT:
      return { kind: 'rs', ...common };
    default: {
      const flags = buf[o + 5]!;
      return {
        kind: 'ra',
        ...common,
        curHopLimit: buf[o + 4]!,
        flags,
        managed: (flags & 0x80) !== 0,
        other: (flags & 0x40) !== 0,
        routerLifetime: u16(buf, o + 6),
        reachableTime: u32(buf, o + 8),
        retransTimer: u32(buf, o + 12),
      };
    }
  }
}

/** ND fields shared by the ND specs: raw options plus link-layer address conveniences. */
interface NdSpecCommon {
  code?: number;
  /** Raw options, encoded first, in order; `data` is padded with zeros to a multiple of 8 bytes with its header. */
  options?: readonly NdOption[];
  /** Adds a source link-layer address option unless `options` already has one. */
  sourceLinkAddr?: string | undefined;
  /** Adds a target link-layer address option unless `options` already has one. */
  targetLinkAddr?: string | undefined;
}

/** An ICMPv6 message to encode (checksum computed by `buildPacket`). */
export type Icmpv6Spec =
  | { kind: 'echo-request' | 'echo-reply'; code?: number; id: number; seq: number }
  | ({ kind: 'ns'; target: string } & NdSpecCommon)
  | ({ kind: 'na'; target: string; router?: boolean; solicited?: boolean; override?: boolean } & NdSpecCommon)
  | ({ kind: 'rs' } & NdSpecCommon)
  | ({
      kind: 'ra';
      curHopLimit?: number;
      /** Raw flags byte; when unset, built from `managed` and `other`. */
      flags?: number;
      managed?: boolean;
      other?: boolean;
      routerLifetime?: number;
      reachableTime?: number;
      retransTimer?: number;
    } & NdSpecCommon)
  | { kind: 'other'; type: number; code?: number; rest?: number };

function ndOptionLength(dataLen: number): number {
  const len = Math.ceil((dataLen + 2) / 8) * 8;
  if (len > 255 * 8) throw new PacketBuildError(`ND option of ${len} bytes too long`);
  return len;
}

/** The options an ND spec encodes to: its raw options, then the link-layer address conveniences not already present. */
function ndOptionsOf(spec: NdSpecCommon): { type: number; data?: Buffer; mac?: string }[] {
  const list: { type: number; data?: Buffer; mac?: string }[] = (spec.options ?? []).map((o) => ({ type: o.type, data: o.data }));
  const has = (t: number): boolean => list.some((o) => o.type === t);
  if (spec.sourceLinkAddr !== undefined && !has(ND_OPT.SOURCE_LL_ADDR)) list.push({ type: ND_OPT.SOURCE_LL_ADDR, mac: spec.sourceLinkAddr });
  if (spec.targetLinkAddr !== undefined && !has(ND_OPT.TARGET_LL_ADDR)) list.push({ type: ND_OPT.TARGET_LL_ADDR, mac: spec.targetLinkAddr });
  return list;
}

function fixedLength(spec: Icmpv6Spec): number {
  switch (spec.kind) {
    case 'ns':
    case 'na':
      return 24;
    case 'rs':
      return 8;
    case 'ra':
      return 16;
    default:
      return 8;
  }
}

/** Length of the ICMPv6 message `spec` encodes to (header, ND fixed part and options; not the echo/raw payload). */
export function icmpv6Length(spec: Icmpv6Spec): number {
  let n = fixedLength(spec);
  if (spec.kind === 'ns' || spec.kind === 'na' || spec.kind === 'rs' || spec.kind === 'ra') {
    for (const o of ndOptionsOf(spec)) n += ndOptionLength(o.mac !== undefined ? 6 : o.data?.length ?? 0);
  }
  return n;
}

function checkUint(name: string, v: number, max: number): void {
  if (!Number.isInteger(v) || v < 0 || v > max) throw new PacketBuildError(`ICMPv6 ${name} ${v} outside 0-${max}`);
}

/** Writes the ICMPv6 message at `off` with a zero checksum; returns the offset after it. */
export function encodeIcmpv6(buf: Buffer, off: number, spec: Icmpv6Spec): number {
  const code = spec.code ?? 0;
  checkUint('code', code, 255);
  const fixed = fixedLength(spec);
  buf.fill(0, off, off + fixed);
  buf[off + 1] = code;
  switch (spec.kind) {
    case 'echo-request':
    case 'echo-reply':
      checkUint('id', spec.id, 0xffff);
      checkUint('seq', spec.seq, 0xffff);
      buf[off] = spec.kind === 'echo-request' ? ICMPV6_TYPE.ECHO_REQUEST : ICMPV6_TYPE.ECHO_REPLY;
      put16(buf, off + 4, spec.id);
      put16(buf, off + 6, spec.seq);
      return off + 8;
    case 'other':
      checkUint('type', spec.type, 255);
      checkUint('rest', spec.rest ?? 0, 0xffffffff);
      buf[off] = spec.type;
      put32(buf, off + 4, spec.rest ?? 0);
      return off + 8;
    case 'ns':
      buf[off] = ICMPV6_TYPE.NEIGHBOR_SOLICIT;
      writeIpv6(spec.target, buf, off + 8);
      break;
    case 'na':
      buf[off] = ICMPV6_TYPE.NEIGHBOR_ADVERT;
      buf[off + 4] = (spec.router ? 0x80 : 0) | (spec.solicited ? 0x40 : 0) | (spec.override ? 0x20 : 0);
      writeIpv6(spec.target, buf, off + 8);
      break;
    case 'rs':
      buf[off] = ICMPV6_TYPE.ROUTER_SOLICIT;
      break;
    case 'ra': {
      const flags = spec.flags ?? ((spec.managed ? 0x80 : 0) | (spec.other ? 0x40 : 0));
      checkUint('cur hop limit', spec.curHopLimit ?? 0, 255);
      checkUint('flags', flags, 255);
      checkUint('router lifetime', spec.routerLifetime ?? 0, 0xffff);
      checkUint('reachable time', spec.reachableTime ?? 0, 0xffffffff);
      checkUint('retrans timer', spec.retransTimer ?? 0, 0xffffffff);
      buf[off] = ICMPV6_TYPE.ROUTER_ADVERT;
      buf[off + 4] = spec.curHopLimit ?? 0;
      buf[off + 5] = flags;
      put16(buf, off + 6, spec.routerLifetime ?? 0);
      put32(buf, off + 8, spec.reachableTime ?? 0);
      put32(buf, off + 12, spec.retransTimer ?? 0);
      break;
    }
  }
  let p = off + fixed;
  for (const o of ndOptionsOf(spec)) {
    checkUint('option type', o.type, 255);
    const dataLen = o.mac !== undefined ? 6 : o.data?.length ?? 0;
    const len = ndOptionLength(dataLen);
    buf.fill(0, p, p + len);
    buf[p] = o.type;
    buf[p + 1] = len / 8;
    if (o.mac !== undefined) writeMac(o.mac, buf, p + 2);
    else if (o.data) o.data.copy(buf, p + 2);
    p += len;
  }
  return p;
}
