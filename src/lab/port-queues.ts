/**
 * Deep receive queues for the ports of the lab's userspace datapath.
 *
 * ovs-vswitchd with `datapath_type=netdev` reads each veth port through an AF_PACKET socket, and that socket's receive
 * buffer is the queue of the port: the kernel default (net.core.rmem_default, 208 KiB of socket memory, about 90
 * full-size frames). Every bridge of a lab lives in one ovs-vswitchd, whose main thread both forwards for all these
 * ports and does the OpenFlow work (flow mods, bundle commits, port changes). While it is busy with that for a few ms,
 * a port that carries a copy stream (16 MiB/s) fills its 90 frames in about 8 ms, and the kernel drops what comes next,
 * a probe among them: the OVS migration benchmark lost 1-11 probes in about half of its runs that way, each at a port
 * of a fabric switch right after a flow change (seen with tcpdump on both veth ends: in on one, never out of the
 * bridge; the socket's drop counter `ss -0 -m` rose by as much). A port of a real switch buffers megabytes, and a real
 * switch does not stop forwarding while its flow table changes.
 *
 * So the lab gives every such socket a receive buffer of {@link PORT_QUEUE_BYTES}. net.core.rmem_default is one value
 * for the whole machine (not per network namespace), and OVS has no setting for it; the socket is set from outside
 * instead: pidfd_getfd(2) (Linux 5.6) gives a copy of vswitchd's descriptor to a small python3 helper, which sets
 * SO_RCVBUFFORCE (root) on it; the socket is the same, only vswitchd's sockets change, nothing of the machine's.
 *
 * A port added later (a VM's port moved to another bridge by a migration, a QEMU guest's hybrid plug) gets a socket of
 * the default size until {@link deepenPortQueues} runs again; those carry only what one VM sends. Where the helper
 * cannot reach the sockets (no pidfd_getfd, not allowed to), `Lab.up` warns and goes on with the default queues.
 */
import { XsiteError } from '../core/errors';
import { run } from './exec';

/** The receive buffer each port gets (the kernel doubles an SO_RCVBUFFORCE request; this is the result). */
export const PORT_QUEUE_BYTES = 8 * 1024 * 1024;

/** python3: argv pid, bytes. Prints {"sockets": AF_PACKET sockets of the process, "deepened": of those, set}. */
const DEEPEN_PY = `
import ctypes, json, os, socket, sys
pid, size = int(sys.argv[1]), int(sys.argv[2])
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
SYS_pidfd_open, SYS_pidfd_getfd, SO_RCVBUFFORCE = 434, 438, 33
pidfd = libc.syscall(SYS_pidfd_open, pid, 0)
if pidfd < 0:
    sys.exit('pidfd_open(%d): %s' % (pid, os.strerror(ctypes.get_errno())))
found, done, errors = 0, 0, []
for fd in sorted(os.listdir('/proc/%d/fd' % pid), key=int):
    try:
        if not os.readlink('/proc/%d/fd/%s' % (pid, fd)).startswith('socket:'):
            continue
    except OSError:
        continue
    mine = libc.syscall(SYS_pidfd_getfd, pidfd, int(fd), 0)
    if mine < 0:
        errors.append('pidfd_getfd(%s): %s' % (fd, os.strerror(ctypes.get_errno())))
        continue
    try:
        s = socket.socket(fileno=mine)
        try:
            if s.family == socket.AF_PACKET:
                found += 1
                s.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, size // 2)
                if s.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF) >= size:
                    done += 1
        finally:
            s.detach()
    except OSError as e:
        errors.append('fd %s: %s' % (fd, e))
    finally:
        os.close(mine)
print(json.dumps({'sockets': found, 'deepened': done, 'errors': errors[:5]}))
`;

/** What {@link deepenPortQueues} did. */
export interface PortQueueReport {
  /** AF_PACKET sockets of the process (one per port of the userspace datapath). */
  sockets: number;
  /** Of those, how many have {@link PORT_QUEUE_BYTES} now. */
  deepened: number;
}

/**
 * Gives every AF_PACKET socket of process `pid` (our ovs-vswitchd) a receive buffer of `bytes` (default
 * {@link PORT_QUEUE_BYTES}). Throws `LAB_PORT_QUEUES_FAILED` when the helper cannot reach them (no pidfd_getfd, not
 * root) or a socket kept a smaller buffer.
 */
export async function deepenPortQueues(pid: number, bytes = PORT_QUEUE_BYTES): Promise<PortQueueReport> {
  const r = await run('python3', ['-c', DEEPEN_PY, String(pid), String(bytes)], { allowFail: true, timeoutMs: 10_000 });
  let out: { sockets: number; deepened: number; errors: string[] } | undefined;
  try {
    out = JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as typeof out;
  } catch {
    out = undefined;
  }
  if (r.code !== 0 || out === undefined) {
    throw new XsiteError('LAB_PORT_QUEUES_FAILED', `could not deepen the port queues of ovs-vswitchd ${pid}: ${(r.stderr || r.stdout).trim().slice(0, 300)}`, { pid });
  }
  if (out.deepened < out.sockets) {
    throw new XsiteError('LAB_PORT_QUEUES_FAILED', `${out.sockets - out.deepened} of ${out.sockets} ports of ovs-vswitchd ${pid} kept a smaller receive buffer: ${out.errors.join('; ')}`, { pid, ...out });
  }
  return { sockets: out.sockets, deepened: out.deepened };
}
