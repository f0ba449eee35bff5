/**
 * Validation findings and the error that carries them. Every finding names the field by its path in the topology
 * (`vms[3].ip`) and, for YAML input, the line and column it was read from.
 */
import { XsiteError } from '../../core/errors';

/** Error code of an invalid topology (YAML syntax errors included). */
export const TOPOLOGY_INVALID = 'TOPOLOGY_INVALID';

/** Which rule a finding breaks (stable; tests and tools may match on it). */
export type TopologyRule =
  | 'yaml-syntax'
  | 'unknown-key'
  | 'required'
  | 'type'
  | 'range'
  | 'address'
  | 'dpid'
  | 'duplicate-name'
  | 'unknown-ref'
  | 'role'
  | 'dc-mismatch'
  | 'shared-vswitch'
  | 'self-link'
  | 'wan-endpoints'
  | 'outside-subnet'
  | 'subnet-overlap'
  | 'duplicate-ip'
  | 'duplicate-mac'
  | 'duplicate-dpid'
  | 'duplicate-port'
  | 'duplicate-vn-id'
  | 'port-range'
  | 'vlan'
  | 'capacity';

/** One path segment: an object key or a list index. */
export type PathSegment = string | number;

/** One finding. `line`/`col` (1-based) are present when the topology came from text. */
export interface TopologyIssue {
  /** Dotted path with list indices in brackets, e.g. `vms[3].ip`; empty for the whole document. */
  path: string;
  line?: number;
  col?: number;
  message: string;
  rule: TopologyRule;
}

/** Renders path segments as `a[0].b`. */
export function formatPath(segments: readonly PathSegment[]): string {
  let out = '';
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`;
    else out += out === '' ? s : `.${s}`;
  }
  return out;
}

/** `file:line:col: path: message` (parts left out when unknown). */
export function formatIssue(issue: TopologyIssue, source?: string): string {
  const where = [source, issue.line, issue.line !== undefined ? issue.col : undefined].filter((x) => x !== undefined);
  const prefix = where.length > 0 ? `${where.join(':')}: ` : '';
  return `${prefix}${issue.path === '' ? '' : `${issue.path}: `}${issue.message}`;
}

/** The `TOPOLOGY_INVALID` error for a non-empty list of findings; `details.errors` holds them all, in order. */
export function topologyError(issues: readonly TopologyIssue[], source?: string): XsiteError {
  const head = `invalid topology${source ? ` ${source}` : ''}: ${issues.length} error${issues.length === 1 ? '' : 's'}`;
  const errors = issues.map((i) => ({ path: i.path, line: i.line, col: i.col, message: i.message, rule: i.rule }));
  return new XsiteError(TOPOLOGY_INVALID, [head, ...issues.map((i) => `  ${formatIssue(i, source)}`)].join('\n'), {
    source,
    errors,
  });
}
