import net from 'node:net';
import { decodeMessage, encodeMessage, Framer } from '../../src/codec/openflow/message';
import type { OfpMessage, PortDesc } from '../../src/codec/openflow/types';

const OFPT_PACKET_OUT = 13;
const OFPT_FLOW_MOD = 14;
const OFP_NO_BUFFER = 0xffffffff;

/** Layout of our pre-encoded packet-in (checked at construction by decoding it). */
const PI = { BUFFER_ID: 8, IN_PORT: 32, DATA: 42 } as const;

export interface FakeSwitchOptions {
  dpid: bigint;
  port: number;
  host?: string;
  ports?: number;
  macs?: number;
}

/**
 * A cbench-style emulated switch: completes the OpenFlow handshake, then sends buffered packet-ins from `macs`
 * source MAC addresses and counts responses (FLOW_MOD with a buffer id, or PACKET_OUT) that answer them.
 */
export class FakeSwitch {
  responses = 0;
  /** Responses decoded in full and checked (a sample). */
  checked = 0;
  outstanding = 0;
  ready = false;
  private readonly sock: net.Socket;
  private readonly framer = new Framer();
  private readonly template: Buffer;
  private seq = 1;
  private readonly nPorts: number;
  private readonly nMacs: number;
  /** Called after every response (the load loop decides whether to send more). */
  onResponse: () => void = () => undefined;
  onReady: () => void = () => undefined;

  constructor(private readonly opts: FakeSwitchOptions) {
    this.nPorts = opts.ports ?? 4;
    // A multiple of the port count, so MAC m always arrives on port 1 + m % ports (see sendPacketIns).
    this.nMacs = Math.max(1, Math.round((opts.macs ?? 1000) / this.nPorts)) * this.nPorts;
    const frame = Buffer.alloc(60);
    frame.writeUInt16BE(0x0800, 12);
    this.template = encodeMessage({
      type: 'packet_in',
      bufferId: 1,
      totalLen: frame.length,
      reason: 0,
      tableId: 0,
      cookie: 0n,
      match: [{ field: 'in_port', value: 1 }],
      data: frame,
    });
    const check = decodeMessage(this.template);
    if (check.type !== 'packet_in' || this.template.readUInt32BE(PI.IN_PORT) !== 1 || this.template.length !== PI.DATA + 60) {
      throw new Error('packet-in template layout changed; update PI offsets');
    }
    this.sock = net.connect(opts.port, opts.host ?? '127.0.0.1');
    this.sock.setNoDelay(true);
    this.sock.on('connect', () => this.write({ type: 'hello', versions: [4] }, 1));
    this.sock.on('data', (d: Buffer) => this.onData(d));
    this.sock.on('error', () => undefined);
  }

  /** Sends `n` packet-ins in one write. */
  sendPacketIns(n: number): void {
    const out = Buffer.allocUnsafe(this.template.length * n);
    for (let i = 0; i < n; i++) {
      const off = i * this.template.length;
      this.template.copy(out, off);
      const seq = this.seq++;
      out.writeUInt32BE(seq, off + 4); // xid
      out.writeUInt32BE(seq & 0x7fffffff, off + PI.BUFFER_ID);
      out.writeUInt32BE(1 + (seq % this.nPorts), off + PI.IN_PORT);
      const d = off + PI.DATA;
      const src = seq % this.nMacs;
      // dst lives on the next port over, so the learning switch never sees a hairpin (which it drops silently).
      const dst = (src + 1 + this.nPorts * ((seq * 7919) % (this.nMacs / this.nPorts))) % this.nMacs;
      out.writeUInt16BE(0x0200, d); // locally administered unicast
      out.writeUInt32BE(dst, d + 2);
      out.writeUInt16BE(0x0200, d + 6);
      out.writeUInt32BE(src, d + 8);
    }
    this.outstanding += n;
    this.sock.write(out);
  }

  close(): void {
    this.sock.destroy();
  }

  private write(msg: OfpMessage, xid: number): void {
    this.sock.write(encodeMessage(msg, xid));
  }

  private onData(d: Buffer): void {
    for (const frame of this.framer.push(d)) {
      const type = frame[1]!;
      if (type === OFPT_FLOW_MOD || type === OFPT_PACKET_OUT) {
        // Only buffered answers respond to our packet-ins (the table-miss flow has no buffer).
        const bufferId = frame.readUInt32BE(type === OFPT_FLOW_MOD ? 8 + 8 + 8 + 1 + 1 + 2 + 2 + 2 : 8);
        if (bufferId !== OFP_NO_BUFFER) {
          if (this.responses % 1000 === 0) this.checkResponse(frame);
          this.responses++;
          this.outstanding--;
          this.onResponse();
        }
        continue;
      }
      this.control(decodeMessage(frame));
    }
  }

  /** Full decode of a sampled response: it must be a well-formed answer that forwards the packet somewhere. */
  private checkResponse(frame: Buffer): void {
    const m = decodeMessage(frame);
    const ok =
      (m.type === 'flow_mod' && m.match.length === 3 && m.instructions[0]?.type === 'apply_actions') ||
      (m.type === 'packet_out' && m.actions.length === 1 && m.actions[0]!.type === 'output');
    if (!ok) throw new Error(`malformed response to a packet-in: ${m.type}`);
    this.checked++;
  }

  private control(msg: OfpMessage): void {
    const xid = msg.xid ?? 0;
    switch (msg.type) {
      case 'features_request':
        this.write({ type: 'features_reply', datapathId: this.opts.dpid, nBuffers: 256, nTables: 254, auxiliaryId: 0, capabilities: 0x4f, reserved: 0 }, xid);
        break;
      case 'multipart_request':
        if (msg.body.mpType === 'port_desc') {
          const ports: PortDesc[] = [];
          for (let p = 1; p <= this.nPorts; p++) {
            ports.push({ portNo: p, hwAddr: `02:00:00:00:00:${p.toString(16).padStart(2, '0')}`, name: `p${p}`, config: 0, state: 4, curr: 0x2840, advertised: 0, supported: 0, peer: 0, currSpeed: 10000000, maxSpeed: 0 });
          }
          this.write({ type: 'multipart_reply', flags: 0, body: { mpType: 'port_desc', ports } }, xid);
        }
        break;
      case 'barrier_request':
        this.write({ type: 'barrier_reply' }, xid);
        if (!this.ready) {
          this.ready = true;
          this.onReady();
        }
        break;
      case 'echo_request':
        this.write({ type: 'echo_reply', data: msg.data }, xid);
        break;
      default:
        break;
    }
  }
}
