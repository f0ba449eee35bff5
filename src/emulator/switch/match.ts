/**
 * OXM match compilation: an OpenFlow `Match` becomes a list of (key word, mask, value) triples over a {@link FlowKey},
 * validated like Open vSwitch validates it (prerequisites checked in TLV order, value bits outside the mask, fields
 * OVS does not support), and normalised the way OVS reports it back in flow stats (all-ones masks dropped, fully
 * wildcarded fields dropped, OVS's field order).
 */
import { ipv4FromNumber, ipv6FromBytes, macFromBytes } from '../../core/addr';
import { parseIpv4, parseIpv6, parseMac } from '../../codec/openflow/addr';
import { OFPBMC } from '../../codec/openflow/constants';
import { OFPET } from '../../codec/openflow/errors';
import type { Match, OxmBasic, OxmFieldName, OxmValue } from '../../codec/openflow/types';
import { refuse } from './errors';
import { K } from './flow-key';

type Kind = 'uint' | 'u64' | 'mac' | 'ipv4' | 'ipv6';

/** How one OXM field maps onto key words. */
export interface FieldDesc {
  readonly name: OxmFieldName;
  readonly slot: number;
  readonly words: number;
  readonly kind: Kind;
  /** Value bits for 'uint' fields. */
  readonly bits: number;
  readonly maskable: boolean;
  /** Rank in OVS's OXM output order. */
  readonly order: number;
}

const ORDER: OxmFieldName[] = [
  'in_port', 'in_phy_port', 'eth_src', 'eth_dst', 'eth_type', 'vlan_vid', 'vlan_pcp', 'mpls_tc', 'mpls_bos',
  'mpls_label', 'ipv4_src', 'ipv4_dst', 'ipv6_src', 'ipv6_dst', 'ip_dscp', 'ip_ecn', 'ipv6_flabel', 'ip_proto',
  'tcp_src', 'tcp_dst', 'udp_src', 'udp_dst', 'sctp_src', 'sctp_dst', 'icmpv4_type', 'icmpv4_code', 'icmpv6_type',
  'icmpv6_code', 'ipv6_nd_target', 'ipv6_nd_sll', 'ipv6_nd_tll', 'arp_op', 'arp_spa', 'arp_tpa', 'arp_sha', 'arp_tha',
  'pbb_isid', 'ipv6_exthdr', 'tunnel_id', 'metadata',
];

const DEFS: [OxmFieldName, number, number, Kind, number, boolean][] = [
  ['in_port', K.IN_PORT, 1, 'uint', 32, false],
  ['in_phy_port', K.IN_PHY_PORT, 1, 'uint', 32, false],
  ['metadata', K.METADATA, 2, 'u64', 64, true],
  ['eth_dst', K.ETH_DST, 2, 'mac', 48, true],
  ['eth_src', K.ETH_SRC, 2, 'mac', 48, true],
  ['eth_type', K.ETH_TYPE, 1, 'uint', 16, false],
  ['vlan_vid', K.VLAN_VID, 1, 'uint', 13, true],
  ['vlan_pcp', K.VLAN_PCP, 1, 'uint', 3, false],
  ['ip_dscp', K.IP_DSCP, 1, 'uint', 6, false],
  ['ip_ecn', K.IP_ECN, 1, 'uint', 2, false],
  ['ip_proto', K.IP_PROTO, 1, 'uint', 8, false],
  ['ipv4_src', K.IPV4_SRC, 1, 'ipv4', 32, true],
  ['ipv4_dst', K.IPV4_DST, 1, 'ipv4', 32, true],
  ['tcp_src', K.TP_SRC, 1, 'uint', 16, true],
  ['tcp_dst', K.TP_DST, 1, 'uint', 16, true],
  ['udp_src', K.TP_SRC, 1, 'uint', 16, true],
  ['udp_dst', K.TP_DST, 1, 'uint', 16, true],
  ['sctp_src', K.TP_SRC, 1, 'uint', 16, true],
  ['sctp_dst', K.TP_DST, 1, 'uint', 16, true],
  ['icmpv4_type', K.ICMP_TYPE, 1, 'uint', 8, false],
  ['icmpv4_code', K.ICMP_CODE, 1, 'uint', 8, false],
  ['arp_op', K.ARP_OP, 1, 'uint', 16, false],
  ['arp_spa', K.ARP_SPA, 1, 'ipv4', 32, true],
  ['arp_tpa', K.ARP_TPA, 1, 'ipv4', 32, true],
  ['arp_sha', K.ARP_SHA, 2, 'mac', 48, true],
  ['arp_tha', K.ARP_THA, 2, 'mac', 48, true],
  ['ipv6_src', K.IPV6_SRC, 4, 'ipv6', 128, true],
  ['ipv6_dst', K.IPV6_DST, 4, 'ipv6', 128, true],
  ['ipv6_flabel', K.IPV6_FLABEL, 1, 'uint', 20, true],
  ['icmpv6_type', K.ICMP_TYPE, 1, 'uint', 8, false],
  ['icmpv6_code', K.ICMP_CODE, 1, 'uint', 8, false],
  ['ipv6_nd_target', K.ND_TARGET, 4, 'ipv6', 128, true],
  ['ipv6_nd_sll', K.ND_SLL, 2, 'mac', 48, true],
  ['ipv6_nd_tll', K.ND_TLL, 2, 'mac', 48, true],
  ['mpls_label', K.MPLS_LABEL, 1, 'uint', 20, false],
  ['mpls_tc', K.MPLS_TC, 1, 'uint', 3, false],
  ['mpls_bos', K.MPLS_BOS, 1, 'uint', 1, false],
  ['pbb_isid', K.PBB_ISID, 1, 'uint', 24, true],
  ['tunnel_id', K.TUNNEL_ID, 2, 'u64', 64, true],
  ['ipv6_exthdr', K.IPV6_EXTHDR, 1, 'uint', 9, true],
];

/** Field descriptions by OXM name. */
export const FIELDS: ReadonlyMap<string, FieldDesc> = new Map(
  DEFS.map(([name, slot, words, kind, bits, maskable]) => [
    name,
    { name, slot, words, kind, bits, maskable, order: ORDER.indexOf(name) },
  ]),
);

/** Fields Open vSwitch does not implement (a match on them is OFPBMC_BAD_FIELD). */
export const UNSUPPORTED_FIELDS: ReadonlySet<string> = new Set(['in_phy_port', 'pbb_isid', 'ipv6_exthdr']);

const tmp16 = Buffer.alloc(16);

/**
 * Converts an OXM value (or mask) of field `f` to its key words. Returns undefined when the value is not of the
 * field's type.
 */
export function valueToWords(f: FieldDesc, v: OxmValue): number[] | undefined {
  switch (f.kind) {
    case 'uint': {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffffffff) return undefined;
      return [v >>> 0];
    }
    case 'u64': {
      if (typeof v !== 'bigint' || v < 0n || v > 0xffffffffffffffffn) return undefined;
      return [Number(v >> 32n) >>> 0, Number(v & 0xffffffffn) >>> 0];
    }
    case 'mac': {
      if (typeof v !== 'string' || !parseMac(v, tmp16, 0)) return undefined;
      return [tmp16.readUInt16BE(0), tmp16.readUInt32BE(2)];
    }
    case 'ipv4': {
      if (typeof v !== 'string') return undefined;
      const n = parseIpv4(v);
      return n < 0 ? undefined : [n >>> 0];
    }
    case 'ipv6': {
      if (typeof v !== 'string' || !parseIpv6(v, tmp16, 0)) return undefined;
      return [tmp16.readUInt32BE(0), tmp16.readUInt32BE(4), tmp16.readUInt32BE(8), tmp16.readUInt32BE(12)];
    }
  }
}

/** Converts key words of field `f` back into an OXM value. */
export function wordsToValue(f: FieldDesc, w: ArrayLike<number>, at = 0): OxmValue {
  switch (f.kind) {
    case 'uint':
      return w[at]! >>> 0;
    case 'u64':
      return (BigInt(w[at]! >>> 0) << 32n) | BigInt(w[at + 1]! >>> 0);
    case 'mac':
      tmp16.writeUInt16BE(w[at]! & 0xffff, 0);
      tmp16.writeUInt32BE(w[at + 1]! >>> 0, 2);
      return macFromBytes(tmp16, 0);
    case 'ipv4':
      return ipv4FromNumber(w[at]! >>> 0);
    case 'ipv6':
      for (let i = 0; i < 4; i++) tmp16.writeUInt32BE(w[at + i]! >>> 0, 4 * i);
      return ipv6FromBytes(tmp16, 0);
  }
}

/** All-ones mask words of a field. */
export function fullMask(f: FieldDesc): number[] {
  switch (f.kind) {
    case 'uint':
      return [f.bits >= 32 ? 0xffffffff : 2 ** f.bits - 1];
    case 'u64':
      return [0xffffffff, 0xffffffff];
    case 'mac':
      return [0xffff, 0xffffffff];
    case 'ipv4':
      return [0xffffffff];
    case 'ipv6':
      return [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff];
  }
}

/**
 * A compiled match: parallel arrays of key word, mask and masked value (as int32), sorted by word. `sig` identifies
 * the mask (the classifier's subtable), `strictKey` the exact match (strict modify/delete, identical-flow ADD).
 */
export class CompiledMatch {
  constructor(
    readonly slots: Int32Array,
    readonly masks: Int32Array,
    readonly values: Int32Array,
    /** The match as OVS reports it: normalised values and masks, OVS field order. */
    readonly match: Match,
  ) {
    let sig = '';
    let sk = '';
    for (let i = 0; i < slots.length; i++) {
      sig += `${slots[i]}:${masks[i]! >>> 0},`;
      sk += `${values[i]! >>> 0},`;
    }
    this.sig = sig;
    this.strictKey = `${sig}|${sk}`;
  }

  readonly sig: string;
  readonly strictKey: string;

  /** True when the match has no field (matches every packet). */
  get isCatchAll(): boolean {
    return this.slots.length === 0;
  }

  /** Whether a packet with key words `w` matches. */
  matches(w: Uint32Array): boolean {
    const s = this.slots;
    const m = this.masks;
    const v = this.values;
    for (let i = 0; i < s.length; i++) if ((w[s[i]!]! & m[i]!) !== v[i]) return false;
    return true;
  }

  /** Mask of key word `slot` in this match (0 when wildcarded). */
  maskAt(slot: number): number {
    const s = this.slots;
    for (let i = 0; i < s.length; i++) if (s[i] === slot) return this.masks[i]!;
    return 0;
  }

  /** Masked value of key word `slot` (0 when wildcarded). */
  valueAt(slot: number): number {
    const s = this.slots;
    for (let i = 0; i < s.length; i++) if (s[i] === slot) return this.values[i]!;
    return 0;
  }

  /**
   * Non-strict selection (modify/delete, stats requests): true when every packet matching `this` also matches
   * `req`, i.e. `this` is at least as specific as `req` on each of req's fields.
   */
  isSubsumedBy(req: CompiledMatch): boolean {
    for (let i = 0; i < req.slots.length; i++) {
      const slot = req.slots[i]!;
      const rm = req.masks[i]!;
      const fm = this.maskAt(slot);
      if ((fm & rm) !== rm) return false;
      if ((this.valueAt(slot) & rm) !== req.values[i]) return false;
    }
    return true;
  }

  /** Whether some packet could match both `this` and `o` (OFPFF_CHECK_OVERLAP). */
  overlaps(o: CompiledMatch): boolean {
    for (let i = 0; i < this.slots.length; i++) {
      const slot = this.slots[i]!;
      const om = o.maskAt(slot);
      if (om === 0) continue;
      if (((this.values[i]! ^ o.valueAt(slot)) & this.masks[i]! & om) !== 0) return false;
    }
    return true;
  }
}

const ETH_IP = 0x0800;
const ETH_IPV6 = 0x86dd;

function isIpType(t: number): boolean {
  return t === ETH_IP || t === ETH_IPV6;
}

function bad(code: number, msg: string): never {
  refuse(OFPET.BAD_MATCH, code, msg);
}

/** What a match (plus the actions so far) guarantees about a packet, for prerequisite checks. */
export interface PrereqState {
  /** Exact eth_type, or -1. */
  ethType: number;
  /** Exact ip_proto, or -1. */
  ipProto: number;
  /** Exact icmp(v6)_type, or -1. */
  icmpType: number;
  /** Whether a VLAN tag is guaranteed present. */
  vlanPresent: boolean;
}

/** Whether field `name` may be matched (or set) given `st`, following OVS's prerequisite table. */
export function prereqsOk(name: string, st: PrereqState): boolean {
  const et = st.ethType;
  const ip = isIpType(et);
  switch (name) {
    case 'vlan_vid':
      return true;
    case 'vlan_pcp':
      return st.vlanPresent;
    case 'ip_dscp':
    case 'ip_ecn':
    case 'ip_proto':
      return ip;
    case 'ipv4_src':
    case 'ipv4_dst':
      return et === ETH_IP;
    case 'ipv6_src':
    case 'ipv6_dst':
    case 'ipv6_flabel':
      return et === ETH_IPV6;
    case 'tcp_src':
    case 'tcp_dst':
      return ip && st.ipProto === 6;
    case 'udp_src':
    case 'udp_dst':
      return ip && st.ipProto === 17;
    case 'sctp_src':
    case 'sctp_dst':
      return ip && st.ipProto === 132;
    case 'icmpv4_type':
    case 'icmpv4_code':
      return et === ETH_IP && st.ipProto === 1;
    case 'icmpv6_type':
    case 'icmpv6_code':
      return et === ETH_IPV6 && st.ipProto === 58;
    case 'ipv6_nd_target':
      return et === ETH_IPV6 && st.ipProto === 58 && (st.icmpType === 135 || st.icmpType === 136);
    case 'ipv6_nd_sll':
      return et === ETH_IPV6 && st.ipProto === 58 && st.icmpType === 135;
    case 'ipv6_nd_tll':
      return et === ETH_IPV6 && st.ipProto === 58 && st.icmpType === 136;
    case 'arp_op':
    case 'arp_spa':
    case 'arp_tpa':
    case 'arp_sha':
    case 'arp_tha':
      return et === 0x0806 || et === 0x8035;
    case 'mpls_label':
    case 'mpls_tc':
    case 'mpls_bos':
      return et === 0x8847 || et === 0x8848;
    default:
      return true;
  }
}

/** The prerequisite state a compiled match guarantees. */
export function prereqStateOf(cm: CompiledMatch): PrereqState {
  const vm = cm.maskAt(K.VLAN_VID);
  return {
    ethType: cm.maskAt(K.ETH_TYPE) !== 0 ? cm.valueAt(K.ETH_TYPE) : -1,
    ipProto: cm.maskAt(K.IP_PROTO) !== 0 ? cm.valueAt(K.IP_PROTO) : -1,
    icmpType: cm.maskAt(K.ICMP_TYPE) !== 0 ? cm.valueAt(K.ICMP_TYPE) : -1,
    vlanPresent: (vm & 0x1000) !== 0 && (cm.valueAt(K.VLAN_VID) & 0x1000) !== 0,
  };
}

/**
 * Validates and compiles `match`. Throws OfpRequestError with OVS's OFPET_BAD_MATCH code: BAD_FIELD (unsupported or
 * non-basic field), DUP_FIELD, BAD_VALUE, BAD_MASK, BAD_WILDCARDS (value bits outside the mask), BAD_PREREQ
 * (a field whose prerequisites do not appear before it, as OVS checks them in TLV order).
 */
export function compileMatch(match: Match): CompiledMatch {
  const st: PrereqState = { ethType: -1, ipProto: -1, icmpType: -1, vlanPresent: false };
  const seen = new Set<string>();
  const entries: { f: FieldDesc; val: number[]; mask: number[] }[] = [];
  for (const tlv of match) {
    if (tlv.field === 'raw') bad(OFPBMC.BAD_FIELD, 'non-basic OXM class not supported');
    const t = tlv as OxmBasic;
    const f = FIELDS.get(t.field);
    if (f === undefined || UNSUPPORTED_FIELDS.has(t.field)) bad(OFPBMC.BAD_FIELD, `field ${t.field} not supported`);
    if (seen.has(f.name)) bad(OFPBMC.DUP_FIELD, `field ${f.name} twice`);
    seen.add(f.name);
    const val = valueToWords(f, t.value);
    if (val === undefined) bad(OFPBMC.BAD_VALUE, `bad value for ${f.name}`);
    if (f.kind === 'uint' && f.bits < 32 && val[0]! >= 2 ** f.bits) bad(OFPBMC.BAD_VALUE, `${f.name} value out of range`);
    const full = fullMask(f);
    let mask = full;
    if (t.mask !== undefined) {
      if (!f.maskable) bad(OFPBMC.BAD_MASK, `${f.name} is not maskable`);
      const m = valueToWords(f, t.mask);
      if (m === undefined) bad(OFPBMC.BAD_MASK, `bad mask for ${f.name}`);
      mask = m.map((x, i) => (x & full[i]!) >>> 0);
    }
    for (let i = 0; i < val.length; i++) {
      if ((val[i]! & ~mask[i]!) !== 0) bad(OFPBMC.BAD_WILDCARDS, `${f.name} value has bits outside its mask`);
    }
    // Prerequisites, in TLV order (OVS checks each field against the fields before it).
    if (!prereqsOk(f.name, st)) bad(OFPBMC.BAD_PREREQ, `${f.name}: prerequisites not met by the fields before it`);
    if (f.name === 'eth_type') st.ethType = val[0]!;
    else if (f.name === 'ip_proto') st.ipProto = val[0]!;
    else if (f.name === 'icmpv6_type' || f.name === 'icmpv4_type') st.icmpType = val[0]!;
    else if (f.name === 'vlan_vid') st.vlanPresent = (mask[0]! & 0x1000) !== 0 && (val[0]! & 0x1000) !== 0;
    entries.push({ f, val, mask });
  }
  entries.sort((a, b) => a.f.order - b.f.order);
  const slots: number[] = [];
  const masks: number[] = [];
  const values: number[] = [];
  const norm: Match = [];
  for (const { f, val, mask } of entries) {
    let any = false;
    let all = true;
    const full = fullMask(f);
    for (let i = 0; i < mask.length; i++) {
      if (mask[i] !== 0) any = true;
      if (mask[i] !== full[i]) all = false;
    }
    if (!any) continue;
    for (let i = 0; i < mask.length; i++) {
      if (mask[i] === 0) continue;
      slots.push(f.slot + i);
      masks.push(mask[i]! | 0);
      values.push((val[i]! & mask[i]!) | 0);
    }
    const tlv: OxmBasic = { field: f.name, value: wordsToValue(f, val) };
    if (!all) tlv.mask = wordsToValue(f, mask);
    norm.push(tlv);
  }
  // Sort the triples by key word (merge duplicates cannot occur: one field per word except the shared L4 words,
  // which prerequisites make exclusive).
  const idx = slots.map((_, i) => i).sort((a, b) => slots[a]! - slots[b]!);
  return new CompiledMatch(
    Int32Array.from(idx.map((i) => slots[i]!)),
    Int32Array.from(idx.map((i) => masks[i]!)),
    Int32Array.from(idx.map((i) => values[i]!)),
    norm,
  );
}

/** The catch-all match. */
export const CATCH_ALL: CompiledMatch = compileMatch([]);
