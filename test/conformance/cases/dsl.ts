/**
 * A small vocabulary for writing conformance cases as data: flow_mod / group_mod builders, action shorthands and the
 * lab's port plan. Every case is sent, as the same OfpMessage objects, to real Open vSwitch and to the emulator.
 *
 * Port plan (both data planes): OpenFlow ports 1-4 are up, port 5 ({@link DOWN_PORT}) exists with its link down.
 */
import { OFPFC, OFPG, OFPGC, OFPGT, OFPP, OFP_NO_BUFFER, OFPCML_NO_BUFFER } from '../../../src/codec/openflow/constants';
import type { Action, Bucket, Instruction, Match, MessageOf, OfpMessage, OxmBasic, OxmValue } from '../../../src/codec/openflow/types';
import { buildPacket, type PacketSpec } from '../../../src/codec/packet';

/** OpenFlow ports whose links are up. */
export const UP_PORTS = [1, 2, 3, 4] as const;
/** An OpenFlow port that exists but whose link is down (fast-failover "dead" watch port). */
export const DOWN_PORT = 5;
/** Every port of the switch under test. */
export const ALL_PORTS = [...UP_PORTS, DOWN_PORT] as const;

/** Addresses used by the packets (documentation ranges; none belongs to a lab host). */
export const MAC_A = 'a2:00:00:00:00:01';
export const MAC_B = 'a2:00:00:00:00:02';
export const MAC_C = 'a2:00:00:00:00:03';
export const MAC_BCAST = 'ff:ff:ff:ff:ff:ff';
export const IP_A = '192.0.2.1';
export const IP_B = '198.51.100.2';
export const IP6_A = '2001:db8::1';
export const IP6_B = '2001:db8::2';

/** One conformance case: flow setup, one input packet and its in_port. */
export interface ConformanceCase {
  /** Unique, stable, readable: `<family>/<what>`. */
  name: string;
  /** Family (for counts and the summary). */
  family: string;
  /** Messages (flow_mod, group_mod) applied in order after the tables are emptied. */
  messages: OfpMessage[];
  /** The input frame. */
  packet: Buffer;
  inPort: number;
  /** Also verified with real packets on real OVS (packet-out to OFPP_TABLE, capture at the hosts). */
  real?: boolean;
  /** What the case checks, for the diff. */
  note?: string;
}

export const ANY = OFPP.ANY;

/** A flow_mod ADD with defaults (table 0, priority 100, no timeouts). */
export function flow(o: {
  table?: number;
  priority?: number;
  match?: Match;
  instructions?: Instruction[];
  actions?: Action[];
  cookie?: bigint;
  command?: number;
  flags?: number;
}): MessageOf<'flow_mod'> {
  const instructions = o.instructions ?? (o.actions ? [{ type: 'apply_actions' as const, actions: o.actions }] : []);
  return {
    type: 'flow_mod',
    cookie: o.cookie ?? 0n,
    cookieMask: 0n,
    tableId: o.table ?? 0,
    command: o.command ?? OFPFC.ADD,
    idleTimeout: 0,
    hardTimeout: 0,
    priority: o.priority ?? 100,
    bufferId: OFP_NO_BUFFER,
    outPort: ANY,
    outGroup: OFPG.ANY,
    flags: o.flags ?? 0,
    match: o.match ?? [],
    instructions,
  };
}

/** A group_mod ADD. */
export function group(groupId: number, groupType: number, buckets: Bucket[]): MessageOf<'group_mod'> {
  return { type: 'group_mod', command: OFPGC.ADD, groupType, groupId, buckets };
}

/** A bucket (weight 0, no watch) for all/indirect groups. */
export function bucket(actions: Action[], o: { weight?: number; watchPort?: number; watchGroup?: number } = {}): Bucket {
  return { weight: o.weight ?? 0, watchPort: o.watchPort ?? ANY, watchGroup: o.watchGroup ?? OFPG.ANY, actions };
}

export const GT = OFPGT;

/** Flow_mod deleting every flow of every table, and group_mod deleting every group: the reset before each case. */
export function resetMessages(): OfpMessage[] {
  return [
    { ...flow({ table: 0xff, command: OFPFC.DELETE }), outPort: ANY, outGroup: OFPG.ANY },
    { type: 'group_mod', command: OFPGC.DELETE, groupType: 0, groupId: OFPG.ALL, buckets: [] },
  ];
}

// Actions ---------------------------------------------------------------------------------------------------------

export const out = (port: number): Action => ({ type: 'output', port, maxLen: port === OFPP.CONTROLLER ? OFPCML_NO_BUFFER : 0 });
export const setField = (field: OxmBasic['field'], value: OxmValue): Action => ({ type: 'set_field', field: { field, value } });
export const pushVlan = (ethertype = 0x8100): Action => ({ type: 'push_vlan', ethertype });
export const popVlan = (): Action => ({ type: 'pop_vlan' });
export const decTtl = (): Action => ({ type: 'dec_nw_ttl' });
export const toGroup = (groupId: number): Action => ({ type: 'group', groupId });

export const apply = (actions: Action[]): Instruction => ({ type: 'apply_actions', actions });
export const write = (actions: Action[]): Instruction => ({ type: 'write_actions', actions });
export const clear = (): Instruction => ({ type: 'clear_actions' });
export const gotoTable = (tableId: number): Instruction => ({ type: 'goto_table', tableId });
export const writeMeta = (metadata: bigint, mask: bigint): Instruction => ({ type: 'write_metadata', metadata, mask });

// Match -------------------------------------------------------------------------------------------------------------

export function m(field: OxmBasic['field'], value: OxmValue, mask?: OxmValue): OxmBasic {
  return mask === undefined ? { field, value } : { field, value, mask };
}

export const IPV4 = m('eth_type', 0x0800);
export const IPV6 = m('eth_type', 0x86dd);
export const ARP = m('eth_type', 0x0806);
export const TCP = m('ip_proto', 6);
export const UDP = m('ip_proto', 17);
export const ICMP = m('ip_proto', 1);
export const ICMP6 = m('ip_proto', 58);

// Packets -----------------------------------------------------------------------------------------------------------

/** FNV-1a of a string (the per-case marker in payloads). */
function fnv(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** Payload marking a frame as belonging to case `name`: "XSC" + 4 bytes of hash + padding. */
export function marker(name: string): Buffer {
  const b = Buffer.alloc(16);
  b.write('XSCONF', 0, 'latin1');
  b.writeUInt32BE(fnv(name), 6);
  b.write('xsite!', 10, 'latin1');
  return b;
}

/** Base IPv4/UDP spec. */
export function udp4(o: { src?: string; dst?: string; sport?: number; dport?: number; ttl?: number; dscp?: number; ecn?: number; ethSrc?: string; ethDst?: string; vlans?: PacketSpec['vlans'] } = {}): PacketSpec {
  return {
    eth: { src: o.ethSrc ?? MAC_A, dst: o.ethDst ?? MAC_B },
    vlans: o.vlans,
    ipv4: { src: o.src ?? IP_A, dst: o.dst ?? IP_B, ttl: o.ttl ?? 64, dscp: o.dscp ?? 0, ecn: o.ecn ?? 0 },
    udp: { srcPort: o.sport ?? 5000, dstPort: o.dport ?? 53 },
  };
}

/** Base IPv4/TCP spec. */
export function tcp4(o: { src?: string; dst?: string; sport?: number; dport?: number; ttl?: number; ethSrc?: string; ethDst?: string; vlans?: PacketSpec['vlans'] } = {}): PacketSpec {
  return {
    eth: { src: o.ethSrc ?? MAC_A, dst: o.ethDst ?? MAC_B },
    vlans: o.vlans,
    ipv4: { src: o.src ?? IP_A, dst: o.dst ?? IP_B, ttl: o.ttl ?? 64 },
    tcp: { srcPort: o.sport ?? 40000, dstPort: o.dport ?? 80, seq: 1, flags: 0x02, window: 1024 },
  };
}

/** Base IPv4/ICMP echo spec. */
export function icmp4(o: { type?: number; code?: number; src?: string; dst?: string; ttl?: number } = {}): PacketSpec {
  const type = o.type ?? 8;
  return {
    eth: { src: MAC_A, dst: MAC_B },
    ipv4: { src: o.src ?? IP_A, dst: o.dst ?? IP_B, ttl: o.ttl ?? 64 },
    icmp: type === 8 || type === 0 ? { kind: type === 8 ? 'echo-request' : 'echo-reply', code: o.code ?? 0, id: 7, seq: 1 } : { kind: 'other', type, code: o.code ?? 0 },
  };
}

/** Base IPv6 spec with UDP, TCP or an ICMPv6 echo. */
export function ip6(o: { l4?: 'udp' | 'tcp' | 'icmpv6'; src?: string; dst?: string; flabel?: number; tclass?: number; hlim?: number; sport?: number; dport?: number; ethDst?: string; vlans?: PacketSpec['vlans'] } = {}): PacketSpec {
  const base: PacketSpec = {
    eth: { src: MAC_A, dst: o.ethDst ?? MAC_B },
    vlans: o.vlans,
    ipv6: { src: o.src ?? IP6_A, dst: o.dst ?? IP6_B, flowLabel: o.flabel ?? 0, trafficClass: o.tclass ?? 0, hopLimit: o.hlim ?? 64 },
  };
  const l4 = o.l4 ?? 'udp';
  if (l4 === 'udp') base.udp = { srcPort: o.sport ?? 5000, dstPort: o.dport ?? 53 };
  else if (l4 === 'tcp') base.tcp = { srcPort: o.sport ?? 40000, dstPort: o.dport ?? 443, seq: 1, flags: 0x02, window: 1024 };
  else base.icmpv6 = { kind: 'echo-request', id: 9, seq: 1 };
  return base;
}

/** ARP spec. */
export function arp(o: { op?: number; sha?: string; spa?: string; tha?: string; tpa?: string; ethDst?: string } = {}): PacketSpec {
  const op = o.op ?? 1;
  return {
    eth: { src: o.sha ?? MAC_A, dst: o.ethDst ?? (op === 1 ? MAC_BCAST : MAC_B) },
    arp: { op, senderMac: o.sha ?? MAC_A, senderIp: o.spa ?? IP_A, targetMac: o.tha ?? (op === 1 ? '00:00:00:00:00:00' : MAC_B), targetIp: o.tpa ?? IP_B },
  };
}

/** Neighbour solicitation / advertisement spec (no payload: ND options run to the end of the packet). */
export function nd(o: { kind: 'ns' | 'na'; target?: string; sll?: string; tll?: string; src?: string; dst?: string }): PacketSpec {
  const target = o.target ?? IP6_B;
  return {
    eth: { src: MAC_A, dst: o.kind === 'ns' ? '33:33:ff:00:00:02' : MAC_B },
    ipv6: { src: o.src ?? IP6_A, dst: o.dst ?? (o.kind === 'ns' ? 'ff02::1:ff00:2' : IP6_B), hopLimit: 255 },
    icmpv6:
      o.kind === 'ns'
        ? { kind: 'ns', target, sourceLinkAddr: o.sll }
        : { kind: 'na', target, solicited: true, override: true, targetLinkAddr: o.tll },
  };
}

/** A frame of a non-IP ethertype. */
export function rawEth(etherType: number, o: { src?: string; dst?: string; vlans?: PacketSpec['vlans'] } = {}): PacketSpec {
  return { eth: { src: o.src ?? MAC_A, dst: o.dst ?? MAC_B, etherType }, vlans: o.vlans };
}

/**
 * Encodes `spec` for case `name`: L4 packets (TCP, UDP, ICMP/ICMPv6 echo) and raw frames carry the case marker as
 * payload (so real-packet captures can tell them from host noise); ARP and ND frames carry none.
 */
export function frame(name: string, spec: PacketSpec): Buffer {
  const nd = spec.icmpv6 !== undefined && spec.icmpv6.kind !== 'echo-request' && spec.icmpv6.kind !== 'echo-reply';
  const withMarker = spec.arp === undefined && !nd && spec.payload === undefined;
  return buildPacket(withMarker ? { ...spec, payload: marker(name) } : spec, spec.arp ? { padTo: 60 } : undefined);
}

/** Collects cases of one family. */
export class Family {
  readonly cases: ConformanceCase[] = [];
  constructor(readonly family: string) {}

  add(what: string, messages: OfpMessage[], spec: PacketSpec, o: { inPort?: number; real?: boolean; note?: string } = {}): this {
    const name = `${this.family}/${what}`;
    this.cases.push({
      name,
      family: this.family,
      messages,
      packet: frame(name, spec),
      inPort: o.inPort ?? 1,
      ...(o.real ? { real: true } : {}),
      ...(o.note ? { note: o.note } : {}),
    });
    return this;
  }

  /**
   * The classic match probe: a flow at priority 100 with `match` sending to port 2, a catch-all at priority 1 sending to
   * port 3; one case per packet (`hit` expected to take port 2, `miss` port 3, but the verdict is whatever OVS does).
   */
  probe(what: string, match: Match, packets: Record<string, PacketSpec>, o: { inPort?: number; real?: boolean } = {}): this {
    const msgs = [flow({ priority: 100, match, actions: [out(2)] }), flow({ priority: 1, actions: [out(3)] })];
    for (const [label, spec] of Object.entries(packets)) this.add(`${what}:${label}`, msgs, spec, o);
    return this;
  }
}
