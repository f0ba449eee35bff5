/**
 * End to end in the emulator: one data center (gateway switch, fabric switch, two host vswitches), two tenants whose
 * VNs use the same addresses, driven by a LocalController over in-process OpenFlow connections. Run for both in-DC
 * schemes (`mac` and `vlan`).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildPacket } from '../../../src/codec/packet';
import { EmulatedNetwork } from '../../../src/emulator/network';
import { verifyStream } from '../../../src/emulator/host/stream';
import { OpenFlowController } from '../../../src/openflow/controller';
import { memoryDuplexPair } from '../../../src/openflow/memory-duplex';
import { directoryFromTopology } from '../../../src/local/dc-model';
import { LocalController } from '../../../src/local/local-controller';
import { XSITE_GATEWAY_MAC } from '../../../src/local/managers/arp';
import { oneDc } from './dc-topology';
import { localOnEmulator } from './helpers';

const PING = { count: 2, intervalMs: 5, timeoutMs: 300 };

for (const encap of ['mac', 'vlan'] as const) {
  test(`one DC (${encap}): VNs forward inside the DC, tenants with the same addresses stay apart, ARP is answered`, async () => {
    const topo = oneDc(encap);
    const net = EmulatedNetwork.build(topo);
    const of = new OpenFlowController();
    const lc = new LocalController({ topology: topo, dc: 'dc1' });
    of.use(lc);
    const appErrors: unknown[] = [];
    of.on('app_error', (e) => appErrors.push(e));
    try {
      net.connectControllers(() => {
        const [a, b] = memoryDuplexPair();
        of.accept(a);
        return b;
      });
      await lc.waitForSwitches(5000);
      const h = (n: string) => net.host(n);
      const rx = (names: string[]) => names.map((n) => h(n).nic.counters.rxFrames);

      // acme: same vswitch, across vswitches (through the fabric), a TCP stream across.
      const globexBefore = rx(['g1', 'g2', 'g5']);
      assert.equal((await h('a1').ping('192.168.10.2', PING)).received, 2, 'a1 -> a2 (same vswitch)');
      assert.equal((await h('a1').ping('192.168.10.3', PING)).received, 2, 'a1 -> a3 (other vswitch)');
      assert.equal((await h('a3').ping('192.168.10.2', PING)).received, 2, 'a3 -> a2 (other vswitch)');
      const s = await verifyStream({ client: h('a1'), server: h('a3'), serverIp: '192.168.10.3', bytes: 64 * 1024, timeoutMs: 5000 });
      assert.equal(s.kept, true, `stream a1 -> a3: ${JSON.stringify({ ...s, clientClose: s.clientClose })}`);
      // The other tenant's VM with the same address is never reached: .5 exists only in globex.
      assert.equal((await h('a1').ping('192.168.10.5', { count: 1, timeoutMs: 200 })).received, 0, 'a1 must not reach g5');
      assert.equal(h('a1').arp.lookup('192.168.10.5'), undefined);
      assert.equal(h('a1').arp.lookup('192.168.10.2'), h('a2').mac, 'a1 resolved .2 to acme a2, not globex g2');
      // Even a frame sent straight to globex MACs (or with a globex source MAC) does not get through.
      for (const dst of ['g1', 'g2', 'g5']) {
        h('a1').nic.send(buildPacket({ eth: { src: h('a1').mac, dst: h(dst).mac }, ipv4: { src: '192.168.10.1', dst: h(dst).ip }, udp: { srcPort: 1, dstPort: 2 } }));
        h('a1').nic.send(buildPacket({ eth: { src: h('g1').mac, dst: h(dst).mac }, ipv4: { src: '192.168.10.1', dst: h(dst).ip }, udp: { srcPort: 1, dstPort: 2 } }));
      }
      // Nor does a broadcast (no flooding).
      h('a1').nic.send(buildPacket({ eth: { src: h('a1').mac, dst: 'ff:ff:ff:ff:ff:ff' }, ipv4: { src: '192.168.10.1', dst: '192.168.10.255' }, udp: { srcPort: 1, dstPort: 2 } }));
      await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(rx(['g1', 'g2', 'g5']), globexBefore, 'no acme frame reached a globex VM');

      // globex: same addresses, its own VMs.
      const acmeBefore = rx(['a1', 'a2', 'a3']);
      assert.equal((await h('g1').ping('192.168.10.2', PING)).received, 2, 'g1 -> g2 (other vswitch)');
      assert.equal((await h('g1').ping('192.168.10.5', PING)).received, 2, 'g1 -> g5 (same vswitch)');
      assert.equal((await h('g2').ping('192.168.10.3', { count: 1, timeoutMs: 200 })).received, 0, 'g2 must not reach a3');
      const s2 = await verifyStream({ client: h('g2'), server: h('g1'), serverIp: '192.168.10.1', bytes: 32 * 1024, timeoutMs: 5000 });
      assert.equal(s2.kept, true, 'stream g2 -> g1');
      assert.equal(h('g1').arp.lookup('192.168.10.2'), h('g2').mac);
      assert.deepEqual(rx(['a1', 'a2', 'a3']), acmeBefore, 'no globex frame reached an acme VM');

      // The default gateway resolves (same MAC in every DC), for both tenants.
      await h('a3').ping('192.168.10.254', { count: 1, timeoutMs: 100 });
      assert.equal(h('a3').arp.lookup('192.168.10.254'), XSITE_GATEWAY_MAC);
      await h('g2').ping('8.8.8.8', { count: 1, timeoutMs: 100 });
      assert.equal(h('g2').arp.lookup('192.168.10.254'), XSITE_GATEWAY_MAC);
      assert.ok(lc.counters.arpAnswered >= 6, `ARP answered: ${lc.counters.arpAnswered}`);
      assert.ok(lc.counters.arpUnanswered >= 2, `ARP unanswered: ${lc.counters.arpUnanswered}`);

      // A second reconcile sends nothing.
      const again = await lc.reconcileAll();
      assert.equal(again.size, 4);
      for (const [name, r] of again) {
        assert.equal(r.via, 'none', `${name}: ${JSON.stringify({ added: r.added, modified: r.modified, deleted: r.deleted })}`);
        assert.equal(r.foreign.length, 0);
      }

      // The directory changes: a3 unregistered -> unreachable; registered again -> reachable.
      const dir = directoryFromTopology(topo);
      const without = await lc.setVms(dir.filter((v) => v.name !== 'a3'));
      assert.ok([...without.values()].some((r) => r.deleted > 0));
      h('a1').arp.delete('192.168.10.3');
      assert.equal((await h('a1').ping('192.168.10.3', { count: 1, timeoutMs: 200 })).received, 0, 'a3 unregistered');
      await lc.setVms(dir);
      // a1 is still retrying its ARP for .3 (once a second): the next retry is answered.
      assert.equal((await h('a1').ping('192.168.10.3', { count: 1, timeoutMs: 3000 })).received, 1, 'a3 registered again');
      assert.deepEqual(appErrors, []);
    } finally {
      await of.close();
      net.close();
    }
  });
}

test('the local controller ignores switches of other DCs and only answers ARP of registered VMs', async () => {
  const topo = oneDc('mac');
  const { net, lc, close } = await localOnEmulator(topo, 'dc1', { vms: directoryFromTopology(topo).filter((v) => v.name !== 'a2') });
  try {
    // a2 is not registered: its ARP never reaches the controller (classify drops its frames), nobody answers it.
    const before = lc.counters.packetIns;
    assert.equal((await net.host('a2').ping('192.168.10.1', { count: 1, timeoutMs: 150 })).received, 0);
    assert.equal(net.host('a2').arp.lookup('192.168.10.254'), undefined);
    assert.equal(lc.counters.packetIns, before);
    // A DC with a foreign switch: the controller of dc2 does not touch dc1's switches.
    assert.throws(() => new LocalController({ topology: topo, dc: 'dc9' }), /no data center/);
  } finally {
    await close();
  }
});
