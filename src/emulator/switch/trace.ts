/**
 * Packet tracing, like `ovs-appctl ofproto/trace`: runs a frame through a switch with every side effect redirected
 * into a {@link TraceResult} — the tables visited with the matching flow (or miss), the outputs with their frames,
 * packet-ins, drops with reasons, and the header fields before and after. Counters, MAC learning, meters, buffers
 * and ports are left untouched.
 */
import type { Instruction, Match, MessageOf, OxmValue } from '../../codec/openflow/types';
import type { PacketCtx } from './context';
import { type FlowKey, K } from './flow-key';
import type { FlowEntry } from './flow-table';
import { FIELDS, wordsToValue } from './match';
import type { SoftSwitch, TraceCollector } from './soft-switch';

/** One table visited. */
export interface TraceTableStep {
  kind: 'table';
  tableId: number;
  /** The matching flow, or null for a table miss (drop in OpenFlow 1.3). */
  flow: { priority: number; match: Match; cookie: bigint; instructions: Instruction[] } | null;
  /** Header fields when the packet entered the table. */
  fields: Record<string, OxmValue>;
}

/** A free-form event (group bucket, NORMAL decision, meter, action set, ...). */
export interface TraceNoteStep {
  kind: 'note';
  text: string;
}

/** Result of {@link trace}. */
export interface TraceResult {
  switchName: string;
  inPort: number;
  /** Header fields of the frame as received. */
  initial: Record<string, OxmValue>;
  steps: (TraceTableStep | TraceNoteStep)[];
  outputs: { port: number; frame: Buffer }[];
  packetIns: MessageOf<'packet_in'>[];
  drops: string[];
  /** Header fields at the end of the pipeline. */
  final: Record<string, OxmValue>;
}

const V4_FIELDS = ['ip_dscp', 'ip_ecn', 'ip_proto', 'ipv4_src', 'ipv4_dst'];
const V6_FIELDS = ['ip_dscp', 'ip_ecn', 'ip_proto', 'ipv6_src', 'ipv6_dst', 'ipv6_flabel'];

/** The match fields present in a flow key, as OXM values (the fields OVS prints in a trace's "Flow:" line). */
export function keyFields(key: FlowKey): Record<string, OxmValue> {
  const w = key.w;
  const out: Record<string, OxmValue> = {};
  const put = (name: string): void => {
    const f = FIELDS.get(name)!;
    out[name] = wordsToValue(f, w, f.slot);
  };
  put('in_port');
  if (w[K.METADATA] !== 0 || w[K.METADATA + 1] !== 0) put('metadata');
  if (w[K.TUNNEL_ID] !== 0 || w[K.TUNNEL_ID + 1] !== 0) put('tunnel_id');
  put('eth_src');
  put('eth_dst');
  put('eth_type');
  if (key.vlanOff >= 0) {
    put('vlan_vid');
    put('vlan_pcp');
  }
  const et = w[K.ETH_TYPE];
  if (et === 0x0800 && key.l3Off >= 0) {
    for (const n of V4_FIELDS) put(n);
    out.nw_ttl = w[K.NW_TTL]!;
  } else if (et === 0x86dd && key.l3Off >= 0) {
    for (const n of V6_FIELDS) put(n);
    out.nw_ttl = w[K.NW_TTL]!;
  } else if ((et === 0x0806 || et === 0x8035) && key.l3Off >= 0) {
    for (const n of ['arp_op', 'arp_spa', 'arp_tpa', 'arp_sha', 'arp_tha']) put(n);
  } else if ((et === 0x8847 || et === 0x8848) && key.l3Off >= 0) {
    for (const n of ['mpls_label', 'mpls_tc', 'mpls_bos']) put(n);
    out.mpls_ttl = w[K.MPLS_TTL]!;
  }
  if (key.l4Off >= 0) {
    const p = w[K.IP_PROTO];
    if (p === 6) {
      put('tcp_src');
      put('tcp_dst');
    } else if (p === 17) {
      put('udp_src');
      put('udp_dst');
    } else if (p === 132) {
      put('sctp_src');
      put('sctp_dst');
    } else if (p === 1) {
      put('icmpv4_type');
      put('icmpv4_code');
    } else if (p === 58) {
      put('icmpv6_type');
      put('icmpv6_code');
      const t = w[K.ICMP_TYPE];
      if (t === 135 || t === 136) put('ipv6_nd_target');
      if (t === 135) put('ipv6_nd_sll');
      if (t === 136) put('ipv6_nd_tll');
    }
  }
  return out;
}

class Collector implements TraceCollector {
  readonly steps: (TraceTableStep | TraceNoteStep)[] = [];
  readonly outputs: { port: number; frame: Buffer }[] = [];
  readonly packetIns: MessageOf<'packet_in'>[] = [];
  readonly drops: string[] = [];

  lookup(tableId: number, flow: FlowEntry | null, ctx: PacketCtx): void {
    this.steps.push({
      kind: 'table',
      tableId,
      flow: flow === null ? null : { priority: flow.priority, match: flow.cm.match, cookie: flow.cookie, instructions: flow.instructions },
      fields: keyFields(ctx.key),
    });
    if (flow === null) this.drops.push(`table ${tableId}: no match`);
  }

  note(text: string): void {
    this.steps.push({ kind: 'note', text });
  }

  output(port: number, frame: Buffer): void {
    this.outputs.push({ port, frame: Buffer.from(frame) });
    this.note(`output to port ${port}`);
  }

  packetIn(msg: MessageOf<'packet_in'>): void {
    this.packetIns.push(msg);
    this.note(`packet-in to controller (reason ${msg.reason}, table ${msg.tableId})`);
  }

  drop(reason: string): void {
    this.drops.push(reason);
    this.note(`drop: ${reason}`);
  }
}

/** Traces `frame` arriving on `inPort` of `sw` without changing the switch. */
export function trace(sw: SoftSwitch, inPort: number, frame: Buffer): TraceResult {
  const c = new Collector();
  const ctx = sw.runTraced(inPort, frame, c);
  const initial = c.steps.find((s): s is TraceTableStep => s.kind === 'table')?.fields;
  const drops = [...c.drops];
  if (c.outputs.length === 0 && c.packetIns.length === 0 && drops.length === 0) drops.push('no output action');
  return {
    switchName: sw.name,
    inPort,
    initial: initial ?? keyFields(ctx.key),
    steps: c.steps,
    outputs: c.outputs,
    packetIns: c.packetIns,
    drops,
    final: keyFields(ctx.key),
  };
}

function fmtValue(v: OxmValue): string {
  if (typeof v === 'bigint') return `0x${v.toString(16)}`;
  if (typeof v === 'number' && v > 9) return `${v}`;
  return String(v);
}

function fmtFields(f: Record<string, OxmValue>): string {
  return Object.entries(f)
    .map(([k, v]) => (k === 'eth_type' || k === 'vlan_vid' ? `${k}=0x${(v as number).toString(16)}` : `${k}=${fmtValue(v)}`))
    .join(',');
}

function fmtMatch(m: Match): string {
  if (m.length === 0) return '(any)';
  return m
    .map((t) => {
      if (t.field === 'raw') return 'raw';
      const v = t.field === 'eth_type' || t.field === 'vlan_vid' ? `0x${(t.value as number).toString(16)}` : fmtValue(t.value);
      const mask = t.mask === undefined ? '' : `/${t.field === 'vlan_vid' ? `0x${(t.mask as number).toString(16)}` : fmtValue(t.mask)}`;
      return `${t.field}=${v}${mask}`;
    })
    .join(',');
}

function fmtAction(a: import('../../codec/openflow/types').Action): string {
  switch (a.type) {
    case 'output':
      return `output:${portName(a.port)}`;
    case 'group':
      return `group:${a.groupId}`;
    case 'set_field':
      return a.field.field === 'raw' ? 'set_field:raw' : `set_field:${fmtValue(a.field.value)}->${a.field.field}`;
    case 'push_vlan':
    case 'push_mpls':
    case 'pop_mpls':
      return `${a.type}:0x${a.ethertype.toString(16)}`;
    case 'set_queue':
      return `set_queue:${a.queueId}`;
    case 'set_nw_ttl':
    case 'set_mpls_ttl':
      return `${a.type}:${a.ttl}`;
    default:
      return a.type;
  }
}

function portName(p: number): string {
  const names: Record<number, string> = {
    0xfffffff8: 'IN_PORT',
    0xfffffff9: 'TABLE',
    0xfffffffa: 'NORMAL',
    0xfffffffb: 'FLOOD',
    0xfffffffc: 'ALL',
    0xfffffffd: 'CONTROLLER',
    0xfffffffe: 'LOCAL',
    0xffffffff: 'ANY',
  };
  return names[p] ?? String(p);
}

function fmtInstruction(i: Instruction): string {
  switch (i.type) {
    case 'apply_actions':
      return i.actions.map(fmtAction).join(',') || 'drop';
    case 'write_actions':
      return `write_actions(${i.actions.map(fmtAction).join(',')})`;
    case 'clear_actions':
      return 'clear_actions';
    case 'write_metadata':
      return `write_metadata:0x${i.metadata.toString(16)}/0x${i.mask.toString(16)}`;
    case 'goto_table':
      return `goto_table:${i.tableId}`;
    case 'meter':
      return `meter:${i.meterId}`;
    default:
      return i.type;
  }
}

/** Human-readable rendering of a trace, in the spirit of ofproto/trace's output. */
export function formatTrace(r: TraceResult): string {
  const lines: string[] = [];
  lines.push(`Flow: ${fmtFields(r.initial)}`);
  lines.push('');
  lines.push(`bridge("${r.switchName}")`);
  lines.push('-------------');
  for (const s of r.steps) {
    if (s.kind === 'note') {
      lines.push(`    -> ${s.text}`);
      continue;
    }
    if (s.flow === null) {
      lines.push(` ${s.tableId}. No match.`);
      lines.push('    drop');
      continue;
    }
    lines.push(` ${s.tableId}. ${fmtMatch(s.flow.match)}, priority ${s.flow.priority}, cookie 0x${s.flow.cookie.toString(16)}`);
    for (const i of s.flow.instructions) lines.push(`    ${fmtInstruction(i)}`);
  }
  lines.push('');
  lines.push(`Final flow: ${fmtFields(r.final)}`);
  const outs = r.outputs.map((o) => portName(o.port));
  if (r.packetIns.length > 0) outs.push(...r.packetIns.map(() => 'CONTROLLER'));
  lines.push(`Datapath actions: ${outs.length > 0 ? outs.join(',') : 'drop'}`);
  if (r.drops.length > 0 && outs.length === 0) lines.push(`Drop reasons: ${r.drops.join('; ')}`);
  return lines.join('\n');
}
