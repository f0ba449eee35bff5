import { OFPBRC, OFP_HEADER_LEN } from './constants';
import { OFPET, OfpDecodeError } from './errors';

/**
 * Splits an OpenFlow byte stream into whole messages using the ofp_header length field.
 *
 * `push(chunk)` returns the messages completed by `chunk`, in order. Messages lying wholly inside `chunk` are
 * returned as views of it (no copy); only a message split across chunks is copied, into a buffer of exactly its
 * length, so the framer never holds more than one (<= 65535-byte) message. A header length below 8 means framing is
 * lost: push throws an OfpDecodeError (OFP_FRAMING, OFPET_BAD_REQUEST / OFPBRC_BAD_LEN), and so does every later
 * push (the stream cannot be resynchronised).
 */
export class Framer {
  /** The message being reassembled (8 bytes until its header is complete, then its full length). */
  private partial: Buffer | null = null;
  private have = 0;
  private broken: OfpDecodeError | null = null;

  /** Bytes held for an incomplete message. */
  get buffered(): number {
    return this.have;
  }

  push(chunk: Buffer): Buffer[] {
    if (this.broken) throw this.broken;
    const out: Buffer[] = [];
    let off = 0;
    const n = chunk.length;
    if (this.partial !== null) {
      off = this.fill(chunk, 0);
      if (this.have < OFP_HEADER_LEN) return out;
      if (this.partial.length === OFP_HEADER_LEN) {
        const len = this.lengthOf(this.partial, 0);
        if (len > OFP_HEADER_LEN) {
          const full = Buffer.allocUnsafe(len);
          this.partial.copy(full, 0, 0, OFP_HEADER_LEN);
          this.partial = full;
          off = this.fill(chunk, off);
        }
      }
      if (this.have < this.partial.length) return out;
      out.push(this.partial);
      this.partial = null;
      this.have = 0;
    }
    while (n - off >= OFP_HEADER_LEN) {
      const len = this.lengthOf(chunk, off);
      if (n - off < len) break;
      out.push(chunk.subarray(off, off + len));
      off += len;
    }
    if (off < n) {
      const rest = n - off;
      const len = rest >= OFP_HEADER_LEN ? this.lengthOf(chunk, off) : OFP_HEADER_LEN;
      this.partial = Buffer.allocUnsafe(len);
      chunk.copy(this.partial, 0, off, n);
      this.have = rest;
    }
    return out;
  }

  /** Copies as much of chunk[off..] as the partial message still needs; returns the new offset. */
  private fill(chunk: Buffer, off: number): number {
    const p = this.partial!;
    const take = Math.min(p.length - this.have, chunk.length - off);
    chunk.copy(p, this.have, off, off + take);
    this.have += take;
    return off + take;
  }

  private lengthOf(buf: Buffer, off: number): number {
    const len = buf.readUInt16BE(off + 2);
    if (len < OFP_HEADER_LEN) {
      this.partial = null;
      this.have = 0;
      this.broken = new OfpDecodeError(
        'OFP_FRAMING',
        `message length ${len} is shorter than the OpenFlow header`,
        OFPET.BAD_REQUEST,
        OFPBRC.BAD_LEN,
        { length: len },
      );
      throw this.broken;
    }
    return len;
  }
}
