/**
 * `xsite lab up|down|status|leftovers`: build a topology file on real Open vSwitch, tear labs down (one by directory,
 * or every xsite leftover with --all), show running labs, list leftovers. (`lab selftest` lives in main.ts.)
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { XsiteError } from '../core/errors';
import { Lab, leftovers, removeLeftovers, type LabStatus } from '../lab/lab';
import { labRoot, PREFIX_RE } from '../lab/names';
import { loadTopology } from '../lab/topology';

function printJson(v: unknown): void {
  process.stdout.write(`${JSON.stringify(v, null, 2)}\n`);
}

/** Lab directories known under the lab root (resolving symlinks to custom directories). */
function knownLabs(): string[] {
  const root = labRoot();
  let names: string[] = [];
  try {
    names = fs.readdirSync(root);
  } catch {
    return [];
  }
  return names
    .filter((n) => PREFIX_RE.test(n))
    .map((n) => {
      const p = path.join(root, n);
      try {
        return fs.lstatSync(p).isSymbolicLink() ? path.resolve(root, fs.readlinkSync(p)) : p;
      } catch {
        return p;
      }
    });
}

/**
 * Adds `up`, `down`, `status` and `leftovers` to the `lab` command. Pass the `lab` command itself; when given the
 * root program instead, they are added under its `lab` sub-command (created if missing).
 */
export function registerLabCommands(program: Command): void {
  const lab =
    program.name() === 'lab' ? program : (program.commands.find((c) => c.name() === 'lab') ?? program.command('lab').description('build topologies on real Open vSwitch'));

  lab
    .command('up')
    .description('build the topology in FILE (YAML) on Open vSwitch and leave it running')
    .argument('<file>', 'topology file (see examples/lab/two-bridges.yaml)')
    .option('--dir <dir>', 'lab directory (default /tmp/xsite-lab/<prefix>; must be new or empty)')
    .option('--json', 'print the lab status as JSON')
    .action(async (file: string, o: { dir?: string; json?: boolean }) => {
      const topo = await loadTopology(file);
      const t0 = Date.now();
      const l = await Lab.up(topo, { dir: o.dir, log: o.json ? undefined : (s: string) => process.stderr.write(`${s}\n`) });
      if (o.json) printJson(await l.status());
      else {
        process.stdout.write(`lab ${topo.name} up in ${Date.now() - t0} ms: ${l.dir} (prefix ${l.prefix})\n`);
        for (const h of topo.hosts) process.stdout.write(`  ${h.name}: ${h.ip} on ${h.bridge} port ${h.ofport}; shell: ip netns exec ${l.namespace(h.name)} bash\n`);
        process.stdout.write(`tear down with: xsite lab down --dir ${l.dir}\n`);
      }
    });

  lab
    .command('down')
    .description('tear a lab down (by --dir, or the only running lab), or remove every xsite leftover (--all)')
    .option('--dir <dir>', 'lab directory')
    .option('--all', 'remove every leftover with the xsite prefix (labs, namespaces, links, processes, dirs)')
    .option('--json', 'print the report as JSON')
    .action(async (o: { dir?: string; all?: boolean; json?: boolean }) => {
      if (o.all && o.dir) throw new XsiteError('CLI_BAD_ARGS', 'use either --dir or --all');
      if (o.all) {
        const r = await removeLeftovers();
        if (o.json) printJson({ ...r, remaining: r.remaining.map(String) });
        else {
          for (const x of r.labs) process.stdout.write(`lab ${x.dir}: removed ${x.removed.length} item(s)\n`);
          for (const x of r.removed) process.stdout.write(`removed ${x}\n`);
          for (const x of r.errors) process.stderr.write(`error: ${x}\n`);
          process.stdout.write(r.remaining.length === 0 ? 'clean\n' : `still left: ${r.remaining.map(String).join(', ')}\n`);
        }
        if (r.remaining.length > 0) process.exitCode = 1;
        return;
      }
      let dir = o.dir;
      if (!dir) {
        const labs = knownLabs();
        if (labs.length !== 1) {
          throw new XsiteError('CLI_BAD_ARGS', labs.length === 0 ? 'no lab is running (nothing to tear down)' : `several labs are running; pick one with --dir: ${labs.join(', ')}`);
        }
        dir = labs[0]!;
      }
      const r = await Lab.down(dir);
      if (o.json) printJson(r);
      else process.stdout.write(`lab ${r.dir} down (${r.removed.length} item(s) removed)\n`);
    });

  lab
    .command('status')
    .description('show running labs: daemons, bridges (controller connection, ports, flows), hosts')
    .option('--dir <dir>', 'only this lab')
    .option('--json', 'print JSON')
    .action(async (o: { dir?: string; json?: boolean }) => {
      const dirs = o.dir ? [path.resolve(o.dir)] : knownLabs();
      const out: unknown[] = [];
      for (const d of dirs) {
        try {
          out.push(await Lab.open(d).status());
        } catch (e) {
          out.push({ dir: d, error: (e as Error).message });
        }
      }
      if (o.json) {
        printJson(out);
        return;
      }
      if (out.length === 0) process.stdout.write('no labs\n');
      for (const s of out as Record<string, unknown>[]) {
        if (s.error) {
          process.stdout.write(`${String(s.dir)}: ${String(s.error)}\n`);
          continue;
        }
        const st = s as unknown as LabStatus;
        process.stdout.write(`lab ${st.name} [${st.prefix}] ${st.status} in ${st.dir}; ovsdb-server ${st.daemons.ovsdbServer ?? 'DOWN'}, ovs-vswitchd ${st.daemons.vswitchd ?? 'DOWN'}\n`);
        for (const b of st.bridges) {
          const conn = b.controller ? `${b.controller} ${b.connected ? 'connected' : 'not connected'}` : 'no controller';
          process.stdout.write(`  bridge ${b.name} dpid ${b.dpid}: ${conn}, ${b.ports} port(s), ${b.flows ?? '?'} flow(s)\n`);
        }
        for (const h of st.hosts) process.stdout.write(`  host ${h.name} ${h.ip} ${h.mac} on ${h.bridge}:${h.ofport} (netns ${h.netns})\n`);
      }
    });

  lab
    .command('leftovers')
    .description('list namespaces, links, processes and directories left by xsite labs (exit status 1 when any)')
    .option('--prefix <prefix>', 'only names starting with this prefix (default: every xsite lab)')
    .option('--json', 'print JSON')
    .action(async (o: { prefix?: string; json?: boolean }) => {
      const l = await leftovers(o.prefix);
      if (o.json) printJson(l.map((x) => ({ kind: x.kind, name: x.name, ...(x.detail ? { detail: x.detail } : {}) })));
      else process.stdout.write(l.length === 0 ? 'clean\n' : `${l.map(String).join('\n')}\n`);
      if (l.length > 0) process.exitCode = 1;
    });
}
