/**
 * Address text <-> bytes for the OpenFlow codec: non-throwing adapters over src/core/addr.ts (the one
 * implementation), because the codec reports bad values as OfpEncodeError with its own code.
 */
import { ipv4FromBytes, ipv4FromNumber, ipv4ToNumber, ipv6FromBytes, macFromBytes, writeIpv6, writeMac } from '../../core/addr';

/** Parses "aa:bb:cc:dd:ee:ff" (either case) into out[off..off+6). Returns false if `s` is not a MAC address. */
export function parseMac(s: string, out: Uint8Array, off = 0): boolean {
  try {
    writeMac(s, out as Buffer, off);
    return true;
  } catch {
    return false;
  }
}

/** Lowercase MAC text of out[off..off+6). */
export const formatMac: (buf: Uint8Array, off?: number) => string = macFromBytes;

/** Parses a dotted-quad IPv4 address into an unsigned 32-bit number, or returns -1 if `s` is not one. */
export function parseIpv4(s: string): number {
  try {
    return ipv4ToNumber(s);
  } catch {
    return -1;
  }
}

/** Dotted-quad text of buf[off..off+4). */
export const formatIpv4: (buf: Uint8Array, off?: number) => string = ipv4FromBytes;

/** Dotted-quad text of an unsigned 32-bit number. */
export const formatIpv4Number: (v: number) => string = ipv4FromNumber;

/** Parses IPv6 text into out[off..off+16). Returns false if `s` is not an IPv6 address. */
export function parseIpv6(s: string, out: Uint8Array, off = 0): boolean {
  try {
    writeIpv6(s, out as Buffer, off);
    return true;
  } catch {
    return false;
  }
}

/** RFC 5952 text of buf[off..off+16). */
export const formatIpv6: (buf: Uint8Array, off?: number) => string = ipv6FromBytes;
