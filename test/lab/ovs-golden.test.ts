/**
 * Golden OpenFlow messages from a real peer: an xsite controller drives a real Open vSwitch bridge into sending
 * every kind of message we can provoke (handshake, packet-ins, stats of every kind, port status, flow removed,
 * errors, bundle replies) and checks that each frame OVS sent decodes and re-encodes to the same bytes.
 *
 * With XSITE_WRITE_FIXTURES=1 the frames are also written to test/fixtures/openflow/ovs/ (one hex file per message),
 * which the unit test golden-fixtures.test.ts replays without OVS.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decodeMessage, encodeMessage } from '../../src/codec/openflow/message';
import type { MessageOf, OfpMessage } from '../../src/codec/openflow/types';
import { L2LearningApp } from '../../src/apps/l2-learning';
import type { SwitchConnection } from '../../src/openflow/connection';
import { OpenFlowController } from '../../src/openflow/controller';
import { Lab, leftovers } from '../../src/lab/lab';
import { TopologyBuilder } from '../../src/lab/topology';
import { labSkipReason } from '../support/lab-guard';

const FIXTURES = path.join(__dirname, '..', '..', '..', 'test', 'fixtures', 'openflow', 'ovs');
const ANY = 0xffffffff;

function flowMod(over: Partial<MessageOf<'flow_mod'>>): MessageOf<'flow_mod'> {
  return {
    type: 'flow_mod', cookie: 0x600dn, cookieMask: 0n, tableId: 0, command: 0, idleTimeout: 0, hardTimeout: 0,
    priority: 100, bufferId: ANY, outPort: ANY, outGroup: ANY, flags: 0, match: [], instructions: [], ...over,
  };
}

describe('golden OpenFlow messages from Open vSwitch', { skip: labSkipReason(), concurrency: false }, () => {
  const frames: { type: string; bytes: Buffer }[] = [];
  const controller = new OpenFlowController({ captureFrames: true });
  let lab: Lab | undefined;
  let conn: SwitchConnection;

  before(async () => {
    controller.use(new L2LearningApp());
    controller.on('switch', (c: SwitchConnection) => undefined);
    const origAccept = controller.accept.bind(controller);
    controller.accept = (stream) => {
      const c = origAccept(stream);
      c.on('frame', (f: Buffer) => frames.push({ type: decodeMessage(f).type, bytes: Buffer.from(f) }));
      return c;
    };
    const port = await controller.listen(0);
    lab = await Lab.up(
      new TopologyBuilder('golden')
        .bridge('s1', { controller: `tcp:127.0.0.1:${port}`, dpid: '00000000000000a1' })
        .host('h1', 's1', '10.0.0.1/24')
        .host('h2', 's1', '10.0.0.2/24')
        .build(),
    );
    await controller.waitForSwitches(1, 20000);
    conn = controller.switches.get(0xa1n)!;
    assert.ok(conn, 'switch a1 connected');
  });

  after(async () => {
    const prefix = lab?.prefix;
    if (lab) await lab.down();
    await controller.close();
    if (prefix) assert.deepEqual((await leftovers(prefix)).map(String), []);
  });

  it('provokes every kind of message and all of them round-trip byte for byte', async () => {
    assert.ok(await lab!.ping('h1', '10.0.0.2', { count: 2, timeoutSec: 2, retries: 2 }), 'h1 pings h2 (packet-ins)');
    await conn.request({ type: 'get_config_request' }, 'get_config_reply');
    await conn.request({ type: 'echo_request', data: Buffer.from('xsite') }, 'echo_reply');
    await conn.request({ type: 'role_request', role: 0, generationId: 0n }, 'role_reply');
    await conn.request({ type: 'get_async_request' }, 'get_async_reply');
    // Groups and a meter, so that their stats and descriptions have content.
    conn.send({ type: 'group_mod', command: 0, groupType: 1, groupId: 7, buckets: [
      { weight: 1, watchPort: ANY, watchGroup: ANY, actions: [{ type: 'output', port: 1, maxLen: 0 }] },
      { weight: 3, watchPort: ANY, watchGroup: ANY, actions: [{ type: 'set_field', field: { field: 'eth_src', value: '02:aa:00:00:00:01' } }, { type: 'output', port: 2, maxLen: 0 }] },
    ] });
    conn.send({ type: 'group_mod', command: 0, groupType: 3, groupId: 8, buckets: [
      { weight: 0, watchPort: 1, watchGroup: ANY, actions: [{ type: 'output', port: 1, maxLen: 0 }] },
      { weight: 0, watchPort: 2, watchGroup: ANY, actions: [{ type: 'output', port: 2, maxLen: 0 }] },
    ] });
    conn.send({ type: 'meter_mod', command: 0, flags: 1 | 8, meterId: 1, bands: [{ type: 'drop', rate: 1000, burstSize: 0 }] });
    conn.send(flowMod({ tableId: 1, priority: 200, match: [
      { field: 'eth_type', value: 0x0800 }, { field: 'ip_proto', value: 6 },
      { field: 'ipv4_src', value: '10.0.0.0', mask: '255.255.255.0' }, { field: 'tcp_dst', value: 80 },
    ], instructions: [
      { type: 'apply_actions', actions: [{ type: 'set_field', field: { field: 'ipv4_dst', value: '203.0.113.9' } }, { type: 'dec_nw_ttl' }] },
      { type: 'write_metadata', metadata: 0x5n, mask: 0xffn },
      { type: 'goto_table', tableId: 2 },
    ] }));
    conn.send(flowMod({ tableId: 2, priority: 10, match: [{ field: 'metadata', value: 5n, mask: 0xffn }], instructions: [
      { type: 'write_actions', actions: [{ type: 'group', groupId: 7 }] },
    ] }));
    await conn.barrier();
    for (const body of [
      { mpType: 'desc' },
      { mpType: 'flow', tableId: 0xff, outPort: ANY, outGroup: ANY, cookie: 0n, cookieMask: 0n, match: [] },
      { mpType: 'aggregate', tableId: 0xff, outPort: ANY, outGroup: ANY, cookie: 0n, cookieMask: 0n, match: [] },
      { mpType: 'table' },
      { mpType: 'port_stats', portNo: ANY },
      { mpType: 'port_desc' },
      { mpType: 'group', groupId: 0xfffffffc },
      { mpType: 'group_desc' },
      { mpType: 'meter', meterId: ANY },
      { mpType: 'meter_config', meterId: ANY },
    ] as const) {
      await conn.multipartParts(body as never);
    }
    // FLOW_REMOVED: a flow with SEND_FLOW_REM, deleted strictly.
    const removedMatch = [{ field: 'eth_type' as const, value: 0x88b5 }];
    conn.send(flowMod({ priority: 5000, flags: 1, match: removedMatch, idleTimeout: 30, instructions: [] }));
    const removed = new Promise((r) => conn.once('flow_removed', r));
    conn.send(flowMod({ command: 4 /* DELETE_STRICT */, priority: 5000, match: removedMatch }));
    await removed;
    // PORT_STATUS: carrier change seen by the bridge when the host takes its interface down and up.
    const portStatus = new Promise((r) => conn.once('port_status', r));
    await lab!.exec('h1', ['ip', 'link', 'set', 'eth0', 'down']);
    await portStatus;
    await lab!.exec('h1', ['ip', 'link', 'set', 'eth0', 'up']);
    // ERROR: a flow into a table that does not exist, and a group that does not exist.
    await assert.rejects(conn.request(flowMod({ tableId: 254, command: 0 }), 'barrier_reply'), { code: 'OFP_ERROR_REPLY' });
    await assert.rejects(
      conn.request({ type: 'group_mod', command: 1, groupType: 0, groupId: 999, buckets: [] }, 'barrier_reply'),
      { code: 'OFP_ERROR_REPLY' },
    );
    // Bundle replies (open, commit).
    await conn.bundle([flowMod({ priority: 300, match: [{ field: 'eth_type', value: 0x0806 }], instructions: [
      { type: 'apply_actions', actions: [{ type: 'output', port: 0xfffffffd, maxLen: 0xffff }] },
    ] })]);
    await conn.barrier();

    const types = new Set(frames.map((f) => f.type));
    for (const t of ['hello', 'features_reply', 'multipart_reply', 'packet_in', 'barrier_reply', 'get_config_reply', 'echo_reply', 'role_reply', 'get_async_reply', 'flow_removed', 'port_status', 'error', 'bundle_control']) {
      assert.ok(types.has(t), `OVS sent a ${t}`);
    }
    const mpTypes = new Set(frames.filter((f) => f.type === 'multipart_reply').map((f) => (decodeMessage(f.bytes) as MessageOf<'multipart_reply'>).body.mpType));
    assert.deepEqual([...mpTypes].sort(), ['aggregate', 'desc', 'flow', 'group', 'group_desc', 'meter', 'meter_config', 'port_desc', 'port_stats', 'table']);

    for (const f of frames) {
      const msg: OfpMessage = decodeMessage(f.bytes);
      const again = encodeMessage(msg);
      assert.equal(again.toString('hex'), f.bytes.toString('hex'), `${f.type} re-encodes to the bytes OVS sent`);
    }

    if (process.env.XSITE_WRITE_FIXTURES === '1') {
      fs.mkdirSync(FIXTURES, { recursive: true });
      const seen = new Map<string, number>();
      for (const f of frames) {
        const msg = decodeMessage(f.bytes);
        const kind = msg.type === 'multipart_reply' ? `multipart_reply-${msg.body.mpType}` : msg.type;
        const n = (seen.get(kind) ?? 0) + 1;
        seen.set(kind, n);
        if (n > 3) continue; // a few of each kind is enough
        fs.writeFileSync(path.join(FIXTURES, `${kind}-${n}.hex`), `${f.bytes.toString('hex')}\n`);
      }
    }
  });
});
