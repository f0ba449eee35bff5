/**
 * Finding and removing what labs left behind: network namespaces and links whose names carry a lab prefix, live
 * processes whose command line names a lab directory (ovsdb-server, ovs-vswitchd, controller relays) or that run
 * inside a lab namespace, and lab directories under the lab root. An empty list means the machine is clean.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { run } from './exec';
import { PREFIX_RE, labRoot, matchesPrefix } from './names';
import { killAndWait, processCmdline } from './ovs-daemon';
import { listNamespaces, namespacePids, removeLink, removeNamespace, teardown, type TeardownReport } from './teardown';

/** One leftover resource. `String(item)` gives `kind name (detail)`. */
export class Leftover {
  constructor(
    readonly kind: 'netns' | 'link' | 'process' | 'dir',
    readonly name: string,
    readonly detail?: string,
  ) {}

  toString(): string {
    return `${this.kind} ${this.name}${this.detail ? ` (${this.detail})` : ''}`;
  }
}

/** Lab directories under the root (real directories and symlinks to custom ones) that match `prefix`. */
function labDirs(prefix?: string): { entry: string; target: string }[] {
  const root = labRoot();
  let names: string[];
  try {
    names = fs.readdirSync(root);
  } catch {
    return [];
  }
  const out: { entry: string; target: string }[] = [];
  for (const n of names) {
    if (!PREFIX_RE.test(n) || !matchesPrefix(n, prefix)) continue;
    const entry = path.join(root, n);
    let target = entry;
    try {
      if (fs.lstatSync(entry).isSymbolicLink()) target = path.resolve(root, fs.readlinkSync(entry));
    } catch {
      continue;
    }
    out.push({ entry, target });
  }
  return out;
}

/** Interface names in the root network namespace. */
async function rootLinks(): Promise<string[]> {
  const r = await run('ip', ['-o', 'link', 'show'], { allowFail: true });
  return r.stdout
    .split('\n')
    .map((l) => /^\d+:\s+([^:@\s]+)/.exec(l)?.[1])
    .filter((x): x is string => x !== undefined);
}

/**
 * Lists leftovers of labs whose prefix starts with `prefix` (default: every xsite lab, `xs` + 4 characters). Returns
 * an empty list when nothing is left.
 */
export async function leftovers(prefix?: string): Promise<Leftover[]> {
  const out: Leftover[] = [];
  const dirs = labDirs(prefix);
  for (const d of dirs) out.push(new Leftover('dir', d.entry, d.target !== d.entry ? `-> ${d.target}` : undefined));
  const namespaces = (await listNamespaces()).filter((n) => matchesPrefix(n, prefix) && (prefix !== undefined || PREFIX_RE.test(n.split('-')[0]!)));
  for (const ns of namespaces) out.push(new Leftover('netns', ns));
  for (const l of await rootLinks()) if (matchesPrefix(l, prefix) && (prefix !== undefined || /^xs[a-z0-9]{4}/.test(l))) out.push(new Leftover('link', l));
  // Processes: command line names a lab directory (ovs daemons, relays), or running in a lab namespace.
  const markers = new Set<string>();
  for (const d of dirs) markers.add(`${d.target}/`).add(`${d.entry}/`);
  const root = labRoot();
  const seen = new Set<number>();
  let pids: string[] = [];
  try {
    pids = fs.readdirSync('/proc').filter((x) => /^\d+$/.test(x));
  } catch {
    /* no procfs */
  }
  for (const p of pids) {
    const pid = Number(p);
    if (pid === process.pid) continue;
    const cmd = processCmdline(pid);
    if (!cmd) continue;
    const hit = cmd.some((a) => {
      for (const m of markers) if (a.includes(m)) return true;
      // A daemon of a lab whose directory is already gone: <root>/<prefix>/... in its arguments.
      const i = a.indexOf(`${root}/`);
      if (i < 0) return false;
      const seg = a.slice(i + root.length + 1).split('/')[0] ?? '';
      return PREFIX_RE.test(seg) && matchesPrefix(seg, prefix);
    });
    if (hit) {
      seen.add(pid);
      out.push(new Leftover('process', String(pid), [path.basename(cmd[0] ?? '?'), ...cmd.slice(1).filter((a) => a.length <= 80 && a !== '-e')].slice(0, 4).join(' ')));
    }
  }
  for (const ns of namespaces) {
    for (const pid of await namespacePids(ns)) {
      if (seen.has(pid)) continue;
      seen.add(pid);
      out.push(new Leftover('process', String(pid), `in netns ${ns}`));
    }
  }
  return out;
}

/** Result of {@link removeLeftovers}. */
export interface RemoveReport {
  labs: TeardownReport[];
  removed: string[];
  errors: string[];
  /** What is still left afterwards (empty = clean). */
  remaining: Leftover[];
}

/**
 * Removes every leftover matching `prefix` (default: all xsite labs): tears down each lab directory through its state
 * file, then kills remaining matching processes and deletes remaining namespaces, links and directories.
 */
export async function removeLeftovers(prefix?: string): Promise<RemoveReport> {
  const rep: RemoveReport = { labs: [], removed: [], errors: [], remaining: [] };
  for (const d of labDirs(prefix)) {
    try {
      rep.labs.push(await teardown(d.target));
    } catch (e) {
      const r = (e as { details?: { report?: TeardownReport } }).details?.report;
      if (r) rep.labs.push(r);
      rep.errors.push((e as Error).message);
    }
    try {
      fs.rmSync(d.entry, { force: true, recursive: d.entry === d.target });
    } catch (e) {
      rep.errors.push((e as Error).message);
    }
  }
  const tr: TeardownReport = { dir: '', prefix, removed: rep.removed, errors: rep.errors };
  let left = await leftovers(prefix);
  for (const l of left.filter((x) => x.kind === 'process')) {
    await killAndWait(Number(l.name), 3000).catch((e: Error) => rep.errors.push(e.message));
    rep.removed.push(String(l));
  }
  for (const l of left.filter((x) => x.kind === 'link')) await removeLink(l.name, null, tr);
  for (const l of left.filter((x) => x.kind === 'netns')) await removeNamespace(l.name, tr);
  for (const l of left.filter((x) => x.kind === 'dir')) {
    fs.rmSync(l.name, { force: true, recursive: true });
    rep.removed.push(String(l));
  }
  left = await leftovers(prefix);
  rep.remaining = left;
  return rep;
}
