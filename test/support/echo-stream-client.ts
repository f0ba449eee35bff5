/**
 * A paced TCP echo client for lab tests that keep a session open across a migration: run it as
 * `node -e ECHO_STREAM_CLIENT host port intervalMs echoingAfterBytes` inside a namespace. It writes 64 bytes every
 * `intervalMs`, checks every echoed byte, and prints JSON lines: `{"type":"connected"}`, `{"type":"echoing"}` once
 * `echoingAfterBytes` came back, and on any input line (stop sending, wait for the rest, at most 10 s) the result
 * `{"type":"result", sent, received, mismatchAt, error, closed, maxGapMs, ms}`.
 */
export const ECHO_STREAM_CLIENT = String.raw`
const net = require('net');
const [host, port, every, echoingAfter] = process.argv.slice(1);
const byteAt = (i) => (i * 131 + (i >>> 8)) & 0xff;
let sent = 0, received = 0, mismatchAt = -1, error = null, closed = false, sending = true;
let lastData = 0, maxGapMs = 0, t0 = Date.now(), announced = false;
const out = (o) => process.stdout.write(JSON.stringify(o) + '\n');
const s = net.createConnection({ host, port: Number(port) });
s.setNoDelay(true);
s.on('connect', () => { lastData = Date.now(); out({ type: 'connected' }); tick(); });
s.on('data', (d) => {
  const now = Date.now();
  if (sending && received > 0) maxGapMs = Math.max(maxGapMs, now - lastData);
  lastData = now;
  for (let k = 0; k < d.length; k++) if (mismatchAt < 0 && d[k] !== byteAt(received + k)) mismatchAt = received + k;
  received += d.length;
  if (!announced && received >= Number(echoingAfter)) { announced = true; out({ type: 'echoing', received }); }
  if (!sending && received >= sent) finish();
});
s.on('error', (e) => { error = e.code || e.message; });
s.on('close', () => { closed = true; if (!sending) finish(); });
function tick() {
  if (!sending || closed) return;
  const b = Buffer.alloc(64);
  for (let k = 0; k < 64; k++) b[k] = byteAt(sent + k);
  sent += 64;
  s.write(b);
  setTimeout(tick, Number(every));
}
let finished = false;
function finish() {
  if (finished) return;
  finished = true;
  out({ type: 'result', sent, received, mismatchAt, error, closed, maxGapMs, ms: Date.now() - t0 });
  s.destroy();
  process.exit(0);
}
process.stdin.on('data', () => { sending = false; if (received >= sent) finish(); setTimeout(finish, 10000); });
`;
