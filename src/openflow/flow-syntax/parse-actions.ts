/**
 * The `actions=` part of a flow (and the action list of a group bucket): OVS action syntax, mapped to OpenFlow 1.3
 * actions and instructions the way `ovs-ofctl -O OpenFlow13` encodes them (`mod_nw_src:` becomes
 * `set_field:...->ip_src`, `mod_vlan_vid:` pushes a VLAN header first when the flow has none, ...).
 *
 * Like OVS, actions are checked against what the flow is known to be at that point (the match, updated by
 * push/pop actions): an action OVS would refuse for OpenFlow 1.3 (`mod_tp_src` on a non-TCP/UDP/SCTP flow,
 * `set_field:...->ip_src` without `ip`, `pop_vlan` with no VLAN, ...) is a FLOW_SYNTAX error saying so.
 */
import type { Action, Instruction } from '../../codec/openflow/types';
import { OFPCML_NO_BUFFER, OFPP, OFPTT, OFPVID_PRESENT } from '../../codec/openflow/constants';
import { closest, syntaxError } from './errors';
import { splitList, toActionItem, type ActionItem, type Span } from './lexer';
import { ETH, PROTO, TCI, isNd, type MatchModel } from './match-model';
import { checkSetFieldName, parseSetFieldValue, SET_FIELD_NAMES, type Prereq } from './set-fields';
import { PORT_NAMES, parseIpv4, parseMac, parseMaskedU64, parsePort, parseUint } from './values';

/** What the packet is known to be while actions run (OVS checks actions against it). */
export interface FlowContext {
  dlType: number | undefined;
  nwProto: number | undefined;
  /** A VLAN header is known to be present (the match requires the CFI bit, or a push_vlan ran). */
  vlan: boolean;
  /** ICMPv6 type matched (for nd_* set_field). */
  nd: 'ns' | 'na' | undefined;
}

/** The context of a flow's match. */
export function contextOf(m: MatchModel): FlowContext {
  const nd = isNd(m) ? ((m.tpSrc!.v & 0xff) === 135 ? 'ns' : 'na') : undefined;
  return { dlType: m.dlType, nwProto: m.nwProto, vlan: (m.tci & TCI.CFI) !== 0, nd };
}

const PREREQ_TEXT: Readonly<Record<Prereq, string>> = {
  none: '',
  vlan: 'a VLAN header (match dl_vlan/vlan_tci with the CFI bit, or push_vlan first)',
  ip_any: 'ip or ipv6',
  ipv4: 'ip',
  ipv6: 'ipv6',
  tcp: 'tcp or tcp6',
  udp: 'udp or udp6',
  sctp: 'sctp or sctp6',
  icmpv4: 'icmp',
  icmpv6: 'icmp6',
  arp: 'arp or rarp',
  nd: 'icmp6 with icmp_type=135 or 136',
  nd_sll: 'icmp6 with icmp_type=135',
  nd_tll: 'icmp6 with icmp_type=136',
  mpls: 'mpls or mplsm',
};

function prereqMet(p: Prereq, c: FlowContext): boolean {
  const ip4 = c.dlType === ETH.IP;
  const ip6 = c.dlType === ETH.IPV6;
  switch (p) {
    case 'none': return true;
    case 'vlan': return c.vlan;
    case 'ip_any': return ip4 || ip6;
    case 'ipv4': return ip4;
    case 'ipv6': return ip6;
    case 'tcp': return (ip4 || ip6) && c.nwProto === PROTO.TCP;
    case 'udp': return (ip4 || ip6) && c.nwProto === PROTO.UDP;
    case 'sctp': return (ip4 || ip6) && c.nwProto === PROTO.SCTP;
    case 'icmpv4': return ip4 && c.nwProto === PROTO.ICMP;
    case 'icmpv6': return ip6 && c.nwProto === PROTO.ICMPV6;
    case 'arp': return c.dlType === ETH.ARP || c.dlType === ETH.RARP;
    case 'nd': return c.nd !== undefined;
    case 'nd_sll': return c.nd === 'ns';
    case 'nd_tll': return c.nd === 'na';
    case 'mpls': return c.dlType === ETH.MPLS || c.dlType === ETH.MPLS_MCAST;
  }
}

/** Names of the plain actions, for "did you mean" suggestions. */
const ACTION_NAMES = [
  'output', 'controller', 'drop', 'in_port', 'flood', 'all', 'local', 'normal', 'table', 'mod_dl_src', 'mod_dl_dst',
  'mod_nw_src', 'mod_nw_dst', 'mod_tp_src', 'mod_tp_dst', 'mod_nw_tos', 'mod_nw_ecn', 'mod_vlan_vid', 'mod_vlan_pcp',
  'strip_vlan', 'pop_vlan', 'push_vlan', 'set_field', 'dec_ttl', 'set_nw_ttl', 'mod_nw_ttl', 'group', 'set_queue',
  'push_mpls', 'pop_mpls', 'set_mpls_ttl', 'dec_mpls_ttl', 'set_mpls_label', 'set_mpls_tc', 'copy_ttl_out',
  'copy_ttl_in',
];
const INSTRUCTION_NAMES = ['meter', 'clear_actions', 'write_actions', 'write_metadata', 'goto_table'];

/** OpenFlow 1.1+ instruction order OVS insists on. */
const RANK: Readonly<Record<string, number>> = {
  meter: 0,
  apply_actions: 1,
  clear_actions: 2,
  write_actions: 3,
  write_metadata: 4,
  goto_table: 5,
};

/** State shared by the parsers of one action text. */
class ActionParser {
  constructor(
    readonly text: string,
    /** undefined in a group bucket: no flow to check against. */
    readonly ctx: FlowContext | undefined,
  ) {}

  fail(pos: number, what: string, expected: string, suggestion?: string): never {
    throw syntaxError(this.text, pos, what, expected, suggestion);
  }

  need(item: ActionItem): string {
    if (item.arg === undefined || item.arg.trim() === '') this.fail(item.argPos, `${item.name} needs an argument`, `${item.name}:VALUE`);
    return item.arg.trim();
  }

  noArg(item: ActionItem): void {
    if (item.arg !== undefined) this.fail(item.argPos, `${item.name} takes no argument`, `a bare "${item.name}"`);
  }

  uint(item: ActionItem, max: number, what = item.name): number {
    return parseUint(this.text, item.argPos, this.need(item), max, what);
  }

  check(item: ActionItem, p: Prereq, what: string): void {
    if (this.ctx === undefined || prereqMet(p, this.ctx)) return;
    this.fail(
      item.namePos,
      `${what} lacks correct prerequisites (OVS rejects it for OpenFlow 1.3)`,
      `a flow that matches ${PREREQ_TEXT[p]}`,
    );
  }

  ensureVlan(out: Action[]): void {
    if (this.ctx !== undefined && this.ctx.vlan) return;
    out.push({ type: 'push_vlan', ethertype: ETH.VLAN });
    if (this.ctx) this.ctx.vlan = true;
  }

  /** Parses one plain action (not an instruction) into `out`. */
  action(item: ActionItem, out: Action[]): void {
    const name = item.name.toLowerCase();
    const text = this.text;
    if (/^[0-9]+$/.test(item.name) && item.arg === undefined) {
      out.push(this.output(item.namePos, item.name));
      return;
    }
    switch (name) {
      case 'output': {
        if (item.paren) this.fail(item.argPos, 'output(...) (output_trunc) is not supported', 'output:PORT');
        out.push(this.output(item.argPos, this.need(item)));
        return;
      }
      case 'controller': {
        let maxLen = OFPCML_NO_BUFFER;
        if (item.arg !== undefined && item.arg.trim() !== '') {
          const arg = item.arg.trim();
          if (item.paren) {
            const m = /^max_len\s*=\s*(\S+)$/.exec(arg);
            if (!m) this.fail(item.argPos, `unsupported controller option "${arg}"`, 'controller(max_len=N) (reason, id, userdata, pause need Nicira extensions)');
            maxLen = parseUint(text, item.argPos + arg.indexOf(m[1]!), m[1]!, 0xffff, 'max_len');
          } else {
            maxLen = parseUint(text, item.argPos, arg, 0xffff, 'controller max_len');
          }
        }
        out.push({ type: 'output', port: OFPP.CONTROLLER, maxLen });
        return;
      }
      case 'in_port': case 'flood': case 'all': case 'local': case 'normal': case 'table':
        this.noArg(item);
        out.push({ type: 'output', port: PORT_NAMES[name]!, maxLen: 0 });
        return;
      case 'mod_dl_src': case 'mod_dl_dst':
        out.push({ type: 'set_field', field: { field: name === 'mod_dl_src' ? 'eth_src' : 'eth_dst', value: parseMac(text, item.argPos, this.need(item)) } });
        return;
      case 'mod_nw_src': case 'mod_nw_dst':
        this.check(item, 'ipv4', name);
        out.push({ type: 'set_field', field: { field: name === 'mod_nw_src' ? 'ipv4_src' : 'ipv4_dst', value: parseIpv4(text, item.argPos, this.need(item)) } });
        return;
      case 'mod_tp_src': case 'mod_tp_dst': {
        const port = this.uint(item, 0xffff);
        const c = this.ctx;
        if (c === undefined) {
          this.fail(item.namePos, `${name} needs the flow's IP protocol, which a group bucket does not have`, 'set_field:PORT->tcp_src (or udp_*, sctp_*)');
        }
        const ipAny = c.dlType === ETH.IP || c.dlType === ETH.IPV6;
        const l4 = !ipAny ? undefined : c.nwProto === PROTO.TCP ? 'tcp' : c.nwProto === PROTO.UDP ? 'udp' : c.nwProto === PROTO.SCTP ? 'sctp' : undefined;
        if (l4 === undefined) {
          this.fail(item.namePos, `${name} lacks correct prerequisites (OVS rejects it for OpenFlow 1.3)`, 'a flow that matches tcp, udp or sctp (or tcp6, udp6, sctp6)');
        }
        out.push({ type: 'set_field', field: { field: `${l4!}_${name.endsWith('src') ? 'src' : 'dst'}` as 'tcp_src', value: port } });
        return;
      }
      case 'mod_nw_tos': {
        const tos = this.uint(item, 0xff);
        if ((tos & 3) !== 0) this.fail(item.argPos, `${tos}: not a valid TOS`, 'a TOS value with the two ECN bits clear (a multiple of 4)');
        this.check(item, 'ip_any', name);
        out.push({ type: 'set_field', field: { field: 'ip_dscp', value: tos >>> 2 } });
        return;
      }
      case 'mod_nw_ecn': {
        const ecn = this.uint(item, 3, 'ECN');
        this.check(item, 'ip_any', name);
        out.push({ type: 'set_field', field: { field: 'ip_ecn', value: ecn } });
        return;
      }
      case 'mod_vlan_vid': {
        const vid = this.uint(item, TCI.VID, 'VLAN id');
        this.ensureVlan(out);
        out.push({ type: 'set_field', field: { field: 'vlan_vid', value: vid | OFPVID_PRESENT } });
        return;
      }
      case 'mod_vlan_pcp': {
        const pcp = this.uint(item, 7, 'VLAN priority');
        this.ensureVlan(out);
        out.push({ type: 'set_field', field: { field: 'vlan_pcp', value: pcp } });
        return;
      }
      case 'strip_vlan': case 'pop_vlan':
        this.noArg(item);
        this.check(item, 'vlan', name);
        out.push({ type: 'pop_vlan' });
        if (this.ctx) this.ctx.vlan = false;
        return;
      case 'push_vlan': {
        const et = this.uint(item, 0xffff, 'ethertype');
        if (et !== 0x8100 && et !== 0x88a8) this.fail(item.argPos, `push_vlan ethertype ${item.arg} not supported`, '0x8100 or 0x88a8');
        out.push({ type: 'push_vlan', ethertype: et });
        if (this.ctx) this.ctx.vlan = true;
        return;
      }
      case 'set_field': {
        const arg = this.need(item);
        const arrow = arg.lastIndexOf('->');
        if (arrow < 0) this.fail(item.argPos, `set_field "${arg}" has no "->"`, 'set_field:VALUE->FIELD');
        const fieldName = arg.slice(arrow + 2).trim();
        const fieldPos = item.argPos + item.arg!.indexOf(arg) + arrow + 2;
        const def = checkSetFieldName(text, fieldPos, fieldName, (n) => closest(n, SET_FIELD_NAMES));
        const valueText = arg.slice(0, arrow).trim();
        if (valueText.includes('/')) {
          this.fail(item.argPos, 'a masked set_field is not OpenFlow 1.3', 'set_field:VALUE->FIELD without /MASK');
        }
        const value = parseSetFieldValue(text, item.argPos + item.arg!.indexOf(arg), valueText, def);
        this.check(item, def.prereq, `set_field ${fieldName}`);
        out.push({ type: 'set_field', field: { field: def.field, value } });
        return;
      }
      case 'dec_ttl':
        if (item.arg !== undefined && item.arg.trim() !== '') this.fail(item.argPos, 'dec_ttl(ids) is a Nicira extension', 'a bare dec_ttl');
        this.check(item, 'ip_any', name);
        out.push({ type: 'dec_nw_ttl' });
        return;
      case 'set_nw_ttl': case 'mod_nw_ttl': {
        const ttl = this.uint(item, 0xff, 'TTL');
        this.check(item, 'ip_any', name);
        out.push({ type: 'set_nw_ttl', ttl });
        return;
      }
      case 'group':
        out.push({ type: 'group', groupId: this.uint(item, 0xffffffff, 'group id') });
        return;
      case 'set_queue':
        out.push({ type: 'set_queue', queueId: this.uint(item, 0xffffffff, 'queue id') });
        return;
      case 'push_mpls': {
        const et = this.uint(item, 0xffff, 'ethertype');
        if (et !== ETH.MPLS && et !== ETH.MPLS_MCAST) this.fail(item.argPos, `push_mpls ethertype ${item.arg} not supported`, '0x8847 or 0x8848');
        out.push({ type: 'push_mpls', ethertype: et });
        if (this.ctx) this.ctx.dlType = et;
        return;
      }
      case 'pop_mpls': {
        const et = this.uint(item, 0xffff, 'ethertype');
        this.check(item, 'mpls', name);
        out.push({ type: 'pop_mpls', ethertype: et });
        if (this.ctx) {
          this.ctx.dlType = et;
          this.ctx.nwProto = undefined;
        }
        return;
      }
      case 'set_mpls_ttl': {
        const ttl = this.uint(item, 0xff, 'TTL');
        this.check(item, 'mpls', name);
        out.push({ type: 'set_mpls_ttl', ttl });
        return;
      }
      case 'dec_mpls_ttl':
        this.noArg(item);
        this.check(item, 'mpls', name);
        out.push({ type: 'dec_mpls_ttl' });
        return;
      case 'set_mpls_label': case 'set_mpls_tc': {
        const label = name === 'set_mpls_label';
        const v = this.uint(item, label ? 0xfffff : 7, label ? 'MPLS label' : 'MPLS TC');
        this.check(item, 'mpls', name);
        out.push({ type: 'set_field', field: { field: label ? 'mpls_label' : 'mpls_tc', value: v } });
        return;
      }
      case 'copy_ttl_out': case 'copy_ttl_in':
        this.noArg(item);
        out.push({ type: name });
        return;
      default: {
        if (INSTRUCTION_NAMES.includes(name)) this.fail(item.namePos, `${name} is an instruction`, 'an action (instructions cannot be nested)');
        this.fail(item.namePos, `unknown action "${item.name}"`, 'an action such as output:N, set_field:V->F, group:N', closest(name, ACTION_NAMES));
      }
    }
  }

  output(pos: number, port: string): Action {
    const p = parsePort(this.text, pos, port, 'output port');
    if (p === OFPP.ANY) this.fail(pos, 'output to ANY is invalid', 'a real or reserved port (OFPBAC_BAD_OUT_PORT)');
    return { type: 'output', port: p, maxLen: p === OFPP.CONTROLLER ? OFPCML_NO_BUFFER : 0 };
  }

  /** A plain action list (inside write_actions, or a group bucket). "drop" must stand alone. */
  list(spans: readonly Span[]): Action[] {
    const items = spans.flatMap((span) => splitList(this.text, span, true)).map((p) => toActionItem(this.text, p));
    const out: Action[] = [];
    for (const it of items) {
      if (it.name.toLowerCase() === 'drop' && it.arg === undefined) {
        if (items.length > 1) this.fail(it.namePos, '"drop" must not be accompanied by any other action', 'drop alone');
        continue;
      }
      this.action(it, out);
    }
    return out;
  }

  /** The whole `actions=` text of a flow: apply actions plus instructions, in OVS's required order. */
  instructions(span: Span, tableId: number | undefined): Instruction[] {
    const items = splitList(this.text, span, true).map((p) => toActionItem(this.text, p));
    const apply: Action[] = [];
    let meter: Instruction | undefined;
    let clear: Instruction | undefined;
    let write: Instruction | undefined;
    let metadata: Instruction | undefined;
    let gotoTable: Instruction | undefined;
    let last = -1;
    let lastName = '';
    const order = (it: ActionItem, kind: string): void => {
      const r = RANK[kind]!;
      if (r < last) {
        this.fail(it.namePos, `invalid instruction ordering: ${kind} must appear before ${lastName}`, 'meter, actions, clear_actions, write_actions, write_metadata, goto_table in that order (OpenFlow 1.1+)');
      }
      if (r === last && kind !== 'apply_actions') this.fail(it.namePos, `duplicate ${kind} instruction`, `one ${kind}`);
      last = r;
      lastName = kind;
    };
    for (const it of items) {
      const name = it.name.toLowerCase();
      if (name === 'drop' && it.arg === undefined) {
        if (items.length > 1) this.fail(it.namePos, '"drop" must not be accompanied by any other action or instruction', 'drop alone');
        continue;
      }
      switch (name) {
        case 'meter':
          order(it, 'meter');
          meter = { type: 'meter', meterId: this.uint(it, 0xffffffff, 'meter id') };
          break;
        case 'clear_actions':
          order(it, 'clear_actions');
          this.noArg(it);
          clear = { type: 'clear_actions' };
          break;
        case 'write_actions': {
          order(it, 'write_actions');
          if (!it.paren) this.fail(it.argPos, 'write_actions needs parentheses', 'write_actions(ACTIONS)');
          const acts = this.list([{ s: it.arg!, pos: it.argPos }]);
          // ovs-ofctl leaves an empty write_actions out of the flow_mod.
          if (acts.length > 0) write = { type: 'write_actions', actions: acts };
          break;
        }
        case 'write_metadata': {
          order(it, 'write_metadata');
          const v = parseMaskedU64(this.text, it.argPos, this.need(it), 'metadata');
          metadata = { type: 'write_metadata', metadata: v.v, mask: v.m };
          break;
        }
        case 'goto_table': {
          order(it, 'goto_table');
          const t = this.uint(it, OFPTT.MAX, 'table id');
          if (tableId !== undefined && t <= tableId) {
            this.fail(it.argPos, `goto_table:${t} does not go forward from table ${tableId} (OFPBIC_BAD_TABLE_ID)`, `a table greater than ${tableId}`);
          }
          gotoTable = { type: 'goto_table', tableId: t };
          break;
        }
        default:
          order(it, 'apply_actions');
          this.action(it, apply);
      }
    }
    const out: Instruction[] = [];
    if (meter) out.push(meter);
    if (apply.length > 0) out.push({ type: 'apply_actions', actions: apply });
    if (clear) out.push(clear);
    if (write) out.push(write);
    if (metadata) out.push(metadata);
    if (gotoTable) out.push(gotoTable);
    return out;
  }
}

/**
 * Parses the action text of a flow into OpenFlow 1.3 instructions. `span` is the text after `actions=` (with its
 * offset in `text`), `ctx` what the match says about the packet, `tableId` the flow's table (goto_table must go
 * forward from it).
 */
export function parseInstructions(text: string, span: Span, ctx: FlowContext, tableId: number | undefined): Instruction[] {
  return new ActionParser(text, ctx).instructions(span, tableId);
}

/**
 * Parses a plain action list (a group bucket), given as one or more pieces of `text`: no instructions, and no flow
 * to check prerequisites against.
 */
export function parseActionList(text: string, spans: readonly Span[]): Action[] {
  return new ActionParser(text, undefined).list(spans);
}
