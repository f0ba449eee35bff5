import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PacketDecodeError, buildPacket, parsePacket, verifyChecksums, type Packet } from '../../../../src/codec/packet';
import * as F from './fixtures';
import { hex } from './fixtures';
import { randomInt, seededRandom } from '../../../../src/core/random';

/** Deterministic integers in [0, n) so a failure names a reproducible case. */
function prng(seed: number): (n: number) => number {
  const r = seededRandom(seed);
  return (n: number): number => randomInt(r, n);
}

const seeds: Buffer[] = [
  ...Object.values(F).filter((v): v is Buffer => Buffer.isBuffer(v)),
  buildPacket({
    eth: { src: '02:00:00:00:00:0a', dst: '02:00:00:00:00:0b' },
    vlans: [{ vid: 1, tpid: 0x88a8 }, { vid: 2 }],
    ipv4: { src: '10.0.0.1', dst: '10.0.0.2', options: hex('94040000') },
    tcp: { srcPort: 1, dstPort: 2, options: hex('020405b4') },
    payload: Buffer.from('payload'),
  }),
  buildPacket({
    eth: { src: '02:00:00:00:00:0a', dst: '33:33:00:00:00:01' },
    ipv6: { src: 'fe80::1', dst: 'ff02::1', hopLimit: 255, extensions: [{ type: 0 }, { type: 43, data: Buffer.alloc(6) }, { type: 60 }] },
    icmpv6: { kind: 'ra', curHopLimit: 64, routerLifetime: 1800, sourceLinkAddr: '02:00:00:00:00:0a', options: [{ type: 5, data: Buffer.alloc(6) }] },
  }),
];

/** Checks the invariants of a successfully parsed packet. */
function checkParsed(pkt: Packet, frame: Buffer): void {
  assert.equal(pkt.frame, frame);
  const start = pkt.payload.length === 0 ? 0 : pkt.payload.byteOffset - frame.byteOffset;
  assert.ok(start >= 0 && start + pkt.payload.length <= frame.length, 'payload within the frame');
  assert.ok(pkt.l3Offset < frame.length && pkt.l4Offset < frame.length);
  verifyChecksums(pkt); // never throws
  // Any decoded packet is a valid build spec, and the rebuilt frame decodes again (IPv6 extension headers other
  // than the fragment header are not in the decoded form, so such packets only have to encode).
  const built = buildPacket(pkt);
  if (pkt.ipv6 && pkt.ipv6.extHeaders.some((t) => t !== 44)) return;
  const rebuilt = parsePacket(built);
  assert.deepEqual(rebuilt.eth, pkt.eth);
  assert.deepEqual(rebuilt.vlans, pkt.vlans);
  assert.deepEqual(rebuilt.arp, pkt.arp);
  assert.deepEqual(rebuilt.ipv6?.fragment, pkt.ipv6?.fragment);
  assert.deepEqual(rebuilt.ipv4?.fragment, pkt.ipv4?.fragment);
  assert.deepEqual(rebuilt.payload, pkt.payload);
}

function mutate(src: Buffer, rnd: (n: number) => number): Buffer {
  const b = Buffer.from(src);
  switch (rnd(5)) {
    case 0: // truncate
      return b.subarray(0, rnd(b.length + 1));
    case 1: {
      // flip bytes, mostly in the headers
      const n = 1 + rnd(4);
      for (let i = 0; i < n; i++) b[rnd(Math.min(b.length, 96))] = rnd(256);
      return b;
    }
    case 2: {
      // random 16-bit value into a header position (length fields, ports, types)
      const at = rnd(Math.max(1, Math.min(b.length, 96) - 1));
      if (at + 1 < b.length) b.writeUInt16BE(rnd(0x10000), at);
      return b;
    }
    case 3: // flip and truncate
      b[rnd(Math.min(b.length, 96))] ^= 1 << rnd(8);
      return b.subarray(0, rnd(b.length + 1));
    default: {
      // insert or delete bytes somewhere in the headers
      const at = rnd(Math.min(b.length, 96));
      return rnd(2) === 0
        ? Buffer.concat([b.subarray(0, at), Buffer.from([rnd(256), rnd(256)]), b.subarray(at)])
        : Buffer.concat([b.subarray(0, at), b.subarray(at + 1 + rnd(8))]);
    }
  }
}

test('mutated and truncated frames either parse or throw PacketDecodeError, nothing else', () => {
  const rnd = prng(0x5eed);
  const counts = { ok: 0, rejected: 0 };
  const codes = new Set<string>();
  for (let i = 0; i < 5000; i++) {
    const src = seeds[i % seeds.length]!;
    const frame = mutate(src, rnd);
    let pkt: Packet | undefined;
    try {
      pkt = parsePacket(frame, { verifyChecksums: true });
    } catch (e) {
      assert.ok(e instanceof PacketDecodeError, `case ${i}: ${frame.toString('hex')}: ${String(e)}`);
      codes.add(e.code);
      counts.rejected++;
      continue;
    }
    counts.ok++;
    try {
      checkParsed(pkt, frame);
    } catch (e) {
      assert.fail(`case ${i}: ${frame.toString('hex')}: ${String(e)}`);
    }
  }
  assert.ok(counts.ok > 500 && counts.rejected > 500, JSON.stringify(counts));
  assert.ok(codes.size >= 6, [...codes].join());
});

test('every prefix of every seed frame parses or throws PacketDecodeError', () => {
  for (const src of seeds) {
    for (let n = 0; n <= Math.min(src.length, 160); n++) {
      try {
        parsePacket(src.subarray(0, n));
      } catch (e) {
        assert.ok(e instanceof PacketDecodeError, `${src.subarray(0, n).toString('hex')}: ${String(e)}`);
      }
    }
  }
});
