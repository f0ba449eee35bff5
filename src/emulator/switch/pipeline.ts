/**
 * The OpenFlow 1.3 pipeline: instructions compiled per flow (meter, apply_actions, clear_actions, write_actions,
 * write_metadata, goto_table, executed in that order), multi-table processing from table 0 with forward-only
 * goto, the action set executed at the end in the specification's order (group supersedes output), and table-miss
 * = drop when no flow matches (OpenFlow 1.3 default, as OVS with an OpenFlow 1.3 controller).
 */
import { OFPBIC, OFPMMFC } from '../../codec/openflow/constants';
import { OFPET } from '../../codec/openflow/errors';
import type { Instruction } from '../../codec/openflow/types';
import { type ActionEnv, type ActionHost, type CompiledAction, compileActions, execAction, execActions } from './actions';
import { type ActionSet, type PacketCtx, SET_SLOT, SET_SLOTS } from './context';
import { refuse } from './errors';
import { K } from './flow-key';
import type { FlowEntry, FlowTables } from './flow-table';
import { type CompiledMatch, prereqStateOf } from './match';

/** A flow's instructions in executable form. */
export class FlowProgram {
  meterId = 0;
  apply: CompiledAction[] | null = null;
  clear = false;
  write: CompiledAction[] | null = null;
  hasMeta = false;
  metaHi = 0;
  metaLo = 0;
  metaMaskHi = 0;
  metaMaskLo = 0;
  /** -1 = no goto. */
  gotoTable = -1;
}

/** What instruction validation needs from the switch. */
export interface InstructionEnv extends ActionEnv {
  meterExists(meterId: number): boolean;
}

/**
 * Validates and compiles a flow's instructions. Errors as OVS: goto_table not after the flow's table ->
 * OFPBIC_BAD_TABLE_ID; unknown meter -> OFPMMFC_INVALID_METER; repeated instruction -> OFPBIC_DUP_INST;
 * experimenter instruction -> OFPBIC_UNKNOWN_INST; plus the action errors of {@link compileActions}.
 */
export function compileInstructions(insts: readonly Instruction[], cm: CompiledMatch, tableId: number, env: InstructionEnv): FlowProgram {
  const p = new FlowProgram();
  const seen = new Set<string>();
  const st = prereqStateOf(cm);
  // OVS checks instructions in execution order.
  const order = ['meter', 'apply_actions', 'clear_actions', 'write_actions', 'write_metadata', 'goto_table', 'experimenter'];
  const sorted = [...insts].sort((a, b) => order.indexOf(a.type) - order.indexOf(b.type));
  for (const i of sorted) {
    if (seen.has(i.type)) refuse(OFPET.BAD_INSTRUCTION, OFPBIC.DUP_INST, `instruction ${i.type} twice`);
    seen.add(i.type);
    switch (i.type) {
      case 'meter':
        if (i.meterId === 0 || i.meterId > 0xffff0000 || !env.meterExists(i.meterId)) {
          refuse(OFPET.METER_MOD_FAILED, OFPMMFC.INVALID_METER, `unknown meter ${i.meterId}`);
        }
        p.meterId = i.meterId;
        break;
      case 'apply_actions':
        p.apply = compileActions(i.actions, st, env);
        break;
      case 'clear_actions':
        p.clear = true;
        break;
      case 'write_actions':
        p.write = compileActions(i.actions, { ...st }, { ...env, inActionSet: true });
        break;
      case 'write_metadata':
        p.hasMeta = true;
        p.metaHi = Number(i.metadata >> 32n) >>> 0;
        p.metaLo = Number(i.metadata & 0xffffffffn) >>> 0;
        p.metaMaskHi = Number(i.mask >> 32n) >>> 0;
        p.metaMaskLo = Number(i.mask & 0xffffffffn) >>> 0;
        break;
      case 'goto_table':
        if (i.tableId <= tableId) refuse(OFPET.BAD_INSTRUCTION, OFPBIC.BAD_TABLE_ID, `goto_table ${i.tableId} from table ${tableId}`);
        p.gotoTable = i.tableId;
        break;
      case 'experimenter':
        refuse(OFPET.BAD_INSTRUCTION, OFPBIC.UNKNOWN_INST, 'experimenter instruction not supported');
    }
  }
  return p;
}

/** Effects the pipeline needs from the switch, besides the action effects. */
export interface PipelineHost extends ActionHost {
  readonly tables: FlowTables;
  readonly nTables: number;
  now(): number;
  /** Runs the packet through meter `meterId`; false = dropped by a band. */
  meter(ctx: PacketCtx, meterId: number): boolean;
}

/** Receives per-table events while tracing. */
export interface PipelineTrace {
  lookup(tableId: number, flow: FlowEntry | null, ctx: PacketCtx): void;
  note(text: string): void;
}

/** Merges write_actions into the action set (one action per type; per field for set_field). */
export function writeActions(set: ActionSet, list: readonly CompiledAction[]): void {
  for (let i = 0; i < list.length; i++) {
    const a = list[i]!;
    if (a.setSlot === SET_SLOT.SET) set.sets.set(a.setKey, a);
    else set.slots[a.setSlot] = a;
  }
  set.empty = false;
}

/** Executes the action set in the specification's order; a group action suppresses the output action. */
export function execActionSet(set: ActionSet, ctx: PacketCtx, host: ActionHost): void {
  const hasGroup = set.slots[SET_SLOT.GROUP] !== null;
  for (let s = 0; s < SET_SLOTS; s++) {
    if (s === SET_SLOT.SET) {
      for (const a of set.sets.values()) if (!execAction(a, ctx, host)) return;
    }
    const a = set.slots[s];
    if (a === null || a === undefined) continue;
    if (s === SET_SLOT.OUTPUT && hasGroup) continue;
    if (!execAction(a, ctx, host)) return;
  }
}

/**
 * Runs `ctx` through the tables from `startTable`. Counters, idle-time and meters are updated unless `trace` is
 * given (a trace must leave the switch unchanged).
 */
export function runPipeline(ctx: PacketCtx, host: PipelineHost, startTable: number, trace: PipelineTrace | null): void {
  const w = ctx.key.w;
  const tables = host.tables;
  let t = startTable;
  for (;;) {
    if (t >= host.nTables) {
      trace?.note(`table ${t} does not exist: drop`);
      break;
    }
    const table = trace === null ? tables.get(t) : tables.peek(t);
    const e = table === undefined ? null : table.lookup(w);
    if (trace !== null) trace.lookup(t, e, ctx);
    else {
      table!.lookupCount++;
      if (e !== null) table!.matchedCount++;
    }
    if (e === null) break;
    if (trace === null) {
      e.packetCount++;
      e.byteCount += ctx.frame.length;
      e.lastUsed = host.now();
    }
    ctx.tableId = t;
    ctx.cookie = e.cookie;
    ctx.missFlow = e.priority === 0 && e.cm.slots.length === 0;
    const p = e.prog;
    if (p.meterId !== 0) {
      if (trace !== null) trace.note(`meter:${p.meterId} (not charged by trace)`);
      else if (!host.meter(ctx, p.meterId)) return;
    }
    if (p.apply !== null && !execActions(p.apply, ctx, host)) return;
    if (p.clear && ctx.actionSet !== null) ctx.actionSet.clear();
    if (p.write !== null) writeActions(ctx.set(), p.write);
    if (p.hasMeta) {
      w[K.METADATA] = ((w[K.METADATA]! & ~p.metaMaskHi) | (p.metaHi & p.metaMaskHi)) >>> 0;
      w[K.METADATA + 1] = ((w[K.METADATA + 1]! & ~p.metaMaskLo) | (p.metaLo & p.metaMaskLo)) >>> 0;
    }
    if (p.gotoTable < 0) break;
    t = p.gotoTable;
  }
  const set = ctx.actionSet;
  if (set !== null && !set.empty) {
    trace?.note('executing action set');
    execActionSet(set, ctx, host);
  }
}
