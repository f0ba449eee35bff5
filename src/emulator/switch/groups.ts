/**
 * The group table: group_mod with Open vSwitch's checks and error codes, and group execution — all (every bucket on
 * a clone), select (a deterministic hash of the flow key over the live buckets, weights respected: weighted
 * rendezvous hashing), indirect (the one bucket), fast-failover (the first live bucket). Buckets' actions are not
 * checked against a match (as OVS), and may chain to groups that do not exist yet.
 */
import { OFPGC, OFPGMFC, OFPGT, OFPG } from '../../codec/openflow/constants';
import { OFPET } from '../../codec/openflow/errors';
import type { Bucket, GroupDesc, GroupStats, MessageOf } from '../../codec/openflow/types';
import { type ActionHost, type CompiledAction, compileActions, execActions } from './actions';
import type { PacketCtx } from './context';
import { refuse } from './errors';
import { K } from './flow-key';

/** A group with its compiled buckets and counters. */
export class Group {
  packetCount = 0;
  byteCount = 0;
  readonly bucketPackets: number[];
  readonly bucketBytes: number[];

  constructor(
    readonly groupId: number,
    readonly groupType: number,
    readonly buckets: Bucket[],
    readonly compiled: CompiledAction[][],
    readonly created: number,
  ) {
    this.bucketPackets = buckets.map(() => 0);
    this.bucketBytes = buckets.map(() => 0);
  }
}

/** Port and group liveness, for fast-failover and select. */
export interface Liveness {
  portLive(portNo: number): boolean;
}

function badGroup(code: number, msg: string): never {
  refuse(OFPET.GROUP_MOD_FAILED, code, msg);
}

/** Result of a group_mod: groups deleted (their flows must go too). */
export interface GroupModResult {
  deleted: number[];
}

/** All groups of a switch. */
export class GroupTable {
  groups = new Map<number, Group>();

  get(id: number): Group | undefined {
    return this.groups.get(id);
  }

  has(id: number): boolean {
    return this.groups.has(id);
  }

  /** Validates a group_mod without applying it (bundles); returns the group it would install. */
  private build(m: MessageOf<'group_mod'>, now: number): Group {
    if (m.groupType > OFPGT.FF) badGroup(OFPGMFC.BAD_TYPE, `group type ${m.groupType}`);
    if (m.groupId > OFPG.MAX) badGroup(OFPGMFC.INVALID_GROUP, `group id ${m.groupId}`);
    if (m.groupType === OFPGT.INDIRECT && m.buckets.length !== 1) badGroup(OFPGMFC.INVALID_GROUP, 'indirect group needs one bucket');
    const compiled: CompiledAction[][] = [];
    for (const b of m.buckets) {
      if (m.groupType !== OFPGT.SELECT && b.weight !== 0) badGroup(OFPGMFC.INVALID_GROUP, 'weight only for select groups');
      const watches = b.watchPort !== 0xffffffff || b.watchGroup !== 0xffffffff;
      if (m.groupType === OFPGT.FF) {
        if (!watches) badGroup(OFPGMFC.INVALID_GROUP, 'fast-failover bucket without watch');
      } else if (watches && m.groupType !== OFPGT.SELECT) badGroup(OFPGMFC.WATCH_UNSUPPORTED, 'watch only for fast-failover');
      compiled.push(
        compileActions(b.actions, { ethType: -1, ipProto: -1, icmpType: -1, vlanPresent: false }, {
          groupExists: () => true,
          packetOut: false,
          checkPrereqs: false,
        }),
      );
    }
    return new Group(m.groupId, m.groupType, m.buckets, compiled, now);
  }

  /** Applies a group_mod. Throws OfpRequestError with OVS's OFPET_GROUP_MOD_FAILED codes. */
  mod(m: MessageOf<'group_mod'>, now: number): GroupModResult {
    switch (m.command) {
      case OFPGC.ADD: {
        const g = this.build(m, now);
        if (this.groups.has(m.groupId)) badGroup(OFPGMFC.GROUP_EXISTS, `group ${m.groupId} exists`);
        this.groups.set(m.groupId, g);
        return { deleted: [] };
      }
      case OFPGC.MODIFY: {
        const g = this.build(m, now);
        const old = this.groups.get(m.groupId);
        if (old === undefined) badGroup(OFPGMFC.UNKNOWN_GROUP, `group ${m.groupId} unknown`);
        const kept = new Group(g.groupId, g.groupType, g.buckets, g.compiled, old.created);
        kept.packetCount = old.packetCount;
        kept.byteCount = old.byteCount;
        this.groups.set(m.groupId, kept);
        return { deleted: [] };
      }
      case OFPGC.DELETE: {
        if (m.groupId === OFPG.ALL) {
          const ids = [...this.groups.keys()];
          this.groups.clear();
          return { deleted: ids };
        }
        if (!this.groups.delete(m.groupId)) return { deleted: [] };
        return { deleted: [m.groupId] };
      }
      default:
        return badGroup(OFPGMFC.UNKNOWN_GROUP, `bad group command ${m.command}`);
    }
  }

  /** Whether bucket `b` of a group may be used. */
  bucketLive(b: Bucket, live: Liveness, depth = 0): boolean {
    if (b.watchPort !== 0xffffffff && !live.portLive(b.watchPort)) return false;
    if (b.watchGroup !== 0xffffffff && !this.groupLive(b.watchGroup, live, depth + 1)) return false;
    return true;
  }

  /** A group is live when it has a live bucket. */
  groupLive(id: number, live: Liveness, depth = 0): boolean {
    const g = this.groups.get(id);
    if (g === undefined || depth > 16) return false;
    for (const b of g.buckets) if (this.bucketLive(b, live, depth)) return true;
    return false;
  }

  /** The bucket a select group uses for `ctx` (-1 when none is live). */
  selectBucket(g: Group, ctx: PacketCtx, live: Liveness): number {
    const h = flowHash(ctx);
    let best = -1;
    let bestScore = -1;
    for (let i = 0; i < g.buckets.length; i++) {
      const b = g.buckets[i]!;
      if (b.weight === 0 || !this.bucketLive(b, live)) continue;
      // Weighted rendezvous hashing: score = -w / ln(u), u uniform from hash(flow, bucket).
      let x = Math.imul(h ^ Math.imul(i + 1, 0x9e3779b1), 0x85ebca6b);
      x ^= x >>> 13;
      x = Math.imul(x, 0xc2b2ae35);
      x ^= x >>> 16;
      const u = ((x >>> 0) + 1) / 4294967297;
      const score = -b.weight / Math.log(u);
      if (score > bestScore) {
        bestScore = score;
        best = i;
      }
    }
    return best;
  }

  /**
   * Executes group `id` on `ctx` (buckets on clones). `count` = update counters (false while tracing). Returns
   * the buckets used (for traces).
   */
  execute(id: number, ctx: PacketCtx, host: ActionHost, live: Liveness, count: boolean): number[] {
    const g = this.groups.get(id);
    if (g === undefined) return [];
    const len = ctx.frame.length;
    const used: number[] = [];
    switch (g.groupType) {
      case OFPGT.ALL:
        for (let i = 0; i < g.buckets.length; i++) used.push(i);
        break;
      case OFPGT.INDIRECT:
        if (g.buckets.length > 0) used.push(0);
        break;
      case OFPGT.FF:
        for (let i = 0; i < g.buckets.length; i++) {
          if (this.bucketLive(g.buckets[i]!, live)) {
            used.push(i);
            break;
          }
        }
        break;
      case OFPGT.SELECT: {
        const i = this.selectBucket(g, ctx, live);
        if (i >= 0) used.push(i);
        break;
      }
    }
    if (count) {
      g.packetCount++;
      g.byteCount += len;
    }
    for (const i of used) {
      if (count) {
        g.bucketPackets[i]!++;
        g.bucketBytes[i]! += len;
      }
      ctx.trace?.note(`group:${id} bucket ${i}`);
      execActions(g.compiled[i]!, ctx.clone(), host);
    }
    return used;
  }

  /** group_desc reply body. */
  desc(): GroupDesc[] {
    return [...this.groups.values()].map((g) => ({ groupType: g.groupType, groupId: g.groupId, buckets: g.buckets }));
  }

  /** group stats for `id` (OFPG_ALL = all); `refCount` counts flows using each group. */
  stats(id: number, now: number, refCount: (id: number) => number): GroupStats[] {
    const gs = id === OFPG.ALL ? [...this.groups.values()] : this.groups.has(id) ? [this.groups.get(id)!] : [];
    return gs.map((g) => {
      const d = Math.max(0, now - g.created);
      return {
        groupId: g.groupId,
        refCount: refCount(g.groupId),
        packetCount: BigInt(g.packetCount),
        byteCount: BigInt(g.byteCount),
        durationSec: Math.floor(d / 1000),
        durationNsec: Math.floor((d % 1000) * 1e6),
        buckets: g.buckets.map((_, i) => ({ packetCount: BigInt(g.bucketPackets[i]!), byteCount: BigInt(g.bucketBytes[i]!) })),
      };
    });
  }

  /** A copy of the table for bundle rollback (groups are replaced, never mutated, by group_mod). */
  snapshot(): Map<number, Group> {
    return new Map(this.groups);
  }

  restore(s: Map<number, Group>): void {
    this.groups = s;
  }
}

/** Symmetric-ish hash of the L2-L4 fields (the select group's bucket choice). */
export function flowHash(ctx: PacketCtx): number {
  const w = ctx.key.w;
  let h = 0x811c9dc5 | 0;
  const mix = (v: number): void => {
    h = Math.imul(h ^ v, 0x01000193);
  };
  mix(w[K.ETH_SRC]! ^ w[K.ETH_DST]!);
  mix(w[K.ETH_SRC + 1]! ^ w[K.ETH_DST + 1]!);
  mix(w[K.ETH_TYPE]!);
  mix(w[K.VLAN_VID]!);
  mix(w[K.IPV4_SRC]! ^ w[K.IPV4_DST]!);
  for (let i = 0; i < 4; i++) mix(w[K.IPV6_SRC + i]! ^ w[K.IPV6_DST + i]!);
  mix(w[K.IP_PROTO]!);
  mix(w[K.TP_SRC]! ^ w[K.TP_DST]!);
  return h;
}
