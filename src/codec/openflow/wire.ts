import { OfpDecodeError, OFPET } from './errors';

/** OFPBRC_BAD_LEN: the default answer when a peer's lengths do not add up. */
const BAD_REQUEST_BAD_LEN = 6;

/**
 * Bounds-checked big-endian reader over a window [pos, end) of a Buffer. Every read past `end` throws an
 * OfpDecodeError (never a RangeError from deep inside Node), so decoders never over-read or allocate from a length
 * they have not checked.
 */
export class Reader {
  pos: number;
  readonly end: number;

  constructor(
    readonly buf: Buffer,
    start = 0,
    end = buf.length,
    /** OFPT_ERROR type/code to report when this window is too short. */
    readonly errType: number = OFPET.BAD_REQUEST,
    readonly errCode: number = BAD_REQUEST_BAD_LEN,
  ) {
    this.pos = start;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  /** Throws unless `n` more bytes are available. */
  need(n: number, what = 'field'): void {
    if (n < 0 || this.pos + n > this.end) {
      throw new OfpDecodeError(
        'OFP_TRUNCATED',
        `truncated ${what}: need ${n} bytes at offset ${this.pos}, have ${this.end - this.pos}`,
        this.errType,
        this.errCode,
        { offset: this.pos, need: n, have: this.end - this.pos, what },
      );
    }
  }

  u8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }

  u16(): number {
    this.need(2);
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  u24(): number {
    this.need(3);
    const v = this.buf.readUIntBE(this.pos, 3);
    this.pos += 3;
    return v;
  }

  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  u64(): bigint {
    this.need(8);
    const v = this.buf.readBigUInt64BE(this.pos);
    this.pos += 8;
    return v;
  }

  /** A copy of the next n bytes (copies so decoded messages never alias a reused receive buffer). */
  bytes(n: number, what = 'bytes'): Buffer {
    this.need(n, what);
    const out = Buffer.from(this.buf.subarray(this.pos, this.pos + n));
    this.pos += n;
    return out;
  }

  /** A NUL-padded fixed-size string field. */
  str(n: number): string {
    this.need(n, 'string');
    const raw = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    const nul = raw.indexOf(0);
    return raw.toString('latin1', 0, nul === -1 ? n : nul);
  }

  skip(n: number, what = 'padding'): void {
    this.need(n, what);
    this.pos += n;
  }

  /** A reader over the next n bytes; this reader moves past them. */
  sub(n: number, what = 'element', errType = this.errType, errCode = this.errCode): Reader {
    this.need(n, what);
    const r = new Reader(this.buf, this.pos, this.pos + n, errType, errCode);
    this.pos += n;
    return r;
  }

  /** Peek a u16 at pos+offset without moving. */
  peekU16(offset = 0): number {
    this.need(offset + 2);
    return this.buf.readUInt16BE(this.pos + offset);
  }

  peekU32(offset = 0): number {
    this.need(offset + 4);
    return this.buf.readUInt32BE(this.pos + offset);
  }
}

/** Growable big-endian writer. */
export class Writer {
  private buf: Buffer;
  pos = 0;

  constructor(initial = 256) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  u8(v: number): this {
    this.ensure(1);
    this.buf[this.pos++] = v & 0xff;
    return this;
  }

  u16(v: number): this {
    this.ensure(2);
    this.buf.writeUInt16BE(v & 0xffff, this.pos);
    this.pos += 2;
    return this;
  }

  u24(v: number): this {
    this.ensure(3);
    this.buf.writeUIntBE(v & 0xffffff, this.pos, 3);
    this.pos += 3;
    return this;
  }

  u32(v: number): this {
    this.ensure(4);
    this.buf.writeUInt32BE(v >>> 0, this.pos);
    this.pos += 4;
    return this;
  }

  u64(v: bigint): this {
    this.ensure(8);
    this.buf.writeBigUInt64BE(BigInt.asUintN(64, v), this.pos);
    this.pos += 8;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    return this;
  }

  /** A fixed-size NUL-padded string field (truncated to n-1 bytes so it stays NUL-terminated). */
  str(s: string, n: number): this {
    this.ensure(n);
    this.buf.fill(0, this.pos, this.pos + n);
    this.buf.write(s.slice(0, n - 1), this.pos, n - 1, 'latin1');
    this.pos += n;
    return this;
  }

  zeros(n: number): this {
    this.ensure(n);
    this.buf.fill(0, this.pos, this.pos + n);
    this.pos += n;
    return this;
  }

  /** Zero-pad so that (pos - start) is a multiple of 8. */
  pad8(start: number): this {
    const rem = (this.pos - start) % 8;
    return rem === 0 ? this : this.zeros(8 - rem);
  }

  patchU16(at: number, v: number): void {
    this.buf.writeUInt16BE(v & 0xffff, at);
  }

  patchU32(at: number, v: number): void {
    this.buf.writeUInt32BE(v >>> 0, at);
  }

  /** The bytes written so far (a view; copy it if the writer is reused). */
  finish(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}
