/**
 * Port queues of the lab's userspace datapath (src/lab/port-queues.ts), on real Open vSwitch: `Lab.up` gives every
 * port's AF_PACKET socket a deep receive buffer, and a burst that arrives while ovs-vswitchd is busy (here: stopped
 * with SIGSTOP for 300 ms) waits in it instead of being dropped; with the kernel's default buffer the same burst loses
 * most of its frames (the test shrinks the queues back to show it).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Lab, leftovers } from '../../src/lab/lab';
import { run, sleep } from '../../src/lab/exec';
import { deepenPortQueues, PORT_QUEUE_BYTES } from '../../src/lab/port-queues';
import { TopologyBuilder } from '../../src/lab/topology';
import { labSkipReason } from '../support/lab-guard';

const skip = labSkipReason();

/** The kernel's default receive buffer here (net.core.rmem_default), what OVS's sockets get without the lab's help. */
const DEFAULT_RCVBUF = 212992;

/** python3 in the receiver: counts UDP datagrams on :9000 until 1.5 s pass without one; prints the count. */
const RECEIVER = `
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, 33, 16 * 1024 * 1024)  # SO_RCVBUFFORCE: the receiver is not what is measured
s.bind(('0.0.0.0', 9000))
print('ready', flush=True)
s.settimeout(10.0)
n = 0
try:
    while True:
        s.recv(2048); n += 1; s.settimeout(1.5)
except socket.timeout:
    pass
print(n, flush=True)
`;

/** python3 in the sender: argv dst, count; sends count 1200-byte UDP datagrams to dst:9000 at once. */
const SENDER = `
import socket, sys
dst, count = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, 32, 16 * 1024 * 1024)  # SO_SNDBUFFORCE
for i in range(count):
    s.sendto(i.to_bytes(4, 'big') + b'x' * 1196, (dst, 9000))
print('sent', count, flush=True)
`;

/** The receive buffers of ovs-vswitchd's AF_PACKET sockets in the switch namespace, by port name (`ss -0 -m`). */
async function portBuffers(lab: Lab): Promise<Map<string, number>> {
  const r = await run('ip', ['netns', 'exec', lab.switchNamespace, 'ss', '-0', '-m', '-p', '-n']);
  const out = new Map<string, number>();
  for (const line of r.stdout.split('\n')) {
    const m = /\*:(\S+)\s.*ovs-vswitchd.*rb(\d+)/.exec(line);
    if (m) out.set(m[1]!, Number(m[2]));
  }
  return out;
}

/** h1 sends `count` datagrams to h2 while ovs-vswitchd is stopped for 300 ms; resolves with how many h2 received. */
async function burstThroughStall(lab: Lab, count: number): Promise<number> {
  const pid = lab.ovs.pids().vswitchd!;
  const rx = lab.spawn('h2', ['python3', '-u', '-c', RECEIVER]);
  let out = '';
  rx.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => rx.once('exit', () => resolve()));
  for (let i = 0; i < 50 && !out.includes('ready'); i++) await sleep(100);
  assert.match(out, /ready/, 'receiver not ready');
  process.kill(pid, 'SIGSTOP');
  try {
    await lab.exec('h1', ['python3', '-c', SENDER, lab.host('h2').address, String(count)]);
    await sleep(300);
  } finally {
    process.kill(pid, 'SIGCONT');
  }
  await exited;
  return Number(out.trim().split('\n').pop());
}

describe('lab port queues on Open vSwitch', { skip, concurrency: false }, () => {
  let lab: Lab | undefined;
  let prefix = '';

  before(async () => {
    lab = await Lab.up(
      new TopologyBuilder('port-queues')
        .bridge('s1', { failMode: 'standalone' })
        .bridge('s2', { failMode: 'standalone' })
        .host('h1', 's1', '10.0.0.1/24')
        .host('h2', 's2', '10.0.0.2/24')
        .link('s1', 's2')
        .build(),
    );
    prefix = lab.prefix;
    // The learning switches know both MACs, h1 knows h2's (the burst must not wait for ARP).
    assert.ok(await lab.ping('h1', 'h2', { count: 2, retries: 3 }));
  });

  after(async () => {
    if (lab) {
      const pid = lab.ovs.pids().vswitchd;
      if (pid !== undefined) process.kill(pid, 'SIGCONT');
      await lab.down();
    }
    assert.deepEqual((await leftovers(prefix)).map(String), []);
  });

  it('Lab.up gives every port of the datapath a deep receive queue', async () => {
    const bufs = await portBuffers(lab!);
    assert.deepEqual([...bufs.keys()].sort(), ['s1-h1', 's1-s2', 's2-h2', 's2-s1']);
    for (const [port, rb] of bufs) assert.ok(rb >= PORT_QUEUE_BYTES, `${port}: receive buffer ${rb}, wanted ${PORT_QUEUE_BYTES}`);
  });

  it('a burst that arrives while vswitchd is stopped waits in the queues; with the default buffer it is dropped', async () => {
    const count = 1500;
    const deep = await burstThroughStall(lab!, count);
    // The same with the queues the kernel gives by default (what the lab had before).
    const pid = lab!.ovs.pids().vswitchd!;
    await deepenPortQueues(pid, DEFAULT_RCVBUF);
    assert.ok([...(await portBuffers(lab!)).values()].every((rb) => rb === DEFAULT_RCVBUF));
    let shallow: number;
    try {
      shallow = await burstThroughStall(lab!, count);
    } finally {
      await lab!.deepenPortQueues();
    }
    process.stderr.write(`# ${count} datagrams through a 300 ms stall of ovs-vswitchd: ${deep} arrived with deep queues, ${shallow} with the default\n`);
    assert.equal(deep, count);
    assert.ok(shallow < count / 2, `with the default queues ${shallow} of ${count} arrived`);
  });
});
