/**
 * Bodies of the ONF bundle extension for OpenFlow 1.3 (EXT-230, as Open vSwitch implements it): BUNDLE_CONTROL
 * (exp_type 2300) and BUNDLE_ADD_MESSAGE (exp_type 2301). Both travel as OFPT_EXPERIMENTER with experimenter
 * ONF_EXPERIMENTER_ID; these functions handle what follows the 16-byte experimenter header. The embedded message of
 * BUNDLE_ADD is encoded/decoded through callbacks supplied by message.ts (so this file does not import it).
 */
import { OFPBRC } from './constants';
import { OFPET } from './errors';
import { badValue, checkBytes, checkUint, decodeFail } from './fail';
import type { BundleProperty, MessageOf, OfpMessage } from './types';
import type { Reader, Writer } from './wire';

/** Writes a whole message (header included) at the writer's position. */
export type InnerEncoder = (w: Writer, msg: OfpMessage, xid: number) => void;
/** Decodes exactly one whole message from the window `r` (header included). */
export type InnerDecoder = (r: Reader) => OfpMessage;

/** Writes bundle properties (type, length, data, zero padding to 8 not counted in length). */
export function encodeBundleProperties(w: Writer, props: readonly BundleProperty[]): void {
  for (const p of props) {
    checkUint(p.type, 0xffff, 'bundle property type');
    checkBytes(p.data, 'bundle property data');
    if (p.data.length > 0xffff - 4) badValue('bundle property too long');
    const start = w.pos;
    w.u16(p.type).u16(4 + p.data.length).bytes(p.data);
    w.pad8(start);
  }
}

/** Reads bundle properties filling `r`. A length below 4 or past the end -> OFPBRC_BAD_LEN. */
export function decodeBundleProperties(r: Reader): BundleProperty[] {
  const out: BundleProperty[] = [];
  while (r.remaining > 0) {
    const p = r.pos;
    const len = r.remaining >= 4 ? r.buf.readUInt16BE(p + 2) : 0;
    if (len < 4 || len > r.remaining) {
      decodeFail('OFP_BAD_PROPERTY', `bundle property length ${len} invalid`, OFPET.BAD_REQUEST, OFPBRC.BAD_LEN, {
        offset: p,
      });
    }
    const type = r.u16();
    r.skip(2);
    out.push({ type, data: r.bytes(len - 4) });
    r.pos = Math.min(p + ((len + 7) & ~7), r.end); // the last property's padding may be missing
  }
  return out;
}

/** Writes a BUNDLE_CONTROL body (bundle_id, type, flags, properties). */
export function encodeBundleControl(w: Writer, m: MessageOf<'bundle_control'>): void {
  checkUint(m.bundleId, 0xffffffff, 'bundle_id');
  checkUint(m.ctrlType, 0xffff, 'bundle control type');
  checkUint(m.flags, 0xffff, 'bundle flags');
  w.u32(m.bundleId).u16(m.ctrlType).u16(m.flags);
  encodeBundleProperties(w, m.properties);
}

/** Reads a BUNDLE_CONTROL body. */
export function decodeBundleControl(r: Reader): MessageOf<'bundle_control'> {
  const bundleId = r.u32();
  const ctrlType = r.u16();
  const flags = r.u16();
  return { type: 'bundle_control', bundleId, ctrlType, flags, properties: decodeBundleProperties(r) };
}

/**
 * Writes a BUNDLE_ADD_MESSAGE body: bundle_id, padding, flags, the embedded message, then, if there are properties,
 * padding to 8 and the properties. The embedded message always carries the outer `xid` (the extension requires them
 * to match; Open vSwitch rejects a mismatch with OFPBFC_MSG_BAD_XID), whatever its own `xid` says.
 */
export function encodeBundleAdd(w: Writer, m: MessageOf<'bundle_add'>, xid: number, encodeInner: InnerEncoder): void {
  checkUint(m.bundleId, 0xffffffff, 'bundle_id');
  checkUint(m.flags, 0xffff, 'bundle flags');
  if (m.message === null || typeof m.message !== 'object') badValue('bundle_add needs a message');
  w.u32(m.bundleId).u16(0).u16(m.flags);
  const start = w.pos;
  encodeInner(w, m.message, xid);
  if (m.properties.length > 0) {
    w.pad8(start);
    encodeBundleProperties(w, m.properties);
  }
}

/**
 * Reads a BUNDLE_ADD_MESSAGE body. The embedded message's own length must fit the outer message
 * (OFPBRC_BAD_LEN otherwise); it is decoded by `decodeInner`, which rejects nested bundle messages.
 */
export function decodeBundleAdd(r: Reader, decodeInner: InnerDecoder): MessageOf<'bundle_add'> {
  const bundleId = r.u32();
  r.skip(2);
  const flags = r.u16();
  const p = r.pos;
  const innerLen = r.remaining >= 8 ? r.buf.readUInt16BE(p + 2) : 0;
  if (innerLen < 8 || innerLen > r.remaining) {
    decodeFail('OFP_BAD_LENGTH', `bundled message length ${innerLen} invalid`, OFPET.BAD_REQUEST, OFPBRC.BAD_LEN, {
      offset: p,
      innerLen,
    });
  }
  const message = decodeInner(r.sub(innerLen, 'bundled message'));
  let properties: BundleProperty[] = [];
  if (r.remaining > 0) {
    const pad = ((innerLen + 7) & ~7) - innerLen;
    r.pos = Math.min(r.pos + pad, r.end);
    properties = decodeBundleProperties(r);
  }
  return { type: 'bundle_add', bundleId, flags, message, properties };
}
