/**
 * Address text <-> bytes helpers (MAC, IPv4, IPv6) written as plain loops: they sit on the packet_in/flow_mod hot
 * path, so no regexes, no splitting, no intermediate arrays for MAC and IPv4.
 */

/** "00".."ff" by byte value. */
const HEX2: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
/** Decimal text by byte value. */
const DEC: readonly string[] = Array.from({ length: 256 }, (_, i) => String(i));

/** Value of one hex digit char code, or -1. */
function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48; // 0-9
  if (c >= 97 && c <= 102) return c - 87; // a-f
  if (c >= 65 && c <= 70) return c - 55; // A-F
  return -1;
}

/**
 * Parses "aa:bb:cc:dd:ee:ff" (either case, ':' or '-' separators) into out[off..off+6). Returns false if `s` is not
 * a MAC address (out may then be partly written).
 */
export function parseMac(s: string, out: Uint8Array, off = 0): boolean {
  if (typeof s !== 'string' || s.length !== 17) return false;
  for (let i = 0; i < 6; i++) {
    const p = i * 3;
    const hi = hexVal(s.charCodeAt(p));
    const lo = hexVal(s.charCodeAt(p + 1));
    if (hi < 0 || lo < 0) return false;
    if (i < 5) {
      const sep = s.charCodeAt(p + 2);
      if (sep !== 58 && sep !== 45) return false;
    }
    out[off + i] = (hi << 4) | lo;
  }
  return true;
}

/** Formats 6 bytes at buf[off] as lower-case "aa:bb:cc:dd:ee:ff". */
export function formatMac(buf: Uint8Array, off = 0): string {
  return (
    HEX2[buf[off]!]! +
    ':' +
    HEX2[buf[off + 1]!]! +
    ':' +
    HEX2[buf[off + 2]!]! +
    ':' +
    HEX2[buf[off + 3]!]! +
    ':' +
    HEX2[buf[off + 4]!]! +
    ':' +
    HEX2[buf[off + 5]!]!
  );
}

/** Parses a dotted-quad IPv4 address into an unsigned 32-bit number, or returns -1 if `s` is not one. */
export function parseIpv4(s: string): number {
  if (typeof s !== 'string') return -1;
  return parseIpv4At(s, 0, s.length);
}

/** Parses s[start, end) as a dotted quad; -1 if invalid. Leading zeros are accepted ("010" is ten). */
function parseIpv4At(s: string, start: number, end: number): number {
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || dots === 3) return -1;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57) {
      octet = octet * 10 + (c - 48);
      if (++digits > 3 || octet > 255) return -1;
    } else {
      return -1;
    }
  }
  if (dots !== 3 || digits === 0) return -1;
  return value * 256 + octet;
}

/** Formats 4 bytes at buf[off] as a dotted quad. */
export function formatIpv4(buf: Uint8Array, off = 0): string {
  return DEC[buf[off]!]! + '.' + DEC[buf[off + 1]!]! + '.' + DEC[buf[off + 2]!]! + '.' + DEC[buf[off + 3]!]!;
}

/** Formats an unsigned 32-bit number as a dotted quad. */
export function formatIpv4Number(v: number): string {
  return DEC[(v >>> 24) & 0xff]! + '.' + DEC[(v >>> 16) & 0xff]! + '.' + DEC[(v >>> 8) & 0xff]! + '.' + DEC[v & 0xff]!;
}

/**
 * Parses IPv6 text (full, "::"-compressed, upper or lower case, optional trailing dotted quad) into
 * out[off..off+16). Returns false if `s` is not an IPv6 address. Zone ids ("%eth0") are rejected.
 */
export function parseIpv6(s: string, out: Uint8Array, off = 0): boolean {
  if (typeof s !== 'string' || s.length < 2 || s.length > 45) return false;
  const groups = new Array<number>(8);
  let n = 0; // groups parsed
  let gap = -1; // group index where "::" sits
  let i = 0;
  const len = s.length;
  if (s.charCodeAt(0) === 58) {
    if (s.charCodeAt(1) !== 58) return false;
    gap = 0;
    i = 2;
    if (i === len) {
      out.fill(0, off, off + 16);
      return true;
    }
  }
  while (i < len) {
    // One group: hex digits up to ':' or end, or a dotted quad as the last 32 bits.
    let j = i;
    let v = 0;
    let isV4 = false;
    while (j < len) {
      const c = s.charCodeAt(j);
      if (c === 58) break;
      if (c === 46) isV4 = true;
      j++;
    }
    if (isV4) {
      if (j !== len || n > 6) return false;
      const v4 = parseIpv4At(s, i, j);
      if (v4 < 0) return false;
      groups[n++] = Math.floor(v4 / 65536);
      groups[n++] = v4 & 0xffff;
      i = j;
      break;
    }
    if (j === i || j - i > 4 || n === 8) return false;
    for (let k = i; k < j; k++) {
      const h = hexVal(s.charCodeAt(k));
      if (h < 0) return false;
      v = (v << 4) | h;
    }
    groups[n++] = v;
    if (j === len) {
      i = j;
      break;
    }
    // s[j] is ':'
    if (s.charCodeAt(j + 1) === 58) {
      if (gap >= 0) return false;
      gap = n;
      i = j + 2;
    } else {
      i = j + 1;
      if (i === len) return false; // trailing single ':'
    }
  }
  if (gap < 0 ? n !== 8 : n > 7) return false;
  const fill = 8 - n;
  let g = 0;
  for (let k = 0; k < 8; k++) {
    let v: number;
    if (gap >= 0 && k >= gap && k < gap + fill) v = 0;
    else v = groups[g++]!;
    out[off + 2 * k] = v >> 8;
    out[off + 2 * k + 1] = v & 0xff;
  }
  return true;
}

/**
 * Formats 16 bytes at buf[off] as RFC 5952 text: lower case, no leading zeros, the longest run (first on a tie) of
 * two or more zero groups as "::", IPv4-mapped addresses as "::ffff:a.b.c.d".
 */
export function formatIpv6(buf: Uint8Array, off = 0): string {
  let bestStart = -1;
  let bestLen = 1; // runs must be >= 2 groups
  let runStart = -1;
  for (let k = 0; k < 8; k++) {
    const zero = buf[off + 2 * k] === 0 && buf[off + 2 * k + 1] === 0;
    if (zero) {
      if (runStart < 0) runStart = k;
      const runLen = k - runStart + 1;
      if (runLen > bestLen) {
        bestLen = runLen;
        bestStart = runStart;
      }
    } else {
      runStart = -1;
    }
  }
  if (bestStart === 0 && bestLen === 5 && buf[off + 10] === 0xff && buf[off + 11] === 0xff) {
    return '::ffff:' + formatIpv4(buf, off + 12);
  }
  let s = '';
  for (let k = 0; k < 8; k++) {
    if (k === bestStart) {
      s += k === 0 ? '::' : ':';
      k += bestLen - 1;
      continue;
    }
    s += ((buf[off + 2 * k]! << 8) | buf[off + 2 * k + 1]!).toString(16);
    if (k < 7) s += ':';
  }
  return s;
}
