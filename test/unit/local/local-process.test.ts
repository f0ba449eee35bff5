/**
 * Central and the local controller of dc1 in one process, but over real loopback TCP for both the control channel
 * and OpenFlow: the emulated dc1 switches connect to the local's OpenFlow port, the local syncs its directory from
 * central, and VMs created/deleted through the REST API become reachable/unreachable after central's push.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { startCentral, type RunningCentral } from '../../../src/bin/central';
import { startLocal, type RunningLocal } from '../../../src/bin/local';
import { resolveTopology } from '../../../src/emulator/topology/defaults';
import { parseTopologySpec } from '../../../src/emulator/topology/load';
import { EmulatedNetwork } from '../../../src/emulator/network';
import { toDirectoryVms } from '../../../src/local/central-sync';
import { directoryVmsRequest, isDirectoryChanged, type DirectoryVmsReply } from '../../../src/central/local-sync';
import { isXsiteError } from '../../../src/core/errors';
import { ControlChannelClient } from '../../../src/drivers/channel/client';
import { connectTcp } from '../../../src/drivers/channel/tcp';

const ROOT = path.join(__dirname, '..', '..', '..', '..');
const INTENT = path.join(ROOT, 'examples', 'topologies', 'three-dcs.yaml');
const SECRETS = { dc1: 'secret-dc1-xx', dc2: 'secret-dc2-xx', dc3: 'secret-dc3-xx' };

/** The intent's topology plus acme-web5 (192.168.10.5 on dc1-h2), which the intent does not register. */
export function emulatedTopology() {
  const spec = parseTopologySpec(fs.readFileSync(INTENT, 'utf8'), INTENT);
  spec.vms = [...(spec.vms ?? []), { name: 'acme-web5', tenant: 'acme', vn: 'web', host: 'dc1-h2', ip: '192.168.10.5' }];
  return resolveTopology(spec);
}

async function until(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`${what}: not within ${timeoutMs} ms`);
}

test('toDirectoryVms: file ports for VMs of the file, the lowest free port of the switch for others, none for other DCs', () => {
  const topo = emulatedTopology();
  const file = resolveTopology(parseTopologySpec(fs.readFileSync(INTENT, 'utf8'), INTENT));
  const vm = (name: string, dc: string, host: string, sw: string) => ({ name, tenant: 'acme', vn: 'web', ip: '192.168.10.9', mac: '02:00:00:00:00:99', dc, host, switch: sw });
  const out = toDirectoryVms(
    [vm('acme-web1', 'dc1', 'dc1-h1', 'dc1-h1-vs'), vm('acme-web5', 'dc1', 'dc1-h2', 'dc1-h2-vs'), vm('acme-web2', 'dc2', 'dc2-h1', 'dc2-h1-vs')],
    file,
    'dc1',
  );
  assert.equal(out[0]!.port, file.vms.find((v) => v.name === 'acme-web1')!.port);
  const web5 = topo.vms.find((v) => v.name === 'acme-web5')!;
  assert.deepEqual({ switch: out[1]!.switch, port: out[1]!.port }, { switch: web5.switch, port: web5.port });
  assert.equal(out[2]!.switch, undefined);
  assert.equal(out[2]!.port, undefined);
});

test('local process in-process over TCP: switches connect, same-VN VMs ping, API-created VM reachable after the push', async () => {
  let central: RunningCentral | undefined;
  let local: RunningLocal | undefined;
  let net: EmulatedNetwork | undefined;
  const log: string[] = [];
  try {
    central = await startCentral({
      intent: INTENT,
      db: ':memory:',
      api: { host: '127.0.0.1', port: 0 },
      channel: { host: '127.0.0.1', port: 0 },
      secrets: SECRETS,
      tokens: { op: { role: 'operator' } },
    });
    local = await startLocal({
      dc: 'dc1',
      topologyFile: INTENT,
      central: { host: '127.0.0.1', port: central.channelListener.port },
      secret: SECRETS.dc1,
      openflow: { host: '127.0.0.1', port: 0 },
      log: (s) => log.push(s),
    });
    assert.equal(central.channel.isConnected('dc1'), true);
    assert.ok(local.sync.syncs >= 1, 'first sync done');
    // dc1 knows its VNs' VMs (acme/web and globex/app, in every DC), not globex/db (only in dc3).
    const known = local.app.model.vms.map((v) => v.name).sort();
    assert.deepEqual(known, ['acme-web1', 'acme-web2', 'acme-web3', 'acme-web4', 'globex-app1', 'globex-app2', 'globex-app3']);

    const topo = emulatedTopology();
    net = EmulatedNetwork.build(topo);
    for (const s of topo.switches.filter((x) => x.dc === 'dc1')) net.connectTcp(s.name, '127.0.0.1', local.openflowPort);
    await local.app.waitForSwitches(10_000);

    const h = (n: string) => net!.host(n);
    assert.equal((await h('acme-web1').ping('192.168.10.4', { count: 2, intervalMs: 5, timeoutMs: 1000 })).received, 2, 'acme-web1 -> acme-web4');
    assert.equal((await h('acme-web4').ping('192.168.10.1', { count: 1, timeoutMs: 1000 })).received, 1, 'acme-web4 -> acme-web1');
    // acme-web5 is plugged in but not registered: unreachable.
    assert.equal((await h('acme-web1').ping('192.168.10.5', { count: 1, timeoutMs: 200 })).received, 0, 'acme-web5 not registered yet');

    const api = `http://127.0.0.1:${central.apiPort}/v1`;
    const headers = { authorization: 'Bearer op', 'content-type': 'application/json' };
    const pushesBefore = central.sync.pushes;
    const created = await fetch(`${api}/vms`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ name: 'acme-web5', tenant: 'acme', vn: 'web', host: 'dc1-h2', ip: '192.168.10.5', mac: h('acme-web5').mac }),
    });
    assert.equal(created.status, 201, await created.clone().text());
    await until('acme-web5 reachable after the push', 10_000, async () => (await h('acme-web1').ping('192.168.10.5', { count: 1, timeoutMs: 300 })).received === 1);
    assert.ok(central.sync.pushes > pushesBefore, 'central pushed directory.changed');
    const entry = local.app.model.vms.find((v) => v.name === 'acme-web5');
    assert.deepEqual({ switch: entry?.switch, port: entry?.port }, net.attachmentOf('acme-web5'));
    assert.equal((await h('acme-web5').ping('192.168.10.4', { count: 1, timeoutMs: 1000 })).received, 1, 'acme-web5 -> acme-web4 (other vswitch)');

    const deleted = await fetch(`${api}/vms/acme-web5`, { method: 'DELETE', headers: { authorization: 'Bearer op' } });
    assert.equal(deleted.status, 204);
    await until('acme-web5 unreachable after the delete', 10_000, async () => (await h('acme-web1').ping('192.168.10.5', { count: 1, timeoutMs: 200 })).received === 0);
    assert.equal(local.app.model.vms.some((v) => v.name === 'acme-web5'), false);
    assert.ok(log.some((l) => /connected to central/.test(l)), log.join('\n'));
    assert.ok(log.some((l) => /dc1-tor .*connected/.test(l)), log.join('\n'));
    assert.ok(log.some((l) => /reconciled/.test(l)), log.join('\n'));
  } finally {
    net?.close();
    await local?.close();
    await central?.close();
  }
});

test('central sync: directory.vms answers per DC, unknown requests are refused, directory moves push directory.changed', async () => {
  const central = await startCentral({
    intent: INTENT,
    db: ':memory:',
    api: { host: '127.0.0.1', port: 0 },
    channel: { host: '127.0.0.1', port: 0 },
    secrets: SECRETS,
    tokens: {},
  });
  const client = new ControlChannelClient({ dc: 'dc3', secret: SECRETS.dc3, connect: () => connectTcp('127.0.0.1', central.channelListener.port) });
  try {
    await client.connect();
    const reply = await client.request<DirectoryVmsReply>(directoryVmsRequest());
    assert.equal(reply.v, 1);
    const db1 = reply.vms.find((v) => v.name === 'globex-db1');
    assert.deepEqual(db1 && { dc: db1.dc, host: db1.host, switch: db1.switch }, { dc: 'dc3', host: 'dc3-h2', switch: 'dc3-h2-vs' });
    assert.equal(reply.vms.length, 8, 'dc3 has VMs of every VN');
    await assert.rejects(client.request({ type: 'nope', v: 1 }), (e: unknown) => isXsiteError(e, 'CHANNEL_NO_HANDLER'));

    const pushed = new Promise<unknown>((resolve) => client.on('message', resolve));
    await central.directory.moveVm('acme-web1', 'dc3-h1');
    assert.equal(isDirectoryChanged(await pushed), true);
    const after = await client.request<DirectoryVmsReply>(directoryVmsRequest());
    assert.equal(after.vms.find((v) => v.name === 'acme-web1')?.dc, 'dc3');
  } finally {
    client.close();
    await central.close();
  }
});
