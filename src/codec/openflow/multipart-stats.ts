/**
 * The per-entry structures of multipart replies: flow, table, port, group, group desc, meter and meter config
 * statistics. Each list fills the rest of the reply; length-prefixed entries are validated against it
 * (OFPBRC_BAD_LEN on any inconsistency).
 */
import { OFPBIC, OFPBRC } from './constants';
import { OFPET } from './errors';
import { badValue, checkU64, checkUint, decodeFail } from './fail';
import { decodeBuckets, encodeBuckets } from './group-mod';
import { decodeInstructions, encodeInstructions } from './instructions';
import { decodeBands, encodeBands } from './meter-mod';
import { decodeMatch, encodeMatch } from './oxm';
import type { FlowStats, GroupDesc, GroupStats, MeterConfig, MeterStats, PortStats, TableStats } from './types';
import type { Reader, Writer } from './wire';

function badLen(what: string, len: number, offset: number): never {
  return decodeFail('OFP_BAD_LENGTH', `${what} entry length ${len} invalid`, OFPET.BAD_REQUEST, OFPBRC.BAD_LEN, {
    offset,
    len,
  });
}

/** Reads the u16 length prefix at offset `at` of the next entry and returns a window over the whole entry. */
function entry(r: Reader, at: number, min: number, what: string): Reader {
  if (r.remaining < min) badLen(what, r.remaining, r.pos);
  const len = r.buf.readUInt16BE(r.pos + at);
  if (len < min || len > r.remaining) badLen(what, len, r.pos);
  return r.sub(len, what);
}

function patchLen(w: Writer, at: number, start: number, what: string): void {
  const len = w.pos - start;
  if (len > 0xffff) badValue(`${what} entry too long (${len} bytes)`);
  w.patchU16(at, len);
}

/** Fixed part of ofp_flow_stats before the match. */
const FLOW_STATS_FIXED = 48;

/** Writes ofp_flow_stats entries. */
export function encodeFlowStats(w: Writer, list: readonly FlowStats[]): void {
  for (const s of list) {
    checkUint(s.tableId, 0xff, 'table_id');
    checkUint(s.durationSec, 0xffffffff, 'duration_sec');
    checkUint(s.durationNsec, 0xffffffff, 'duration_nsec');
    checkUint(s.priority, 0xffff, 'priority');
    checkUint(s.idleTimeout, 0xffff, 'idle_timeout');
    checkUint(s.hardTimeout, 0xffff, 'hard_timeout');
    checkUint(s.flags, 0xffff, 'flags');
    checkU64(s.cookie, 'cookie');
    checkU64(s.packetCount, 'packet_count');
    checkU64(s.byteCount, 'byte_count');
    const start = w.pos;
    w.u16(0).u8(s.tableId).u8(0).u32(s.durationSec).u32(s.durationNsec);
    w.u16(s.priority).u16(s.idleTimeout).u16(s.hardTimeout).u16(s.flags).u32(0);
    w.u64(s.cookie).u64(s.packetCount).u64(s.byteCount);
    encodeMatch(w, s.match);
    encodeInstructions(w, s.instructions);
    patchLen(w, start, start, 'flow stats');
  }
}

/** Reads ofp_flow_stats entries filling `r`. */
export function decodeFlowStats(r: Reader): FlowStats[] {
  const out: FlowStats[] = [];
  while (r.remaining > 0) {
    const e = entry(r, 0, FLOW_STATS_FIXED + 8, 'flow stats');
    e.skip(2);
    const tableId = e.u8();
    e.skip(1);
    const durationSec = e.u32();
    const durationNsec = e.u32();
    const priority = e.u16();
    const idleTimeout = e.u16();
    const hardTimeout = e.u16();
    const flags = e.u16();
    e.skip(4);
    const cookie = e.u64();
    const packetCount = e.u64();
    const byteCount = e.u64();
    const match = decodeMatch(e);
    const instructions = decodeInstructions(e.sub(e.remaining, 'instructions', OFPET.BAD_INSTRUCTION, OFPBIC.BAD_LEN));
    out.push({
      tableId,
      durationSec,
      durationNsec,
      priority,
      idleTimeout,
      hardTimeout,
      flags,
      cookie,
      packetCount,
      byteCount,
      match,
      instructions,
    });
  }
  return out;
}

/** Size of ofp_table_stats. */
const TABLE_STATS_LEN = 24;

/** Writes ofp_table_stats entries. */
export function encodeTableStats(w: Writer, list: readonly TableStats[]): void {
  for (const s of list) {
    checkUint(s.tableId, 0xff, 'table_id');
    checkUint(s.activeCount, 0xffffffff, 'active_count');
    checkU64(s.lookupCount, 'lookup_count');
    checkU64(s.matchedCount, 'matched_count');
    w.u8(s.tableId).zeros(3).u32(s.activeCount).u64(s.lookupCount).u64(s.matchedCount);
  }
}

/** Reads ofp_table_stats entries filling `r`. */
export function decodeTableStats(r: Reader): TableStats[] {
  if (r.remaining % TABLE_STATS_LEN !== 0) badLen('table stats', r.remaining, r.pos);
  const out: TableStats[] = [];
  while (r.remaining > 0) {
    const tableId = r.u8();
    r.skip(3);
    out.push({ tableId, activeCount: r.u32(), lookupCount: r.u64(), matchedCount: r.u64() });
  }
  return out;
}

/** Size of ofp_port_stats. */
const PORT_STATS_LEN = 112;

const PORT_COUNTERS = [
  'rxPackets',
  'txPackets',
  'rxBytes',
  'txBytes',
  'rxDropped',
  'txDropped',
  'rxErrors',
  'txErrors',
  'rxFrameErr',
  'rxOverErr',
  'rxCrcErr',
  'collisions',
] as const;

/** Writes ofp_port_stats entries. */
export function encodePortStats(w: Writer, list: readonly PortStats[]): void {
  for (const s of list) {
    checkUint(s.portNo, 0xffffffff, 'port_no');
    checkUint(s.durationSec, 0xffffffff, 'duration_sec');
    checkUint(s.durationNsec, 0xffffffff, 'duration_nsec');
    w.u32(s.portNo).u32(0);
    for (const k of PORT_COUNTERS) {
      checkU64(s[k], k);
      w.u64(s[k]);
    }
    w.u32(s.durationSec).u32(s.durationNsec);
  }
}

/** Reads ofp_port_stats entries filling `r`. */
export function decodePortStats(r: Reader): PortStats[] {
  if (r.remaining % PORT_STATS_LEN !== 0) badLen('port stats', r.remaining, r.pos);
  const out: PortStats[] = [];
  while (r.remaining > 0) {
    const portNo = r.u32();
    r.skip(4);
    out.push({
      portNo,
      rxPackets: r.u64(),
      txPackets: r.u64(),
      rxBytes: r.u64(),
      txBytes: r.u64(),
      rxDropped: r.u64(),
      txDropped: r.u64(),
      rxErrors: r.u64(),
      txErrors: r.u64(),
      rxFrameErr: r.u64(),
      rxOverErr: r.u64(),
      rxCrcErr: r.u64(),
      collisions: r.u64(),
      durationSec: r.u32(),
      durationNsec: r.u32(),
    });
  }
  return out;
}

/** Fixed part of ofp_group_stats (before the bucket counters). */
const GROUP_STATS_FIXED = 40;

/** Writes ofp_group_stats entries. */
export function encodeGroupStats(w: Writer, list: readonly GroupStats[]): void {
  for (const s of list) {
    checkUint(s.groupId, 0xffffffff, 'group_id');
    checkUint(s.refCount, 0xffffffff, 'ref_count');
    checkU64(s.packetCount, 'packet_count');
    checkU64(s.byteCount, 'byte_count');
    checkUint(s.durationSec, 0xffffffff, 'duration_sec');
    checkUint(s.durationNsec, 0xffffffff, 'duration_nsec');
    const start = w.pos;
    w.u16(0).u16(0).u32(s.groupId).u32(s.refCount).u32(0).u64(s.packetCount).u64(s.byteCount);
    w.u32(s.durationSec).u32(s.durationNsec);
    for (const b of s.buckets) {
      checkU64(b.packetCount, 'bucket packet_count');
      checkU64(b.byteCount, 'bucket byte_count');
      w.u64(b.packetCount).u64(b.byteCount);
    }
    patchLen(w, start, start, 'group stats');
  }
}

/** Reads ofp_group_stats entries filling `r`. */
export function decodeGroupStats(r: Reader): GroupStats[] {
  const out: GroupStats[] = [];
  while (r.remaining > 0) {
    const e = entry(r, 0, GROUP_STATS_FIXED, 'group stats');
    if ((e.remaining - GROUP_STATS_FIXED) % 16 !== 0) badLen('group stats', e.remaining, e.pos);
    e.skip(4);
    const groupId = e.u32();
    const refCount = e.u32();
    e.skip(4);
    const packetCount = e.u64();
    const byteCount = e.u64();
    const durationSec = e.u32();
    const durationNsec = e.u32();
    const buckets: GroupStats['buckets'] = [];
    while (e.remaining > 0) buckets.push({ packetCount: e.u64(), byteCount: e.u64() });
    out.push({ groupId, refCount, packetCount, byteCount, durationSec, durationNsec, buckets });
  }
  return out;
}

/** Writes ofp_group_desc entries. */
export function encodeGroupDescs(w: Writer, list: readonly GroupDesc[]): void {
  for (const g of list) {
    checkUint(g.groupType, 0xff, 'group type');
    checkUint(g.groupId, 0xffffffff, 'group_id');
    const start = w.pos;
    w.u16(0).u8(g.groupType).u8(0).u32(g.groupId);
    encodeBuckets(w, g.buckets);
    patchLen(w, start, start, 'group desc');
  }
}

/** Reads ofp_group_desc entries filling `r`. */
export function decodeGroupDescs(r: Reader): GroupDesc[] {
  const out: GroupDesc[] = [];
  while (r.remaining > 0) {
    const e = entry(r, 0, 8, 'group desc');
    e.skip(2);
    const groupType = e.u8();
    e.skip(1);
    const groupId = e.u32();
    out.push({ groupType, groupId, buckets: decodeBuckets(e) });
  }
  return out;
}

/** Fixed part of ofp_meter_stats (before the band counters). */
const METER_STATS_FIXED = 40;

/** Writes ofp_meter_stats entries. */
export function encodeMeterStats(w: Writer, list: readonly MeterStats[]): void {
  for (const s of list) {
    checkUint(s.meterId, 0xffffffff, 'meter_id');
    checkUint(s.flowCount, 0xffffffff, 'flow_count');
    checkU64(s.packetInCount, 'packet_in_count');
    checkU64(s.byteInCount, 'byte_in_count');
    checkUint(s.durationSec, 0xffffffff, 'duration_sec');
    checkUint(s.durationNsec, 0xffffffff, 'duration_nsec');
    const start = w.pos;
    w.u32(s.meterId).u16(0).zeros(6).u32(s.flowCount).u64(s.packetInCount).u64(s.byteInCount);
    w.u32(s.durationSec).u32(s.durationNsec);
    for (const b of s.bands) {
      checkU64(b.packetBandCount, 'packet_band_count');
      checkU64(b.byteBandCount, 'byte_band_count');
      w.u64(b.packetBandCount).u64(b.byteBandCount);
    }
    patchLen(w, start + 4, start, 'meter stats');
  }
}

/** Reads ofp_meter_stats entries filling `r`. */
export function decodeMeterStats(r: Reader): MeterStats[] {
  const out: MeterStats[] = [];
  while (r.remaining > 0) {
    const e = entry(r, 4, METER_STATS_FIXED, 'meter stats');
    if ((e.remaining - METER_STATS_FIXED) % 16 !== 0) badLen('meter stats', e.remaining, e.pos);
    const meterId = e.u32();
    e.skip(8);
    const flowCount = e.u32();
    const packetInCount = e.u64();
    const byteInCount = e.u64();
    const durationSec = e.u32();
    const durationNsec = e.u32();
    const bands: MeterStats['bands'] = [];
    while (e.remaining > 0) bands.push({ packetBandCount: e.u64(), byteBandCount: e.u64() });
    out.push({ meterId, flowCount, packetInCount, byteInCount, durationSec, durationNsec, bands });
  }
  return out;
}

/** Writes ofp_meter_config entries. */
export function encodeMeterConfigs(w: Writer, list: readonly MeterConfig[]): void {
  for (const c of list) {
    checkUint(c.flags, 0xffff, 'meter flags');
    checkUint(c.meterId, 0xffffffff, 'meter_id');
    const start = w.pos;
    w.u16(0).u16(c.flags).u32(c.meterId);
    encodeBands(w, c.bands);
    patchLen(w, start, start, 'meter config');
  }
}

/** Reads ofp_meter_config entries filling `r`. */
export function decodeMeterConfigs(r: Reader): MeterConfig[] {
  const out: MeterConfig[] = [];
  while (r.remaining > 0) {
    const e = entry(r, 0, 8, 'meter config');
    e.skip(2);
    const flags = e.u16();
    const meterId = e.u32();
    out.push({ flags, meterId, bands: decodeBands(e) });
  }
  return out;
}
