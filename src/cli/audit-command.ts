/**
 * `xsite audit --api URL --token TOKEN [--json]`: asks a running central controller (`GET /v1/audit`) for leaked
 * flows, NAT tuples with no live flow and switches that disagree with the directory. Exit code 0 when all three
 * numbers are 0, 1 when any is not, 2 when the API cannot be reached or answers with an error.
 */
import type { Command } from 'commander';
import type { AuditReport } from '../central/audit';

export interface AuditCommandOptions {
  api: string;
  token: string;
  json?: boolean;
  /** Whole request, ms (default 30 s). */
  timeoutMs?: number;
}

export interface AuditOutput {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

/** The readable summary of a report. */
export function formatAuditReport(r: AuditReport): string {
  const lines = [`leaked flows: ${r.leakedFlows}, leaked NAT tuples: ${r.leakedTuples}, mismatches: ${r.mismatches}`];
  for (const [dc, d] of Object.entries(r.dcs)) {
    const state = !d.connected ? 'not connected' : !d.answered ? 'no answer' : `${d.connectedSwitches ?? '?'}/${d.switches ?? '?'} switches connected`;
    lines.push(`  ${dc}: ${state}, ${d.leakedFlows} leaked flows, ${d.mismatches} mismatches`);
  }
  if (r.details.length > 0) lines.push(`details (${r.details.length}):`);
  for (const d of r.details) {
    const where = [d.dc, d.switch].filter((x) => x !== undefined).join(' ');
    const flow = d.tableId !== undefined ? ` table=${d.tableId} priority=${d.priority ?? '?'} cookie=${d.cookie ?? '?'}${d.match ? ` ${d.match}` : ''}` : '';
    const rest = `${d.flowId !== undefined ? ` flow ${d.flowId}` : ''}${d.reason !== undefined ? `: ${d.reason}` : ''}`;
    lines.push(`  ${d.kind}${where ? ` ${where}` : ''}${flow}${rest}`);
  }
  lines.push(r.leakedFlows + r.leakedTuples + r.mismatches === 0 ? 'OK' : 'NOT OK');
  return `${lines.join('\n')}\n`;
}

/** Runs the audit and prints it; returns the exit code (0 clean, 1 findings, 2 connection or HTTP error). */
export async function runAuditCommand(o: AuditCommandOptions, out: AuditOutput): Promise<number> {
  let url: URL;
  try {
    url = new URL('/v1/audit', o.api);
  } catch {
    out.stderr(`xsite audit: bad --api URL "${o.api}" (expected e.g. http://127.0.0.1:8080)\n`);
    return 2;
  }
  let res: Response;
  try {
    res = await fetch(url, { headers: { authorization: `Bearer ${o.token}`, accept: 'application/json' }, signal: AbortSignal.timeout(o.timeoutMs ?? 30_000) });
  } catch (e) {
    const err = e as { message?: string; name?: string; cause?: { code?: string; message?: string } };
    const why = err.name === 'TimeoutError' ? 'timed out' : (err.cause?.code ?? err.cause?.message ?? err.message ?? String(e));
    out.stderr(`xsite audit: cannot reach ${url.origin}: ${why}\n`);
    return 2;
  }
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    body = undefined;
  }
  if (!res.ok) {
    const error = (body as { error?: { code?: string; message?: string } } | undefined)?.error;
    out.stderr(`xsite audit: ${url.href} answered HTTP ${res.status}${error?.code ? ` [${error.code}]` : ''}${error?.message ? ` ${error.message}` : ''}\n`);
    return 2;
  }
  const r = body as AuditReport | undefined;
  if (!r || typeof r.leakedFlows !== 'number' || typeof r.leakedTuples !== 'number' || typeof r.mismatches !== 'number') {
    out.stderr(`xsite audit: ${url.href} answered HTTP ${res.status} with something that is not an audit report\n`);
    return 2;
  }
  out.stdout(o.json ? `${JSON.stringify(r, null, 2)}\n` : formatAuditReport(r));
  return r.leakedFlows + r.leakedTuples + r.mismatches === 0 ? 0 : 1;
}

/** Registers `xsite audit`. */
export function registerAuditCommand(program: Command): void {
  program
    .command('audit')
    .description('against a running central controller: leaked flows, NAT tuples with no live flow, switches that disagree with the directory (exit 1 if any, 2 on error)')
    .requiredOption('--api <url>', "central's REST API, e.g. http://127.0.0.1:8080")
    .requiredOption('--token <token>', 'an operator token')
    .option('--json', 'print the report as JSON ({ leakedFlows, leakedTuples, mismatches, dcs, details })')
    .action(async (o: { api: string; token: string; json?: boolean }) => {
      process.exitCode = await runAuditCommand(o, { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s) });
    });
}
