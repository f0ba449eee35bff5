/**
 * The `netns` hypervisor's memory copy: a real TCP byte stream, paced to a rate, run by helper processes (node), so
 * that the bytes stay off the controllers' event loop (pumping them through sockets of the process that also runs the
 * in-process controllers delayed their switchover work, most of all with several migrations at once).
 *
 * Two ways:
 *  - routed (a {@link CopyStreamRoute}): a receiver process in the destination endpoint's namespace listens on its
 *    address, a sender process in the source endpoint's namespace connects to it from its address and port: the bytes
 *    cross the data plane, source host -> gateway -> gateway -> destination host, over the cross-site flow central
 *    set up for the migration (src/model/migration-network.ts);
 *  - loopback: one process with both sockets on 127.0.0.1 (topologies without migration endpoints).
 * The receiver reports how many bytes it has back over the connection (one text line per read), so the sender knows
 * when a round arrived.
 *
 * Protocol on the sender's stdin/stdout (one line each): it prints `ready` once connected; `send N` -> `done MS` once
 * the receiver has N more bytes (MS: elapsed); `rate N` paces it to N bytes/s from now on (also mid-round; 0 holds
 * it until the next `rate`);
 * `close` (or stdin closing) ends it. The receiver prints `listening`.
 * Errors print `error TEXT` and exit.
 */
import { HelperProcess, StreamAborted } from '../helper-process';
import type { CopyStreamRoute } from '../lab-copy-route';

export { StreamAborted };

const HELPER = `
const net = require('net');
const [mode, ...args] = process.argv.slice(1);
const FILLER = Buffer.alloc(CHUNK, 0xa5);
// A nap that a \`rate\` command cuts short (a held or slow stream speeds up at once).
let wake = () => undefined;
const nap = (ms) => new Promise((r) => { const t = setTimeout(r, ms); wake = () => { clearTimeout(t); r(); }; });
// The receiving side: counts the bytes and reports the count back, one line per read.
const receive = (rx) => {
  let received = 0;
  rx.on('error', fail);
  rx.on('data', (d) => { received += d.length; rx.write(received + '\\n'); });
};
// The sending side: paced writes (a token bucket, so that \`rate N\` takes effect mid-round), the receiver's count
// read back.
const sendOver = (tx, initialRate) => {
  tx.setNoDelay(true);
  let rate = initialRate, received = 0, sent = 0, waiter, acks = '';
  tx.on('data', (d) => {
    acks += d;
    const i = acks.lastIndexOf('\\n');
    if (i < 0) return;
    const j = acks.lastIndexOf('\\n', i - 1);
    received = Number(acks.slice(j + 1, i));
    acks = acks.slice(i + 1);
    if (waiter && received >= waiter.target) { const w = waiter; waiter = undefined; w.done(); }
  });
  const send = async (bytes) => {
    const t0 = performance.now();
    const target = sent + bytes;
    let here = 0, credit = CHUNK, last = t0;
    while (here < bytes) {
      const now = performance.now();
      credit = refill(credit, now - last, rate);
      last = now;
      if (rate === 0) { await nap(1000); continue; }
      if (credit < CHUNK) { await nap(Math.max(1, Math.ceil(((CHUNK - credit) * 1000) / rate))); continue; }
      const n = Math.min(CHUNK, bytes - here);
      const ok = tx.write(n === CHUNK ? FILLER : FILLER.subarray(0, n));
      here += n; sent += n; credit -= n;
      if (!ok) await new Promise((r) => tx.once('drain', r));
    }
    if (received < target) await new Promise((done) => (waiter = { target, done }));
    out('done ' + (performance.now() - t0).toFixed(3));
  };
  let queue = Promise.resolve();
  let buf = '';
  process.stdin.on('data', (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\\n')) >= 0) {
      const line = buf.slice(0, i).trim(); buf = buf.slice(i + 1);
      if (line === 'close') process.exit(0);
      const r = /^rate (\\d+)$/.exec(line);
      if (r) { rate = Number(r[1]); wake(); }
      const m = /^send (\\d+)$/.exec(line);
      if (m) queue = queue.then(() => send(Number(m[1]))).catch(fail);
    }
  });
  process.stdin.on('end', () => process.exit(0));
};
if (mode === 'receive') {
  const [ip, port] = args;
  const server = net.createServer();
  server.on('error', fail);
  server.once('connection', (rx) => { server.close(); receive(rx); rx.on('close', () => process.exit(0)); });
  server.listen(Number(port), ip, () => out('listening'));
  process.stdin.on('end', () => process.exit(0));
  process.stdin.resume();
} else if (mode === 'send') {
  const [rate, ip, port, localAddress, localPort] = args;
  const tx = net.connect({ host: ip, port: Number(port), localAddress, localPort: Number(localPort) });
  tx.on('error', fail);
  tx.once('connect', () => { sendOver(tx, Number(rate)); out('ready'); });
} else {
  const server = net.createServer();
  server.on('error', fail);
  server.listen(0, '127.0.0.1', () => {
    const tx = net.connect(server.address().port, '127.0.0.1');
    tx.on('error', fail);
    server.once('connection', (rx) => { receive(rx); sendOver(tx, Number(args[0])); out('ready'); });
  });
}
`;

/** A paced TCP byte stream run by helper processes; `send(n)` resolves when the receiver has taken `n` more bytes. */
export class CopyStream {
  private sender: HelperProcess | undefined;
  private receiver: HelperProcess | undefined;
  private closed = false;

  constructor(
    private rate: number,
    private readonly signal: AbortSignal | undefined,
    /** Routed over the data plane; default loopback. */
    readonly route?: CopyStreamRoute,
  ) {}

  /** Starts the helper(s) and waits until the stream is connected. */
  async open(timeoutMs = 10_000): Promise<void> {
    const r = this.route;
    if (r === undefined) {
      this.sender = new HelperProcess('migration stream helper', HELPER, ['loop', String(this.rate)], undefined, this.signal);
    } else {
      this.receiver = new HelperProcess('migration stream receiver', HELPER, ['receive', r.to.ip, String(r.to.port)], r.to.netns, this.signal);
      await this.receiver.next('listening', timeoutMs, false);
      if (this.closed) throw new Error('migration stream closed');
      this.sender = new HelperProcess('migration stream sender', HELPER, ['send', String(this.rate), r.to.ip, String(r.to.port), r.from.ip, String(r.from.port)], r.from.netns, this.signal);
    }
    await this.sender.next('ready', timeoutMs, false);
  }

  /** Sends `bytes` bytes (paced) and resolves when the receiver has them all; returns the elapsed ms. */
  async send(bytes: number, honourSignal: boolean): Promise<number> {
    if (honourSignal && this.signal?.aborted) throw new StreamAborted('aborted');
    const s = this.sender!;
    if (s.broken) throw s.broken;
    s.write(`send ${Math.max(0, Math.round(bytes))}`);
    const line = await s.next('done ', Infinity, honourSignal);
    return Number(line.slice(5));
  }

  /** Paces the stream to `bytesPerSec` from now on, also in the middle of a round; 0 holds it until the next rate. */
  setRate(bytesPerSec: number): void {
    const r = Math.max(0, Math.round(bytesPerSec));
    if (r === this.rate) return;
    this.rate = r;
    if (this.sender !== undefined && !this.sender.broken) this.sender.write(`rate ${r}`);
  }

  /** Ends the helpers (idempotent). */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([this.sender?.close(), this.receiver?.close()]);
  }
}
