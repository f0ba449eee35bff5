/**
 * The state of one packet going through the pipeline: its frame (copy-on-write), flow key, the action set being
 * built, and where it is in the pipeline (table, matching flow). Contexts are pooled by the switch; a group bucket
 * or a trace works on a clone.
 */
import type { CompiledAction } from './actions';
import { FlowKey } from './flow-key';

/** Action-set slots in execution order (OpenFlow 1.3 section 5.10). */
export const SET_SLOT = {
  COPY_TTL_IN: 0,
  POP_VLAN: 1,
  POP_MPLS: 2,
  PUSH_MPLS: 3,
  PUSH_VLAN: 4,
  COPY_TTL_OUT: 5,
  DEC_MPLS_TTL: 6,
  DEC_NW_TTL: 7,
  /** set_field, set_nw_ttl, set_mpls_ttl (kept in `sets`). */
  SET: 8,
  SET_QUEUE: 9,
  GROUP: 10,
  OUTPUT: 11,
} as const;

/** Number of action-set slots. */
export const SET_SLOTS = 12;

/** An OpenFlow action set: at most one action per type (per field for set_field), executed in the spec's order. */
export class ActionSet {
  readonly slots: (CompiledAction | null)[] = new Array<CompiledAction | null>(SET_SLOTS).fill(null);
  /** set_field / set_*_ttl actions by target, in the order first written. */
  readonly sets = new Map<number, CompiledAction>();
  empty = true;

  clear(): void {
    if (this.empty) return;
    this.slots.fill(null);
    this.sets.clear();
    this.empty = true;
  }

  copyFrom(o: ActionSet): void {
    for (let i = 0; i < SET_SLOTS; i++) this.slots[i] = o.slots[i]!;
    this.sets.clear();
    for (const [k, v] of o.sets) this.sets.set(k, v);
    this.empty = o.empty;
  }

  /** The actions in execution order. */
  list(): CompiledAction[] {
    const out: CompiledAction[] = [];
    for (let i = 0; i < SET_SLOTS; i++) {
      if (i === SET_SLOT.SET) for (const a of this.sets.values()) out.push(a);
      const a = this.slots[i];
      if (a) out.push(a);
    }
    return out;
  }
}

/** Per-packet pipeline state. */
export class PacketCtx {
  frame: Buffer = EMPTY;
  /** False while `frame` may be shared (with the sender or an earlier output): modify only after {@link writable}. */
  owned = false;
  readonly key = new FlowKey();
  inPort = 0;
  /** Table and cookie of the flow being executed (packet-in fields). */
  tableId = 0;
  cookie = 0xffffffffffffffffn;
  /** The flow being executed is a table-miss flow (packet-in reason NO_MATCH). */
  missFlow = false;
  /** Set by set_queue. */
  queueId = 0;
  /** True for a packet from PACKET_OUT (OFPP_TABLE allowed). */
  fromController = false;
  /**
   * True for the whole life of a packet injected by PACKET_OUT, also after OFPP_TABLE hands it to the pipeline: its
   * packet-ins carry reason ACTION (OVS's packet_out reason, as an OpenFlow 1.3 controller receives it).
   */
  inPacketOut = false;
  actionSet: ActionSet | null = null;
  /** Trace recorder, when tracing. */
  trace: TraceSink | null = null;

  /** Prepares the context for a new packet. */
  reset(frame: Buffer, inPort: number, owned: boolean): void {
    this.frame = frame;
    this.owned = owned;
    this.inPort = inPort;
    this.tableId = 0;
    this.cookie = 0xffffffffffffffffn;
    this.missFlow = false;
    this.queueId = 0;
    this.fromController = false;
    this.inPacketOut = false;
    if (this.actionSet !== null) this.actionSet.clear();
    this.trace = null;
  }

  /** Makes `frame` private to this context (copying it if shared) before an in-place modification. */
  writable(): Buffer {
    if (!this.owned) {
      this.frame = Buffer.from(this.frame);
      this.owned = true;
    }
    return this.frame;
  }

  /** The action set, created on first use. */
  set(): ActionSet {
    return (this.actionSet ??= new ActionSet());
  }

  /** A copy for a group bucket: same key, frame shared copy-on-write, empty action set. */
  clone(): PacketCtx {
    const c = new PacketCtx();
    c.frame = this.frame;
    c.owned = false;
    this.owned = false;
    c.key.copyFrom(this.key);
    c.inPort = this.inPort;
    c.tableId = this.tableId;
    c.cookie = this.cookie;
    c.missFlow = this.missFlow;
    c.queueId = this.queueId;
    c.fromController = this.fromController;
    c.inPacketOut = this.inPacketOut;
    c.trace = this.trace;
    return c;
  }
}

const EMPTY = Buffer.alloc(0);

/** Receives trace events (implemented by the tracer). */
export interface TraceSink {
  note(text: string): void;
}
