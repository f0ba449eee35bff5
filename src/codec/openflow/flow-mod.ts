/** Body of FLOW_MOD (ofp_flow_mod): fixed part, match, instructions to the end of the message. */
import { OFPBIC } from './constants';
import { OFPET } from './errors';
import { checkU64, checkUint } from './fail';
import { decodeInstructions, encodeInstructions } from './instructions';
import { decodeMatch, encodeMatch } from './oxm';
import type { MessageOf } from './types';
import type { Reader, Writer } from './wire';

/** Writes a FLOW_MOD body. */
export function encodeFlowMod(w: Writer, m: MessageOf<'flow_mod'>): void {
  checkU64(m.cookie, 'cookie');
  checkU64(m.cookieMask, 'cookie_mask');
  checkUint(m.tableId, 0xff, 'table_id');
  checkUint(m.command, 0xff, 'command');
  checkUint(m.idleTimeout, 0xffff, 'idle_timeout');
  checkUint(m.hardTimeout, 0xffff, 'hard_timeout');
  checkUint(m.priority, 0xffff, 'priority');
  checkUint(m.bufferId, 0xffffffff, 'buffer_id');
  checkUint(m.outPort, 0xffffffff, 'out_port');
  checkUint(m.outGroup, 0xffffffff, 'out_group');
  checkUint(m.flags, 0xffff, 'flags');
  w.u64(m.cookie).u64(m.cookieMask).u8(m.tableId).u8(m.command);
  w.u16(m.idleTimeout).u16(m.hardTimeout).u16(m.priority);
  w.u32(m.bufferId).u32(m.outPort).u32(m.outGroup).u16(m.flags).u16(0);
  encodeMatch(w, m.match);
  encodeInstructions(w, m.instructions);
}

/** Reads a FLOW_MOD body. */
export function decodeFlowMod(r: Reader): MessageOf<'flow_mod'> {
  const cookie = r.u64();
  const cookieMask = r.u64();
  const tableId = r.u8();
  const command = r.u8();
  const idleTimeout = r.u16();
  const hardTimeout = r.u16();
  const priority = r.u16();
  const bufferId = r.u32();
  const outPort = r.u32();
  const outGroup = r.u32();
  const flags = r.u16();
  r.skip(2);
  const match = decodeMatch(r);
  const instructions = decodeInstructions(r.sub(r.remaining, 'instructions', OFPET.BAD_INSTRUCTION, OFPBIC.BAD_LEN));
  return {
    type: 'flow_mod',
    cookie,
    cookieMask,
    tableId,
    command,
    idleTimeout,
    hardTimeout,
    priority,
    bufferId,
    outPort,
    outGroup,
    flags,
    match,
    instructions,
  };
}
