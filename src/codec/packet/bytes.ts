/**
 * Internal byte-level helpers shared by the layer codecs: big-endian reads that never throw (callers bounds-check
 * first), and the decoding cursor.
 */

/** Decoding position: `pos` is where the next header starts, `end` is the end of the current layer's data. */
export interface Cursor {
  pos: number;
  end: number;
}

/** A shared zero-length Buffer for absent options and empty payloads (no allocation per packet). */
export const EMPTY: Buffer = Buffer.alloc(0);

/** Big-endian unsigned 16-bit read; the caller guarantees `o + 2 <= b.length`. */
export function u16(b: Buffer, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}

/** Big-endian unsigned 32-bit read; the caller guarantees `o + 4 <= b.length`. */
export function u32(b: Buffer, o: number): number {
  return b[o]! * 0x1000000 + ((b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!);
}

/** Big-endian 16-bit write (value masked to 16 bits). */
export function put16(b: Buffer, o: number, v: number): void {
  b[o] = (v >>> 8) & 0xff;
  b[o + 1] = v & 0xff;
}

/** Big-endian 32-bit write (value taken modulo 2^32). */
export function put32(b: Buffer, o: number, v: number): void {
  b[o] = (v >>> 24) & 0xff;
  b[o + 1] = (v >>> 16) & 0xff;
  b[o + 2] = (v >>> 8) & 0xff;
  b[o + 3] = v & 0xff;
}

/** A view of `b[start..end)` (empty views share {@link EMPTY}). */
export function view(b: Buffer, start: number, end: number): Buffer {
  return end > start ? b.subarray(start, end) : EMPTY;
}
