/**
 * A lab: a topology built on real Open vSwitch on this machine, torn down leaving nothing.
 *
 * Layout of a lab with prefix `xsab12` (see names.ts):
 * - directory `<root>/xsab12` (default root /tmp/xsite-lab; or a custom `dir`, then `<root>/xsab12` is a symlink to it)
 *   holding state.json, the private OVS database, sockets, pidfiles and logs;
 * - namespace `xsab12` (the "switch namespace") running our own ovs-vswitchd with the userspace datapath
 *   (`datapath_type=netdev`), so its tap devices (the `ovs-netdev` datapath port and one per bridge, which OVS makes
 *   persistent) never appear in, or collide with, the root namespace or another lab; ovsdb-server runs in the root
 *   namespace but is reachable only through its Unix socket in the lab directory;
 * - namespace `xsab12-<host>` per host with interface `eth0`, a veth whose other end `<bridge>-<host>` is a port of
 *   the bridge in the switch namespace;
 * - links between bridges are veth pairs `<a>-<b>` / `<b>-<a>` in the switch namespace. Veth pairs rather than OVS
 *   patch ports: packets cross them as on a wire (each bridge sees a real port with its own counters, in the netdev
 *   datapath patch ports are optimised into a single datapath action), and they can be captured with tcpdump;
 * - TX checksum offload is off on every veth end (through userspace OVS, TCP fails while ping works otherwise);
 * - bridges with a TCP controller target are pointed at `unix:<dir>/ctl-N.sock` served by a relay process in the root
 *   namespace (controller-relay.ts), since the switch namespace has its own loopback; a `unix:PATH` target outside the
 *   lab directory gets a symbolic link `<dir>/ctl-N.sock` to it (vswitchd connects only to sockets in its run
 *   directory), no relay.
 *
 * state.json lists every resource BEFORE it is created, so `Lab.down(dir)` cleans up even after a crash, and
 * {@link leftovers} / {@link removeLeftovers} find anything with the xsite prefix.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { XsiteError } from '../core/errors';
import { startRelay } from './controller-relay';
import { run, sleep, type RunOptions, type RunResult } from './exec';
import { HOST_IFACE, hostNamespace, hostPortName, labRoot, linkPortNames, newPrefix, PREFIX_RE, switchNamespace } from './names';
import { killAndWait, OvsDaemon } from './ovs-daemon';
import { deepenPortQueues, PORT_QUEUE_BYTES, type PortQueueReport } from './port-queues';
import { readState, writeState, type LabResource, type LabState } from './state';
import { teardown, listNamespaces, type TeardownReport } from './teardown';
import { toValidTopology, type Host, type Topology, type ValidTopology } from './topology';

export { leftovers, removeLeftovers, Leftover, type RemoveReport } from './leftovers';
export type { TeardownReport } from './teardown';

/** Options of {@link Lab.up}. */
export interface LabUpOptions {
  /** Lab directory (must not exist or be empty; keep it short: Unix socket paths live in it). Default `<root>/<prefix>`. */
  dir?: string;
  /** Use this prefix (`xs` + 4 characters [a-z0-9]) instead of a random one. */
  prefix?: string;
  /** Progress messages. */
  log?: (msg: string) => void;
}

/** Options of {@link Lab.ping}. */
export interface PingOptions {
  /** Echo requests per attempt. Default 1. */
  count?: number;
  /** Seconds to wait for each reply (`ping -W`). Default 2. */
  timeoutSec?: number;
  /** Further attempts after a failed one. Default 0. */
  retries?: number;
}

/** Result of {@link Lab.pingStats}. */
export interface PingStats {
  ok: boolean;
  transmitted: number;
  received: number;
  /** Average round-trip time in ms (undefined when nothing came back). */
  rttAvgMs: number | undefined;
  /** Attempts made (1 + retries used). */
  attempts: number;
  output: string;
}

/** Result of {@link Lab.dumpFlows}. */
export interface FlowDump {
  /** Number of flow entries. */
  count: number;
  /** One line per flow entry, as printed by ovs-ofctl (trimmed). */
  lines: string[];
}

/** Per-bridge status. */
export interface BridgeStatus {
  name: string;
  dpid: string;
  controller: string | null;
  connected: boolean | null;
  ports: number;
  flows: number | null;
}

/** Result of {@link Lab.status}. */
export interface LabStatus {
  name: string;
  prefix: string;
  dir: string;
  status: LabState['status'];
  daemons: { ovsdbServer: number | undefined; vswitchd: number | undefined };
  bridges: BridgeStatus[];
  hosts: { name: string; ip: string; mac: string; bridge: string; ofport: number; netns: string }[];
}

const MAX_DIR_LENGTH = 80;

/** A running lab. Create with {@link Lab.up}; attach to an existing one with {@link Lab.open}. */
export class Lab {
  /** Lab directory (absolute). */
  readonly dir: string;
  /** Resource prefix, e.g. `xsab12`. */
  readonly prefix: string;
  /** The validated topology. */
  readonly topology: ValidTopology;
  /** The private OVS. */
  readonly ovs: OvsDaemon;
  private readonly children = new Set<ChildProcess>();
  private isDown = false;

  private constructor(state: LabState) {
    this.dir = state.dir;
    this.prefix = state.prefix;
    this.topology = state.topology;
    this.ovs = OvsDaemon.attach(state.dir);
  }

  /**
   * Builds `topology` and returns the running lab. On failure everything created so far is removed and the error is
   * rethrown (`LAB_BAD_TOPOLOGY`, `LAB_BAD_DIR`, `LAB_MISSING_DEPENDENCY`, `LAB_COMMAND_FAILED`, `LAB_BUILD_FAILED`).
   */
  static async up(topology: Topology | ValidTopology, opts: LabUpOptions = {}): Promise<Lab> {
    const topo = toValidTopology(topology);
    const log = opts.log ?? (() => undefined);
    const root = labRoot();
    fs.mkdirSync(root, { recursive: true });
    const prefix = opts.prefix ?? (await freshPrefix(root));
    if (!PREFIX_RE.test(prefix)) throw new XsiteError('LAB_BAD_DIR', `invalid lab prefix "${prefix}" (expected xs + 4 characters [a-z0-9])`, { prefix });
    const dir = path.resolve(opts.dir ?? path.join(root, prefix));
    if (dir.length > MAX_DIR_LENGTH) throw new XsiteError('LAB_BAD_DIR', `lab directory path too long (max ${MAX_DIR_LENGTH}): ${dir}`, { dir });
    let created = true;
    if (fs.existsSync(dir)) {
      if (!fs.statSync(dir).isDirectory() || fs.readdirSync(dir).length > 0) {
        throw new XsiteError('LAB_BAD_DIR', `lab directory ${dir} exists and is not empty`, { dir });
      }
      created = false;
    }
    const registry = path.join(root, prefix);
    if (dir !== registry && fs.existsSync(registry)) throw new XsiteError('LAB_BAD_DIR', `prefix ${prefix} is in use (${registry})`, { prefix });
    fs.mkdirSync(dir, { recursive: true });
    const state: LabState = {
      version: 1,
      prefix,
      name: topo.name,
      dir,
      createdAt: new Date().toISOString(),
      pid: process.pid,
      status: 'building',
      topology: topo,
      resources: [{ kind: 'dir', path: dir, created }],
      controllers: {},
    };
    const record = (r: LabResource): void => {
      state.resources.push(r);
      writeState(state);
    };
    writeState(state);
    try {
      if (dir !== registry) {
        record({ kind: 'registry', path: registry });
        fs.symlinkSync(dir, registry);
      }
      await build(topo, state, record, log);
      state.status = 'up';
      writeState(state);
    } catch (e) {
      log(`build failed, tearing down: ${(e as Error).message}`);
      const detail = tail(path.join(dir, 'ovs-vswitchd.log'), 15);
      await teardown(dir).catch(() => undefined);
      if (e instanceof XsiteError && detail && e.code === 'LAB_COMMAND_FAILED') {
        throw new XsiteError(e.code, e.message, { ...e.details, vswitchdLogTail: detail });
      }
      throw e;
    }
    return new Lab(state);
  }

  /** Attaches to the lab running in `dir` (e.g. from another process). Throws `LAB_NOT_FOUND` without a state file. */
  static open(dir: string): Lab {
    const state = readState(path.resolve(dir));
    if (!state) throw new XsiteError('LAB_NOT_FOUND', `no lab state in ${path.resolve(dir)}`, { dir });
    return new Lab(state);
  }

  /**
   * Tears down the lab in `dir` using only its state file and pidfiles (works after a crash of the process that built
   * it). Idempotent. Throws `LAB_CLEANUP_FAILED` when something could not be removed.
   */
  static async down(dir: string): Promise<TeardownReport> {
    return teardown(dir);
  }

  /**
   * Gives every port of the lab's datapath a receive queue of {@link PORT_QUEUE_BYTES} (./port-queues.ts); `Lab.up`
   * does it for the ports it creates, call it again after adding ports. Throws `LAB_PORT_QUEUES_FAILED`.
   */
  deepenPortQueues(): Promise<PortQueueReport> {
    return deepenPortQueues(vswitchdPidOf(this.ovs));
  }

  /** Tears this lab down (also stopping processes started with {@link spawn}). Idempotent. */
  async down(): Promise<TeardownReport> {
    for (const c of this.children) if (c.pid !== undefined && c.exitCode === null && c.signalCode === null) await killAndWait(c.pid, 2000).catch(() => undefined);
    this.children.clear();
    this.isDown = true;
    return teardown(this.dir);
  }

  /** The validated host `name`. Throws `LAB_UNKNOWN_HOST`. */
  host(name: string): Host {
    const h = this.topology.hosts.find((x) => x.name === name);
    if (!h) throw new XsiteError('LAB_UNKNOWN_HOST', `no host "${name}" in lab ${this.topology.name}`, { host: name });
    return h;
  }

  /** The network namespace of host `name`. */
  namespace(host: string): string {
    return hostNamespace(this.prefix, this.host(host).name);
  }

  /** The namespace that runs ovs-vswitchd and holds the bridges. */
  get switchNamespace(): string {
    return switchNamespace(this.prefix);
  }

  private bridge(name: string): ValidTopology['bridges'][number] {
    const b = this.topology.bridges.find((x) => x.name === name);
    if (!b) throw new XsiteError('LAB_UNKNOWN_BRIDGE', `no bridge "${name}" in lab ${this.topology.name}`, { bridge: name });
    return b;
  }

  /**
   * Runs `cmd` inside host `host`'s namespace (`ip netns exec`). Throws `LAB_COMMAND_FAILED` on a non-zero exit
   * unless `opts.allowFail`.
   */
  async exec(host: string, cmd: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
    if (cmd.length === 0) throw new XsiteError('LAB_COMMAND_FAILED', 'empty command');
    return run('ip', ['netns', 'exec', this.namespace(host), ...cmd], opts);
  }

  /**
   * Starts `cmd` inside host `host`'s namespace and returns the child (not awaited). The lab kills it on `down()`;
   * processes left in lab namespaces after a crash are killed by `Lab.down(dir)`.
   */
  spawn(host: string, cmd: readonly string[], opts: SpawnOptions = {}): ChildProcess {
    if (cmd.length === 0) throw new XsiteError('LAB_COMMAND_FAILED', 'empty command');
    const child = spawn('ip', ['netns', 'exec', this.namespace(host), ...cmd], { stdio: 'pipe', ...opts });
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    return child;
  }

  /** Resolves a host name or an IPv4 address to an address. */
  private target(hostOrIp: string): string {
    const h = this.topology.hosts.find((x) => x.name === hostOrIp);
    if (h) return h.address;
    if (/^\d{1,3}(\.\d{1,3}){3}$/.test(hostOrIp)) return hostOrIp;
    throw new XsiteError('LAB_UNKNOWN_HOST', `"${hostOrIp}" is neither a host of lab ${this.topology.name} nor an IPv4 address`, { host: hostOrIp });
  }

  /** Pings `to` (host name or IPv4 address) from host `from`; true when at least one reply came back. */
  async ping(from: string, to: string, opts: PingOptions = {}): Promise<boolean> {
    return (await this.pingStats(from, to, opts)).ok;
  }

  /** {@link ping} with counts and the average round-trip time. */
  async pingStats(from: string, to: string, opts: PingOptions = {}): Promise<PingStats> {
    const count = opts.count ?? 1;
    const timeoutSec = opts.timeoutSec ?? 2;
    const attempts = 1 + (opts.retries ?? 0);
    const addr = this.target(to);
    let last: PingStats | undefined;
    for (let i = 1; i <= attempts; i++) {
      const r = await this.exec(from, ['ping', '-n', '-q', '-c', String(count), '-i', '0.2', '-W', String(timeoutSec), addr], {
        allowFail: true,
        timeoutMs: (count * 0.2 + timeoutSec + 5) * 1000,
      });
      const m = /(\d+) packets transmitted, (\d+) (?:packets )?received/.exec(r.stdout);
      const rtt = /= [\d.]+\/([\d.]+)\//.exec(r.stdout);
      const received = m ? Number(m[2]) : 0;
      last = {
        ok: received > 0,
        transmitted: m ? Number(m[1]) : 0,
        received,
        rttAvgMs: rtt ? Number(rtt[1]) : undefined,
        attempts: i,
        output: (r.stdout + r.stderr).trim(),
      };
      if (last.ok) break;
    }
    return last!;
  }

  /** Runs `ovs-vsctl` against this lab's database. */
  vsctl(...args: string[]): Promise<string> {
    return this.ovs.vsctl(...args);
  }

  /** Runs `ovs-ofctl -O <bridge protocols> <command> <bridge> args...` on a bridge of this lab. */
  ofctl(bridge: string, command: string, ...args: string[]): Promise<string> {
    return this.ovs.ofctlWith(this.bridge(bridge).protocols.join(','), bridge, command, ...args);
  }

  /** Runs `ovs-appctl` against this lab's ovs-vswitchd. */
  appctl(...args: string[]): Promise<string> {
    return this.ovs.appctl(...args);
  }

  /** The flow table of `bridge` (`ovs-ofctl dump-flows`), one line per entry. */
  async dumpFlows(bridge: string): Promise<FlowDump> {
    const out = await this.ofctl(bridge, 'dump-flows');
    const lines = out
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => /\bactions=/.test(l));
    return { count: lines.length, lines };
  }

  /**
   * Whether `bridge` is connected to its controller (OpenFlow HELLO exchanged), null when it has none. Read from the
   * last `rconn` line for the bridge in ovs-vswitchd's log, which is immediate, whereas the database column
   * Controller.is_connected is only refreshed every few seconds; falls back to that column without a log.
   */
  async isConnected(bridge: string): Promise<boolean | null> {
    const b = this.bridge(bridge);
    if (!b.controller) return null;
    let log: string | undefined;
    try {
      log = fs.readFileSync(this.ovs.paths.vswitchdLog, 'utf8');
    } catch {
      /* fall back to the database */
    }
    if (log !== undefined) {
      const marker = `|rconn|`;
      const who = `|${bridge}<->`;
      let last: string | undefined;
      for (const line of log.split('\n')) if (line.includes(marker) && line.includes(who)) last = line;
      if (last !== undefined) return /: connected$/.test(last.trimEnd());
      return false;
    }
    const ids = (await this.vsctl('get', 'Bridge', bridge, 'controller')).trim().replace(/^\[|\]$/g, '');
    for (const id of ids.split(',').map((x) => x.trim()).filter(Boolean)) {
      if ((await this.vsctl('get', 'Controller', id, 'is_connected')).trim() === 'true') return true;
    }
    return false;
  }

  /**
   * Waits until `bridge` is connected to its controller. Throws `LAB_TIMEOUT` after `timeoutMs` (default 10000) and
   * `LAB_NO_CONTROLLER` when the bridge has no controller.
   */
  async waitConnected(bridge: string, timeoutMs = 10000): Promise<void> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const c = await this.isConnected(bridge);
      if (c === null) throw new XsiteError('LAB_NO_CONTROLLER', `bridge ${bridge} has no controller`, { bridge });
      if (c) return;
      if (Date.now() >= end) throw new XsiteError('LAB_TIMEOUT', `bridge ${bridge} not connected to its controller after ${timeoutMs} ms`, { bridge, timeoutMs });
      await sleep(50);
    }
  }

  /** A summary: daemons, bridges (controller connection, ports, flow count) and hosts. */
  async status(): Promise<LabStatus> {
    const state = readState(this.dir);
    const daemons = this.ovs.pids();
    const bridges: BridgeStatus[] = [];
    for (const b of this.topology.bridges) {
      const ok = daemons.vswitchd !== undefined;
      const ports = ok ? (await this.vsctl('list-ports', b.name).catch(() => '')).split('\n').filter(Boolean).length : 0;
      bridges.push({
        name: b.name,
        dpid: b.dpid,
        controller: b.controller,
        connected: ok ? await this.isConnected(b.name).catch(() => null) : null,
        ports,
        flows: ok ? await this.dumpFlows(b.name).then((f) => f.count, () => null) : null,
      });
    }
    return {
      name: this.topology.name,
      prefix: this.prefix,
      dir: this.dir,
      status: state?.status ?? 'tearing-down',
      daemons,
      bridges,
      hosts: this.topology.hosts.map((h) => ({ name: h.name, ip: h.ip, mac: h.mac, bridge: h.bridge, ofport: h.ofport, netns: hostNamespace(this.prefix, h.name) })),
    };
  }

  /** True after {@link down} was called on this object. */
  get closed(): boolean {
    return this.isDown;
  }
}

async function freshPrefix(root: string): Promise<string> {
  const namespaces = new Set(await listNamespaces());
  for (let i = 0; i < 100; i++) {
    const p = newPrefix();
    if (!fs.existsSync(path.join(root, p)) && ![...namespaces].some((n) => n === p || n.startsWith(`${p}-`))) return p;
  }
  throw new XsiteError('LAB_BAD_DIR', 'could not find a free lab prefix');
}

/** The PID of the lab's ovs-vswitchd; `LAB_PORT_QUEUES_FAILED` when it does not run. */
function vswitchdPidOf(ovs: OvsDaemon): number {
  const pid = ovs.pids().vswitchd;
  if (pid === undefined) throw new XsiteError('LAB_PORT_QUEUES_FAILED', `no ovs-vswitchd of ours runs in ${ovs.paths.dir}`, { dir: ovs.paths.dir });
  return pid;
}

function tail(file: string, lines: number): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return undefined;
  }
}

/** `ip -n NS -batch -` with the given lines. */
async function ipBatch(ns: string, lines: string[]): Promise<void> {
  await run('ip', ['-n', ns, '-batch', '-'], { input: `${lines.join('\n')}\n` });
}

/** Disables TX checksum offload on `iface` in namespace `ns`. */
async function txOff(ns: string, iface: string): Promise<void> {
  await run('ip', ['netns', 'exec', ns, 'ethtool', '-K', iface, 'tx', 'off']);
}

async function build(topo: ValidTopology, state: LabState, record: (r: LabResource) => void, log: (m: string) => void): Promise<void> {
  const { prefix, dir } = state;
  const sw = switchNamespace(prefix);

  // Switch namespace and the private OVS.
  record({ kind: 'netns', name: sw });
  await run('ip', ['netns', 'add', sw]);
  await run('ip', ['-n', sw, 'link', 'set', 'lo', 'up']);
  record({ kind: 'ovs', dir, netns: sw });
  const ovs = await OvsDaemon.start(dir, { netns: sw });
  log(`ovsdb-server and ovs-vswitchd running in ${dir} (vswitchd in netns ${sw})`);

  // Controller relays: one per distinct TCP target.
  const targets = new Map<string, string>();
  let n = 0;
  for (const b of topo.bridges) {
    if (!b.controller) continue;
    if (b.controller.startsWith('unix:') && path.dirname(b.controller.slice(5)) !== dir) {
      // vswitchd connects only to Unix sockets in its run directory (anything else could be a remote exploit, it
      // says): a link there to the controller's socket.
      let local = targets.get(b.controller);
      if (!local) {
        n++;
        const link = path.join(dir, `ctl-${n}.sock`);
        fs.symlinkSync(path.resolve(b.controller.slice(5)), link);
        local = `unix:${link}`;
        targets.set(b.controller, local);
      }
      state.controllers[b.name] = local;
      continue;
    }
    if (!b.controller.startsWith('tcp:')) {
      state.controllers[b.name] = b.controller;
      continue;
    }
    let local = targets.get(b.controller);
    if (!local) {
      n++;
      const socket = path.join(dir, `ctl-${n}.sock`);
      const pidfile = path.join(dir, `relay-${n}.pid`);
      record({ kind: 'relay', pidfile, socket, target: b.controller });
      await startRelay(socket, b.controller, pidfile);
      local = `unix:${socket}`;
      targets.set(b.controller, local);
    }
    state.controllers[b.name] = local;
  }
  writeState(state);

  // Bridges: one transaction.
  const args: string[] = [];
  for (const b of topo.bridges) {
    record({ kind: 'bridge', name: b.name });
    args.push('--', 'add-br', b.name);
    args.push(
      '--',
      'set',
      'Bridge',
      b.name,
      'datapath_type=netdev',
      `protocols=${b.protocols.join(',')}`,
      `fail_mode=${b.failMode}`,
      `other_config:datapath-id=${b.dpid}`,
      'other_config:disable-in-band=true',
    );
    const target = state.controllers[b.name];
    if (target) {
      const id = `@c_${b.name}`;
      args.push('--', `--id=${id}`, 'create', 'Controller', `target="${target}"`, 'max_backoff=1000', 'connection_mode=out-of-band');
      args.push('--', 'set', 'Bridge', b.name, `controller=${id}`);
    }
  }
  await ovs.vsctl(...args);
  log(`bridges: ${topo.bridges.map((b) => b.name).join(', ')}`);

  // Hosts: namespace + veth (eth0 in the host, <bridge>-<host> in the switch namespace).
  const ports: { bridge: string; name: string; ofport: number }[] = [];
  for (const h of topo.hosts) {
    const ns = hostNamespace(prefix, h.name);
    const port = hostPortName(h.bridge, h.name);
    record({ kind: 'netns', name: ns });
    record({ kind: 'veth', name: port, peer: HOST_IFACE, netns: sw, peerNetns: ns });
    ports.push({ bridge: h.bridge, name: port, ofport: h.ofport });
  }
  await Promise.all(
    topo.hosts.map(async (h) => {
      const ns = hostNamespace(prefix, h.name);
      const port = hostPortName(h.bridge, h.name);
      await run('ip', ['netns', 'add', ns]);
      await run('ip', ['link', 'add', port, 'netns', sw, 'type', 'veth', 'peer', 'name', HOST_IFACE, 'netns', ns]);
      await ipBatch(ns, [
        'link set lo up',
        `link set ${HOST_IFACE} address ${h.mac}`,
        `addr add ${h.ip} dev ${HOST_IFACE}`,
        `link set ${HOST_IFACE} up`,
        ...(h.gateway ? [`route add default via ${h.gateway} dev ${HOST_IFACE}`] : []),
      ]);
      await txOff(ns, HOST_IFACE);
      await txOff(sw, port);
      await run('ip', ['-n', sw, 'link', 'set', port, 'up']);
    }),
  );

  // Links between bridges: veth pairs inside the switch namespace.
  const linkPorts = linkPortNames(topo);
  for (const l of linkPorts) {
    record({ kind: 'veth', name: l.a, peer: l.b, netns: sw, peerNetns: sw });
    await run('ip', ['-n', sw, 'link', 'add', l.a, 'type', 'veth', 'peer', 'name', l.b]);
    await Promise.all([txOff(sw, l.a), txOff(sw, l.b)]);
    await ipBatch(sw, [`link set ${l.a} up`, `link set ${l.b} up`]);
    ports.push({ bridge: l.link.a, name: l.a, ofport: l.link.ofportA }, { bridge: l.link.b, name: l.b, ofport: l.link.ofportB });
  }

  // All ports in one transaction, with the ofports we computed.
  if (ports.length > 0) {
    const pa: string[] = [];
    for (const p of ports) pa.push('--', 'add-port', p.bridge, p.name, '--', 'set', 'Interface', p.name, `ofport_request=${p.ofport}`);
    await ovs.vsctl(...pa);
    const got = JSON.parse(await ovs.vsctl('--format=json', '--columns=name,ofport,error', 'list', 'Interface')) as { data: unknown[][] };
    const byName = new Map(got.data.map((row) => [String(row[0]), row]));
    const problems: string[] = [];
    for (const p of ports) {
      const row = byName.get(p.name);
      const err = row?.[2];
      if (typeof err === 'string' && err) problems.push(`${p.name}: ${err}`);
      else if (row?.[1] !== p.ofport) problems.push(`${p.name}: ofport ${JSON.stringify(row?.[1])}, wanted ${p.ofport}`);
    }
    if (problems.length > 0) throw new XsiteError('LAB_BUILD_FAILED', `ports not set up as requested: ${problems.join('; ')}`, { problems });
    // Queues of a switch port's depth instead of the kernel's 208 KiB socket default (./port-queues.ts). Without
    // them the lab still works, with shallow queues (and it says so).
    try {
      const q = await deepenPortQueues(vswitchdPidOf(ovs));
      log(`port queues: ${q.deepened} of ${q.sockets} ports at ${PORT_QUEUE_BYTES >> 20} MiB`);
    } catch (e) {
      log(`warning: the ports keep the kernel's default receive queues (a busy vswitchd may drop frames): ${(e as Error).message}`);
    }
  }
  log(`hosts: ${topo.hosts.map((h) => h.name).join(', ')}; links: ${linkPorts.length}`);
}
