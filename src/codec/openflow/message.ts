/**
 * Whole OpenFlow 1.3 messages: ofp_header + body. `encodeMessage` / `decodeMessage` dispatch on the message type to
 * the per-family body codecs; `Framer` (re-exported from framer.ts) splits a byte stream into messages.
 */
import { decodeAsyncConfig, decodeFlowRemoved, decodePortStatus, decodeRole } from './async';
import { encodeAsyncConfig, encodeFlowRemoved, encodePortStatus, encodeRole } from './async';
import { decodeBundleAdd, decodeBundleControl, encodeBundleAdd, encodeBundleControl } from './bundle';
import { OFPBRC, OFPT, OFP_HEADER_LEN, OFP_MAX_MSG_LEN, OFP_VERSION, ONF_ERR_NESTED, ONF_ET, ONF_EXPERIMENTER_ID } from './constants';
import { OFPET, OfpEncodeError } from './errors';
import { badValue, checkUint, decodeFail } from './fail';
import { decodeFlowMod, encodeFlowMod } from './flow-mod';
import { decodeGroupMod, encodeGroupMod } from './group-mod';
import {
  decodeError,
  decodeFeaturesReply,
  decodeHello,
  decodeSwitchConfig,
  encodeEcho,
  encodeError,
  encodeErrorExperimenter,
  encodeExperimenter,
  encodeFeaturesReply,
  encodeHello,
  encodeSwitchConfig,
} from './handshake';
import { decodeMeterMod, encodeMeterMod } from './meter-mod';
import { decodeMultipartReply, decodeMultipartRequest, encodeMultipartReply, encodeMultipartRequest } from './multipart';
import { decodePacketIn, decodePacketOut, encodePacketIn, encodePacketOut } from './packet';
import { decodePortMod, decodeTableMod, encodePortMod, encodeTableMod } from './port';
import type { OfpMessage, OfpMessageType } from './types';
import { Reader, Writer } from './wire';

export { Framer } from './framer';

/** OFPT_* number each message type travels as (bundle messages are OFPT_EXPERIMENTER). */
export const MESSAGE_TYPE_NUMBERS: Readonly<Record<OfpMessageType, number>> = {
  hello: OFPT.HELLO,
  error: OFPT.ERROR,
  error_experimenter: OFPT.ERROR,
  echo_request: OFPT.ECHO_REQUEST,
  echo_reply: OFPT.ECHO_REPLY,
  experimenter: OFPT.EXPERIMENTER,
  features_request: OFPT.FEATURES_REQUEST,
  features_reply: OFPT.FEATURES_REPLY,
  get_config_request: OFPT.GET_CONFIG_REQUEST,
  get_config_reply: OFPT.GET_CONFIG_REPLY,
  set_config: OFPT.SET_CONFIG,
  packet_in: OFPT.PACKET_IN,
  flow_removed: OFPT.FLOW_REMOVED,
  port_status: OFPT.PORT_STATUS,
  packet_out: OFPT.PACKET_OUT,
  flow_mod: OFPT.FLOW_MOD,
  group_mod: OFPT.GROUP_MOD,
  port_mod: OFPT.PORT_MOD,
  table_mod: OFPT.TABLE_MOD,
  multipart_request: OFPT.MULTIPART_REQUEST,
  multipart_reply: OFPT.MULTIPART_REPLY,
  barrier_request: OFPT.BARRIER_REQUEST,
  barrier_reply: OFPT.BARRIER_REPLY,
  role_request: OFPT.ROLE_REQUEST,
  role_reply: OFPT.ROLE_REPLY,
  get_async_request: OFPT.GET_ASYNC_REQUEST,
  get_async_reply: OFPT.GET_ASYNC_REPLY,
  set_async: OFPT.SET_ASYNC,
  meter_mod: OFPT.METER_MOD,
  bundle_control: OFPT.EXPERIMENTER,
  bundle_add: OFPT.EXPERIMENTER,
};

/** Reused between calls (encoding is synchronous); each result is copied out into a fresh Buffer. */
const shared = new Writer(4096);

/**
 * Encodes one message into a fresh Buffer: ofp_header (version 4, or `version` for a hello; length; xid = `xid` ??
 * msg.xid ?? 0) and body. Throws OfpEncodeError OFP_BAD_VALUE for unrepresentable fields and OFP_TOO_LONG when the
 * message exceeds 65535 bytes.
 */
export function encodeMessage(msg: OfpMessage, xid?: number): Buffer {
  const w = shared;
  w.pos = 0;
  writeMessage(w, msg, xid ?? msg.xid ?? 0, 0);
  const view = w.finish();
  const out = Buffer.allocUnsafe(view.length);
  view.copy(out);
  return out;
}

/** Writes one whole message at the writer's position; depth > 0 inside a bundle_add. */
function writeMessage(w: Writer, msg: OfpMessage, xid: number, depth: number): void {
  checkUint(xid, 0xffffffff, 'xid');
  const type = MESSAGE_TYPE_NUMBERS[msg?.type];
  if (type === undefined) badValue(`unknown message type ${String(msg?.type)}`);
  let version = OFP_VERSION;
  if (msg.type === 'hello' && msg.version !== undefined) {
    checkUint(msg.version, 0xff, 'hello version');
    version = msg.version;
  }
  const start = w.pos;
  w.u8(version).u8(type).u16(0).u32(xid);
  switch (msg.type) {
    case 'hello':
      encodeHello(w, msg);
      break;
    case 'error':
      encodeError(w, msg);
      break;
    case 'error_experimenter':
      encodeErrorExperimenter(w, msg);
      break;
    case 'echo_request':
    case 'echo_reply':
      encodeEcho(w, msg);
      break;
    case 'experimenter':
      encodeExperimenter(w, msg);
      break;
    case 'features_request':
    case 'get_config_request':
    case 'barrier_request':
    case 'barrier_reply':
    case 'get_async_request':
      break;
    case 'features_reply':
      encodeFeaturesReply(w, msg);
      break;
    case 'get_config_reply':
    case 'set_config':
      encodeSwitchConfig(w, msg);
      break;
    case 'packet_in':
      encodePacketIn(w, msg);
      break;
    case 'flow_removed':
      encodeFlowRemoved(w, msg);
      break;
    case 'port_status':
      encodePortStatus(w, msg);
      break;
    case 'packet_out':
      encodePacketOut(w, msg);
      break;
    case 'flow_mod':
      encodeFlowMod(w, msg);
      break;
    case 'group_mod':
      encodeGroupMod(w, msg);
      break;
    case 'port_mod':
      encodePortMod(w, msg);
      break;
    case 'table_mod':
      encodeTableMod(w, msg);
      break;
    case 'multipart_request':
      encodeMultipartRequest(w, msg);
      break;
    case 'multipart_reply':
      encodeMultipartReply(w, msg);
      break;
    case 'role_request':
    case 'role_reply':
      encodeRole(w, msg);
      break;
    case 'get_async_reply':
    case 'set_async':
      encodeAsyncConfig(w, msg);
      break;
    case 'meter_mod':
      encodeMeterMod(w, msg);
      break;
    case 'bundle_control':
      if (depth > 0) badValue('a bundle message cannot be bundled');
      w.u32(ONF_EXPERIMENTER_ID).u32(ONF_ET.BUNDLE_CONTROL);
      encodeBundleControl(w, msg);
      break;
    case 'bundle_add':
      if (depth > 0) badValue('a bundle message cannot be bundled');
      w.u32(ONF_EXPERIMENTER_ID).u32(ONF_ET.BUNDLE_ADD_MESSAGE);
      encodeBundleAdd(w, msg, xid, (iw, inner, ixid) => writeMessage(iw, inner, ixid, depth + 1));
      break;
  }
  const len = w.pos - start;
  if (len > OFP_MAX_MSG_LEN) {
    throw new OfpEncodeError('OFP_TOO_LONG', `${msg.type} message of ${len} bytes exceeds 65535`, { length: len });
  }
  w.patchU16(start + 2, len);
}

/**
 * Decodes exactly one message. The header length must equal buf.length (OFPBRC_BAD_LEN); the version must be 4
 * (OFPBRC_BAD_VERSION) except for HELLO; unknown or unsupported types -> OFPBRC_BAD_TYPE; unsupported multipart
 * types -> OFPBRC_BAD_MULTIPART; bytes left over after a fixed-size body -> OFPBRC_BAD_LEN. Sets `xid`.
 * Every failure is an OfpDecodeError carrying the OFPT_ERROR type/code to answer with.
 */
export function decodeMessage(buf: Buffer): OfpMessage {
  if (!Buffer.isBuffer(buf)) badValue('decodeMessage needs a Buffer');
  if (buf.length < OFP_HEADER_LEN) {
    decodeFail('OFP_BAD_LENGTH', `message of ${buf.length} bytes is shorter than a header`, OFPET.BAD_REQUEST, OFPBRC.BAD_LEN, {
      length: buf.length,
    });
  }
  const len = buf.readUInt16BE(2);
  if (len !== buf.length) {
    decodeFail('OFP_BAD_LENGTH', `header length ${len} but ${buf.length} bytes given`, OFPET.BAD_REQUEST, OFPBRC.BAD_LEN, {
      headerLength: len,
      length: buf.length,
    });
  }
  return decodeWindow(new Reader(buf), 0);
}

/** Decodes one message filling the window `r` (whose size equals the header's length). */
function decodeWindow(r: Reader, depth: number): OfpMessage {
  const buf = r.buf;
  const p = r.pos;
  const version = buf[p]!;
  const type = buf[p + 1]!;
  const xid = buf.readUInt32BE(p + 4);
  if (version !== OFP_VERSION && type !== OFPT.HELLO) {
    decodeFail('OFP_BAD_VERSION', `unsupported OpenFlow version ${version}`, OFPET.BAD_REQUEST, OFPBRC.BAD_VERSION, {
      version,
      type,
    });
  }
  r.pos = p + OFP_HEADER_LEN;
  let msg: OfpMessage;
  switch (type) {
    case OFPT.HELLO:
      msg = decodeHello(r, version);
      break;
    case OFPT.ERROR:
      msg = decodeError(r);
      break;
    case OFPT.ECHO_REQUEST:
      msg = { type: 'echo_request', data: r.bytes(r.remaining) };
      break;
    case OFPT.ECHO_REPLY:
      msg = { type: 'echo_reply', data: r.bytes(r.remaining) };
      break;
    case OFPT.EXPERIMENTER:
      msg = decodeExperimenter(r, depth);
      break;
    case OFPT.FEATURES_REQUEST:
      msg = { type: 'features_request' };
      break;
    case OFPT.FEATURES_REPLY:
      msg = decodeFeaturesReply(r);
      break;
    case OFPT.GET_CONFIG_REQUEST:
      msg = { type: 'get_config_request' };
      break;
    case OFPT.GET_CONFIG_REPLY:
      msg = decodeSwitchConfig(r, 'get_config_reply');
      break;
    case OFPT.SET_CONFIG:
      msg = decodeSwitchConfig(r, 'set_config');
      break;
    case OFPT.PACKET_IN:
      msg = decodePacketIn(r);
      break;
    case OFPT.FLOW_REMOVED:
      msg = decodeFlowRemoved(r);
      break;
    case OFPT.PORT_STATUS:
      msg = decodePortStatus(r);
      break;
    case OFPT.PACKET_OUT:
      msg = decodePacketOut(r);
      break;
    case OFPT.FLOW_MOD:
      msg = decodeFlowMod(r);
      break;
    case OFPT.GROUP_MOD:
      msg = decodeGroupMod(r);
      break;
    case OFPT.PORT_MOD:
      msg = decodePortMod(r);
      break;
    case OFPT.TABLE_MOD:
      msg = decodeTableMod(r);
      break;
    case OFPT.MULTIPART_REQUEST:
      msg = decodeMultipartRequest(r);
      break;
    case OFPT.MULTIPART_REPLY:
      msg = decodeMultipartReply(r);
      break;
    case OFPT.BARRIER_REQUEST:
      msg = { type: 'barrier_request' };
      break;
    case OFPT.BARRIER_REPLY:
      msg = { type: 'barrier_reply' };
      break;
    case OFPT.ROLE_REQUEST:
      msg = decodeRole(r, 'role_request');
      break;
    case OFPT.ROLE_REPLY:
      msg = decodeRole(r, 'role_reply');
      break;
    case OFPT.GET_ASYNC_REQUEST:
      msg = { type: 'get_async_request' };
      break;
    case OFPT.GET_ASYNC_REPLY:
      msg = decodeAsyncConfig(r, 'get_async_reply');
      break;
    case OFPT.SET_ASYNC:
      msg = decodeAsyncConfig(r, 'set_async');
      break;
    case OFPT.METER_MOD:
      msg = decodeMeterMod(r);
      break;
    default:
      return decodeFail('OFP_BAD_TYPE', `unsupported message type ${type}`, OFPET.BAD_REQUEST, OFPBRC.BAD_TYPE, { type });
  }
  if (r.remaining !== 0) {
    decodeFail('OFP_BAD_LENGTH', `${r.remaining} unexpected bytes after a ${msg.type} body`, OFPET.BAD_REQUEST, OFPBRC.BAD_LEN, {
      type,
      extra: r.remaining,
    });
  }
  msg.xid = xid;
  return msg;
}

/** OFPT_EXPERIMENTER: ONF bundle messages, or a generic experimenter message with an opaque payload. */
function decodeExperimenter(r: Reader, depth: number): OfpMessage {
  const experimenter = r.u32();
  const expType = r.u32();
  if (experimenter === ONF_EXPERIMENTER_ID && (expType === ONF_ET.BUNDLE_CONTROL || expType === ONF_ET.BUNDLE_ADD_MESSAGE)) {
    if (depth > 0) {
      decodeFail('OFP_BUNDLE_NESTED', 'a bundle message cannot be bundled', OFPET.BAD_REQUEST, OFPBRC.BAD_TYPE, {
        onfError: ONF_ERR_NESTED,
      });
    }
    if (expType === ONF_ET.BUNDLE_CONTROL) return decodeBundleControl(r);
    return decodeBundleAdd(r, (inner) => decodeWindow(inner, depth + 1));
  }
  return { type: 'experimenter', experimenter, expType, data: r.bytes(r.remaining) };
}
