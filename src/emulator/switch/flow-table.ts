/**
 * Flow tables: a tuple-space classifier per table (flows grouped by mask into subtables, each a hash map on the
 * masked key words, searched in decreasing order of their highest priority, as OVS's classifier does), and the
 * OpenFlow 1.3 flow_mod semantics of Open vSwitch: ADD replaces an identical flow (keeping its counters unless
 * RESET_COUNTS) and honours CHECK_OVERLAP; MODIFY changes instructions only (cookie, timeouts and flags are kept,
 * no flow is added); DELETE filters by cookie/mask, out_port and out_group; strict variants compare match and
 * priority exactly.
 */
import { outputsTo, usesGroup } from './actions';
import type { CompiledMatch } from './match';
import type { FlowProgram } from './pipeline';
import type { Instruction } from '../../codec/openflow/types';

/** One flow entry. Counters are plain numbers (exact to 2^53). */
export class FlowEntry {
  packetCount = 0;
  byteCount = 0;
  /** Clock time of the last packet (idle timeout), initially the creation time. */
  lastUsed: number;
  /** Bucket hash within its subtable. */
  hash = 0;
  /** False once removed from its table. */
  installed = false;

  constructor(
    readonly tableId: number,
    readonly priority: number,
    readonly cm: CompiledMatch,
    public cookie: bigint,
    public idleTimeout: number,
    public hardTimeout: number,
    public flags: number,
    public instructions: Instruction[],
    public prog: FlowProgram,
    /** Clock time of creation (duration, hard timeout). */
    public created: number,
  ) {
    this.lastUsed = created;
  }

  /** Whether this is the table-miss flow (priority 0, empty match). */
  get isTableMiss(): boolean {
    return this.priority === 0 && this.cm.isCatchAll;
  }

  /** OVS out_port filter: an output action (apply or write) to `port`; OFPP_ANY matches every flow. */
  outputsTo(port: number): boolean {
    if (port === 0xffffffff) return true;
    return outputsTo(this.prog.apply, port) || outputsTo(this.prog.write, port);
  }

  /** out_group filter; OFPG_ANY matches every flow. */
  usesGroup(groupId: number): boolean {
    if (groupId === 0xffffffff) return true;
    return usesGroup(this.prog.apply, groupId) || usesGroup(this.prog.write, groupId);
  }
}

function hashWords(w: ArrayLike<number>, slots: Int32Array, masks: Int32Array): number {
  let h = 0x811c9dc5 | 0;
  for (let i = 0; i < slots.length; i++) h = Math.imul(h ^ (w[slots[i]!]! & masks[i]!), 0x01000193);
  return h;
}

function hashValues(values: Int32Array): number {
  let h = 0x811c9dc5 | 0;
  for (let i = 0; i < values.length; i++) h = Math.imul(h ^ values[i]!, 0x01000193);
  return h;
}

/** Flows sharing one mask. */
class Subtable {
  readonly buckets = new Map<number, FlowEntry[]>();
  maxPriority = -1;
  count = 0;
  /** Number of flows per priority (keeps maxPriority updates O(1) amortised). */
  private readonly perPriority = new Map<number, number>();

  constructor(
    readonly slots: Int32Array,
    readonly masks: Int32Array,
  ) {}

  insert(e: FlowEntry): void {
    e.hash = hashValues(e.cm.values);
    let list = this.buckets.get(e.hash);
    if (list === undefined) {
      list = [];
      this.buckets.set(e.hash, list);
    }
    let i = 0;
    while (i < list.length && list[i]!.priority >= e.priority) i++;
    list.splice(i, 0, e);
    this.count++;
    this.perPriority.set(e.priority, (this.perPriority.get(e.priority) ?? 0) + 1);
    if (e.priority > this.maxPriority) this.maxPriority = e.priority;
  }

  remove(e: FlowEntry): void {
    const list = this.buckets.get(e.hash);
    if (list === undefined) return;
    const i = list.indexOf(e);
    if (i < 0) return;
    list.splice(i, 1);
    if (list.length === 0) this.buckets.delete(e.hash);
    this.count--;
    const left = this.perPriority.get(e.priority)! - 1;
    if (left > 0) this.perPriority.set(e.priority, left);
    else {
      this.perPriority.delete(e.priority);
      if (e.priority === this.maxPriority) {
        let m = -1;
        for (const p of this.perPriority.keys()) if (p > m) m = p;
        this.maxPriority = m;
      }
    }
  }
}

/** One OpenFlow table. */
export class FlowTable {
  private readonly subtables = new Map<string, Subtable>();
  /** Subtables by decreasing max priority. */
  private order: Subtable[] = [];
  /** Exact (match, priority) index. */
  private readonly byStrict = new Map<string, FlowEntry>();
  /** Flows in insertion order (stats). */
  readonly flows = new Set<FlowEntry>();
  lookupCount = 0;
  matchedCount = 0;

  constructor(readonly tableId: number) {}

  get size(): number {
    return this.flows.size;
  }

  /** Highest-priority flow matching key words `w`, or null. */
  lookup(w: Uint32Array): FlowEntry | null {
    const order = this.order;
    let best: FlowEntry | null = null;
    let bestPri = -1;
    for (let i = 0; i < order.length; i++) {
      const st = order[i]!;
      if (st.maxPriority <= bestPri) break;
      const list = st.buckets.get(hashWords(w, st.slots, st.masks));
      if (list === undefined) continue;
      for (let j = 0; j < list.length; j++) {
        const e = list[j]!;
        if (e.priority <= bestPri) break;
        if (e.cm.matches(w)) {
          best = e;
          bestPri = e.priority;
          break;
        }
      }
    }
    return best;
  }

  /** The flow with exactly this match and priority. */
  findStrict(cm: CompiledMatch, priority: number): FlowEntry | undefined {
    return this.byStrict.get(`${priority}/${cm.strictKey}`);
  }

  insert(e: FlowEntry): void {
    let st = this.subtables.get(e.cm.sig);
    if (st === undefined) {
      st = new Subtable(e.cm.slots, e.cm.masks);
      this.subtables.set(e.cm.sig, st);
      this.order.push(st);
    }
    st.insert(e);
    this.byStrict.set(`${e.priority}/${e.cm.strictKey}`, e);
    this.flows.add(e);
    e.installed = true;
    this.resort();
  }

  remove(e: FlowEntry): void {
    if (!e.installed) return;
    const st = this.subtables.get(e.cm.sig);
    if (st !== undefined) {
      st.remove(e);
      if (st.count === 0) {
        this.subtables.delete(e.cm.sig);
        this.order = this.order.filter((s) => s !== st);
      }
    }
    this.byStrict.delete(`${e.priority}/${e.cm.strictKey}`);
    this.flows.delete(e);
    e.installed = false;
    this.resort();
  }

  private resort(): void {
    this.order.sort((a, b) => b.maxPriority - a.maxPriority);
  }

  /** Flows at `priority` whose match overlaps `cm` (CHECK_OVERLAP). */
  overlapping(cm: CompiledMatch, priority: number): FlowEntry | undefined {
    for (const e of this.flows) if (e.priority === priority && e.cm.overlaps(cm)) return e;
    return undefined;
  }
}

/** Selection criteria of modify/delete/stats requests. */
export interface FlowCriteria {
  /** Table, or 0xff for all. */
  tableId: number;
  cm: CompiledMatch;
  strict: boolean;
  priority: number;
  cookie: bigint;
  cookieMask: bigint;
  outPort: number;
  outGroup: number;
}

/** The switch's tables, created lazily (a table costs nothing until a flow goes in). */
export class FlowTables {
  private readonly tables: (FlowTable | undefined)[];
  /** Flows with an idle or hard timeout. */
  readonly timed = new Set<FlowEntry>();

  constructor(readonly nTables: number) {
    this.tables = new Array<FlowTable | undefined>(nTables);
  }

  /** Table `id` if it has ever held a flow. */
  peek(id: number): FlowTable | undefined {
    return this.tables[id];
  }

  get(id: number): FlowTable {
    let t = this.tables[id];
    if (t === undefined) {
      t = new FlowTable(id);
      this.tables[id] = t;
    }
    return t;
  }

  /** Every existing table. */
  *all(): IterableIterator<FlowTable> {
    for (const t of this.tables) if (t !== undefined) yield t;
  }

  insert(e: FlowEntry): void {
    this.get(e.tableId).insert(e);
    if (e.idleTimeout > 0 || e.hardTimeout > 0) this.timed.add(e);
  }

  remove(e: FlowEntry): void {
    this.tables[e.tableId]?.remove(e);
    this.timed.delete(e);
  }

  /** Flows selected by `c`, in table then insertion order. */
  select(c: FlowCriteria): FlowEntry[] {
    const out: FlowEntry[] = [];
    const tables = c.tableId === 0xff ? [...this.all()] : this.tables[c.tableId] ? [this.tables[c.tableId]!] : [];
    for (const t of tables) {
      if (c.strict) {
        const e = t.findStrict(c.cm, c.priority);
        if (e !== undefined && this.filters(e, c)) out.push(e);
        continue;
      }
      for (const e of t.flows) if (e.cm.isSubsumedBy(c.cm) && this.filters(e, c)) out.push(e);
    }
    return out;
  }

  private filters(e: FlowEntry, c: FlowCriteria): boolean {
    if ((e.cookie & c.cookieMask) !== (c.cookie & c.cookieMask)) return false;
    return e.outputsTo(c.outPort) && e.usesGroup(c.outGroup);
  }

  /** Every flow of every table. */
  *flows(): IterableIterator<FlowEntry> {
    for (const t of this.all()) yield* t.flows;
  }

  /** Number of flows in all tables. */
  get size(): number {
    let n = 0;
    for (const t of this.all()) n += t.size;
    return n;
  }
}
