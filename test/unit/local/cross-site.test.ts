/**
 * Cross-site flows end to end in the emulator (seed 000 section 4.2): three DCs in different subnets (dc3 keeps VNs
 * apart with VLANs, dc1/dc2 by MAC), two tenants with the same addresses, central's cross-site service allocating
 * tuples and the three local controllers installing gateway NAT flows on first packets.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { buildPacket } from '../../../src/codec/packet';
import { verifyStream } from '../../../src/emulator/host/stream';
import { loadTopologyFile } from '../../../src/emulator/topology/load';
import { crossSiteFlowId, orderEndpoints } from '../../../src/model/cross-site-flow';
import { LeakWatch } from '../../../src/scenario/leak-watch';
import { crossSiteHarness, type CrossSiteHarness } from './cross-site-harness';

const TOPO = 'examples/topologies/three-dcs.yaml';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('cross-site flows through gateways with NAT (emulator, three DCs)', () => {
  let h: CrossSiteHarness;
  let leaks: LeakWatch;
  const host = (n: string) => h.net.host(n);
  const topo = loadTopologyFile(TOPO);

  before(async () => {
    h = await crossSiteHarness(topo, { idleTimeoutS: 1 });
    leaks = new LeakWatch(h.net, topo);
  });
  after(async () => {
    leaks?.close();
    await h?.close();
  });

  test('ICMP echo across sites: the first packet is held and delivered once both gateways are set up', async () => {
    const r = await host('acme-web1').ping('192.168.10.2', { count: 3, intervalMs: 20, timeoutMs: 1000 });
    assert.equal(r.received, 3, `acme-web1 (dc1) -> acme-web2 (dc2): ${JSON.stringify(r)}`);
    const r3 = await host('acme-web3').ping('192.168.10.1', { count: 2, intervalMs: 20, timeoutMs: 1000 });
    assert.equal(r3.received, 2, 'acme-web3 (dc3, vlan) -> acme-web1 (dc1)');
    assert.deepEqual(leaks.leaks, [], 'no frame reached a VM of another VN');
    const flows = await h.directory.listFlows({ state: 'open' });
    const icmp = flows.filter((f) => f.protocol === 'icmp');
    assert.equal(icmp.length, 2, JSON.stringify(flows));
    for (const f of icmp) {
      assert.ok(f.tuple !== undefined && f.tuple.port >= 1 && f.tuple.port <= 4094, `ICMP tuple port is a VLAN id: ${JSON.stringify(f.tuple)}`);
    }
    assert.ok(h.locals.get('dc1')!.counters.heldReleased >= 1, 'the first echo request was held, then sent on');
    assert.equal(h.appErrors.length, 0, String(h.appErrors[0]));
  });

  test('TCP across sites (mac DC <-> vlan DC) keeps the stream intact, with the tuple of seed 000 on the WAN', async () => {
    const s = await verifyStream({ client: host('acme-web1'), server: host('acme-web3'), serverIp: '192.168.10.3', bytes: 64 * 1024, timeoutMs: 10000 });
    assert.equal(s.kept, true, `stream acme-web1 -> acme-web3: ${JSON.stringify(s)}`);
    const tcp = (await h.directory.listFlows({ state: 'open' })).filter((f) => f.protocol === 'tcp');
    assert.equal(tcp.length, 1);
    const f = tcp[0]!;
    assert.deepEqual(new Set([f.srcVm, f.dstVm]), new Set(['acme-web1', 'acme-web3']));
    assert.equal(f.tuple!.srcPublicIp, f.srcVm === 'acme-web1' ? '203.0.113.1' : f.tuple!.srcPublicIp);
    assert.ok(f.tuple!.port >= 20000 && f.tuple!.port <= 29999);
  });

  test('UDP across sites for the other tenant, with the same private addresses', async () => {
    const got: string[] = [];
    const sink = host('globex-app2').udp.bind(7000, (data) => got.push(data.toString()));
    const sock = host('globex-app1').udp.bind(7001, () => undefined);
    for (let i = 0; i < 5; i++) sock.send('192.168.10.2', 7000, Buffer.from(`g${i}`));
    for (let i = 0; i < 100 && got.length < 5; i++) await sleep(10);
    assert.deepEqual(got, ['g0', 'g1', 'g2', 'g3', 'g4'], 'every datagram held during set-up arrives, in order');
    assert.deepEqual(leaks.leaks, [], 'no frame reached a VM of another VN');
    sink.close();
    sock.close();
    const id = crossSiteFlowId('udp', 'globex', 'app', { ip: '192.168.10.1', port: 7001 }, { ip: '192.168.10.2', port: 7000 });
    const f = await h.directory.getFlow(id);
    assert.equal(f.state, 'open');
    const { a } = orderEndpoints({ ip: '192.168.10.1', port: 7001 }, { ip: '192.168.10.2', port: 7000 });
    assert.equal(a.port, 7001);
  });

  test('a burst on a new flow (e.g. a migrated VM answering the frames held for it) is held whole while central sets it up', async () => {
    const got: number[] = [];
    const sink = host('globex-app2').udp.bind(7100, (data) => got.push(Number(data.toString())));
    const sock = host('globex-app1').udp.bind(7101, () => undefined);
    for (let i = 0; i < 300; i++) sock.send('192.168.10.2', 7100, Buffer.from(String(i)));
    for (let i = 0; i < 200 && got.length < 300; i++) await sleep(10);
    sink.close();
    sock.close();
    assert.equal(got.length, 300, `${got.length}/300 datagrams arrived`);
    assert.deepEqual(got, [...Array(300).keys()], 'in order');
  });

  test('across VNs nothing gets through, not even frames forged to a foreign MAC', async () => {
    const g1 = host('globex-app1');
    for (const target of ['acme-web2', 'acme-web3', 'globex-db1']) {
      const t = host(target);
      g1.nic.send(buildPacket({ eth: { src: g1.mac, dst: t.mac }, ipv4: { src: g1.ip, dst: t.ip }, udp: { srcPort: 1, dstPort: 2 } }));
    }
    const p = await g1.ping('192.168.20.1', { count: 1, timeoutMs: 300 });
    assert.equal(p.received, 0, 'globex/app cannot reach globex/db');
    await sleep(100);
    assert.deepEqual(leaks.leaks, [], 'no frame reached a VM of another VN');
    assert.deepEqual(leaks.leaks, [], 'no frame reached a VM of another VN');
  });

  test('idle flows time out on both gateways and central releases their tuples', async () => {
    assert.equal((await host('acme-web2').ping('192.168.10.3', { count: 1, timeoutMs: 1000 })).received, 1);
    assert.ok((await h.store.listNatTuples()).length >= 1, 'a tuple is in use');
    for (let i = 0; i < 60 && (await h.store.listNatTuples()).length > 0; i++) await sleep(100);
    assert.deepEqual(await h.store.listNatTuples(), [], 'every tuple released');
    assert.deepEqual(await h.directory.listFlows({ state: 'open' }), []);
    for (const [dc, lc] of h.locals) assert.deepEqual(lc.crossSiteFlows, [], dc);
    assert.ok(h.service.counters.closedIdle >= 5, `closed idle: ${h.service.counters.closedIdle}`);
    // A new packet opens the flow again.
    const r = await host('acme-web2').ping('192.168.10.4', { count: 1, timeoutMs: 1000 });
    assert.equal(r.received, 1, 'acme-web2 (dc2) -> acme-web4 (dc1) after everything went idle');
  });
});

describe('cross-site flows of a VM that is deleted', () => {
  test('close, release their tuples and leave both gateways', async () => {
    const topo = loadTopologyFile(TOPO);
    const h = await crossSiteHarness(topo, { idleTimeoutS: 30 });
    try {
      assert.equal((await h.net.host('acme-web2').ping('192.168.10.4', { count: 1, timeoutMs: 1000 })).received, 1);
      const open = await h.directory.listFlows({ state: 'open' });
      assert.equal(open.length, 1);
      assert.equal((await h.store.listNatTuples()).length, 1);
      assert.deepEqual(h.locals.get('dc1')!.crossSiteFlows.map((f) => f.id), [open[0]!.id]);
      await h.directory.removeVm('acme-web4');
      assert.deepEqual(await h.service.revalidate(), [open[0]!.id]);
      assert.deepEqual(await h.store.listNatTuples(), [], 'tuple released');
      assert.equal((await h.directory.getFlow(open[0]!.id)).state, 'closed');
      for (const dc of ['dc1', 'dc2']) assert.deepEqual(h.locals.get(dc)!.crossSiteFlows, [], `${dc} dropped the flow`);
      assert.deepEqual(await h.service.revalidate(), [], 'nothing more to close');
    } finally {
      await h.close();
    }
  });
});

describe('a packet that finds the other gateway\'s half of its flow timed out', () => {
  test('is held there while central sets the flow up again (flow.reopen), then delivered', async () => {
    const topo = loadTopologyFile(TOPO);
    const h = await crossSiteHarness(topo, { idleTimeoutS: 30 });
    try {
      assert.equal((await h.net.host('acme-web1').ping('192.168.10.2', { count: 1, timeoutMs: 1000 })).received, 1);
      const [flow] = await h.directory.listFlows({ state: 'open' });
      // dc2's NAT flows of it go away (as when they idle out a moment before dc1's); dc1 still forwards.
      await h.locals.get('dc2')!.removeCrossSite(flow!.id);
      assert.deepEqual(h.locals.get('dc2')!.crossSiteFlows, []);
      assert.equal(h.locals.get('dc1')!.crossSiteFlows.length, 1);
      const before = h.locals.get('dc2')!.counters.wanForwarded;
      const r = await h.net.host('acme-web1').ping('192.168.10.2', { count: 1, timeoutMs: 1000 });
      assert.equal(r.received, 1, 'the echo request reached acme-web2 and the reply came back');
      assert.ok(h.locals.get('dc2')!.counters.wanForwarded > before, 'dc2 held it and sent it on');
      assert.equal(h.locals.get('dc2')!.crossSiteFlows.length, 1, 'dc2 has the flow again');
    } finally {
      await h.close();
    }
  });
});
