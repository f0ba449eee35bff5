/**
 * Traffic for migration checks inside lab namespaces: an ICMP echo prober (one request every few milliseconds,
 * answers matched by identifier and sequence, late answers awaited at the end) and a paced TCP echo session (small
 * chunks written at an interval; the session is kept when every byte came back intact, in order, on the same
 * connection). Both run as processes in the sender's namespace, started with {@link Lab.spawn} / {@link Lab.exec},
 * so they work against any VM that answers ping and echoes TCP: a namespace or a QEMU guest.
 */
import { XsiteError } from '../core/errors';
import type { Lab } from './lab';
import { killAndWait } from './ovs-daemon';

/** python3: ICMP echo prober. argv: dst, interval ms. Prints `ready`; on a line or EOF on stdin stops sending,
 * waits up to 1 s for outstanding answers, prints one JSON line {sent, received, maxGapMs}. */
const PROBER_PY = `
import json, os, select, socket, struct, sys, time
dst, interval = sys.argv[1], float(sys.argv[2]) / 1000.0
ident = os.getpid() & 0xffff
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
def csum(b):
    if len(b) % 2: b += b'\\0'
    t = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    t = (t >> 16) + (t & 0xffff); t += t >> 16
    return ~t & 0xffff
sent, got, sent_at = 0, {}, {}
nxt = time.monotonic(); stop_at = None
print('ready', flush=True)
while True:
    now = time.monotonic()
    if stop_at is None and now >= nxt:
        sent += 1
        sent_at[sent & 0xffff] = now
        body = struct.pack('!d', now) + b'x' * 24
        h = struct.pack('!BBHHH', 8, 0, 0, ident, sent & 0xffff)
        s.sendto(struct.pack('!BBHHH', 8, 0, csum(h + body), ident, sent & 0xffff) + body, (dst, 0))
        nxt += interval
        if nxt < now: nxt = now + interval
    if stop_at is not None and (now - stop_at > 1.0 or len(got) >= sent): break
    wait = 0.05 if stop_at is not None else max(0.0, nxt - time.monotonic())
    r, _, _ = select.select([s, sys.stdin], [], [], wait)
    if s in r:
        d, a = s.recvfrom(4096)
        ihl = (d[0] & 0x0f) * 4
        if a[0] == dst and len(d) >= ihl + 8 and d[ihl] == 0:
            _, _, _, i, q = struct.unpack('!BBHHH', d[ihl:ihl + 8])
            if i == ident and q not in got: got[q] = time.monotonic()
    if sys.stdin in r:
        sys.stdin.readline()
        if stop_at is None: stop_at = time.monotonic()
ts = sorted(got.values())
gap = max([b - a for a, b in zip(ts, ts[1:])], default=0.0)
lost = [q for q in sorted(sent_at) if q not in got][:50]
print(json.dumps({'sent': sent, 'received': len(got), 'maxGapMs': round(gap * 1000.0, 1), 'lost': [[q, round(time.time() * 1000.0 - (time.monotonic() - sent_at[q]) * 1000.0, 1)] for q in lost]}), flush=True)
`;

/** node: paced TCP echo session. argv: host, port, bytes, chunk, interval ms, timeout ms. Prints {ok, error}. */
const SESSION_JS = `
const [host, port, size, chunk, every, tmo] = process.argv.slice(1).map((x, i) => (i === 0 ? x : Number(x)));
const buf = require('crypto').randomBytes(size);
let off = 0, n = 0, done = false, timer;
const got = [];
const finish = (ok, error) => {
  if (done) return; done = true; clearInterval(timer);
  c.destroy();
  process.stdout.write(JSON.stringify(ok ? { ok } : { ok, error }) + '\\n', () => process.exit(0));
};
const c = require('net').connect(port, host, () => {
  timer = setInterval(() => {
    if (off >= size) return;
    const end = Math.min(size, off + chunk);
    c.write(buf.subarray(off, end));
    off = end;
  }, every);
});
c.setNoDelay(true);
c.on('data', (d) => {
  got.push(d); n += d.length;
  if (n > size) return finish(false, 'received ' + n + ' bytes, sent ' + size);
  if (n === size) return Buffer.concat(got).equals(buf) ? finish(true) : finish(false, 'echoed bytes differ from the bytes sent');
});
c.on('end', () => finish(false, 'connection closed after ' + n + ' of ' + size + ' bytes echoed'));
c.on('error', (e) => finish(false, e.message + ' after ' + n + ' of ' + size + ' bytes echoed'));
setTimeout(() => finish(false, 'timeout after ' + tmo + ' ms (' + n + ' of ' + size + ' bytes echoed)'), tmo);
`;

export interface IcmpProbeFigures {
  sent: number;
  received: number;
  lost: number;
  maxGapMs: number;
  /** The first 50 lost probes: sequence number and when it was sent (epoch ms). */
  lostProbes: { seq: number; sentAt: number }[];
}

/** A running ICMP prober. */
export interface IcmpProber {
  readonly pid: number;
  /** Stops sending, waits for late answers (up to 1 s), reports. */
  stop(): Promise<IcmpProbeFigures>;
  /** Kills the prober (by PID) if it still runs. */
  kill(): Promise<void>;
}

/** Starts an ICMP echo prober in `host`'s namespace towards `dstIp`, one request every `intervalMs`. */
export async function startIcmpProber(lab: Lab, host: string, dstIp: string, intervalMs: number): Promise<IcmpProber> {
  const child = lab.spawn(host, ['python3', '-u', '-c', PROBER_PY, dstIp, String(intervalMs)], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-2000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const fail = (why: string) => new XsiteError('LAB_PROBER_FAILED', `ICMP prober in ${host} to ${dstIp}: ${why}${err.trim() ? `: ${err.trim()}` : ''}`, { host, dstIp });
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(fail('not ready after 5000 ms')), 5000);
    const check = () => {
      if (out.includes('ready')) {
        clearTimeout(t);
        resolve();
      }
    };
    child.stdout!.on('data', check);
    void exited.then(() => {
      clearTimeout(t);
      reject(fail('exited before it was ready'));
    });
  }).catch(async (e: unknown) => {
    if (child.pid !== undefined) await killAndWait(child.pid, 1000);
    throw e;
  });
  const pid = child.pid!;
  return {
    pid,
    async stop() {
      child.stdin!.end('stop\n');
      const t = setTimeout(() => void killAndWait(pid, 500), 5000);
      await exited;
      clearTimeout(t);
      const line = out.trim().split('\n').pop() ?? '';
      let r: { sent: number; received: number; maxGapMs: number; lost?: [number, number][] };
      try {
        r = JSON.parse(line) as typeof r;
      } catch {
        throw fail(`no report (${line.slice(0, 200)})`);
      }
      return { sent: r.sent, received: r.received, lost: r.sent - r.received, maxGapMs: r.maxGapMs, lostProbes: (r.lost ?? []).map(([seq, sentAt]) => ({ seq, sentAt })) };
    },
    kill: () => killAndWait(pid, 1000),
  };
}

export interface TcpSessionOptions {
  bytes: number;
  chunkBytes: number;
  intervalMs: number;
  timeoutMs: number;
}

/** A paced TCP echo session from `host`'s namespace to `dstIp:port`; resolves when it ended. */
export async function tcpEchoSession(lab: Lab, host: string, dstIp: string, port: number, o: TcpSessionOptions): Promise<{ ok: boolean; error?: string }> {
  const r = await lab.exec(host, [process.execPath, '-e', SESSION_JS, dstIp, String(port), String(o.bytes), String(o.chunkBytes), String(o.intervalMs), String(o.timeoutMs)], {
    allowFail: true,
    timeoutMs: o.timeoutMs + 10_000,
  });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  try {
    const x = JSON.parse(line) as { ok: boolean; error?: string };
    return x.ok ? { ok: true } : { ok: false, error: x.error ?? 'failed' };
  } catch {
    return { ok: false, error: `client failed (${r.timedOut ? 'timed out' : `exit ${r.code ?? r.signal}`}): ${(r.stderr || r.stdout).trim().slice(0, 300)}` };
  }
}
