/** UDP header (RFC 768). */
import { type Cursor, u16, put16 } from './bytes';
import { HEADER_LEN } from './constants';
import { PacketBuildError, packetDecodeError } from './errors';
import type { UdpHeader } from './types';

/**
 * Decodes the UDP header at `cur.pos` and advances past it. Unless `firstFragment` (the length then covers the whole
 * datagram, not this fragment), the length is checked against `cur.end`, which is narrowed to the datagram's end.
 */
export function decodeUdp(buf: Buffer, cur: Cursor, firstFragment: boolean): UdpHeader {
  const o = cur.pos;
  if (cur.end - o < HEADER_LEN.UDP) throw packetDecodeError('PKT_TRUNCATED', 'udp', o, `need ${HEADER_LEN.UDP} bytes, have ${cur.end - o}`);
  const length = u16(buf, o + 4);
  if (length < HEADER_LEN.UDP) throw packetDecodeError('PKT_BAD_UDP_LENGTH', 'udp', o, `length ${length} below 8`);
  if (!firstFragment) {
    if (length > cur.end - o) throw packetDecodeError('PKT_BAD_UDP_LENGTH', 'udp', o, `length ${length}, IP payload has ${cur.end - o}`);
    cur.end = o + length;
  }
  cur.pos = o + HEADER_LEN.UDP;
  return { srcPort: u16(buf, o), dstPort: u16(buf, o + 2), length, checksum: u16(buf, o + 6) };
}

/** A UDP header to encode (length and checksum are computed by `buildPacket`). */
export interface UdpSpec {
  srcPort: number;
  dstPort: number;
}

/** Writes the UDP header at `off` for `length` bytes (header + data) with a zero checksum; returns the offset after it. */
export function encodeUdp(buf: Buffer, off: number, spec: UdpSpec, length: number): number {
  checkPort(spec.srcPort);
  checkPort(spec.dstPort);
  if (length > 0xffff) throw new PacketBuildError(`UDP datagram of ${length} bytes too long`);
  put16(buf, off, spec.srcPort);
  put16(buf, off + 2, spec.dstPort);
  put16(buf, off + 4, length);
  put16(buf, off + 6, 0);
  return off + HEADER_LEN.UDP;
}

/** Throws `PKT_BAD_SPEC` unless `port` is an integer 0-65535. */
export function checkPort(port: number): void {
  if (!Number.isInteger(port) || port < 0 || port > 0xffff) throw new PacketBuildError(`port ${port} outside 0-65535`);
}
