/**
 * Naming of lab resources. Every lab has a prefix `xs` + 4 characters `[a-z0-9]`; every kernel-visible name it creates
 * in the root network namespace (network namespaces) starts with it, and its directory is `<root>/<prefix>`, so
 * leftovers can be found by prefix after a crash. Bridges and their ports live inside the lab's own switch namespace
 * (named exactly `<prefix>`) and the lab's private OVS database, so they carry the topology's names.
 */
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import type { Link, ValidTopology } from './topology';

/** What every xsite lab prefix starts with. */
export const XSITE_PREFIX = 'xs';

/** A lab prefix: `xs` + 4 characters. */
export const PREFIX_RE = /^xs[a-z0-9]{4}$/;

/** Directory under which labs keep their directories (or a symlink to a custom one): $XSITE_LAB_ROOT or /tmp/xsite-lab. */
export function labRoot(): string {
  return path.resolve(process.env.XSITE_LAB_ROOT ?? '/tmp/xsite-lab');
}

/** A fresh random prefix (`xs` + 4 characters). */
export function newPrefix(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(4);
  let s = XSITE_PREFIX;
  for (const b of bytes) s += alphabet[b % alphabet.length];
  return s;
}

/** True when a namespace/link/dir name belongs to a lab with `prefix` (or, without one, to any xsite lab). */
export function matchesPrefix(name: string, prefix?: string): boolean {
  if (prefix !== undefined) return name.startsWith(prefix);
  return /^xs[a-z0-9]{4}($|-)/.test(name);
}

/** The namespace that holds ovs-vswitchd, its bridges and their ports. */
export function switchNamespace(prefix: string): string {
  return prefix;
}

/** The namespace of a host. */
export function hostNamespace(prefix: string, host: string): string {
  return `${prefix}-${host}`;
}

/** The bridge-side port (a veth end in the switch namespace) of a host: `<bridge>-<host>` (at most 15 characters). */
export function hostPortName(bridge: string, host: string): string {
  return `${bridge}-${host}`;
}

/** The interface of a host inside its namespace. */
export const HOST_IFACE = 'eth0';

/**
 * The two port names of every link: `<a>-<b>` on bridge a and `<b>-<a>` on bridge b, with `-2`..`-9` appended for
 * further links between the same pair.
 */
export function linkPortNames(topology: Pick<ValidTopology, 'links'>): { a: string; b: string; link: Link }[] {
  const seen = new Map<string, number>();
  return topology.links.map((link) => {
    const key = [link.a, link.b].sort().join('\0');
    const n = (seen.get(key) ?? 0) + 1;
    seen.set(key, n);
    const sfx = n === 1 ? '' : `-${n}`;
    return { a: `${link.a}-${link.b}${sfx}`, b: `${link.b}-${link.a}${sfx}`, link };
  });
}
