/** TCP header (RFC 9293): ports, sequence numbers, flags, window, raw options. */
import { type Cursor, u16, u32, put16, put32, view } from './bytes';
import { HEADER_LEN } from './constants';
import { PacketBuildError, packetDecodeError } from './errors';
import type { TcpHeader } from './types';
import { checkPort } from './udp';

/** Decodes the TCP header at `cur.pos` (options included) and advances past it. */
export function decodeTcp(buf: Buffer, cur: Cursor): TcpHeader {
  const o = cur.pos;
  const avail = cur.end - o;
  if (avail < HEADER_LEN.TCP_MIN) throw packetDecodeError('PKT_TRUNCATED', 'tcp', o, `need ${HEADER_LEN.TCP_MIN} bytes, have ${avail}`);
  const b12 = buf[o + 12]!;
  const headerLength = (b12 >>> 4) * 4;
  if (headerLength < HEADER_LEN.TCP_MIN) throw packetDecodeError('PKT_BAD_TCP_OFFSET', 'tcp', o, `data offset ${b12 >>> 4} below 5`);
  if (headerLength > avail) throw packetDecodeError('PKT_TRUNCATED', 'tcp', o, `header of ${headerLength} bytes, have ${avail}`);
  cur.pos = o + headerLength;
  return {
    srcPort: u16(buf, o),
    dstPort: u16(buf, o + 2),
    seq: u32(buf, o + 4),
    ack: u32(buf, o + 8),
    headerLength,
    flags: ((b12 & 1) << 8) | buf[o + 13]!,
    window: u16(buf, o + 14),
    checksum: u16(buf, o + 16),
    urgentPointer: u16(buf, o + 18),
    options: view(buf, o + HEADER_LEN.TCP_MIN, o + headerLength),
  };
}

/** A TCP header to encode; unset fields are 0 (options empty). The checksum is computed by `buildPacket`. */
export interface TcpSpec {
  srcPort: number;
  dstPort: number;
  seq?: number;
  ack?: number;
  /** See `TCP_FLAGS`. */
  flags?: number;
  window?: number;
  urgentPointer?: number;
  /** Raw options, a multiple of 4 bytes up to 40 (pad with NOP/EOL yourself). */
  options?: Buffer;
}

/** Length of the TCP header `spec` encodes to. */
export function tcpHeaderLength(spec: TcpSpec): number {
  const n = spec.options?.length ?? 0;
  if (n % 4 !== 0 || n > 40) throw new PacketBuildError(`TCP options length ${n} not a multiple of 4 up to 40`);
  return HEADER_LEN.TCP_MIN + n;
}

function checkUint(name: string, v: number, max: number): void {
  if (!Number.isInteger(v) || v < 0 || v > max) throw new PacketBuildError(`TCP ${name} ${v} outside 0-${max}`);
}

/** Writes the TCP header at `off` with a zero checksum; returns the offset after it. */
export function encodeTcp(buf: Buffer, off: number, spec: TcpSpec): number {
  const hl = tcpHeaderLength(spec);
  const seq = spec.seq ?? 0;
  const ack = spec.ack ?? 0;
  const flags = spec.flags ?? 0;
  const window = spec.window ?? 0;
  const urg = spec.urgentPointer ?? 0;
  checkPort(spec.srcPort);
  checkPort(spec.dstPort);
  checkUint('seq', seq, 0xffffffff);
  checkUint('ack', ack, 0xffffffff);
  checkUint('flags', flags, 0x1ff);
  checkUint('window', window, 0xffff);
  checkUint('urgent pointer', urg, 0xffff);
  put16(buf, off, spec.srcPort);
  put16(buf, off + 2, spec.dstPort);
  put32(buf, off + 4, seq);
  put32(buf, off + 8, ack);
  buf[off + 12] = ((hl / 4) << 4) | (flags >>> 8);
  buf[off + 13] = flags & 0xff;
  put16(buf, off + 14, window);
  put16(buf, off + 16, 0);
  put16(buf, off + 18, urg);
  if (spec.options && spec.options.length > 0) spec.options.copy(buf, off + HEADER_LEN.TCP_MIN);
  return off + hl;
}
