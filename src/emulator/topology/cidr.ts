/**
 * Address checks the topology needs on top of `src/core/addr.ts`: IP text of either family, CIDR prefixes,
 * containment and overlap, canonical forms. Each parser returns a problem text instead of throwing, so validation
 * can report every bad address at once.
 */
import { ipv4ToBytes, ipv6FromBytes, ipv6ToBytes, isIpv4, isIpv6, isMac, macToBytes } from '../../core/addr';

/** A parsed prefix: the network bytes (host bits zero) and the prefix length. */
export interface Cidr {
  family: 4 | 6;
  bytes: Uint8Array;
  prefix: number;
  /** Canonical text, e.g. `10.1.0.0/16`. */
  text: string;
}

/** A parsed address. */
export interface IpAddr {
  family: 4 | 6;
  bytes: Uint8Array;
  /** Canonical text. */
  text: string;
}

/** Parses IPv4 or IPv6 text; returns a problem text when invalid. */
export function parseIp(text: unknown): IpAddr | string {
  if (typeof text !== 'string') return 'expected an IP address as text';
  if (isIpv4(text)) return { family: 4, bytes: ipv4ToBytes(text), text };
  if (isIpv6(text)) {
    const bytes = ipv6ToBytes(text);
    return { family: 6, bytes, text: ipv6FromBytes(bytes) };
  }
  return `invalid IP address ${JSON.stringify(text)}`;
}

function maskHostBits(bytes: Uint8Array, prefix: number): Uint8Array {
  const out = Uint8Array.from(bytes);
  for (let i = 0; i < out.length; i++) {
    const keep = Math.max(0, Math.min(8, prefix - i * 8));
    out[i]! &= keep === 0 ? 0 : (0xff << (8 - keep)) & 0xff;
  }
  return out;
}

function bytesText(family: 4 | 6, bytes: Uint8Array): string {
  return family === 4 ? Array.from(bytes).join('.') : ipv6FromBytes(bytes);
}

/**
 * Parses `address/len` (either family). Host bits must be zero: `10.1.0.1/16` is refused with a suggestion of
 * `10.1.0.0/16`. Returns a problem text when invalid.
 */
export function parseCidr(text: unknown): Cidr | string {
  if (typeof text !== 'string') return 'expected a CIDR prefix as text, e.g. 10.1.0.0/16';
  const slash = text.indexOf('/');
  if (slash < 0) return `invalid CIDR ${JSON.stringify(text)}: missing /prefix-length`;
  const ip = parseIp(text.slice(0, slash));
  const lenText = text.slice(slash + 1);
  if (typeof ip === 'string') return `invalid CIDR ${JSON.stringify(text)}: ${ip}`;
  const max = ip.family === 4 ? 32 : 128;
  if (!/^(0|[1-9][0-9]{0,2})$/.test(lenText) || Number(lenText) > max) {
    return `invalid CIDR ${JSON.stringify(text)}: prefix length must be 0..${max}`;
  }
  const prefix = Number(lenText);
  const net = maskHostBits(ip.bytes, prefix);
  const canonical = `${bytesText(ip.family, net)}/${prefix}`;
  if (!net.every((b, i) => b === ip.bytes[i])) {
    return `invalid CIDR ${JSON.stringify(text)}: host bits set (did you mean "${canonical}"?)`;
  }
  return { family: ip.family, bytes: net, prefix, text: canonical };
}

/** Parses `a.b.c.d` or `a.b.c.d/len` (an interface address; host bits allowed). Returns a problem text when invalid. */
export function parseIfaceAddr(text: unknown): { ip: IpAddr; prefix?: number; text: string } | string {
  if (typeof text !== 'string') return 'expected an IP address as text';
  const slash = text.indexOf('/');
  const ip = parseIp(slash < 0 ? text : text.slice(0, slash));
  if (typeof ip === 'string') return ip;
  if (slash < 0) return { ip, text: ip.text };
  const lenText = text.slice(slash + 1);
  const max = ip.family === 4 ? 32 : 128;
  if (!/^(0|[1-9][0-9]{0,2})$/.test(lenText) || Number(lenText) > max) {
    return `invalid address ${JSON.stringify(text)}: prefix length must be 0..${max}`;
  }
  return { ip, prefix: Number(lenText), text: `${ip.text}/${lenText}` };
}

/** True when `ip` lies in `cidr`. */
export function cidrContains(cidr: Cidr, ip: IpAddr): boolean {
  if (cidr.family !== ip.family) return false;
  const masked = maskHostBits(ip.bytes, cidr.prefix);
  return masked.every((b, i) => b === cidr.bytes[i]);
}

/** True when two prefixes share an address. */
export function cidrsOverlap(x: Cidr, y: Cidr): boolean {
  if (x.family !== y.family) return false;
  const [short, long] = x.prefix <= y.prefix ? [x, y] : [y, x];
  return cidrContains(short, { family: long.family, bytes: long.bytes, text: long.text });
}

/** Checks MAC text and that it is unicast; returns the canonical (lowercase) form or a problem text. */
export function parseUnicastMac(text: unknown): { text: string } | string {
  if (typeof text !== 'string' || !isMac(text)) return `invalid MAC address ${JSON.stringify(text)}: expected aa:bb:cc:dd:ee:ff`;
  const bytes = macToBytes(text);
  if ((bytes[0]! & 1) !== 0) return `MAC ${text} is a multicast address; a NIC needs a unicast one`;
  return { text: text.toLowerCase() };
}
