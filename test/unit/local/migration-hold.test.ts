/**
 * The hold of a migration in one emulated DC: frames to a held VM go to the controller and are kept; a frame the
 * switch sent to the controller just before the hold ended (its packet-in still on the way) is sent on to where the
 * VM is, not dropped.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OFP_NO_BUFFER } from '../../../src/codec/openflow/constants';
import { buildPacket } from '../../../src/codec/packet';
import { XSITE_MANAGERS, makeCookie } from '../../../src/pipeline/cookie';
import { XSITE_PLAN } from '../../../src/pipeline/table-plan';
import { directoryFromTopology } from '../../../src/local/dc-model';
import { oneDc, twoDcsWithGateways } from './dc-topology';
import { localOnEmulator } from './helpers';

test('a held frame whose packet-in arrives after the hold ended goes on to the VM', async () => {
  const topo = oneDc('mac');
  const { net, of, lc, close } = await localOnEmulator(topo, 'dc1');
  try {
    const a1 = net.host('a1');
    const a3 = net.host('a3');
    assert.equal((await a1.ping('192.168.10.3', { count: 1, timeoutMs: 500 })).received, 1);
    const frame = () => buildPacket({ eth: { src: a1.mac, dst: a3.mac }, ipv4: { src: a1.ip, dst: a3.ip }, udp: { srcPort: 7000, dstPort: 7001 } });

    // Held while the hold is on.
    await lc.hold('a3');
    const rx0 = a3.nic.counters.rxFrames;
    a1.nic.send(frame());
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(a3.nic.counters.rxFrames, rx0, 'held, not delivered');
    assert.equal(lc.heldFor('a3'), 1);

    // The hold ends (the migration was abandoned): the held frame goes on.
    await lc.abortMigration('a3');
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(a3.nic.counters.rxFrames, rx0 + 1);

    // A packet-in of the hold that was still on its way: sent on too.
    const sw = topo.switches.find((s) => s.name === 'dc1-h2-vs')!;
    const conn = of.switches.get(BigInt(`0x${sw.dpid}`))!;
    const uplink = lc.model.innerPorts('dc1-h2-vs')[0]!;
    const dropped = lc.counters.heldDropped;
    lc.onPacketIn(conn, {
      type: 'packet_in',
      bufferId: OFP_NO_BUFFER,
      totalLen: frame().length,
      reason: 1,
      tableId: XSITE_PLAN.table('l2').id,
      cookie: makeCookie(XSITE_MANAGERS.idOf('migration'), 100n),
      match: [{ field: 'in_port', value: uplink }],
      data: frame(),
    });
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(a3.nic.counters.rxFrames, rx0 + 2, 'the late frame reached the VM');
    assert.equal(lc.counters.heldDropped, dropped);
  } finally {
    await close();
  }
});

test('the source DC of a move to another DC turns back frames that still come the old way until the migration settled', async () => {
  const topo = twoDcsWithGateways('mac');
  const { net, lc, close } = await localOnEmulator(topo, 'dc1');
  try {
    const a1 = net.host('a1');
    const a3 = net.host('a3');
    await lc.hold('a1');
    // The switchover of the source: a1 now runs in dc2.
    const moved = directoryFromTopology(topo).map((v) => (v.name === 'a1' ? { ...v, dc: 'dc2', switch: 'dc2-h1-vs', port: 9 } : v));
    await lc.switchover('a1', moved, []);
    assert.deepEqual(lc.model.departed.map((v) => `${v.name}@${v.switch}`), ['a1@dc1-h1-vs']);
    // a3's frame to a1 as a fabric switch that had not caught up with the switchover would send it: down to a1's old
    // vswitch, whose new flows send a1's frames up the very port it came in on.
    const uplink = lc.model.nextHop('dc1-h1-vs', 'dc1-tor')!;
    const frame = buildPacket({ eth: { src: a3.mac, dst: a1.mac }, ipv4: { src: a3.ip, dst: a1.ip }, udp: { srcPort: 7000, dstPort: 7001 } });
    const turned = net.traceFrom('dc1-h1-vs', uplink, frame);
    assert.deepEqual(turned.hops.map((h) => h.switch), ['dc1-h1-vs', 'dc1-tor', 'dc1-gw-sw'], 'sent back up, then on towards the gateway');
    // Settled: the return is gone (and the old vswitch drops such a frame, as OpenFlow drops an output to the input port).
    await lc.settleDeparture('a1');
    assert.deepEqual(lc.model.departed, []);
    const after = net.traceFrom('dc1-h1-vs', uplink, frame);
    assert.deepEqual(after.hops.map((h) => h.switch), ['dc1-h1-vs']);
    assert.deepEqual(after.hops[0]!.result.outputs, []);
  } finally {
    await close();
  }
});

test('departure returns: a second switchover of the same move keeps them, an earlier migration\'s settle leaves a later departure alone, and they settle by themselves when central never does', async () => {
  const topo = twoDcsWithGateways('mac');
  const { lc, close } = await localOnEmulator(topo, 'dc1', { departedTtlMs: 200 });
  try {
    const moved = directoryFromTopology(topo).map((v) => (v.name === 'a1' ? { ...v, dc: 'dc2', switch: 'dc2-h1-vs', port: 9 } : v));
    await lc.hold('a1');
    await lc.switchover('a1', moved, [], { migrationId: 'm2' });
    // The same switchover again (recovery, or finishing forward after an error): still departed.
    await lc.switchover('a1', moved, [], { migrationId: 'm2' });
    assert.deepEqual(lc.model.departed.map((v) => v.name), ['a1']);
    // A settle of an earlier migration of a1 changes nothing; its own does.
    await lc.settleDeparture('a1', 'm1');
    assert.deepEqual(lc.model.departed.map((v) => v.name), ['a1']);
    // Central never settles: the DC does after departedTtlMs.
    await new Promise((r) => setTimeout(r, 400));
    assert.deepEqual(lc.model.departed, []);
  } finally {
    await close();
  }
});
