/**
 * A real live migration between two QEMU processes (issue 5, hypervisor `qemu`), with a TCP session kept up.
 *
 * Everything lives in a network namespace of this test: a Linux bridge, two persistent taps on it (one for the source
 * QEMU, one for the destination), and the bridge's own address as the "peer" host. Both QEMUs run inside the namespace
 * and migrate over its loopback. The guest keeps its IP and MAC, so a TCP echo session from the peer to the guest's
 * port 7 survives: after the switchover the destination QEMU announces the MAC and the bridge moves it to the
 * destination's tap. A client (a node child process inside the namespace) sends a known byte sequence every 5 ms
 * throughout and checks every echoed byte: no loss, no reorder, no reset.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { after, describe, it } from 'node:test';
import { liveMigrate, type MigrationProgress } from '../../src/drivers/hypervisor/qemu/migrate';
import { QemuProcess } from '../../src/drivers/hypervisor/qemu/qemu-process';
import { run } from '../../src/lab/exec';
import { qemuSkipReason } from '../support/qemu-guard';
import { ECHO_STREAM_CLIENT } from '../support/echo-stream-client';

const ROOT = path.resolve(__dirname, '../../..');
const GUEST_IP = '10.99.0.5';
const PEER_IP = '10.99.0.1';
const MAC = '52:54:00:5a:17:05';
/** How long the switchover hook holds the paused guest: the reported downtime must include it. */
const HOOK_MS = 100;

describe('QEMU live migration keeps a TCP session', { skip: qemuSkipReason() }, () => {
  const ns = `xsq${process.pid}`;
  let runParent: string | undefined;
  const qemus: QemuProcess[] = [];
  let client: ChildProcess | undefined;

  after(async () => {
    if (client && client.exitCode === null && client.signalCode === null) {
      client.kill('SIGKILL');
      await new Promise((r) => client!.once('exit', r));
    }
    for (const q of qemus) await q.stop(2000).catch(() => undefined);
    for (const q of qemus) assert.ok(q.exited, `QEMU ${q.name} (pid ${q.pid}) reaped`);
    await run('ip', ['netns', 'del', ns], { allowFail: true });
    if (runParent) fs.rmSync(runParent, { recursive: true, force: true });
    const nsList = await run('ip', ['netns', 'list']);
    assert.ok(!nsList.stdout.split('\n').some((l) => l.split(' ')[0] === ns), 'namespace removed');
  });

  it('migrates a running guest with pause-before-switchover; the echo stream is intact', async (t) => {
    const tBuild = Date.now();
    const guestDir = (await run('bash', [path.join(ROOT, 'scripts/build-guest.sh')], { timeoutMs: 300000 })).stdout.trim().split('\n').pop()!;
    t.diagnostic(`guest built/checked in ${Date.now() - tBuild} ms (${guestDir})`);

    runParent = fs.mkdtempSync(path.join(os.tmpdir(), 'xsite-qemu-test-'));
    const ipn = (...a: string[]) => run('ip', ['-n', ns, ...a]);
    await run('ip', ['netns', 'add', ns]);
    await ipn('link', 'set', 'lo', 'up');
    await ipn('link', 'add', 'xbr', 'type', 'bridge');
    await ipn('addr', 'add', `${PEER_IP}/24`, 'dev', 'xbr');
    await ipn('link', 'set', 'xbr', 'up');
    for (const tap of ['tsrc', 'tdst']) {
      await ipn('tuntap', 'add', 'dev', tap, 'mode', 'tap');
      await ipn('link', 'set', tap, 'master', 'xbr');
      await ipn('link', 'set', tap, 'up');
    }

    const common = {
      kernel: path.join(guestDir, 'vmlinuz'),
      initrd: path.join(guestDir, 'initramfs.cpio.gz'),
      ip: `${GUEST_IP}/24`,
      gw: PEER_IP,
      netns: ns,
      runParent,
    };
    const tBoot = Date.now();
    const source = await QemuProcess.start({ ...common, name: 'src', nic: { kind: 'tap', ifname: 'tsrc', mac: MAC } });
    qemus.push(source);
    await source.waitReady(40000);
    const bootMs = Date.now() - tBoot;
    t.diagnostic(`source guest ready in ${bootMs} ms (pid ${source.pid})`);
    const destination = await QemuProcess.start({ ...common, name: 'dst', incoming: true, nic: { kind: 'tap', ifname: 'tdst', mac: MAC } });
    qemus.push(destination);

    // The peer's TCP session to the guest's echo service.
    client = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', ECHO_STREAM_CLIENT, GUEST_IP, '7', '5', '2000'], { stdio: ['pipe', 'pipe', 'inherit'] });
    const lines = readline.createInterface({ input: client.stdout! });
    const messages: Record<string, unknown>[] = [];
    const waiters: { type: string; resolve: (m: Record<string, unknown>) => void }[] = [];
    lines.on('line', (l) => {
      const m = JSON.parse(l) as Record<string, unknown>;
      messages.push(m);
      for (const w of waiters.filter((w) => w.type === m.type)) w.resolve(m);
    });
    const waitMsg = (type: string, ms: number): Promise<Record<string, unknown>> =>
      new Promise((resolve, reject) => {
        const have = messages.find((m) => m.type === type);
        if (have) return resolve(have);
        const timer = setTimeout(() => reject(new Error(`client: no ${type} within ${ms} ms; got ${JSON.stringify(messages)}`)), ms);
        waiters.push({ type, resolve: (m) => (clearTimeout(timer), resolve(m)) });
      });
    await waitMsg('echoing', 10000);

    const progress: MigrationProgress[] = [];
    let sourceStatusAtHook = '';
    const report = await liveMigrate({
      source,
      destination,
      onProgress: (p) => progress.push(p),
      beforeSwitchover: async () => {
        // The guest is paused here: this is where xsite flips the network.
        sourceStatusAtHook = (await source.qmp.execute<{ status: string }>('query-status')).status;
        await new Promise((r) => setTimeout(r, HOOK_MS));
      },
      timeoutMs: 30000,
    });
    t.diagnostic(
      `migration: total ${report.totalMs} ms, downtime ${report.downtimeMs} ms (hook ${report.hookMs} ms), ` +
        `${report.bytes} bytes, ${report.precopyRounds} pre-copy rounds, ${progress.length} progress samples`,
    );

    assert.equal(sourceStatusAtHook, 'finish-migrate', 'source guest paused at pre-switchover');
    assert.ok(report.totalMs > 0, 'total time reported');
    assert.ok(report.downtimeMs >= HOOK_MS && report.downtimeMs < 5000, `downtime reported and includes the hook: ${report.downtimeMs}`);
    assert.ok(report.hookMs >= HOOK_MS - 5);
    assert.ok(report.bytes > 0);
    assert.ok(progress.length > 0, 'progress samples while migrating');
    assert.ok(source.exited, 'source QEMU ended');
    assert.throws(() => process.kill(source.pid, 0), /ESRCH/, 'source PID gone');
    const st = await destination.qmp.execute<{ status: string; running: boolean }>('query-status');
    assert.equal(st.running, true, 'guest running on the destination');

    // The guest answers on the destination: the bridge has moved its MAC to the destination's tap, it pings, and
    // the session keeps echoing for a while after the move.
    const ping = await run('ip', ['netns', 'exec', ns, 'ping', '-c', '2', '-i', '0.2', '-W', '2', GUEST_IP], { allowFail: true });
    assert.equal(ping.code, 0, `ping after migration: ${ping.stdout}`);
    const fdb = (await run('bridge', ['-n', ns, 'fdb', 'show', 'br', 'xbr'])).stdout;
    assert.match(fdb, new RegExp(`${MAC} dev tdst`), `guest MAC learned on the destination tap:\n${fdb}`);
    await new Promise((r) => setTimeout(r, 1000));
    client.stdin!.write('stop\n');
    const result = await waitMsg('result', 15000);
    t.diagnostic(`echo stream: ${JSON.stringify(result)}`);
    assert.equal(result.error, null, 'no socket error (no reset)');
    assert.equal(result.closed, false, 'session not closed by the guest');
    assert.equal(result.mismatchAt, -1, 'every echoed byte in order');
    assert.equal(result.received, result.sent, 'no loss');
    assert.ok((result.sent as number) > 64 * 100, 'the stream ran through the migration');
  });
});
