/**
 * The `audit` request central sends each local controller over the control channel (`xsite audit`), and the answer:
 * how the DC's switches compare with the desired state, and which cross-site flows have both NAT entries on the
 * DC's gateway switch. Shared by src/local/audit.ts (answers) and src/central/audit.ts (asks and sums up).
 */

export const AUDIT_REQUEST = 'audit';
export const AUDIT_VERSION = 1;

/** central -> local: audit your switches now. */
export interface AuditRequest {
  type: typeof AUDIT_REQUEST;
  v: typeof AUDIT_VERSION;
}

/** What a finding is about: a flow on a switch that no manager wants, a desired flow missing or with other instructions, a switch that is not connected. */
export type AuditDetailKind = 'leaked' | 'missing' | 'modified' | 'switch-disconnected';

/** One finding on one switch (flows as the switch reports them, or as desired for 'missing'). */
export interface AuditDetail {
  switch: string;
  kind: AuditDetailKind;
  tableId?: number;
  priority?: number;
  /** `0x...` */
  cookie?: string;
  /** The match in ovs-ofctl syntax, shortened. */
  match?: string;
}

/** The answer of one local controller. */
export interface LocalAudit {
  v: typeof AUDIT_VERSION;
  dc: string;
  /** Switches of the DC (topology). */
  switches: number;
  /** Of those, connected and read. */
  connected: number;
  /** Flows installed that are in no desired state (ours but not desired, and foreign ones). */
  leakedFlows: number;
  /** Desired flows missing or with other instructions/cookie, plus one per switch not connected (or not readable). */
  mismatches: number;
  /** Ids of the cross-site flows of this DC whose outbound and inbound NAT entries are both on the gateway switch. */
  natFlows: string[];
  /** At most {@link MAX_AUDIT_DETAILS}. */
  details: AuditDetail[];
}

/** Cap of `details` in one local answer. */
export const MAX_AUDIT_DETAILS = 100;

export function isAuditRequest(x: unknown): x is AuditRequest {
  const r = x as Partial<AuditRequest> | null;
  return !!r && typeof r === 'object' && r.type === AUDIT_REQUEST && r.v === AUDIT_VERSION;
}

const count = (n: unknown) => Number.isInteger(n) && (n as number) >= 0;

export function isLocalAudit(x: unknown): x is LocalAudit {
  const a = x as Partial<LocalAudit> | null;
  return (
    !!a &&
    typeof a === 'object' &&
    a.v === AUDIT_VERSION &&
    typeof a.dc === 'string' &&
    count(a.switches) &&
    count(a.connected) &&
    count(a.leakedFlows) &&
    count(a.mismatches) &&
    Array.isArray(a.natFlows) &&
    a.natFlows.every((s) => typeof s === 'string') &&
    Array.isArray(a.details) &&
    a.details.every((d) => !!d && typeof d === 'object' && typeof (d as AuditDetail).switch === 'string' && typeof (d as AuditDetail).kind === 'string')
  );
}
