import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeMessage, encodeMessage, Framer } from '../../../src/codec/openflow/message';
import type { MessageOf, OfpMessage } from '../../../src/codec/openflow/types';
import { SwitchConnection, OfpErrorReply } from '../../../src/openflow/connection';
import { memoryDuplexPair } from '../../../src/openflow/memory-duplex';
import { isXsiteError } from '../../../src/core/errors';
import { port, ScriptedSwitch } from '../../support/scripted-switch';

function pair(opts: ConstructorParameters<typeof SwitchConnection>[1] = {}, dpid = 7n) {
  const [a, b] = memoryDuplexPair();
  const sw = new ScriptedSwitch(b, dpid);
  const conn = new SwitchConnection(a, opts);
  return { conn, sw };
}

function ready(conn: SwitchConnection): Promise<void> {
  return new Promise((resolve, reject) => {
    conn.once('ready', resolve);
    conn.once('close', (r) => reject(new Error(`closed: ${r}`)));
  });
}

function closed(conn: SwitchConnection): Promise<string> {
  return new Promise((resolve) => conn.once('close', resolve));
}

test('handshake: HELLO -> FEATURES -> port desc -> MAIN, with set_config and the datapath id', async () => {
  const { conn, sw } = pair();
  assert.equal(conn.state, 'hello');
  await ready(conn);
  assert.equal(conn.state, 'main');
  assert.equal(conn.datapathId, 7n);
  assert.equal(conn.dpidHex, '0000000000000007');
  assert.deepEqual([...conn.ports.keys()], [1, 2]);
  const types = sw.received.map((m) => m.type);
  assert.deepEqual(types.slice(0, 2), ['hello', 'features_request']);
  assert.ok(types.includes('set_config'));
  const hello = sw.received[0] as MessageOf<'hello'>;
  assert.deepEqual(hello.versions, [4]);
  conn.close();
});

test('port description split over several multipart parts is reassembled', async () => {
  const [a, b] = memoryDuplexPair();
  const sw = new ScriptedSwitch(b, 3n);
  sw.ports = [1, 2, 3, 4, 5].map(port);
  sw.portDescParts = 3;
  const conn = new SwitchConnection(a);
  await ready(conn);
  assert.deepEqual([...conn.ports.keys()].sort(), [1, 2, 3, 4, 5]);
  conn.close();
});

test('peer without OpenFlow 1.3 in its version bitmap gets HELLO_FAILED and the connection closes', async () => {
  const [a, b] = memoryDuplexPair();
  const sw = new ScriptedSwitch(b);
  sw.helloVersions = [1];
  const conn = new SwitchConnection(a);
  const reason = await closed(conn);
  assert.equal(reason, 'version_mismatch');
  const err = sw.received.find((m) => m.type === 'error') as MessageOf<'error'> | undefined;
  assert.ok(err, 'an OFPT_ERROR was sent');
  assert.equal(err.errType, 0); // OFPET_HELLO_FAILED
  assert.equal(err.code, 0); // OFPHFC_INCOMPATIBLE
});

test('echo request from the switch is answered with the same payload and xid', async () => {
  const { conn, sw } = pair();
  await ready(conn);
  const reply = sw.waitFor((m) => m.type === 'echo_reply');
  sw.send({ type: 'echo_request', data: Buffer.from('ping') }, 4242);
  const m = (await reply) as MessageOf<'echo_reply'>;
  assert.equal(m.xid, 4242);
  assert.equal(m.data.toString(), 'ping');
  conn.close();
});

test('keepalive: an idle switch is probed with ECHO_REQUEST; a silent one is declared dead', async () => {
  const { conn, sw } = pair({ echoIntervalMs: 40, deadAfterMs: 300 });
  await ready(conn);
  await sw.waitFor((m) => m.type === 'echo_request', 1000);
  sw.silent = true; // stops answering echoes
  const reason = await closed(conn);
  assert.equal(reason, 'dead_peer');
});

test('xids are unique and replies are matched by xid, not by order', async () => {
  const { conn, sw } = pair();
  await ready(conn);
  const held: OfpMessage[] = [];
  sw.onMessage = (m) => {
    if (m.type === 'barrier_request') {
      held.push(m);
      if (held.length === 2) {
        // answer in reverse order
        sw.send({ type: 'barrier_reply' }, held[1]!.xid);
        sw.send({ type: 'barrier_reply' }, held[0]!.xid);
      }
      return true;
    }
    return false;
  };
  await Promise.all([conn.barrier(), conn.barrier()]);
  assert.notEqual(held[0]!.xid, held[1]!.xid);
  conn.close();
});

test('an OFPT_ERROR reply rejects the request with OFP_ERROR_REPLY and the switch error code', async () => {
  const { conn, sw } = pair();
  await ready(conn);
  sw.onMessage = (m) => {
    if (m.type === 'barrier_request') {
      sw.send({ type: 'error', errType: 1, code: 1, data: Buffer.alloc(0) }, m.xid);
      return true;
    }
    return false;
  };
  await assert.rejects(conn.barrier(), (e: unknown) => e instanceof OfpErrorReply && e.code === 'OFP_ERROR_REPLY' && e.details?.errType === 1);
  conn.close();
});

test('a request without reply times out with OFP_REQUEST_TIMEOUT', async () => {
  const { conn, sw } = pair({ requestTimeoutMs: 50 });
  await ready(conn);
  sw.silent = true;
  await assert.rejects(conn.barrier(), (e: unknown) => isXsiteError(e, 'OFP_REQUEST_TIMEOUT'));
  conn.close();
});

test('closing rejects pending requests with OFP_CONNECTION_CLOSED', async () => {
  const { conn, sw } = pair();
  await ready(conn);
  sw.silent = true;
  const p = conn.barrier();
  conn.close();
  await assert.rejects(p, (e: unknown) => isXsiteError(e, 'OFP_CONNECTION_CLOSED'));
  assert.throws(() => conn.send({ type: 'barrier_request' }), (e: unknown) => isXsiteError(e, 'OFP_CONNECTION_CLOSED'));
});

test('flow stats multipart replies are concatenated', async () => {
  const { conn, sw } = pair();
  await ready(conn);
  const stat = (cookie: bigint) => ({
    tableId: 0, durationSec: 1, durationNsec: 0, priority: 1, idleTimeout: 0, hardTimeout: 0, flags: 0,
    cookie, packetCount: 0n, byteCount: 0n, match: [], instructions: [],
  });
  sw.onMessage = (m) => {
    if (m.type === 'multipart_request' && m.body.mpType === 'flow') {
      sw.send({ type: 'multipart_reply', flags: 1, body: { mpType: 'flow', stats: [stat(1n), stat(2n)] } }, m.xid);
      sw.send({ type: 'multipart_reply', flags: 0, body: { mpType: 'flow', stats: [stat(3n)] } }, m.xid);
      return true;
    }
    return false;
  };
  const r = await conn.multipart({ mpType: 'flow', tableId: 0xff, outPort: 0xffffffff, outGroup: 0xffffffff, cookie: 0n, cookieMask: 0n, match: [] });
  assert.deepEqual(r.stats.map((s) => s.cookie), [1n, 2n, 3n]);
  conn.close();
});

test('bundle: open, add each message with the bundle id, commit; resolves on commit reply', async () => {
  const { conn, sw } = pair();
  await ready(conn);
  const fm: OfpMessage = { type: 'barrier_request' };
  await conn.bundle([fm, fm, fm], { bundleId: 99 });
  const bundle = sw.received.filter((m) => m.type === 'bundle_control' || m.type === 'bundle_add');
  assert.deepEqual(
    bundle.map((m) => (m.type === 'bundle_control' ? `ctl${m.ctrlType}` : 'add')),
    ['ctl0', 'add', 'add', 'add', 'ctl4'],
  );
  for (const m of bundle) assert.equal((m as { bundleId: number }).bundleId, 99);
  conn.close();
});

test('bundle: the open, the adds and the barrier leave together, without waiting for the open reply (two round trips)', async () => {
  const { conn, sw } = pair();
  await ready(conn);
  let openXid: number | undefined;
  const seenBeforeOpenReply: string[] = [];
  sw.onMessage = (m) => {
    if (m.type === 'bundle_control' && m.ctrlType === 0) {
      openXid = m.xid; // answered only once the barrier is in
      return true;
    }
    if (openXid !== undefined) seenBeforeOpenReply.push(m.type);
    if (m.type === 'barrier_request' && openXid !== undefined) {
      sw.send({ type: 'bundle_control', bundleId: 5, ctrlType: 1, flags: 0, properties: [] }, openXid);
      openXid = undefined;
    }
    return false;
  };
  const fm: OfpMessage = { type: 'barrier_request' };
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      conn.bundle([fm, fm], { bundleId: 5 }),
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('the adds waited for the open reply')), 2000))),
    ]);
    assert.deepEqual(seenBeforeOpenReply, ['bundle_add', 'bundle_add', 'barrier_request']);
  } finally {
    clearTimeout(timer);
    conn.close();
  }
});

test('bundle: a refused add is detected before commit (barrier); the bundle is discarded, never committed', async () => {
  // OVS drops a refused bundle_add and would commit the rest: committing blindly could apply half a bundle.
  const { conn, sw } = pair();
  await ready(conn);
  sw.onMessage = (m) => {
    if (m.type === 'bundle_add' && m.message.type === 'flow_mod' && m.message.priority === 2) {
      sw.send({ type: 'error', errType: 5, code: 0, data: Buffer.alloc(0) }, m.xid);
      return true;
    }
    return false;
  };
  const fm = (priority: number): OfpMessage => ({
    type: 'flow_mod', cookie: 0n, cookieMask: 0n, tableId: 0, command: 0, idleTimeout: 0, hardTimeout: 0, priority,
    bufferId: 0xffffffff, outPort: 0xffffffff, outGroup: 0xffffffff, flags: 0, match: [], instructions: [],
  });
  await assert.rejects(conn.bundle([fm(1), fm(2), fm(3)]), (e: unknown) => {
    assert.ok(isXsiteError(e, 'OFP_BUNDLE_REFUSED'));
    const refused = (e as unknown as { details: { refused: { index: number; errType: number }[] } }).details.refused;
    assert.deepEqual(refused.map((r) => [r.index, r.errType]), [[1, 5]]);
    return true;
  });
  const ctl = sw.received.filter((m) => m.type === 'bundle_control').map((m) => (m as MessageOf<'bundle_control'>).ctrlType);
  assert.deepEqual(ctl, [0, 6], 'open, then discard; no commit');
  conn.close();
});

test('bundle: a switch without bundle support is reported as OFP_BUNDLES_UNSUPPORTED', async () => {
  const { conn, sw } = pair();
  await ready(conn);
  sw.onMessage = (m) => {
    if (m.type === 'bundle_control') {
      sw.send({ type: 'error', errType: 1, code: 3 /* OFPBRC_BAD_EXPERIMENTER */, data: Buffer.alloc(0) }, m.xid);
      return true;
    }
    return false;
  };
  await assert.rejects(conn.bundle([{ type: 'barrier_request' }]), (e: unknown) => isXsiteError(e, 'OFP_BUNDLES_UNSUPPORTED'));
  conn.close();
});

test('a malformed message is answered with OFPT_ERROR (bad type) carrying its xid, and the connection stays up', async () => {
  const { conn, sw } = pair();
  await ready(conn);
  const bad = Buffer.from([4, 250, 0, 8, 0, 0, 0x12, 0x34]); // unknown message type 250
  const err = sw.waitFor((m) => m.type === 'error');
  sw.sendBytes(bad);
  const e = (await err) as MessageOf<'error'>;
  assert.equal(e.xid, 0x1234);
  assert.equal(e.errType, 1); // OFPET_BAD_REQUEST
  assert.equal(e.code, 1); // OFPBRC_BAD_TYPE
  assert.equal(conn.state, 'main');
  await conn.barrier();
  conn.close();
});

test('a broken frame length closes the connection with framing_error', async () => {
  const { conn, sw } = pair();
  await ready(conn);
  const c = closed(conn);
  sw.sendBytes(Buffer.from([4, 2, 0, 4, 0, 0, 0, 1])); // length 4 < header
  assert.equal(await c, 'framing_error');
});

test('backpressure: writable turns false above the high-water mark and drain() resolves', async () => {
  const { conn } = pair({ highWaterMark: 1024 });
  await ready(conn);
  const big = encodeMessage({ type: 'echo_request', data: Buffer.alloc(600) }, 1);
  conn.sendBytes(big);
  conn.sendBytes(big);
  assert.equal(conn.writable, false);
  await conn.drain();
  assert.equal(conn.writable, true);
  conn.close();
});

test('a peer whose HELLO has no bitmap is judged by its header version: OpenFlow 1.0 is refused', async () => {
  const [a, b] = memoryDuplexPair();
  const errors: MessageOf<'error'>[] = [];
  const framer = new Framer();
  b.on('data', (d: Buffer) => {
    for (const f of framer.push(d)) {
      const m = decodeMessage(f);
      if (m.type === 'error') errors.push(m);
    }
  });
  const conn = new SwitchConnection(a);
  const c = closed(conn);
  b.write(Buffer.from([1, 0, 0, 8, 0, 0, 0, 1])); // OFPT_HELLO, version 0x01, no elements
  assert.equal(await c, 'version_mismatch');
  assert.equal(errors[0]?.errType, 0);
});

test('a peer whose HELLO has no bitmap but a higher header version negotiates down to 1.3', async () => {
  const [a, b] = memoryDuplexPair();
  const sw = new ScriptedSwitch(b, 5n);
  sw.helloVersions = undefined; // plain 1.3 hello without bitmap
  const conn = new SwitchConnection(a);
  await ready(conn);
  conn.close();
});
