/**
 * {@link ScenarioDataplane} on real Open vSwitch: an emulator topology built as a lab (see topology-lab.ts) whose VMs
 * are network namespaces. Services (a TCP echo server and a recording UDP sink per VM) are python3 processes started
 * in the VMs' namespaces and tracked by PID; clients (ping, TCP, UDP) run in the sender's namespace for the duration
 * of one call. Frames with a forged Ethernet destination are built with the project's packet builder and written to
 * the VM's interface through an AF_PACKET socket.
 *
 * ```ts
 * const dp = await OvsDataplane.up(loadTopologyFile('t.yaml'), { controllerFor: () => 'tcp:127.0.0.1:6653' });
 * try { await dp.startServices(7000, 7001); await dp.ping('vm1', '192.168.10.2', { count: 3, timeoutMs: 1000 }); }
 * finally { await dp.close(); }
 * ```
 */
import type { ChildProcess } from 'node:child_process';
import { randomInt } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildPacket } from '../codec/packet';
import { XsiteError } from '../core/errors';
import type { FailMode, Topology as EmulatorTopology } from '../emulator/topology/model';
import type { PingOutcome, ScenarioDataplane, TcpOutcome } from '../scenario/dataplane';
import { sleep } from './exec';
import { Lab, type LabUpOptions } from './lab';
import { HOST_IFACE, hostNamespace } from './names';
import { killAndWait } from './ovs-daemon';
import { sendRawFrames } from './raw-frames';
import { labTopologyFromTopology } from './topology-lab';

/** Options of {@link OvsDataplane.up}. */
export interface OvsDataplaneOptions {
  /** The controller target of the bridges of DC `dc` (`tcp:HOST:PORT`, `unix:PATH`), or null for none. */
  controllerFor: (dc: string) => string | null;
  /** Fail mode of every bridge; default: each switch's own (`secure` unless the topology says otherwise). */
  failMode?: FailMode;
  /** Progress messages. */
  log?: (msg: string) => void;
  /** Lab directory / prefix (see {@link LabUpOptions}). */
  dir?: string;
  prefix?: string;
}

/** Where a VM lives in the lab. */
export interface OvsVm {
  /** The VM's name in the topology. */
  name: string;
  /** Its lab host name (`v1`, ...). */
  host: string;
  /** Its network namespace. */
  namespace: string;
  /** Its interface in the namespace (`eth0`). */
  iface: string;
  /** The emulator switch it sits on and the lab bridge of that switch. */
  switch: string;
  bridge: string;
  /** Its ofport on the bridge (= the topology's port). */
  ofport: number;
  ip: string;
  mac: string;
}

/** python3 service: TCP echo server on argv[1], UDP sink on argv[2] appending JSON lines to argv[3]. */
const SERVICES_PY = `
import json, socket, socketserver, sys, threading
tcp_port, udp_port, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
class Echo(socketserver.BaseRequestHandler):
    def handle(self):
        while True:
            d = self.request.recv(65536)
            if not d:
                break
            self.request.sendall(d)
class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
tcp = Server(('0.0.0.0', tcp_port), Echo)
udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
udp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
udp.bind(('0.0.0.0', udp_port))
threading.Thread(target=tcp.serve_forever, daemon=True).start()
f = open(out, 'a', encoding='utf-8')
print('ready', flush=True)
while True:
    d, _ = udp.recvfrom(65535)
    f.write(json.dumps(d.decode('utf-8', 'replace')) + '\\n')
    f.flush()
`;

/** node client: connects to argv[1]:argv[2], sends argv[3] random bytes, checks the echo; prints {ok, error}. */
const TCP_CLIENT_JS = `
const [host, port, size, tmo] = process.argv.slice(1);
const buf = require('crypto').randomBytes(Number(size));
const chunks = []; let n = 0; let done = false;
const finish = (ok, error) => {
  if (done) return; done = true;
  process.stdout.write(JSON.stringify(ok ? { ok } : { ok, error }) + '\\n', () => process.exit(0));
};
const check = (why) => {
  const all = Buffer.concat(chunks);
  if (n > buf.length) return finish(false, 'received ' + n + ' bytes, sent ' + buf.length);
  if (n < buf.length) return finish(false, why + ' after ' + n + ' of ' + buf.length + ' bytes echoed');
  return all.equals(buf) ? finish(true) : finish(false, 'echoed bytes differ from the bytes sent');
};
const c = require('net').connect(Number(port), host, () => c.end(buf));
c.on('data', (d) => { chunks.push(d); n += d.length; if (n >= buf.length && buf.length > 0) check('echo'); });
c.on('end', () => check('connection closed'));
c.on('error', (e) => finish(false, e.message));
setTimeout(() => finish(false, 'timeout after ' + tmo + ' ms (' + n + ' of ' + buf.length + ' bytes echoed)'), Number(tmo));
`;

/** node client: sends each string of the JSON array on stdin as one datagram to argv[1]:argv[2] from port argv[3]. */
const UDP_CLIENT_JS = `
const [host, port, src] = process.argv.slice(1);
const payloads = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const s = require('dgram').createSocket('udp4');
s.on('error', (e) => { console.error(e.message); process.exit(1); });
const go = async () => {
  for (const p of payloads) {
    await new Promise((res, rej) => s.send(Buffer.from(p, 'utf8'), Number(port), host, (e) => (e ? rej(e) : res())));
  }
  s.close();
};
const run = () => go().catch((e) => { console.error(e.message); process.exit(1); });
if (src !== '0') s.bind(Number(src), run); else run();
`;


/** The VMs of an emulator topology as network namespaces behind the lab's Open vSwitch bridges. */
export class OvsDataplane implements ScenarioDataplane {
  readonly kind = 'ovs' as const;
  /** The running lab. */
  readonly lab: Lab;
  /** The emulator topology. */
  readonly topology: EmulatorTopology;
  private readonly vms: Map<string, OvsVm>;
  /** Running service processes by VM name. */
  private readonly services = new Map<string, ChildProcess>();
  private closing: Promise<void> | undefined;
  private readonly log: (msg: string) => void;

  private constructor(lab: Lab, topology: EmulatorTopology, vms: Map<string, OvsVm>, log: (msg: string) => void) {
    this.lab = lab;
    this.topology = topology;
    this.vms = vms;
    this.log = log;
  }

  /**
   * Builds `topology` on Open vSwitch (see topology-lab.ts for the mapping) and returns the data plane. On failure
   * everything created so far is removed and the error rethrown.
   */
  static async up(topology: EmulatorTopology, opts: OvsDataplaneOptions): Promise<OvsDataplane> {
    const log = opts.log ?? (() => undefined);
    const mapped = labTopologyFromTopology(topology, { controllerFor: opts.controllerFor, ...(opts.failMode ? { failMode: opts.failMode } : {}) });
    const labOpts: LabUpOptions = { log, ...(opts.dir !== undefined ? { dir: opts.dir } : {}), ...(opts.prefix !== undefined ? { prefix: opts.prefix } : {}) };
    const lab = await Lab.up(mapped.lab, labOpts); // removes what it created when it fails
    try {
      const vms = new Map<string, OvsVm>();
      for (const vm of topology.vms) {
        const host = lab.host(mapped.vmHosts.get(vm.name)!);
        vms.set(vm.name, {
          name: vm.name,
          host: host.name,
          namespace: hostNamespace(lab.prefix, host.name),
          iface: HOST_IFACE,
          switch: vm.switch,
          bridge: host.bridge,
          ofport: host.ofport,
          ip: vm.ip,
          mac: vm.mac,
        });
      }
      log(`VMs: ${[...vms.values()].map((v) => `${v.name}=${v.host}@${v.bridge}:${v.ofport}`).join(', ')}`);
      return new OvsDataplane(lab, topology, vms, log);
    } catch (e) {
      await lab.down().catch(() => undefined);
      throw e;
    }
  }

  /** Where VM `name` lives. Throws `DATAPLANE_UNKNOWN_VM`. */
  vm(name: string): OvsVm {
    const v = this.vms.get(name);
    if (!v) throw new XsiteError('DATAPLANE_UNKNOWN_VM', `no VM "${name}" in the OVS data plane`, { vm: name });
    return v;
  }

  /**
   * Records that VM `name`'s interface now sits on `bridge` (emulator switch `sw`) at `ofport`, after a hypervisor
   * moved its port (src/drivers/hypervisor/netns). Its lab port keeps its name. Throws `DATAPLANE_UNKNOWN_VM`.
   */
  moved(name: string, to: { switch: string; bridge: string; ofport: number }): OvsVm {
    const v = { ...this.vm(name), switch: to.switch, bridge: to.bridge, ofport: to.ofport };
    this.vms.set(name, v);
    return v;
  }

  /** Every VM, in topology order. */
  vmList(): OvsVm[] {
    return [...this.vms.values()];
  }

  /** The file VM `name`'s UDP sink appends to (one JSON-encoded string per datagram). */
  udpLogFile(name: string): string {
    return path.join(this.lab.dir, `udp-${this.vm(name).host}.jsonl`);
  }

  /** PIDs of the running service processes, by VM name. */
  servicePids(): Map<string, number> {
    const out = new Map<string, number>();
    for (const [vm, c] of this.services) if (c.pid !== undefined) out.set(vm, c.pid);
    return out;
  }

  private assertOpen(): void {
    if (this.closing) throw new XsiteError('DATAPLANE_CLOSED', 'the OVS data plane is closed');
  }

  async startServices(tcpPort: number, udpPort: number): Promise<void> {
    this.assertOpen();
    await this.stopServices();
    try {
      await Promise.all(this.vmList().map((v) => this.startServicesOn(v, tcpPort, udpPort)));
    } catch (e) {
      await this.stopServices().catch(() => undefined);
      throw e;
    }
    this.log(`services on tcp/${tcpPort} and udp/${udpPort} in ${this.vms.size} VMs`);
  }

  private async startServicesOn(v: OvsVm, tcpPort: number, udpPort: number): Promise<void> {
    const file = this.udpLogFile(v.name);
    fs.writeFileSync(file, '');
    const child = this.lab.spawn(v.host, ['python3', '-u', '-c', SERVICES_PY, String(tcpPort), String(udpPort), file], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.services.set(v.name, child);
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    await new Promise<void>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => fail(new Error('not ready after 10000 ms')), 10000);
      const onData = (d: Buffer): void => {
        out += d.toString();
        if (out.includes('ready')) {
          cleanup();
          resolve();
        }
      };
      const onExit = (code: number | null, sig: NodeJS.Signals | null): void => fail(new Error(`exited (${code ?? sig})`));
      const onError = (e: Error): void => fail(e);
      const cleanup = (): void => {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        child.off('exit', onExit);
        child.off('error', onError);
        child.stdout!.resume(); // keep draining
      };
      const fail = (e: Error): void => {
        cleanup();
        // Give stderr a moment to arrive.
        setTimeout(
          () =>
            reject(
              new XsiteError('DATAPLANE_SERVICE_FAILED', `services in VM ${v.name} (${v.namespace}): ${e.message}${stderr.trim() ? `: ${stderr.trim()}` : ''}`, {
                vm: v.name,
                stderr,
              }),
            ),
          50,
        );
      };
      child.stdout!.on('data', onData);
      child.once('exit', onExit);
      child.once('error', onError);
    });
  }

  /** Stops the service processes (by PID). */
  async stopServices(): Promise<void> {
    const list = [...this.services.values()];
    this.services.clear();
    await Promise.all(list.map((c) => (c.pid !== undefined ? killAndWait(c.pid, 2000) : Promise.resolve())));
  }

  async ping(vm: string, dstIp: string, opts: { count: number; intervalMs?: number; timeoutMs: number }): Promise<PingOutcome> {
    this.assertOpen();
    const v = this.vm(vm);
    const intervalMs = opts.intervalMs ?? 1000;
    const r = await this.lab.exec(
      v.host,
      ['ping', '-n', '-q', '-c', String(opts.count), '-i', String(intervalMs / 1000), '-W', String(Math.max(opts.timeoutMs, 1) / 1000), dstIp],
      { allowFail: true, timeoutMs: opts.count * intervalMs + opts.timeoutMs + 10000 },
    );
    const m = /(\d+) packets transmitted, (\d+) (?:packets )?received/.exec(r.stdout);
    if (!m) {
      throw new XsiteError('DATAPLANE_PING_FAILED', `ping from ${vm} to ${dstIp} failed: ${(r.stderr || r.stdout).trim()}`, { vm, dstIp, stderr: r.stderr, stdout: r.stdout });
    }
    return { sent: Number(m[1]), received: Number(m[2]) };
  }

  async tcpEcho(vm: string, dstIp: string, port: number, bytes: number, timeoutMs: number): Promise<TcpOutcome> {
    this.assertOpen();
    const v = this.vm(vm);
    const r = await this.lab.exec(v.host, [process.execPath, '-e', TCP_CLIENT_JS, dstIp, String(port), String(bytes), String(timeoutMs)], {
      allowFail: true,
      timeoutMs: timeoutMs + 10000,
    });
    const line = r.stdout.trim().split('\n').pop() ?? '';
    try {
      const o = JSON.parse(line) as TcpOutcome;
      return o.ok ? { ok: true } : { ok: false, error: o.error ?? 'failed' };
    } catch {
      return { ok: false, error: `client failed (${r.timedOut ? 'timed out' : `exit ${r.code ?? r.signal}`}): ${(r.stderr || r.stdout).trim().slice(0, 500)}` };
    }
  }

  async udpSend(vm: string, dstIp: string, port: number, payloads: readonly string[], srcPort?: number): Promise<void> {
    this.assertOpen();
    const v = this.vm(vm);
    if (payloads.length === 0) return;
    await this.lab.exec(v.host, [process.execPath, '-e', UDP_CLIENT_JS, dstIp, String(port), String(srcPort ?? 0)], {
      input: JSON.stringify(payloads),
      timeoutMs: 15000,
    });
  }

  async udpSendRaw(vm: string, dstMac: string, dstIp: string, port: number, payload: string, srcPort?: number): Promise<void> {
    this.assertOpen();
    const v = this.vm(vm);
    const frame = buildPacket(
      {
        eth: { src: v.mac, dst: dstMac },
        ipv4: { src: v.ip, dst: dstIp },
        udp: { srcPort: srcPort ?? randomInt(49152, 65536), dstPort: port },
        payload: Buffer.from(payload, 'utf8'),
      },
      { padTo: 60 },
    );
    await sendRawFrames(v.namespace, v.iface, [frame]);
  }

  async udpReceived(vm: string): Promise<string[]> {
    const file = this.udpLogFile(vm);
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      return [];
    }
    // Only complete lines (the sink may be writing the last one).
    const end = text.lastIndexOf('\n');
    if (end < 0) return [];
    return text
      .slice(0, end)
      .split('\n')
      .filter((l) => l.length > 0)
      .map((l) => JSON.parse(l) as string);
  }

  /**
   * Waits until VM `vm`'s sink has recorded at least `count` payloads (or `timeoutMs` passed) and returns them.
   */
  async waitUdpReceived(vm: string, count: number, timeoutMs = 2000): Promise<string[]> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const got = await this.udpReceived(vm);
      if (got.length >= count || Date.now() >= end) return got;
      await sleep(20);
    }
  }

  /** Stops the services and tears the lab down. Idempotent (later calls return the first call's promise). */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.stopServices().catch((e: Error) => this.log(`stopping services: ${e.message}`));
      await this.lab.down();
      this.log(`lab ${this.lab.prefix} down`);
    })();
    return this.closing;
  }
}
