/**
 * A private Open vSwitch: our own `ovsdb-server` and `ovs-vswitchd` (userspace datapath, no kernel module needed)
 * whose database, sockets, logs and pidfiles all live in one directory. Nothing here reads or writes the system-wide
 * OVS (/var/run/openvswitch, /etc/openvswitch): every daemon and tool gets OVS_RUNDIR/OVS_LOGDIR/OVS_DBDIR/
 * OVS_SYSCONFDIR pointing at the directory, and explicit `--db=`/`-t`/`unix:` targets.
 *
 * The daemons are started with `--detach --pidfile --log-file`, so they outlive a crash of this process; they are
 * stopped by the PID in their pidfile (only when /proc/PID/cmdline names our directory) and waited for.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { XsiteError } from '../core/errors';
import { run, sleep } from './exec';

/** Where OVS keeps its schema and scripts (Debian's openvswitch-common). */
export const OVS_PKGDATADIR = '/usr/share/openvswitch';

/** Files of a private OVS inside its directory. */
export interface OvsPaths {
  dir: string;
  db: string;
  dbSock: string;
  ovsdbPid: string;
  ovsdbCtl: string;
  ovsdbLog: string;
  vswitchdPid: string;
  vswitchdCtl: string;
  vswitchdLog: string;
}

/** The file layout of a private OVS in `dir`. */
export function ovsPaths(dir: string): OvsPaths {
  const d = path.resolve(dir);
  return {
    dir: d,
    db: path.join(d, 'conf.db'),
    dbSock: path.join(d, 'db.sock'),
    ovsdbPid: path.join(d, 'ovsdb-server.pid'),
    ovsdbCtl: path.join(d, 'ovsdb-server.ctl'),
    ovsdbLog: path.join(d, 'ovsdb-server.log'),
    vswitchdPid: path.join(d, 'ovs-vswitchd.pid'),
    vswitchdCtl: path.join(d, 'ovs-vswitchd.ctl'),
    vswitchdLog: path.join(d, 'ovs-vswitchd.log'),
  };
}

/** Environment for OVS daemons and tools confined to `dir`. */
export function ovsEnv(dir: string): NodeJS.ProcessEnv {
  const d = path.resolve(dir);
  return { ...process.env, OVS_RUNDIR: d, OVS_LOGDIR: d, OVS_DBDIR: d, OVS_SYSCONFDIR: d, OVS_PKGDATADIR: OVS_PKGDATADIR };
}

/** Longest Unix socket path (sun_path is 108 bytes including the NUL). */
const MAX_SOCKET_PATH = 107;

/** Finds an executable in PATH or in the usual sbin/lib directories (Debian keeps ovs-vswitchd in /usr/sbin). */
export function findBinary(name: string): string | undefined {
  const dirs = [
    ...(process.env.PATH ?? '').split(':').filter(Boolean),
    '/usr/sbin',
    '/sbin',
    '/usr/bin',
    '/usr/lib/openvswitch-switch',
    '/usr/local/sbin',
    '/usr/local/bin',
  ];
  for (const d of dirs) {
    const p = path.join(d, name);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      /* next */
    }
  }
  return undefined;
}

function requireBinary(name: string): string {
  const p = findBinary(name);
  if (!p) throw new XsiteError('LAB_MISSING_DEPENDENCY', `${name} not found; run scripts/install-deps.sh (needs openvswitch-switch)`, { binary: name });
  return p;
}

/** Reads a pidfile; undefined when absent or unparsable. */
export function readPidfile(file: string): number | undefined {
  try {
    const n = Number.parseInt(fs.readFileSync(file, 'utf8').trim(), 10);
    return Number.isInteger(n) && n > 1 ? n : undefined;
  } catch {
    return undefined;
  }
}

/** The NUL-separated command line of a live process, or undefined when it is gone (zombies count as gone). */
export function processCmdline(pid: number): string[] | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    if (state === 'Z' || state === 'X') return undefined;
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((s) => s.length > 0);
  } catch {
    return undefined;
  }
}

/** True when `pid` is alive and its command line mentions `marker` (a lab directory): then it is ours to stop. */
export function isProcessOf(pid: number, marker: string): boolean {
  const cmd = processCmdline(pid);
  return cmd !== undefined && cmd.some((a) => a.includes(marker));
}

/** Live processes (other than this one) with an argument that contains `marker`. */
export function processesMentioning(marker: string): number[] {
  let entries: string[] = [];
  try {
    entries = fs.readdirSync('/proc').filter((x) => /^\d+$/.test(x));
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const e of entries) {
    const pid = Number(e);
    if (pid === process.pid) continue;
    const cmd = processCmdline(pid);
    if (cmd && cmd.some((a) => a.includes(marker))) out.push(pid);
  }
  return out;
}

/** Sends SIGTERM, waits up to `timeoutMs` for the process to exit, then SIGKILLs and waits again. */
export async function killAndWait(pid: number, timeoutMs = 5000): Promise<void> {
  const alive = (): boolean => processCmdline(pid) !== undefined;
  const signal = (s: NodeJS.Signals): void => {
    try {
      process.kill(pid, s);
    } catch {
      /* already gone */
    }
  };
  if (!alive()) return;
  signal('SIGTERM');
  for (const [limit, sig] of [
    [timeoutMs, 'SIGKILL'],
    [timeoutMs, undefined],
  ] as const) {
    const end = Date.now() + limit;
    while (alive() && Date.now() < end) await sleep(10);
    if (!alive()) return;
    if (sig) signal(sig);
  }
  throw new XsiteError('LAB_COMMAND_FAILED', `process ${pid} did not exit after SIGKILL`, { pid });
}

/**
 * Stops the daemons of the private OVS in `dir` by their pidfiles (vswitchd first), whether or not this process started
 * them. Returns the PIDs that were stopped.
 */
export async function stopOvsIn(dir: string): Promise<number[]> {
  const p = ovsPaths(dir);
  const stopped: number[] = [];
  for (const file of [p.vswitchdPid, p.ovsdbPid]) {
    const pid = readPidfile(file);
    if (pid !== undefined && isProcessOf(pid, p.dir)) {
      await killAndWait(pid);
      stopped.push(pid);
    }
  }
  return stopped;
}

/** Options of {@link OvsDaemon.start}. */
export interface OvsStartOptions {
  /** Per-command timeout for the ovs tools. Default 15000 ms. */
  timeoutMs?: number;
  /**
   * Network namespace to run ovs-vswitchd in (via `ip netns exec`). Its tap devices (the `ovs-netdev` datapath port
   * and one per bridge, which OVS makes persistent) are then created there, not in the caller's namespace.
   */
  netns?: string;
}

/** A running private ovsdb-server + ovs-vswitchd pair and the tools to talk to it. */
export class OvsDaemon {
  readonly paths: OvsPaths;
  readonly env: NodeJS.ProcessEnv;
  private readonly timeoutMs: number;

  private constructor(dir: string, opts: OvsStartOptions) {
    this.paths = ovsPaths(dir);
    this.env = ovsEnv(dir);
    this.timeoutMs = opts.timeoutMs ?? 15000;
  }

  /** Attaches to daemons already running in `dir` (e.g. for `lab status`); does not check that they are alive. */
  static attach(dir: string, opts: OvsStartOptions = {}): OvsDaemon {
    return new OvsDaemon(dir, opts);
  }

  /**
   * Creates `dir` (if needed) and the database, then starts ovsdb-server and ovs-vswitchd detached in it. On failure
   * whatever was started is stopped again. Throws `LAB_MISSING_DEPENDENCY`, `LAB_BAD_DIR` or `LAB_COMMAND_FAILED`.
   */
  static async start(dir: string, opts: OvsStartOptions = {}): Promise<OvsDaemon> {
    const d = new OvsDaemon(dir, opts);
    const p = d.paths;
    const longest = Math.max(p.dbSock.length, p.vswitchdCtl.length, p.ovsdbCtl.length) + 24; // + "<bridge>.mgmt"/"snoop"
    if (longest > MAX_SOCKET_PATH) {
      throw new XsiteError('LAB_BAD_DIR', `lab directory ${p.dir} is too long for Unix socket paths (keep it under ~80 characters)`, { dir: p.dir });
    }
    const ovsdbTool = requireBinary('ovsdb-tool');
    const ovsdbServer = requireBinary('ovsdb-server');
    const vswitchd = requireBinary('ovs-vswitchd');
    requireBinary('ovs-vsctl');
    const schema = path.join(OVS_PKGDATADIR, 'vswitch.ovsschema');
    if (!fs.existsSync(schema)) throw new XsiteError('LAB_MISSING_DEPENDENCY', `${schema} not found; install openvswitch-common`, { schema });
    fs.mkdirSync(p.dir, { recursive: true });
    try {
      if (!fs.existsSync(p.db)) await run(ovsdbTool, ['create', p.db, schema], { env: d.env, timeoutMs: d.timeoutMs });
      await run(
        ovsdbServer,
        [
          p.db,
          `--remote=punix:${p.dbSock}`,
          `--pidfile=${p.ovsdbPid}`,
          `--log-file=${p.ovsdbLog}`,
          `--unixctl=${p.ovsdbCtl}`,
          '--detach',
          '--no-chdir',
        ],
        { env: d.env, timeoutMs: d.timeoutMs },
      );
      await d.vsctl('--no-wait', 'init');
      const prefix = opts.netns ? ['netns', 'exec', opts.netns, vswitchd] : [];
      await run(
        opts.netns ? 'ip' : vswitchd,
        [
          ...prefix,
          `unix:${p.dbSock}`,
          `--pidfile=${p.vswitchdPid}`,
          `--log-file=${p.vswitchdLog}`,
          `--unixctl=${p.vswitchdCtl}`,
          '--detach',
          '--no-chdir',
          '--disable-system',
          '--disable-system-route',
        ],
        { env: d.env, timeoutMs: d.timeoutMs },
      );
    } catch (e) {
      await stopOvsIn(p.dir).catch(() => undefined);
      throw e;
    }
    return d;
  }

  /** PIDs of the two daemons from their pidfiles (undefined when not running). */
  pids(): { ovsdbServer: number | undefined; vswitchd: number | undefined } {
    const alive = (f: string): number | undefined => {
      const pid = readPidfile(f);
      return pid !== undefined && isProcessOf(pid, this.paths.dir) ? pid : undefined;
    };
    return { ovsdbServer: alive(this.paths.ovsdbPid), vswitchd: alive(this.paths.vswitchdPid) };
  }

  /** Runs `ovs-vsctl --db=unix:<our db> --timeout=N args...` and returns its stdout. */
  async vsctl(...args: string[]): Promise<string> {
    const t = Math.max(1, Math.ceil(this.timeoutMs / 1000));
    const r = await run('ovs-vsctl', [`--db=unix:${this.paths.dbSock}`, `--timeout=${t}`, ...args], {
      env: this.env,
      timeoutMs: this.timeoutMs + 2000,
    });
    return r.stdout;
  }

  /**
   * Runs `ovs-ofctl -O <protocols> <command> unix:<dir>/<bridge>.mgmt args...` and returns its stdout. `bridge` is the
   * OVS bridge name; `protocols` defaults to OpenFlow13.
   */
  async ofctl(bridge: string, command: string, ...args: string[]): Promise<string> {
    return this.ofctlWith('OpenFlow13', bridge, command, ...args);
  }

  /** {@link ofctl} with explicit `-O` protocols (e.g. "OpenFlow10,OpenFlow13"). */
  async ofctlWith(protocols: string, bridge: string, command: string, ...args: string[]): Promise<string> {
    const target = `unix:${path.join(this.paths.dir, `${bridge}.mgmt`)}`;
    const r = await run('ovs-ofctl', ['-O', protocols, `--timeout=${Math.ceil(this.timeoutMs / 1000)}`, command, target, ...args], {
      env: this.env,
      timeoutMs: this.timeoutMs + 2000,
    });
    return r.stdout;
  }

  /** Runs `ovs-appctl -t <vswitchd ctl socket> args...` and returns its stdout. */
  async appctl(...args: string[]): Promise<string> {
    const r = await run('ovs-appctl', ['-t', this.paths.vswitchdCtl, `--timeout=${Math.ceil(this.timeoutMs / 1000)}`, ...args], {
      env: this.env,
      timeoutMs: this.timeoutMs + 2000,
    });
    return r.stdout;
  }

  /** Stops ovs-vswitchd then ovsdb-server by PID and waits for both to exit. Idempotent. */
  async stop(): Promise<void> {
    await stopOvsIn(this.paths.dir);
  }
}
