/**
 * The reference: runs conformance cases on real Open vSwitch.
 *
 * One lab: bridge s1 (OpenFlow 1.3, fail_mode secure) connected to an xsite OpenFlowController, hosts h1-h5 on
 * OpenFlow ports 1-5; h5's interface is down, so port 5 exists with its link down (fast-failover). The bridge's LOCAL
 * port is set no-forward (the emulator has no LOCAL port, so FLOOD/ALL must not count it on either side).
 *
 * Per case: every flow and group is deleted, the case's messages are sent (errors collected by xid) and a barrier
 * awaited; then `ovs-appctl ofproto/trace s1 in_port=N <packet hex>` gives the datapath actions, which are applied
 * to a model of the packet's headers to get the verdict: each output (datapath port mapped back to the OpenFlow port
 * with `dpif/show`) with the headers as rewritten at that point. Select groups use dp_hash with recirculation in OVS;
 * the trace is then repeated with a non-zero dp_hash so that the bucket choice happens in one pass.
 *
 * {@link OvsOracle.runReal} sends the packets for real (packet-out to OFPP_TABLE) and captures what the hosts
 * receive (python3 AF_PACKET sniffers in the host namespaces, VLAN tags restored from PACKET_AUXDATA).
 */
import type { ChildProcess } from 'node:child_process';
import { ipv4ToBytes, ipv4FromBytes, ipv6ToBytes, ipv6FromBytes, macToBytes, macFromBytes, normalizeIpv6 } from '../../src/core/addr';
import { OFPP, OFPPS, OFP_NO_BUFFER } from '../../src/codec/openflow/constants';
import type { MessageOf, OfpMessage } from '../../src/codec/openflow/types';
import type { SwitchConnection } from '../../src/openflow/connection';
import { OpenFlowController } from '../../src/openflow/controller';
import { Lab, leftovers } from '../../src/lab/lab';
import { TopologyBuilder } from '../../src/lab/topology';
import { ALL_PORTS, DOWN_PORT, marker, resetMessages, type ConformanceCase } from './cases/dsl';
import { headerView, type HeaderView, type RejectedMessage, type Verdict, type VerdictOutput } from './verdict';

const BRIDGE = 's1';
const DPID = 0xcfn;
const HOSTS = ALL_PORTS.map((p) => `h${p}`);

/** A frame captured at a host (by OpenFlow port), or a packet-in received by the controller. */
export interface CapturedFrame {
  port: number | 'CONTROLLER';
  frame: Buffer;
  /** packet-in reason (CONTROLLER only). */
  reason?: number;
}

export class OvsOracle {
  private dpToOf = new Map<number, number | 'LOCAL'>();
  private readonly errors = new Map<number, MessageOf<'error'> | MessageOf<'error_experimenter'>>();

  private constructor(
    readonly lab: Lab,
    private readonly controller: OpenFlowController,
    private readonly conn: SwitchConnection,
  ) {
    conn.on('ofp_error', (m: MessageOf<'error'> | MessageOf<'error_experimenter'>) => this.errors.set(m.xid ?? 0, m));
  }

  /** Builds the lab and connects it. Always call {@link stop} (also after a failure of a later step). */
  static async start(log: (m: string) => void = () => undefined): Promise<OvsOracle> {
    const controller = new OpenFlowController({ requestTimeoutMs: 5000 });
    let lab: Lab | undefined;
    try {
      const port = await controller.listen(0);
      const tb = new TopologyBuilder('conformance').bridge(BRIDGE, { controller: `tcp:127.0.0.1:${port}`, dpid: DPID.toString(16).padStart(16, '0') });
      for (const p of ALL_PORTS) tb.host(`h${p}`, BRIDGE, `10.231.0.${p}/24`, { ofport: p });
      lab = await Lab.up(tb.build(), { log });
      await controller.waitForSwitches(1, 20000);
      const conn = controller.switches.get(DPID);
      if (!conn) throw new Error('bridge s1 did not connect');
      const oracle = new OvsOracle(lab, controller, conn);
      await oracle.prepare();
      return oracle;
    } catch (e) {
      if (lab) await lab.down().catch(() => undefined);
      await controller.close();
      throw e;
    }
  }

  private async prepare(): Promise<void> {
    const lab = this.lab;
    // No IPv6 on the hosts: no router/neighbour solicitations or MLD reports to capture or trace around.
    await Promise.all(HOSTS.map((h) => lab.exec(h, ['sysctl', '-q', '-w', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1'])));
    await lab.exec(`h${DOWN_PORT}`, ['ip', 'link', 'set', 'eth0', 'down']);
    await lab.ofctl(BRIDGE, 'mod-port', BRIDGE, 'no-forward');
    // Wait until OVS sees port 5 as link-down (PORT_STATUS keeps conn.ports current).
    const end = Date.now() + 10000;
    for (;;) {
      const p = this.conn.ports.get(DOWN_PORT);
      if (p && (p.state & OFPPS.LINK_DOWN) !== 0) break;
      if (Date.now() > end) throw new Error(`port ${DOWN_PORT} not link-down after 10 s`);
      await new Promise((r) => setTimeout(r, 50));
    }
    // Datapath port numbers of the bridge's ports: "    s1-h1 1/5: (system)", "    s1 65534/1: (tap)".
    const show = await lab.appctl('dpif/show');
    for (const line of show.split('\n')) {
      const mm = /^\s+(\S+) (\d+)\/(\d+):/.exec(line);
      if (!mm) continue;
      const of = Number(mm[2]);
      this.dpToOf.set(Number(mm[3]), of === 65534 ? 'LOCAL' : of);
    }
    if (this.dpToOf.size < ALL_PORTS.length + 1) throw new Error(`dpif/show: unexpected output\n${show}`);
  }

  /** Deletes every flow and group, applies `messages`; returns the refused ones. */
  async apply(messages: readonly OfpMessage[]): Promise<RejectedMessage[]> {
    for (const msg of resetMessages()) this.conn.send(msg);
    const xids = messages.map((msg) => this.conn.send({ ...msg, xid: this.conn.allocXid() }));
    await this.conn.barrier();
    const rejected: RejectedMessage[] = [];
    xids.forEach((xid, index) => {
      const e = this.errors.get(xid);
      if (e) rejected.push({ index, type: messages[index]!.type, errType: e.type === 'error' ? e.errType : 0xffff, code: e.type === 'error' ? e.code : e.expType });
    });
    this.errors.clear();
    return rejected;
  }

  /** The OVS verdict for one case. */
  async run(c: ConformanceCase): Promise<Verdict> {
    try {
      const rejected = await this.apply(c.messages);
      if (rejected.length > 0) return { kind: 'rejected', errors: rejected };
      const hex = c.packet.toString('hex');
      let trace = await this.lab.appctl('ofproto/trace', BRIDGE, `in_port=${c.inPort}`, hex);
      let actions = datapathActions(trace);
      if (/\bhash\(/.test(actions) && /\brecirc\(/.test(actions)) {
        // dp_hash select group: with a dp_hash already set, OVS picks the bucket in the same pass.
        trace = await this.lab.appctl('ofproto/trace', BRIDGE, `dp_hash=0x1,in_port=${c.inPort}`, hex);
        actions = datapathActions(trace);
      }
      const outputs = applyDatapathActions(actions, headerView(c.packet), (dp) => {
        const of = this.dpToOf.get(dp);
        if (of === undefined) throw new Error(`unknown datapath port ${dp}`);
        return of;
      });
      return { kind: 'forwarded', outputs };
    } catch (e) {
      return { kind: 'oracle-error', message: (e as Error).message };
    }
  }

  /** Raw trace text for a case (debugging). */
  async trace(c: ConformanceCase): Promise<string> {
    await this.apply(c.messages);
    return this.lab.appctl('ofproto/trace', BRIDGE, `in_port=${c.inPort}`, c.packet.toString('hex'));
  }

  /**
   * Sends each case's packet for real (its flows installed, packet-out with action OFPP_TABLE from its in_port) and
   * returns what each host received, by case name. Cases must carry the payload marker (see dsl.frame).
   */
  async runReal(cases: readonly ConformanceCase[], settleMs = 400): Promise<Map<string, CapturedFrame[]>> {
    const sniffers = await Promise.all(ALL_PORTS.filter((p) => p !== DOWN_PORT).map((p) => this.sniff(p)));
    const result = new Map<string, CapturedFrame[]>();
    const byMarker = new Map<string, string>();
    for (const c of cases) {
      byMarker.set(marker(c.name).toString('hex'), c.name);
      result.set(c.name, []);
    }
    const packetIns: CapturedFrame[] = [];
    const onPacketIn = (pi: MessageOf<'packet_in'>) => packetIns.push({ port: 'CONTROLLER', frame: Buffer.from(pi.data), reason: pi.reason });
    this.conn.on('packet_in', onPacketIn);
    try {
      for (const c of cases) {
        const rejected = await this.apply(c.messages);
        if (rejected.length > 0) continue;
        this.conn.send({ type: 'packet_out', bufferId: OFP_NO_BUFFER, inPort: c.inPort, actions: [{ type: 'output', port: OFPP.TABLE, maxLen: 0 }], data: c.packet });
        // ovs-vswitchd executes a packet-out (sending the frames) before it answers a later barrier; frames are told
        // apart by their marker, so the next case may rewrite the tables right away.
        await this.conn.barrier();
      }
      await new Promise((r) => setTimeout(r, settleMs));
    } finally {
      this.conn.off('packet_in', onPacketIn);
      for (const s of sniffers) s.child.kill('SIGTERM');
      await Promise.all(sniffers.map((s) => s.done));
    }
    const captured: CapturedFrame[] = [...sniffers.flatMap((s) => s.frames.map((frame) => ({ port: s.port, frame }))), ...packetIns];
    for (const cf of captured) {
      const hex = cf.frame.toString('hex');
      for (const [mk, name] of byMarker) {
        if (hex.includes(mk)) {
          result.get(name)!.push(cf);
          break;
        }
      }
    }
    return result;
  }

  private async sniff(port: number): Promise<{ port: number; child: ChildProcess; frames: Buffer[]; done: Promise<void> }> {
    const child = this.lab.spawn(`h${port}`, ['python3', '-u', '-c', SNIFFER]);
    const frames: Buffer[] = [];
    let buf = '';
    let stderr = '';
    let ready!: () => void;
    let failed!: (e: Error) => void;
    const readyP = new Promise<void>((res, rej) => {
      ready = res;
      failed = rej;
    });
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (d: string) => {
      buf += d;
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i).trim();
        buf = buf.slice(i + 1);
        if (line === 'READY') ready();
        else if (/^[0-9a-f]+$/.test(line)) frames.push(Buffer.from(line, 'hex'));
      }
    });
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const done = new Promise<void>((res) => child.once('exit', () => res()));
    child.once('exit', (code) => failed(new Error(`sniffer on h${port} exited (${code}): ${stderr.trim()}`)));
    const timer = setTimeout(() => failed(new Error(`sniffer on h${port} not ready after 5 s`)), 5000);
    try {
      await readyP;
    } finally {
      clearTimeout(timer);
    }
    return { port, child, frames, done };
  }

  async stop(): Promise<string[]> {
    const prefix = this.lab.prefix;
    await this.lab.down();
    await this.controller.close();
    return (await leftovers(prefix)).map(String);
  }
}

const SNIFFER = `
import socket, struct, signal, sys
signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
SOL_PACKET = 263
PACKET_AUXDATA = 8
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
s.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
s.bind(('eth0', 0))
print('READY', flush=True)
while True:
    data, anc, flags, addr = s.recvmsg(65535, socket.CMSG_SPACE(64))
    if addr[2] == socket.PACKET_OUTGOING:
        continue
    for level, typ, cd in anc:
        if level == SOL_PACKET and typ == PACKET_AUXDATA and len(cd) >= 20:
            status, ln, snap, mac, net, tci, tpid = struct.unpack('IIIHHHH', cd[:20])
            if status & (1 << 4):
                if not status & (1 << 6):
                    tpid = 0x8100
                data = data[:12] + struct.pack('!HH', tpid, tci) + data[12:]
    if b'XSCONF' in data:
        print(data.hex(), flush=True)
`;

// ---------------------------------------------------------------------------------------------------------------
// Datapath actions

/** The text after "Datapath actions: " (the last such line). */
export function datapathActions(trace: string): string {
  const lines = trace.split('\n').filter((l) => l.startsWith('Datapath actions: '));
  if (lines.length === 0) throw new Error(`no "Datapath actions" in trace:\n${trace}`);
  return lines[lines.length - 1]!.slice('Datapath actions: '.length).trim();
}

/** Splits at top-level commas. */
export function splitTop(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    else if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

/** "name(args)" -> [name, args]. */
function call(tok: string): [string, string] | undefined {
  const mm = /^([a-z_0-9]+)\((.*)\)$/s.exec(tok);
  return mm ? [mm[1]!, mm[2]!] : undefined;
}

function kv(args: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const part of splitTop(args)) {
    const i = part.indexOf('=');
    if (i > 0) m.set(part.slice(0, i), part.slice(i + 1));
  }
  return m;
}

function clone<T>(x: T): T {
  return structuredClone(x);
}

/**
 * Applies datapath actions (OVS's text form) to a header model; returns the outputs. Supported: output ports,
 * drop, set(eth|ipv4|ipv6|tcp|udp|icmp|icmpv6|arp|nd(...)) with or without masks, push_vlan, pop_vlan,
 * userspace(controller(...)) and clone(...). Anything else throws (the case becomes an oracle error).
 */
export function applyDatapathActions(text: string, start: HeaderView, portOf: (dp: number) => number | 'LOCAL'): VerdictOutput[] {
  const outputs: VerdictOutput[] = [];
  const run = (acts: string, h: HeaderView): void => {
    for (const tok of splitTop(acts)) {
      if (tok === 'drop' || tok === '') continue;
      if (/^\d+$/.test(tok)) {
        outputs.push({ port: portOf(Number(tok)), headers: clone(h) });
        continue;
      }
      const c = call(tok) ?? (/^[a-z_]+$/.test(tok) ? ([tok, ''] as [string, string]) : undefined);
      if (!c) throw new Error(`unsupported datapath action "${tok}"`);
      const [name, args] = c;
      switch (name) {
        case 'set':
          applySet(args, h);
          break;
        case 'push_vlan': {
          const a = kv(args);
          const tpid = a.has('tpid') ? Number(a.get('tpid')) : 0x8100;
          h.vlans.unshift({ tpid, vid: Number(a.get('vid') ?? 0), pcp: Number(a.get('pcp') ?? 0), dei: false }); // OVS's CFI bit means "tag present"; DEI is 0 on the wire
          h.len += 4;
          break;
        }
        case 'pop_vlan':
          if (h.vlans.length === 0) throw new Error('pop_vlan on an untagged packet');
          h.vlans.shift();
          h.len -= 4;
          break;
        case 'userspace': {
          const ctl = /controller\(([^)]*)\)/.exec(args);
          if (!ctl) throw new Error(`unsupported userspace action "${tok}"`);
          const reason = wireReason(Number(kv(ctl[1]!).get('reason') ?? -1));
          if (reason !== undefined) outputs.push({ port: 'CONTROLLER', reason, headers: clone(h) });
          break;
        }
        case 'clone':
          run(args, clone(h));
          break;
        default:
          throw new Error(`unsupported datapath action "${tok}"`);
      }
    }
  };
  run(text, clone(start));
  return outputs;
}

/**
 * OVS's internal packet-in reason (the `reason` of a trace's controller userspace action) as an OpenFlow 1.3
 * controller receives it: action_set (3), group (4) and packet_out (5) are sent as ACTION (1); explicit_miss (6, the
 * controller action of a table-miss flow hit by traffic from a port) as NO_MATCH (0): the packet-ins OVS 3.1 sent
 * for exactly that in test/fixtures/openflow/ovs/packet_in-*.hex (the L2 app's table-miss flow) carry reason 0. Undefined when OVS's default asynchronous configuration for the controller (no SET_ASYNC sent;
 * ofputil_async_cfg_default: every reason but INVALID_TTL, and no implicit miss from OpenFlow 1.3 on) suppresses
 * the packet-in: then nothing reaches the controller.
 */
export function wireReason(r: number): number | undefined {
  if (r === 2 || r === 7) return undefined;
  if (r === 3 || r === 4 || r === 5) return 1;
  if (r === 6) return 0;
  return r;
}

/** value or value/mask applied to bytes. */
function maskedBytes(old: Buffer, spec: string, parse: (s: string) => Buffer): Buffer {
  const [v, mk] = spec.split('/') as [string, string | undefined];
  const val = parse(v);
  if (mk === undefined) return val;
  const mask = parse(mk);
  const r = Buffer.from(old);
  for (let i = 0; i < r.length; i++) r[i] = (r[i]! & ~mask[i]!) | (val[i]! & mask[i]!);
  return r;
}

function maskedNum(old: number, spec: string): number {
  const [v, mk] = spec.split('/') as [string, string | undefined];
  const val = Number(v);
  if (mk === undefined) return val;
  const mask = Number(mk);
  return ((old & ~mask) | (val & mask)) >>> 0;
}

const mac = (old: string, s: string) => macFromBytes(maskedBytes(macToBytes(old), s, macToBytes));
const ip4 = (old: string, s: string) => ipv4FromBytes(maskedBytes(ipv4ToBytes(old), s, ipv4ToBytes));
const ip6 = (old: string, s: string) => normalizeIpv6(ipv6FromBytes(maskedBytes(ipv6ToBytes(old), s, ipv6ToBytes)));

function applySet(args: string, h: HeaderView): void {
  const c = call(args.trim());
  if (!c) throw new Error(`unsupported set(${args})`);
  const [key, body] = c;
  const a = kv(body);
  const need = <T>(x: T | undefined, what: string): T => {
    if (x === undefined) throw new Error(`set(${key}) on a packet without ${what}`);
    return x;
  };
  for (const [f, val] of a) {
    switch (`${key}.${f}`) {
      case 'eth.src': h.eth.src = mac(h.eth.src, val); break;
      case 'eth.dst': h.eth.dst = mac(h.eth.dst, val); break;
      case 'ipv4.src': need(h.ipv4, 'ipv4').src = ip4(h.ipv4!.src, val); break;
      case 'ipv4.dst': need(h.ipv4, 'ipv4').dst = ip4(h.ipv4!.dst, val); break;
      case 'ipv4.ttl': need(h.ipv4, 'ipv4').ttl = maskedNum(h.ipv4!.ttl, val); break;
      case 'ipv4.proto': need(h.ipv4, 'ipv4').proto = maskedNum(h.ipv4!.proto, val); break;
      case 'ipv4.tos': {
        const ip = need(h.ipv4, 'ipv4');
        const tos = maskedNum((ip.dscp << 2) | ip.ecn, val);
        ip.dscp = tos >> 2;
        ip.ecn = tos & 3;
        break;
      }
      case 'ipv4.frag': break;
      case 'ipv6.src': need(h.ipv6, 'ipv6').src = ip6(h.ipv6!.src, val); break;
      case 'ipv6.dst': need(h.ipv6, 'ipv6').dst = ip6(h.ipv6!.dst, val); break;
      case 'ipv6.label': need(h.ipv6, 'ipv6').flabel = maskedNum(h.ipv6!.flabel, val); break;
      case 'ipv6.tclass': need(h.ipv6, 'ipv6').tclass = maskedNum(h.ipv6!.tclass, val); break;
      case 'ipv6.hlimit': need(h.ipv6, 'ipv6').hlim = maskedNum(h.ipv6!.hlim, val); break;
      case 'ipv6.proto': need(h.ipv6, 'ipv6').proto = maskedNum(h.ipv6!.proto, val); break;
      case 'ipv6.frag': break;
      case 'tcp.src': need(h.tcp, 'tcp').src = maskedNum(h.tcp!.src, val); break;
      case 'tcp.dst': need(h.tcp, 'tcp').dst = maskedNum(h.tcp!.dst, val); break;
      case 'udp.src': need(h.udp, 'udp').src = maskedNum(h.udp!.src, val); break;
      case 'udp.dst': need(h.udp, 'udp').dst = maskedNum(h.udp!.dst, val); break;
      case 'icmp.type': need(h.icmp, 'icmp').type = maskedNum(h.icmp!.type, val); break;
      case 'icmp.code': need(h.icmp, 'icmp').code = maskedNum(h.icmp!.code, val); break;
      case 'icmpv6.type': need(h.icmpv6, 'icmpv6').type = maskedNum(h.icmpv6!.type, val); break;
      case 'icmpv6.code': need(h.icmpv6, 'icmpv6').code = maskedNum(h.icmpv6!.code, val); break;
      case 'arp.sip': need(h.arp, 'arp').spa = ip4(h.arp!.spa, val); break;
      case 'arp.tip': need(h.arp, 'arp').tpa = ip4(h.arp!.tpa, val); break;
      case 'arp.op': need(h.arp, 'arp').op = maskedNum(h.arp!.op, val); break;
      case 'arp.sha': need(h.arp, 'arp').sha = mac(h.arp!.sha, val); break;
      case 'arp.tha': need(h.arp, 'arp').tha = mac(h.arp!.tha, val); break;
      case 'nd.target': {
        const i = need(h.icmpv6, 'icmpv6');
        i.target = ip6(i.target ?? '::', val);
        break;
      }
      case 'nd.sll': {
        const i = need(h.icmpv6, 'icmpv6');
        i.sll = mac(i.sll ?? '00:00:00:00:00:00', val);
        break;
      }
      case 'nd.tll': {
        const i = need(h.icmpv6, 'icmpv6');
        i.tll = mac(i.tll ?? '00:00:00:00:00:00', val);
        break;
      }
      default:
        throw new Error(`unsupported datapath set field ${key}.${f} in set(${args})`);
    }
  }
}
