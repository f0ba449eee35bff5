/**
 * `xsite trace TOPOLOGY --flows FILE --from HOST --packet SPEC`: shows the path of a packet through the tables and
 * switches of an emulated network, like `ovs-appctl ofproto/trace` but across switches.
 */
import * as fs from 'node:fs';
import type { Command } from 'commander';
import { XsiteError } from '../core/errors';
import { VirtualClock } from '../core/clock';
import { EmulatedNetwork, formatNetworkTrace, type NetworkTrace } from '../emulator/network';
import { loadTopologyFile } from '../emulator/topology/load';
import { installFlowFile, parseFlowFile } from '../emulator/trace/flow-file';
import { packetFromSpec } from '../emulator/trace/packet-spec';

export interface TraceRequest {
  topologyFile: string;
  flowsFile: string;
  from: string;
  packet: string;
}

/** Builds the network in virtual time, installs the flows, traces the packet. */
export function runTrace(r: TraceRequest): { trace: NetworkTrace; frame: Buffer } {
  const topo = loadTopologyFile(r.topologyFile);
  let text: string;
  try {
    text = fs.readFileSync(r.flowsFile, 'utf8');
  } catch (e) {
    throw new XsiteError('FLOW_FILE_UNREADABLE', `cannot read ${r.flowsFile}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  const net = EmulatedNetwork.build(topo, { clock: new VirtualClock() });
  try {
    installFlowFile(parseFlowFile(text, r.flowsFile), (name) => net.switches.get(name), r.flowsFile);
    const src = net.host(r.from);
    const byIp = new Map([...net.hosts.values()].map((h) => [h.ip, h.mac]));
    const frame = packetFromSpec(r.packet, { ethSrc: src.mac, ethDst: 'ff:ff:ff:ff:ff:ff', ipv4Src: src.ip }, (ip) => byIp.get(ip));
    return { trace: net.trace(r.from, frame), frame };
  } finally {
    net.close();
  }
}

export function registerTraceCommand(program: Command): void {
  program
    .command('trace <topology>')
    .description('trace a packet through the tables and switches of an emulated network (like ofproto/trace, across switches)')
    .requiredOption('--flows <file>', 'flows to install, one "SWITCH FLOW" per line in ovs-ofctl syntax')
    .requiredOption('--from <host>', 'VM or end host that sends the packet')
    .requiredOption('--packet <spec>', 'the packet, e.g. "tcp,nw_dst=192.168.10.7,tp_dst=80" (unset fields: sender defaults)')
    .option('--json', 'print hops, deliveries and losses as JSON')
    .action((topologyFile: string, o: { flows: string; from: string; packet: string; json?: boolean }) => {
      const { trace } = runTrace({ topologyFile, flowsFile: o.flows, from: o.from, packet: o.packet });
      if (o.json) {
        process.stdout.write(
          `${JSON.stringify(
            {
              hops: trace.hops.map((h) => ({ switch: h.switch, inPort: h.inPort, tables: h.result.steps.flatMap((s) => (s.kind === 'table' ? [s.tableId] : [])), final: h.result.final, drops: h.result.drops })),
              delivered: trace.delivered.map((d) => ({ host: d.host, viaSwitch: d.viaSwitch, port: d.port, bytes: d.frame.length })),
              lost: trace.lost,
              truncated: trace.truncated,
            },
            (_k, v: unknown) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v),
            2,
          )}\n`,
        );
      } else process.stdout.write(`${formatNetworkTrace(trace)}\n`);
      if (trace.delivered.length === 0) process.exitCode = 1;
    });
}
