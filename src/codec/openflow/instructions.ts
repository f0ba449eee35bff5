import { decodeActions, encodeActions } from './actions';
import { OFPBAC, OFPBIC, OFPIT } from './constants';
import { OFPET } from './errors';
import { badValue, checkBytes, checkU64, checkUint, decodeFail } from './fail';
import type { Instruction } from './types';
import type { Reader, Writer } from './wire';

/** Writes one instruction (ofp_instruction_*). */
export function encodeInstruction(w: Writer, ins: Instruction): void {
  switch (ins.type) {
    case 'goto_table':
      checkUint(ins.tableId, 0xff, 'goto_table table id');
      w.u16(OFPIT.GOTO_TABLE).u16(8).u8(ins.tableId).zeros(3);
      return;
    case 'write_metadata':
      checkU64(ins.metadata, 'write_metadata metadata');
      checkU64(ins.mask, 'write_metadata mask');
      w.u16(OFPIT.WRITE_METADATA).u16(24).u32(0).u64(ins.metadata).u64(ins.mask);
      return;
    case 'write_actions':
    case 'apply_actions': {
      const start = w.pos;
      w.u16(ins.type === 'write_actions' ? OFPIT.WRITE_ACTIONS : OFPIT.APPLY_ACTIONS).u16(0).u32(0);
      encodeActions(w, ins.actions);
      const len = w.pos - start;
      if (len > 0xffff) badValue(`${ins.type} instruction too long (${len} bytes)`);
      w.patchU16(start + 2, len);
      return;
    }
    case 'clear_actions':
      w.u16(OFPIT.CLEAR_ACTIONS).u16(8).u32(0);
      return;
    case 'meter':
      checkUint(ins.meterId, 0xffffffff, 'meter id');
      w.u16(OFPIT.METER).u16(8).u32(ins.meterId);
      return;
    case 'experimenter': {
      checkUint(ins.experimenter, 0xffffffff, 'experimenter id');
      checkBytes(ins.data, 'experimenter instruction data');
      const start = w.pos;
      w.u16(OFPIT.EXPERIMENTER).u16(0).u32(ins.experimenter).bytes(ins.data);
      w.pad8(start);
      w.patchU16(start + 2, w.pos - start);
      return;
    }
    default:
      badValue(`unknown instruction type ${String((ins as { type: unknown }).type)}`);
  }
}

/** Writes an instruction list (no length prefix). */
export function encodeInstructions(w: Writer, list: readonly Instruction[]): void {
  for (let i = 0; i < list.length; i++) encodeInstruction(w, list[i]!);
}

function badLen(type: number, len: number, offset: number): never {
  return decodeFail(
    'OFP_BAD_INSTRUCTION_LENGTH',
    `instruction type ${type} has bad length ${len}`,
    OFPET.BAD_INSTRUCTION,
    OFPBIC.BAD_LEN,
    { instructionType: type, len, offset },
  );
}

/** Most instructions one list may hold (each standard type once, plus experimenter instructions). */
export const MAX_INSTRUCTIONS = 256;

/**
 * Reads an instruction list filling the whole window `r`. Errors (OFPET_BAD_INSTRUCTION): bad length ->
 * OFPBIC_BAD_LEN; unknown type -> OFPBIC_UNKNOWN_INST; a standard type twice -> OFPBIC_DUP_INST; action lists inside
 * report OFPET_BAD_ACTION errors.
 */
export function decodeInstructions(r: Reader): Instruction[] {
  const out: Instruction[] = [];
  const buf = r.buf;
  let seen = 0;
  while (r.remaining > 0) {
    const p = r.pos;
    if (r.remaining < 8) badLen(-1, r.remaining, p);
    const type = buf.readUInt16BE(p);
    const len = buf.readUInt16BE(p + 2);
    if (len < 8 || (len & 7) !== 0 || len > r.remaining) badLen(type, len, p);
    if (type >= OFPIT.GOTO_TABLE && type <= OFPIT.METER) {
      if ((seen & (1 << type)) !== 0) {
        decodeFail('OFP_DUP_INSTRUCTION', `instruction type ${type} appears twice`, OFPET.BAD_INSTRUCTION, OFPBIC.DUP_INST, {
          instructionType: type,
          offset: p,
        });
      }
      seen |= 1 << type;
    }
    if (out.length === MAX_INSTRUCTIONS) badLen(type, len, p);
    let ins: Instruction;
    switch (type) {
      case OFPIT.GOTO_TABLE:
        if (len !== 8) badLen(type, len, p);
        ins = { type: 'goto_table', tableId: buf[p + 4]! };
        break;
      case OFPIT.WRITE_METADATA:
        if (len !== 24) badLen(type, len, p);
        ins = { type: 'write_metadata', metadata: buf.readBigUInt64BE(p + 8), mask: buf.readBigUInt64BE(p + 16) };
        break;
      case OFPIT.WRITE_ACTIONS:
      case OFPIT.APPLY_ACTIONS: {
        r.pos = p + 8;
        const actions = decodeActions(r.sub(len - 8, 'actions', OFPET.BAD_ACTION, OFPBAC.BAD_LEN));
        ins = { type: type === OFPIT.WRITE_ACTIONS ? 'write_actions' : 'apply_actions', actions };
        break;
      }
      case OFPIT.CLEAR_ACTIONS:
        if (len !== 8) badLen(type, len, p);
        ins = { type: 'clear_actions' };
        break;
      case OFPIT.METER:
        if (len !== 8) badLen(type, len, p);
        ins = { type: 'meter', meterId: buf.readUInt32BE(p + 4) };
        break;
      case OFPIT.EXPERIMENTER:
        r.pos = p + 8;
        ins = { type: 'experimenter', experimenter: buf.readUInt32BE(p + 4), data: r.bytes(len - 8) };
        break;
      default:
        return decodeFail('OFP_BAD_INSTRUCTION', `unknown instruction type ${type}`, OFPET.BAD_INSTRUCTION, OFPBIC.UNKNOWN_INST, {
          instructionType: type,
          offset: p,
        });
    }
    out.push(ins);
    r.pos = p + len;
  }
  return out;
}
