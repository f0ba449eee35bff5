/**
 * `xsite audit`, the central half: asks every DC's local controller for its audit (src/local/audit.ts) and checks
 * the NAT tuples in use against the flows and the gateways.
 *
 * - leakedFlows: the sum of the DCs' leaked flows (on a switch, in no desired state).
 * - leakedTuples: tuples in use whose flow is not open (closed or gone), and tuples of open flows whose NAT entries
 *   are not both on the gateway switch of one of the flow's two DCs (the DCs of the tuple's gateways). A DC that did
 *   not answer cannot say; its tuples are not counted (the DC already counts as a mismatch).
 * - mismatches: the sum of the DCs' mismatches (desired flows missing or different, switches not connected), plus 1
 *   per DC that is not connected or did not answer.
 */
import { XsiteError } from '../core/errors';
import type { ChannelServer } from '../ports/control-channel';
import type { Store } from '../ports/store';
import { AUDIT_REQUEST, AUDIT_VERSION, type AuditDetail, type AuditRequest, isLocalAudit, type LocalAudit } from './audit-protocol';

/** Default wait for each DC's answer. */
export const AUDIT_TIMEOUT_MS = 5000;
/** Cap of the report's `details`. */
export const MAX_REPORT_DETAILS = 500;

/** One finding of the report. */
export interface AuditReportDetail extends Partial<Omit<AuditDetail, 'kind'>> {
  kind: AuditDetail['kind'] | 'dc-disconnected' | 'dc-no-answer' | 'leaked-tuple';
  dc?: string;
  /** For 'leaked-tuple'. */
  flowId?: string;
  /** Why (DC errors, tuple reasons). */
  reason?: string;
}

/** Per DC. */
export interface DcAudit {
  connected: boolean;
  /** False when the DC was not connected, timed out or answered with an error. */
  answered: boolean;
  leakedFlows: number;
  mismatches: number;
  switches?: number;
  connectedSwitches?: number;
}

export interface AuditReport {
  leakedFlows: number;
  leakedTuples: number;
  mismatches: number;
  dcs: Record<string, DcAudit>;
  details: AuditReportDetail[];
}

export interface AuditDeps {
  store: Pick<Store, 'listNatTuples' | 'listFlows' | 'getGateway'>;
  channel: Pick<ChannelServer, 'request' | 'connectedDcs'>;
  /** Every DC of the directory. */
  dcs: readonly string[];
  timeoutMs?: number;
}

async function askDc(deps: AuditDeps, dc: string): Promise<LocalAudit> {
  const req: AuditRequest = { type: AUDIT_REQUEST, v: AUDIT_VERSION };
  const reply = await deps.channel.request(dc, req, { timeoutMs: deps.timeoutMs ?? AUDIT_TIMEOUT_MS });
  if (!isLocalAudit(reply)) throw new XsiteError('AUDIT_BAD_REPLY', `${dc} answered the audit with something else`);
  return reply;
}

/** Audits every DC and the NAT tuples. */
export async function runAudit(deps: AuditDeps): Promise<AuditReport> {
  const connected = new Set(deps.channel.connectedDcs());
  const dcs = [...new Set(deps.dcs)].sort();
  const answers = await Promise.all(
    dcs.map(async (dc): Promise<{ dc: string; audit?: LocalAudit; error?: string }> => {
      if (!connected.has(dc)) return { dc };
      try {
        return { dc, audit: await askDc(deps, dc) };
      } catch (e) {
        const err = e as { code?: unknown; message?: unknown };
        return { dc, error: `${typeof err?.code === 'string' ? `${err.code}: ` : ''}${typeof err?.message === 'string' ? err.message : String(e)}` };
      }
    }),
  );
  const report: AuditReport = { leakedFlows: 0, leakedTuples: 0, mismatches: 0, dcs: {}, details: [] };
  const details: AuditReportDetail[] = [];
  const natFlows = new Map<string, Set<string>>();
  for (const { dc, audit, error } of answers) {
    if (audit === undefined) {
      report.mismatches++;
      report.dcs[dc] = { connected: connected.has(dc), answered: false, leakedFlows: 0, mismatches: 1 };
      details.push(connected.has(dc) ? { dc, kind: 'dc-no-answer', ...(error !== undefined ? { reason: error } : {}) } : { dc, kind: 'dc-disconnected' });
      continue;
    }
    report.leakedFlows += audit.leakedFlows;
    report.mismatches += audit.mismatches;
    report.dcs[dc] = { connected: true, answered: true, leakedFlows: audit.leakedFlows, mismatches: audit.mismatches, switches: audit.switches, connectedSwitches: audit.connected };
    natFlows.set(dc, new Set(audit.natFlows));
    for (const d of audit.details) details.push({ dc, ...d });
  }

  const [tuples, open] = await Promise.all([deps.store.listNatTuples(), deps.store.listFlows({ state: 'open' })]);
  const openIds = new Set(open.map((f) => f.id));
  const gatewayDc = new Map<string, string | undefined>();
  const dcOf = async (gateway: string) => {
    if (!gatewayDc.has(gateway)) gatewayDc.set(gateway, (await deps.store.getGateway(gateway))?.dc);
    return gatewayDc.get(gateway);
  };
  for (const t of tuples) {
    let reason: string | undefined;
    if (!openIds.has(t.flowId)) reason = 'the flow is not open';
    else {
      const ends = [await dcOf(t.srcGateway), await dcOf(t.dstGateway)];
      if (ends.some((d) => d === undefined)) reason = `unknown gateway ${ends[0] === undefined ? t.srcGateway : t.dstGateway}`;
      else {
        const missing = [...new Set(ends as string[])].filter((d) => natFlows.has(d) && !natFlows.get(d)!.has(t.flowId));
        if (missing.length > 0) reason = `no NAT entries on the gateway of ${missing.join(', ')}`;
      }
    }
    if (reason === undefined) continue;
    report.leakedTuples++;
    details.push({ kind: 'leaked-tuple', flowId: t.flowId, reason });
  }
  report.details = details.slice(0, MAX_REPORT_DETAILS);
  return report;
}
