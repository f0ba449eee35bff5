/**
 * {@link ScenarioDataplane} over the emulator's hosts: ping and UDP through their own stacks, TCP as a seeded byte
 * stream checked at the server ({@link verifyStream}: the session carried every byte intact), forged frames straight
 * onto the VM's NIC.
 */
import { buildPacket } from '../codec/packet';
import { XsiteError } from '../core/errors';
import type { EmulatedNetwork } from '../emulator/network';
import { verifyStream } from '../emulator/host/stream';
import type { UdpSocket } from '../emulator/host/udp';
import type { Topology } from '../emulator/topology/model';
import type { PingOutcome, ScenarioDataplane, TcpOutcome } from './dataplane';

export class EmulatorDataplane implements ScenarioDataplane {
  readonly kind = 'emulator' as const;
  private readonly received = new Map<string, string[]>();
  private readonly sinks: UdpSocket[] = [];
  private tcpPort = 5001;

  constructor(
    readonly net: EmulatedNetwork,
    readonly topology: Topology,
  ) {}

  private vm(name: string) {
    const v = this.topology.vms.find((x) => x.name === name);
    if (v === undefined) throw new XsiteError('DATAPLANE_UNKNOWN_VM', `no VM ${name}`, { vm: name });
    return v;
  }

  async startServices(tcpPort: number, udpPort: number): Promise<void> {
    this.tcpPort = tcpPort;
    for (const v of this.topology.vms) {
      const got: string[] = [];
      this.received.set(v.name, got);
      this.sinks.push(this.net.host(v.name).udp.bind(udpPort, (data) => got.push(data.toString('utf8'))));
    }
  }

  async ping(vm: string, dstIp: string, opts: { count: number; intervalMs?: number; timeoutMs: number }): Promise<PingOutcome> {
    const r = await this.net.host(vm).ping(dstIp, { count: opts.count, intervalMs: opts.intervalMs ?? 20, timeoutMs: opts.timeoutMs });
    return { sent: r.sent, received: r.received };
  }

  /** The server is the VM of `vm`'s VN with address `dstIp` (the emulator checks the stream there, not an echo). */
  async tcpEcho(vm: string, dstIp: string, port: number, bytes: number, timeoutMs: number): Promise<TcpOutcome> {
    const me = this.vm(vm);
    const peer = this.topology.vms.find((v) => v.tenant === me.tenant && v.vn === me.vn && v.ip === dstIp && v.name !== vm);
    if (peer === undefined) return { ok: false, error: `no VM with ${dstIp} in ${me.tenant}/${me.vn}` };
    const r = await verifyStream({ client: this.net.host(vm), server: this.net.host(peer.name), serverIp: dstIp, port: port || this.tcpPort, bytes, timeoutMs });
    return r.kept ? { ok: true } : { ok: false, error: `stream not kept: ${JSON.stringify({ connected: r.connected, sent: r.bytesSent, received: r.bytesReceived, reset: r.reset, timedOut: r.timedOut })}` };
  }

  async udpSend(vm: string, dstIp: string, port: number, payloads: readonly string[], srcPort?: number): Promise<void> {
    const sock = this.net.host(vm).udp.bind(srcPort ?? 0);
    try {
      for (const p of payloads) sock.send(dstIp, port, Buffer.from(p, 'utf8'));
    } finally {
      sock.close();
    }
  }

  async udpSendRaw(vm: string, dstMac: string, dstIp: string, port: number, payload: string, srcPort = 40000): Promise<void> {
    const h = this.net.host(vm);
    h.nic.send(buildPacket({ eth: { src: h.mac, dst: dstMac }, ipv4: { src: h.ip, dst: dstIp }, udp: { srcPort, dstPort: port }, payload: Buffer.from(payload, 'utf8') }));
  }

  async udpReceived(vm: string): Promise<string[]> {
    return [...(this.received.get(vm) ?? [])];
  }

  async close(): Promise<void> {
    for (const s of this.sinks.splice(0)) s.close();
  }
}
