/**
 * The table plan as data (Faucet's `faucet_pipeline.py`, OVN's numbered table header): every table xsite installs
 * flows into has a name, a number, the match fields it allows, and named priority bands. Flow builders
 * (flow-builder.ts) check each flow against this plan when it is built, so a flow that matches on a field its
 * table does not expect, uses a priority band the table does not declare, or jumps backwards is refused before it
 * reaches a switch.
 */
import { XsiteError } from '../core/errors';
import type { OxmFieldName } from '../codec/openflow/types';

/** A priority band: priorities `base` .. `base + size - 1`; a flow picks an offset inside it (e.g. a prefix length). */
export interface PriorityBand {
  readonly base: number;
  readonly size: number;
}

/** One table of the plan. */
export interface TableSpec {
  /** Stable name used by managers (`classify`, `l2`, ...). */
  readonly name: string;
  /** OpenFlow table number. */
  readonly id: number;
  /** What the table is for (documentation, audits). */
  readonly description: string;
  /** Match fields a flow of this table may use. */
  readonly matches: readonly OxmFieldName[];
  /** Priority bands by name. */
  readonly bands: Readonly<Record<string, PriorityBand>>;
}

/** Standard bands shared by most tables: miss (0), default, specific, override. */
export const STANDARD_BANDS: Readonly<Record<string, PriorityBand>> = Object.freeze({
  miss: { base: 0, size: 1 },
  default: { base: 100, size: 100 },
  specific: { base: 1000, size: 1000 },
  override: { base: 10000, size: 1000 },
});

/** Metadata layout: the virtual network (VN) id lives in the low 24 bits. */
export const METADATA_VN_MASK = 0xffffffn;

/** An immutable, validated table plan. */
export class TablePlan {
  private readonly byName = new Map<string, TableSpec>();
  private readonly byId = new Map<number, TableSpec>();

  constructor(tables: readonly TableSpec[]) {
    for (const t of tables) {
      if (!Number.isInteger(t.id) || t.id < 0 || t.id > 253) {
        throw new XsiteError('PIPELINE_BAD_PLAN', `table ${t.name}: number ${t.id} outside 0..253`, { table: t.name });
      }
      if (this.byName.has(t.name) || this.byId.has(t.id)) {
        throw new XsiteError('PIPELINE_BAD_PLAN', `table ${t.name} (${t.id}) declared twice`, { table: t.name });
      }
      for (const [band, b] of Object.entries(t.bands)) {
        if (!Number.isInteger(b.base) || !Number.isInteger(b.size) || b.size < 1 || b.base < 0 || b.base + b.size > 0x10000) {
          throw new XsiteError('PIPELINE_BAD_PLAN', `table ${t.name}: band ${band} outside 0..65535`, { table: t.name, band });
        }
      }
      const bands = Object.values(t.bands).sort((a, b) => a.base - b.base);
      for (let i = 1; i < bands.length; i++) {
        if (bands[i - 1]!.base + bands[i - 1]!.size > bands[i]!.base) {
          throw new XsiteError('PIPELINE_BAD_PLAN', `table ${t.name}: priority bands overlap`, { table: t.name });
        }
      }
      const frozen = Object.freeze({ ...t, matches: Object.freeze([...t.matches]), bands: Object.freeze({ ...t.bands }) });
      this.byName.set(t.name, frozen);
      this.byId.set(t.id, frozen);
    }
  }

  /** Every table, by ascending number. */
  tables(): TableSpec[] {
    return [...this.byId.values()].sort((a, b) => a.id - b.id);
  }

  /** The table named `name`; throws PIPELINE_VIOLATION for an unknown name. */
  table(name: string): TableSpec {
    const t = this.byName.get(name);
    if (t === undefined) throw new XsiteError('PIPELINE_VIOLATION', `unknown table ${name}`, { table: name });
    return t;
  }

  /** The table with number `id`, or undefined. */
  tableById(id: number): TableSpec | undefined {
    return this.byId.get(id);
  }

  /** Priority of `band` + `offset` in table `name`; throws PIPELINE_VIOLATION for an unknown band or offset. */
  priority(name: string, band: string, offset = 0): number {
    const t = this.table(name);
    const b = Object.prototype.hasOwnProperty.call(t.bands, band) ? t.bands[band] : undefined;
    if (b === undefined) {
      throw new XsiteError('PIPELINE_VIOLATION', `table ${name} has no priority band ${band}`, { table: name, band });
    }
    if (!Number.isInteger(offset) || offset < 0 || offset >= b.size) {
      throw new XsiteError('PIPELINE_VIOLATION', `table ${name} band ${band}: offset ${offset} outside 0..${b.size - 1}`, {
        table: name,
        band,
        offset,
      });
    }
    return b.base + offset;
  }
}

/**
 * xsite's pipeline. Numbers leave no gaps; a flow may only jump forward.
 *
 *  0 classify      ingress port (and VLAN / tunnel) -> VN id in metadata
 *  1 arp           ARP answered / punted to the local controller, per VN
 *  2 l2            forwarding within a VN by destination MAC
 *  3 l3            routing between subnets and to other sites (cross-site)
 *  4 gateway-nat   gateway NAT rewrites of cross-site flows
 *  5 egress        output, VLAN / tunnel encapsulation
 */
export const XSITE_PLAN: TablePlan = new TablePlan([
  {
    name: 'classify',
    id: 0,
    description: 'ingress port (and VLAN / tunnel) -> VN id in metadata',
    matches: ['in_port', 'eth_src', 'eth_type', 'vlan_vid', 'tunnel_id'],
    bands: STANDARD_BANDS,
  },
  {
    name: 'arp',
    id: 1,
    description: 'ARP answered or sent to the local controller, per VN',
    matches: ['metadata', 'in_port', 'eth_type', 'eth_src', 'eth_dst', 'arp_op', 'arp_spa', 'arp_tpa', 'arp_sha', 'arp_tha'],
    bands: STANDARD_BANDS,
  },
  {
    name: 'l2',
    id: 2,
    description: 'forwarding within a VN by destination MAC',
    matches: ['metadata', 'in_port', 'eth_dst', 'eth_src', 'eth_type', 'vlan_vid'],
    bands: STANDARD_BANDS,
  },
  {
    name: 'l3',
    id: 3,
    description: 'routing between subnets and towards other sites (cross-site)',
    matches: ['metadata', 'eth_type', 'eth_dst', 'ipv4_src', 'ipv4_dst', 'ipv6_src', 'ipv6_dst', 'ip_proto', 'ip_dscp'],
    bands: STANDARD_BANDS,
  },
  {
    name: 'gateway-nat',
    id: 4,
    description: 'gateway NAT rewrites of cross-site flows (seed 000 sections 4.2-4.3)',
    matches: [
      'metadata', 'in_port', 'eth_type', 'eth_src', 'eth_dst', 'vlan_vid', 'ipv4_src', 'ipv4_dst', 'ip_proto',
      'tcp_src', 'tcp_dst', 'udp_src', 'udp_dst',
    ],
    bands: STANDARD_BANDS,
  },
  {
    name: 'egress',
    id: 5,
    description: 'output, VLAN / tunnel encapsulation',
    matches: ['metadata', 'eth_dst', 'vlan_vid', 'in_port'],
    bands: STANDARD_BANDS,
  },
]);
