/**
 * Tearing a lab down from its directory alone (state file + pidfiles), as after a crash. Order: processes started
 * inside the lab's namespaces, ovs-vswitchd and ovsdb-server, controller relays, veth pairs (deleted explicitly, which
 * is synchronous, rather than left to the asynchronous cleanup of a deleted namespace), namespaces, then the
 * directory. Every step tolerates things already gone, so teardown is idempotent.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { XsiteError } from '../core/errors';
import { run } from './exec';
import { PREFIX_RE, labRoot, matchesPrefix } from './names';
import { isProcessOf, killAndWait, processCmdline, processesMentioning, readPidfile, stopOvsIn } from './ovs-daemon';
import { stopRelay } from './controller-relay';
import { readState, stateFile, type LabResource, type LabState } from './state';

/** What a teardown did. */
export interface TeardownReport {
  dir: string;
  prefix: string | undefined;
  /** Human-readable list of what was removed or stopped. */
  removed: string[];
  /** Steps that failed (teardown continues past failures). */
  errors: string[];
}

/** Network namespaces that exist now. */
export async function listNamespaces(): Promise<string[]> {
  try {
    return fs.readdirSync('/run/netns');
  } catch {
    const r = await run('ip', ['netns', 'list'], { allowFail: true });
    return r.stdout
      .split('\n')
      .map((l) => l.trim().split(/\s+/)[0] ?? '')
      .filter(Boolean);
  }
}

/** PIDs of processes whose network namespace is `ns` (empty when it does not exist). */
export async function namespacePids(ns: string): Promise<number[]> {
  const r = await run('ip', ['netns', 'pids', ns], { allowFail: true });
  if (r.code !== 0) return [];
  return r.stdout
    .split(/\s+/)
    .filter(Boolean)
    .map(Number)
    .filter((n) => Number.isInteger(n) && n > 1 && n !== process.pid && processCmdline(n) !== undefined);
}

/** Kills every process in namespace `ns`, then deletes it. */
export async function removeNamespace(ns: string, report: TeardownReport): Promise<void> {
  for (const pid of await namespacePids(ns)) {
    await killAndWait(pid, 2000);
    report.removed.push(`process ${pid} (netns ${ns})`);
  }
  const r = await run('ip', ['netns', 'del', ns], { allowFail: true });
  if (r.code === 0) report.removed.push(`netns ${ns}`);
  else if (!/No such file|not exist|Invalid netns/i.test(r.stderr)) report.errors.push(`ip netns del ${ns}: ${r.stderr.trim()}`);
}

/** Deletes link `name` (in namespace `ns`, or the root namespace when null) if present. */
export async function removeLink(name: string, ns: string | null, report: TeardownReport): Promise<void> {
  if (ns !== null && !(await listNamespaces()).includes(ns)) return; // gone with its namespace
  const args = [...(ns ? ['-n', ns] : []), 'link', 'del', 'dev', name];
  const r = await run('ip', args, { allowFail: true });
  if (r.code === 0) report.removed.push(`link ${name}${ns ? ` (netns ${ns})` : ''}`);
  else if (!/Cannot find device|does not exist|No such device/i.test(r.stderr)) report.errors.push(`ip ${args.join(' ')}: ${r.stderr.trim()}`);
}

async function stopOvs(dir: string, report: TeardownReport): Promise<void> {
  try {
    for (const pid of await stopOvsIn(dir)) report.removed.push(`process ${pid} (ovs in ${dir})`);
  } catch (e) {
    report.errors.push((e as Error).message);
  }
}

/** Removes the lab directory (or, when it existed before the lab, only its contents) and its registry symlink. */
function removeDir(state: LabState | undefined, dir: string, report: TeardownReport): void {
  const dirRes = state?.resources.find((r): r is Extract<LabResource, { kind: 'dir' }> => r.kind === 'dir');
  try {
    if (dirRes && !dirRes.created) {
      for (const e of fs.readdirSync(dir)) fs.rmSync(path.join(dir, e), { recursive: true, force: true });
      report.removed.push(`contents of ${dir}`);
    } else if (fs.existsSync(dir)) {
      fs.rmSync(dir, { recursive: true, force: true });
      report.removed.push(`dir ${dir}`);
    }
  } catch (e) {
    report.errors.push(`remove ${dir}: ${(e as Error).message}`);
  }
  for (const r of state?.resources ?? []) {
    if (r.kind !== 'registry') continue;
    try {
      fs.rmSync(r.path, { force: true });
      report.removed.push(`registry ${r.path}`);
    } catch (e) {
      report.errors.push(`remove ${r.path}: ${(e as Error).message}`);
    }
  }
}

/**
 * Tears down the lab in `dir` using its state file. Without a state file it still stops daemons named by pidfiles in
 * `dir`, and when `dir` is `<root>/<prefix>` also removes namespaces with that prefix and the directory. Throws
 * `LAB_CLEANUP_FAILED` (details.report) when some step failed.
 */
export async function teardown(dir: string): Promise<TeardownReport> {
  const abs = path.resolve(dir);
  let state: LabState | undefined;
  const report: TeardownReport = { dir: abs, prefix: undefined, removed: [], errors: [] };
  try {
    state = readState(abs);
  } catch (e) {
    report.errors.push((e as Error).message);
  }
  const base = path.basename(abs);
  const prefix = state?.prefix ?? (PREFIX_RE.test(base) ? base : undefined);
  report.prefix = prefix;
  const resources = state?.resources ?? [];

  // 1. Processes inside the lab's namespaces (servers started with Lab.spawn/exec) and the daemons.
  const namespaces = new Set(resources.filter((r) => r.kind === 'netns').map((r) => (r as { name: string }).name));
  if (prefix) for (const ns of await listNamespaces()) if (matchesPrefix(ns, prefix) && (ns === prefix || ns.startsWith(`${prefix}-`))) namespaces.add(ns);
  for (const ns of namespaces) {
    for (const pid of await namespacePids(ns)) {
      // ovs-vswitchd is stopped through its pidfile below; everything else in our namespaces is a leftover process.
      const cmd = processCmdline(pid);
      if (cmd && cmd.some((a) => a.includes(abs))) continue;
      await killAndWait(pid, 2000).catch((e: Error) => report.errors.push(e.message));
      report.removed.push(`process ${pid} (netns ${ns})`);
    }
  }
  await stopOvs(abs, report);
  for (const r of resources) {
    if (r.kind === 'ovs' && path.resolve(r.dir) !== abs) await stopOvs(r.dir, report);
    if (r.kind === 'relay') {
      try {
        await stopRelay(r.pidfile, r.socket);
        report.removed.push(`relay ${r.target}`);
      } catch (e) {
        report.errors.push((e as Error).message);
      }
    }
  }
  // Relays not in the state (crash between start and record): by pidfile, when their command line names this dir.
  try {
    for (const f of fs.readdirSync(abs)) {
      if (!/^relay-\d+\.pid$/.test(f)) continue;
      const pid = readPidfile(path.join(abs, f));
      if (pid !== undefined && isProcessOf(pid, abs)) {
        await killAndWait(pid).catch((e: Error) => report.errors.push(e.message));
        report.removed.push(`process ${pid} (relay in ${abs})`);
      }
    }
  } catch {
    /* no dir */
  }
  // Anything else still naming the directory (e.g. an ovs-vsctl orphaned by a crash, waiting for a dead vswitchd).
  for (const pid of processesMentioning(`${abs}/`)) {
    await killAndWait(pid, 2000).catch((e: Error) => report.errors.push(e.message));
    report.removed.push(`process ${pid} (mentions ${abs})`);
  }
  // 2. Veth pairs, newest first.
  for (const r of [...resources].reverse()) {
    if (r.kind === 'veth') await removeLink(r.name, r.netns, report);
  }
  // 3. Namespaces.
  for (const ns of [...namespaces].reverse()) await removeNamespace(ns, report);
  // 4. Directory (only when it is a lab's: it has a state file or is <root>/<prefix>).
  const isLabDir = state !== undefined || (prefix !== undefined && path.dirname(abs) === labRoot());
  if (isLabDir) removeDir(state, abs, report);
  else if (fs.existsSync(stateFile(abs))) report.errors.push(`${abs} left in place (not recognised as a lab directory)`);
  if (prefix && !state) {
    const reg = path.join(labRoot(), prefix);
    try {
      if (fs.lstatSync(reg).isSymbolicLink() && path.resolve(fs.readlinkSync(reg)) === abs) {
        fs.rmSync(reg);
        report.removed.push(`registry ${reg}`);
      }
    } catch {
      /* none */
    }
  }
  if (report.errors.length > 0) {
    throw new XsiteError('LAB_CLEANUP_FAILED', `lab ${abs}: teardown incomplete: ${report.errors.join('; ')}`, { report });
  }
  return report;
}
