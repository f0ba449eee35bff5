/**
 * Bodies of the connection-setup and symmetric messages: HELLO (with version-bitmap element), ERROR (standard and
 * experimenter), ECHO_REQUEST/REPLY, EXPERIMENTER (generic), FEATURES_REPLY, GET_CONFIG_REPLY / SET_CONFIG.
 * Encoders write after the ofp_header; decoders read from just after it to the end of the message.
 */
import { OFPBRC, OFPHET, OFP_VERSION } from './constants';
import { OFPET } from './errors';
import { checkBytes, checkU64, checkUint, decodeFail } from './fail';
import type { MessageOf } from './types';
import type { Reader, Writer } from './wire';

/** Highest version number a hello bitmap may name (keeps the bitmap, and decoded arrays, small). */
const MAX_BITMAP_VERSION = 255;

/** Writes the HELLO body: one OFPHET_VERSIONBITMAP element when `versions` is given, none otherwise. */
export function encodeHello(w: Writer, m: MessageOf<'hello'>): void {
  if (m.versions === undefined) return;
  let max = 0;
  for (const v of m.versions) {
    checkUint(v, MAX_BITMAP_VERSION, 'hello version');
    if (v > max) max = v;
  }
  const nWords = (max >> 5) + 1;
  const start = w.pos;
  w.u16(OFPHET.VERSIONBITMAP).u16(4 + 4 * nWords);
  for (let i = 0; i < nWords; i++) {
    let word = 0;
    for (const v of m.versions) if (v >> 5 === i) word |= 1 << (v & 31);
    w.u32(word);
  }
  w.pad8(start);
}

/**
 * Reads the HELLO body. Only messages of version >= 4 carry hello elements (older versions' bodies are ignored).
 * Unknown element types are skipped as the specification requires; the first version bitmap wins. Element lengths
 * that overrun the message -> OFPBRC_BAD_LEN.
 */
export function decodeHello(r: Reader, version: number): MessageOf<'hello'> {
  const msg: MessageOf<'hello'> = { type: 'hello' };
  if (version !== OFP_VERSION) msg.version = version;
  if (version < OFP_VERSION) {
    r.pos = r.end;
    return msg;
  }
  while (r.remaining >= 4) {
    const p = r.pos;
    const type = r.u16();
    const len = r.u16();
    const padded = (len + 7) & ~7;
    if (len < 4 || len > r.remaining + 4) {
      decodeFail('OFP_BAD_LENGTH', `hello element length ${len} invalid`, OFPET.BAD_REQUEST, OFPBRC.BAD_LEN, { offset: p });
    }
    if (type === OFPHET.VERSIONBITMAP && msg.versions === undefined) {
      const versions: number[] = [];
      const nWords = (len - 4) >> 2;
      for (let i = 0; i < nWords && i * 32 <= MAX_BITMAP_VERSION; i++) {
        const word = r.buf.readUInt32BE(p + 4 + 4 * i);
        for (let b = 0; b < 32; b++) if ((word >>> b) & 1) versions.push(i * 32 + b);
      }
      msg.versions = versions;
    }
    // The last element's padding may be missing; tolerate that.
    r.pos = Math.min(p + padded, r.end);
  }
  r.pos = r.end;
  return msg;
}

/** Writes an ERROR body (ofp_error_msg). errType 0xffff is reserved for 'error_experimenter'. */
export function encodeError(w: Writer, m: MessageOf<'error'>): void {
  checkUint(m.errType, 0xfffe, 'error type');
  checkUint(m.code, 0xffff, 'error code');
  checkBytes(m.data, 'error data');
  w.u16(m.errType).u16(m.code).bytes(m.data);
}

/** Writes an experimenter ERROR body (ofp_error_experimenter_msg). */
export function encodeErrorExperimenter(w: Writer, m: MessageOf<'error_experimenter'>): void {
  checkUint(m.expType, 0xffff, 'error exp_type');
  checkUint(m.experimenter, 0xffffffff, 'error experimenter');
  checkBytes(m.data, 'error data');
  w.u16(OFPET.EXPERIMENTER).u16(m.expType).u32(m.experimenter).bytes(m.data);
}

/** Reads an ERROR body: 'error_experimenter' when the type is OFPET_EXPERIMENTER, else 'error'. */
export function decodeError(r: Reader): MessageOf<'error'> | MessageOf<'error_experimenter'> {
  const errType = r.u16();
  if (errType === OFPET.EXPERIMENTER) {
    const expType = r.u16();
    const experimenter = r.u32();
    return { type: 'error_experimenter', expType, experimenter, data: r.bytes(r.remaining) };
  }
  const code = r.u16();
  return { type: 'error', errType, code, data: r.bytes(r.remaining) };
}

/** Writes an ECHO_REQUEST/REPLY body (arbitrary data). */
export function encodeEcho(w: Writer, m: MessageOf<'echo_request'> | MessageOf<'echo_reply'>): void {
  checkBytes(m.data, 'echo data');
  w.bytes(m.data);
}

/** Writes a generic EXPERIMENTER body (ofp_experimenter_header after ofp_header). */
export function encodeExperimenter(w: Writer, m: MessageOf<'experimenter'>): void {
  checkUint(m.experimenter, 0xffffffff, 'experimenter id');
  checkUint(m.expType, 0xffffffff, 'experimenter exp_type');
  checkBytes(m.data, 'experimenter data');
  w.u32(m.experimenter).u32(m.expType).bytes(m.data);
}

/** Writes a FEATURES_REPLY body (ofp_switch_features). */
export function encodeFeaturesReply(w: Writer, m: MessageOf<'features_reply'>): void {
  checkU64(m.datapathId, 'datapath id');
  checkUint(m.nBuffers, 0xffffffff, 'n_buffers');
  checkUint(m.nTables, 0xff, 'n_tables');
  checkUint(m.auxiliaryId, 0xff, 'auxiliary_id');
  checkUint(m.capabilities, 0xffffffff, 'capabilities');
  checkUint(m.reserved, 0xffffffff, 'reserved');
  w.u64(m.datapathId).u32(m.nBuffers).u8(m.nTables).u8(m.auxiliaryId).u16(0).u32(m.capabilities).u32(m.reserved);
}

/** Reads a FEATURES_REPLY body. */
export function decodeFeaturesReply(r: Reader): MessageOf<'features_reply'> {
  const datapathId = r.u64();
  const nBuffers = r.u32();
  const nTables = r.u8();
  const auxiliaryId = r.u8();
  r.skip(2);
  const capabilities = r.u32();
  const reserved = r.u32();
  return { type: 'features_reply', datapathId, nBuffers, nTables, auxiliaryId, capabilities, reserved };
}

/** Writes a GET_CONFIG_REPLY / SET_CONFIG body (ofp_switch_config). */
export function encodeSwitchConfig(w: Writer, m: MessageOf<'get_config_reply'> | MessageOf<'set_config'>): void {
  checkUint(m.flags, 0xffff, 'config flags');
  checkUint(m.missSendLen, 0xffff, 'miss_send_len');
  w.u16(m.flags).u16(m.missSendLen);
}

/** Reads a GET_CONFIG_REPLY / SET_CONFIG body. */
export function decodeSwitchConfig<T extends 'get_config_reply' | 'set_config'>(r: Reader, type: T): MessageOf<T> {
  const flags = r.u16();
  const missSendLen = r.u16();
  return { type, flags, missSendLen } as MessageOf<T>;
}

