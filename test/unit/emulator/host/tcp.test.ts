import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VirtualClock } from '../../../../src/core/clock';
import { isXsiteError } from '../../../../src/core/errors';
import { parsePacket, TCP_FLAGS } from '../../../../src/codec/packet';
import { settle } from '../../../../src/emulator/net/settle';
import { PatternStream, patternBytes, verifyStream } from '../../../../src/emulator/host/stream';
import type { TcpConnection, TcpState } from '../../../../src/emulator/host/tcp';
import { Hub, host, link } from './fixtures';

function pair(params?: Parameters<typeof link>[3], extra?: Parameters<typeof host>[2]) {
  const clock = new VirtualClock();
  const a = host(clock, 1, extra);
  const b = host(clock, 2, extra);
  const l = link(clock, a.endpoint, b.endpoint, params);
  return { clock, a, b, l };
}

test('pattern stream: deterministic from the seed, independent of chunking', () => {
  const whole = patternBytes(9, 1000);
  const p = new PatternStream(9);
  const parts = Buffer.concat([p.next(3), p.next(500), p.next(497)]);
  assert.deepEqual(parts, whole);
  assert.notDeepEqual(patternBytes(10, 1000), whole);
});

test('handshake: SYN, SYN-ACK with MSS, ACK; states; data both ways; orderly close', async () => {
  const hub = new Hub(2);
  const clock = new VirtualClock();
  const a = host(clock, 1);
  const b = host(clock, 2);
  link(clock, a.endpoint, hub.ports[0]!, { latencyMs: 1 });
  link(clock, b.endpoint, hub.ports[1]!, { latencyMs: 1 });
  let server: TcpConnection | undefined;
  const serverGot: string[] = [];
  b.tcp.listen(80, (c) => {
    server = c;
    c.on('data', (d) => {
      serverGot.push(d.toString());
      c.write(d.toString().toUpperCase());
    });
    c.on('end', () => clock.setTimeout(() => c.close(), 5));
  });
  const conn = await settle(clock, a.tcp.connect('10.0.0.2', 80));
  assert.equal(conn.state, 'ESTABLISHED');
  assert.equal(server, undefined, 'the server learns of it when the ACK arrives, 2 ms later');
  clock.advance(2);
  assert.equal(server!.state, 'ESTABLISHED');
  const segs = hub.seen.map((s) => parsePacket(s.frame)).filter((p) => p.tcp);
  const flags = segs.map((p) => p.tcp!.flags);
  assert.deepEqual(flags.slice(0, 3), [TCP_FLAGS.SYN, TCP_FLAGS.SYN | TCP_FLAGS.ACK, TCP_FLAGS.ACK]);
  assert.equal(segs[0]!.tcp!.options.toString('hex'), '020405b4');
  assert.equal(segs[1]!.tcp!.ack, (segs[0]!.tcp!.seq + 1) >>> 0);
  assert.equal(segs[2]!.tcp!.ack, (segs[1]!.tcp!.seq + 1) >>> 0);
  assert.equal(segs[0]!.tcp!.window, 65535);

  const echoed: string[] = [];
  conn.on('data', (d) => echoed.push(d.toString()));
  const states: TcpState[] = [];
  conn.write('hello');
  clock.advance(10);
  assert.deepEqual(serverGot, ['hello']);
  assert.deepEqual(echoed, ['HELLO']);
  let ended = false;
  conn.on('end', () => (ended = true));
  let reason: string | undefined;
  conn.on('close', (r) => (reason = r));
  conn.close();
  states.push(conn.state);
  assert.throws(() => conn.write('more'), (e) => isXsiteError(e, 'TCP_NOT_WRITABLE'));
  clock.advance(4.5); // FIN there and its ACK back (4 ms round trip through the hub)
  states.push(conn.state);
  assert.equal(server!.state, 'CLOSE_WAIT');
  clock.advance(10); // the server closes 5 ms after the end of the stream
  states.push(conn.state);
  assert.deepEqual(states, ['FIN_WAIT_1', 'FIN_WAIT_2', 'TIME_WAIT']);
  assert.ok(ended);
  assert.equal(server!.state, 'CLOSED');
  assert.equal(server!.closeReason, 'normal');
  clock.advance(3000);
  assert.equal(conn.state, 'CLOSED');
  assert.equal(reason, 'normal');
  assert.equal(a.tcp.connections.length, 0);
  assert.equal(b.tcp.connections.length, 0);
  assert.equal(conn.counters.retransmits, 0);
  assert.ok(conn.srttMs > 4 && conn.srttMs < 8, 'first sample includes ARP resolution (8 ms), then 4 ms');
  assert.equal(conn.rtoMs, 200, 'RTO floor');
});

test('1 MB transfer over a 1 ms / 100 Mbit/s link arrives intact', async () => {
  const { clock, a, b } = pair({ latencyMs: 1, bandwidthMbps: 100 });
  const r = await settle(clock, verifyStream({ client: a, server: b, serverIp: '10.0.0.2', bytes: 1 << 20, seed: 3 }), { stepMs: 10 });
  assert.equal(r.kept, true, JSON.stringify(r));
  assert.equal(r.bytesReceived, 1 << 20);
  assert.equal(r.retransmits, 0);
  // 64 KiB window / 2 ms RTT would allow 32 MB/s: the 100 Mbit/s link is the bottleneck (~90 ms).
  assert.ok(r.durationMs > 85 && r.durationMs < 200, `duration ${r.durationMs}`);
});

test('TCP survives 5% loss both ways (retransmissions, fast retransmit, reordering buffer)', async () => {
  const { clock, a, b, l } = pair({ latencyMs: 2, bandwidthMbps: 100, lossRate: 0.05, seed: 11 });
  const r = await settle(clock, verifyStream({ client: a, server: b, serverIp: '10.0.0.2', bytes: 300_000, seed: 5 }), { stepMs: 10 });
  assert.equal(r.kept, true, JSON.stringify(r));
  assert.ok(l.ab.droppedLoss > 5 && l.ba.droppedLoss > 5);
  assert.ok(r.retransmits >= l.ab.droppedLoss / 2, `retransmits ${r.retransmits}`);
  const conns = a.tcp.counters;
  assert.ok(conns.retransmits > 0);
  assert.ok(b.tcp.connections.length <= 1);
});

test('TCP survives a 2-second link outage (RTO backoff, session kept)', async () => {
  const { clock, a, b, l } = pair({ latencyMs: 1, bandwidthMbps: 100 });
  // 1460 bytes every 10 ms for 5 s.
  const p = verifyStream({ client: a, server: b, serverIp: '10.0.0.2', bytes: 500 * 1460, chunkBytes: 1460, intervalMs: 10, seed: 8 });
  clock.setTimeout(() => l.setUp(false), 1000);
  clock.setTimeout(() => l.setUp(true), 3000);
  const r = await settle(clock, p, { stepMs: 10 });
  assert.equal(r.kept, true, JSON.stringify(r));
  assert.ok(r.maxStallMs >= 2000 && r.maxStallMs < 4000, `stall ${r.maxStallMs}`);
  assert.ok(r.timeouts >= 3, `timeouts ${r.timeouts}`);
  assert.ok(r.retransmits > 0);
});

test('a peer that stays away long enough makes the connection give up (timeout)', async () => {
  const { clock, a, b, l } = pair({ latencyMs: 1 }, { tcp: { maxRetries: 4, maxRtoMs: 1000 } });
  b.tcp.listen(80, () => {});
  const c = await settle(clock, a.tcp.connect('10.0.0.2', 80));
  let timedOut = false;
  c.on('timeout', () => (timedOut = true));
  l.setUp(false);
  c.write('x');
  clock.advance(10_000);
  assert.ok(timedOut);
  assert.equal(c.state, 'CLOSED');
  assert.equal(c.closeReason, 'timeout');
  assert.equal(c.counters.timeouts, 5);
  // SYN retries too.
  const d = a.tcp.connect('10.0.0.2', 80);
  clock.advance(200_000);
  await assert.rejects(d, (e) => isXsiteError(e, 'TCP_TIMEOUT'));
});

test('RST for a closed port: connect is refused; RST for segments of unknown connections', async () => {
  const { clock, a, b } = pair({ latencyMs: 1 });
  const p = a.tcp.connect('10.0.0.2', 81);
  clock.advance(10);
  await assert.rejects(p, (e) => isXsiteError(e, 'TCP_REFUSED'));
  assert.equal(b.tcp.counters.resetsSent, 1);
  assert.equal(a.tcp.counters.resetsReceived, 1);
  assert.equal(a.tcp.connections.length, 0);

  // The server forgets an established connection (e.g. it rebooted): the client's next segment gets a RST.
  let server: TcpConnection | undefined;
  b.tcp.listen(80, (c) => (server = c));
  const c = await settle(clock, a.tcp.connect('10.0.0.2', 80));
  clock.advance(2);
  let reset = false;
  c.on('reset', () => (reset = true));
  b.tcp.forget(`80|10.0.0.1|${c.localPort}`, server!);
  c.write('anyone?');
  clock.advance(10);
  assert.ok(reset);
  assert.equal(c.state, 'CLOSED');
  assert.equal(c.closeReason, 'reset');
  assert.equal(c.counters.resetsReceived, 1);

  // abort() sends a RST the peer acts on.
  const c2 = await settle(clock, a.tcp.connect('10.0.0.2', 80));
  clock.advance(2);
  const s2 = server!;
  let s2reset = false;
  s2.on('reset', () => (s2reset = true));
  c2.abort();
  clock.advance(10);
  assert.ok(s2reset);
  assert.equal(s2.state, 'CLOSED');
});

test('sequence numbers wrap around 2^32 without harm', async () => {
  // A random source that makes every initial sequence number 2^32 - 100.
  const nearWrap = () => (0x100000000 - 100) / 0x100000000;
  const clock = new VirtualClock();
  const a = host(clock, 1, { random: nearWrap });
  const b = host(clock, 2, { random: nearWrap });
  link(clock, a.endpoint, b.endpoint, { latencyMs: 1, lossRate: 0.02, seed: 4 });
  const r = await settle(clock, verifyStream({ client: a, server: b, serverIp: '10.0.0.2', bytes: 200_000, seed: 2 }), { stepMs: 10 });
  assert.equal(r.kept, true, JSON.stringify(r));
});

test('out-of-order segments are buffered and delivered in order (hub that swaps two frames)', async () => {
  const clock = new VirtualClock();
  const a = host(clock, 1);
  const b = host(clock, 2);
  const hub = new Hub(2);
  link(clock, a.endpoint, hub.ports[0]!, { latencyMs: 1 });
  link(clock, b.endpoint, hub.ports[1]!, { latencyMs: 1 });
  let got = Buffer.alloc(0);
  b.tcp.listen(80, (c) => c.on('data', (d) => (got = Buffer.concat([got, d]))));
  const c = await settle(clock, a.tcp.connect('10.0.0.2', 80));
  // Hold back the first data segment from a and release it after the next two.
  const port0 = hub.ports[1]!;
  const realSend = port0.send.bind(port0);
  let held: Buffer | undefined;
  let n = 0;
  port0.send = (f: Buffer) => {
    const p = parsePacket(f);
    if (p.tcp && p.payload.length > 0 && n++ === 0) {
      held = f;
      return;
    }
    realSend(f);
    if (held && n === 3) {
      realSend(held);
      held = undefined;
    }
  };
  const data = patternBytes(1, 1460 * 3);
  c.write(data);
  clock.advance(20);
  assert.deepEqual(got, data);
  const s = b.tcp.connections[0]!;
  assert.equal(s.counters.outOfOrder, 2);
  assert.equal(c.counters.retransmits, 0, 'the hole was filled before any timeout');
});

test('listen errors, ephemeral ports, connect from a chosen port', async () => {
  const { clock, a, b } = pair({ latencyMs: 1 });
  const l = b.tcp.listen(80, () => {});
  assert.throws(() => b.tcp.listen(80, () => {}), (e) => isXsiteError(e, 'TCP_PORT_IN_USE'));
  const c = await settle(clock, a.tcp.connect('10.0.0.2', 80, { srcPort: 40000 }));
  assert.equal(c.localPort, 40000);
  assert.equal(c.remotePort, 80);
  assert.equal(b.tcp.connections[0]!.remotePort, 40000);
  l.close();
  const d = a.tcp.connect('10.0.0.2', 80);
  clock.advance(10);
  await assert.rejects(d, (e) => isXsiteError(e, 'TCP_REFUSED'));
});

test('handshake survives a lost SYN and a lost SYN-ACK (retransmitted with backoff)', async () => {
  const clock = new VirtualClock();
  const a = host(clock, 1);
  const b = host(clock, 2);
  const hub = new Hub(2);
  link(clock, a.endpoint, hub.ports[0]!, { latencyMs: 1 });
  link(clock, b.endpoint, hub.ports[1]!, { latencyMs: 1 });
  a.arp.set('10.0.0.2', b.mac);
  b.arp.set('10.0.0.1', a.mac);
  const dropped: string[] = [];
  for (const port of hub.ports) {
    const realSend = port.send.bind(port);
    port.send = (f: Buffer) => {
      const p = parsePacket(f);
      const syn = p.tcp && p.tcp.flags & TCP_FLAGS.SYN;
      const kind = syn ? (p.tcp!.flags & TCP_FLAGS.ACK ? 'SYN-ACK' : 'SYN') : undefined;
      if (kind && !dropped.includes(kind)) {
        dropped.push(kind);
        return;
      }
      realSend(f);
    };
  }
  let accepted: TcpConnection | undefined;
  b.tcp.listen(80, (c) => (accepted = c));
  const c = await settle(clock, a.tcp.connect('10.0.0.2', 80));
  assert.deepEqual(dropped, ['SYN', 'SYN-ACK']);
  // SYN at 0 lost; again at 1000 (initial RTO); its SYN-ACK lost; the server resends it 1000 ms later.
  assert.ok(clock.now() >= 2004 && clock.now() <= 2006, `connected at ${clock.now()}`);
  clock.advance(5);
  assert.ok(accepted);
  assert.equal(c.counters.retransmits, 1);
  assert.equal(accepted.counters.retransmits, 1);
});

test('window scaling: an 8 MiB buffer on both ends fills a 1 Gbit/s, 40 ms RTT path; with 64 KiB it is window-bound', async () => {
  const MiB = 1024 * 1024;
  const run = (rcvWindow: number) => {
    const hub = new Hub(2);
    const clock = new VirtualClock();
    const a = host(clock, 1, { tcp: { rcvWindow, mss: 8960 } });
    const b = host(clock, 2, { tcp: { rcvWindow, mss: 8960 } });
    link(clock, a.endpoint, hub.ports[0]!, { latencyMs: 10, bandwidthMbps: 1000, queueBytes: 16 * MiB });
    link(clock, b.endpoint, hub.ports[1]!, { latencyMs: 10 });
    let got = 0;
    let doneAt = NaN;
    const want = 8 * MiB;
    b.tcp.listen(80, (c) =>
      c.on('data', (d) => {
        got += d.length;
        if (got >= want && Number.isNaN(doneAt)) doneAt = clock.now();
      }),
    );
    return (async () => {
      const c = await settle(clock, a.tcp.connect('10.0.0.2', 80));
      const t0 = clock.now();
      c.write(Buffer.alloc(want, 1));
      for (let i = 0; i < 200 && Number.isNaN(doneAt); i++) clock.advance(100);
      const synOptions = hub.seen
        .map((s) => parsePacket(s.frame))
        .filter((p) => p.tcp && p.tcp.flags & TCP_FLAGS.SYN)
        .map((p) => p.tcp!.options.toString('hex'));
      return { ms: doneAt - t0, got, synOptions };
    })();
  };
  const scaled = await run(8 * MiB);
  const plain = await run(65535);
  assert.equal(scaled.got, 8 * MiB);
  // SYN and SYN-ACK: MSS 8960, then NOP + window scale 8 (8 MiB >> 8 = 32 KiB fits the 16-bit field).
  assert.deepEqual(scaled.synOptions, ['02042300' + '01030308', '02042300' + '01030308']);
  assert.deepEqual(plain.synOptions, ['02042300', '02042300'], 'no option offered, none answered');
  // 8 MiB at 1 Gbit/s is 67 ms on the wire, plus slow start over a 40 ms RTT; window-bound: 64 KiB per RTT.
  assert.ok(scaled.ms < 1000, `scaled: ${scaled.ms} ms`);
  assert.ok(plain.ms > 4000, `64 KiB window: ${plain.ms} ms`);
});
