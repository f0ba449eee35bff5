/**
 * OpenFlow actions: validation against the flow's match (OVS's consistency rules and error codes), compilation to a
 * numeric form, and execution on the frame bytes. Header rewrites patch the frame in place (copy-on-write) and fix
 * the IPv4 header and TCP/UDP/ICMP checksums incrementally (RFC 1624); the flow key is updated field by field, and
 * only push/pop (which move headers) re-extract it.
 */
import { checksumUpdate16, checksumUpdate32 } from '../../codec/packet/checksum';
import { OFPBAC, OFPP } from '../../codec/openflow/constants';
import { OFPET } from '../../codec/openflow/errors';
import type { Action, OxmBasic } from '../../codec/openflow/types';
import { SET_SLOT, type PacketCtx } from './context';
import { refuse } from './errors';
import { extractKey, K } from './flow-key';
import { FIELDS, type FieldDesc, fullMask, prereqsOk, type PrereqState, valueToWords } from './match';

/** Numeric action opcodes. */
export const OP = {
  OUTPUT: 0,
  GROUP: 1,
  SET_FIELD: 2,
  PUSH_VLAN: 3,
  POP_VLAN: 4,
  PUSH_MPLS: 5,
  POP_MPLS: 6,
  SET_QUEUE: 7,
  SET_NW_TTL: 8,
  DEC_NW_TTL: 9,
  SET_MPLS_TTL: 10,
  DEC_MPLS_TTL: 11,
  COPY_TTL_OUT: 12,
  COPY_TTL_IN: 13,
} as const;

const NO_WORDS: readonly number[] = [];

/** An action in executable form; `src` is the action as the controller sent it (for stats and traces). */
export class CompiledAction {
  /** Output port / group id / queue id / TTL / ethertype, by opcode. */
  arg = 0;
  /** Output max_len. */
  maxLen = 0;
  field: FieldDesc | null = null;
  /** set_field value as key words. */
  words: readonly number[] = NO_WORDS;
  /** Action-set slot (execution order). */
  setSlot = 0;
  /** Key within the action set's set_field map. */
  setKey = 0;

  constructor(
    readonly op: number,
    readonly src: Action,
  ) {}
}

/** What action validation needs to know about the switch. */
export interface ActionEnv {
  groupExists(groupId: number): boolean;
  /** Actions of a PACKET_OUT (OFPP_TABLE allowed as output). */
  packetOut: boolean;
  /** Check set_field/pop/TTL prerequisites against the match (false for group buckets, as OVS). */
  checkPrereqs: boolean;
  /**
   * Actions of a write_actions instruction. OVS cannot check the consistency of an action set, so the checks it makes
   * by narrowing usable protocols (pop_vlan, pop_mpls, TTL actions) do not apply there; set_field prerequisites,
   * which are hard errors, still do.
   */
  inActionSet?: boolean;
}

/** Fields a set_field may write (OVS's writable fields). */
const WRITABLE = new Set([
  'eth_dst', 'eth_src', 'vlan_vid', 'vlan_pcp', 'ip_dscp', 'ip_ecn', 'ipv4_src', 'ipv4_dst', 'tcp_src', 'tcp_dst',
  'udp_src', 'udp_dst', 'sctp_src', 'sctp_dst', 'icmpv4_type', 'icmpv4_code', 'arp_op', 'arp_spa', 'arp_tpa',
  'arp_sha', 'arp_tha', 'ipv6_src', 'ipv6_dst', 'ipv6_flabel', 'icmpv6_type', 'icmpv6_code', 'ipv6_nd_target',
  'ipv6_nd_sll', 'ipv6_nd_tll', 'mpls_label', 'mpls_tc', 'metadata', 'tunnel_id',
]);

function badAction(code: number, msg: string): never {
  refuse(OFPET.BAD_ACTION, code, msg);
}

function isValidOutPort(port: number, packetOut: boolean): boolean {
  if (port <= OFPP.MAX) return true;
  switch (port) {
    case OFPP.IN_PORT:
    case OFPP.NORMAL:
    case OFPP.FLOOD:
    case OFPP.ALL:
    case OFPP.CONTROLLER:
    case OFPP.LOCAL:
    case OFPP.TABLE:
      return true;
    default:
      void packetOut;
      return false;
  }
}

/**
 * Validates `actions` against what the match guarantees (`st`, updated in place as push/pop change the packet) and
 * compiles them. Errors as OVS: BAD_OUT_PORT, BAD_OUT_GROUP, BAD_ARGUMENT (push ethertype), MATCH_INCONSISTENT
 * (set_field/pop/ttl actions whose prerequisites the match does not guarantee), BAD_SET_ARGUMENT (read-only field),
 * BAD_SET_LEN (field OVS does not know), BAD_TYPE (PBB, experimenter).
 */
export function compileActions(actions: readonly Action[], st: PrereqState, env: ActionEnv): CompiledAction[] {
  const out: CompiledAction[] = [];
  for (const a of actions) out.push(compileAction(a, st, env));
  return out;
}

function compileAction(a: Action, st: PrereqState, env: ActionEnv): CompiledAction {
  const strict = env.checkPrereqs;
  /** The consistency checks OVS skips inside an action set. */
  const consistency = strict && env.inActionSet !== true;
  switch (a.type) {
    case 'output': {
      if (!isValidOutPort(a.port, env.packetOut)) badAction(OFPBAC.BAD_OUT_PORT, `bad output port ${a.port}`);
      const c = new CompiledAction(OP.OUTPUT, a);
      c.arg = a.port;
      c.maxLen = a.maxLen;
      c.setSlot = SET_SLOT.OUTPUT;
      return c;
    }
    case 'group': {
      if (a.groupId > 0xffffff00 || (strict && !env.groupExists(a.groupId))) badAction(OFPBAC.BAD_OUT_GROUP, `unknown group ${a.groupId}`);
      const c = new CompiledAction(OP.GROUP, a);
      c.arg = a.groupId;
      c.setSlot = SET_SLOT.GROUP;
      return c;
    }
    case 'set_queue': {
      const c = new CompiledAction(OP.SET_QUEUE, a);
      c.arg = a.queueId;
      c.setSlot = SET_SLOT.SET_QUEUE;
      return c;
    }
    case 'push_vlan': {
      if (a.ethertype !== 0x8100 && a.ethertype !== 0x88a8) badAction(OFPBAC.BAD_ARGUMENT, `push_vlan ethertype ${a.ethertype}`);
      st.vlanPresent = true;
      const c = new CompiledAction(OP.PUSH_VLAN, a);
      c.arg = a.ethertype;
      c.setSlot = SET_SLOT.PUSH_VLAN;
      return c;
    }
    case 'pop_vlan': {
      if (consistency && !st.vlanPresent) badAction(OFPBAC.MATCH_INCONSISTENT, 'pop_vlan needs a VLAN tag in the match');
      st.vlanPresent = false;
      const c = new CompiledAction(OP.POP_VLAN, a);
      c.setSlot = SET_SLOT.POP_VLAN;
      return c;
    }
    case 'push_mpls': {
      if (a.ethertype !== 0x8847 && a.ethertype !== 0x8848) badAction(OFPBAC.BAD_ARGUMENT, `push_mpls ethertype ${a.ethertype}`);
      st.ethType = a.ethertype;
      st.ipProto = -1;
      st.icmpType = -1;
      const c = new CompiledAction(OP.PUSH_MPLS, a);
      c.arg = a.ethertype;
      c.setSlot = SET_SLOT.PUSH_MPLS;
      return c;
    }
    case 'pop_mpls': {
      if (consistency && st.ethType !== 0x8847 && st.ethType !== 0x8848) badAction(OFPBAC.MATCH_INCONSISTENT, 'pop_mpls needs an MPLS match');
      st.ethType = a.ethertype;
      const c = new CompiledAction(OP.POP_MPLS, a);
      c.arg = a.ethertype;
      c.setSlot = SET_SLOT.POP_MPLS;
      return c;
    }
    case 'set_nw_ttl':
    case 'dec_nw_ttl': {
      if (consistency && st.ethType !== 0x0800 && st.ethType !== 0x86dd) badAction(OFPBAC.MATCH_INCONSISTENT, `${a.type} needs an IP match`);
      const c = new CompiledAction(a.type === 'set_nw_ttl' ? OP.SET_NW_TTL : OP.DEC_NW_TTL, a);
      if (a.type === 'set_nw_ttl') {
        c.arg = a.ttl;
        c.setSlot = SET_SLOT.SET;
        c.setKey = 1001;
      } else c.setSlot = SET_SLOT.DEC_NW_TTL;
      return c;
    }
    case 'set_mpls_ttl':
    case 'dec_mpls_ttl':
    case 'copy_ttl_in':
    case 'copy_ttl_out': {
      if (consistency && st.ethType !== 0x8847 && st.ethType !== 0x8848) badAction(OFPBAC.MATCH_INCONSISTENT, `${a.type} needs an MPLS match`);
      const op =
        a.type === 'set_mpls_ttl' ? OP.SET_MPLS_TTL : a.type === 'dec_mpls_ttl' ? OP.DEC_MPLS_TTL : a.type === 'copy_ttl_in' ? OP.COPY_TTL_IN : OP.COPY_TTL_OUT;
      const c = new CompiledAction(op, a);
      if (a.type === 'set_mpls_ttl') {
        c.arg = a.ttl;
        c.setSlot = SET_SLOT.SET;
        c.setKey = 1002;
      } else {
        c.setSlot = op === OP.DEC_MPLS_TTL ? SET_SLOT.DEC_MPLS_TTL : op === OP.COPY_TTL_IN ? SET_SLOT.COPY_TTL_IN : SET_SLOT.COPY_TTL_OUT;
      }
      return c;
    }
    case 'set_field': {
      const tlv = a.field;
      if (tlv.field === 'raw') badAction(OFPBAC.BAD_SET_TYPE, 'non-basic set_field');
      const t = tlv as OxmBasic;
      const f = FIELDS.get(t.field);
      if (f === undefined || t.field === 'pbb_isid' || t.field === 'ipv6_exthdr') badAction(OFPBAC.BAD_SET_LEN, `set_field ${t.field} unsupported`);
      if (!WRITABLE.has(f.name)) badAction(OFPBAC.BAD_SET_ARGUMENT, `set_field ${f.name}: read-only field`);
      if (t.mask !== undefined) badAction(OFPBAC.BAD_SET_ARGUMENT, 'masked set_field');
      const words = valueToWords(f, t.value);
      if (words === undefined) badAction(OFPBAC.BAD_SET_ARGUMENT, `set_field ${f.name}: bad value`);
      const full = fullMask(f);
      for (let i = 0; i < words.length; i++) {
        if ((words[i]! & ~full[i]!) !== 0) badAction(OFPBAC.BAD_SET_ARGUMENT, `set_field ${f.name}: value out of range`);
      }
      const need = f.name === 'vlan_pcp' ? 'vlan_vid_set' : f.name;
      if (!strict) {
        // group buckets: no consistency check
      } else if (need === 'vlan_vid' || need === 'vlan_vid_set') {
        if (!st.vlanPresent) badAction(OFPBAC.MATCH_INCONSISTENT, `set_field ${f.name} needs a VLAN tag`);
      } else if (!prereqsOk(f.name, st)) {
        badAction(OFPBAC.MATCH_INCONSISTENT, `set_field ${f.name}: prerequisites not in the match`);
      }
      const c = new CompiledAction(OP.SET_FIELD, a);
      c.field = f;
      c.words = words;
      c.setSlot = SET_SLOT.SET;
      c.setKey = f.slot;
      return c;
    }
    case 'push_pbb':
    case 'pop_pbb':
    case 'experimenter':
      return badAction(a.type === 'experimenter' ? OFPBAC.BAD_EXPERIMENTER : OFPBAC.BAD_TYPE, `${a.type} not supported`);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Execution

/** Effects of actions on the switch (outputs, groups, controller). */
export interface ActionHost {
  /** Output to a port number or reserved port. */
  output(ctx: PacketCtx, port: number, maxLen: number): void;
  /** Executes group `groupId`. */
  group(ctx: PacketCtx, groupId: number): void;
  /** dec_*_ttl hit zero: the packet stops here (packet-in INVALID_TTL when the controller asked for it). */
  invalidTtl(ctx: PacketCtx): void;
}

/** Executes an action list in order. Returns false when processing must stop (TTL expired). */
export function execActions(list: readonly CompiledAction[], ctx: PacketCtx, host: ActionHost): boolean {
  for (let i = 0; i < list.length; i++) {
    if (!execAction(list[i]!, ctx, host)) return false;
  }
  return true;
}

/** Executes one action. Returns false when processing must stop. */
export function execAction(a: CompiledAction, ctx: PacketCtx, host: ActionHost): boolean {
  switch (a.op) {
    case OP.OUTPUT:
      host.output(ctx, a.arg, a.maxLen);
      return true;
    case OP.GROUP:
      host.group(ctx, a.arg);
      return true;
    case OP.SET_FIELD:
      setField(ctx, a.field!, a.words);
      return true;
    case OP.SET_QUEUE:
      ctx.queueId = a.arg;
      return true;
    case OP.PUSH_VLAN:
      pushVlan(ctx, a.arg);
      return true;
    case OP.POP_VLAN:
      popVlan(ctx);
      return true;
    case OP.PUSH_MPLS:
      pushMpls(ctx, a.arg);
      return true;
    case OP.POP_MPLS:
      popMpls(ctx, a.arg);
      return true;
    case OP.SET_NW_TTL:
      setNwTtl(ctx, a.arg);
      return true;
    case OP.DEC_NW_TTL: {
      const ttl = ctx.key.w[K.NW_TTL]!;
      if (ctx.key.l3Off < 0) return true;
      if (ttl <= 1) {
        host.invalidTtl(ctx);
        return false;
      }
      setNwTtl(ctx, ttl - 1);
      return true;
    }
    case OP.SET_MPLS_TTL:
      setMplsTtl(ctx, a.arg);
      return true;
    case OP.DEC_MPLS_TTL: {
      const ttl = ctx.key.w[K.MPLS_TTL]!;
      if (ctx.key.l3Off < 0) return true;
      if (ttl <= 1) {
        host.invalidTtl(ctx);
        return false;
      }
      setMplsTtl(ctx, ttl - 1);
      return true;
    }
    case OP.COPY_TTL_OUT:
    case OP.COPY_TTL_IN:
      copyTtl(ctx, a.op === OP.COPY_TTL_IN);
      return true;
    default:
      return true;
  }
}

function put16(b: Buffer, o: number, v: number): void {
  b[o] = (v >>> 8) & 0xff;
  b[o + 1] = v & 0xff;
}

function put32(b: Buffer, o: number, v: number): void {
  b[o] = (v >>> 24) & 0xff;
  b[o + 1] = (v >>> 16) & 0xff;
  b[o + 2] = (v >>> 8) & 0xff;
  b[o + 3] = v & 0xff;
}

function get16(b: Buffer, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}

function get32(b: Buffer, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

/** Offset of the L4 checksum covering the pseudo-header, or -1 (none / UDP without checksum). */
function l4PseudoCsumOff(ctx: PacketCtx, b: Buffer): number {
  const l4 = ctx.key.l4Off;
  if (l4 < 0) return -1;
  const proto = ctx.key.w[K.IP_PROTO]!;
  if (proto === 6) return l4 + 16 + 2 <= b.length ? l4 + 16 : -1;
  if (proto === 17) return l4 + 8 <= b.length && get16(b, l4 + 6) !== 0 ? l4 + 6 : -1;
  if (proto === 58) return l4 + 4 <= b.length ? l4 + 2 : -1;
  return -1;
}

/** Updates the checksum at `off` for a 16-bit word change (UDP: a computed 0 is sent as 0xffff). */
function fix16(ctx: PacketCtx, b: Buffer, off: number, oldW: number, newW: number): void {
  let c = checksumUpdate16(get16(b, off), oldW, newW);
  if (c === 0 && ctx.key.w[K.IP_PROTO] === 17 && off === ctx.key.l4Off + 6) c = 0xffff;
  put16(b, off, c);
}

function fix32(ctx: PacketCtx, b: Buffer, off: number, oldV: number, newV: number): void {
  let c = checksumUpdate32(get16(b, off), oldV, newV);
  if (c === 0 && ctx.key.w[K.IP_PROTO] === 17 && off === ctx.key.l4Off + 6) c = 0xffff;
  put16(b, off, c);
}

/** Writes a 16-bit L4 field (port, ICMP type/code word) and fixes the L4 checksum. */
function setL4Word(ctx: PacketCtx, off: number, v: number, csumOff: number): void {
  const b = ctx.writable();
  const old = get16(b, off);
  if (old === v) return;
  put16(b, off, v);
  if (csumOff >= 0) fix16(ctx, b, csumOff, old, v);
}

/** Writes `n` 32-bit words at `off`, fixing the checksum at `csumOff` (if >= 0) and the IPv4 header checksum. */
function setWords32(ctx: PacketCtx, off: number, words: readonly number[], csumOff: number, ipCsumOff: number): void {
  const b = ctx.writable();
  for (let i = 0; i < words.length; i++) {
    const o = off + 4 * i;
    const old = get32(b, o);
    const nv = words[i]! >>> 0;
    if (old === nv) continue;
    put32(b, o, nv);
    if (csumOff >= 0) fix32(ctx, b, csumOff, old, nv);
    if (ipCsumOff >= 0) put16(b, ipCsumOff, checksumUpdate32(get16(b, ipCsumOff), old, nv));
  }
}

function setMac(ctx: PacketCtx, off: number, hi: number, lo: number, csumOff: number): void {
  const b = ctx.writable();
  const oh = get16(b, off);
  const ol = get32(b, off + 2);
  put16(b, off, hi);
  put32(b, off + 2, lo);
  if (csumOff >= 0) {
    // MAC inside a checksummed body (ND options): even-aligned relative to the L4 header.
    fix16(ctx, b, csumOff, oh, hi);
    fix32(ctx, b, csumOff, ol, lo);
  }
}

/** Finds the ND option of `type` (1 SLL, 2 TLL) and returns the offset of its address, or -1. */
function ndOptionOff(b: Buffer, l4: number, type: number): number {
  let p = l4 + 24;
  while (p + 8 <= b.length) {
    const ol = b[p + 1]! * 8;
    if (ol === 0 || p + ol > b.length) return -1;
    if (b[p] === type && ol === 8) return p + 2;
    p += ol;
  }
  return -1;
}

/** Applies a set_field to the frame and the key. */
export function setField(ctx: PacketCtx, f: FieldDesc, v: readonly number[]): void {
  const key = ctx.key;
  const w = key.w;
  const l3 = key.l3Off;
  const l4 = key.l4Off;
  switch (f.slot) {
    case K.METADATA:
    case K.TUNNEL_ID:
      w[f.slot] = v[0]!;
      w[f.slot + 1] = v[1]!;
      return;
    case K.ETH_DST:
    case K.ETH_SRC:
      setMac(ctx, f.slot === K.ETH_DST ? 0 : 6, v[0]!, v[1]!, -1);
      w[f.slot] = v[0]!;
      w[f.slot + 1] = v[1]!;
      return;
    case K.VLAN_VID: {
      if (key.vlanOff < 0) return;
      const b = ctx.writable();
      const tci = get16(b, key.vlanOff + 2);
      put16(b, key.vlanOff + 2, (tci & 0xf000) | (v[0]! & 0xfff));
      w[K.VLAN_VID] = (v[0]! & 0xfff) | 0x1000;
      return;
    }
    case K.VLAN_PCP: {
      if (key.vlanOff < 0) return;
      const b = ctx.writable();
      const tci = get16(b, key.vlanOff + 2);
      put16(b, key.vlanOff + 2, (tci & 0x1fff) | ((v[0]! & 7) << 13));
      w[K.VLAN_PCP] = v[0]! & 7;
      return;
    }
    case K.IP_DSCP:
    case K.IP_ECN: {
      if (l3 < 0) return;
      const dscp = f.slot === K.IP_DSCP ? v[0]! : w[K.IP_DSCP]!;
      const ecn = f.slot === K.IP_ECN ? v[0]! : w[K.IP_ECN]!;
      const tos = (dscp << 2) | ecn;
      const b = ctx.writable();
      if (w[K.ETH_TYPE] === 0x0800) {
        const old = get16(b, l3);
        const nw = (old & 0xff00) | tos;
        put16(b, l3, nw);
        put16(b, l3 + 10, checksumUpdate16(get16(b, l3 + 10), old, nw));
      } else {
        const old = get32(b, l3);
        put32(b, l3, ((old & 0xf00fffff) | (tos << 20)) >>> 0);
      }
      w[K.IP_DSCP] = dscp;
      w[K.IP_ECN] = ecn;
      return;
    }
    case K.IPV4_SRC:
    case K.IPV4_DST: {
      if (l3 < 0) return;
      const off = l3 + (f.slot === K.IPV4_SRC ? 12 : 16);
      setWords32(ctx, off, v, l4PseudoCsumOff(ctx, ctx.frame), l3 + 10);
      w[f.slot] = v[0]!;
      return;
    }
    case K.IPV6_SRC:
    case K.IPV6_DST: {
      if (l3 < 0) return;
      const off = l3 + (f.slot === K.IPV6_SRC ? 8 : 24);
      setWords32(ctx, off, v, l4PseudoCsumOff(ctx, ctx.frame), -1);
      for (let i = 0; i < 4; i++) w[f.slot + i] = v[i]!;
      return;
    }
    case K.IPV6_FLABEL: {
      if (l3 < 0) return;
      const b = ctx.writable();
      const old = get32(b, l3);
      put32(b, l3, ((old & 0xfff00000) | (v[0]! & 0xfffff)) >>> 0);
      w[K.IPV6_FLABEL] = v[0]! & 0xfffff;
      return;
    }
    case K.TP_SRC:
    case K.TP_DST: {
      if (l4 < 0) return;
      const proto = w[K.IP_PROTO]!;
      const off = l4 + (f.slot === K.TP_SRC ? 0 : 2);
      const cs = proto === 6 ? l4 + 16 : proto === 17 ? (get16(ctx.frame, l4 + 6) !== 0 ? l4 + 6 : -1) : -1;
      setL4Word(ctx, off, v[0]!, cs);
      if (proto === 132) sctpFixCrc(ctx);
      w[f.slot] = v[0]!;
      return;
    }
    case K.ICMP_TYPE:
    case K.ICMP_CODE: {
      if (l4 < 0) return;
      const type = f.slot === K.ICMP_TYPE ? v[0]! : w[K.ICMP_TYPE]!;
      const code = f.slot === K.ICMP_CODE ? v[0]! : w[K.ICMP_CODE]!;
      setL4Word(ctx, l4, (type << 8) | code, l4 + 2);
      w[K.ICMP_TYPE] = type;
      w[K.ICMP_CODE] = code;
      return;
    }
    case K.ARP_OP: {
      if (l3 < 0) return;
      put16(ctx.writable(), l3 + 6, v[0]!);
      w[K.ARP_OP] = v[0]! <= 0xff ? v[0]! : 0;
      return;
    }
    case K.ARP_SPA:
    case K.ARP_TPA: {
      if (l3 < 0) return;
      put32(ctx.writable(), l3 + (f.slot === K.ARP_SPA ? 14 : 24), v[0]!);
      w[f.slot] = v[0]!;
      return;
    }
    case K.ARP_SHA:
    case K.ARP_THA: {
      if (l3 < 0) return;
      setMac(ctx, l3 + (f.slot === K.ARP_SHA ? 8 : 18), v[0]!, v[1]!, -1);
      w[f.slot] = v[0]!;
      w[f.slot + 1] = v[1]!;
      return;
    }
    case K.ND_TARGET: {
      if (l4 < 0) return;
      setWords32(ctx, l4 + 8, v, l4 + 2, -1);
      for (let i = 0; i < 4; i++) w[K.ND_TARGET + i] = v[i]!;
      return;
    }
    case K.ND_SLL:
    case K.ND_TLL: {
      if (l4 < 0) return;
      const o = ndOptionOff(ctx.frame, l4, f.slot === K.ND_SLL ? 1 : 2);
      if (o < 0) return;
      setMac(ctx, o, v[0]!, v[1]!, l4 + 2);
      w[f.slot] = v[0]!;
      w[f.slot + 1] = v[1]!;
      return;
    }
    case K.MPLS_LABEL:
    case K.MPLS_TC: {
      if (l3 < 0) return;
      const b = ctx.writable();
      const lse = get32(b, l3);
      const nv = f.slot === K.MPLS_LABEL ? ((lse & 0xfff) | (v[0]! << 12)) >>> 0 : ((lse & ~(7 << 9)) | ((v[0]! & 7) << 9)) >>> 0;
      put32(b, l3, nv);
      w[f.slot] = v[0]!;
      return;
    }
    default:
      return;
  }
}

function setNwTtl(ctx: PacketCtx, ttl: number): void {
  const key = ctx.key;
  const l3 = key.l3Off;
  if (l3 < 0) return;
  const b = ctx.writable();
  if (key.w[K.ETH_TYPE] === 0x0800) {
    const old = get16(b, l3 + 8);
    const nw = ((ttl & 0xff) << 8) | (old & 0xff);
    put16(b, l3 + 8, nw);
    put16(b, l3 + 10, checksumUpdate16(get16(b, l3 + 10), old, nw));
  } else if (key.w[K.ETH_TYPE] === 0x86dd) {
    b[l3 + 7] = ttl & 0xff;
  } else return;
  key.w[K.NW_TTL] = ttl & 0xff;
}

function setMplsTtl(ctx: PacketCtx, ttl: number): void {
  const key = ctx.key;
  if (key.l3Off < 0 || (key.w[K.ETH_TYPE] !== 0x8847 && key.w[K.ETH_TYPE] !== 0x8848)) return;
  ctx.writable()[key.l3Off + 3] = ttl & 0xff;
  key.w[K.MPLS_TTL] = ttl & 0xff;
}

function copyTtl(ctx: PacketCtx, inward: boolean): void {
  const key = ctx.key;
  if (key.l3Off < 0 || (key.w[K.ETH_TYPE] !== 0x8847 && key.w[K.ETH_TYPE] !== 0x8848)) return;
  const b = ctx.frame;
  const lse = get32(b, key.l3Off);
  const inner = key.l3Off + 4;
  if (inward) {
    if ((lse & 0x100) === 0) {
      if (inner + 4 <= b.length) ctx.writable()[inner + 3] = lse & 0xff;
    } else if (inner + 20 <= b.length && b[inner]! >> 4 === 4) {
      const wb = ctx.writable();
      const old = get16(wb, inner + 8);
      const nw = ((lse & 0xff) << 8) | (old & 0xff);
      put16(wb, inner + 8, nw);
      put16(wb, inner + 10, checksumUpdate16(get16(wb, inner + 10), old, nw));
    } else if (inner + 40 <= b.length && b[inner]! >> 4 === 6) ctx.writable()[inner + 7] = lse & 0xff;
  } else {
    let ttl = -1;
    if ((lse & 0x100) === 0) ttl = inner + 4 <= b.length ? b[inner + 3]! : -1;
    else if (inner + 20 <= b.length && b[inner]! >> 4 === 4) ttl = b[inner + 8]!;
    else if (inner + 40 <= b.length && b[inner]! >> 4 === 6) ttl = b[inner + 7]!;
    if (ttl >= 0) setMplsTtl(ctx, ttl);
  }
}

function splice(ctx: PacketCtx, at: number, insert: number, remove: number): Buffer {
  const old = ctx.frame;
  const nb = Buffer.allocUnsafe(old.length + insert - remove);
  old.copy(nb, 0, 0, at);
  old.copy(nb, at + insert, at + remove);
  ctx.frame = nb;
  ctx.owned = true;
  return nb;
}

function pushVlan(ctx: PacketCtx, tpid: number): void {
  const key = ctx.key;
  if (ctx.frame.length < 14) return;
  // As OVS (vlan-limit 1) does: the new outer tag starts with TCI 0 (VID 0, PCP 0) even on a tagged packet, and a
  // set_field after the push fills it (checked with real packets by the conformance suite).
  const tci = 0;
  const b = splice(ctx, 12, 4, 0);
  put16(b, 12, tpid);
  put16(b, 14, tci);
  extractKey(b, key);
  // vlan-limit 1: the new outer tag is what OVS sees.
}

function popVlan(ctx: PacketCtx): void {
  const key = ctx.key;
  if (key.vlanOff < 0) return;
  splice(ctx, 12, 0, 4);
  extractKey(ctx.frame, key);
}

function pushMpls(ctx: PacketCtx, ethertype: number): void {
  const key = ctx.key;
  const at = key.typeOff + 2;
  const w = key.w;
  const isMpls = w[K.ETH_TYPE] === 0x8847 || w[K.ETH_TYPE] === 0x8848;
  let lse: number;
  if (isMpls && key.l3Off >= 0) lse = get32(ctx.frame, key.l3Off) & ~0x100;
  else {
    const ttl = key.l3Off >= 0 && (w[K.ETH_TYPE] === 0x0800 || w[K.ETH_TYPE] === 0x86dd) ? w[K.NW_TTL]! : 64;
    lse = 0x100 | ttl;
  }
  const b = splice(ctx, at, 4, 0);
  put16(b, key.typeOff, ethertype);
  put32(b, at, lse >>> 0);
  extractKey(b, key);
}

function popMpls(ctx: PacketCtx, ethertype: number): void {
  const key = ctx.key;
  if (key.l3Off < 0 || (key.w[K.ETH_TYPE] !== 0x8847 && key.w[K.ETH_TYPE] !== 0x8848)) return;
  const typeOff = key.typeOff;
  const b = splice(ctx, key.l3Off, 0, 4);
  put16(b, typeOff, ethertype);
  extractKey(b, key);
}

// SCTP: CRC32c over the common header and chunks, with the checksum field zeroed.
let crcTable: Uint32Array | null = null;
function sctpFixCrc(ctx: PacketCtx): void {
  const l4 = ctx.key.l4Off;
  const b = ctx.writable();
  if (l4 < 0 || l4 + 12 > b.length) return;
  if (crcTable === null) {
    crcTable = new Uint32Array(256);
    for (let i = 0; i < 256; i++) {
      let c = i;
      for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
      crcTable[i] = c >>> 0;
    }
  }
  put32(b, l4 + 8, 0);
  let crc = 0xffffffff;
  for (let i = l4; i < b.length; i++) crc = crcTable[(crc ^ b[i]!) & 0xff]! ^ (crc >>> 8);
  crc = ~crc >>> 0;
  // Stored little-endian.
  b[l4 + 8] = crc & 0xff;
  b[l4 + 9] = (crc >>> 8) & 0xff;
  b[l4 + 10] = (crc >>> 16) & 0xff;
  b[l4 + 11] = (crc >>> 24) & 0xff;
}

/** Whether the action list outputs to `port` (flow_mod/stats out_port filter; OFPP_ANY = always). */
export function outputsTo(list: readonly CompiledAction[] | null, port: number): boolean {
  if (list === null) return false;
  for (const a of list) if (a.op === OP.OUTPUT && a.arg === port) return true;
  return false;
}

/** Whether the action list uses group `groupId`. */
export function usesGroup(list: readonly CompiledAction[] | null, groupId: number): boolean {
  if (list === null) return false;
  for (const a of list) if (a.op === OP.GROUP && a.arg === groupId) return true;
  return false;
}
