/**
 * Bodies of MULTIPART_REQUEST and MULTIPART_REPLY: the ofp_multipart_request/reply header (type, flags, padding)
 * and the per-type request/reply bodies. Supported types: desc, flow, aggregate, table, port_stats, port_desc,
 * group, group_desc, meter, meter_config, experimenter. Any other type -> OFPBRC_BAD_MULTIPART.
 */
import { OFPBRC, OFPMP } from './constants';
import { OFPET } from './errors';
import { badValue, checkBytes, checkU64, checkUint, decodeFail } from './fail';
import {
  decodeFlowStats,
  decodeGroupDescs,
  decodeGroupStats,
  decodeMeterConfigs,
  decodeMeterStats,
  decodePortStats,
  decodeTableStats,
  encodeFlowStats,
  encodeGroupDescs,
  encodeGroupStats,
  encodeMeterConfigs,
  encodeMeterStats,
  encodePortStats,
  encodeTableStats,
} from './multipart-stats';
import { decodeMatch, encodeMatch } from './oxm';
import { decodePortDesc, encodePortDesc, OFP_PORT_LEN } from './port';
import type { FlowStatsRequest, MessageOf, MultipartReplyBody, MultipartRequestBody, MultipartType } from './types';
import type { Reader, Writer } from './wire';

/** OFPMP_* number of each supported multipart type. */
export const MULTIPART_TYPE_NUMBERS: Readonly<Record<MultipartType, number>> = {
  desc: OFPMP.DESC,
  flow: OFPMP.FLOW,
  aggregate: OFPMP.AGGREGATE,
  table: OFPMP.TABLE,
  port_stats: OFPMP.PORT_STATS,
  port_desc: OFPMP.PORT_DESC,
  group: OFPMP.GROUP,
  group_desc: OFPMP.GROUP_DESC,
  meter: OFPMP.METER,
  meter_config: OFPMP.METER_CONFIG,
  experimenter: OFPMP.EXPERIMENTER,
};

const BY_NUMBER = new Map<number, MultipartType>(
  Object.entries(MULTIPART_TYPE_NUMBERS).map(([k, v]) => [v, k as MultipartType]),
);

function mpNumber(t: MultipartType): number {
  const n = MULTIPART_TYPE_NUMBERS[t];
  if (n === undefined) badValue(`unknown multipart type ${String(t)}`);
  return n;
}

function mpType(n: number): MultipartType {
  const t = BY_NUMBER.get(n);
  if (t === undefined) {
    decodeFail('OFP_BAD_MULTIPART', `unsupported multipart type ${n}`, OFPET.BAD_REQUEST, OFPBRC.BAD_MULTIPART, {
      mpType: n,
    });
  }
  return t;
}

/** Size of ofp_desc's string fields. */
const DESC_STR_LEN = 256;
const SERIAL_NUM_LEN = 32;

function writeFlowStatsRequest(w: Writer, b: FlowStatsRequest): void {
  checkUint(b.tableId, 0xff, 'table_id');
  checkUint(b.outPort, 0xffffffff, 'out_port');
  checkUint(b.outGroup, 0xffffffff, 'out_group');
  checkU64(b.cookie, 'cookie');
  checkU64(b.cookieMask, 'cookie_mask');
  w.u8(b.tableId).zeros(3).u32(b.outPort).u32(b.outGroup).u32(0).u64(b.cookie).u64(b.cookieMask);
  encodeMatch(w, b.match);
}

function readFlowStatsRequest(r: Reader): FlowStatsRequest {
  const tableId = r.u8();
  r.skip(3);
  const outPort = r.u32();
  const outGroup = r.u32();
  r.skip(4);
  const cookie = r.u64();
  const cookieMask = r.u64();
  return { tableId, outPort, outGroup, cookie, cookieMask, match: decodeMatch(r) };
}

/** Writes a u32 id followed by 4 bytes of padding (port/group/meter multipart requests). */
function writeId(w: Writer, id: number, what: string): void {
  checkUint(id, 0xffffffff, what);
  w.u32(id).u32(0);
}

function readId(r: Reader): number {
  const id = r.u32();
  r.skip(4);
  return id;
}

/** Writes a MULTIPART_REQUEST body. */
export function encodeMultipartRequest(w: Writer, m: MessageOf<'multipart_request'>): void {
  const b = m.body;
  checkUint(m.flags, 0xffff, 'multipart flags');
  w.u16(mpNumber(b.mpType)).u16(m.flags).u32(0);
  switch (b.mpType) {
    case 'desc':
    case 'table':
    case 'port_desc':
    case 'group_desc':
      return;
    case 'flow':
    case 'aggregate':
      return writeFlowStatsRequest(w, b);
    case 'port_stats':
      return writeId(w, b.portNo, 'port_no');
    case 'group':
      return writeId(w, b.groupId, 'group_id');
    case 'meter':
    case 'meter_config':
      return writeId(w, b.meterId, 'meter_id');
    case 'experimenter':
      return writeExperimenterBody(w, b);
  }
}

/** Reads a MULTIPART_REQUEST body (trailing bytes after a fixed-size body are caught by the dispatcher). */
export function decodeMultipartRequest(r: Reader): MessageOf<'multipart_request'> {
  const t = mpType(r.u16());
  const flags = r.u16();
  r.skip(4);
  let body: MultipartRequestBody;
  switch (t) {
    case 'desc':
    case 'table':
    case 'port_desc':
    case 'group_desc':
      body = { mpType: t };
      break;
    case 'flow':
    case 'aggregate':
      body = { mpType: t, ...readFlowStatsRequest(r) };
      break;
    case 'port_stats':
      body = { mpType: t, portNo: readId(r) };
      break;
    case 'group':
      body = { mpType: t, groupId: readId(r) };
      break;
    case 'meter':
    case 'meter_config':
      body = { mpType: t, meterId: readId(r) };
      break;
    case 'experimenter':
      body = { mpType: t, experimenter: r.u32(), expType: r.u32(), data: r.bytes(r.remaining) };
      break;
  }
  return { type: 'multipart_request', flags, body };
}

/** Writes a MULTIPART_REPLY body. */
export function encodeMultipartReply(w: Writer, m: MessageOf<'multipart_reply'>): void {
  const b = m.body;
  checkUint(m.flags, 0xffff, 'multipart flags');
  w.u16(mpNumber(b.mpType)).u16(m.flags).u32(0);
  switch (b.mpType) {
    case 'desc':
      w.str(b.mfrDesc, DESC_STR_LEN).str(b.hwDesc, DESC_STR_LEN).str(b.swDesc, DESC_STR_LEN);
      w.str(b.serialNum, SERIAL_NUM_LEN).str(b.dpDesc, DESC_STR_LEN);
      return;
    case 'flow':
      return encodeFlowStats(w, b.stats);
    case 'aggregate':
      checkU64(b.packetCount, 'packet_count');
      checkU64(b.byteCount, 'byte_count');
      checkUint(b.flowCount, 0xffffffff, 'flow_count');
      w.u64(b.packetCount).u64(b.byteCount).u32(b.flowCount).u32(0);
      return;
    case 'table':
      return encodeTableStats(w, b.stats);
    case 'port_stats':
      return encodePortStats(w, b.stats);
    case 'port_desc':
      for (const p of b.ports) encodePortDesc(w, p);
      return;
    case 'group':
      return encodeGroupStats(w, b.stats);
    case 'group_desc':
      return encodeGroupDescs(w, b.groups);
    case 'meter':
      return encodeMeterStats(w, b.stats);
    case 'meter_config':
      return encodeMeterConfigs(w, b.configs);
    case 'experimenter':
      return writeExperimenterBody(w, b);
  }
}

/** Reads a MULTIPART_REPLY body. */
export function decodeMultipartReply(r: Reader): MessageOf<'multipart_reply'> {
  const t = mpType(r.u16());
  const flags = r.u16();
  r.skip(4);
  let body: MultipartReplyBody;
  switch (t) {
    case 'desc':
      body = {
        mpType: t,
        mfrDesc: r.str(DESC_STR_LEN),
        hwDesc: r.str(DESC_STR_LEN),
        swDesc: r.str(DESC_STR_LEN),
        serialNum: r.str(SERIAL_NUM_LEN),
        dpDesc: r.str(DESC_STR_LEN),
      };
      break;
    case 'flow':
      body = { mpType: t, stats: decodeFlowStats(r) };
      break;
    case 'aggregate': {
      const packetCount = r.u64();
      const byteCount = r.u64();
      const flowCount = r.u32();
      r.skip(4);
      body = { mpType: t, packetCount, byteCount, flowCount };
      break;
    }
    case 'table':
      body = { mpType: t, stats: decodeTableStats(r) };
      break;
    case 'port_stats':
      body = { mpType: t, stats: decodePortStats(r) };
      break;
    case 'port_desc': {
      if (r.remaining % OFP_PORT_LEN !== 0) {
        decodeFail('OFP_BAD_LENGTH', `port_desc reply body of ${r.remaining} bytes`, OFPET.BAD_REQUEST, OFPBRC.BAD_LEN);
      }
      const ports = [];
      while (r.remaining > 0) ports.push(decodePortDesc(r));
      body = { mpType: t, ports };
      break;
    }
    case 'group':
      body = { mpType: t, stats: decodeGroupStats(r) };
      break;
    case 'group_desc':
      body = { mpType: t, groups: decodeGroupDescs(r) };
      break;
    case 'meter':
      body = { mpType: t, stats: decodeMeterStats(r) };
      break;
    case 'meter_config':
      body = { mpType: t, configs: decodeMeterConfigs(r) };
      break;
    case 'experimenter':
      body = { mpType: t, experimenter: r.u32(), expType: r.u32(), data: r.bytes(r.remaining) };
      break;
  }
  return { type: 'multipart_reply', flags, body };
}

/** The body shared by experimenter multipart requests and replies: experimenter id, type, opaque data. */
function writeExperimenterBody(w: Writer, b: { experimenter: number; expType: number; data: Buffer }): void {
  checkUint(b.experimenter, 0xffffffff, 'experimenter');
  checkUint(b.expType, 0xffffffff, 'exp_type');
  checkBytes(b.data, 'experimenter data');
  w.u32(b.experimenter).u32(b.expType).bytes(b.data);
}
