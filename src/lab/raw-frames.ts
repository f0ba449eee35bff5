/**
 * Writes ready-made Ethernet frames to an interface inside a network namespace through an AF_PACKET socket (python3,
 * as root): frames with a forged destination, gratuitous ARPs after a move.
 */
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
