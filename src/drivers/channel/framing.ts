import { XsiteError } from '../../core/errors';
import { DEFAULT_MAX_FRAME_BYTES } from '../../ports/control-channel';

/** Bytes of the length prefix. */
export const FRAME_HEADER_BYTES = 4;

/** Prefixes `payload` with its 4-byte big-endian length. Throws CHANNEL_BAD_FRAME when it is empty or too large. */
export function encodeFrame(payload: Buffer, maxFrameBytes = DEFAULT_MAX_FRAME_BYTES): Buffer {
  if (payload.length === 0 || payload.length > maxFrameBytes) {
    throw new XsiteError('CHANNEL_BAD_FRAME', `frame of ${payload.length} bytes (allowed 1..${maxFrameBytes})`, {
      length: payload.length,
      max: maxFrameBytes,
    });
  }
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.length);
  out.writeUInt32BE(payload.length, 0);
  payload.copy(out, FRAME_HEADER_BYTES);
  return out;
}

/**
 * Splits a byte stream into frames (4-byte big-endian length + payload). Chunks are kept as a list and joined only
 * once a whole frame is there, so a large frame arriving in many chunks is copied once. A length of 0 or above the
 * maximum throws CHANNEL_BAD_FRAME as soon as the header is seen (nothing of an oversized frame is buffered); after
 * that the decoder must not be used any more (the stream lost its framing).
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private size = 0;
  /** Total bytes (header + payload) of the frame being assembled, once its header is known. */
  private need: number | undefined;
  private failed = false;

  constructor(readonly maxFrameBytes = DEFAULT_MAX_FRAME_BYTES) {}

  /** Bytes received and not yet returned as a frame. */
  get buffered(): number {
    return this.size;
  }

  /** Adds received bytes; returns every frame payload completed by them, in order. */
  push(chunk: Buffer): Buffer[] {
    if (this.failed) throw new XsiteError('CHANNEL_BAD_FRAME', 'frame decoder used after a framing error');
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.size += chunk.length;
    }
    const out: Buffer[] = [];
    for (;;) {
      if (this.need === undefined) {
        if (this.size < FRAME_HEADER_BYTES) break;
        const len = this.head().readUInt32BE(0);
        if (len === 0 || len > this.maxFrameBytes) {
          this.failed = true;
          throw new XsiteError('CHANNEL_BAD_FRAME', `bad frame length ${len} (allowed 1..${this.maxFrameBytes})`, {
            length: len,
            max: this.maxFrameBytes,
          });
        }
        this.need = FRAME_HEADER_BYTES + len;
      }
      if (this.size < this.need) break;
      const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.size);
      out.push(all.subarray(FRAME_HEADER_BYTES, this.need));
      const rest = all.subarray(this.need);
      this.chunks = rest.length > 0 ? [rest] : [];
      this.size = rest.length;
      this.need = undefined;
    }
    return out;
  }

  /** The first chunk, joined with the following ones until it holds at least the header. */
  private head(): Buffer {
    if (this.chunks[0]!.length < FRAME_HEADER_BYTES) {
      const all = Buffer.concat(this.chunks, this.size);
      this.chunks = [all];
    }
    return this.chunks[0]!;
  }
}
