/**
 * Normalisation of matches and instructions, so that a flow read back from a switch's flow stats compares equal to
 * the flow we asked for. Open vSwitch (3.1) reports a match with its fields in its own order, without fully
 * wildcarded fields and without all-ones masks, and with the value ANDed with the mask; it reports instructions in
 * execution order (meter, apply_actions, clear_actions, write_actions, write_metadata, goto_table), and drops an
 * empty apply_actions. Both sides of a comparison go through the same functions, so only the canonical form matters.
 */
import { ipv4FromNumber, ipv6FromBytes, macFromBytes } from '../core/addr';
import { parseIpv4, parseIpv6, parseMac } from '../codec/openflow/addr';
import { oxmFieldInfo, type OxmFieldInfo } from '../codec/openflow/oxm';
import type { Action, Instruction, Match, OxmBasic, OxmFieldName, OxmTlv, OxmValue } from '../codec/openflow/types';

/** OVS's OXM output order (nx_put_raw). */
const OVS_ORDER: readonly OxmFieldName[] = [
  'in_port', 'in_phy_port', 'eth_src', 'eth_dst', 'eth_type', 'vlan_vid', 'vlan_pcp', 'mpls_tc', 'mpls_bos',
  'mpls_label', 'ipv4_src', 'ipv4_dst', 'ipv6_src', 'ipv6_dst', 'ip_dscp', 'ip_ecn', 'ipv6_flabel', 'ip_proto',
  'tcp_src', 'tcp_dst', 'udp_src', 'udp_dst', 'sctp_src', 'sctp_dst', 'icmpv4_type', 'icmpv4_code', 'icmpv6_type',
  'icmpv6_code', 'ipv6_nd_target', 'ipv6_nd_sll', 'ipv6_nd_tll', 'arp_op', 'arp_spa', 'arp_tpa', 'arp_sha', 'arp_tha',
  'pbb_isid', 'ipv6_exthdr', 'tunnel_id', 'metadata',
];
const RANK = new Map<string, number>(OVS_ORDER.map((n, i) => [n, i]));

/** Instruction order in which OVS reports them (also the OpenFlow execution order). */
const INSTRUCTION_RANK: Readonly<Record<Instruction['type'], number>> = {
  meter: 0,
  apply_actions: 1,
  clear_actions: 2,
  write_actions: 3,
  write_metadata: 4,
  goto_table: 5,
  experimenter: 6,
};

const buf16 = Buffer.alloc(16);

function bitsOf(f: OxmFieldInfo): number {
  switch (f.kind) {
    case 'uint':
      return f.bits;
    case 'u64':
      return 64;
    case 'mac':
      return 48;
    case 'ipv4':
      return 32;
    case 'ipv6':
      return 128;
  }
}

/** The value as an unsigned integer, or undefined when it is not of the field's type. */
function toBig(f: OxmFieldInfo, v: OxmValue): bigint | undefined {
  switch (f.kind) {
    case 'uint':
      return typeof v === 'number' && Number.isInteger(v) && v >= 0 ? BigInt(v) : typeof v === 'bigint' ? v : undefined;
    case 'u64':
      return typeof v === 'bigint' ? v : typeof v === 'number' && Number.isInteger(v) && v >= 0 ? BigInt(v) : undefined;
    case 'mac':
      return typeof v === 'string' && parseMac(v, buf16, 0) ? BigInt(`0x${buf16.subarray(0, 6).toString('hex')}`) : undefined;
    case 'ipv4': {
      if (typeof v !== 'string') return undefined;
      const n = parseIpv4(v);
      return n < 0 ? undefined : BigInt(n >>> 0);
    }
    case 'ipv6':
      return typeof v === 'string' && parseIpv6(v, buf16, 0) ? BigInt(`0x${buf16.toString('hex')}`) : undefined;
  }
}

function fromBig(f: OxmFieldInfo, n: bigint): OxmValue {
  switch (f.kind) {
    case 'uint':
      return Number(n);
    case 'u64':
      return n;
    case 'mac':
      return macFromBytes(Buffer.from(n.toString(16).padStart(12, '0'), 'hex'), 0);
    case 'ipv4':
      return ipv4FromNumber(Number(n));
    case 'ipv6':
      return ipv6FromBytes(Buffer.from(n.toString(16).padStart(32, '0'), 'hex'), 0);
  }
}

/**
 * One OXM TLV in canonical form: value ANDed with the mask, an all-ones mask dropped; undefined when the mask is
 * zero (a fully wildcarded field). Raw (non-basic) TLVs are returned unchanged.
 */
export function normaliseOxm(tlv: OxmTlv): OxmTlv | undefined {
  if (tlv.field === 'raw') return tlv;
  const f = oxmFieldInfo(tlv.field);
  if (f === undefined) return tlv;
  const v = toBig(f, tlv.value);
  const full = (1n << BigInt(bitsOf(f))) - 1n;
  const m = tlv.mask === undefined ? full : toBig(f, tlv.mask);
  if (v === undefined || m === undefined) return tlv; // not ours to fix: the switch will refuse it
  const mask = m & full;
  if (mask === 0n) return undefined;
  const out: OxmBasic = { field: tlv.field, value: fromBig(f, v & mask) };
  if (mask !== full) out.mask = fromBig(f, mask);
  return out;
}

/** A match in the form OVS reports it: canonical TLVs in OVS's field order, wildcarded fields dropped. */
export function normaliseMatch(match: Match): Match {
  const out: OxmTlv[] = [];
  for (const tlv of match) {
    const n = normaliseOxm(tlv);
    if (n !== undefined) out.push(n);
  }
  const rank = (t: OxmTlv): number => (t.field === 'raw' ? 1000 + t.oxmField : (RANK.get(t.field) ?? 999));
  return out.sort((a, b) => rank(a) - rank(b));
}

function normaliseAction(a: Action): Action {
  if (a.type !== 'set_field') return a;
  // A set_field never carries a mask in OpenFlow 1.3; keep the value canonical.
  const n = normaliseOxm({ ...a.field, ...(a.field.field !== 'raw' ? { mask: undefined } : {}) } as OxmTlv);
  return { type: 'set_field', field: n ?? a.field };
}

/** Instructions in the form OVS reports them: execution order, canonical actions, no empty apply_actions. */
export function normaliseInstructions(instructions: readonly Instruction[]): Instruction[] {
  const out: Instruction[] = [];
  for (const ins of instructions) {
    switch (ins.type) {
      case 'apply_actions':
        if (ins.actions.length > 0) out.push({ type: 'apply_actions', actions: ins.actions.map(normaliseAction) });
        break;
      case 'write_actions':
        out.push({ type: 'write_actions', actions: ins.actions.map(normaliseAction) });
        break;
      case 'write_metadata':
        out.push({ type: 'write_metadata', metadata: ins.metadata & ins.mask, mask: ins.mask });
        break;
      default:
        out.push(ins);
    }
  }
  return out.sort((a, b) => INSTRUCTION_RANK[a.type] - INSTRUCTION_RANK[b.type]);
}

/** Stable text of any codec value (bigints, Buffers, nested objects with sorted keys). */
export function canonicalText(v: unknown): string {
  if (typeof v === 'bigint') return `${v}n`;
  if (Buffer.isBuffer(v)) return `0x${v.toString('hex')}`;
  if (Array.isArray(v)) return `[${v.map(canonicalText).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${k}:${canonicalText(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/** Text of a normalised match, e.g. `eth_type=2048,ipv4_dst=10.0.0.0/255.0.0.0` (`*` for the empty match). */
export function matchKey(match: Match): string {
  let key = matchKeys.get(match);
  if (key === undefined) {
    key = matchKeyOf(match);
    matchKeys.set(match, key);
  }
  return key;
}

/*
 * The keys are cached by the array they were computed from: a desired flow's key is asked for by the desired state,
 * the diff and the snapshot of what was applied, and the same arrays come back reconcile after reconcile. Flows are
 * built once and never changed in place (FlowBuilder, the codec), which is what makes the cache safe.
 */
const matchKeys = new WeakMap<Match, string>();
const instructionKeys = new WeakMap<readonly Instruction[], string>();

function matchKeyOf(match: Match): string {
  const n = normaliseMatch(match);
  if (n.length === 0) return '*';
  return n
    .map((t) =>
      t.field === 'raw'
        ? `raw(${t.oxmClass}:${t.oxmField}${t.hasMask ? '/m' : ''})=${t.payload.toString('hex')}`
        : `${t.field}=${String(t.value)}${t.mask !== undefined ? `/${String(t.mask)}` : ''}`,
    )
    .join(',');
}

/** Identity of a flow in a switch: table, priority and normalised match. */
export function flowKey(flow: { tableId: number; priority: number; match: Match }): string {
  return `${flow.tableId}/${flow.priority}/${matchKey(flow.match)}`;
}

/** Text of normalised instructions; equal texts mean the switch treats the flows the same. */
export function instructionsKey(instructions: readonly Instruction[]): string {
  let key = instructionKeys.get(instructions);
  if (key === undefined) {
    key = canonicalText(normaliseInstructions(instructions));
    instructionKeys.set(instructions, key);
  }
  return key;
}
