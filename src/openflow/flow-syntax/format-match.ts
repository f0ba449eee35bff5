/**
 * `formatMatch`: an OXM match printed the way `ovs-ofctl -O OpenFlow13 dump-flows` prints it: optional
 * `priority=N`, a protocol shorthand (`tcp`, `icmp6`, `arp`, ...) standing for eth_type/ip_proto, then the
 * fields in OVS's print order under OVS's names (`dl_src`, `nw_dst`, `tp_src`, `dl_vlan`, `tun_id`, ...), with
 * masks as OVS writes them (`/24` prefixes, `0x1000/0xf000`, `vlan_tci=0x1000/0x1000`).
 */
import type { Match, OxmTlv } from '../../codec/openflow/types';
import { ETH, PROTO, TCI, fromOxm, type MatchModel } from './match-model';
import { setFieldDef } from './set-fields';
import { hexAlt, hexPad, ipv4MaskedText, ipv6MaskedText, macMaskedText, portText, type Masked } from './values';

/** The default flow priority, which OVS leaves out when printing. */
export const DEFAULT_PRIORITY = 0x8000;

/** Shorthand for eth_type (+ ip_proto), and whether it also covers the IP protocol. */
function shorthand(m: MatchModel): { name: string; coversProto: boolean } | undefined {
  const p = m.nwProto;
  switch (m.dlType) {
    case ETH.IP: {
      const n = p === PROTO.ICMP ? 'icmp' : p === PROTO.TCP ? 'tcp' : p === PROTO.UDP ? 'udp' : p === PROTO.SCTP ? 'sctp' : undefined;
      return n ? { name: n, coversProto: true } : { name: 'ip', coversProto: false };
    }
    case ETH.IPV6: {
      const n = p === PROTO.ICMPV6 ? 'icmp6' : p === PROTO.TCP ? 'tcp6' : p === PROTO.UDP ? 'udp6' : p === PROTO.SCTP ? 'sctp6' : undefined;
      return n ? { name: n, coversProto: true } : { name: 'ipv6', coversProto: false };
    }
    case ETH.ARP: return { name: 'arp', coversProto: false };
    case ETH.RARP: return { name: 'rarp', coversProto: false };
    case ETH.MPLS: return { name: 'mpls', coversProto: false };
    case ETH.MPLS_MCAST: return { name: 'mplsm', coversProto: false };
    default: return undefined;
  }
}

/** A masked 16-bit transport field: decimal when exact, `0x../0x..` otherwise. */
function tp(v: Masked<number>): string {
  return v.m === 0xffff ? String(v.v) : `0x${(v.v & v.m).toString(16)}/0x${v.m.toString(16)}`;
}

/** A masked 64-bit field (tun_id, metadata): `%#x`, with `/mask` unless exact. */
function u64(v: Masked<bigint>): string {
  return v.m === 0xffffffffffffffffn ? hexAlt(v.v) : `${hexAlt(v.v & v.m)}/${hexAlt(v.m)}`;
}

/** VLAN as OVS prints a TCI match: `dl_vlan`/`dl_vlan_pcp` when they say it all, else `vlan_tci=v[/m]`. */
function vlanParts(m: MatchModel): string[] {
  const mask = m.tciMask;
  if (mask === 0) return [];
  const vidMask = mask & TCI.VID;
  const pcpMask = mask & TCI.PCP;
  if (
    (mask & TCI.CFI) !== 0 &&
    (m.tci & TCI.CFI) !== 0 &&
    (vidMask === 0 || vidMask === TCI.VID) &&
    (pcpMask === 0 || pcpMask === TCI.PCP) &&
    (vidMask !== 0 || pcpMask !== 0)
  ) {
    const out: string[] = [];
    if (vidMask) out.push(`dl_vlan=${m.tci & TCI.VID}`);
    if (pcpMask) out.push(`dl_vlan_pcp=${(m.tci >>> 13) & 7}`);
    return out;
  }
  if (mask === 0xffff) return [`vlan_tci=${hexPad(m.tci, 4)}`];
  return [`vlan_tci=${hexPad(m.tci & mask, 4)}/${hexPad(mask, 4)}`];
}

/** One OXM TLV the model has no slot for, in `name=value[/mask]` form. */
function extraText(t: OxmTlv): string {
  if (t.field === 'raw') return `oxm(0x${t.oxmClass.toString(16)}:${t.oxmField}${t.hasMask ? '/masked' : ''}=0x${t.payload.toString('hex')})`;
  const name = setFieldDef(t.field)?.print ?? t.field;
  const val = (v: unknown): string => (typeof v === 'string' ? v : hexAlt(v as number | bigint));
  return t.mask === undefined ? `${name}=${val(t.value)}` : `${name}=${val(t.value)}/${val(t.mask)}`;
}

/** The match as a list of `name[=value]` elements, in OVS's order. */
function matchParts(m: MatchModel): string[] {
  const out: string[] = [];
  const sh = shorthand(m);
  if (sh) out.push(sh.name);
  if (m.tunId) out.push(`tun_id=${u64(m.tunId)}`);
  if (m.metadata) out.push(`metadata=${u64(m.metadata)}`);
  if (m.inPort !== undefined) out.push(`in_port=${portText(m.inPort)}`);
  out.push(...vlanParts(m));
  if (m.dlSrc) out.push(`dl_src=${macMaskedText(m.dlSrc.v, m.dlSrc.m)}`);
  if (m.dlDst) out.push(`dl_dst=${macMaskedText(m.dlDst.v, m.dlDst.m)}`);
  if (m.dlType !== undefined && !sh) out.push(`dl_type=${hexPad(m.dlType, 4)}`);
  const arp = m.dlType === ETH.ARP || m.dlType === ETH.RARP;
  if (m.ipv6Src) out.push(`ipv6_src=${ipv6MaskedText(m.ipv6Src.v, m.ipv6Src.m)}`);
  if (m.ipv6Dst) out.push(`ipv6_dst=${ipv6MaskedText(m.ipv6Dst.v, m.ipv6Dst.m)}`);
  if (m.ipv6Label) {
    const l = m.ipv6Label;
    out.push(l.m === 0xfffff ? `ipv6_label=${hexPad(l.v, 5)}` : `ipv6_label=${hexPad(l.v & l.m, 5)}/${hexPad(l.m, 5)}`);
  }
  if (m.nwSrc) out.push(`${arp ? 'arp_spa' : 'nw_src'}=${ipv4MaskedText(m.nwSrc.v, m.nwSrc.m)}`);
  if (m.nwDst) out.push(`${arp ? 'arp_tpa' : 'nw_dst'}=${ipv4MaskedText(m.nwDst.v, m.nwDst.m)}`);
  if (m.nwProto !== undefined && !sh?.coversProto) out.push(`${arp ? 'arp_op' : 'nw_proto'}=${m.nwProto}`);
  if (m.dscp !== undefined) out.push(`nw_tos=${(m.dscp << 2) & 0xff}`);
  if (m.ecn !== undefined) out.push(`nw_ecn=${m.ecn}`);
  if (m.mplsLabel !== undefined) out.push(`mpls_label=${m.mplsLabel}`);
  if (m.mplsTc !== undefined) out.push(`mpls_tc=${m.mplsTc}`);
  if (m.mplsBos !== undefined) out.push(`mpls_bos=${m.mplsBos}`);
  const icmp = m.nwProto === PROTO.ICMP || m.nwProto === PROTO.ICMPV6;
  if (icmp) {
    if (m.tpSrc) out.push(`icmp_type=${m.tpSrc.v & 0xff}`);
    if (m.tpDst) out.push(`icmp_code=${m.tpDst.v & 0xff}`);
  } else {
    if (m.tpSrc) out.push(`tp_src=${tp(m.tpSrc)}`);
    if (m.tpDst) out.push(`tp_dst=${tp(m.tpDst)}`);
  }
  const mac = (name: string, v: Masked<bigint> | undefined): void => {
    if (v) out.push(`${name}=${macMaskedText(v.v, v.m)}`);
  };
  if (m.dlType === ETH.IPV6 && m.nwProto === PROTO.ICMPV6) {
    if (m.ndTarget) out.push(`nd_target=${ipv6MaskedText(m.ndTarget.v, m.ndTarget.m)}`);
    mac('nd_sll', m.arpSha);
    mac('nd_tll', m.arpTha);
  } else {
    mac('arp_sha', m.arpSha);
    mac('arp_tha', m.arpTha);
    if (m.ndTarget) out.push(`nd_target=${ipv6MaskedText(m.ndTarget.v, m.ndTarget.m)}`);
  }
  for (const t of m.extra) out.push(extraText(t));
  return out;
}

/**
 * Prints an OXM match like ovs-ofctl (`ip,nw_dst=10.0.0.0/8`). With `priority`, prefixes `priority=N` unless it is
 * the default 32768, as dump-flows does. An empty match prints as the empty string.
 */
export function formatMatch(match: Match, opts: { priority?: number } = {}): string {
  const parts = matchParts(fromOxm(match));
  if (opts.priority !== undefined && opts.priority !== DEFAULT_PRIORITY) parts.unshift(`priority=${opts.priority}`);
  return parts.join(',');
}
