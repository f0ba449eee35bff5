/** ICMP for IPv4 (RFC 792): echo request/reply decoded, other types kept raw. */
import { type Cursor, u16, u32, put16, put32 } from './bytes';
import { HEADER_LEN, ICMP_TYPE } from './constants';
import { PacketBuildError, packetDecodeError } from './errors';
import type { IcmpMessage } from './types';

/** Decodes the 8-byte ICMP header at `cur.pos` and advances past it (the body becomes the packet payload). */
export function decodeIcmp(buf: Buffer, cur: Cursor): IcmpMessage {
  const o = cur.pos;
  if (cur.end - o < HEADER_LEN.ICMP) throw packetDecodeError('PKT_TRUNCATED', 'icmp', o, `need ${HEADER_LEN.ICMP} bytes, have ${cur.end - o}`);
  cur.pos = o + HEADER_LEN.ICMP;
  const type = buf[o]!;
  const code = buf[o + 1]!;
  const checksum = u16(buf, o + 2);
  if (type === ICMP_TYPE.ECHO_REQUEST || type === ICMP_TYPE.ECHO_REPLY) {
    return {
      kind: type === ICMP_TYPE.ECHO_REQUEST ? 'echo-request' : 'echo-reply',
      type,
      code,
      checksum,
      id: u16(buf, o + 4),
      seq: u16(buf, o + 6),
    };
  }
  return { kind: 'other', type, code, checksum, rest: u32(buf, o + 4) };
}

/**
 * An ICMP message to encode. For echoes (`type` implied by `kind`) `id`/`seq` fill the second
 * word, otherwise `rest` does [0]. The checksum is computed by `buildPacket` over header and payload.
 */
export type IcmpSpec =
  | { kind: 'echo-request' | 'echo-reply'; type?: number; code?: number; id: number; seq: number }
  | { kind: 'other'; type: number; code?: number; rest?: number };

/** Writes the 8-byte ICMP header at `off` with a zero checksum; returns the offset after it. */
export function encodeIcmp(buf: Buffer, off: number, spec: IcmpSpec): number {
  const code = spec.code ?? 0;
  let type: number;
  let rest: number;
  if (spec.kind !== 'other') {
    type = spec.type ?? (spec.kind === 'echo-request' ? ICMP_TYPE.ECHO_REQUEST : ICMP_TYPE.ECHO_REPLY);
    checkUint('id', spec.id, 0xffff);
    checkUint('seq', spec.seq, 0xffff);
    rest = spec.id * 0x10000 + spec.seq;
  } else {
    type = spec.type;
    rest = spec.rest ?? 0;
    checkUint('rest', rest, 0xffffffff);
  }
  checkUint('type', type, 255);
  checkUint('code', code, 255);
  buf[off] = type;
  buf[off + 1] = code;
  put16(buf, off + 2, 0);
  put32(buf, off + 4, rest);
  return off + HEADER_LEN.ICMP;
}

function checkUint(name: string, v: number, max: number): void {
  if (!Number.isInteger(v) || v < 0 || v > max) throw new PacketBuildError(`ICMP ${name} ${v} outside 0-${max}`);
}
