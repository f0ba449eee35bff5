/**
 * The reconciler (OVN's ofctrl): reads what a switch holds (flow stats of every table), compares it with the desired
 * state, and sends only the difference: ADD for missing flows and for flows whose instructions or cookie differ
 * (ADD on an identical table/priority/match replaces the flow and keeps its counters), DELETE_STRICT with the exact
 * cookie for flows of our managers that are no longer desired. Flows whose cookie belongs to none of our managers are
 * reported as foreign and left alone unless asked. Everything goes in one atomic bundle; a switch that refuses
 * bundles gets plain flow_mods and a barrier. When nothing differs, nothing is sent.
 */
import { isXsiteError, XsiteError } from '../core/errors';
import { OFPG, OFPP, OFPTT, ONF_BF } from '../codec/openflow/constants';
import type { FlowStats, MessageOf, OfpMessage } from '../codec/openflow/types';
import { OfpErrorReply, type SwitchConnection } from '../openflow/connection';
import { cookieManager } from '../pipeline/cookie';
import { addFlowMod, deleteFlowMod, type FlowSpec } from '../pipeline/flow-builder';
import type { DesiredState } from './desired-state';
import { flowKey, instructionsKey } from './flow-normalise';

/** A flow as the switch reports it, with its key. */
export interface InstalledFlow {
  key: string;
  tableId: number;
  priority: number;
  cookie: bigint;
  match: FlowStats['match'];
  instructions: FlowStats['instructions'];
}

/** The difference between desired and installed flows. */
export interface FlowDiff {
  add: FlowSpec[];
  modify: { flow: FlowSpec; installed: InstalledFlow }[];
  delete: InstalledFlow[];
  foreign: InstalledFlow[];
  unchanged: number;
}

/** Options of {@link reconcile}. */
export interface ReconcileOptions {
  /** Manager ids whose flows this reconciler may delete when they are not desired. */
  managersOwned: Iterable<number>;
  /** Also delete flows of unknown owners (default false: they are only reported). */
  deleteForeign?: boolean;
  /**
   * Desired flows to send again even when the switch holds them unchanged (an ADD replacing a flow restarts its idle
   * timeout, as OVS does): e.g. the NAT flows of a cross-site flow that was just set up again.
   */
  refresh?: (flow: FlowSpec) => boolean;
  /** 'auto' (default): bundle, falling back to flow_mods + barrier if the switch refuses bundles. */
  mode?: 'auto' | 'bundle' | 'plain';
}

/** What a reconcile did. */
export interface ReconcileReport {
  added: number;
  modified: number;
  deleted: number;
  /** Flows owned by none of `managersOwned` that are not desired (deleted only with deleteForeign). */
  foreign: InstalledFlow[];
  unchanged: number;
  /**
   * How the changes went out: 'bundle' (atomic), 'single' (exactly one flow_mod, atomic by itself, and a barrier: one
   * round trip instead of a bundle's two), 'plain' (a switch without bundles), or 'none' when nothing differed.
   */
  via: 'bundle' | 'single' | 'plain' | 'none';
  /** Wall time of the whole reconcile (read, diff, apply). */
  ms: number;
}

/** Switches known to refuse bundles (remembered per connection). */
const noBundles = new WeakSet<SwitchConnection>();

/** The desired flows as the switch holds them once a reconcile to `desired` succeeded. */
export function snapshotOf(desired: DesiredState): InstalledFlow[] {
  return [...desired.entries()].map(([key, f]) => ({ key, tableId: f.tableId, priority: f.priority, cookie: f.cookie, match: f.match, instructions: f.instructions }));
}

/** Reads every flow of every table. */
export async function readInstalled(conn: SwitchConnection): Promise<InstalledFlow[]> {
  const reply = await conn.multipart({
    mpType: 'flow',
    tableId: OFPTT.ALL,
    outPort: OFPP.ANY,
    outGroup: OFPG.ANY,
    cookie: 0n,
    cookieMask: 0n,
    match: [],
  });
  return reply.stats.map((s) => ({
    key: flowKey(s),
    tableId: s.tableId,
    priority: s.priority,
    cookie: s.cookie,
    match: s.match,
    instructions: s.instructions,
  }));
}

/** Pure diff of desired flows against installed ones. */
export function diffFlows(
  desired: DesiredState,
  installed: readonly InstalledFlow[],
  opts: { managersOwned: Iterable<number>; deleteForeign?: boolean; refresh?: (flow: FlowSpec) => boolean },
): FlowDiff {
  const owned = new Set(opts.managersOwned);
  const byKey = new Map(installed.map((f) => [f.key, f]));
  const diff: FlowDiff = { add: [], modify: [], delete: [], foreign: [], unchanged: 0 };
  const wanted = new Set<string>();
  for (const [key, flow] of desired.entries()) {
    wanted.add(key);
    const have = byKey.get(key);
    if (have === undefined) diff.add.push(flow);
    else if (have.cookie !== flow.cookie || instructionsKey(have.instructions) !== instructionsKey(flow.instructions) || opts.refresh?.(flow) === true) {
      diff.modify.push({ flow, installed: have });
    } else diff.unchanged++;
  }
  for (const f of installed) {
    if (wanted.has(f.key)) continue;
    if (owned.has(cookieManager(f.cookie))) diff.delete.push(f);
    else {
      diff.foreign.push(f);
      if (opts.deleteForeign) diff.delete.push(f);
    }
  }
  // A stable order whatever order the flows were desired or reported in: table, priority (high first), key.
  const keyed = <T>(items: T[], of: (t: T) => { tableId: number; priority: number; key: string }): T[] =>
    items
      .map((item) => ({ item, k: of(item) }))
      .sort((a, b) => a.k.tableId - b.k.tableId || b.k.priority - a.k.priority || (a.k.key < b.k.key ? -1 : a.k.key > b.k.key ? 1 : 0))
      .map((x) => x.item);
  diff.add = keyed(diff.add, (f) => ({ tableId: f.tableId, priority: f.priority, key: flowKey(f) }));
  diff.modify = keyed(diff.modify, (m) => m.installed);
  diff.delete = keyed(diff.delete, (f) => f);
  diff.foreign = keyed(diff.foreign, (f) => f);
  return diff;
}

/** The flow_mods that apply a diff: deletes first, then modifications, then additions. */
export function diffMessages(diff: FlowDiff): MessageOf<'flow_mod'>[] {
  return [...diff.delete.map(deleteFlowMod), ...diff.modify.map((m) => addFlowMod(m.flow)), ...diff.add.map(addFlowMod)];
}

/** Collects OFPT_ERRORs the switch sends for the xids in `xids` (messages without a reply of their own). */
function collectErrors(conn: SwitchConnection, xids: Map<number, OfpMessage>) {
  const errors: { error: MessageOf<'error'> | MessageOf<'error_experimenter'>; msg: OfpMessage }[] = [];
  const onError = (m: MessageOf<'error'> | MessageOf<'error_experimenter'>) => {
    const msg = xids.get(m.xid ?? -1);
    if (msg !== undefined) errors.push({ error: m, msg });
  };
  conn.on('ofp_error', onError);
  return { errors, stop: () => conn.off('ofp_error', onError) };
}

function refused(errors: { error: MessageOf<'error'> | MessageOf<'error_experimenter'>; msg: OfpMessage }[], atomic: boolean): XsiteError {
  const { error, msg } = errors[0]!;
  const what = new OfpErrorReply(error, 'flow_mod');
  const flow = msg.type === 'flow_mod' ? { tableId: msg.tableId, priority: msg.priority, key: flowKey(msg), command: msg.command } : {};
  const how = atomic ? 'nothing applied' : 'the other changes were applied (no bundles)';
  return new XsiteError('RECONCILE_REFUSED', `switch refused ${errors.length} change(s), ${how}; first: ${what.message} for ${JSON.stringify(flow)}`, {
    ...what.details,
    ...flow,
    refused: errors.length,
    atomic,
  });
}

async function applyPlain(conn: SwitchConnection, messages: OfpMessage[]): Promise<void> {
  const xids = new Map<number, OfpMessage>();
  const { errors, stop } = collectErrors(conn, xids);
  try {
    for (const m of messages) {
      const xid = conn.allocXid();
      xids.set(xid, m);
      conn.send({ ...m, xid });
      if (!conn.writable) await conn.drain();
    }
    await conn.barrier();
  } finally {
    stop();
  }
  // One message refused: nothing was applied (atomic); several: the others were.
  if (errors.length > 0) throw refused(errors, messages.length === 1);
}

/**
 * One atomic bundle (SwitchConnection.bundle: open, adds, barrier, then commit or discard). Returns false when the
 * switch does not support bundles (nothing was applied).
 */
async function applyBundle(conn: SwitchConnection, messages: MessageOf<'flow_mod'>[]): Promise<boolean> {
  try {
    await conn.bundle(messages, { flags: ONF_BF.ATOMIC | ONF_BF.ORDERED });
    return true;
  } catch (e) {
    if (isXsiteError(e, 'OFP_BUNDLES_UNSUPPORTED')) return false;
    if (isXsiteError(e, 'OFP_BUNDLE_REFUSED')) {
      const list = (e.details?.refused ?? []) as { index: number; errType: number; code: number }[];
      const first = list[0];
      const msg = first !== undefined ? messages[first.index] : undefined;
      const flow = msg ? { tableId: msg.tableId, priority: msg.priority, key: flowKey(msg), command: msg.command } : {};
      throw new XsiteError('RECONCILE_REFUSED', `switch refused ${list.length} change(s), nothing applied; first: ${e.message} for ${JSON.stringify(flow)}`, {
        ...flow,
        errType: first?.errType,
        errCode: first?.code,
        refused: list.length,
        atomic: true,
      });
    }
    throw e;
  }
}

/**
 * Brings the flow tables of the switch on `conn` to `desired`. Sends nothing when they already agree. Throws
 * RECONCILE_REFUSED when the switch refuses a change (with a bundle: nothing was applied).
 */
export async function reconcile(conn: SwitchConnection, desired: DesiredState, opts: ReconcileOptions): Promise<ReconcileReport> {
  const t0 = performance.now();
  return reconcileAgainst(conn, desired, await readInstalled(conn), opts, t0);
}

/**
 * Like {@link reconcile}, but against flows the caller says the switch holds (e.g. what the last reconcile left there),
 * without reading them: the fast path for changes made while traffic waits (a migration's switchover). Flows that
 * changed on the switch behind the controller's back are not seen; a full {@link reconcile} repairs them.
 */
export async function reconcileAgainst(conn: SwitchConnection, desired: DesiredState, installed: readonly InstalledFlow[], opts: ReconcileOptions, t0 = performance.now()): Promise<ReconcileReport> {
  const diff = diffFlows(desired, installed, opts);
  const messages = diffMessages(diff);
  let via: ReconcileReport['via'] = 'none';
  if (messages.length > 0) {
    const mode = opts.mode ?? 'auto';
    const bundles = mode !== 'plain' && !(mode === 'auto' && noBundles.has(conn));
    if (bundles && messages.length === 1) {
      await applyPlain(conn, messages);
      via = 'single';
    } else if (bundles) {
      if (await applyBundle(conn, messages)) via = 'bundle';
      else if (mode === 'bundle') throw new XsiteError('RECONCILE_NO_BUNDLES', 'the switch does not support bundles');
      else {
        noBundles.add(conn);
        via = 'plain';
      }
    } else via = 'plain';
    if (via === 'plain') await applyPlain(conn, messages);
  }
  return {
    added: diff.add.length,
    modified: diff.modify.length,
    deleted: diff.delete.length,
    foreign: diff.foreign,
    unchanged: diff.unchanged,
    via,
    ms: performance.now() - t0,
  };
}
