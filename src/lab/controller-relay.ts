/**
 * Controller relay. ovs-vswitchd runs inside the lab's switch namespace, whose loopback is not the caller's, so a
 * controller target like `tcp:127.0.0.1:6653` would not reach a controller listening in the root namespace. The lab
 * therefore points each bridge at `unix:<dir>/ctl-N.sock` and runs this small detached relay in the root namespace:
 * it accepts on the Unix socket and pipes every connection to the TCP target (TCP_NODELAY on). It is a separate
 * process so that a lab built by `xsite lab up` keeps working after the command exits; it is stopped by PID.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { XsiteError } from '../core/errors';
import { sleep } from './exec';
import { isProcessOf, killAndWait, readPidfile } from './ovs-daemon';

const RELAY_SOURCE = `
const net = require('net'), fs = require('fs');
const [sock, host, port, pidfile] = process.argv.slice(2);
try { fs.unlinkSync(sock); } catch {}
const server = net.createServer((c) => {
  const t = net.connect({ host, port: Number(port) });
  t.setNoDelay(true);
  const end = () => { c.destroy(); t.destroy(); };
  c.on('error', end); t.on('error', end); c.on('close', end); t.on('close', end);
  c.pipe(t); t.pipe(c);
});
server.listen(sock, () => fs.writeFileSync(pidfile, String(process.pid)));
const stop = () => { try { fs.unlinkSync(sock); } catch {} process.exit(0); };
process.on('SIGTERM', stop); process.on('SIGINT', stop); process.on('SIGHUP', () => {});
`;

/** Starts a relay from `socket` to `tcp:HOST:PORT` and waits until it listens; returns its PID. */
export async function startRelay(socket: string, target: string, pidfile: string, timeoutMs = 5000): Promise<number> {
  const m = /^tcp:(.+):(\d+)$/.exec(target);
  if (!m) throw new XsiteError('LAB_BAD_TOPOLOGY', `cannot relay controller target "${target}"`, { field: 'controller' });
  try {
    fs.unlinkSync(pidfile);
  } catch {
    /* none */
  }
  const child = spawn(process.execPath, ['-e', RELAY_SOURCE, 'xsite-controller-relay', socket, m[1]!, m[2]!, pidfile], { detached: true, stdio: 'ignore' });
  child.unref();
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const pid = readPidfile(pidfile);
    if (pid !== undefined && fs.existsSync(socket)) return pid;
    if (child.exitCode !== null) break;
    await sleep(10);
  }
  if (child.pid) await killAndWait(child.pid).catch(() => undefined);
  throw new XsiteError('LAB_COMMAND_FAILED', `controller relay for ${target} did not start`, { target, socket });
}

/** Stops the relay whose pidfile is `pidfile` (only if its command line names `socket`) and removes its files. */
export async function stopRelay(pidfile: string, socket: string): Promise<void> {
  const pid = readPidfile(pidfile);
  if (pid !== undefined && isProcessOf(pid, socket)) await killAndWait(pid);
  for (const f of [pidfile, socket]) {
    try {
      fs.unlinkSync(f);
    } catch {
      /* gone */
    }
  }
}
