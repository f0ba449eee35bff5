/** Bodies of the asynchronous messages and their configuration: FLOW_REMOVED, PORT_STATUS, ROLE_REQUEST/REPLY,
 * GET_ASYNC_REPLY / SET_ASYNC. */
import { checkU64, checkUint } from './fail';
import { decodeMatch, encodeMatch } from './oxm';
import { decodePortDesc, encodePortDesc } from './port';
import type { AsyncConfig, MessageOf } from './types';
import type { Reader, Writer } from './wire';

/** Writes a FLOW_REMOVED body. */
export function encodeFlowRemoved(w: Writer, m: MessageOf<'flow_removed'>): void {
  checkU64(m.cookie, 'cookie');
  checkUint(m.priority, 0xffff, 'priority');
  checkUint(m.reason, 0xff, 'reason');
  checkUint(m.tableId, 0xff, 'table_id');
  checkUint(m.durationSec, 0xffffffff, 'duration_sec');
  checkUint(m.durationNsec, 0xffffffff, 'duration_nsec');
  checkUint(m.idleTimeout, 0xffff, 'idle_timeout');
  checkUint(m.hardTimeout, 0xffff, 'hard_timeout');
  checkU64(m.packetCount, 'packet_count');
  checkU64(m.byteCount, 'byte_count');
  w.u64(m.cookie).u16(m.priority).u8(m.reason).u8(m.tableId).u32(m.durationSec).u32(m.durationNsec);
  w.u16(m.idleTimeout).u16(m.hardTimeout).u64(m.packetCount).u64(m.byteCount);
  encodeMatch(w, m.match);
}

/** Reads a FLOW_REMOVED body. */
export function decodeFlowRemoved(r: Reader): MessageOf<'flow_removed'> {
  const cookie = r.u64();
  const priority = r.u16();
  const reason = r.u8();
  const tableId = r.u8();
  const durationSec = r.u32();
  const durationNsec = r.u32();
  const idleTimeout = r.u16();
  const hardTimeout = r.u16();
  const packetCount = r.u64();
  const byteCount = r.u64();
  const match = decodeMatch(r);
  return {
    type: 'flow_removed',
    cookie,
    priority,
    reason,
    tableId,
    durationSec,
    durationNsec,
    idleTimeout,
    hardTimeout,
    packetCount,
    byteCount,
    match,
  };
}

/** Writes a PORT_STATUS body. */
export function encodePortStatus(w: Writer, m: MessageOf<'port_status'>): void {
  checkUint(m.reason, 0xff, 'reason');
  w.u8(m.reason).zeros(7);
  encodePortDesc(w, m.port);
}

/** Reads a PORT_STATUS body. */
export function decodePortStatus(r: Reader): MessageOf<'port_status'> {
  const reason = r.u8();
  r.skip(7);
  return { type: 'port_status', reason, port: decodePortDesc(r) };
}

/** Writes a ROLE_REQUEST / ROLE_REPLY body. */
export function encodeRole(w: Writer, m: MessageOf<'role_request'> | MessageOf<'role_reply'>): void {
  checkUint(m.role, 0xffffffff, 'role');
  checkU64(m.generationId, 'generation_id');
  w.u32(m.role).u32(0).u64(m.generationId);
}

/** Reads a ROLE_REQUEST / ROLE_REPLY body. */
export function decodeRole<T extends 'role_request' | 'role_reply'>(r: Reader, type: T): MessageOf<T> {
  const role = r.u32();
  r.skip(4);
  return { type, role, generationId: r.u64() } as MessageOf<T>;
}

/** Writes a GET_ASYNC_REPLY / SET_ASYNC body (ofp_async_config). */
export function encodeAsyncConfig(w: Writer, m: AsyncConfig): void {
  for (const pair of [m.packetInMask, m.portStatusMask, m.flowRemovedMask]) {
    checkUint(pair[0], 0xffffffff, 'async mask');
    checkUint(pair[1], 0xffffffff, 'async mask');
    w.u32(pair[0]).u32(pair[1]);
  }
}

/** Reads a GET_ASYNC_REPLY / SET_ASYNC body. */
export function decodeAsyncConfig<T extends 'get_async_reply' | 'set_async'>(r: Reader, type: T): MessageOf<T> {
  const packetInMask: [number, number] = [r.u32(), r.u32()];
  const portStatusMask: [number, number] = [r.u32(), r.u32()];
  const flowRemovedMask: [number, number] = [r.u32(), r.u32()];
  return { type, packetInMask, portStatusMask, flowRemovedMask } as MessageOf<T>;
}
