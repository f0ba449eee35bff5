/**
 * The Internet checksum (RFC 1071) and its incremental update (RFC 1624).
 *
 * Sums are 16-bit one's-complement sums carried as plain numbers; {@link onesComplementSum} can be chained through
 * its `initial` argument (e.g. pseudo-header, then header, then payload), and {@link finishChecksum} turns a sum into
 * the value stored on the wire. Pure functions, no allocation.
 */
import { XsiteError } from '../../core/errors';

/** Folds a 32-bit-or-wider accumulator into 16 bits with end-around carry. */
function fold(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return sum;
}

/**
 * One's-complement sum of the bytes `buf[start..end)` taken as big-endian 16-bit words (an odd trailing byte is
 * padded with a zero low byte), added to `initial`. Returns a folded 16-bit sum (not complemented).
 *
 * Note: chaining requires every chunk but the last to have an even length.
 */
export function onesComplementSum(buf: Uint8Array, start = 0, end = buf.length, initial = 0): number {
  let sum = initial;
  let i = start;
  const even = end - ((end - start) & 1);
  // Accumulate without folding: 2^53 / 0xffff leaves room for gigabytes of input.
  for (; i < even; i += 2) sum += (buf[i]! << 8) | buf[i + 1]!;
  if (i < end) sum += buf[i]! << 8;
  return fold(sum);
}

/** Turns a one's-complement sum into the checksum field value (its complement, 16 bits). */
export function finishChecksum(sum: number): number {
  return ~fold(sum) & 0xffff;
}

/** Internet checksum of `buf[start..end)` (with an optional `initial` partial sum, e.g. a pseudo-header). */
export function internetChecksum(buf: Uint8Array, start = 0, end = buf.length, initial = 0): number {
  return finishChecksum(onesComplementSum(buf, start, end, initial));
}

/**
 * Partial sum of the IPv4 pseudo-header (RFC 793/768): source and destination addresses read from `buf` at
 * `srcOffset`/`dstOffset` (4 bytes each), zero, `protocol` and the upper-layer `length`.
 */
export function ipv4PseudoHeaderSum(buf: Uint8Array, srcOffset: number, dstOffset: number, protocol: number, length: number): number {
  let sum = onesComplementSum(buf, srcOffset, srcOffset + 4, 0);
  sum = onesComplementSum(buf, dstOffset, dstOffset + 4, sum);
  return fold(sum + protocol + length);
}

/**
 * Partial sum of the IPv6 pseudo-header (RFC 8200 section 8.1): source and destination addresses read from `buf`
 * at `srcOffset`/`dstOffset` (16 bytes each), the 32-bit upper-layer `length` and the next header `protocol`.
 */
export function ipv6PseudoHeaderSum(buf: Uint8Array, srcOffset: number, dstOffset: number, protocol: number, length: number): number {
  let sum = onesComplementSum(buf, srcOffset, srcOffset + 16, 0);
  sum = onesComplementSum(buf, dstOffset, dstOffset + 16, sum);
  return fold(sum + Math.floor(length / 0x10000) + (length & 0xffff) + protocol);
}

/**
 * RFC 1624 eqn. 3 incremental update: the new checksum after one 16-bit word covered by checksum `oldChecksum`
 * changes from `oldWord` to `newWord`: HC' = ~(~HC + ~m + m').
 *
 * Like full recomputation it yields one of the two one's-complement zeros; it can differ from recomputation (0x0000
 * instead of 0xffff) only when the covered data sums to zero, i.e. is all zeros, which no IP header is.
 * For UDP the caller must keep a 0 checksum as 0 ("no checksum", IPv4 only) and store a computed 0 as 0xffff.
 */
export function checksumUpdate16(oldChecksum: number, oldWord: number, newWord: number): number {
  const sum = (~oldChecksum & 0xffff) + (~oldWord & 0xffff) + (newWord & 0xffff);
  return ~fold(sum) & 0xffff;
}

/** Incremental update for a 32-bit field (e.g. an IPv4 address or a TCP sequence number) changing value. */
export function checksumUpdate32(oldChecksum: number, oldValue: number, newValue: number): number {
  const sum =
    (~oldChecksum & 0xffff) +
    (~(oldValue >>> 16) & 0xffff) + (~oldValue & 0xffff) +
    ((newValue >>> 16) & 0xffff) + (newValue & 0xffff);
  return ~fold(sum) & 0xffff;
}

/**
 * Incremental update for a byte string changing (e.g. a 16-byte IPv6 address or a 6-byte MAC); `oldBytes` and
 * `newBytes` must have the same even length and start at an even offset of the checksummed data.
 */
export function checksumUpdateBytes(oldChecksum: number, oldBytes: Uint8Array, newBytes: Uint8Array): number {
  if (oldBytes.length !== newBytes.length || (oldBytes.length & 1) !== 0) {
    throw new XsiteError('BAD_ARGUMENT', 'checksumUpdateBytes: old and new must have the same even length');
  }
  let sum = ~oldChecksum & 0xffff;
  for (let i = 0; i < oldBytes.length; i += 2) {
    sum += (~((oldBytes[i]! << 8) | oldBytes[i + 1]!) & 0xffff) + ((newBytes[i]! << 8) | newBytes[i + 1]!);
  }
  return ~fold(sum) & 0xffff;
}
