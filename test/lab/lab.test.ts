/**
 * Lab tests on real Open vSwitch (root, openvswitch-switch installed; the test command runs scripts/install-deps.sh).
 * Every test cleans up in `after`/finally and asserts that nothing with its lab prefix is left.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Lab, leftovers } from '../../src/lab/lab';
import { labRoot, newPrefix } from '../../src/lab/names';
import { TopologyBuilder, type ValidTopology } from '../../src/lab/topology';
import { labSkipReason } from '../support/lab-guard';

const skip = labSkipReason();

/** s1(h1,h2) -- s2(h3,h4), standalone bridges without a controller: OVS acts as a learning switch. */
function standaloneTopology(): ValidTopology {
  return new TopologyBuilder('lab-test')
    .bridge('s1', { failMode: 'standalone' })
    .bridge('s2', { failMode: 'standalone' })
    .host('h1', 's1', '10.0.0.1/24')
    .host('h2', 's1', '10.0.0.2/24')
    .host('h3', 's2', '10.0.0.3/24')
    .host('h4', 's2', '10.0.0.4/24')
    .link('s1', 's2')
    .build();
}

/** Node script: TCP server on :5001 that answers with "<bytes> <sha256>" of what it received. */
const SERVER = `
const h = require('crypto').createHash('sha256'); let n = 0;
const srv = require('net').createServer((c) => {
  c.on('data', (d) => { n += d.length; h.update(d); });
  c.on('end', () => { c.end(n + ' ' + h.digest('hex')); srv.close(); });
});
srv.listen(5001, '0.0.0.0', () => console.log('listening'));
setTimeout(() => process.exit(3), 20000).unref();
`;

/** Node script: sends argv[1] bytes to argv[0]:5001 and prints "<bytes> <sha256>" sent, then the server's answer. */
const CLIENT = `
const [host, size] = process.argv.slice(1);
const buf = Buffer.alloc(Number(size)); for (let i = 0; i < buf.length; i++) buf[i] = (i * 7919) & 255;
const sum = require('crypto').createHash('sha256').update(buf).digest('hex');
const c = require('net').connect(5001, host, () => c.end(buf));
let answer = ''; c.on('data', (d) => (answer += d));
c.on('end', () => { console.log(buf.length + ' ' + sum); console.log(answer); });
c.on('error', (e) => { console.error(e.message); process.exit(2); });
setTimeout(() => { console.error('client timeout'); process.exit(4); }, 15000).unref();
`;

describe('lab on Open vSwitch', { skip, concurrency: false }, () => {
  describe('two standalone bridges, four hosts', () => {
    let lab: Lab | undefined;
    let prefix = '';

    before(async () => {
      const t0 = Date.now();
      lab = await Lab.up(standaloneTopology());
      prefix = lab.prefix;
      process.stderr.write(`# Lab.up ${Date.now() - t0} ms (${lab.dir})\n`);
    });

    after(async () => {
      if (lab) {
        const t0 = Date.now();
        await lab.down();
        process.stderr.write(`# lab.down ${Date.now() - t0} ms\n`);
      }
      assert.deepEqual((await leftovers(prefix)).map(String), []);
    });

    it('built the bridges and ports as described', async () => {
      const show = await lab!.vsctl('show');
      for (const p of ['s1-h1', 's1-h2', 's2-h3', 's2-h4', 's1-s2', 's2-s1']) assert.match(show, new RegExp(`Port ${p}\\b`));
      assert.equal((await lab!.vsctl('get', 'Bridge', 's1', 'datapath_type')).trim(), 'netdev');
      assert.equal((await lab!.vsctl('get', 'Bridge', 's2', 'other_config:datapath-id')).trim(), '"0000000000000002"');
      assert.equal((await lab!.vsctl('get', 'Interface', 's1-s2', 'ofport')).trim(), '3');
      const st = await lab!.status();
      assert.equal(st.status, 'up');
      assert.ok(st.daemons.vswitchd && st.daemons.ovsdbServer);
      // Standalone with no controller: the bridge has the NORMAL flow.
      const flows = await lab!.dumpFlows('s1');
      assert.ok(flows.count >= 1 && flows.lines.some((l) => /actions=NORMAL/.test(l)), flows.lines.join('\n'));
      // TX checksum offload is off inside the host namespace and on the bridge side.
      const k = await lab!.exec('h1', ['ethtool', '-k', 'eth0']);
      assert.match(k.stdout, /tx-checksumming: off/);
    });

    it('every host pair pings', async () => {
      const hosts = lab!.topology.hosts;
      const failed: string[] = [];
      for (let i = 0; i < hosts.length; i++) {
        for (let j = 0; j < hosts.length; j++) {
          if (i === j) continue;
          const ok = await lab!.ping(hosts[i]!.name, hosts[j]!.name, { count: 1, timeoutSec: 2, retries: 2 });
          if (!ok) failed.push(`${hosts[i]!.name}->${hosts[j]!.name}`);
        }
      }
      assert.deepEqual(failed, []);
      const st = await lab!.pingStats('h1', '10.0.0.4', { count: 3 });
      assert.equal(st.received, 3);
      assert.ok(st.rttAvgMs !== undefined && st.rttAvgMs > 0);
      assert.equal(await lab!.ping('h1', '10.0.0.99', { count: 1, timeoutSec: 1 }), false);
    });

    it('carries a TCP transfer across both bridges (checksum offload handled)', async () => {
      const server = lab!.spawn('h4', [process.execPath, '-e', SERVER]);
      try {
        await new Promise<void>((resolve, reject) => {
          const t = setTimeout(() => reject(new Error('server did not start')), 10000);
          server.stdout!.on('data', (d: Buffer) => {
            if (d.toString().includes('listening')) {
              clearTimeout(t);
              resolve();
            }
          });
          server.once('exit', (c) => reject(new Error(`server exited ${c}`)));
        });
        const r = await lab!.exec('h1', [process.execPath, '-e', CLIENT, '10.0.0.4', String(2 * 1024 * 1024)], { timeoutMs: 20000 });
        const [sent, received] = r.stdout.trim().split('\n');
        assert.ok(sent?.startsWith(`${2 * 1024 * 1024} `), r.stdout);
        assert.equal(received, sent);
      } finally {
        server.kill('SIGKILL');
      }
    });
  });

  it('Lab.down(dir) cleans up after the building process crashed', async () => {
    const prefix = newPrefix();
    const dir = path.join(labRoot(), prefix);
    const labModule = require.resolve('../../src/lab/lab');
    // A child process builds the lab, starts a process inside h1's namespace, reports, then is SIGKILLed.
    const script = `
      const { Lab } = require(${JSON.stringify(labModule)});
      const { TopologyBuilder } = require(${JSON.stringify(require.resolve('../../src/lab/topology'))});
      const t = new TopologyBuilder('crash').bridge('s1').bridge('s2', { controller: 'tcp:127.0.0.1:1', failMode: 'secure' })
        .host('h1', 's1', '10.0.0.1/24').host('h2', 's2', '10.0.0.2/24').link('s1', 's2').build();
      Lab.up(t, { prefix: ${JSON.stringify(prefix)} }).then((lab) => {
        lab.spawn('h1', ['sleep', '1000'], { detached: true, stdio: 'ignore' }).unref();
        setTimeout(() => console.log('READY ' + lab.dir), 200);
        setInterval(() => {}, 1000);
      }, (e) => { console.error(e); process.exit(1); });
    `;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const ready = await new Promise<string>((resolve, reject) => {
        let out = '';
        const t = setTimeout(() => reject(new Error(`no READY: ${out}`)), 30000);
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /READY (\S+)/.exec(out);
          if (m) {
            clearTimeout(t);
            resolve(m[1]!);
          }
        });
        child.once('exit', (c) => reject(new Error(`builder exited ${c}: ${out}`)));
      });
      assert.equal(ready, dir);
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      const before = (await leftovers(prefix)).map(String);
      assert.ok(before.some((x) => x.startsWith('netns ')) && before.some((x) => x.startsWith('process ')) && before.some((x) => x.startsWith('dir ')), before.join('\n'));
      // A fresh object, nothing but the directory: tear down from the state file.
      const report = await Lab.down(dir);
      assert.deepEqual(report.errors, []);
      assert.ok(report.removed.some((x) => /sleep|netns xs/.test(x)));
      assert.deepEqual((await leftovers(prefix)).map(String), []);
      assert.equal(fs.existsSync(dir), false);
      // Idempotent.
      await Lab.down(dir);
    } finally {
      child.kill('SIGKILL');
      await Lab.down(dir).catch(() => undefined);
    }
  });

  it('a crash in the middle of Lab.up leaves nothing Lab.down(dir) cannot remove', async () => {
    const prefix = newPrefix();
    const dir = path.join(labRoot(), prefix);
    const script = `
      const { Lab } = require(${JSON.stringify(require.resolve('../../src/lab/lab'))});
      const { TopologyBuilder } = require(${JSON.stringify(require.resolve('../../src/lab/topology'))});
      const b = new TopologyBuilder('midway').bridge('s1').bridge('s2');
      for (let i = 1; i <= 6; i++) b.host('h' + i, i % 2 ? 's1' : 's2', '10.0.0.' + i + '/24');
      Lab.up(b.link('s1', 's2').build(), { prefix: ${JSON.stringify(prefix)} }).then(() => console.log('UP'));
      setInterval(() => {}, 1000);
    `;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      // Kill as soon as the switch namespace exists (somewhere in the middle of the build).
      const end = Date.now() + 20000;
      while (Date.now() < end && !fs.existsSync(`/run/netns/${prefix}`)) await new Promise((r) => setTimeout(r, 5));
      await new Promise((r) => setTimeout(r, 60));
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      assert.ok((await leftovers(prefix)).length > 0);
      await Lab.down(dir);
      assert.deepEqual((await leftovers(prefix)).map(String), []);
    } finally {
      child.kill('SIGKILL');
      await Lab.down(dir).catch(() => undefined);
    }
  });

  it('rejects a second lab in a non-empty directory and leaves it alone', async () => {
    const dir = fs.mkdtempSync('/tmp/xslabtest-');
    fs.writeFileSync(path.join(dir, 'keep.txt'), 'x');
    try {
      await assert.rejects(Lab.up(standaloneTopology(), { dir }), (e: unknown) => (e as { code?: string }).code === 'LAB_BAD_DIR');
      assert.equal(fs.readFileSync(path.join(dir, 'keep.txt'), 'utf8'), 'x');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
