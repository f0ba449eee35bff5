/**
 * A software OpenFlow 1.3 switch that behaves like Open vSwitch towards its controller: ports wired to links
 * through Endpoints, a multi-table pipeline, groups, meters, flow timeouts on the Clock, packet-in (with optional
 * buffering), bundles, and OVS's error codes. `handleMessage` answers one controller message synchronously;
 * asynchronous messages (packet_in, flow_removed, port_status) go to `onAsync` while a controller is connected.
 * Without a controller, fail mode `standalone` forwards everything like OVS's NORMAL action (fail-open) and `secure`
 * keeps using its flows.
 */
import { encodeMessage } from '../../codec/openflow/message';
import {
  OFPBRC,
  OFPC,
  OFPCML,
  OFPCR_ROLE,
  OFPFC,
  OFPFF,
  OFPFMFC,
  OFPG,
  OFPMPF,
  OFPP,
  OFPPC,
  OFPPF,
  OFPPMFC,
  OFPPR,
  OFPPS,
  OFPR,
  OFPRR,
  OFPRRFC,
  OFPTMFC,
  OFP_NO_BUFFER,
  ONFERR_ET,
  ONF_BCT,
  ONF_EXPERIMENTER_ID,
} from '../../codec/openflow/constants';
import { OFPET } from '../../codec/openflow/errors';
import type {
  Action,
  AsyncConfig,
  FlowStats,
  Match,
  MessageOf,
  MultipartReplyBody,
  OfpMessage,
  PortDesc,
  PortStats,
  SwitchDesc,
} from '../../codec/openflow/types';
import type { Clock, TimerHandle } from '../../core/clock';
import { macFromNumber, macToNumber } from '../../core/addr';
import type { Random } from '../../core/random';
import type { Endpoint, Transmitter } from '../net/endpoint';
import { type ActionHost, type CompiledAction, compileActions, execAction } from './actions';
import { PacketCtx } from './context';
import { OfpRequestError } from './errors';
import { extractKey, K } from './flow-key';
import { type FlowCriteria, FlowEntry, FlowTables } from './flow-table';
import { GroupTable } from './groups';
import { compileMatch, type CompiledMatch } from './match';
import { MeterTable } from './meters';
import { type TraceResult, trace as traceSwitch } from './trace';
import { compileInstructions, FlowProgram, type PipelineHost, type PipelineTrace, runPipeline } from './pipeline';

/** Options of {@link SoftSwitch}. */
export interface SoftSwitchOptions {
  dpid: bigint;
  name: string;
  clock: Clock;
  /** Number of flow tables (OVS: 254, tables 0..253). */
  nTables?: number;
  failMode: 'secure' | 'standalone';
  /** Packet buffers for packet-in; 0 (default, as OVS) = never buffer, always send the whole packet. */
  nBuffers?: number;
  /** For MAC addresses of ports added without one. */
  random?: Random;
  /** switch description (defaults are OVS's). */
  desc?: Partial<SwitchDesc>;
}

/** Seconds a packet buffer stays valid. */
const BUFFER_TIMEOUT_MS = 5000;
/** MAC learning entry lifetime (OVS mac-aging-time default). */
const MAC_AGING_MS = 300_000;
/** OVS's default miss_send_len for a primary controller. */
const DEFAULT_MISS_SEND_LEN = 128;
const NO_COOKIE = 0xffffffffffffffffn;

/** Counters of a port. */
class PortCounters {
  rxPackets = 0;
  txPackets = 0;
  rxBytes = 0;
  txBytes = 0;
  rxDropped = 0;
  txDropped = 0;
}

/** A switch port: the Endpoint a Link attaches to. */
export class SwitchPort implements Endpoint {
  readonly name: string;
  config = 0;
  tx: Transmitter | undefined;
  linkUp = false;
  readonly stats = new PortCounters();
  readonly created: number;

  constructor(
    private readonly sw: SoftSwitch,
    readonly portNo: number,
    readonly portName: string,
    public hwAddr: string,
  ) {
    this.name = `${sw.name}:${portName}`;
    this.created = sw.clock.now();
  }

  receive(frame: Buffer): void {
    this.sw.receive(this.portNo, frame);
  }

  attach(tx: Transmitter | undefined): void {
    this.tx = tx;
    this.setCarrier(tx !== undefined && tx.up);
  }

  carrierChanged(up: boolean): void {
    this.setCarrier(up);
  }

  private setCarrier(up: boolean): void {
    if (up === this.linkUp) return;
    this.linkUp = up;
    this.sw.portChanged(this, OFPPR.MODIFY);
  }

  /** Live: administratively up and link up (fast-failover watch). */
  get live(): boolean {
    return this.linkUp && (this.config & OFPPC.PORT_DOWN) === 0;
  }

  /** OpenFlow state bits. */
  get state(): number {
    return this.linkUp ? OFPPS.LIVE : OFPPS.LINK_DOWN;
  }

  desc(): PortDesc {
    const feat = OFPPF['10GB_FD'] | OFPPF.COPPER;
    return {
      portNo: this.portNo,
      hwAddr: this.hwAddr,
      name: this.portName,
      config: this.config,
      state: this.state,
      curr: feat,
      advertised: 0,
      supported: 0,
      peer: 0,
      currSpeed: 10_000_000,
      maxSpeed: 0,
    };
  }
}

/** An output recorded instead of transmitted (traces). */
export interface TracedOutput {
  port: number;
  frame: Buffer;
}

/** Sink for the side effects of a traced packet. */
export interface TraceCollector extends PipelineTrace {
  output(port: number, frame: Buffer): void;
  packetIn(msg: MessageOf<'packet_in'>): void;
  drop(reason: string): void;
}

interface BufferedPacket {
  frame: Buffer;
  inPort: number;
  at: number;
}

interface Bundle {
  flags: number;
  msgs: OfpMessage[];
  closed: boolean;
}

interface NormalEntry {
  port: number;
  at: number;
}

function errorData(msg: OfpMessage): Buffer {
  try {
    const b = encodeMessage(msg, msg.xid ?? 0);
    return b.subarray(0, Math.min(64, b.length));
  } catch {
    return Buffer.alloc(0);
  }
}

function splitDuration(ms: number): { durationSec: number; durationNsec: number } {
  const d = Math.max(0, ms);
  const sec = Math.floor(d / 1000);
  return { durationSec: sec, durationNsec: Math.floor((d - sec * 1000) * 1e6) };
}

const MAX_REPLY = 65000;

/**
 * The software OpenFlow 1.3 switch. Wire ports with {@link addPort} (returns the Endpoint for a Link), drive it with
 * {@link handleMessage} (or an OfAgent), and read asynchronous messages from {@link onAsync}.
 */
export class SoftSwitch implements PipelineHost, ActionHost {
  readonly dpid: bigint;
  readonly name: string;
  readonly clock: Clock;
  readonly nTables: number;
  failMode: 'secure' | 'standalone';
  readonly nBuffers: number;
  readonly tables: FlowTables;
  readonly groups = new GroupTable();
  readonly meters = new MeterTable();
  private readonly ports = new Map<number, SwitchPort>();
  private readonly desc: SwitchDesc;
  private readonly random: Random | undefined;

  /** Receives async messages; null = no controller connected (fail mode applies). */
  onAsync: ((msg: OfpMessage) => void) | null = null;

  private flags = 0;
  private missSendLen = DEFAULT_MISS_SEND_LEN;
  private role: number = OFPCR_ROLE.EQUAL;
  private generationId: bigint | undefined;
  private asyncConfig: AsyncConfig = { packetInMask: [3, 0], portStatusMask: [7, 7], flowRemovedMask: [15, 0] };
  private readonly bundles = new Map<number, Bundle>();
  /** While a bundle commits: async messages held until it succeeds. */
  private held: OfpMessage[] | null = null;
  private readonly buffers = new Map<number, BufferedPacket>();
  private nextBufferId = 1;
  private readonly macTable = new Map<number, Map<number, NormalEntry>>();
  private expiryTimer: TimerHandle | undefined;
  private expiryAt = Infinity;
  /** Context pool indexed by re-entrancy depth. */
  private readonly ctxPool: PacketCtx[] = [];
  private depth = 0;
  private tracer: TraceCollector | null = null;
  private portSeq = 0;

  constructor(opts: SoftSwitchOptions) {
    this.dpid = opts.dpid;
    this.name = opts.name;
    this.clock = opts.clock;
    this.nTables = opts.nTables ?? 254;
    this.failMode = opts.failMode;
    this.nBuffers = opts.nBuffers ?? 0;
    this.random = opts.random;
    this.tables = new FlowTables(this.nTables);
    this.desc = {
      mfrDesc: 'Nicira, Inc.',
      hwDesc: 'Open vSwitch',
      swDesc: '3.1.0',
      serialNum: 'None',
      dpDesc: 'None',
      ...opts.desc,
    };
  }

  now(): number {
    return this.clock.now();
  }

  /** Whether a controller is connected (async messages delivered). */
  /** Bundles opened and neither committed nor discarded yet. */
  get openBundles(): number {
    return this.bundles.size;
  }

  get controllerConnected(): boolean {
    return this.onAsync !== null;
  }

  // ------------------------------------------------------------------------------------------------------------
  // Ports

  /** Adds port `portNo` and returns its Endpoint (attach it to a Link). Raises PORT_STATUS ADD. */
  addPort(portNo: number, name: string, hwAddr?: string): Endpoint {
    if (this.ports.has(portNo) || portNo === 0 || portNo > OFPP.MAX) {
      throw new OfpRequestError(OFPET.PORT_MOD_FAILED, OFPPMFC.BAD_PORT, `port ${portNo} exists or is invalid`);
    }
    const mac = hwAddr ?? this.makeMac(portNo);
    const p = new SwitchPort(this, portNo, name, mac);
    this.ports.set(portNo, p);
    this.portChanged(p, OFPPR.ADD);
    return p;
  }

  private makeMac(portNo: number): string {
    const r = this.random ? Math.floor(this.random() * 0x10000) : Number(this.dpid & 0xffffn);
    ++this.portSeq;
    const n = 0x020000000000 + ((r & 0xffff) * 0x1000000) + (portNo & 0xffffff);
    return macFromNumber(n);
  }

  /** Removes a port (PORT_STATUS DELETE). */
  removePort(portNo: number): void {
    const p = this.ports.get(portNo);
    if (p === undefined) return;
    this.ports.delete(portNo);
    this.emitAsync({ type: 'port_status', reason: OFPPR.DELETE, port: p.desc() });
  }

  /** Administratively enables/disables a port (OFPPC_PORT_DOWN), raising PORT_STATUS MODIFY. */
  setPortAdmin(portNo: number, up: boolean): void {
    const p = this.ports.get(portNo);
    if (p === undefined) return;
    const config = up ? p.config & ~OFPPC.PORT_DOWN : p.config | OFPPC.PORT_DOWN;
    if (config === p.config) return;
    p.config = config;
    this.portChanged(p, OFPPR.MODIFY);
  }

  /** The port, if any. */
  port(portNo: number): SwitchPort | undefined {
    return this.ports.get(portNo);
  }

  /** Port numbers in ascending order. */
  portNumbers(): number[] {
    return [...this.ports.keys()].sort((a, b) => a - b);
  }

  /** @internal called by ports */
  portChanged(p: SwitchPort, reason: number): void {
    if (!this.ports.has(p.portNo) && reason !== OFPPR.DELETE) return;
    this.emitAsync({ type: 'port_status', reason, port: p.desc() });
  }

  portLive(portNo: number): boolean {
    return this.ports.get(portNo)?.live ?? false;
  }

  // ------------------------------------------------------------------------------------------------------------
  // Data path

  private acquireCtx(): PacketCtx {
    let c = this.ctxPool[this.depth];
    if (c === undefined) {
      c = new PacketCtx();
      this.ctxPool[this.depth] = c;
    }
    this.depth++;
    return c;
  }

  /** A frame arrived on `portNo` (called by the port's Endpoint). */
  receive(portNo: number, frame: Buffer): void {
    const p = this.ports.get(portNo);
    if (p === undefined) return;
    if ((p.config & (OFPPC.PORT_DOWN | OFPPC.NO_RECV)) !== 0) {
      p.stats.rxDropped++;
      return;
    }
    p.stats.rxPackets++;
    p.stats.rxBytes += frame.length;
    const ctx = this.acquireCtx();
    try {
      ctx.reset(frame, portNo, false);
      const w = ctx.key.w;
      w[K.IN_PORT] = portNo;
      w[K.IN_PHY_PORT] = portNo;
      w[K.METADATA] = 0;
      w[K.METADATA + 1] = 0;
      w[K.TUNNEL_ID] = 0;
      w[K.TUNNEL_ID + 1] = 0;
      extractKey(frame, ctx.key);
      if (this.failMode === 'standalone' && this.onAsync === null) this.normal(ctx);
      else runPipeline(ctx, this, 0, null);
    } finally {
      this.depth--;
    }
  }

  /** Action effect: output to a port or reserved port. */
  output(ctx: PacketCtx, port: number, maxLen: number): void {
    const inPort = ctx.inPort;
    switch (port) {
      case OFPP.IN_PORT:
        this.transmit(ctx, inPort);
        return;
      case OFPP.CONTROLLER:
        this.packetIn(ctx, ctx.missFlow && !ctx.inPacketOut ? OFPR.NO_MATCH : OFPR.ACTION, maxLen);
        return;
      case OFPP.FLOOD:
      case OFPP.ALL:
        for (const p of this.ports.values()) {
          if (p.portNo === inPort) continue;
          if (port === OFPP.FLOOD && (p.config & OFPPC.NO_FWD) !== 0) continue;
          this.transmit(ctx, p.portNo);
        }
        return;
      case OFPP.NORMAL:
        this.normal(ctx);
        return;
      case OFPP.TABLE:
        if (ctx.fromController) {
          ctx.fromController = false;
          runPipeline(ctx, this, 0, this.tracer);
        }
        return;
      case OFPP.LOCAL:
        this.tracer?.drop('output to LOCAL (not attached)');
        return;
      default:
        if (port === inPort) {
          this.tracer?.note(`skipping output to input port ${port}`);
          return;
        }
        this.transmit(ctx, port);
    }
  }

  /** Sends the frame out of a physical port (or records it when tracing). */
  private transmit(ctx: PacketCtx, portNo: number): void {
    const p = this.ports.get(portNo);
    if (p === undefined) {
      this.tracer?.drop(`output to nonexistent port ${portNo}`);
      return;
    }
    const frame = ctx.frame;
    ctx.owned = false; // the frame now belongs to the receiver too
    if (this.tracer !== null) {
      if ((p.config & (OFPPC.PORT_DOWN | OFPPC.NO_FWD)) !== 0 || !p.linkUp) this.tracer.drop(`port ${portNo} is down`);
      else this.tracer.output(portNo, frame);
      return;
    }
    if ((p.config & (OFPPC.PORT_DOWN | OFPPC.NO_FWD)) !== 0 || p.tx === undefined || !p.linkUp) {
      p.stats.txDropped++;
      return;
    }
    p.stats.txPackets++;
    p.stats.txBytes += frame.length;
    p.tx.transmit(frame);
  }

  group(ctx: PacketCtx, groupId: number): void {
    this.groups.execute(groupId, ctx, this, this, this.tracer === null);
  }

  invalidTtl(ctx: PacketCtx): void {
    this.tracer?.drop('TTL expired');
    this.packetIn(ctx, OFPR.INVALID_TTL, OFPCML.NO_BUFFER);
  }

  meter(ctx: PacketCtx, meterId: number): boolean {
    const m = this.meters.get(meterId);
    if (m === undefined) return true;
    return m.charge(ctx.frame.length, this.clock.now());
  }

  /** OFPP_NORMAL: VLAN-aware MAC learning switch (OVS's NORMAL, all ports trunks). */
  private normal(ctx: PacketCtx): void {
    const key = ctx.key;
    const vlan = key.w[K.VLAN_VID]! & 0xfff;
    let table = this.macTable.get(vlan);
    if (table === undefined) {
      table = new Map();
      this.macTable.set(vlan, table);
    }
    const now = this.clock.now();
    const src = key.ethSrc();
    const srcHi = key.w[K.ETH_SRC]!;
    if ((srcHi & 0x0100) === 0 && this.tracer === null && this.ports.has(ctx.inPort)) {
      const e = table.get(src);
      if (e === undefined) table.set(src, { port: ctx.inPort, at: now });
      else {
        e.port = ctx.inPort;
        e.at = now;
      }
    }
    const dstHi = key.w[K.ETH_DST]!;
    if ((dstHi & 0x0100) === 0) {
      const e = table.get(key.ethDst());
      if (e !== undefined && now - e.at < MAC_AGING_MS && this.ports.has(e.port)) {
        if (e.port === ctx.inPort) {
          this.tracer?.drop('NORMAL: learned port is the input port');
          return;
        }
        this.tracer?.note(`NORMAL: forwarding to learned port ${e.port}`);
        this.transmit(ctx, e.port);
        return;
      }
    }
    this.tracer?.note('NORMAL: flooding');
    for (const p of this.ports.values()) if (p.portNo !== ctx.inPort) this.transmit(ctx, p.portNo);
  }

  /** Forgets learned MAC addresses (NORMAL). */
  flushMacTable(): void {
    this.macTable.clear();
  }

  /** The port NORMAL learned `mac` on, if any. */
  learnedPort(mac: string, vlan = 0): number | undefined {
    return this.macTable.get(vlan)?.get(macToNumber(mac))?.port;
  }

  // ------------------------------------------------------------------------------------------------------------
  // Async messages

  private roleIndex(): 0 | 1 {
    return this.role === OFPCR_ROLE.SLAVE ? 1 : 0;
  }

  private emitAsync(msg: OfpMessage): void {
    if (this.held !== null) {
      this.held.push(msg);
      return;
    }
    const sink = this.onAsync;
    if (sink === null) return;
    const ri = this.roleIndex();
    const c = this.asyncConfig;
    if (msg.type === 'packet_in' && ((c.packetInMask[ri] >>> msg.reason) & 1) === 0) return;
    if (msg.type === 'port_status' && ((c.portStatusMask[ri] >>> msg.reason) & 1) === 0) return;
    if (msg.type === 'flow_removed' && ((c.flowRemovedMask[ri] >>> msg.reason) & 1) === 0) return;
    sink(msg);
  }

  /** Builds the packet-in match: in_port always, tunnel_id and metadata when non-zero (as OVS). */
  private packetInMatch(ctx: PacketCtx): Match {
    const w = ctx.key.w;
    const m: Match = [{ field: 'in_port', value: ctx.inPort >>> 0 }];
    if (w[K.TUNNEL_ID] !== 0 || w[K.TUNNEL_ID + 1] !== 0) {
      m.push({ field: 'tunnel_id', value: (BigInt(w[K.TUNNEL_ID]!) << 32n) | BigInt(w[K.TUNNEL_ID + 1]!) });
    }
    if (w[K.METADATA] !== 0 || w[K.METADATA + 1] !== 0) {
      m.push({ field: 'metadata', value: (BigInt(w[K.METADATA]!) << 32n) | BigInt(w[K.METADATA + 1]!) });
    }
    return m;
  }

  private packetIn(ctx: PacketCtx, reason: number, maxLen: number): void {
    const frame = ctx.frame;
    ctx.owned = false;
    const tracing = this.tracer !== null;
    if (!tracing && this.onAsync === null) return; // no controller: nothing to send (fail mode secure)
    let bufferId = OFP_NO_BUFFER;
    let data = frame;
    const len = reason === OFPR.NO_MATCH ? this.missSendLen : maxLen;
    if (this.nBuffers > 0 && len !== OFPCML.NO_BUFFER && !tracing) {
      bufferId = this.storeBuffer(frame, ctx.inPort);
      data = frame.subarray(0, Math.min(len, frame.length));
    }
    const msg: MessageOf<'packet_in'> = {
      type: 'packet_in',
      bufferId,
      totalLen: frame.length,
      reason,
      tableId: ctx.tableId,
      cookie: ctx.cookie,
      match: this.packetInMatch(ctx),
      data: Buffer.from(data),
    };
    if (tracing) this.tracer!.packetIn(msg);
    else this.emitAsync(msg);
  }

  private storeBuffer(frame: Buffer, inPort: number): number {
    const id = this.nextBufferId;
    this.nextBufferId = this.nextBufferId >= 0x7fffffff ? 1 : this.nextBufferId + 1;
    this.buffers.set(id, { frame: Buffer.from(frame), inPort, at: this.clock.now() });
    while (this.buffers.size > this.nBuffers) {
      const oldest = this.buffers.keys().next().value as number;
      this.buffers.delete(oldest);
    }
    return id;
  }

  /** Takes a buffered packet; throws BUFFER_UNKNOWN / BUFFER_EMPTY as appropriate. */
  private takeBuffer(id: number): BufferedPacket {
    const b = this.buffers.get(id);
    if (b === undefined) throw new OfpRequestError(OFPET.BAD_REQUEST, OFPBRC.BUFFER_UNKNOWN, `unknown buffer ${id}`);
    this.buffers.delete(id);
    if (this.clock.now() - b.at > BUFFER_TIMEOUT_MS) {
      throw new OfpRequestError(OFPET.BAD_REQUEST, OFPBRC.BUFFER_EMPTY, `buffer ${id} expired`);
    }
    return b;
  }

  private flowRemoved(e: FlowEntry, reason: number): void {
    if ((e.flags & OFPFF.SEND_FLOW_REM) === 0) return;
    const now = this.clock.now();
    this.emitAsync({
      type: 'flow_removed',
      cookie: e.cookie,
      priority: e.priority,
      reason,
      tableId: e.tableId,
      ...splitDuration(now - e.created),
      idleTimeout: e.idleTimeout,
      hardTimeout: e.hardTimeout,
      packetCount: BigInt(e.packetCount),
      byteCount: BigInt(e.byteCount),
      match: e.cm.match,
    });
  }

  // ------------------------------------------------------------------------------------------------------------
  // Timeouts

  private scheduleExpiry(): void {
    let next = Infinity;
    for (const e of this.tables.timed) {
      if (e.hardTimeout > 0) next = Math.min(next, e.created + e.hardTimeout * 1000);
      if (e.idleTimeout > 0) next = Math.min(next, e.lastUsed + e.idleTimeout * 1000);
    }
    if (next === this.expiryAt) return;
    if (this.expiryTimer !== undefined) this.clock.clearTimeout(this.expiryTimer);
    this.expiryTimer = undefined;
    this.expiryAt = next;
    if (next === Infinity) return;
    this.expiryTimer = this.clock.setTimeout(() => {
      this.expiryTimer = undefined;
      this.expiryAt = Infinity;
      this.expire();
    }, Math.max(0, next - this.clock.now()));
  }

  /** Removes flows whose idle or hard timeout has passed (normally driven by the Clock). */
  expire(): void {
    const now = this.clock.now();
    for (const e of [...this.tables.timed]) {
      let reason = -1;
      if (e.hardTimeout > 0 && now >= e.created + e.hardTimeout * 1000) reason = OFPRR.HARD_TIMEOUT;
      else if (e.idleTimeout > 0 && now >= e.lastUsed + e.idleTimeout * 1000) reason = OFPRR.IDLE_TIMEOUT;
      if (reason < 0) continue;
      this.tables.remove(e);
      this.flowRemoved(e, reason);
    }
    this.scheduleExpiry();
  }

  /** Stops timers (the switch is being discarded). */
  close(): void {
    if (this.expiryTimer !== undefined) this.clock.clearTimeout(this.expiryTimer);
    this.expiryTimer = undefined;
    this.expiryAt = Infinity;
    this.onAsync = null;
  }

  // ------------------------------------------------------------------------------------------------------------
  // Controller messages

  /**
   * Processes one controller message and returns the replies (errors included), in order. Asynchronous
   * consequences (flow_removed, packet_in from a packet_out) go to onAsync.
   */
  handleMessage(msg: OfpMessage): OfpMessage[] {
    const xid = msg.xid ?? 0;
    try {
      return this.dispatch(msg, xid);
    } catch (e) {
      if (e instanceof OfpRequestError) return [this.errorFor(e, msg, xid)];
      throw e;
    }
  }

  private errorFor(e: OfpRequestError, msg: OfpMessage, xid: number): OfpMessage {
    if (e.experimenter !== undefined) {
      return { type: 'error_experimenter', expType: e.errCode, experimenter: e.experimenter, data: errorData(msg), xid };
    }
    return { type: 'error', errType: e.errType, code: e.errCode, data: errorData(msg), xid };
  }

  private checkMaster(): void {
    if (this.role === OFPCR_ROLE.SLAVE) throw new OfpRequestError(OFPET.BAD_REQUEST, OFPBRC.IS_SLAVE, 'controller is slave');
  }

  private dispatch(msg: OfpMessage, xid: number): OfpMessage[] {
    switch (msg.type) {
      case 'hello':
      case 'echo_reply':
      case 'error':
      case 'error_experimenter':
        return [];
      case 'echo_request':
        return [{ type: 'echo_reply', data: msg.data, xid }];
      case 'features_request':
        return [
          {
            type: 'features_reply',
            datapathId: this.dpid,
            nBuffers: this.nBuffers,
            nTables: this.nTables,
            auxiliaryId: 0,
            capabilities: OFPC.FLOW_STATS | OFPC.TABLE_STATS | OFPC.PORT_STATS | OFPC.GROUP_STATS | OFPC.QUEUE_STATS,
            reserved: 0,
            xid,
          },
        ];
      case 'get_config_request':
        return [{ type: 'get_config_reply', flags: this.flags, missSendLen: this.missSendLen, xid }];
      case 'set_config':
        this.flags = msg.flags & 3;
        this.missSendLen = msg.missSendLen;
        return [];
      case 'barrier_request':
        return [{ type: 'barrier_reply', xid }];
      case 'role_request':
        return [this.roleRequest(msg, xid)];
      case 'get_async_request':
        return [{ type: 'get_async_reply', ...this.asyncConfig, xid }];
      case 'set_async':
        this.asyncConfig = {
          packetInMask: [...msg.packetInMask],
          portStatusMask: [...msg.portStatusMask],
          flowRemovedMask: [...msg.flowRemovedMask],
        };
        return [];
      case 'flow_mod':
        this.checkMaster();
        this.flowMod(msg);
        return [];
      case 'group_mod':
        this.checkMaster();
        this.groupMod(msg);
        return [];
      case 'meter_mod':
        this.checkMaster();
        this.meterMod(msg);
        return [];
      case 'port_mod':
        this.checkMaster();
        this.portMod(msg);
        return [];
      case 'table_mod':
        this.checkMaster();
        if (msg.tableId !== 0xff && msg.tableId >= this.nTables) {
          throw new OfpRequestError(OFPET.TABLE_MOD_FAILED, OFPTMFC.BAD_TABLE, `table ${msg.tableId}`);
        }
        return [];
      case 'packet_out':
        this.checkMaster();
        this.packetOut(msg);
        return [];
      case 'multipart_request':
        return this.multipart(msg, xid);
      case 'bundle_control':
        return this.bundleControl(msg, xid);
      case 'bundle_add':
        this.bundleAdd(msg);
        return [];
      case 'experimenter':
        throw new OfpRequestError(OFPET.BAD_REQUEST, OFPBRC.BAD_EXPERIMENTER, 'unknown experimenter');
      default:
        throw new OfpRequestError(OFPET.BAD_REQUEST, OFPBRC.BAD_TYPE, `unexpected ${msg.type}`);
    }
  }

  private roleRequest(msg: MessageOf<'role_request'>, xid: number): OfpMessage {
    const r = msg.role;
    if (r > OFPCR_ROLE.SLAVE) throw new OfpRequestError(OFPET.ROLE_REQUEST_FAILED, OFPRRFC.BAD_ROLE, `role ${r}`);
    if (r === OFPCR_ROLE.MASTER || r === OFPCR_ROLE.SLAVE) {
      if (this.generationId !== undefined) {
        const diff = BigInt.asIntN(64, msg.generationId - this.generationId);
        if (diff < 0n) throw new OfpRequestError(OFPET.ROLE_REQUEST_FAILED, OFPRRFC.STALE, 'stale generation id');
      }
      this.generationId = msg.generationId;
    }
    if (r !== OFPCR_ROLE.NOCHANGE) this.role = r;
    return { type: 'role_reply', role: this.role, generationId: this.generationId ?? 0n, xid };
  }

  // ---- flow_mod

  private instructionEnv(packetOut = false) {
    return {
      groupExists: (id: number) => this.groups.has(id),
      meterExists: (id: number) => this.meters.has(id),
      packetOut,
      checkPrereqs: true,
    };
  }

  /** Static validation of a flow_mod (match, command, table, flags); returns the compiled match. */
  private checkFlowMod(m: MessageOf<'flow_mod'>): CompiledMatch {
    if (m.command > OFPFC.DELETE_STRICT) throw new OfpRequestError(OFPET.FLOW_MOD_FAILED, OFPFMFC.BAD_COMMAND, `command ${m.command}`);
    const isDelete = m.command === OFPFC.DELETE || m.command === OFPFC.DELETE_STRICT;
    if (m.tableId === 0xff) {
      if (m.command === OFPFC.ADD) throw new OfpRequestError(OFPET.FLOW_MOD_FAILED, OFPFMFC.BAD_TABLE_ID, 'ADD to OFPTT_ALL');
    } else if (m.tableId >= this.nTables) {
      if (this.nTables === 254 && m.tableId === 254) throw new OfpRequestError(OFPET.BAD_REQUEST, OFPBRC.EPERM, 'table 254 is hidden');
      throw new OfpRequestError(OFPET.FLOW_MOD_FAILED, OFPFMFC.BAD_TABLE_ID, `table ${m.tableId}`);
    }
    if ((m.flags & ~0x1f) !== 0) throw new OfpRequestError(OFPET.FLOW_MOD_FAILED, OFPFMFC.BAD_FLAGS, `flags ${m.flags}`);
    const cm = compileMatch(m.match);
    if (!isDelete) compileInstructions(m.instructions, cm, m.tableId === 0xff ? 0 : m.tableId, { ...this.instructionEnv(), groupExists: () => true, meterExists: () => true });
    return cm;
  }

  private flowMod(m: MessageOf<'flow_mod'>): void {
    const cm = this.checkFlowMod(m);
    const now = this.clock.now();
    switch (m.command) {
      case OFPFC.ADD: {
        const prog = compileInstructions(m.instructions, cm, m.tableId, this.instructionEnv());
        const table = this.tables.get(m.tableId);
        const old = table.findStrict(cm, m.priority);
        if ((m.flags & OFPFF.CHECK_OVERLAP) !== 0) {
          for (const e of table.flows) {
            if (e !== old && e.priority === m.priority && e.cm.overlaps(cm)) {
              throw new OfpRequestError(OFPET.FLOW_MOD_FAILED, OFPFMFC.OVERLAP, 'overlapping flow');
            }
          }
        }
        const e = new FlowEntry(m.tableId, m.priority, cm, m.cookie, m.idleTimeout, m.hardTimeout, m.flags, m.instructions, prog, now);
        if (old !== undefined) {
          if ((m.flags & OFPFF.RESET_COUNTS) === 0) {
            // As OVS: the replaced flow's statistics carry over, its last-used time (idle timeout) included.
            e.packetCount = old.packetCount;
            e.byteCount = old.byteCount;
            e.lastUsed = old.lastUsed;
          }
          this.tables.remove(old);
        }
        this.tables.insert(e);
        break;
      }
      case OFPFC.MODIFY:
      case OFPFC.MODIFY_STRICT: {
        const sel = this.tables.select(this.criteria(m, cm, m.command === OFPFC.MODIFY_STRICT, false));
        const progs = new Map<number, FlowProgram>();
        for (const e of sel) {
          let prog = progs.get(e.tableId);
          if (prog === undefined) {
            prog = compileInstructions(m.instructions, e.cm, e.tableId, this.instructionEnv());
            progs.set(e.tableId, prog);
          }
          void prog;
        }
        // All validated: apply.
        for (const e of sel) {
          // Prerequisites depend on each flow's own match: recompile per flow when the match differs.
          e.prog = e.cm === cm ? progs.get(e.tableId)! : compileInstructions(m.instructions, e.cm, e.tableId, this.instructionEnv());
          e.instructions = m.instructions;
          if ((m.flags & OFPFF.RESET_COUNTS) !== 0) {
            e.packetCount = 0;
            e.byteCount = 0;
          }
        }
        break;
      }
      case OFPFC.DELETE:
      case OFPFC.DELETE_STRICT: {
        const sel = this.tables.select(this.criteria(m, cm, m.command === OFPFC.DELETE_STRICT, true));
        for (const e of sel) {
          this.tables.remove(e);
          this.flowRemoved(e, OFPRR.DELETE);
        }
        break;
      }
    }
    this.scheduleExpiry();
    if (m.bufferId !== OFP_NO_BUFFER && m.command !== OFPFC.DELETE && m.command !== OFPFC.DELETE_STRICT) {
      const b = this.takeBuffer(m.bufferId);
      this.runFromController(b.frame, b.inPort, null);
    }
  }

  private criteria(m: MessageOf<'flow_mod'>, cm: CompiledMatch, strict: boolean, filterOut: boolean): FlowCriteria {
    return {
      tableId: m.tableId,
      cm,
      strict,
      priority: m.priority,
      cookie: m.cookie,
      cookieMask: m.cookieMask,
      outPort: filterOut ? m.outPort : OFPP.ANY,
      outGroup: filterOut ? m.outGroup : OFPG.ANY,
    };
  }

  private removeFlowsWhere(pred: (e: FlowEntry) => boolean, reason: number): void {
    for (const e of [...this.tables.flows()]) {
      if (pred(e)) {
        this.tables.remove(e);
        this.flowRemoved(e, reason);
      }
    }
    this.scheduleExpiry();
  }

  private groupMod(m: MessageOf<'group_mod'>): void {
    const { deleted } = this.groups.mod(m, this.clock.now());
    if (deleted.length > 0) {
      const ids = new Set(deleted);
      this.removeFlowsWhere((e) => [...ids].some((id) => e.usesGroup(id)), OFPRR.GROUP_DELETE);
    }
  }

  private meterMod(m: MessageOf<'meter_mod'>): void {
    const deleted = this.meters.mod(m, this.clock.now());
    if (deleted.length > 0) {
      const ids = new Set(deleted);
      this.removeFlowsWhere((e) => ids.has(e.prog.meterId), OFPRR.DELETE);
    }
  }

  private portMod(m: MessageOf<'port_mod'>): void {
    const p = this.ports.get(m.portNo);
    if (p === undefined) throw new OfpRequestError(OFPET.PORT_MOD_FAILED, OFPPMFC.BAD_PORT, `port ${m.portNo}`);
    if (m.hwAddr.toLowerCase() !== p.hwAddr) throw new OfpRequestError(OFPET.PORT_MOD_FAILED, OFPPMFC.BAD_HW_ADDR, 'hw_addr mismatch');
    const config = (p.config & ~m.mask) | (m.config & m.mask);
    if (config !== p.config) {
      p.config = config;
      this.portChanged(p, OFPPR.MODIFY);
    }
  }

  // ---- packet_out

  private checkPacketOutPort(inPort: number): void {
    if (inPort <= OFPP.MAX || inPort === OFPP.LOCAL || inPort === OFPP.CONTROLLER || inPort === OFPP.ANY) return;
    throw new OfpRequestError(OFPET.BAD_REQUEST, OFPBRC.BAD_PORT, `packet_out in_port ${inPort}`);
  }

  private packetOut(m: MessageOf<'packet_out'>): void {
    this.checkPacketOutPort(m.inPort);
    let frame = m.data;
    if (m.bufferId !== OFP_NO_BUFFER) frame = this.takeBuffer(m.bufferId).frame;
    this.runFromController(frame, m.inPort, m.actions);
  }

  /**
   * Runs a controller-supplied packet: `actions` (packet_out) or, when null, the pipeline from table 0 (buffered
   * packet of a flow_mod). Validation errors are thrown before anything happens.
   */
  private runFromController(frame: Buffer, inPort: number, actions: readonly Action[] | null): void {
    const ctx = this.acquireCtx();
    try {
      ctx.reset(frame, inPort, false);
      const w = ctx.key.w;
      w[K.IN_PORT] = inPort;
      w[K.IN_PHY_PORT] = inPort;
      w[K.METADATA] = 0;
      w[K.METADATA + 1] = 0;
      w[K.TUNNEL_ID] = 0;
      w[K.TUNNEL_ID + 1] = 0;
      extractKey(frame, ctx.key);
      ctx.fromController = true;
      ctx.inPacketOut = actions !== null;
      if (actions === null) {
        ctx.fromController = false;
        runPipeline(ctx, this, 0, this.tracer);
        return;
      }
      const list = this.compilePacketOut(actions, ctx);
      for (const a of list) {
        if (!execAction(a, ctx, this)) break;
      }
    } finally {
      this.depth--;
    }
  }

  private compilePacketOut(actions: readonly Action[], ctx: PacketCtx): CompiledAction[] {
    const w = ctx.key.w;
    const st = {
      ethType: w[K.ETH_TYPE]!,
      ipProto: w[K.ETH_TYPE] === 0x0800 || w[K.ETH_TYPE] === 0x86dd ? w[K.IP_PROTO]! : -1,
      icmpType: w[K.ICMP_TYPE]!,
      vlanPresent: ctx.key.vlanOff >= 0,
    };
    return compileActions(actions, st, this.instructionEnv(true));
  }

  // ---- multipart

  private flowStats(c: FlowCriteria): FlowStats[] {
    const now = this.clock.now();
    return this.tables.select(c).map((e) => ({
      tableId: e.tableId,
      ...splitDuration(now - e.created),
      priority: e.priority,
      idleTimeout: e.idleTimeout,
      hardTimeout: e.hardTimeout,
      flags: e.flags,
      cookie: e.cookie,
      packetCount: BigInt(e.packetCount),
      byteCount: BigInt(e.byteCount),
      match: e.cm.match,
      instructions: e.instructions,
    }));
  }

  private statsCriteria(b: { tableId: number; outPort: number; outGroup: number; cookie: bigint; cookieMask: bigint; match: Match }): FlowCriteria {
    // OVS accepts its hidden table 254 in stats requests (it holds only internal flows).
    if (b.tableId !== 0xff && b.tableId >= this.nTables && !(b.tableId === 254 && this.nTables === 254)) {
      throw new OfpRequestError(OFPET.BAD_REQUEST, OFPBRC.BAD_TABLE_ID, `table ${b.tableId}`);
    }
    return {
      tableId: b.tableId,
      cm: compileMatch(b.match),
      strict: false,
      priority: 0,
      cookie: b.cookie,
      cookieMask: b.cookieMask,
      outPort: b.outPort,
      outGroup: b.outGroup,
    };
  }

  private portStats(portNo: number): PortStats[] {
    const now = this.clock.now();
    const ports = portNo === OFPP.ANY ? this.portNumbers().map((n) => this.ports.get(n)!) : this.ports.has(portNo) ? [this.ports.get(portNo)!] : [];
    return ports.map((p) => ({
      portNo: p.portNo,
      rxPackets: BigInt(p.stats.rxPackets),
      txPackets: BigInt(p.stats.txPackets),
      rxBytes: BigInt(p.stats.rxBytes),
      txBytes: BigInt(p.stats.txBytes),
      rxDropped: BigInt(p.stats.rxDropped),
      txDropped: BigInt(p.stats.txDropped),
      rxErrors: 0n,
      txErrors: 0n,
      rxFrameErr: 0n,
      rxOverErr: 0n,
      rxCrcErr: 0n,
      collisions: 0n,
      ...splitDuration(now - p.created),
    }));
  }

  private multipart(m: MessageOf<'multipart_request'>, xid: number): OfpMessage[] {
    const b = m.body;
    let body: MultipartReplyBody;
    const now = this.clock.now();
    switch (b.mpType) {
      case 'desc':
        body = { mpType: 'desc', ...this.desc };
        break;
      case 'flow':
        body = { mpType: 'flow', stats: this.flowStats(this.statsCriteria(b)) };
        break;
      case 'aggregate': {
        const sel = this.tables.select(this.statsCriteria(b));
        let pk = 0;
        let by = 0;
        for (const e of sel) {
          pk += e.packetCount;
          by += e.byteCount;
        }
        body = { mpType: 'aggregate', packetCount: BigInt(pk), byteCount: BigInt(by), flowCount: sel.length };
        break;
      }
      case 'table': {
        const stats = [];
        for (let t = 0; t < this.nTables; t++) {
          const tb = this.tables.peek(t);
          stats.push({
            tableId: t,
            activeCount: tb?.size ?? 0,
            lookupCount: BigInt(tb?.lookupCount ?? 0),
            matchedCount: BigInt(tb?.matchedCount ?? 0),
          });
        }
        body = { mpType: 'table', stats };
        break;
      }
      case 'port_stats':
        body = { mpType: 'port_stats', stats: this.portStats(b.portNo) };
        break;
      case 'port_desc':
        body = { mpType: 'port_desc', ports: this.portNumbers().map((n) => this.ports.get(n)!.desc()) };
        break;
      case 'group':
        body = { mpType: 'group', stats: this.groups.stats(b.groupId, now, (id) => this.countFlows((e) => e.usesGroup(id))) };
        break;
      case 'group_desc':
        body = { mpType: 'group_desc', groups: this.groups.desc() };
        break;
      case 'meter':
        body = { mpType: 'meter', stats: this.meters.stats(b.meterId, now, (id) => this.countFlows((e) => e.prog.meterId === id)) };
        break;
      case 'meter_config':
        body = { mpType: 'meter_config', configs: this.meters.config(b.meterId) };
        break;
      default:
        throw new OfpRequestError(OFPET.BAD_REQUEST, OFPBRC.BAD_MULTIPART, `multipart ${b.mpType}`);
    }
    return splitReply({ type: 'multipart_reply', flags: 0, body, xid });
  }

  private countFlows(pred: (e: FlowEntry) => boolean): number {
    let n = 0;
    for (const e of this.tables.flows()) if (pred(e)) n++;
    return n;
  }

  // ---- bundles (ONF EXT-230)

  private bundleError(code: number, msg: string): OfpRequestError {
    return new OfpRequestError(OFPET.EXPERIMENTER, code, msg, ONF_EXPERIMENTER_ID);
  }

  private bundleControl(m: MessageOf<'bundle_control'>, xid: number): OfpMessage[] {
    const reply = (ctrlType: number): OfpMessage => ({ type: 'bundle_control', bundleId: m.bundleId, ctrlType, flags: m.flags, properties: [], xid });
    const b = this.bundles.get(m.bundleId);
    switch (m.ctrlType) {
      case ONF_BCT.OPEN_REQUEST:
        if (b !== undefined) throw this.bundleError(ONFERR_ET.BUNDLE_EXIST, 'bundle exists');
        this.bundles.set(m.bundleId, { flags: m.flags, msgs: [], closed: false });
        return [reply(ONF_BCT.OPEN_REPLY)];
      case ONF_BCT.CLOSE_REQUEST:
        if (b === undefined) throw this.bundleError(ONFERR_ET.BAD_ID, 'unknown bundle');
        if (b.closed) throw this.bundleError(ONFERR_ET.BUNDLE_CLOSED, 'bundle closed');
        b.closed = true;
        return [reply(ONF_BCT.CLOSE_REPLY)];
      case ONF_BCT.DISCARD_REQUEST:
        if (b === undefined) throw this.bundleError(ONFERR_ET.BAD_ID, 'unknown bundle');
        this.bundles.delete(m.bundleId);
        return [reply(ONF_BCT.DISCARD_REPLY)];
      case ONF_BCT.COMMIT_REQUEST: {
        if (b === undefined) throw this.bundleError(ONFERR_ET.BAD_ID, 'unknown bundle');
        this.bundles.delete(m.bundleId);
        const failed = this.commit(b.msgs);
        if (failed !== null) {
          return [this.errorFor(failed.error, failed.msg, failed.msg.xid ?? 0), this.errorFor(this.bundleError(ONFERR_ET.MSG_FAILED, 'bundle commit failed'), m, xid)];
        }
        return [reply(ONF_BCT.COMMIT_REPLY)];
      }
      default:
        throw this.bundleError(ONFERR_ET.BAD_TYPE, `bundle control type ${m.ctrlType}`);
    }
  }

  private bundleAdd(m: MessageOf<'bundle_add'>): void {
    let b = this.bundles.get(m.bundleId);
    if (b === undefined) {
      b = { flags: m.flags, msgs: [], closed: false };
      this.bundles.set(m.bundleId, b);
    }
    if (b.closed) throw this.bundleError(ONFERR_ET.BUNDLE_CLOSED, 'bundle closed');
    const inner = m.message;
    switch (inner.type) {
      case 'flow_mod':
        this.checkMaster();
        this.checkFlowMod(inner);
        break;
      case 'group_mod':
      case 'meter_mod':
      case 'port_mod':
      case 'packet_out':
        this.checkMaster();
        break;
      default:
        throw this.bundleError(ONFERR_ET.MSG_UNSUP, `${inner.type} cannot be bundled`);
    }
    b.msgs.push({ ...inner, xid: m.xid ?? inner.xid });
  }

  /** Applies `msgs` atomically; returns the failing message and its error (nothing applied) or null. */
  private commit(msgs: OfpMessage[]): { msg: OfpMessage; error: OfpRequestError } | null {
    const snap = this.snapshot();
    this.held = [];
    const packetOuts: MessageOf<'packet_out'>[] = [];
    for (const msg of msgs) {
      try {
        if (msg.type === 'packet_out') {
          this.checkPacketOutPort(msg.inPort);
          packetOuts.push(msg);
        } else this.dispatch(msg, msg.xid ?? 0);
      } catch (e) {
        if (!(e instanceof OfpRequestError)) {
          this.restore(snap);
          this.held = null;
          throw e;
        }
        this.restore(snap);
        this.held = null;
        return { msg, error: e };
      }
    }
    const held = this.held;
    this.held = null;
    for (const a of held) this.emitAsync(a);
    for (const p of packetOuts) {
      try {
        this.packetOut(p);
      } catch {
        /* the flow state is committed; a bad buffer id only loses that packet */
      }
    }
    return null;
  }

  private snapshot() {
    const flows: { e: FlowEntry; cookie: bigint; inst: FlowEntry['instructions']; prog: FlowProgram; pk: number; by: number }[] = [];
    for (const e of this.tables.flows()) flows.push({ e, cookie: e.cookie, inst: e.instructions, prog: e.prog, pk: e.packetCount, by: e.byteCount });
    const ports = [...this.ports.values()].map((p) => [p, p.config] as const);
    return { flows, groups: this.groups.snapshot(), meters: this.meters.snapshot(), ports };
  }

  private restore(s: ReturnType<SoftSwitch['snapshot']>): void {
    for (const e of [...this.tables.flows()]) this.tables.remove(e);
    for (const f of s.flows) {
      f.e.cookie = f.cookie;
      f.e.instructions = f.inst;
      f.e.prog = f.prog;
      f.e.packetCount = f.pk;
      f.e.byteCount = f.by;
      this.tables.insert(f.e);
    }
    this.groups.restore(s.groups);
    this.meters.restore(s.meters);
    for (const [p, c] of s.ports) p.config = c;
    this.scheduleExpiry();
  }

  // ------------------------------------------------------------------------------------------------------------
  // Tracing

  /** Traces `frame` arriving on `inPort` like `ofproto/trace`, without changing any state. */
  trace(inPort: number, frame: Buffer): TraceResult {
    return traceSwitch(this, inPort, frame);
  }

  /**
   * Resets the per-connection state a new controller connection starts with (role EQUAL, default async config and
   * miss_send_len, no open bundles). Called by the agent.
   */
  resetControllerState(): void {
    this.role = OFPCR_ROLE.EQUAL;
    this.asyncConfig = { packetInMask: [3, 0], portStatusMask: [7, 7], flowRemovedMask: [15, 0] };
    this.missSendLen = DEFAULT_MISS_SEND_LEN;
    this.flags = 0;
    this.bundles.clear();
  }

  /** @internal Runs `frame` from `inPort` with side effects redirected to `collector` (see trace.ts). */
  runTraced(inPort: number, frame: Buffer, collector: TraceCollector): PacketCtx {
    const prev = this.tracer;
    this.tracer = collector;
    const ctx = new PacketCtx();
    try {
      ctx.reset(frame, inPort, false);
      ctx.trace = collector;
      const w = ctx.key.w;
      w[K.IN_PORT] = inPort;
      w[K.IN_PHY_PORT] = inPort;
      extractKey(frame, ctx.key);
      if (this.failMode === 'standalone' && this.onAsync === null) {
        collector.note('fail-open (standalone, no controller): NORMAL');
        this.normal(ctx);
      } else runPipeline(ctx, this, 0, collector);
    } finally {
      this.tracer = prev;
    }
    return ctx;
  }
}

/** Splits a multipart reply whose encoding would exceed 64 KiB into parts flagged OFPMPF_REPLY_MORE. */
function splitReply(msg: MessageOf<'multipart_reply'>): OfpMessage[] {
  const b = msg.body;
  const key = b.mpType === 'flow' || b.mpType === 'table' || b.mpType === 'port_stats' || b.mpType === 'group' || b.mpType === 'meter'
    ? 'stats'
    : b.mpType === 'port_desc'
      ? 'ports'
      : b.mpType === 'group_desc'
        ? 'groups'
        : b.mpType === 'meter_config'
          ? 'configs'
          : null;
  if (key === null) return [msg];
  const items = (b as unknown as Record<string, unknown[]>)[key]!;
  if (items.length < 2) return [msg];
  let size: number;
  try {
    size = encodeMessage(msg).length;
  } catch {
    size = Infinity;
  }
  if (size <= MAX_REPLY) return [msg];
  const half = Math.ceil(items.length / 2);
  const mk = (part: unknown[], more: boolean): MessageOf<'multipart_reply'> => ({
    type: 'multipart_reply',
    flags: more ? OFPMPF.REPLY_MORE : msg.flags,
    body: { ...b, [key]: part } as MultipartReplyBody,
    xid: msg.xid,
  });
  const first = splitReply(mk(items.slice(0, half), true));
  const second = splitReply(mk(items.slice(half), false));
  // Every part but the very last carries REPLY_MORE.
  for (const p of first) (p as MessageOf<'multipart_reply'>).flags = OFPMPF.REPLY_MORE;
  return [...first, ...second];
}
