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
import { oneDc } from './dc-topology';
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
