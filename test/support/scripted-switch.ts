import type { Duplex } from 'node:stream';
import { decodeMessage, encodeMessage, Framer } from '../../src/codec/openflow/message';
import type { OfpMessage, PortDesc } from '../../src/codec/openflow/types';

export function port(no: number): PortDesc {
  return {
    portNo: no,
    hwAddr: `02:00:00:00:00:${no.toString(16).padStart(2, '0')}`,
    name: `p${no}`,
    config: 0,
    state: 4,
    curr: 0,
    advertised: 0,
    supported: 0,
    peer: 0,
    currSpeed: 0,
    maxSpeed: 0,
  };
}

/**
 * The switch side of an OpenFlow connection for tests: answers the handshake, echoes and barriers like a switch,
 * records everything it receives, and lets a test override the answer to any message.
 */
export class ScriptedSwitch {
  readonly received: OfpMessage[] = [];
  readonly framer = new Framer();
  /** Return true to suppress the default answer. */
  onMessage: (msg: OfpMessage, sw: ScriptedSwitch) => boolean = () => false;
  helloVersions: number[] | undefined = [4];
  ports: PortDesc[] = [port(1), port(2)];
  /** Port-desc reply split into this many parts (OFPMPF_REPLY_MORE). */
  portDescParts = 1;
  silent = false;

  constructor(
    readonly stream: Duplex,
    readonly dpid = 1n,
  ) {
    stream.on('data', (d: Buffer) => {
      for (const f of this.framer.push(d)) this.handle(decodeMessage(f));
    });
    stream.on('error', () => undefined);
    queueMicrotask(() => this.send({ type: 'hello', versions: this.helloVersions }, 1));
  }

  send(msg: OfpMessage, xid = msg.xid ?? 0): void {
    if (!this.stream.destroyed) this.stream.write(encodeMessage(msg, xid));
  }

  sendBytes(b: Buffer): void {
    if (!this.stream.destroyed) this.stream.write(b);
  }

  /** Resolves with the first received message matching `pred` (already received or future). */
  waitFor(pred: (m: OfpMessage) => boolean, timeoutMs = 2000): Promise<OfpMessage> {
    const found = this.received.find(pred);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('waitFor timed out')), timeoutMs);
      const prev = this.onMessage;
      this.onMessage = (m, sw) => {
        if (pred(m)) {
          clearTimeout(timer);
          this.onMessage = prev;
          resolve(m);
        }
        return prev(m, sw);
      };
    });
  }

  private handle(msg: OfpMessage): void {
    this.received.push(msg);
    if (this.onMessage(msg, this) || this.silent) return;
    const xid = msg.xid ?? 0;
    switch (msg.type) {
      case 'features_request':
        this.send({ type: 'features_reply', datapathId: this.dpid, nBuffers: 0, nTables: 254, auxiliaryId: 0, capabilities: 0x4f, reserved: 0 }, xid);
        break;
      case 'multipart_request':
        if (msg.body.mpType === 'port_desc') {
          const n = this.portDescParts;
          const per = Math.ceil(this.ports.length / n);
          for (let i = 0; i < n; i++) {
            const ports = this.ports.slice(i * per, (i + 1) * per);
            this.send({ type: 'multipart_reply', flags: i < n - 1 ? 1 : 0, body: { mpType: 'port_desc', ports } }, xid);
          }
        }
        break;
      case 'barrier_request':
        this.send({ type: 'barrier_reply' }, xid);
        break;
      case 'echo_request':
        this.send({ type: 'echo_reply', data: msg.data }, xid);
        break;
      case 'bundle_control':
        // OPEN/CLOSE/COMMIT/DISCARD requests (even numbers) are answered with the matching reply (odd).
        this.send({ ...msg, ctrlType: msg.ctrlType + 1 }, xid);
        break;
      default:
        break;
    }
  }
}
