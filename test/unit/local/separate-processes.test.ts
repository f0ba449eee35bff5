/**
 * `xsite central` and `xsite local --dc dc1` as separate child processes; the emulated dc1 switches (in this process)
 * connect to the local process over TCP, and VMs of one VN in dc1 ping each other.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { loadTopologyFile } from '../../../src/emulator/topology/load';
import { EmulatedNetwork } from '../../../src/emulator/network';

const ROOT = path.join(__dirname, '..', '..', '..', '..');
const XSITE = path.join(ROOT, 'bin', 'xsite');
const INTENT = path.join(ROOT, 'examples', 'topologies', 'three-dcs.yaml');

const children: { name: string; child: ChildProcess; output: string[] }[] = [];
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'xsite-local-'));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

function exited(c: ChildProcess): boolean {
  return c.exitCode !== null || c.signalCode !== null;
}

/** Starts `node bin/xsite ...args` and resolves once a line of its output matches `ready`. */
function start(name: string, args: string[], ready: RegExp, timeoutMs = 20_000): Promise<void> {
  const child = spawn(process.execPath, [XSITE, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  children.push({ name, child, output });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} not ready in ${timeoutMs} ms:\n${output.join('')}`)), timeoutMs);
    const onData = (d: Buffer) => {
      output.push(d.toString());
      if (ready.test(output.join(''))) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${code ?? signal}) before it was ready:\n${output.join('')}`));
    });
  });
}

async function stop(c: ChildProcess, timeoutMs = 5000): Promise<void> {
  if (exited(c) || c.pid === undefined) return;
  const gone = new Promise<void>((resolve) => c.once('exit', () => resolve()));
  process.kill(c.pid, 'SIGTERM');
  const timer = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), timeoutMs).unref());
  if ((await Promise.race([gone, timer])) === 'timeout' && !exited(c)) {
    process.kill(c.pid, 'SIGKILL');
    await gone;
  }
}

after(async () => {
  // Local first (it would otherwise log reconnect attempts), then central.
  for (const { child } of [...children].reverse()) await stop(child);
  for (const { name, child } of children) assert.ok(exited(child), `${name} (pid ${child.pid}) exited`);
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('central and local as separate processes: emulated dc1 switches connect to the local over TCP, same-VN VMs ping', async () => {
  const [apiPort, channelPort, openflowPort] = [await freePort(), await freePort(), await freePort()];
  const cfg = path.join(tmp, 'central.yaml');
  fs.writeFileSync(
    cfg,
    [
      `intent: ${JSON.stringify(INTENT)}`,
      `db: ":memory:"`,
      `api: { host: 127.0.0.1, port: ${apiPort} }`,
      `channel: { host: 127.0.0.1, port: ${channelPort} }`,
      'secrets: { dc1: secret-dc1-xx, dc2: secret-dc2-xx, dc3: secret-dc3-xx }',
      'tokens: { op: { role: operator } }',
      '',
    ].join('\n'),
  );
  await start('central', ['central', '--config', cfg], /control channel on/);
  await start('local', ['local', '--dc', 'dc1', '--config', cfg, '--openflow-port', String(openflowPort)], /directory synced/);

  const topo = loadTopologyFile(INTENT);
  const emu = EmulatedNetwork.build(topo);
  try {
    const dc1 = topo.switches.filter((s) => s.dc === 'dc1');
    for (const s of dc1) emu.connectTcp(s.name, '127.0.0.1', openflowPort);
    const local = children.find((c) => c.name === 'local')!;
    const deadline = Date.now() + 15_000;
    const allReconciled = () => dc1.every((s) => new RegExp(`switch ${s.name} reconciled`).test(local.output.join('')));
    while (!allReconciled() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.ok(allReconciled(), `every dc1 switch reconciled:\n${local.output.join('')}`);
    assert.match(local.output.join(''), /connected to central/);

    const h = (n: string) => emu.host(n);
    assert.equal((await h('acme-web1').ping('192.168.10.4', { count: 2, intervalMs: 5, timeoutMs: 2000 })).received, 2, 'acme-web1 -> acme-web4');
    assert.equal((await h('acme-web4').ping('192.168.10.1', { count: 1, timeoutMs: 2000 })).received, 1, 'acme-web4 -> acme-web1');
    // Another VN's VM with the same address is not reached: globex-app1 (192.168.10.1 in globex/app) is on dc1-h2.
    assert.equal(h('acme-web4').arp.lookup('192.168.10.1'), h('acme-web1').mac);
  } finally {
    emu.close();
  }
});
