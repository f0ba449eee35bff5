import { Command, InvalidArgumentError } from 'commander';
import { L2LearningApp } from '../apps/l2-learning';
import { OpenFlowController } from '../openflow/controller';
import { runLabSelftest } from '../bin/lab-selftest';
import { runDemo } from '../bin/demo';
import { crossSitePassed, runCrossSiteScenario } from '../scenario/cross-site';
import { migrationDemoPassed, runMigrationDemo } from '../scenario/migration-demo';
import { startServe } from '../scenario/serve';
import { loadCentralConfig, startCentral } from '../bin/central';
import { startLocal } from '../bin/local';
import { runOpenFlowBench } from '../../bench/openflow/run';
import { runFuzz } from '../../bench/fuzz/openflow-fuzz';
import { runEmulatorBench } from '../../bench/emulator/run';
import { runMigrationBench } from '../../bench/migration/run';
import { registerLabCommands } from './lab-command';
import { registerEmulatorCommands } from './emulator-command';
import { registerTraceCommand } from './trace-command';
import { registerAuditCommand } from './audit-command';
import { registerMigrateCommand } from './migrate-command';
import { isMigrationEndpoint } from '../model/migration-network';

/** Parses a positive integer option. */
export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`expected a positive integer, got "${value}"`);
  return n;
}

/** Parses `--dataplane`: emulator or ovs. */
export function dataplaneKind(value: string): 'emulator' | 'ovs' {
  if (value !== 'emulator' && value !== 'ovs') throw new InvalidArgumentError(`expected emulator or ovs, got "${value}"`);
  return value;
}

/** A TCP port, 0 meaning "any free one". */
export function portNumber(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError(`expected a TCP port 0..65535, got "${value}"`);
  return n;
}

/** Checks `--hypervisor` against `--dataplane` (the emulator runs sim; Open vSwitch runs netns or qemu). */
export function hypervisorFor(dataplane: 'emulator' | 'ovs', hv: string | undefined): 'sim' | 'netns' | 'qemu' | undefined {
  if (hv !== undefined && hv !== 'sim' && hv !== 'netns' && hv !== 'qemu') throw new InvalidArgumentError(`--hypervisor: expected sim, netns or qemu, got "${hv}"`);
  if (dataplane === 'emulator' && hv !== undefined && hv !== 'sim') throw new InvalidArgumentError(`--hypervisor ${hv} needs --dataplane ovs (the emulator runs sim)`);
  if (dataplane === 'ovs' && hv === 'sim') throw new InvalidArgumentError('--hypervisor sim runs on the emulator only (use netns or qemu with --dataplane ovs)');
  return hv;
}

function printJson(v: unknown): void {
  process.stdout.write(`${JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x), 2)}\n`);
}

/** The `xsite` command tree. */
export function buildProgram(): Command {
  const program = new Command('xsite')
    .description('Live-migrate VMs between data centers in different IP subnets, keeping their addresses and TCP sessions.')
    .version('0.1.0')
    .showHelpAfterError();

  program
    .command('demo')
    .description('the main job on the built-in emulator (no root): a VM migrates DC1 -> DC2 -> DC3 while peers talk to it; --dataplane ovs --hypervisor netns|qemu runs it on Open vSwitch (root); see --scenario')
    .option('--scenario <name>', 'migration (default): three DCs, TCP sessions and a 10 ms probe stream to a VM that migrates DC1 -> DC2 -> DC3, with a timeline; cross-site: central + one local controller per DC as processes, every VM pair across three DCs, controller restarts, NAT tuples released, audit; basic: one L2 controller, pings, TCP, probes, a trace', 'migration')
    .option('--dataplane <kind>', 'emulator (default) or ovs (the Open vSwitch lab; needs root and scripts/install-deps.sh)', dataplaneKind, 'emulator' as const)
    .option('--hypervisor <kind>', 'migration: sim (the emulator\'s), netns (default on ovs: a namespace as the VM) or qemu (a QEMU guest; builds it with scripts/build-guest.sh)')
    .option('--no-restart', 'cross-site: do not restart central and a local controller half way')
    .option('--nat-idle-timeout <seconds>', 'cross-site: idle timeout of gateway NAT flows', positiveInt, 2)
    .option('--memory <MB>', 'migration: memory of the migrating VM (default 64; qemu 128)', positiveInt)
    .option('-v, --verbose', "cross-site: also print the controllers' own output")
    .option('--json', 'print the result as JSON')
    .action(async (o: { scenario: string; dataplane: 'emulator' | 'ovs'; hypervisor?: string; restart: boolean; natIdleTimeout: number; memory?: number; verbose?: boolean; json?: boolean }) => {
      const out = (s: string) => process.stdout.write(`${s}\n`);
      if (o.scenario === 'migration') {
        const hv = hypervisorFor(o.dataplane, o.hypervisor);
        const r = await runMigrationDemo({
          dataplane: o.dataplane,
          ...(hv !== undefined ? { hypervisor: hv } : {}),
          ...(o.memory !== undefined ? { memoryMB: o.memory } : {}),
          log: o.json ? () => undefined : out,
        });
        if (o.json) printJson(r);
        else out(`\nsummary: ${r.migrations.map((m) => `${m.from} -> ${m.to} ${m.status}, ${m.probes.lost}/${m.probes.sent} probes lost, TCP ${m.tcp.kept}/${m.tcp.sessions} kept, switchover ${m.switchoverMs} ms`).join('; ')}; ${r.leaks.packets === null ? "frames between VNs not counted on OVS" : `${r.leaks.packets} frames leaked between VNs`} (${r.ms} ms)`);
        if (!migrationDemoPassed(r)) process.exitCode = 1;
        return;
      }
      if (o.scenario === 'cross-site') {
        const r = await runCrossSiteScenario({
          dataplane: o.dataplane,
          restart: o.restart,
          natIdleTimeoutS: o.natIdleTimeout,
          verbose: o.verbose === true,
          log: o.json ? () => undefined : out,
        });
        if (o.json) printJson(r);
        else {
          for (const f of r.failures) out(`FAILED: ${f}`);
          out(
            `\nsummary (${r.dataplane}): ${r.pairs} pairs, ${r.reachable}/${r.expected.reachable} reachable (ping, TCP, UDP), ${r.isolated}/${r.expected.isolated} isolated; ` +
              `leaks: ${r.leaks.packets} packets, ${r.leaks.flows} flows, ${r.leaks.tuples} tuples; ${r.tuplesInUseMax} NAT tuples in use at most; ` +
              `${r.restarts.map((x) => `${x.controller} restarted (${x.pairsOk}/${x.pairsRechecked} pairs kept)`).join(', ') || 'no restarts'} (${r.ms} ms)`,
          );
        }
        if (!crossSitePassed(r)) process.exitCode = 1;
        return;
      }
      if (o.scenario !== 'basic') throw new InvalidArgumentError(`--scenario: expected migration, cross-site or basic, got "${o.scenario}"`);
      const r = await runDemo(o.json ? () => undefined : out);
      if (o.json) printJson(r);
      else out(`\nsummary: ${r.pingOk}/${r.pairs} pairs ping, ${r.tcp.kept}/${r.tcp.sessions} TCP sessions kept, ${r.probes.lost}/${r.probes.sent} probes lost (${r.ms} ms)`);
      if (r.pingOk !== r.pairs || r.tcp.kept !== r.tcp.sessions || r.probes.lost !== 0) process.exitCode = 1;
    });

  program
    .command('serve')
    .description('a sandbox for migrating by hand: three DCs (emulator + sim, or --dataplane ovs with netns or qemu), the controllers, and the REST API with /v1/migrations, until Ctrl-C; then `xsite migrate VM --to HOST --api URL --token TOKEN`')
    .option('--dataplane <kind>', 'emulator (default) or ovs (the Open vSwitch lab; needs root and scripts/install-deps.sh)', dataplaneKind, 'emulator' as const)
    .option('--hypervisor <kind>', 'sim (the emulator\'s), netns (default on ovs: namespaces as VMs) or qemu (one VM a QEMU guest, see --guest)')
    .option('--guest <vm>', 'qemu: the VM that runs as a QEMU guest', 'acme-web1')
    .option('--host <addr>', 'address the API binds', '127.0.0.1')
    .option('--port <port>', 'API port (0: any free port, printed)', portNumber, 8080)
    .option('--token <token>', "the operator's bearer token (default: a random one, printed)")
    .option('--memory <MB>', 'memory of each migrated VM (default 64; qemu 128)', positiveInt)
    .action(async (o: { dataplane: 'emulator' | 'ovs'; hypervisor?: string; guest: string; host: string; port: number; token?: string; memory?: number }) => {
      const hv = hypervisorFor(o.dataplane, o.hypervisor);
      const log = (s: string) => process.stderr.write(`${s}\n`);
      log(`xsite serve: starting three DCs on ${o.dataplane === 'ovs' ? 'Open vSwitch' : 'the emulator'}...`);
      const s = await startServe({
        dataplane: o.dataplane,
        ...(hv !== undefined ? { hypervisor: hv } : {}),
        ...(o.memory !== undefined ? { memoryMB: o.memory } : {}),
        ...(o.token !== undefined ? { token: o.token } : {}),
        guest: o.guest,
        host: o.host,
        port: o.port,
        log,
      });
      const topo = s.testbed.topology;
      log(`xsite serve: ${s.testbed.dataplane} with the ${s.testbed.hypervisor} hypervisor; API on ${s.url} (docs at /docs), token ${s.token}`);
      log(`  VMs: ${topo.vms.filter((v) => !isMigrationEndpoint(v)).map((v) => v.name).join(', ')}; hosts: ${topo.hosts.map((h) => h.name).join(', ')} (each with its migration endpoint <host>-mig)`);
      log(`  try: xsite migrate ${topo.vms[0]?.name ?? 'VM'} --to ${topo.hosts.find((h) => h.dc !== topo.hosts[0]?.dc)?.name ?? 'HOST'} --api ${s.url} --token ${s.token}`);
      log(`  Ctrl-C to stop${s.testbed.dataplane === 'ovs' ? ' (the lab is removed)' : ''}`);
      await new Promise<void>((resolve) => process.once('SIGINT', resolve).once('SIGTERM', resolve));
      log('xsite serve: stopping');
      await s.close();
    });

  program
    .command('central')
    .description('run the central controller: store, intent, REST API (OpenAPI at /docs), control channel for local controllers')
    .requiredOption('--config <file>', 'configuration file (see examples/central/central.yaml)')
    .action(async (o: { config: string }) => {
      const cfg = loadCentralConfig(o.config);
      const c = await startCentral(cfg);
      process.stderr.write(`xsite central: API on http://${cfg.api.host}:${c.apiPort} (docs at /docs), control channel on ${cfg.channel.host}:${c.channelListener.port}\n`);
      c.channel.on('connected', (dc: string) => process.stderr.write(`local controller of ${dc} connected\n`));
      c.channel.on('disconnected', (dc: string) => process.stderr.write(`local controller of ${dc} disconnected\n`));
      await new Promise<void>((resolve) => process.once('SIGINT', resolve).once('SIGTERM', resolve));
      await c.close();
    });

  program
    .command('local')
    .description("run a data center's local controller: OpenFlow for its switches, control channel to central, directory sync")
    .requiredOption('--dc <name>', 'the data center this controller is in charge of')
    .requiredOption('--config <file>', "central's configuration file (intent, channel endpoint, the DC's secret)")
    .option('--openflow-port <port>', 'TCP port for the OpenFlow switches (0: any free port, printed)', portNumber, 6653)
    .option('--openflow-host <addr>', 'address to bind for OpenFlow', '127.0.0.1')
    .option('--nat-idle-timeout <seconds>', 'idle timeout of gateway NAT flows; an idle flow closes and its tuple is released', positiveInt, 30)
    .action(async (o: { dc: string; config: string; openflowPort: number; openflowHost: string; natIdleTimeout: number }) => {
      const cfg = loadCentralConfig(o.config);
      const secret = cfg.secrets[o.dc];
      if (secret === undefined) throw new InvalidArgumentError(`no control-channel secret for data center ${o.dc} in ${o.config}`);
      const host = cfg.channel.host === '0.0.0.0' || cfg.channel.host === '::' ? '127.0.0.1' : cfg.channel.host;
      const log = (s: string) => process.stderr.write(`xsite local ${o.dc}: ${s}\n`);
      log(`connecting to central ${host}:${cfg.channel.port}`);
      const l = await startLocal({ dc: o.dc, topologyFile: cfg.intent, central: { host, port: cfg.channel.port }, secret, openflow: { host: o.openflowHost, port: o.openflowPort }, natIdleTimeoutS: o.natIdleTimeout, log });
      log('running; Ctrl-C to stop');
      await new Promise<void>((resolve) => process.once('SIGINT', resolve).once('SIGTERM', resolve));
      await l.close();
    });

  program
    .command('controller')
    .description('run an OpenFlow 1.3 controller with the reactive L2 learning application')
    .option('--listen <port>', 'TCP port to listen on', positiveInt, 6653)
    .option('--host <addr>', 'address to bind', '127.0.0.1')
    .action(async (o: { listen: number; host: string }) => {
      const controller = new OpenFlowController();
      controller.use(new L2LearningApp());
      controller.on('switch', (c) => process.stderr.write(`switch ${c.dpidHex} connected (${c.ports.size} ports)\n`));
      controller.on('switch_gone', (c) => process.stderr.write(`switch ${c.dpidHex} gone (${c.closeReason})\n`));
      const port = await controller.listen(o.listen, o.host);
      process.stderr.write(`xsite controller listening on ${o.host}:${port} (OpenFlow 1.3); Ctrl-C to stop\n`);
      await new Promise<void>((resolve) => process.once('SIGINT', resolve).once('SIGTERM', resolve));
      await controller.close();
    });

  const lab = program.command('lab').description('build topologies on real Open vSwitch (needs root and openvswitch-switch)');
  lab
    .command('selftest')
    .description('two bridges, four hosts, an xsite L2 learning controller: ping every pair, count flows, tear down')
    .option('--json', 'print the result as JSON')
    .option('--keep', 'leave the lab running for inspection (tear down later with `xsite lab down`)')
    .action(async (o: { json?: boolean; keep?: boolean }) => {
      const result = await runLabSelftest({ keep: o.keep === true, log: o.json ? () => undefined : (s: string) => process.stderr.write(`${s}\n`) });
      if (o.json) printJson(result);
      else process.stdout.write(`pairs ${result.pairs}, ping ok ${result.pingOk}, flows on switches ${result.flowsOnSwitches}, leftovers ${result.leftovers}\n`);
      if (result.pingOk !== result.pairs || result.leftovers !== 0) process.exitCode = 1;
    });
  registerLabCommands(lab);

  registerEmulatorCommands(program);
  registerTraceCommand(program);
  registerAuditCommand(program);
  registerMigrateCommand(program);

  const bench = program.command('bench').description('benchmarks that print their figures');
  bench
    .command('openflow')
    .description('cbench-style load (throughput and latency modes) against the L2 learning application over loopback TCP')
    .option('--json', 'print the result as JSON')
    .option('--switches <n>', 'emulated switches', positiveInt, 16)
    .option('--macs <n>', 'MAC addresses per switch', positiveInt, 1000)
    .option('--window <n>', 'packet-ins in flight per switch in throughput mode', positiveInt, 64)
    .option('--seconds <n>', 'measurement time per mode', positiveInt, 5)
    .action(async (o: { json?: boolean; switches: number; macs: number; window: number; seconds: number }) => {
      const r = await runOpenFlowBench(o);
      if (o.json) printJson(r);
      else {
        process.stdout.write(`throughput: ${r.throughput.responsesPerSec} responses/s (${r.config.switches} switches, window ${r.config.window})\n`);
        process.stdout.write(`latency:    ${r.latency.responsesPerSec} responses/s (mean RTT ${r.latency.meanRttUs} us)\n`);
      }
    });
  bench
    .command('emulator')
    .description('emulator data plane: packets/s through a 3-hop path in virtual time, memory of 100 switches + 10,000 hosts')
    .option('--json', 'print the result as JSON')
    .option('--packets <n>', 'frames to forward', positiveInt, 500_000)
    .option('--switches <n>', 'switches in the large network', positiveInt, 100)
    .option('--hosts <n>', 'hosts (VMs) in the large network', positiveInt, 10_000)
    .action((o: { json?: boolean; packets: number; switches: number; hosts: number }) => {
      const r = runEmulatorBench(o);
      if (o.json) printJson(r);
      else {
        process.stdout.write(`forwarding: ${r.packetsPerSec} packets/s through 3 switches (${r.forwarding.packets} frames, ${r.forwarding.wallSeconds} s)\n`);
        process.stdout.write(`memory: ${r.memoryMBPer1000Hosts} MB per 1000 hosts; ${r.largeNetwork.switches} switches + ${r.largeNetwork.hosts} hosts take ${r.largeNetwork.heapMB} MB\n`);
      }
    });
  bench
    .command('migration')
    .description('live migrations back and forth among three DCs (emulator + sim, or --dataplane ovs + netns), several at once, probes every 10 ms; audit and leftovers at the end')
    .option('--json', 'print the result as JSON')
    .option('--dataplane <kind>', 'emulator (default) or ovs (the Open vSwitch lab with the netns hypervisor; root)', dataplaneKind, 'emulator' as const)
    .option('--count <n>', 'migrations', positiveInt, 50)
    .option('--concurrency <n>', 'migrations at once (of different VMs)', positiveInt, 3)
    .option('--memory <MB>', 'memory of each migrating VM for the pre-copy model', positiveInt, 16)
    .action(async (o: { json?: boolean; dataplane: 'emulator' | 'ovs'; count: number; concurrency: number; memory: number }) => {
      const r = await runMigrationBench({ count: o.count, concurrency: o.concurrency, memoryMB: o.memory, dataplane: o.dataplane, log: o.json ? () => undefined : (s: string) => process.stdout.write(`${s}\n`) });
      if (o.json) printJson(r);
      else {
        process.stdout.write(`migrations: ${r.migrations.completed}/${r.migrations.requested} completed (${r.migrations.rolledBack} rolled back, ${r.migrations.failed} failed), up to ${r.migrations.maxAtOnce} at once\n`);
        process.stdout.write(`switchover: p50 ${r.switchoverMs.p50} ms, p95 ${r.switchoverMs.p95} ms, max ${r.switchoverMs.max} ms (${r.switchovers.precomputed} precomputed, ${r.switchovers.computedInPause} computed in the pause); hypervisor downtime p50 ${r.hypervisorDowntimeMs.p50} ms, max ${r.hypervisorDowntimeMs.max} ms\n`);
        process.stdout.write(`probes: ${r.probes.lost}/${r.probes.sent} lost over ${r.probes.streams} streams, largest gap ${r.probes.maxGapMs} ms\n`);
        process.stdout.write(`audit: ${r.audit.leakedFlows} leaked flows, ${r.audit.leakedTuples} leaked tuples, ${r.audit.mismatches} mismatches, ${r.audit.activeMigrations} active migrations, ${r.audit.leakedFrames ?? 'uncounted'} frames across VNs, ${r.audit.leftovers ?? 'n/a'} lab leftovers (${r.ms} ms)\n`);
      }
      const a = r.audit;
      if (r.migrations.completed !== r.migrations.requested || a.leakedFlows + a.leakedTuples + a.mismatches + a.activeMigrations + (a.leakedFrames ?? 0) + (a.leftovers ?? 0) > 0) process.exitCode = 1;
    });
  bench
    .command('fuzz')
    .description('feed mutated OpenFlow messages to the decoder and a live connection; report crashes')
    .option('--json', 'print the result as JSON')
    .option('--count <n>', 'messages to mutate', positiveInt, 1_000_000)
    .option('--seed <n>', 'random seed', positiveInt, 1)
    .action(async (o: { json?: boolean; count: number; seed: number }) => {
      const r = runFuzz({ count: o.count, seed: o.seed });
      if (o.json) printJson(r);
      else process.stdout.write(`${r.messages} messages: ${r.decoded} decoded, ${r.rejected} rejected with typed errors, ${r.crashes} crashes\n`);
      if (r.crashes > 0) process.exitCode = 1;
    });

  return program;
}
