/**
 * OXM fields as the `set_field:VALUE->FIELD` action names them: the names ovs-ofctl accepts (case-sensitive, like
 * OVS), the name it prints for each OXM field, how a value is read and printed, and the prerequisite the flow must
 * meet for OVS to accept the action in OpenFlow 1.3.
 */
import type { OxmFieldName, OxmValue } from '../../codec/openflow/types';
import { oxmFieldInfo } from '../../codec/openflow/oxm';
import { syntaxError } from './errors';
import { hexAlt, parseBig, parseIpv4, parseIpv6, parseMac, parsePort, parseUint, portText } from './values';

/** What the flow must be for the field to be settable (OVS's OpenFlow 1.3 consistency check). */
export type Prereq =
  | 'none'
  | 'vlan'
  | 'ip_any'
  | 'ipv4'
  | 'ipv6'
  | 'tcp'
  | 'udp'
  | 'sctp'
  | 'icmpv4'
  | 'icmpv6'
  | 'arp'
  | 'nd'
  | 'nd_sll'
  | 'nd_tll'
  | 'mpls';

/** Value formats of set_field. */
type Kind = 'dec' | 'hex' | 'mac' | 'ipv4' | 'ipv6' | 'port';

interface SetFieldDef {
  readonly field: OxmFieldName;
  /** Name OVS prints. */
  readonly print: string;
  readonly kind: Kind;
  readonly prereq: Prereq;
  /** False for fields OVS refuses to set (eth_type, ip_proto, mpls_bos). */
  readonly writable: boolean;
}

const DEFS: readonly SetFieldDef[] = [
  { field: 'in_port', print: 'in_port', kind: 'port', prereq: 'none', writable: true },
  { field: 'metadata', print: 'metadata', kind: 'hex', prereq: 'none', writable: true },
  { field: 'eth_src', print: 'eth_src', kind: 'mac', prereq: 'none', writable: true },
  { field: 'eth_dst', print: 'eth_dst', kind: 'mac', prereq: 'none', writable: true },
  { field: 'eth_type', print: 'eth_type', kind: 'hex', prereq: 'none', writable: false },
  { field: 'vlan_vid', print: 'vlan_vid', kind: 'dec', prereq: 'vlan', writable: true },
  { field: 'vlan_pcp', print: 'vlan_pcp', kind: 'dec', prereq: 'vlan', writable: true },
  { field: 'ip_dscp', print: 'ip_dscp', kind: 'dec', prereq: 'ip_any', writable: true },
  { field: 'ip_ecn', print: 'nw_ecn', kind: 'dec', prereq: 'ip_any', writable: true },
  { field: 'ip_proto', print: 'nw_proto', kind: 'dec', prereq: 'ip_any', writable: false },
  { field: 'ipv4_src', print: 'ip_src', kind: 'ipv4', prereq: 'ipv4', writable: true },
  { field: 'ipv4_dst', print: 'ip_dst', kind: 'ipv4', prereq: 'ipv4', writable: true },
  { field: 'tcp_src', print: 'tcp_src', kind: 'dec', prereq: 'tcp', writable: true },
  { field: 'tcp_dst', print: 'tcp_dst', kind: 'dec', prereq: 'tcp', writable: true },
  { field: 'udp_src', print: 'udp_src', kind: 'dec', prereq: 'udp', writable: true },
  { field: 'udp_dst', print: 'udp_dst', kind: 'dec', prereq: 'udp', writable: true },
  { field: 'sctp_src', print: 'sctp_src', kind: 'dec', prereq: 'sctp', writable: true },
  { field: 'sctp_dst', print: 'sctp_dst', kind: 'dec', prereq: 'sctp', writable: true },
  { field: 'icmpv4_type', print: 'icmp_type', kind: 'dec', prereq: 'icmpv4', writable: true },
  { field: 'icmpv4_code', print: 'icmp_code', kind: 'dec', prereq: 'icmpv4', writable: true },
  { field: 'arp_op', print: 'arp_op', kind: 'dec', prereq: 'arp', writable: true },
  { field: 'arp_spa', print: 'arp_spa', kind: 'ipv4', prereq: 'arp', writable: true },
  { field: 'arp_tpa', print: 'arp_tpa', kind: 'ipv4', prereq: 'arp', writable: true },
  { field: 'arp_sha', print: 'arp_sha', kind: 'mac', prereq: 'arp', writable: true },
  { field: 'arp_tha', print: 'arp_tha', kind: 'mac', prereq: 'arp', writable: true },
  { field: 'ipv6_src', print: 'ipv6_src', kind: 'ipv6', prereq: 'ipv6', writable: true },
  { field: 'ipv6_dst', print: 'ipv6_dst', kind: 'ipv6', prereq: 'ipv6', writable: true },
  { field: 'ipv6_flabel', print: 'ipv6_label', kind: 'hex', prereq: 'ipv6', writable: true },
  { field: 'icmpv6_type', print: 'icmpv6_type', kind: 'dec', prereq: 'icmpv6', writable: true },
  { field: 'icmpv6_code', print: 'icmpv6_code', kind: 'dec', prereq: 'icmpv6', writable: true },
  { field: 'ipv6_nd_target', print: 'nd_target', kind: 'ipv6', prereq: 'nd', writable: true },
  { field: 'ipv6_nd_sll', print: 'nd_sll', kind: 'mac', prereq: 'nd_sll', writable: true },
  { field: 'ipv6_nd_tll', print: 'nd_tll', kind: 'mac', prereq: 'nd_tll', writable: true },
  { field: 'mpls_label', print: 'mpls_label', kind: 'dec', prereq: 'mpls', writable: true },
  { field: 'mpls_tc', print: 'mpls_tc', kind: 'dec', prereq: 'mpls', writable: true },
  { field: 'mpls_bos', print: 'mpls_bos', kind: 'dec', prereq: 'mpls', writable: false },
  { field: 'tunnel_id', print: 'tun_id', kind: 'hex', prereq: 'none', writable: true },
  { field: 'in_phy_port', print: 'in_phy_port', kind: 'port', prereq: 'none', writable: false },
  { field: 'pbb_isid', print: 'pbb_isid', kind: 'dec', prereq: 'none', writable: false },
  { field: 'ipv6_exthdr', print: 'ipv6_exthdr', kind: 'hex', prereq: 'ipv6', writable: false },
];

const BY_FIELD: ReadonlyMap<OxmFieldName, SetFieldDef> = new Map(DEFS.map((d) => [d.field, d]));

/** Extra names set_field accepts (OVS aliases, plus OXM-style spellings xsite allows). */
const ALIASES: Readonly<Record<string, OxmFieldName>> = {
  dl_src: 'eth_src',
  dl_dst: 'eth_dst',
  dl_type: 'eth_type',
  dl_vlan_pcp: 'vlan_pcp',
  nw_ecn: 'ip_ecn',
  nw_proto: 'ip_proto',
  ip_src: 'ipv4_src',
  nw_src: 'ipv4_src',
  ip_dst: 'ipv4_dst',
  nw_dst: 'ipv4_dst',
  tp_src: 'tcp_src',
  tp_dst: 'tcp_dst',
  icmp_type: 'icmpv4_type',
  icmp_code: 'icmpv4_code',
  ipv6_label: 'ipv6_flabel',
  nd_target: 'ipv6_nd_target',
  nd_sll: 'ipv6_nd_sll',
  nd_tll: 'ipv6_nd_tll',
  tun_id: 'tunnel_id',
};

/** Every name `set_field` accepts. */
export const SET_FIELD_NAMES: readonly string[] = [
  ...DEFS.filter((d) => d.writable).map((d) => d.field),
  ...Object.keys(ALIASES),
];

/** The definition for a set_field target name, or undefined. */
export function setFieldByName(name: string): SetFieldDef | undefined {
  const f = (ALIASES[name] ?? name) as OxmFieldName;
  return BY_FIELD.get(f);
}

/** The definition of an OXM field (for printing). */
export function setFieldDef(field: OxmFieldName): SetFieldDef | undefined {
  return BY_FIELD.get(field);
}

/** Parses a set_field value for `def`. */
export function parseSetFieldValue(text: string, pos: number, s: string, def: SetFieldDef): OxmValue {
  const info = oxmFieldInfo(def.field)!;
  switch (def.kind) {
    case 'mac':
      return parseMac(text, pos, s);
    case 'ipv4':
      return parseIpv4(text, pos, s);
    case 'ipv6':
      return parseIpv6(text, pos, s);
    case 'port':
      return parsePort(text, pos, s, def.print);
    default:
      if (info.kind === 'u64') return parseBig(text, pos, s, 0xffffffffffffffffn, def.print);
      return parseUint(text, pos, s, 2 ** info.bits - 1, def.print);
  }
}

/** Prints a set_field value the way OVS does for the field. */
export function formatSetFieldValue(field: OxmFieldName, v: OxmValue): string {
  const def = BY_FIELD.get(field);
  if (typeof v === 'string') return v;
  if (def?.kind === 'port') return portText(Number(v));
  if (def?.kind === 'hex') return hexAlt(v);
  return v.toString();
}

/** Throws a FLOW_SYNTAX error for an unknown or read-only set_field target. */
export function checkSetFieldName(text: string, pos: number, name: string, closestName: (n: string) => string | undefined): SetFieldDef {
  const def = setFieldByName(name);
  if (def === undefined) {
    throw syntaxError(text, pos, `unknown set_field field "${name}"`, 'an OXM field name such as eth_src, ip_dst, tcp_dst, vlan_vid', closestName(name));
  }
  if (!def.writable) throw syntaxError(text, pos, `${name} is read-only`, 'a writable field');
  return def;
}
