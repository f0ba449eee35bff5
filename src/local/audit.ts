/**
 * `xsite audit`, the local half: compares every switch of the DC with its desired state (the reconciler's diff, read
 * only: nothing is sent to the switches but flow-stats requests) and lists the cross-site flows whose two NAT
 * entries are on the gateway switch. The counting is pure ({@link switchFindings}, {@link natFlowsInstalled});
 * {@link auditLocal} does the reads.
 *
 * A flow on a switch that no desired state holds is leaked, whoever owns its cookie (ours but no longer desired, or
 * foreign). A desired flow that is missing, or installed with other instructions or another cookie, is a mismatch,
 * as is a switch of the DC that is not connected (or whose flows cannot be read).
 */
import { AUDIT_VERSION, type AuditDetail, type LocalAudit, MAX_AUDIT_DETAILS } from '../central/audit-protocol';
import type { Match } from '../codec/openflow/types';
import type { CrossSiteFlow } from '../model/cross-site-flow';
import { formatMatch } from '../openflow/flow-syntax';
import { cookieLocal, cookieManager, XSITE_MANAGERS } from '../pipeline/cookie';
import { XSITE_PLAN } from '../pipeline/table-plan';
import type { LocalController } from './local-controller';
import { gatewaySwitchOf, natCookie } from './managers/gateway-nat';
import { diffFlows, type FlowDiff, type InstalledFlow, readInstalled } from './reconciler';

const NAT_MANAGER = XSITE_MANAGERS.idOf('gateway-nat');
const NAT_TABLE = XSITE_PLAN.table('gateway-nat').id;
const MATCH_TEXT_MAX = 160;

function matchText(match: Match): string {
  let s: string;
  try {
    s = formatMatch(match);
  } catch {
    s = `${match.length} fields`;
  }
  return s.length > MATCH_TEXT_MAX ? `${s.slice(0, MATCH_TEXT_MAX - 3)}...` : s;
}

function detail(sw: string, kind: AuditDetail['kind'], f: { tableId: number; priority: number; cookie: bigint; match: Match }): AuditDetail {
  return { switch: sw, kind, tableId: f.tableId, priority: f.priority, cookie: `0x${f.cookie.toString(16)}`, match: matchText(f.match) };
}

/** The findings of one connected switch from its diff (pure). */
export function switchFindings(sw: string, diff: FlowDiff): { leakedFlows: number; mismatches: number; details: AuditDetail[] } {
  // diffFlows without deleteForeign: `delete` holds only our own flows, `foreign` the others; both are leaked.
  const details: AuditDetail[] = [
    ...diff.delete.map((f) => detail(sw, 'leaked', f)),
    ...diff.foreign.map((f) => detail(sw, 'leaked', f)),
    ...diff.add.map((f) => detail(sw, 'missing', f)),
    ...diff.modify.map((m) => detail(sw, 'modified', m.installed)),
  ];
  return { leakedFlows: diff.delete.length + diff.foreign.length, mismatches: diff.add.length + diff.modify.length, details };
}

/** Ids of the `flows` whose outbound and inbound NAT entries (cookie natCookie(id)) are both in `installed` (pure). */
export function natFlowsInstalled(flows: readonly CrossSiteFlow[], installed: readonly InstalledFlow[]): string[] {
  const sides = new Map<bigint, Set<string>>();
  for (const f of installed) {
    if (f.tableId !== NAT_TABLE || cookieManager(f.cookie) !== NAT_MANAGER) continue;
    const local = cookieLocal(f.cookie);
    let s = sides.get(local);
    if (s === undefined) sides.set(local, (s = new Set()));
    // The inbound entry matches the WAN port; the outbound one the VN metadata (as in LocalController.onFlowRemoved).
    s.add(f.match.some((t) => t.field === 'in_port') ? 'in' : 'out');
  }
  return flows
    .filter((f) => sides.get(natCookie(f.id))?.size === 2)
    .map((f) => f.id)
    .sort();
}

/** Audits every switch of the app's DC (reads flow stats only). */
export async function auditLocal(app: LocalController): Promise<LocalAudit> {
  const owned = app.managers.map((m) => m.id);
  const gateway = gatewaySwitchOf(app.model);
  const names = [...app.model.switches.keys()].sort();
  const crossSite = app.crossSiteFlows;
  const results = await Promise.all(
    names.map(async (name) => {
      const conn = app.connections.get(name);
      if (conn === undefined) return { name, installed: undefined };
      try {
        return { name, installed: await readInstalled(conn) };
      } catch {
        return { name, installed: undefined };
      }
    }),
  );
  const out: LocalAudit = { v: AUDIT_VERSION, dc: app.model.dc, switches: names.length, connected: 0, leakedFlows: 0, mismatches: 0, natFlows: [], details: [] };
  const details: AuditDetail[] = [];
  for (const { name, installed } of results) {
    if (installed === undefined) {
      out.mismatches++;
      details.push({ switch: name, kind: 'switch-disconnected' });
      continue;
    }
    out.connected++;
    const f = switchFindings(name, diffFlows(app.desiredState(name), installed, { managersOwned: owned }));
    out.leakedFlows += f.leakedFlows;
    out.mismatches += f.mismatches;
    details.push(...f.details);
    if (name === gateway) out.natFlows = natFlowsInstalled(crossSite, installed);
  }
  out.details = details.slice(0, MAX_AUDIT_DETAILS);
  return out;
}
