import { formatIpv4, formatIpv6, formatMac, parseIpv4, parseIpv6, parseMac } from './addr';
import { OFPBAC, OFPBMC, OFPMT, OFPXMC } from './constants';
import { OFPET } from './errors';
import { badValue, decodeFail } from './fail';
import type { Match, OxmBasic, OxmFieldName, OxmRaw, OxmTlv, OxmValue } from './types';
import type { Reader, Writer } from './wire';

/** How an OXM value is represented in TypeScript. */
export type OxmKind = 'uint' | 'u64' | 'mac' | 'ipv4' | 'ipv6';

/** Static description of one OpenFlow-basic OXM field. */
export interface OxmFieldInfo {
  readonly name: OxmFieldName;
  /** oxm_field number (class OFPXMC_OPENFLOW_BASIC). */
  readonly field: number;
  /** Value length in bytes (the TLV payload is twice this with a mask). */
  readonly len: number;
  readonly kind: OxmKind;
  /** Whether a mask (HM bit) is allowed. */
  readonly maskable: boolean;
  /** Meaningful bits of the value (for 'uint'; may be less than 8 * len). */
  readonly bits: number;
}

/**
 * The 40 OpenFlow 1.3 basic fields (spec table 12): name, oxm_field, bytes, kind, maskable, value bits.
 * Maskability follows Open vSwitch, which (beyond the specification's list) also accepts masks on the transport
 * ports and the IPv6 neighbour-discovery fields and sends them in flow stats; accepting them keeps decode -> encode
 * exact for anything OVS sends.
 */
const TABLE: readonly (readonly [OxmFieldName, number, number, OxmKind, boolean, number])[] = [
  ['in_port', 0, 4, 'uint', false, 32],
  ['in_phy_port', 1, 4, 'uint', false, 32],
  ['metadata', 2, 8, 'u64', true, 64],
  ['eth_dst', 3, 6, 'mac', true, 48],
  ['eth_src', 4, 6, 'mac', true, 48],
  ['eth_type', 5, 2, 'uint', false, 16],
  ['vlan_vid', 6, 2, 'uint', true, 13],
  ['vlan_pcp', 7, 1, 'uint', false, 3],
  ['ip_dscp', 8, 1, 'uint', false, 6],
  ['ip_ecn', 9, 1, 'uint', false, 2],
  ['ip_proto', 10, 1, 'uint', false, 8],
  ['ipv4_src', 11, 4, 'ipv4', true, 32],
  ['ipv4_dst', 12, 4, 'ipv4', true, 32],
  ['tcp_src', 13, 2, 'uint', true, 16],
  ['tcp_dst', 14, 2, 'uint', true, 16],
  ['udp_src', 15, 2, 'uint', true, 16],
  ['udp_dst', 16, 2, 'uint', true, 16],
  ['sctp_src', 17, 2, 'uint', true, 16],
  ['sctp_dst', 18, 2, 'uint', true, 16],
  ['icmpv4_type', 19, 1, 'uint', false, 8],
  ['icmpv4_code', 20, 1, 'uint', false, 8],
  ['arp_op', 21, 2, 'uint', false, 16],
  ['arp_spa', 22, 4, 'ipv4', true, 32],
  ['arp_tpa', 23, 4, 'ipv4', true, 32],
  ['arp_sha', 24, 6, 'mac', true, 48],
  ['arp_tha', 25, 6, 'mac', true, 48],
  ['ipv6_src', 26, 16, 'ipv6', true, 128],
  ['ipv6_dst', 27, 16, 'ipv6', true, 128],
  ['ipv6_flabel', 28, 4, 'uint', true, 20],
  ['icmpv6_type', 29, 1, 'uint', false, 8],
  ['icmpv6_code', 30, 1, 'uint', false, 8],
  ['ipv6_nd_target', 31, 16, 'ipv6', true, 128],
  ['ipv6_nd_sll', 32, 6, 'mac', true, 48],
  ['ipv6_nd_tll', 33, 6, 'mac', true, 48],
  ['mpls_label', 34, 4, 'uint', false, 20],
  ['mpls_tc', 35, 1, 'uint', false, 3],
  ['mpls_bos', 36, 1, 'uint', false, 1],
  ['pbb_isid', 37, 3, 'uint', true, 24],
  ['tunnel_id', 38, 8, 'u64', true, 64],
  ['ipv6_exthdr', 39, 2, 'uint', true, 9],
];

/** Field info indexed by oxm_field number. */
const BY_FIELD: readonly OxmFieldInfo[] = TABLE.map(([name, field, len, kind, maskable, bits]) => ({
  name,
  field,
  len,
  kind,
  maskable,
  bits,
}));

const BY_NAME: ReadonlyMap<string, OxmFieldInfo> = new Map(BY_FIELD.map((f) => [f.name, f]));

/** Number of OpenFlow-basic fields defined by OpenFlow 1.3. */
export const OXM_BASIC_FIELD_COUNT = BY_FIELD.length;

/** All OpenFlow-basic field descriptions, in oxm_field order. */
export function oxmFields(): readonly OxmFieldInfo[] {
  return BY_FIELD;
}

/** Description of an OpenFlow-basic field by name, or undefined for an unknown name. */
export function oxmFieldInfo(name: string): OxmFieldInfo | undefined {
  return BY_NAME.get(name);
}

/** The OFPT_ERROR type/codes to report for a malformed OXM in a given context (match or set_field). */
export interface OxmErrorCodes {
  readonly type: number;
  readonly badField: number;
  readonly badLen: number;
  readonly badMask: number;
  readonly badValue: number;
}

/** Errors for OXMs inside an ofp_match. */
export const MATCH_OXM_ERRORS: OxmErrorCodes = {
  type: OFPET.BAD_MATCH,
  badField: OFPBMC.BAD_FIELD,
  badLen: OFPBMC.BAD_LEN,
  badMask: OFPBMC.BAD_MASK,
  badValue: OFPBMC.BAD_VALUE,
};

/** Errors for the OXM of a set_field action. */
export const SET_FIELD_OXM_ERRORS: OxmErrorCodes = {
  type: OFPET.BAD_ACTION,
  badField: OFPBAC.BAD_SET_TYPE,
  badLen: OFPBAC.BAD_SET_LEN,
  badMask: OFPBAC.BAD_SET_ARGUMENT,
  badValue: OFPBAC.BAD_SET_ARGUMENT,
};

// ---------------------------------------------------------------------------------------------------------------
// Encoding

const scratch = Buffer.alloc(16);
const mac6 = Buffer.alloc(6);

function writeValue(w: Writer, f: OxmFieldInfo, v: OxmValue, isMask: boolean): void {
  const what = isMask ? `${f.name} mask` : f.name;
  switch (f.kind) {
    case 'uint': {
      const max = isMask ? 2 ** (8 * f.len) - 1 : 2 ** f.bits - 1;
      if (!(typeof v === 'number' && v >= 0 && v <= max && Math.floor(v) === v)) {
        badValue(`OXM ${what} must be an integer in [0, ${max}], got ${String(v)}`, { field: f.name });
      }
      if (f.len === 1) w.u8(v);
      else if (f.len === 2) w.u16(v);
      else if (f.len === 3) w.u24(v);
      else w.u32(v);
      return;
    }
    case 'u64':
      if (!(typeof v === 'bigint' && v >= 0n && v <= 0xffffffffffffffffn)) {
        badValue(`OXM ${what} must be a bigint in [0, 2^64), got ${String(v)}`, { field: f.name });
      }
      w.u64(v);
      return;
    case 'mac':
      if (!parseMac(v as string, mac6, 0)) badValue(`OXM ${what}: bad MAC address ${String(v)}`, { field: f.name });
      w.bytes(mac6);
      return;
    case 'ipv4': {
      const n = parseIpv4(v as string);
      if (n < 0) badValue(`OXM ${what}: bad IPv4 address ${String(v)}`, { field: f.name });
      w.u32(n);
      return;
    }
    case 'ipv6':
      if (!parseIpv6(v as string, scratch, 0)) badValue(`OXM ${what}: bad IPv6 address ${String(v)}`, { field: f.name });
      w.bytes(scratch);
      return;
  }
}

/** Writes one OXM TLV (header + value [+ mask]). Throws OfpEncodeError OFP_BAD_VALUE for unrepresentable values. */
export function encodeOxm(w: Writer, tlv: OxmTlv): void {
  if (tlv.field === 'raw') {
    const raw = tlv as OxmRaw;
    const len = raw.payload?.length;
    if (!(raw.payload instanceof Uint8Array) || len > 255) badValue('raw OXM payload must be a Buffer of <= 255 bytes');
    if (!(raw.oxmClass >= 0 && raw.oxmClass <= 0xffff && raw.oxmField >= 0 && raw.oxmField <= 0x7f)) {
      badValue(`raw OXM class/field out of range: ${raw.oxmClass}/${raw.oxmField}`);
    }
    w.u16(raw.oxmClass);
    w.u8((raw.oxmField << 1) | (raw.hasMask ? 1 : 0));
    w.u8(len);
    w.bytes(raw.payload);
    return;
  }
  const f = BY_NAME.get(tlv.field);
  if (f === undefined) badValue(`unknown OXM field ${String(tlv.field)}`);
  const hasMask = tlv.mask !== undefined;
  if (hasMask && !f.maskable) badValue(`OXM field ${f.name} is not maskable`, { field: f.name });
  w.u16(OFPXMC.OPENFLOW_BASIC);
  w.u8((f.field << 1) | (hasMask ? 1 : 0));
  w.u8(hasMask ? 2 * f.len : f.len);
  writeValue(w, f, tlv.value, false);
  if (hasMask) writeValue(w, f, tlv.mask!, true);
}

/**
 * Writes a whole ofp_match (type OFPMT_OXM, length, TLVs, zero padding to a multiple of 8). Throws OfpEncodeError
 * OFP_BAD_VALUE for bad values and for a basic field listed twice.
 */
export function encodeMatch(w: Writer, m: Match): void {
  const start = w.pos;
  w.u16(OFPMT.OXM);
  w.u16(0);
  let seenLo = 0;
  let seenHi = 0;
  for (let i = 0; i < m.length; i++) {
    const tlv = m[i]!;
    if (tlv.field !== 'raw') {
      const f = BY_NAME.get(tlv.field);
      if (f !== undefined) {
        const dup = f.field < 32 ? seenLo & (1 << f.field) : seenHi & (1 << (f.field - 32));
        if (dup !== 0) badValue(`OXM field ${f.name} appears twice in a match`, { field: f.name });
        if (f.field < 32) seenLo |= 1 << f.field;
        else seenHi |= 1 << (f.field - 32);
      }
    }
    encodeOxm(w, tlv);
  }
  w.patchU16(start + 2, w.pos - start);
  w.pad8(start);
}

// ---------------------------------------------------------------------------------------------------------------
// Decoding

/** oxm_field of the basic TLV decodeOxm returned last (saves a name lookup in decodeMatch's duplicate check). */
let lastBasicField = -1;

function readValue(r: Reader, f: OxmFieldInfo): OxmValue {
  const buf = r.buf;
  const p = r.pos;
  r.pos = p + f.len; // caller checked the length
  switch (f.kind) {
    case 'uint':
      if (f.len === 1) return buf[p]!;
      if (f.len === 2) return buf.readUInt16BE(p);
      if (f.len === 3) return buf.readUIntBE(p, 3);
      return buf.readUInt32BE(p);
    case 'u64':
      return buf.readBigUInt64BE(p);
    case 'mac':
      return formatMac(buf, p);
    case 'ipv4':
      return formatIpv4(buf, p);
    case 'ipv6':
      return formatIpv6(buf, p);
  }
}

/**
 * Reads one OXM TLV. Basic-class fields are validated (unknown field, length, mask on a non-maskable field, value
 * outside the field's bits) and decoded to typed values; other classes are kept raw. `errs` selects the OFPT_ERROR
 * codes (match by default, SET_FIELD_OXM_ERRORS for set_field).
 */
export function decodeOxm(r: Reader, errs: OxmErrorCodes = MATCH_OXM_ERRORS): OxmTlv {
  if (r.remaining < 4) {
    decodeFail('OFP_BAD_OXM_LENGTH', `truncated OXM header at offset ${r.pos}`, errs.type, errs.badLen, {
      offset: r.pos,
    });
  }
  const buf = r.buf;
  const start = r.pos;
  const oxmClass = buf.readUInt16BE(start);
  const fieldHm = buf[start + 2]!;
  const len = buf[start + 3]!;
  const field = fieldHm >> 1;
  const hasMask = (fieldHm & 1) === 1;
  if (len > r.remaining - 4) {
    decodeFail('OFP_BAD_OXM_LENGTH', `OXM payload of ${len} bytes overruns its container`, errs.type, errs.badLen, {
      offset: start,
      oxmClass,
      oxmField: field,
    });
  }
  r.pos = start + 4;
  if (oxmClass !== OFPXMC.OPENFLOW_BASIC) {
    if (oxmClass === OFPXMC.EXPERIMENTER && len < 4) {
      decodeFail('OFP_BAD_OXM_LENGTH', 'experimenter OXM shorter than its experimenter id', errs.type, errs.badLen, {
        offset: start,
      });
    }
    const raw: OxmRaw = { field: 'raw', oxmClass, oxmField: field, hasMask, payload: r.bytes(len) };
    return raw;
  }
  const f = BY_FIELD[field];
  if (f === undefined) {
    decodeFail('OFP_BAD_OXM_FIELD', `unknown OpenFlow-basic OXM field ${field}`, errs.type, errs.badField, {
      offset: start,
      oxmField: field,
    });
  }
  if (hasMask && !f.maskable) {
    decodeFail('OFP_BAD_OXM_MASK', `OXM field ${f.name} is not maskable`, errs.type, errs.badMask, {
      offset: start,
      field: f.name,
    });
  }
  if (len !== (hasMask ? 2 * f.len : f.len)) {
    decodeFail('OFP_BAD_OXM_LENGTH', `OXM field ${f.name} has length ${len}`, errs.type, errs.badLen, {
      offset: start,
      field: f.name,
      len,
    });
  }
  const value = readValue(r, f);
  lastBasicField = field;
  if (f.kind === 'uint' && f.bits < 8 * f.len && (value as number) >= 2 ** f.bits) {
    decodeFail('OFP_BAD_OXM_VALUE', `OXM ${f.name} value ${String(value)} exceeds ${f.bits} bits`, errs.type, errs.badValue, {
      offset: start,
      field: f.name,
    });
  }
  if (!hasMask) return { field: f.name, value };
  const tlv: OxmBasic = { field: f.name, value, mask: readValue(r, f) };
  return tlv;
}

/**
 * Reads a whole ofp_match of type OFPMT_OXM including its padding. Errors (OFPET_BAD_MATCH): wrong match type ->
 * OFPBMC_BAD_TYPE; bad lengths -> OFPBMC_BAD_LEN; a basic field twice -> OFPBMC_DUP_FIELD; plus decodeOxm's errors.
 */
export function decodeMatch(r: Reader): Match {
  if (r.remaining < 4) {
    decodeFail('OFP_BAD_MATCH', `truncated ofp_match at offset ${r.pos}`, OFPET.BAD_MATCH, OFPBMC.BAD_LEN, {
      offset: r.pos,
    });
  }
  const start = r.pos;
  const type = r.buf.readUInt16BE(start);
  const length = r.buf.readUInt16BE(start + 2);
  if (type !== OFPMT.OXM) {
    decodeFail('OFP_BAD_MATCH', `unsupported match type ${type}`, OFPET.BAD_MATCH, OFPBMC.BAD_TYPE, { type });
  }
  const padded = (length + 7) & ~7;
  if (length < 4 || padded > r.remaining) {
    decodeFail('OFP_BAD_MATCH', `ofp_match length ${length} invalid (${r.remaining} bytes left)`, OFPET.BAD_MATCH, OFPBMC.BAD_LEN, {
      offset: start,
      length,
    });
  }
  r.pos = start + 4;
  const m: Match = [];
  let seenLo = 0;
  let seenHi = 0;
  const inner = r.sub(length - 4, 'match', OFPET.BAD_MATCH, OFPBMC.BAD_LEN);
  while (inner.remaining > 0) {
    const tlv = decodeOxm(inner);
    if (tlv.field !== 'raw') {
      const n = lastBasicField;
      const bit = n < 32 ? seenLo & (1 << n) : seenHi & (1 << (n - 32));
      if (bit !== 0) {
        decodeFail('OFP_DUP_OXM_FIELD', `OXM field ${tlv.field} appears twice`, OFPET.BAD_MATCH, OFPBMC.DUP_FIELD, {
          field: tlv.field,
        });
      }
      if (n < 32) seenLo |= 1 << n;
      else seenHi |= 1 << (n - 32);
    }
    m.push(tlv);
  }
  r.pos = start + padded;
  return m;
}
