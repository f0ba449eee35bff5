/**
 * Mutation fuzzing of the OpenFlow 1.3 decoder. Every mutated message must either decode, or be rejected with an
 * OfpDecodeError (a typed error that maps to an OFPT_ERROR reply). Anything else (RangeError, TypeError, a hang, an
 * encoder that cannot re-encode what the decoder produced) counts as a crash.
 */
import { OfpDecodeError } from '../../src/codec/openflow/errors';
import { decodeMessage, encodeMessage } from '../../src/codec/openflow/message';
import { seededRandom } from '../../src/core/random';
import { fuzzCorpus } from './corpus';

export interface FuzzOptions {
  count: number;
  seed: number;
  /** Stop collecting examples after this many. */
  maxExamples?: number;
}

export interface FuzzResult {
  messages: number;
  decoded: number;
  rejected: number;
  crashes: number;
  /** Decoded messages whose re-encoding did not decode to the same message again. */
  unstable: number;
  errorCodes: Record<string, number>;
  examples: { hex: string; error: string }[];
  seconds: number;
}

/** The fuzzer's seeded PRNG. */
export const prng = seededRandom;

/** One mutation of a valid message: bit flips, byte overwrites, truncation, extension, length-field edits. */
export function mutate(src: Buffer, rnd: () => number): Buffer {
  const int = (n: number) => Math.floor(rnd() * n);
  let b = Buffer.from(src);
  const rounds = 1 + int(4);
  for (let r = 0; r < rounds; r++) {
    switch (int(8)) {
      case 0: // flip a bit
        if (b.length) b[int(b.length)]! ^= 1 << int(8);
        break;
      case 1: // overwrite a byte with an interesting value
        if (b.length) b[int(b.length)] = [0, 1, 0x7f, 0x80, 0xff, 8, 4, 16][int(8)]!;
        break;
      case 2: // truncate
        b = b.subarray(0, int(b.length + 1));
        break;
      case 3: // append junk
        b = Buffer.concat([b, Buffer.from(Array.from({ length: 1 + int(24) }, () => int(256)))]);
        break;
      case 4: // rewrite a 16-bit field that might be a length (aligned offsets hit TLV lengths)
        if (b.length >= 4) {
          const at = int(b.length - 1) & ~1;
          b.writeUInt16BE([0, 1, 4, 7, 8, 12, 0xfff8, 0xffff, int(65536)][int(9)]!, at);
        }
        break;
      case 5: // splice a slice of the message into itself
        if (b.length > 4) {
          const from = int(b.length);
          const len = int(b.length - from);
          const at = int(b.length);
          b = Buffer.concat([b.subarray(0, at), b.subarray(from, from + len), b.subarray(at)]);
        }
        break;
      case 6: // change the message type
        if (b.length >= 2) b[1] = int(40);
        break;
      default: // keep header length consistent with the buffer (so the body, not the framing, is exercised)
        break;
    }
  }
  // Most of the time make the header length agree with the buffer so decoding goes past the header check.
  if (b.length >= 4 && rnd() < 0.8) {
    b = Buffer.from(b.subarray(0, Math.min(b.length, 0xffff)));
    b.writeUInt16BE(b.length, 2);
  }
  if (b.length >= 1 && rnd() < 0.9) b[0] = 4;
  return b;
}

/** Runs `count` mutated messages through decode (and re-encode of what decodes). */
export function runFuzz(opts: FuzzOptions): FuzzResult {
  const rnd = prng(opts.seed);
  const corpus = fuzzCorpus().map((m) => encodeMessage(m, 0x1234));
  const res: FuzzResult = { messages: 0, decoded: 0, rejected: 0, crashes: 0, unstable: 0, errorCodes: {}, examples: [], seconds: 0 };
  const maxExamples = opts.maxExamples ?? 10;
  const t0 = performance.now();
  for (let i = 0; i < opts.count; i++) {
    const input = mutate(corpus[Math.floor(rnd() * corpus.length)]!, rnd);
    res.messages++;
    let stage = 'decode';
    try {
      const msg = decodeMessage(input);
      res.decoded++;
      stage = 're-encode';
      const again = encodeMessage(msg);
      stage = 're-decode';
      const msg2 = decodeMessage(again);
      stage = 'stability';
      const again2 = encodeMessage(msg2);
      if (!again.equals(again2)) {
        res.unstable++;
        if (res.examples.length < maxExamples) res.examples.push({ hex: input.toString('hex'), error: 'unstable re-encoding' });
      }
    } catch (e) {
      if (stage === 'decode' && e instanceof OfpDecodeError) {
        res.rejected++;
        res.errorCodes[e.code] = (res.errorCodes[e.code] ?? 0) + 1;
      } else {
        res.crashes++;
        if (res.examples.length < maxExamples) {
          res.examples.push({ hex: input.toString('hex'), error: `${stage}: ${(e as Error)?.name}: ${(e as Error)?.message}` });
        }
      }
    }
  }
  res.seconds = Math.round(performance.now() - t0) / 1000;
  return res;
}
