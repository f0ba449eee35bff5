import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { OpenFlowController } from '../../../src/openflow/controller';
import { memoryDuplexPair } from '../../../src/openflow/memory-duplex';
import type { SwitchConnection } from '../../../src/openflow/connection';
import { ScriptedSwitch } from '../../support/scripted-switch';

test('controller knows many switches by datapath id, over TCP', async () => {
  const controller = new OpenFlowController();
  const port = await controller.listen(0);
  const socks: net.Socket[] = [];
  try {
    for (let i = 1; i <= 5; i++) {
      const s = net.connect(port, '127.0.0.1');
      socks.push(s);
      new ScriptedSwitch(s, BigInt(i));
    }
    await controller.waitForSwitches(5, 3000);
    assert.deepEqual([...controller.switches.keys()].sort(), [1n, 2n, 3n, 4n, 5n]);
  } finally {
    for (const s of socks) s.destroy();
    await controller.close();
  }
});

test('a switch that reconnects replaces its old connection, which is closed as replaced', async () => {
  const controller = new OpenFlowController();
  const [a1, b1] = memoryDuplexPair();
  new ScriptedSwitch(b1, 42n);
  const first = controller.accept(a1);
  await controller.waitForSwitches(1);
  const gone: SwitchConnection[] = [];
  controller.on('switch_gone', (c: SwitchConnection) => gone.push(c));
  const [a2, b2] = memoryDuplexPair();
  new ScriptedSwitch(b2, 42n);
  const second = controller.accept(a2);
  await new Promise<void>((resolve) => controller.once('switch', () => resolve()));
  assert.equal(controller.switches.get(42n), second);
  assert.equal(first.state, 'closed');
  assert.equal(first.closeReason, 'replaced');
  assert.equal(gone.length, 0, 'replacement is not reported as the switch going away');
  await controller.close();
});

test('switch_gone is reported when a switch disconnects, and apps hear of it', async () => {
  const controller = new OpenFlowController();
  let goneSeen = 0;
  controller.use({ onSwitchGone: () => goneSeen++ });
  const [a, b] = memoryDuplexPair();
  new ScriptedSwitch(b, 9n);
  controller.accept(a);
  await controller.waitForSwitches(1);
  const gone = new Promise((r) => controller.once('switch_gone', r));
  b.destroy();
  await gone;
  assert.equal(controller.switches.size, 0);
  assert.equal(goneSeen, 1);
  await controller.close();
});

test('an application that throws is reported as app_error, the controller keeps running', async () => {
  const controller = new OpenFlowController();
  controller.use({
    onSwitchReady() {
      throw new Error('boom');
    },
  });
  const errors: unknown[] = [];
  controller.on('app_error', (e) => errors.push(e));
  const [a, b] = memoryDuplexPair();
  new ScriptedSwitch(b, 1n);
  controller.accept(a);
  await controller.waitForSwitches(1);
  assert.equal(errors.length, 1);
  await controller.close();
});

test('listen on a busy port fails with CONTROLLER_LISTEN_FAILED', async () => {
  const c1 = new OpenFlowController();
  const port = await c1.listen(0);
  const c2 = new OpenFlowController();
  await assert.rejects(c2.listen(port), (e: { code?: string }) => e.code === 'CONTROLLER_LISTEN_FAILED');
  await c1.close();
});

test('controller accepts switches over TLS', async (t) => {
  const { execFileSync } = await import('node:child_process');
  const fs = await import('node:fs');
  const os = await import('node:os');
  const path = await import('node:path');
  const tls = await import('node:tls');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xsite-tls-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
    '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')], { stdio: 'ignore' });
  const key = fs.readFileSync(path.join(dir, 'key.pem'));
  const cert = fs.readFileSync(path.join(dir, 'cert.pem'));
  const controller = new OpenFlowController();
  const port = await controller.listen(0, '127.0.0.1', { key, cert });
  const sock = tls.connect({ port, host: '127.0.0.1', ca: cert, servername: 'localhost' });
  try {
    new ScriptedSwitch(sock, 77n);
    await controller.waitForSwitches(1, 5000);
    const conn = controller.switches.get(77n)!;
    await conn.barrier();
    assert.equal(conn.state, 'main');
  } finally {
    sock.destroy();
    await controller.close();
  }
});

test('waitForSwitches resolves only once every app finished getting the switch ready (its flows confirmed)', async () => {
  const controller = new OpenFlowController();
  let readyDone = false;
  controller.use({
    async onSwitchReady(conn) {
      await conn.barrier();
      await new Promise((r) => setTimeout(r, 30));
      readyDone = true;
    },
  });
  const [a, b] = memoryDuplexPair();
  new ScriptedSwitch(b, 7n);
  controller.accept(a);
  try {
    await controller.waitForSwitches(1, 3000);
    assert.equal(readyDone, true, 'traffic sent after waitForSwitches must find the apps\' flows installed');
  } finally {
    await controller.close();
  }
});

test('an app whose ready hook fails still lets waitForSwitches resolve (the failure is reported as app_error)', async () => {
  const controller = new OpenFlowController();
  const errors: unknown[] = [];
  controller.on('app_error', (e) => errors.push(e));
  controller.use({ async onSwitchReady() { throw new Error('boom'); } });
  const [a, b] = memoryDuplexPair();
  new ScriptedSwitch(b, 8n);
  controller.accept(a);
  try {
    await controller.waitForSwitches(1, 3000);
    assert.equal(errors.length, 1);
  } finally {
    await controller.close();
  }
});

test('listenUnix: switches connect over a Unix socket (a stale file is replaced); close removes the file', async () => {
  const fs = await import('node:fs');
  const os = await import('node:os');
  const path = await import('node:path');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xsite-of-'));
  const sockPath = path.join(dir, 'ctl.sock');
  // A socket file left behind by a process that died.
  const { spawnSync } = await import('node:child_process');
  spawnSync(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(sockPath)}, () => process.kill(process.pid, 'SIGKILL'))`]);
  assert.ok(fs.existsSync(sockPath), 'the stale socket file is there');
  const controller = new OpenFlowController();
  const socks: net.Socket[] = [];
  try {
    await controller.listenUnix(sockPath);
    for (const dpid of [11n, 12n]) {
      const s = net.connect(sockPath);
      socks.push(s);
      new ScriptedSwitch(s, dpid);
    }
    await controller.waitForSwitches(2, 3000);
    assert.deepEqual([...controller.switches.keys()].sort(), [11n, 12n]);
    await assert.rejects(controller.listenUnix(sockPath), { code: 'CONTROLLER_ALREADY_LISTENING' });
  } finally {
    for (const s of socks) s.destroy();
    await controller.close();
  }
  assert.equal(fs.existsSync(sockPath), false);
  fs.rmSync(dir, { recursive: true, force: true });
});
