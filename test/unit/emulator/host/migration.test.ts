import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VirtualClock } from '../../../../src/core/clock';
import { settle } from '../../../../src/emulator/net/settle';
import { ProbeReceiver, ProbeSender } from '../../../../src/emulator/host/probe';
import { verifyStream } from '../../../../src/emulator/host/stream';
import { Bridge, host, link } from './fixtures';

/** A server on bridge port 0 and a VM on port 1; port 2 is where the VM moves. */
function site() {
  const clock = new VirtualClock();
  const br = new Bridge(3);
  const server = host(clock, 1);
  const vm = host(clock, 7);
  link(clock, server.endpoint, br.ports[0]!, { latencyMs: 1 });
  const vmLink = link(clock, vm.endpoint, br.ports[1]!, { latencyMs: 1 });
  return { clock, br, server, vm, vmLink };
}

test('a VM whose NIC moves to another port (with announce) keeps its TCP session', async () => {
  const { clock, br, server, vm, vmLink } = site();
  // The server streams to the VM (so the VM is silent: only its announcement tells the bridge where it went).
  const p = verifyStream({ client: server, server: vm, serverIp: '10.0.0.7', bytes: 300 * 1460, chunkBytes: 1460, intervalMs: 10, seed: 21 });
  let moved = false;
  clock.setTimeout(() => vm.detach(), 1000);
  clock.setTimeout(() => {
    const l = vm.attach(br.ports[2]!, { latencyMs: 1 });
    assert.equal(vm.link, l);
    vm.announce();
    moved = true;
  }, 1200);
  const r = await settle(clock, p, { stepMs: 10 });
  assert.ok(moved);
  assert.equal(vmLink.connected, false);
  assert.equal(br.table.get('020000000007'), br.ports[2]);
  assert.equal(r.kept, true, JSON.stringify(r));
  assert.ok(r.maxStallMs >= 200 && r.maxStallMs < 1000, `stall ${r.maxStallMs}`);
});

test('the announcement is what ends the blackout: probes to a silent VM resume only with it', () => {
  for (const announce of [true, false]) {
    const { clock, br, server, vm } = site();
    const rx = new ProbeReceiver(vm, { port: 4000 });
    const tx = new ProbeSender(server, { dstIp: '10.0.0.7', dstPort: 4000, intervalMs: 10 }).start();
    clock.advance(1000);
    vm.detach();
    clock.advance(100);
    vm.attach(br.ports[2]!, { latencyMs: 1 });
    if (announce) vm.announce();
    clock.advance(900);
    tx.stop();
    clock.advance(50);
    const r = rx.report(tx.sent);
    if (announce) {
      assert.ok(r.maxGapMs > 100 && r.maxGapMs <= 120, `gap ${r.maxGapMs}`);
      assert.ok(r.lost <= 12, `lost ${r.lost}`);
    } else {
      assert.ok(r.lastRxAt < 1010, 'the bridge still sends to the old port');
      assert.ok(r.lost >= 99, `lost ${r.lost}`);
    }
  }
});

test('moving the cable with Link.replace keeps the session too', async () => {
  const { clock, br, server, vm, vmLink } = site();
  const p = verifyStream({ client: vm, server, serverIp: '10.0.0.1', bytes: 200 * 1460, chunkBytes: 1460, intervalMs: 10, seed: 5 });
  clock.setTimeout(() => {
    vmLink.replace(br.ports[1]!, br.ports[2]!);
    vm.announce();
  }, 500);
  const r = await settle(clock, p, { stepMs: 10 });
  assert.equal(r.kept, true, JSON.stringify(r));
  assert.equal(vm.link, vmLink);
});

test('moveTo = detach + attach + announce; ARP cache and sockets survive', async () => {
  const { clock, br, server, vm } = site();
  const r0 = await settle(clock, vm.ping('10.0.0.1', { count: 1 }));
  assert.equal(r0.received, 1);
  const sock = vm.udp.bind(5353);
  vm.moveTo(br.ports[2]!, { latencyMs: 1 });
  assert.equal(vm.arp.lookup('10.0.0.1'), server.mac);
  assert.equal(vm.arp.counters.rarpSent, 1);
  const got: string[] = [];
  sock.onMessage((d) => got.push(d.toString()));
  server.udp.bind(1).send('10.0.0.7', 5353, Buffer.from('still here'));
  clock.advance(10);
  assert.deepEqual(got, ['still here']);
});
