/** Bodies of PACKET_IN (ofp_packet_in) and PACKET_OUT (ofp_packet_out): the controller's hot path. */
import { decodeActions, encodeActions } from './actions';
import { OFPBAC } from './constants';
import { OFPET } from './errors';
import { checkBytes, checkU64, checkUint } from './fail';
import { decodeMatch, encodeMatch } from './oxm';
import type { MessageOf } from './types';
import type { Reader, Writer } from './wire';

/** Writes a PACKET_IN body: fixed part, match (padded), 2 bytes of padding, the frame. */
export function encodePacketIn(w: Writer, m: MessageOf<'packet_in'>): void {
  checkUint(m.bufferId, 0xffffffff, 'buffer_id');
  checkUint(m.totalLen, 0xffff, 'total_len');
  checkUint(m.reason, 0xff, 'reason');
  checkUint(m.tableId, 0xff, 'table_id');
  checkU64(m.cookie, 'cookie');
  checkBytes(m.data, 'packet_in data');
  w.u32(m.bufferId).u16(m.totalLen).u8(m.reason).u8(m.tableId).u64(m.cookie);
  encodeMatch(w, m.match);
  w.u16(0).bytes(m.data);
}

/** Reads a PACKET_IN body. */
export function decodePacketIn(r: Reader): MessageOf<'packet_in'> {
  const bufferId = r.u32();
  const totalLen = r.u16();
  const reason = r.u8();
  const tableId = r.u8();
  const cookie = r.u64();
  const match = decodeMatch(r);
  r.skip(2);
  return { type: 'packet_in', bufferId, totalLen, reason, tableId, cookie, match, data: r.bytes(r.remaining) };
}

/** Writes a PACKET_OUT body: fixed part with actions_len, the actions, the frame. */
export function encodePacketOut(w: Writer, m: MessageOf<'packet_out'>): void {
  checkUint(m.bufferId, 0xffffffff, 'buffer_id');
  checkUint(m.inPort, 0xffffffff, 'in_port');
  checkBytes(m.data, 'packet_out data');
  const start = w.pos;
  w.u32(m.bufferId).u32(m.inPort).u16(0).zeros(6);
  const actionsStart = w.pos;
  encodeActions(w, m.actions);
  w.patchU16(start + 8, w.pos - actionsStart);
  w.bytes(m.data);
}

/** Reads a PACKET_OUT body. actions_len beyond the message -> OFPBRC_BAD_LEN; action errors -> OFPET_BAD_ACTION. */
export function decodePacketOut(r: Reader): MessageOf<'packet_out'> {
  const bufferId = r.u32();
  const inPort = r.u32();
  const actionsLen = r.u16();
  r.skip(6);
  const actions = decodeActions(r.sub(actionsLen, 'actions', OFPET.BAD_ACTION, OFPBAC.BAD_LEN));
  return { type: 'packet_out', bufferId, inPort, actions, data: r.bytes(r.remaining) };
}
