/**
 * The verdict both data planes are reduced to, and a readable diff.
 *
 * A verdict is either `rejected` (some setup message drew an OFPT_ERROR: which message, type and code) or
 * `forwarded`: every copy of the packet that left the switch, as (port, headers as rewritten at that point). An empty
 * output list is a drop. Outputs are compared per port, in order within a port (the order of copies across different
 * ports is not observable and OVS emits FLOOD in hash order).
 */
import { normalizeIpv6 } from '../../src/core/addr';
import { decodeMessage, encodeMessage } from '../../src/codec/openflow/message';
import type { OfpMessage } from '../../src/codec/openflow/types';
import { parsePacket, verifyChecksums } from '../../src/codec/packet';
import type { ConformanceCase } from './cases/dsl';

/** The header fields a switch can rewrite, plus length and checksum validity. */
export interface HeaderView {
  len: number;
  eth: { dst: string; src: string; type: number };
  /** Outermost first. */
  vlans: { tpid: number; vid: number; pcp: number; dei: boolean }[];
  arp?: { op: number; sha: string; spa: string; tha: string; tpa: string };
  ipv4?: { src: string; dst: string; dscp: number; ecn: number; ttl: number; proto: number };
  ipv6?: { src: string; dst: string; tclass: number; flabel: number; hlim: number; proto: number };
  tcp?: { src: number; dst: number };
  udp?: { src: number; dst: number };
  icmp?: { type: number; code: number };
  icmpv6?: { type: number; code: number; target?: string; sll?: string; tll?: string };
  /** IPv4 header and L4 checksums all correct (OVS always emits correct ones; the model assumes so). */
  checksumsOk: boolean;
}

export type OutPort = number | 'CONTROLLER' | 'LOCAL';

export interface VerdictOutput {
  port: OutPort;
  /** packet-in reason for CONTROLLER outputs. */
  reason?: number;
  headers: HeaderView;
}

export interface RejectedMessage {
  /** Index in the case's messages. */
  index: number;
  type: string;
  errType: number;
  code: number;
}

export type Verdict =
  | { kind: 'rejected'; errors: RejectedMessage[] }
  | { kind: 'forwarded'; outputs: VerdictOutput[] }
  /** The OVS oracle could not produce a verdict (a fault of the suite, not a conformance result). */
  | { kind: 'oracle-error'; message: string }
  /** The emulator threw while handling the case (always a disagreement). */
  | { kind: 'emulator-crash'; message: string };

/**
 * The verdict as observable: outputs to `unobservable` ports (links that are down: nothing can leave through them,
 * whether or not the switch tries) removed.
 */
export function observable(v: Verdict, unobservable: readonly number[]): Verdict {
  if (v.kind !== 'forwarded') return v;
  return { kind: 'forwarded', outputs: v.outputs.filter((o) => typeof o.port !== 'number' || !unobservable.includes(o.port)) };
}

/** The header view of a frame. */
export function headerView(frame: Buffer): HeaderView {
  const p = parsePacket(Buffer.from(frame));
  const v: HeaderView = {
    len: frame.length,
    eth: { dst: p.eth.dst, src: p.eth.src, type: p.eth.etherType },
    vlans: p.vlans.map((t) => ({ tpid: t.tpid, vid: t.vid, pcp: t.pcp, dei: t.dei })),
    checksumsOk: verifyChecksums(p).valid,
  };
  if (p.arp) v.arp = { op: p.arp.op, sha: p.arp.senderMac, spa: p.arp.senderIp, tha: p.arp.targetMac, tpa: p.arp.targetIp };
  if (p.ipv4) v.ipv4 = { src: p.ipv4.src, dst: p.ipv4.dst, dscp: p.ipv4.dscp, ecn: p.ipv4.ecn, ttl: p.ipv4.ttl, proto: p.ipv4.protocol };
  if (p.ipv6) {
    v.ipv6 = { src: normalizeIpv6(p.ipv6.src), dst: normalizeIpv6(p.ipv6.dst), tclass: p.ipv6.trafficClass, flabel: p.ipv6.flowLabel, hlim: p.ipv6.hopLimit, proto: p.ipv6.protocol };
  }
  if (p.tcp) v.tcp = { src: p.tcp.srcPort, dst: p.tcp.dstPort };
  if (p.udp) v.udp = { src: p.udp.srcPort, dst: p.udp.dstPort };
  if (p.icmp) v.icmp = { type: p.icmp.type, code: p.icmp.code };
  if (p.icmpv6) {
    const i = p.icmpv6;
    const x: NonNullable<HeaderView['icmpv6']> = { type: i.type, code: i.code };
    if (i.kind === 'ns' || i.kind === 'na') x.target = normalizeIpv6(i.target);
    if (i.kind === 'ns' && i.sourceLinkAddr !== undefined) x.sll = i.sourceLinkAddr;
    if (i.kind === 'na' && i.targetLinkAddr !== undefined) x.tll = i.targetLinkAddr;
    v.icmpv6 = x;
  }
  return v;
}

function portKey(p: OutPort): string {
  return typeof p === 'number' ? String(p).padStart(10, '0') : p;
}

/** Outputs grouped by port (ports sorted), keeping the order of copies within a port. */
export function canonicalOutputs(outputs: readonly VerdictOutput[]): VerdictOutput[] {
  return outputs
    .map((o, i) => ({ o, i }))
    .sort((a, b) => (portKey(a.o.port) < portKey(b.o.port) ? -1 : portKey(a.o.port) > portKey(b.o.port) ? 1 : a.i - b.i))
    .map((x) => x.o);
}

/** A canonical JSON form: equal strings = agreeing verdicts. */
export function canonicalVerdict(v: Verdict): string {
  if (v.kind === 'forwarded') return JSON.stringify({ kind: v.kind, outputs: canonicalOutputs(v.outputs).map(sortKeys) });
  if (v.kind === 'rejected') return JSON.stringify({ kind: v.kind, errors: v.errors.map((e) => ({ index: e.index, errType: e.errType, code: e.code })) });
  return JSON.stringify(v);
}

function sortKeys(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(sortKeys);
  if (x && typeof x === 'object') {
    const o: Record<string, unknown> = {};
    for (const k of Object.keys(x).sort()) {
      const val = (x as Record<string, unknown>)[k];
      if (val !== undefined) o[k] = sortKeys(val);
    }
    return o;
  }
  return x;
}

export function verdictsAgree(a: Verdict, b: Verdict): boolean {
  if (a.kind === 'oracle-error' || b.kind === 'oracle-error' || a.kind === 'emulator-crash' || b.kind === 'emulator-crash') return false;
  return canonicalVerdict(a) === canonicalVerdict(b);
}

// ---------------------------------------------------------------------------------------------------------------
// Readable rendering

/** One-line header summary. */
export function describeHeaders(h: HeaderView): string {
  const parts: string[] = [`${h.eth.src}>${h.eth.dst}`];
  for (const t of h.vlans) parts.push(`vlan(${t.tpid === 0x8100 ? '' : `tpid=0x${t.tpid.toString(16)},`}vid=${t.vid},pcp=${t.pcp}${t.dei ? ',dei' : ''})`);
  if (h.arp) parts.push(`arp(op=${h.arp.op},${h.arp.sha}/${h.arp.spa}->${h.arp.tha}/${h.arp.tpa})`);
  else if (h.ipv4) parts.push(`ipv4(${h.ipv4.src}->${h.ipv4.dst},proto=${h.ipv4.proto},ttl=${h.ipv4.ttl},dscp=${h.ipv4.dscp},ecn=${h.ipv4.ecn})`);
  else if (h.ipv6) parts.push(`ipv6(${h.ipv6.src}->${h.ipv6.dst},nh=${h.ipv6.proto},hlim=${h.ipv6.hlim},tc=${h.ipv6.tclass},fl=0x${h.ipv6.flabel.toString(16)})`);
  else parts.push(`type=0x${h.eth.type.toString(16).padStart(4, '0')}`);
  if (h.tcp) parts.push(`tcp(${h.tcp.src}->${h.tcp.dst})`);
  if (h.udp) parts.push(`udp(${h.udp.src}->${h.udp.dst})`);
  if (h.icmp) parts.push(`icmp(type=${h.icmp.type},code=${h.icmp.code})`);
  if (h.icmpv6) {
    const i = h.icmpv6;
    parts.push(`icmpv6(type=${i.type},code=${i.code}${i.target ? `,target=${i.target}` : ''}${i.sll ? `,sll=${i.sll}` : ''}${i.tll ? `,tll=${i.tll}` : ''})`);
  }
  parts.push(`len=${h.len}`);
  if (!h.checksumsOk) parts.push('BAD-CHECKSUM');
  return parts.join(' ');
}

export function describeVerdict(v: Verdict): string {
  if (v.kind === 'oracle-error') return `ORACLE ERROR: ${v.message}`;
  if (v.kind === 'emulator-crash') return `EMULATOR THREW: ${v.message}`;
  if (v.kind === 'rejected') return `rejected: ${v.errors.map((e) => `message #${e.index} (${e.type}) -> error type ${e.errType} code ${e.code}`).join('; ')}`;
  if (v.outputs.length === 0) return 'drop';
  return canonicalOutputs(v.outputs)
    .map((o) => `  -> ${o.port}${o.reason !== undefined ? ` (reason ${o.reason})` : ''}: ${describeHeaders(o.headers)}`)
    .join('\n');
}

/** Short text of a setup message (flow_mod/group_mod), for diffs. */
export function describeMessage(msg: OfpMessage): string {
  const j = JSON.stringify(msg, (_k, val: unknown) => (typeof val === 'bigint' ? `0x${val.toString(16)}` : Buffer.isBuffer(val) ? val.toString('hex') : val));
  return j.length > 400 ? `${j.slice(0, 400)}...` : j;
}

/** The full explanation of a disagreement. */
export function explainMismatch(c: ConformanceCase, ovs: Verdict, emu: Verdict): string {
  const lines = [
    `case ${c.name}${c.note ? ` (${c.note})` : ''}`,
    'flows:',
    ...c.messages.map((msg, i) => `  #${i} ${describeMessage(msg)}`),
    `packet in_port=${c.inPort}: ${describeHeaders(headerView(c.packet))}`,
    `  ${c.packet.toString('hex')}`,
    'OVS verdict:',
    indent(describeVerdict(ovs)),
    'emulator verdict:',
    indent(describeVerdict(emu)),
  ];
  return lines.join('\n');
}

function indent(s: string): string {
  return s
    .split('\n')
    .map((l) => (l.startsWith('  ') ? l : `  ${l}`))
    .join('\n');
}

/** Every case message must survive the codec (what both data planes receive is the same bytes). */
export function roundTrips(msg: OfpMessage): boolean {
  const a = encodeMessage(msg, 1);
  return encodeMessage(decodeMessage(a), 1).equals(a);
}
