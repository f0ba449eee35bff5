/**
 * Emulator commands: `xsite topology check FILE` and `xsite emulator run FILE`.
 */
import type { Command } from 'commander';
import { XsiteError } from '../core/errors';
import { EmulatedNetwork } from '../emulator/network';
import { loadTopologyFile } from '../emulator/topology/load';
import type { Topology } from '../emulator/topology/model';

/** Summary counts of a topology. */
export function topologySummary(t: Topology): Record<string, number> {
  return {
    datacenters: t.datacenters.length,
    switches: t.switches.length,
    hosts: t.hosts.length,
    gateways: t.gateways.length,
    links: t.links.length,
    wanLinks: t.wanLinks.length,
    tenants: t.tenants.length,
    vms: t.vms.length,
    endHosts: t.endHosts.length,
  };
}

/** Parses `tcp:HOST:PORT`. */
export function parseControllerTarget(text: string): { host: string; port: number } {
  const m = /^tcp:([^:]+):(\d+)$/.exec(text);
  const port = m ? Number(m[2]) : NaN;
  if (!m || !(port > 0 && port < 65536)) {
    throw new XsiteError('BAD_ARGUMENT', `controller must look like tcp:127.0.0.1:6653, got "${text}"`);
  }
  return { host: m[1]!, port };
}

export function registerEmulatorCommands(program: Command): void {
  const topology = program.command('topology').description('emulator topology files (YAML)');
  topology
    .command('check <file>')
    .description('validate a topology file; errors point at file:line:col and the field')
    .option('--json', 'print the resolved topology as JSON')
    .action((file: string, o: { json?: boolean }) => {
      const t = loadTopologyFile(file);
      if (o.json) process.stdout.write(`${JSON.stringify(t, null, 2)}\n`);
      else {
        const s = topologySummary(t);
        process.stdout.write(`${file}: valid; ${Object.entries(s).map(([k, v]) => `${v} ${k}`).join(', ')}\n`);
      }
    });

  const emulator = program.command('emulator').description('run the built-in network emulator');
  emulator
    .command('run <file>')
    .description('run a topology in real time; switches connect to their DC controllers (or --controller) like OVS would')
    .option('--controller <target>', 'connect every switch to this controller, e.g. tcp:127.0.0.1:6653')
    .option('--seconds <n>', 'stop after this many seconds (default: until Ctrl-C)')
    .action(async (file: string, o: { controller?: string; seconds?: string }) => {
      const t = loadTopologyFile(file);
      const target = o.controller ? parseControllerTarget(o.controller) : undefined;
      const net = EmulatedNetwork.build(t);
      for (const s of t.switches) {
        const dc = t.datacenters.find((d) => d.name === s.dc)!;
        const to = target ?? (dc.controller === 'in-process' ? undefined : dc.controller);
        if (!to) {
          process.stderr.write(`switch ${s.name}: no controller (DC ${dc.name} is 'in-process'; pass --controller); fail mode ${s.failMode}\n`);
          continue;
        }
        const agent = net.connectTcp(s.name, to.host, to.port);
        agent.on('connected', () => process.stderr.write(`switch ${s.name} (dpid ${s.dpid}) connected to tcp:${to.host}:${to.port}\n`));
        agent.on('disconnected', () => process.stderr.write(`switch ${s.name} disconnected; reconnecting\n`));
      }
      const s = topologySummary(t);
      process.stderr.write(`emulating ${file}: ${s.switches} switches, ${s.vms + s.endHosts} hosts, ${s.links + s.wanLinks} links; Ctrl-C to stop\n`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve).once('SIGTERM', resolve);
        if (o.seconds) setTimeout(resolve, Number(o.seconds) * 1000);
      });
      net.close();
    });
}
