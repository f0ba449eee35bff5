/**
 * Match field names of the flow syntax (OVS names, their aliases, and a few OXM-style aliases xsite adds) and the
 * protocol shorthands (`ip`, `tcp6`, ...). Each name writes one or more slots of the {@link MatchModel}; the
 * model decides what reaches the OXM match. Names are case-sensitive, as in ovs-ofctl.
 */
import { syntaxError } from './errors';
import { ETH, PROTO, TCI, type MatchModel, type Slot } from './match-model';
import {
  parseMaskedIpv4,
  parseMaskedIpv6,
  parseMaskedMac,
  parseMaskedU64,
  parseMaskedUint,
  parsePort,
  parseUint,
} from './values';

/** Sets a field from its text value; `pos` is the offset of the value in `text`. */
type Setter = (m: MatchModel, text: string, pos: number, value: string, name: string) => void;

interface FieldDef {
  readonly slot: Slot;
  readonly set: Setter;
}

const uintField = (slot: Slot, bits: number, maskable: boolean, put: (m: MatchModel, v: { v: number; m: number }) => void): FieldDef => ({
  slot,
  set: (m, text, pos, value, name) => put(m, parseMaskedUint(text, pos, value, bits, name, maskable)),
});

const exact = (slot: Slot, bits: number, put: (m: MatchModel, v: number) => void): FieldDef =>
  uintField(slot, bits, false, (m, x) => put(m, x.v));

const setVid = (m: MatchModel, vidCfi: number, mask: number): void => {
  m.tci = (m.tci & ~0x1fff) | (vidCfi & mask & 0x1fff);
  m.tciMask = (m.tciMask & TCI.PCP) | (mask & 0x1fff);
};

const setPcp = (m: MatchModel, pcp: number): void => {
  m.tci = (m.tci & ~TCI.PCP) | (pcp << 13) | TCI.CFI;
  m.tciMask |= TCI.PCP | TCI.CFI;
};

const tpSrc = uintField('tpSrc', 16, true, (m, v) => (m.tpSrc = v));
const tpDst = uintField('tpDst', 16, true, (m, v) => (m.tpDst = v));
const icmpType = exact('tpSrc', 8, (m, v) => (m.tpSrc = { v, m: 0xff }));
const icmpCode = exact('tpDst', 8, (m, v) => (m.tpDst = { v, m: 0xff }));
const mac = (slot: 'dlSrc' | 'dlDst' | 'arpSha' | 'arpTha'): FieldDef => ({
  slot,
  set: (m, text, pos, value) => (m[slot] = parseMaskedMac(text, pos, value)),
});
const ipv4 = (slot: 'nwSrc' | 'nwDst'): FieldDef => ({
  slot,
  set: (m, text, pos, value) => (m[slot] = parseMaskedIpv4(text, pos, value)),
});
const ipv6 = (slot: 'ipv6Src' | 'ipv6Dst' | 'ndTarget'): FieldDef => ({
  slot,
  set: (m, text, pos, value) => (m[slot] = parseMaskedIpv6(text, pos, value)),
});
const u64 = (slot: 'metadata' | 'tunId'): FieldDef => ({
  slot,
  set: (m, text, pos, value, name) => (m[slot] = parseMaskedU64(text, pos, value, name)),
});

/** Match fields by every accepted name. */
export const MATCH_FIELDS: ReadonlyMap<string, FieldDef> = new Map<string, FieldDef>([
  ['in_port', { slot: 'inPort', set: (m, text, pos, value) => (m.inPort = parsePort(text, pos, value, 'in_port')) }],
  ['dl_src', mac('dlSrc')],
  ['eth_src', mac('dlSrc')],
  ['dl_dst', mac('dlDst')],
  ['eth_dst', mac('dlDst')],
  ['dl_type', exact('dlType', 16, (m, v) => (m.dlType = v))],
  ['eth_type', exact('dlType', 16, (m, v) => (m.dlType = v))],
  [
    'dl_vlan',
    {
      slot: 'vlan',
      set: (m, text, pos, value, name) => {
        const v = parseUint(text, pos, value, 0xffff, name);
        if (v === 0xffff) {
          // OFP_VLAN_NONE: packets without a VLAN header.
          m.tci = 0;
          m.tciMask = 0xffff;
        } else if (v > TCI.VID) {
          throw syntaxError(text, pos, `dl_vlan ${value} out of range`, 'a VLAN id from 0 to 4095, or 0xffff for "no VLAN"');
        } else {
          setVid(m, v | TCI.CFI, 0x1fff);
        }
      },
    },
  ],
  ['dl_vlan_pcp', exact('vlan', 3, setPcp)],
  ['vlan_pcp', exact('vlan', 3, setPcp)],
  [
    'vlan_tci',
    uintField('vlan', 16, true, (m, x) => {
      m.tci = x.v;
      m.tciMask = x.m;
    }),
  ],
  ['vlan_vid', uintField('vlan', 13, true, (m, x) => setVid(m, x.v, x.m))],
  ['nw_src', ipv4('nwSrc')],
  ['ip_src', ipv4('nwSrc')],
  ['ipv4_src', ipv4('nwSrc')],
  ['arp_spa', ipv4('nwSrc')],
  ['nw_dst', ipv4('nwDst')],
  ['ip_dst', ipv4('nwDst')],
  ['ipv4_dst', ipv4('nwDst')],
  ['arp_tpa', ipv4('nwDst')],
  ['nw_proto', exact('nwProto', 8, (m, v) => (m.nwProto = v))],
  ['ip_proto', exact('nwProto', 8, (m, v) => (m.nwProto = v))],
  ['arp_op', exact('nwProto', 8, (m, v) => (m.nwProto = v))],
  ['nw_tos', exact('dscp', 8, (m, v) => (m.dscp = v >>> 2))],
  ['ip_dscp', exact('dscp', 6, (m, v) => (m.dscp = v))],
  ['nw_ecn', exact('ecn', 2, (m, v) => (m.ecn = v))],
  ['ip_ecn', exact('ecn', 2, (m, v) => (m.ecn = v))],
  ['tp_src', tpSrc],
  ['tcp_src', tpSrc],
  ['udp_src', tpSrc],
  ['sctp_src', tpSrc],
  ['tp_dst', tpDst],
  ['tcp_dst', tpDst],
  ['udp_dst', tpDst],
  ['sctp_dst', tpDst],
  ['icmp_type', icmpType],
  ['icmpv4_type', icmpType],
  ['icmpv6_type', icmpType],
  ['icmp_code', icmpCode],
  ['icmpv4_code', icmpCode],
  ['icmpv6_code', icmpCode],
  ['arp_sha', mac('arpSha')],
  ['nd_sll', mac('arpSha')],
  ['arp_tha', mac('arpTha')],
  ['nd_tll', mac('arpTha')],
  ['ipv6_src', ipv6('ipv6Src')],
  ['ipv6_dst', ipv6('ipv6Dst')],
  ['nd_target', ipv6('ndTarget')],
  ['ipv6_label', uintField('ipv6Label', 20, true, (m, v) => (m.ipv6Label = v))],
  ['metadata', u64('metadata')],
  ['tun_id', u64('tunId')],
  ['tunnel_id', u64('tunId')],
  ['mpls_label', exact('mplsLabel', 20, (m, v) => (m.mplsLabel = v))],
  ['mpls_tc', exact('mplsTc', 3, (m, v) => (m.mplsTc = v))],
  ['mpls_bos', exact('mplsBos', 1, (m, v) => (m.mplsBos = v))],
]);

/** Protocol shorthands: the Ethertype and (optionally) IP protocol they stand for. */
export const SHORTHANDS: ReadonlyMap<string, { dlType: number; nwProto?: number }> = new Map([
  ['ip', { dlType: ETH.IP }],
  ['ipv6', { dlType: ETH.IPV6 }],
  ['icmp', { dlType: ETH.IP, nwProto: PROTO.ICMP }],
  ['icmp6', { dlType: ETH.IPV6, nwProto: PROTO.ICMPV6 }],
  ['tcp', { dlType: ETH.IP, nwProto: PROTO.TCP }],
  ['tcp6', { dlType: ETH.IPV6, nwProto: PROTO.TCP }],
  ['udp', { dlType: ETH.IP, nwProto: PROTO.UDP }],
  ['udp6', { dlType: ETH.IPV6, nwProto: PROTO.UDP }],
  ['sctp', { dlType: ETH.IP, nwProto: PROTO.SCTP }],
  ['sctp6', { dlType: ETH.IPV6, nwProto: PROTO.SCTP }],
  ['arp', { dlType: ETH.ARP }],
  ['rarp', { dlType: ETH.RARP }],
  ['mpls', { dlType: ETH.MPLS }],
  ['mplsm', { dlType: ETH.MPLS_MCAST }],
]);

/** Why a slot can be dropped: the prerequisite OVS checks, phrased for messages. */
export const SLOT_PREREQ: Readonly<Record<Slot, string>> = {
  inPort: '',
  metadata: '',
  tunId: '',
  dlSrc: '',
  dlDst: '',
  dlType: '',
  vlan: '',
  mplsLabel: 'mpls or mplsm (dl_type=0x8847/0x8848)',
  mplsTc: 'mpls or mplsm (dl_type=0x8847/0x8848)',
  mplsBos: 'mpls or mplsm (dl_type=0x8847/0x8848)',
  nwSrc: 'ip, arp or rarp',
  nwDst: 'ip, arp or rarp',
  ipv6Src: 'ipv6',
  ipv6Dst: 'ipv6',
  ipv6Label: 'ipv6',
  nwProto: 'ip, ipv6, arp or rarp',
  dscp: 'ip or ipv6',
  ecn: 'ip or ipv6',
  tpSrc: 'tcp, udp, sctp, icmp or icmp6 (and their IPv6 forms)',
  tpDst: 'tcp, udp, sctp, icmp or icmp6 (and their IPv6 forms)',
  ndTarget: 'icmp6 with icmp_type=135 or 136 and icmp_code=0',
  arpSha: 'arp/rarp, or icmp6 with icmp_type=135 (nd_sll)',
  arpTha: 'arp/rarp, or icmp6 with icmp_type=136 (nd_tll)',
};
