/**
 * Flow builders checked against the table plan. A manager gets a {@link FlowBuilder} bound to its manager id, builds
 * {@link FlowSpec}s by table and band name, and returns them; nothing here sends anything. A flow that matches on a
 * field its table does not allow, names an unknown table or band, or jumps to an earlier (or the same) table is
 * refused at build time with XsiteError `PIPELINE_VIOLATION`.
 */
import { XsiteError } from '../core/errors';
import { OFP_NO_BUFFER, OFPFC, OFPG, OFPP } from '../codec/openflow/constants';
import type { Action, Instruction, Match, MessageOf } from '../codec/openflow/types';
import { cookieManager, makeCookie } from './cookie';
import type { TablePlan } from './table-plan';

/** A flow as the local controller wants it installed: the identity (table, priority, match) and its content. */
export interface FlowSpec {
  readonly tableId: number;
  readonly priority: number;
  readonly match: Match;
  readonly instructions: Instruction[];
  /** Owner (top 16 bits) and manager-defined value (low 48 bits). */
  readonly cookie: bigint;
  /** Seconds without a matching packet before the switch removes the flow (0 or absent: never). */
  readonly idleTimeout?: number;
  /** OFPFF_* flags, e.g. SEND_FLOW_REM so the controller hears of an idle removal. */
  readonly flags?: number;
}

/** What a manager asks for; see {@link FlowBuilder.flow}. */
export interface FlowRequest {
  /** Table name in the plan. */
  table: string;
  /** Priority band name of that table. */
  band: string;
  /** Offset inside the band (e.g. a prefix length); default 0. */
  offset?: number;
  match?: Match;
  /** apply_actions instruction (omitted when empty). */
  apply?: Action[];
  clearActions?: boolean;
  /** write_actions instruction. */
  write?: Action[];
  writeMetadata?: { value: bigint; mask: bigint };
  /** Name of the table to continue in (must come later in the plan). */
  goto?: string;
  meter?: number;
  /** Low 48 bits of the cookie (manager-defined); default 0. */
  cookie?: bigint;
  /** Idle timeout in seconds (see {@link FlowSpec.idleTimeout}). */
  idleTimeout?: number;
  /** OFPFF_* flags. */
  flags?: number;
}

function violation(message: string, details: Record<string, unknown>): never {
  throw new XsiteError('PIPELINE_VIOLATION', message, details);
}

/**
 * Checks a flow against the plan: known table, a priority inside one of its bands, only allowed match fields (no
 * field twice), forward-only goto into a known table, an owned cookie. Returns the flow; throws PIPELINE_VIOLATION.
 */
export function checkFlow(plan: TablePlan, flow: FlowSpec): FlowSpec {
  const t = plan.tableById(flow.tableId);
  if (t === undefined) violation(`table ${flow.tableId} is not in the plan`, { tableId: flow.tableId });
  if (!Object.values(t.bands).some((b) => flow.priority >= b.base && flow.priority < b.base + b.size)) {
    violation(`priority ${flow.priority} is in no band of table ${t.name}`, { table: t.name, priority: flow.priority });
  }
  const seen = new Set<string>();
  for (const tlv of flow.match) {
    if (tlv.field === 'raw') violation(`table ${t.name}: non-basic OXM fields are not allowed`, { table: t.name });
    if (!t.matches.includes(tlv.field)) {
      violation(`table ${t.name} does not allow a match on ${tlv.field}`, { table: t.name, field: tlv.field });
    }
    if (seen.has(tlv.field)) violation(`table ${t.name}: ${tlv.field} matched twice`, { table: t.name, field: tlv.field });
    seen.add(tlv.field);
  }
  for (const ins of flow.instructions) {
    if (ins.type !== 'goto_table') continue;
    const next = plan.tableById(ins.tableId);
    if (next === undefined) violation(`table ${t.name}: goto to table ${ins.tableId}, not in the plan`, { table: t.name, goto: ins.tableId });
    if (ins.tableId <= flow.tableId) {
      violation(`table ${t.name}: goto ${next.name} does not go forward`, { table: t.name, goto: next.name });
    }
  }
  if (cookieManager(flow.cookie) === 0) violation(`table ${t.name}: cookie ${flow.cookie} has no manager id`, { table: t.name });
  return flow;
}

/** Builds a manager's flows by table and band name, checked against the plan. */
export class FlowBuilder {
  constructor(
    readonly plan: TablePlan,
    readonly managerId: number,
  ) {
    makeCookie(managerId); // validates the id
  }

  /** Builds and checks one flow. */
  flow(req: FlowRequest): FlowSpec {
    const t = this.plan.table(req.table);
    const priority = this.plan.priority(req.table, req.band, req.offset ?? 0);
    const instructions: Instruction[] = [];
    if (req.meter !== undefined) instructions.push({ type: 'meter', meterId: req.meter });
    if (req.apply !== undefined && req.apply.length > 0) instructions.push({ type: 'apply_actions', actions: req.apply });
    if (req.clearActions) instructions.push({ type: 'clear_actions' });
    if (req.write !== undefined) instructions.push({ type: 'write_actions', actions: req.write });
    if (req.writeMetadata !== undefined) {
      instructions.push({ type: 'write_metadata', metadata: req.writeMetadata.value, mask: req.writeMetadata.mask });
    }
    if (req.goto !== undefined) instructions.push({ type: 'goto_table', tableId: this.plan.table(req.goto).id });
    return checkFlow(this.plan, {
      tableId: t.id,
      priority,
      match: req.match ?? [],
      instructions,
      cookie: makeCookie(this.managerId, req.cookie ?? 0n),
      ...(req.idleTimeout ? { idleTimeout: req.idleTimeout } : {}),
      ...(req.flags ? { flags: req.flags } : {}),
    });
  }
}

/** The flow_mod that installs (ADD; also replaces a flow with the same table, priority and match) a flow. */
export function addFlowMod(flow: FlowSpec): MessageOf<'flow_mod'> {
  return {
    type: 'flow_mod',
    cookie: flow.cookie,
    cookieMask: 0n,
    tableId: flow.tableId,
    command: OFPFC.ADD,
    idleTimeout: flow.idleTimeout ?? 0,
    hardTimeout: 0,
    priority: flow.priority,
    bufferId: OFP_NO_BUFFER,
    outPort: OFPP.ANY,
    outGroup: OFPG.ANY,
    flags: flow.flags ?? 0,
    match: flow.match,
    instructions: flow.instructions,
  };
}

/**
 * The flow_mod that deletes exactly one flow: DELETE_STRICT on (table, priority, match) and the exact cookie, so it
 * can never remove a flow of another owner.
 */
export function deleteFlowMod(flow: Pick<FlowSpec, 'tableId' | 'priority' | 'match' | 'cookie'>): MessageOf<'flow_mod'> {
  return {
    type: 'flow_mod',
    cookie: flow.cookie,
    cookieMask: 0xffff_ffff_ffff_ffffn,
    tableId: flow.tableId,
    command: OFPFC.DELETE_STRICT,
    idleTimeout: 0,
    hardTimeout: 0,
    priority: flow.priority,
    bufferId: OFP_NO_BUFFER,
    outPort: OFPP.ANY,
    outGroup: OFPG.ANY,
    flags: 0,
    match: flow.match,
    instructions: [],
  };
}
