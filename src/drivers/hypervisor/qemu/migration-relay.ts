/**
 * Carries a QEMU migration stream over the data plane. The QEMUs of the lab run in the switches' namespace, where the
 * only way between them is loopback; the migration endpoints (src/model/migration-network.ts) are namespaces plugged
 * into the hosts' switches. So the stream goes through two relay processes, over unix sockets, which network
 * namespaces do not separate:
 *
 *   source QEMU --unix out.sock--> relay in the source endpoint's namespace --TCP from its address and port, across
 *   source host -> gateway -> gateway -> destination host--> relay in the destination endpoint's namespace
 *   --unix in.sock--> destination QEMU (`migrate-incoming unix:in.sock`)
 *
 * Each relay takes one connection and pipes both ways (QEMU's return path included), then ends with it; the source
 * relay paces what it sends (a token bucket, like the netns copy stream). `open()`
 * starts both (the exit relay listening on the destination endpoint's address first) and makes the socket
 * directory; `close()` ends them and removes it, also when the migration failed.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HelperProcess } from '../helper-process';
import type { CopyStreamRoute } from '../lab-copy-route';

const RELAY = `
const net = require('net');
const [mode, ...args] = process.argv.slice(1);
// Copies src to dst in chunks of at most CHUNK bytes, paced to \`rate\` bytes/s by a token bucket (QEMU's own
// \`max-bandwidth\` sends a tenth of it per 100 ms as one burst, which overflowed the userspace switches' queues);
// src is paused while a few chunks wait.
const paced = (src, dst, rate) => {
  const queue = [];
  let queued = 0, credit = CHUNK, last = performance.now(), waiting = false, ended = false;
  const pump = () => {
    waiting = false;
    while (queued > 0) {
      const now = performance.now();
      credit = refill(credit, now - last, rate);
      last = now;
      const n = Math.min(CHUNK, queued);
      if (credit < n) { waiting = true; setTimeout(pump, Math.max(1, Math.ceil(((n - credit) * 1000) / rate))); return; }
      let chunk = queue[0];
      if (chunk.length > n) { queue[0] = chunk.subarray(n); chunk = chunk.subarray(0, n); } else queue.shift();
      queued -= chunk.length; credit -= chunk.length;
      if (queued < 4 * CHUNK) src.resume();
      if (!dst.write(chunk)) { waiting = true; dst.once('drain', pump); return; }
    }
    if (ended) dst.end();
  };
  src.on('data', (d) => { queue.push(d); queued += d.length; if (queued >= 4 * CHUNK) src.pause(); if (!waiting) pump(); });
  src.on('end', () => { ended = true; if (!waiting) pump(); });
};
// Joins QEMU's side q and the network side n: q -> n paced to \`rate\` (0: not paced), n -> q as it comes. Ends the
// process once both sides closed (what is queued for one side is sent first).
const join = (q, n, rate) => {
  let open = 2;
  for (const s of [q, n]) { s.on('error', fail); s.on('close', () => { if (--open === 0) process.exit(0); }); }
  if (rate > 0) paced(q, n, rate); else q.pipe(n);
  n.pipe(q);
};
const serve = (listenArgs, connect, rate) => {
  const server = net.createServer();
  server.on('error', fail);
  server.once('connection', (c) => { server.close(); const o = connect(); if (o.setNoDelay) o.setNoDelay(true); rate === undefined ? join(o, c, 0) : join(c, o, rate); });
  server.listen(...listenArgs, () => out('listening'));
};
if (mode === 'enter') {
  const [sock, ip, port, localAddress, localPort, rate] = args;
  serve([sock], () => net.connect({ host: ip, port: Number(port), localAddress, localPort: Number(localPort) }), Number(rate));
} else if (mode === 'exit') {
  const [ip, port, sock] = args;
  serve([Number(port), ip], () => net.connect(sock), undefined);
} else fail('unknown mode ' + mode);
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
`;

export class MigrationRelay {
  private enter: HelperProcess | undefined;
  private exit: HelperProcess | undefined;
  private readonly dir: string;
  /** The URI the destination QEMU listens on (`migrate-incoming`). */
  readonly incomingUri: string;
  /** The URI the source QEMU migrates to (`migrate`). */
  readonly outgoingUri: string;

  /** `bytesPerSec`: the pace of the source relay's writes to the network (0: as fast as it goes). */
  constructor(
    readonly route: CopyStreamRoute,
    readonly bytesPerSec: number,
  ) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xsite-relay-'));
    this.incomingUri = `unix:${path.join(this.dir, 'in.sock')}`;
    this.outgoingUri = `unix:${path.join(this.dir, 'out.sock')}`;
  }

  /** Starts both relays and waits until each listens. */
  async open(timeoutMs = 10_000): Promise<void> {
    const r = this.route;
    this.exit = new HelperProcess('migration relay (destination)', RELAY, ['exit', r.to.ip, String(r.to.port), path.join(this.dir, 'in.sock')], r.to.netns, undefined);
    await this.exit.next('listening', timeoutMs, false);
    this.enter = new HelperProcess('migration relay (source)', RELAY, ['enter', path.join(this.dir, 'out.sock'), r.to.ip, String(r.to.port), r.from.ip, String(r.from.port), String(Math.max(0, Math.round(this.bytesPerSec)))], r.from.netns, undefined);
    await this.enter.next('listening', timeoutMs, false);
  }

  /** Ends both relays and removes their sockets (idempotent). */
  async close(): Promise<void> {
    await Promise.all([this.enter?.close(), this.exit?.close()]);
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
