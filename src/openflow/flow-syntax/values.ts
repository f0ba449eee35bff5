/**
 * Value syntax shared by match fields and actions, as ovs-ofctl writes it: integers (decimal or 0x hex), masked
 * integers `v/m`, MAC / IPv4 / IPv6 addresses with `/mask` or `/prefix`, and OpenFlow port numbers and names.
 * Parsers take the full text and the value's offset so errors point into the original input.
 *
 * Internally 48-bit MACs and 128-bit IPv6 addresses are bigints, so masking is plain bit arithmetic.
 */
import { ipv4FromNumber, ipv6FromBytes, ipv6ToBytes, isIpv4, isIpv6, isMac, macFromNumber, macToNumber } from '../../core/addr';
import { OFPP } from '../../codec/openflow/constants';
import { syntaxError } from './errors';

/** A value with its mask (all-ones mask = exact match). */
export interface Masked<T> {
  v: T;
  m: T;
}

/** Parses an unsigned integer (decimal or 0x hex) no larger than `max`. */
export function parseUint(text: string, pos: number, s: string, max: number, what: string): number {
  const n = parseBig(text, pos, s, BigInt(max), what);
  return Number(n);
}

/** Parses an unsigned integer (decimal or 0x hex) as a bigint no larger than `max`; `-1` means all ones. */
export function parseBig(text: string, pos: number, s: string, max: bigint, what: string, allowMinusOne = false): bigint {
  const t = s.trim();
  let v: bigint | undefined;
  if (allowMinusOne && t === '-1') return max;
  if (/^0[xX][0-9a-fA-F]+$/.test(t)) v = BigInt(t);
  else if (/^[0-9]+$/.test(t)) v = BigInt(t);
  if (v === undefined) throw syntaxError(text, pos, `bad ${what} "${s}"`, 'a decimal or 0x-prefixed hexadecimal integer');
  if (v > max) throw syntaxError(text, pos, `${what} "${s}" out of range`, `an integer from 0 to ${max}`);
  return v;
}

/** Splits `v/m` at the slash; the mask part is undefined without one. */
export function splitMask(s: string): { v: string; m: string | undefined; mOff: number } {
  const i = s.indexOf('/');
  return i < 0 ? { v: s, m: undefined, mOff: 0 } : { v: s.slice(0, i), m: s.slice(i + 1), mOff: i + 1 };
}

/** Parses `v` or `v/m` integers of `bits` bits; the value is masked like OVS does. */
export function parseMaskedUint(text: string, pos: number, s: string, bits: number, what: string, maskable: boolean): Masked<number> {
  const max = bits >= 32 ? 0xffffffff : 2 ** bits - 1;
  const { v, m, mOff } = splitMask(s);
  if (m !== undefined && !maskable) throw syntaxError(text, pos + mOff - 1, `${what} cannot be masked`, 'a plain value');
  const val = parseUint(text, pos, v, max, what);
  const mask = m === undefined ? max : parseUint(text, pos + mOff, m, max, `${what} mask`);
  return { v: Number((BigInt(val) & BigInt(mask))), m: mask };
}

/** Parses 64-bit `v` or `v/m` (metadata, tunnel id, cookie); `-1` as a mask means all ones. */
export function parseMaskedU64(text: string, pos: number, s: string, what: string): Masked<bigint> {
  const all = 0xffffffffffffffffn;
  const { v, m, mOff } = splitMask(s);
  const val = parseBig(text, pos, v, all, what);
  const mask = m === undefined ? all : parseBig(text, pos + mOff, m, all, `${what} mask`, true);
  return { v: val & mask, m: mask };
}

/** All-ones MAC as a 48-bit bigint. */
export const MAC_ALL = 0xffffffffffffn;

function macBig(text: string, pos: number, s: string): bigint {
  if (!isMac(s)) throw syntaxError(text, pos, `bad MAC address "${s}"`, 'a MAC address like 00:11:22:33:44:55');
  return BigInt(macToNumber(s));
}

/** Parses `mac` or `mac/mask`. */
export function parseMaskedMac(text: string, pos: number, s: string): Masked<bigint> {
  const { v, m, mOff } = splitMask(s);
  const val = macBig(text, pos, v);
  const mask = m === undefined ? MAC_ALL : macBig(text, pos + mOff, m);
  return { v: val & mask, m: mask };
}

/** Parses an exact MAC into its text form (lower case). */
export function parseMac(text: string, pos: number, s: string): string {
  return macFromNumber(Number(macBig(text, pos, s)));
}

/** MAC text of a 48-bit bigint. */
export function macText(v: bigint): string {
  return macFromNumber(Number(v));
}

function ipv4Num(text: string, pos: number, s: string): number {
  if (!isIpv4(s)) throw syntaxError(text, pos, `bad IPv4 address "${s}"`, 'a dotted-quad IPv4 address like 10.0.0.1');
  return ipv4ToU32(s);
}

function ipv4ToU32(s: string): number {
  return s.split('.').reduce((a, p) => a * 256 + Number(p), 0);
}

/** Parses `a.b.c.d`, `a.b.c.d/N` (CIDR) or `a.b.c.d/w.x.y.z`; the value is masked. */
export function parseMaskedIpv4(text: string, pos: number, s: string): Masked<number> {
  const { v, m, mOff } = splitMask(s);
  const val = ipv4Num(text, pos, v);
  let mask = 0xffffffff;
  if (m !== undefined) {
    if (/^[0-9]+$/.test(m)) {
      const bits = Number(m);
      if (bits > 32) throw syntaxError(text, pos + mOff, `bad IPv4 prefix length "/${m}"`, 'a prefix length from 0 to 32');
      mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
    } else {
      mask = ipv4Num(text, pos + mOff, m);
    }
  }
  return { v: (val & mask) >>> 0, m: mask };
}

/** Parses an exact IPv4 address into its canonical text. */
export function parseIpv4(text: string, pos: number, s: string): string {
  return ipv4FromNumber(ipv4Num(text, pos, s));
}

/** All-ones IPv6 mask. */
export const IPV6_ALL = (1n << 128n) - 1n;

function ipv6Big(text: string, pos: number, s: string): bigint {
  if (!isIpv6(s)) throw syntaxError(text, pos, `bad IPv6 address "${s}"`, 'an IPv6 address like 2001:db8::1');
  return BigInt(`0x${ipv6ToBytes(s).toString('hex')}`);
}

/** Canonical (RFC 5952) text of a 128-bit bigint. */
export function ipv6Text(v: bigint): string {
  return ipv6FromBytes(Buffer.from(v.toString(16).padStart(32, '0'), 'hex'));
}

/** Parses `addr`, `addr/N` or `addr/mask`; the value is masked. */
export function parseMaskedIpv6(text: string, pos: number, s: string): Masked<bigint> {
  const { v, m, mOff } = splitMask(s);
  const val = ipv6Big(text, pos, v);
  let mask = IPV6_ALL;
  if (m !== undefined) {
    if (/^[0-9]+$/.test(m)) {
      const bits = Number(m);
      if (bits > 128) throw syntaxError(text, pos + mOff, `bad IPv6 prefix length "/${m}"`, 'a prefix length from 0 to 128');
      mask = bits === 0 ? 0n : (IPV6_ALL << BigInt(128 - bits)) & IPV6_ALL;
    } else {
      mask = ipv6Big(text, pos + mOff, m);
    }
  }
  return { v: val & mask, m: mask };
}

/** Parses an exact IPv6 address into canonical text. */
export function parseIpv6(text: string, pos: number, s: string): string {
  return ipv6Text(ipv6Big(text, pos, s));
}

/** Reserved port names accepted in flow text (case-insensitive), with their OpenFlow 1.3 numbers. */
export const PORT_NAMES: Readonly<Record<string, number>> = {
  in_port: OFPP.IN_PORT,
  table: OFPP.TABLE,
  normal: OFPP.NORMAL,
  flood: OFPP.FLOOD,
  all: OFPP.ALL,
  controller: OFPP.CONTROLLER,
  local: OFPP.LOCAL,
  any: OFPP.ANY,
  none: OFPP.ANY,
};

/**
 * Parses a port like ovs-ofctl: a reserved name (any case), or a decimal number. OpenFlow 1.0 numbers 0xff00 to
 * 0xffff are translated to their OpenFlow 1.1+ values (65534 = LOCAL), numbers from 0x10000 up to 0xffffff00 are
 * outside what Open vSwitch supports, and 0xffffff00 and up are taken as they are. Hex is not accepted (OVS does
 * not either).
 */
export function parsePort(text: string, pos: number, s: string, what: string): number {
  const named = PORT_NAMES[s.toLowerCase()];
  if (named !== undefined) return named;
  if (!/^[0-9]+$/.test(s)) {
    throw syntaxError(text, pos, `bad ${what} "${s}"`, 'a decimal port number or one of IN_PORT, TABLE, NORMAL, FLOOD, ALL, CONTROLLER, LOCAL, ANY');
  }
  const n = Number(s);
  if (n < 0xff00) return n;
  if (n <= 0xffff) return n + 0xffff0000;
  if (n < OFPP.MAX || n > 0xffffffff) {
    throw syntaxError(text, pos, `${what} ${s} out of range`, 'a port from 0 to 65279, or 4294967040 to 4294967295');
  }
  return n;
}

const RESERVED_PORT_TEXT: ReadonlyMap<number, string> = new Map([
  [OFPP.IN_PORT, 'IN_PORT'],
  [OFPP.TABLE, 'TABLE'],
  [OFPP.NORMAL, 'NORMAL'],
  [OFPP.FLOOD, 'FLOOD'],
  [OFPP.ALL, 'ALL'],
  [OFPP.CONTROLLER, 'CONTROLLER'],
  [OFPP.LOCAL, 'LOCAL'],
  [OFPP.ANY, 'ANY'],
]);

/** Port as ovs-ofctl prints it: the upper-case name of a reserved port, else the decimal number. */
export function portText(port: number): string {
  return RESERVED_PORT_TEXT.get(port) ?? String(port);
}

/** `0x`-prefixed lower-case hex, except zero which prints as `0` (C's `%#x`). */
export function hexAlt(v: number | bigint): string {
  return v === 0 || v === 0n ? '0' : `0x${v.toString(16)}`;
}

/** `0x`-prefixed lower-case hex, zero-padded to `digits`. */
export function hexPad(v: number | bigint, digits: number): string {
  return `0x${v.toString(16).padStart(digits, '0')}`;
}

/** IPv4 `v/m` as OVS prints it: plain when exact, `/N` for a prefix mask, else `/a.b.c.d`. */
export function ipv4MaskedText(v: number, m: number): string {
  const addr = ipv4FromNumber((v & m) >>> 0);
  if (m === 0xffffffff) return addr;
  const inv = ~m >>> 0;
  if (((inv + 1) & inv) === 0) return `${addr}/${32 - bitLength(inv)}`;
  return `${addr}/${ipv4FromNumber(m)}`;
}

function bitLength(n: number): number {
  let b = 0;
  while (n > 0) {
    b++;
    n = Math.floor(n / 2);
  }
  return b;
}

/** IPv6 `v/m` as OVS prints it: plain when exact, `/N` for a prefix mask, else `/mask-address`. */
export function ipv6MaskedText(v: bigint, m: bigint): string {
  const addr = ipv6Text(v & m);
  if (m === IPV6_ALL) return addr;
  const inv = ~m & IPV6_ALL;
  if (((inv + 1n) & inv) === 0n) return `${addr}/${128 - inv.toString(2).replace(/^0+/, '').length}`;
  return `${addr}/${ipv6Text(m)}`;
}

/** MAC `v/m` as OVS prints it. */
export function macMaskedText(v: bigint, m: bigint): string {
  return m === MAC_ALL ? macText(v & m) : `${macText(v & m)}/${macText(m)}`;
}

/** Parses a MAC, IPv4 or IPv6 text into the bigint/number forms used by the match model. */
export function macToBig(mac: string): bigint {
  return BigInt(macToNumber(mac));
}

/** IPv6 text to bigint. */
export function ipv6ToBig(addr: string): bigint {
  return BigInt(`0x${ipv6ToBytes(addr).toString('hex')}`);
}

/** IPv4 text to unsigned 32-bit number. */
export function ipv4ToNum(addr: string): number {
  return ipv4ToU32(addr);
}
