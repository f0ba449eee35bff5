/**
 * The system under test: runs conformance cases on the emulator's SoftSwitch, in virtual time.
 *
 * Per case a fresh switch with ports 1-5 (5 attached with its link down, as in the OVS lab), SET_CONFIG as the
 * xsite controller sends it (miss_send_len = NO_BUFFER), the reset messages (delete all flows and groups) and then the
 * case's messages through handleMessage (OFPT_ERROR replies = refused); the packet is delivered on the in_port and
 * the clock run until idle. Every frame a port transmits and every packet-in becomes an output of the verdict.
 *
 * The oracle takes the switch class (normally SoftSwitch from src/emulator/switch) through the small contract below.
 */
import { VirtualClock } from '../../src/core/clock';
import type { Endpoint, Transmitter } from '../../src/emulator/net/endpoint';
import type { MessageOf, OfpMessage } from '../../src/codec/openflow/types';
import { ALL_PORTS, DOWN_PORT, resetMessages, type ConformanceCase } from './cases/dsl';
import { headerView, type RejectedMessage, type Verdict, type VerdictOutput } from './verdict';

/** What the conformance suite needs from src/emulator/switch (the documented contract). */
export interface SoftSwitchLike {
  addPort(portNo: number, name: string): Endpoint;
  handleMessage(msg: OfpMessage): OfpMessage[];
  onAsync: ((msg: OfpMessage) => void) | undefined | null;
  receive?(portNo: number, frame: Buffer): void;
}

export type SoftSwitchCtor = new (opts: { dpid: bigint; name: string; clock: VirtualClock; failMode: 'secure' | 'standalone' }) => SoftSwitchLike;

/** A frame out of the emulated switch (port or packet-in), in order of emission. */
export interface EmulatedFrame {
  port: number | 'CONTROLLER';
  frame: Buffer;
  reason?: number;
}

export interface EmulatorRun {
  verdict: Verdict;
  /** The raw frames (for the real-packet comparison). */
  frames: EmulatedFrame[];
}

export class EmulatorOracle {
  constructor(private readonly Ctor: SoftSwitchCtor) {}

  /**
   * Runs case `c`. `inject`: 'port' delivers the packet on its in_port (what ofproto/trace models); 'packet_out'
   * injects it with PACKET_OUT(in_port, output TABLE), as the real-packet check does on OVS.
   */
  run(c: ConformanceCase, inject: 'port' | 'packet_out' = 'port'): EmulatorRun {
    const frames: EmulatedFrame[] = [];
    try {
      const clock = new VirtualClock();
      const sw = new this.Ctor({ dpid: 0xcfn, name: 'conformance', clock, failMode: 'secure' });
      const ports = new Map<number, Endpoint>();
      for (const p of ALL_PORTS) {
        const ep = sw.addPort(p, `s1-h${p}`);
        const tx: Transmitter = {
          transmit(frame: Buffer) {
            frames.push({ port: p, frame: Buffer.from(frame) });
          },
          up: p !== DOWN_PORT,
        };
        ep.attach(tx);
        if (p === DOWN_PORT) ep.carrierChanged?.(false);
        ports.set(p, ep);
      }
      sw.onAsync = (msg: OfpMessage) => {
        if (msg.type === 'packet_in') frames.push({ port: 'CONTROLLER', frame: Buffer.from(msg.data), reason: msg.reason });
      };
      const refused = (msg: OfpMessage): MessageOf<'error'> | MessageOf<'error_experimenter'> | undefined =>
        sw.handleMessage(msg).find((r): r is MessageOf<'error'> | MessageOf<'error_experimenter'> => r.type === 'error' || r.type === 'error_experimenter');
      const setup: OfpMessage[] = [{ type: 'set_config', flags: 0, missSendLen: 0xffff }, ...resetMessages()];
      for (const msg of setup) {
        const e = refused(msg);
        if (e) throw new Error(`setup message ${msg.type} refused: ${JSON.stringify(e, (_k, v: unknown) => (Buffer.isBuffer(v) ? v.toString('hex') : v))}`);
      }
      clock.runAll();
      const rejected: RejectedMessage[] = [];
      c.messages.forEach((msg, index) => {
        const e = refused({ ...msg, xid: 1000 + index });
        if (e) rejected.push({ index, type: msg.type, errType: e.type === 'error' ? e.errType : 0xffff, code: e.type === 'error' ? e.code : e.expType });
      });
      clock.runAll();
      if (rejected.length > 0) return { verdict: { kind: 'rejected', errors: rejected }, frames: [] };
      frames.length = 0;
      const input = Buffer.from(c.packet);
      if (inject === 'packet_out') {
        const replies = sw.handleMessage({ type: 'packet_out', bufferId: 0xffffffff, inPort: c.inPort, actions: [{ type: 'output', port: 0xfffffff9 /* OFPP_TABLE */, maxLen: 0 }], data: input });
        if (replies.length > 0) throw new Error(`emulator refused the injecting packet_out: ${JSON.stringify(replies.map((r) => r.type))}`);
      } else if (sw.receive) sw.receive(c.inPort, input);
      else ports.get(c.inPort)!.receive(input);
      clock.runAll();
      const outputs: VerdictOutput[] = frames.map((f) => ({ port: f.port, ...(f.reason !== undefined ? { reason: f.reason } : {}), headers: headerView(f.frame) }));
      return { verdict: { kind: 'forwarded', outputs }, frames };
    } catch (e) {
      const err = e as Error;
      return { verdict: { kind: 'emulator-crash', message: `${err.name}: ${err.message}\n${(err.stack ?? '').split('\n').slice(1, 6).join('\n')}` }, frames: [] };
    }
  }
}
