/**
 * Plugging a QEMU tap into an Open vSwitch lab bridge the way OpenStack's "hybrid plug" does (os-vif `ovs` plugin
 * with a Linux bridge in between):
 *
 *   QEMU tap <tap>  ->  Linux bridge <qbr>  ->  veth <qvb> | <qvo>  ->  OVS bridge port <qvo> (ofport_request=N)
 *
 * Why not the tap straight on the bridge: the lab's bridges use the userspace (netdev) datapath, which reads a tap
 * port through its own tap fd; a tap QEMU also holds makes OVS read its own transmitted frames back, and MAC learning
 * flaps between the port and itself. Behind a veth pair OVS sees an ordinary AF_PACKET port, as for the namespaces'
 * veths (lab.ts). TX checksum offload is switched off on both veth ends (otherwise TCP fails through userspace OVS
 * while ping works), and IPv6 address generation is off on every interface of the plug, so the only frames that reach
 * OVS through it are the guest's.
 *
 * Everything lives inside the lab's switch namespace (the one that runs ovs-vswitchd, `lab.switchNamespace`): QEMU
 * must run there too (`ip netns exec <ns> qemu ...`) to open the tap by name. Interface names are
 * `<prefix><kind><id>` (at most 15 characters: a 6-character lab prefix, one kind letter, an id of up to 8 [a-z0-9])
 * with kinds `t` (tap), `q` (Linux bridge), `b` (veth end on the Linux bridge), `o` (veth end on OVS), so two labs,
 * or two plugs of one lab, never collide, and anything that leaked into the root namespace would carry the lab prefix
 * (leftovers.ts finds it).
 *
 * Cleanup: {@link unplugHybrid} removes the OVS port and the three links. The veth pair is also registered in the
 * lab's state file (as a `veth` resource, written before it is created), so `Lab.down(dir)` deletes it after a crash;
 * the tap and the Linux bridge are not representable there, but they live in the lab's switch namespace and are
 * destroyed with it when the lab is torn down (as is a QEMU left running in it: teardown kills every process of the
 * lab's namespaces).
 */
import { randomBytes } from 'node:crypto';
import { XsiteError } from '../core/errors';
import { run, sleep } from './exec';
import type { Lab } from './lab';
import { readState, writeState } from './state';

/** The interface names of one plug. */
export interface HybridPlugNames {
  /** The QEMU tap (OpenStack `tapXXX`). */
  tap: string;
  /** The Linux bridge (`qbrXXX`). */
  linuxBridge: string;
  /** The veth end enslaved to the Linux bridge (`qvbXXX`). */
  lbVeth: string;
  /** The veth end that is the OVS port (`qvoXXX`). */
  ovsVeth: string;
}

/** A hybrid plug that exists. */
export interface HybridPlug {
  /** The plug's id (the suffix of its interface names). */
  id: string;
  /** The namespace the interfaces (and ovs-vswitchd) live in. */
  netns: string;
  /** The OVS bridge and the ofport of the plug's port on it. */
  bridge: string;
  ofport: number;
  names: HybridPlugNames;
}

/** Options of {@link plugHybrid}. */
export interface HybridPlugOptions {
  /** The OVS bridge of the lab. */
  bridge: string;
  /** The OpenFlow port number the plug gets (`ofport_request`); checked after the transaction. */
  ofport: number;
  /** 1-8 characters [a-z0-9]; default random (4 characters). */
  id?: string;
  /**
   * A port of `bridge` removed in the same OVS transaction that adds the plug (e.g. the VM namespace's veth that the
   * plug replaces at the same ofport). Ignored when it does not exist.
   */
  replacePort?: string;
  /** Extra `external_ids` on the OVS Interface. */
  externalIds?: Record<string, string>;
  /** How long to wait for OVS to assign the ofport; default 3000 ms. */
  timeoutMs?: number;
}

const ID_RE = /^[a-z0-9]{1,8}$/;

/** The interface names of plug `id` in the lab with `prefix` (each at most 15 characters). */
export function hybridPlugNames(prefix: string, id: string): HybridPlugNames {
  if (!ID_RE.test(id)) throw new XsiteError('LAB_BAD_PLUG', `invalid hybrid plug id "${id}" (1-8 characters [a-z0-9])`, { id });
  const n = (k: string): string => `${prefix}${k}${id}`;
  const names = { tap: n('t'), linuxBridge: n('q'), lbVeth: n('b'), ovsVeth: n('o') };
  for (const v of Object.values(names)) {
    if (v.length > 15) throw new XsiteError('LAB_BAD_PLUG', `interface name ${v} longer than 15 characters`, { name: v });
  }
  return names;
}

/** A random plug id (4 characters [a-z0-9]). */
export function newPlugId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  let s = '';
  for (const b of randomBytes(4)) s += alphabet[b % alphabet.length];
  return s;
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Appends a veth resource to the lab's state file (so a crash teardown deletes it). Best effort. */
function registerVeth(lab: Lab, name: string, peer: string, netns: string): void {
  try {
    const st = readState(lab.dir);
    if (!st) return;
    if (st.resources.some((r) => r.kind === 'veth' && r.name === name && r.netns === netns)) return;
    st.resources.push({ kind: 'veth', name, peer, netns, peerNetns: netns });
    writeState(st);
  } catch {
    // The veth still dies with the lab's namespace.
  }
}

/** Names of the links that exist in namespace `ns`. */
async function linksIn(ns: string): Promise<Set<string>> {
  const r = await run('ip', ['-n', ns, '-o', 'link', 'show'], { allowFail: true });
  const out = new Set<string>();
  for (const l of r.stdout.split('\n')) {
    const m = /^\d+:\s+([^:@\s]+)/.exec(l);
    if (m) out.add(m[1]!);
  }
  return out;
}

/**
 * Creates a hybrid plug (tap, Linux bridge, veth pair) in the lab's switch namespace and adds its OVS end to `bridge`
 * at `ofport` (see the module comment). On failure everything created is removed again (and `replacePort`, when it
 * was removed, is put back) and the error rethrown (`LAB_PLUG_FAILED`, `LAB_COMMAND_FAILED`).
 */
export async function plugHybrid(lab: Lab, opts: HybridPlugOptions): Promise<HybridPlug> {
  const ns = lab.switchNamespace;
  let id = opts.id ?? newPlugId();
  let names = hybridPlugNames(lab.prefix, id);
  if (opts.id === undefined) {
    const existing = await linksIn(ns);
    for (let i = 0; i < 20 && Object.values(names).some((n) => existing.has(n)); i++) {
      id = newPlugId();
      names = hybridPlugNames(lab.prefix, id);
    }
  }
  const plug: HybridPlug = { id, netns: ns, bridge: opts.bridge, ofport: opts.ofport, names };
  const ip = (lines: string[]): Promise<unknown> => run('ip', ['-n', ns, '-batch', '-'], { input: `${lines.join('\n')}\n` });
  let replacedOfport: number | undefined;
  try {
    registerVeth(lab, names.ovsVeth, names.lbVeth, ns);
    await ip([
      `tuntap add dev ${names.tap} mode tap`,
      `link add name ${names.linuxBridge} type bridge`,
      `link add name ${names.lbVeth} type veth peer name ${names.ovsVeth}`,
      `link set dev ${names.tap} addrgenmode none`,
      `link set dev ${names.linuxBridge} addrgenmode none`,
      `link set dev ${names.lbVeth} addrgenmode none`,
      `link set dev ${names.ovsVeth} addrgenmode none`,
      `link set dev ${names.tap} master ${names.linuxBridge}`,
      `link set dev ${names.lbVeth} master ${names.linuxBridge}`,
    ]);
    await Promise.all(
      [names.lbVeth, names.ovsVeth].map((i) => run('ip', ['netns', 'exec', ns, 'ethtool', '-K', i, 'tx', 'off'])),
    );
    await ip([
      `link set dev ${names.linuxBridge} up`,
      `link set dev ${names.tap} up`,
      `link set dev ${names.lbVeth} up`,
      `link set dev ${names.ovsVeth} up`,
    ]);
    if (opts.replacePort) {
      const got = (await lab.vsctl('--if-exists', 'get', 'Interface', opts.replacePort, 'ofport').catch(() => '')).trim();
      replacedOfport = /^\d+$/.test(got) ? Number(got) : undefined;
    }
    const ext = Object.entries({ 'xsite-plug': 'hybrid', ...(opts.externalIds ?? {}) }).map(([k, v]) => `external_ids:${k}="${v.replace(/"/g, '')}"`);
    await lab.vsctl(
      ...(opts.replacePort ? ['--', '--if-exists', 'del-port', opts.bridge, opts.replacePort] : []),
      '--',
      'add-port',
      opts.bridge,
      names.ovsVeth,
      '--',
      'set',
      'Interface',
      names.ovsVeth,
      `ofport_request=${opts.ofport}`,
      ...ext,
    );
    const until = Date.now() + (opts.timeoutMs ?? 3000);
    for (;;) {
      const got = JSON.parse(await lab.vsctl('--format=json', '--columns=ofport,error', 'list', 'Interface', names.ovsVeth)) as { data: unknown[][] };
      const row = got.data[0];
      const ofport = typeof row?.[0] === 'number' ? row[0] : undefined;
      const error = typeof row?.[1] === 'string' && row[1] ? row[1] : undefined;
      if (ofport === opts.ofport) break;
      if (error || (ofport !== undefined && ofport !== 0 && ofport !== opts.ofport) || Date.now() > until) {
        throw new XsiteError(
          'LAB_PLUG_FAILED',
          `hybrid plug ${names.ovsVeth} on ${opts.bridge}: ofport ${String(ofport)}${error ? ` (${error})` : ''}, wanted ${opts.ofport}`,
          { bridge: opts.bridge, ofport: opts.ofport, got: ofport, error },
        );
      }
      await sleep(10);
    }
    return plug;
  } catch (e) {
    await unplugHybrid(lab, plug).catch(() => undefined);
    if (opts.replacePort && replacedOfport !== undefined) {
      await lab
        .vsctl('--may-exist', 'add-port', opts.bridge, opts.replacePort, '--', 'set', 'Interface', opts.replacePort, `ofport_request=${replacedOfport}`)
        .catch(() => undefined);
    }
    if (e instanceof XsiteError) throw e;
    throw new XsiteError('LAB_PLUG_FAILED', `hybrid plug on ${opts.bridge}:${opts.ofport} failed: ${errorText(e)}`, { bridge: opts.bridge, ofport: opts.ofport });
  }
}

/**
 * Removes a hybrid plug: its OVS port, the veth pair, the Linux bridge and the tap (stop the QEMU that uses the tap
 * first). Idempotent: what is already gone is skipped. Throws `LAB_PLUG_FAILED` when something could not be removed.
 */
export async function unplugHybrid(lab: Lab, plug: HybridPlug): Promise<void> {
  const errors: string[] = [];
  try {
    await lab.vsctl('--if-exists', 'del-port', plug.names.ovsVeth);
  } catch (e) {
    // No ovs-vswitchd / database any more (lab down): the port went with it.
    if (!lab.closed) errors.push(errorText(e));
  }
  const present = await linksIn(plug.netns);
  for (const name of [plug.names.ovsVeth, plug.names.linuxBridge, plug.names.tap]) {
    if (!present.has(name)) continue;
    const r = await run('ip', ['-n', plug.netns, 'link', 'del', 'dev', name], { allowFail: true });
    if (r.code !== 0 && !/Cannot find device|does not exist|No such device/i.test(r.stderr)) errors.push(`ip link del ${name}: ${r.stderr.trim()}`);
  }
  if (errors.length > 0) throw new XsiteError('LAB_PLUG_FAILED', `removing hybrid plug ${plug.id}: ${errors.join('; ')}`, { plug: plug.id, errors });
}

/** The kernel's RX/TX packet counters of `iface` in namespace `ns` (undefined when it does not exist). */
export async function linkCounters(ns: string, iface: string): Promise<{ rxPackets: number; txPackets: number } | undefined> {
  const r = await run('ip', ['-n', ns, '-s', '-j', 'link', 'show', 'dev', iface], { allowFail: true });
  if (r.code !== 0) return undefined;
  try {
    const j = JSON.parse(r.stdout) as { stats64?: { rx?: { packets?: number }; tx?: { packets?: number } } }[];
    const s = j[0]?.stats64;
    return { rxPackets: s?.rx?.packets ?? 0, txPackets: s?.tx?.packets ?? 0 };
  } catch {
    return undefined;
  }
}
