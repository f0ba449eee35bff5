/**
 * Writes ready-made Ethernet frames to an interface inside a network namespace through an AF_PACKET socket (python3,
 * as root): frames with a forged destination, gratuitous ARPs after a move.
 */
import { spawn } from 'node:child_process';
import { XsiteError } from '../core/errors';
import { run } from './exec';

/** python3: writes each frame given as hex (argv[2:]) to interface argv[1]. */
const RAW_SEND_PY = `
import socket, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((sys.argv[1], 0))
for h in sys.argv[2:]:
    s.send(bytes.fromhex(h))
`;

/** Sends `frames`, in order, out of `iface` in network namespace `netns`. Throws LAB_COMMAND_FAILED on failure. */
export async function sendRawFrames(netns: string, iface: string, frames: readonly Buffer[], timeoutMs = 15000): Promise<void> {
  if (frames.length === 0) return;
  await run('ip', ['netns', 'exec', netns, 'python3', '-c', RAW_SEND_PY, iface, ...frames.map((f) => f.toString('hex'))], { timeoutMs });
}

/** python3: binds to interface argv[1], prints "ready", then sends the frames (argv[2:], hex) on a "go" line. */
const ARMED_SEND_PY = `
import socket, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((sys.argv[1], 0))
print("ready", flush=True)
if sys.stdin.readline().strip() == "go":
    for h in sys.argv[2:]:
        s.send(bytes.fromhex(h))
    print("sent", flush=True)
`;

/** Frames ready to go out of an interface: {@link ArmedFrames.fire} sends them in a millisecond, not a process start. */
export interface ArmedFrames {
  /** Sends the frames; resolves once they are out. */
  fire(timeoutMs?: number): Promise<void>;
  /** Gives up without sending (idempotent); resolves once the helper process is gone. */
  cancel(): Promise<void>;
}

/**
 * Starts the writer of `frames` for `iface` in `netns` ahead of time and resolves once it is bound and waiting: a
 * gratuitous ARP after a migration then leaves right when the VM resumes. The helper exits after fire or cancel.
 */
export async function armRawFrames(netns: string, iface: string, frames: readonly Buffer[], timeoutMs = 15000): Promise<ArmedFrames> {
  const child = spawn('ip', ['netns', 'exec', netns, 'python3', '-c', ARMED_SEND_PY, iface, ...frames.map((f) => f.toString('hex'))], { stdio: ['pipe', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  let out = '';
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const line = (want: string, ms: number): Promise<void> =>
    new Promise((resolve, reject) => {
      const check = () => {
        if (out.split('\n').includes(want)) {
          cleanup();
          resolve();
        }
      };
      const fail = (why: string) => {
        cleanup();
        reject(new XsiteError('LAB_COMMAND_FAILED', `raw frame writer in ${netns} (${iface}): ${why}${err ? `: ${err.trim()}` : ''}`, { netns, iface }));
      };
      const onData = (d: Buffer) => {
        out += d.toString();
        check();
      };
      const onClose = () => fail(`exited before "${want}"`);
      const timer = setTimeout(() => fail(`no "${want}" within ${ms} ms`), ms);
      const cleanup = () => {
        clearTimeout(timer);
        child.stdout.off('data', onData);
        child.off('close', onClose);
      };
      child.stdout.on('data', onData);
      child.once('close', onClose);
      check();
    });
  let done = false;
  const cancel = async (): Promise<void> => {
    if (!done) {
      done = true;
      child.stdin.end();
    }
    const t = setTimeout(() => child.kill('SIGKILL'), 2000);
    await exited;
    clearTimeout(t);
  };
  try {
    await line('ready', timeoutMs);
  } catch (e) {
    child.kill('SIGKILL');
    await exited;
    throw e;
  }
  return {
    async fire(ms = timeoutMs) {
      if (done) throw new XsiteError('LAB_COMMAND_FAILED', `raw frame writer in ${netns} (${iface}) already used`, { netns, iface });
      done = true;
      const sent = line('sent', ms);
      child.stdin.end('go\n');
      try {
        await sent;
      } finally {
        await cancel();
      }
    },
    cancel,
  };
}
