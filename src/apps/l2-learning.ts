import { OFP_NO_BUFFER, OFPCML_NO_BUFFER, OFPFC, OFPG, OFPP } from '../codec/openflow/constants';
import type { MessageOf, OfpMessage } from '../codec/openflow/types';
import type { ControllerApp } from '../openflow/controller';
import type { SwitchConnection } from '../openflow/connection';

/** Cookie owner tag for flows this application installs (top 16 bits: "L2"). */
export const L2_COOKIE = 0x4c32n << 48n;

/** Priority bands of the learning application (named, not scattered numbers). */
export const L2_PRIORITY = { TABLE_MISS: 0, LEARNED: 10 } as const;

const OFPP_CONTROLLER = OFPP.CONTROLLER;
const OFPP_FLOOD = OFPP.FLOOD;
const OFPP_ANY = OFPP.ANY;
const OFPG_ANY = OFPG.ANY;
const OFPFC_ADD = OFPFC.ADD;

export interface L2LearningOptions {
  /** idle_timeout of learned flows in seconds (0 = never). Default 300. */
  idleTimeoutSec?: number;
}

/** Per-switch MAC table: MAC (48-bit number) -> port. */
export type MacTable = Map<number, number>;

/** The table-miss flow that sends unknown traffic to the controller. */
export function tableMissFlow(): MessageOf<'flow_mod'> {
  return {
    type: 'flow_mod',
    cookie: L2_COOKIE,
    cookieMask: 0n,
    tableId: 0,
    command: OFPFC_ADD,
    idleTimeout: 0,
    hardTimeout: 0,
    priority: L2_PRIORITY.TABLE_MISS,
    bufferId: OFP_NO_BUFFER,
    outPort: OFPP_ANY,
    outGroup: OFPG_ANY,
    flags: 0,
    match: [],
    instructions: [{ type: 'apply_actions', actions: [{ type: 'output', port: OFPP_CONTROLLER, maxLen: OFPCML_NO_BUFFER }] }],
  };
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** MAC text of the 6 bytes at `off` (hot path: no regex, no intermediate buffers). */
function macAt(b: Buffer, off: number): string {
  return `${HEX[b[off]!]}:${HEX[b[off + 1]!]}:${HEX[b[off + 2]!]}:${HEX[b[off + 3]!]}:${HEX[b[off + 4]!]}:${HEX[b[off + 5]!]}`;
}

/**
 * The learning decision for one packet-in, as messages to send (pure: no I/O). Learns the source MAC on the ingress
 * port; for a known unicast destination installs a flow (in_port, eth_src, eth_dst) -> output and releases the
 * packet; otherwise floods it.
 */
export function learn(table: MacTable, inPort: number, frame: Buffer, bufferId: number, opts: L2LearningOptions = {}): OfpMessage[] {
  if (frame.length < 14) return [];
  const dst = frame.readUIntBE(0, 6);
  const src = frame.readUIntBE(6, 6);
  const srcMulticast = (frame[6]! & 1) === 1;
  if (!srcMulticast) table.set(src, inPort);
  const dstMulticast = (frame[0]! & 1) === 1;
  const outPort = dstMulticast ? undefined : table.get(dst);
  const data = bufferId === OFP_NO_BUFFER ? frame : Buffer.alloc(0);
  if (outPort === undefined) {
    return [{ type: 'packet_out', bufferId, inPort, actions: [{ type: 'output', port: OFPP_FLOOD, maxLen: 0 }], data }];
  }
  if (outPort === inPort) return []; // would hairpin: drop
  const flow: MessageOf<'flow_mod'> = {
    type: 'flow_mod',
    cookie: L2_COOKIE,
    cookieMask: 0n,
    tableId: 0,
    command: OFPFC_ADD,
    idleTimeout: opts.idleTimeoutSec ?? 300,
    hardTimeout: 0,
    priority: L2_PRIORITY.LEARNED,
    bufferId,
    outPort: OFPP_ANY,
    outGroup: OFPG_ANY,
    flags: 0,
    match: [
      { field: 'in_port', value: inPort },
      { field: 'eth_dst', value: macAt(frame, 0) },
      { field: 'eth_src', value: macAt(frame, 6) },
    ],
    instructions: [{ type: 'apply_actions', actions: [{ type: 'output', port: outPort, maxLen: 0 }] }],
  };
  if (bufferId !== OFP_NO_BUFFER) return [flow]; // the switch applies the flow to the buffered packet
  return [flow, { type: 'packet_out', bufferId, inPort, actions: [{ type: 'output', port: outPort, maxLen: 0 }], data }];
}

/** in_port of a packet-in, from its match (0 when absent). */
export function packetInPort(msg: MessageOf<'packet_in'>): number {
  for (const f of msg.match) if (f.field === 'in_port') return f.value as number;
  return 0;
}

/** Reactive L2 learning switch bound to a controller: the application the lab selftest and the benchmark run. */
export class L2LearningApp implements ControllerApp {
  readonly tables = new Map<bigint, MacTable>();
  packetIns = 0;
  sent = 0;

  constructor(private readonly opts: L2LearningOptions = {}) {}

  async onSwitchReady(conn: SwitchConnection): Promise<void> {
    this.tables.set(conn.datapathId, new Map());
    conn.send(tableMissFlow());
    await conn.barrier();
  }

  onPacketIn(conn: SwitchConnection, msg: MessageOf<'packet_in'>): void {
    this.packetIns++;
    let table = this.tables.get(conn.datapathId);
    if (table === undefined) {
      table = new Map();
      this.tables.set(conn.datapathId, table);
    }
    for (const out of learn(table, packetInPort(msg), msg.data, msg.bufferId, this.opts)) {
      conn.send(out);
      this.sent++;
    }
  }

  onSwitchGone(conn: SwitchConnection): void {
    this.tables.delete(conn.datapathId);
  }
}
