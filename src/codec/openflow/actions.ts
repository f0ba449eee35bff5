import { OFPAT, OFPBAC } from './constants';
import { OFPET } from './errors';
import { badValue, checkBytes, checkUint, decodeFail } from './fail';
import { decodeOxm, encodeOxm, SET_FIELD_OXM_ERRORS } from './oxm';
import type { Action } from './types';
import type { Reader, Writer } from './wire';

/** Most actions one list may hold; a longer list is rejected with OFPBAC_TOO_MANY. */
export const MAX_ACTIONS = 4096;

/** Actions whose body is 4 bytes of padding (total length 8). */
const BARE: Partial<Record<number, Action['type']>> = {
  [OFPAT.COPY_TTL_OUT]: 'copy_ttl_out',
  [OFPAT.COPY_TTL_IN]: 'copy_ttl_in',
  [OFPAT.DEC_MPLS_TTL]: 'dec_mpls_ttl',
  [OFPAT.POP_VLAN]: 'pop_vlan',
  [OFPAT.DEC_NW_TTL]: 'dec_nw_ttl',
  [OFPAT.POP_PBB]: 'pop_pbb',
};

function writeBare(w: Writer, type: number): void {
  w.u16(type).u16(8).u32(0);
}

function writeEthertype(w: Writer, type: number, ethertype: number): void {
  checkUint(ethertype, 0xffff, 'ethertype');
  w.u16(type).u16(8).u16(ethertype).u16(0);
}

function writeTtl(w: Writer, type: number, ttl: number): void {
  checkUint(ttl, 0xff, 'ttl');
  w.u16(type).u16(8).u8(ttl).u8(0).u16(0);
}

function writeU32(w: Writer, type: number, v: number, what: string): void {
  checkUint(v, 0xffffffff, what);
  w.u16(type).u16(8).u32(v);
}

/** Writes one action (ofp_action_*), padded as the specification lays it out. */
export function encodeAction(w: Writer, a: Action): void {
  switch (a.type) {
    case 'output':
      checkUint(a.port, 0xffffffff, 'output port');
      checkUint(a.maxLen, 0xffff, 'output max_len');
      w.u16(OFPAT.OUTPUT).u16(16).u32(a.port).u16(a.maxLen).zeros(6);
      return;
    case 'copy_ttl_out':
      return writeBare(w, OFPAT.COPY_TTL_OUT);
    case 'copy_ttl_in':
      return writeBare(w, OFPAT.COPY_TTL_IN);
    case 'set_mpls_ttl':
      return writeTtl(w, OFPAT.SET_MPLS_TTL, a.ttl);
    case 'dec_mpls_ttl':
      return writeBare(w, OFPAT.DEC_MPLS_TTL);
    case 'push_vlan':
      return writeEthertype(w, OFPAT.PUSH_VLAN, a.ethertype);
    case 'pop_vlan':
      return writeBare(w, OFPAT.POP_VLAN);
    case 'push_mpls':
      return writeEthertype(w, OFPAT.PUSH_MPLS, a.ethertype);
    case 'pop_mpls':
      return writeEthertype(w, OFPAT.POP_MPLS, a.ethertype);
    case 'set_queue':
      return writeU32(w, OFPAT.SET_QUEUE, a.queueId, 'queue id');
    case 'group':
      return writeU32(w, OFPAT.GROUP, a.groupId, 'group id');
    case 'set_nw_ttl':
      return writeTtl(w, OFPAT.SET_NW_TTL, a.ttl);
    case 'dec_nw_ttl':
      return writeBare(w, OFPAT.DEC_NW_TTL);
    case 'set_field': {
      const f = a.field;
      if ((f.field === 'raw' && f.hasMask) || (f.field !== 'raw' && f.mask !== undefined)) {
        badValue('set_field cannot carry a mask in OpenFlow 1.3');
      }
      const start = w.pos;
      w.u16(OFPAT.SET_FIELD).u16(0);
      encodeOxm(w, f);
      w.pad8(start);
      w.patchU16(start + 2, w.pos - start);
      return;
    }
    case 'push_pbb':
      return writeEthertype(w, OFPAT.PUSH_PBB, a.ethertype);
    case 'pop_pbb':
      return writeBare(w, OFPAT.POP_PBB);
    case 'experimenter': {
      checkUint(a.experimenter, 0xffffffff, 'experimenter id');
      checkBytes(a.data, 'experimenter action data');
      const start = w.pos;
      w.u16(OFPAT.EXPERIMENTER).u16(0).u32(a.experimenter).bytes(a.data);
      w.pad8(start);
      w.patchU16(start + 2, w.pos - start);
      return;
    }
    default:
      badValue(`unknown action type ${String((a as { type: unknown }).type)}`);
  }
}

/** Writes an action list (no length prefix; callers patch their own length fields). */
export function encodeActions(w: Writer, actions: readonly Action[]): void {
  if (actions.length > MAX_ACTIONS) badValue(`too many actions: ${actions.length} > ${MAX_ACTIONS}`);
  for (let i = 0; i < actions.length; i++) encodeAction(w, actions[i]!);
}

function badLen(type: number, len: number, offset: number): never {
  return decodeFail('OFP_BAD_ACTION_LENGTH', `action type ${type} has bad length ${len}`, OFPET.BAD_ACTION, OFPBAC.BAD_LEN, {
    actionType: type,
    len,
    offset,
  });
}

/** Reads one action; r is positioned at its header and has at least 8 bytes of a multiple-of-8 `len`. */
function decodeAction(r: Reader, type: number, len: number): Action {
  const buf = r.buf;
  const p = r.pos;
  const bare = BARE[type];
  if (bare !== undefined) {
    if (len !== 8) badLen(type, len, p);
    r.pos = p + 8;
    return { type: bare } as Action;
  }
  switch (type) {
    case OFPAT.OUTPUT:
      if (len !== 16) badLen(type, len, p);
      r.pos = p + 16;
      return { type: 'output', port: buf.readUInt32BE(p + 4), maxLen: buf.readUInt16BE(p + 8) };
    case OFPAT.SET_MPLS_TTL:
    case OFPAT.SET_NW_TTL:
      if (len !== 8) badLen(type, len, p);
      r.pos = p + 8;
      return { type: type === OFPAT.SET_MPLS_TTL ? 'set_mpls_ttl' : 'set_nw_ttl', ttl: buf[p + 4]! };
    case OFPAT.PUSH_VLAN:
    case OFPAT.PUSH_MPLS:
    case OFPAT.POP_MPLS:
    case OFPAT.PUSH_PBB: {
      if (len !== 8) badLen(type, len, p);
      r.pos = p + 8;
      const t = type === OFPAT.PUSH_VLAN ? 'push_vlan' : type === OFPAT.PUSH_MPLS ? 'push_mpls' : type === OFPAT.POP_MPLS ? 'pop_mpls' : 'push_pbb';
      return { type: t, ethertype: buf.readUInt16BE(p + 4) };
    }
    case OFPAT.SET_QUEUE:
      if (len !== 8) badLen(type, len, p);
      r.pos = p + 8;
      return { type: 'set_queue', queueId: buf.readUInt32BE(p + 4) };
    case OFPAT.GROUP:
      if (len !== 8) badLen(type, len, p);
      r.pos = p + 8;
      return { type: 'group', groupId: buf.readUInt32BE(p + 4) };
    case OFPAT.SET_FIELD: {
      const body = r.sub(len, 'set_field', OFPET.BAD_ACTION, OFPBAC.BAD_SET_LEN);
      body.pos = p + 4;
      const field = decodeOxm(body, SET_FIELD_OXM_ERRORS);
      if ((field.field === 'raw' && field.hasMask) || (field.field !== 'raw' && field.mask !== undefined)) {
        decodeFail('OFP_BAD_ACTION', 'set_field with a mask', OFPET.BAD_ACTION, OFPBAC.BAD_SET_ARGUMENT, { offset: p });
      }
      // 4 bytes of action header + the OXM, zero-padded to 8: any other length is malformed.
      if (((body.pos - p + 7) & ~7) !== len) badLen(type, len, p);
      return { type: 'set_field', field };
    }
    case OFPAT.EXPERIMENTER: {
      r.pos = p + 4;
      const experimenter = r.u32();
      return { type: 'experimenter', experimenter, data: r.bytes(len - 8) };
    }
    default:
      return decodeFail('OFP_BAD_ACTION', `unknown action type ${type}`, OFPET.BAD_ACTION, OFPBAC.BAD_TYPE, {
        actionType: type,
        offset: p,
      });
  }
}

/**
 * Reads an action list filling the whole window `r`. Errors (OFPET_BAD_ACTION): length not a multiple of 8, below
 * 8, beyond the window or wrong for the type -> OFPBAC_BAD_LEN; unknown type -> OFPBAC_BAD_TYPE; more than
 * MAX_ACTIONS -> OFPBAC_TOO_MANY; set_field OXM problems -> OFPBAC_BAD_SET_TYPE/LEN/ARGUMENT.
 */
export function decodeActions(r: Reader): Action[] {
  const out: Action[] = [];
  while (r.remaining > 0) {
    const p = r.pos;
    if (r.remaining < 8) badLen(-1, r.remaining, p);
    const type = r.buf.readUInt16BE(p);
    const len = r.buf.readUInt16BE(p + 2);
    if (len < 8 || (len & 7) !== 0 || len > r.remaining) badLen(type, len, p);
    if (out.length === MAX_ACTIONS) {
      decodeFail('OFP_TOO_MANY_ACTIONS', `more than ${MAX_ACTIONS} actions`, OFPET.BAD_ACTION, OFPBAC.TOO_MANY, { offset: p });
    }
    out.push(decodeAction(r, type, len));
    r.pos = p + len;
  }
  return out;
}
