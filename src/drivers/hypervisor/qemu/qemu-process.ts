/**
 * One QEMU guest process (the tiny guest of scripts/build-guest.sh): `qemu-system-x86_64 -accel tcg -m 128 -nographic
 * -kernel -initrd -append`, with its QMP socket and serial log in a run dir of its own.
 *
 * Network: a virtio-net NIC on either
 *  - `tap`: an existing tap device (created and put on a bridge by the caller, e.g. `ip tuntap add ... mode tap`).
 *    This is what live migration with a surviving TCP session needs: the source's and the destination's taps join
 *    the same bridge, the guest keeps its IP and MAC, and QEMU's announce after the switchover moves the MAC; or
 *  - `user`: QEMU's user-mode network with `hostfwd` rules (no root needed; a session does not survive a migration).
 * With `netns`, QEMU runs inside that network namespace (`ip netns exec NS qemu...`; `ip` execs QEMU, so the PID is
 * QEMU's own), so the taps, the bridge and the migration's loopback TCP all stay inside a namespace.
 *
 * `incoming: true` starts a migration destination (`-incoming defer`; see migrate.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { XsiteError } from '../../../core/errors';
import { connectQmp, type QmpClient } from './qmp';

/** The guest's NIC. */
export type QemuNic =
  | { kind: 'tap'; ifname: string; mac: string }
  | { kind: 'user'; mac: string; hostfwd?: { hostPort: number; guestPort: number; hostAddr?: string }[] };

/** Options of {@link QemuProcess.start}. */
export interface QemuOptions {
  /** Short name, used in the run dir's name and in messages. */
  name: string;
  kernel: string;
  initrd: string;
  nic: QemuNic;
  /** Guest address with prefix (`xsite.ip=` on the kernel command line), e.g. `10.99.0.5/24`. */
  ip?: string;
  /** Default gateway of the guest (`xsite.gw=`). */
  gw?: string;
  /** Extra kernel command line. */
  append?: string;
  memoryMb?: number;
  /** Start as a migration destination (`-incoming defer`). */
  incoming?: boolean;
  /** Run QEMU inside this network namespace. */
  netns?: string;
  /** Parent of the run dir (default the OS temp dir). */
  runParent?: string;
  /** Keep the run dir when stopped (default: removed). */
  keepRunDir?: boolean;
  qemuBinary?: string;
  /** Time allowed for the QMP socket to appear and the handshake. Default 15000. */
  startTimeoutMs?: number;
}

/** The marker the guest's /init prints on the serial console once eth0 and the echo service are up. */
export const GUEST_READY_MARKER = 'XSITE-GUEST-READY';

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** The QEMU command line (without the binary) for `opts`, with the run dir's files. */
export function qemuArgs(opts: QemuOptions, files: { qmp: string; serial: string }): string[] {
  const append = [
    'console=ttyS0',
    'quiet',
    'panic=-1',
    opts.ip ? `xsite.ip=${opts.ip}` : '',
    opts.gw ? `xsite.gw=${opts.gw}` : '',
    opts.append ?? '',
  ]
    .filter(Boolean)
    .join(' ');
  const netdev =
    opts.nic.kind === 'tap'
      ? `tap,id=n0,ifname=${opts.nic.ifname},script=no,downscript=no`
      : ['user,id=n0', ...(opts.nic.hostfwd ?? []).map((f) => `hostfwd=tcp:${f.hostAddr ?? '127.0.0.1'}:${f.hostPort}-:${f.guestPort}`)].join(',');
  const args = [
    '-accel', 'tcg',
    '-m', String(opts.memoryMb ?? 128),
    '-nographic',
    '-nodefaults',
    '-no-reboot',
    '-monitor', 'none',
    '-serial', `file:${files.serial}`,
    '-qmp', `unix:${files.qmp},server=on,wait=off`,
    '-kernel', opts.kernel,
    '-initrd', opts.initrd,
    '-append', append,
    '-netdev', netdev,
    // romfile= : no iPXE option ROM (faster boot, and nothing to keep identical across hosts).
    '-device', `virtio-net-pci,netdev=n0,mac=${opts.nic.mac},romfile=`,
  ];
  if (opts.incoming) args.push('-incoming', 'defer');
  return args;
}

/** A running QEMU guest started by this process. */
export class QemuProcess {
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private readonly exitedP: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private stderrTail = '';
  private qmpClient: QmpClient | undefined;
  private stopping: Promise<void> | undefined;

  private constructor(
    readonly opts: QemuOptions,
    private readonly child: ChildProcess,
    readonly runDir: string,
    readonly qmpPath: string,
    readonly serialPath: string,
  ) {
    this.exitedP = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        this.qmpClient?.close();
        resolve(this.exitInfo);
      });
    });
    child.stderr?.on('data', (d: Buffer) => {
      this.stderrTail = (this.stderrTail + d.toString('utf8')).slice(-4000);
    });
    child.stdout?.resume();
  }

  /** PID of QEMU (the child this process spawned). */
  get pid(): number {
    return this.child.pid ?? -1;
  }

  get name(): string {
    return this.opts.name;
  }

  /** True once QEMU has exited (and was reaped). */
  get exited(): boolean {
    return this.exitInfo !== undefined;
  }

  /** Resolves when QEMU exits. */
  waitExit(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    return this.exitedP;
  }

  /** The QMP connection (capabilities negotiated). */
  get qmp(): QmpClient {
    if (!this.qmpClient) throw new XsiteError('QEMU_NOT_STARTED', `QEMU ${this.name}: no QMP connection`);
    return this.qmpClient;
  }

  /** What QEMU wrote on stderr (the last 4 KB). */
  get stderr(): string {
    return this.stderrTail;
  }

  /** The serial console log so far. */
  serial(): string {
    try {
      return fs.readFileSync(this.serialPath, 'utf8');
    } catch {
      return '';
    }
  }

  /** Spawns QEMU and connects to its QMP socket. On failure QEMU is killed and the run dir removed. */
  static async start(opts: QemuOptions): Promise<QemuProcess> {
    const parent = opts.runParent ?? os.tmpdir();
    fs.mkdirSync(parent, { recursive: true });
    const runDir = fs.mkdtempSync(path.join(parent, `xsite-qemu-${opts.name}-`));
    const qmpPath = path.join(runDir, 'qmp.sock');
    const serialPath = path.join(runDir, 'serial.log');
    const bin = opts.qemuBinary ?? 'qemu-system-x86_64';
    const qargs = qemuArgs(opts, { qmp: qmpPath, serial: serialPath });
    const [cmd, args] = opts.netns ? ['ip', ['netns', 'exec', opts.netns, bin, ...qargs]] : [bin, qargs];
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const p = new QemuProcess(opts, child, runDir, qmpPath, serialPath);
    const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
    try {
      const deadline = Date.now() + (opts.startTimeoutMs ?? 15000);
      for (;;) {
        if (p.exitInfo) {
          throw new XsiteError('QEMU_START_FAILED', `QEMU ${opts.name} exited at start (${JSON.stringify(p.exitInfo)}): ${p.stderrTail.trim()}`, {
            stderr: p.stderrTail,
          });
        }
        const err = await Promise.race([spawnError, sleep(0).then(() => undefined)]);
        if (err) throw new XsiteError('QEMU_START_FAILED', `cannot start ${cmd}: ${err.message}`);
        if (fs.existsSync(qmpPath)) {
          try {
            p.qmpClient = await connectQmp(qmpPath, { timeoutMs: Math.max(1000, deadline - Date.now()) });
            break;
          } catch (e) {
            if (Date.now() > deadline) throw e;
          }
        }
        if (Date.now() > deadline) throw new XsiteError('QEMU_START_FAILED', `QEMU ${opts.name}: no QMP socket after start: ${p.stderrTail.trim()}`);
        await sleep(20);
      }
    } catch (e) {
      await p.stop(1000).catch(() => undefined);
      throw e;
    }
    return p;
  }

  /** Waits for the guest's ready marker on the serial console; returns the milliseconds waited. */
  async waitReady(timeoutMs = 60000, marker = GUEST_READY_MARKER): Promise<number> {
    const t0 = Date.now();
    for (;;) {
      if (this.serial().includes(marker)) return Date.now() - t0;
      if (this.exitInfo) throw new XsiteError('QEMU_EXITED', `QEMU ${this.name} exited before the guest was ready: ${this.stderrTail.trim()}`);
      if (Date.now() - t0 > timeoutMs) {
        throw new XsiteError('QEMU_GUEST_TIMEOUT', `guest ${this.name} not ready after ${timeoutMs} ms; serial: ${this.serial().slice(-1000)}`);
      }
      await sleep(50);
    }
  }

  /**
   * Stops QEMU: `quit` over QMP, then SIGKILL (by this child's PID) when it has not exited after `timeoutMs`; always
   * waits until it is reaped. Removes the run dir unless `keepRunDir`. Idempotent.
   */
  stop(timeoutMs = 3000): Promise<void> {
    this.stopping ??= (async () => {
      if (!this.exitInfo) {
        if (this.qmpClient && !this.qmpClient.closed) {
          await Promise.race([this.qmpClient.execute('quit').catch(() => undefined), sleep(timeoutMs)]);
        }
        const exited = await Promise.race([this.exitedP.then(() => true), sleep(timeoutMs).then(() => false)]);
        if (!exited && !this.exitInfo) {
          try {
            this.child.kill('SIGKILL');
          } catch {
            /* already gone */
          }
          await this.exitedP;
        }
      }
      this.qmpClient?.close();
      if (!this.opts.keepRunDir) fs.rmSync(this.runDir, { recursive: true, force: true });
    })();
    return this.stopping;
  }
}
