/**
 * Worker thread of the OpenFlow benchmark: runs the emulated switches so that the controller under test has the
 * main thread (and, on a 2-core machine, a core) to itself.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { FakeSwitch } from './fake-switch';

export interface LoadSpec {
  port: number;
  switches: number;
  macs: number;
  mode: 'throughput' | 'latency';
  /** Packet-ins kept in flight per switch in throughput mode. */
  window: number;
  warmupMs: number;
  measureMs: number;
}

export interface LoadResult {
  mode: LoadSpec['mode'];
  responses: number;
  seconds: number;
  responsesPerSec: number;
}

function run(spec: LoadSpec): void {
  const switches: FakeSwitch[] = [];
  let ready = 0;
  let measuring = false;
  let counted = 0;
  let started = 0;
  const inFlight = spec.mode === 'latency' ? 1 : spec.window;

  const start = () => {
    for (const s of switches) s.sendPacketIns(inFlight);
    setTimeout(() => {
      measuring = true;
      started = performance.now();
      counted = 0;
      setTimeout(() => {
        const seconds = (performance.now() - started) / 1000;
        measuring = false;
        for (const s of switches) s.close();
        const result: LoadResult = { mode: spec.mode, responses: counted, seconds, responsesPerSec: Math.round(counted / seconds) };
        parentPort!.postMessage(result);
      }, spec.measureMs);
    }, spec.warmupMs);
  };

  for (let i = 0; i < spec.switches; i++) {
    const s = new FakeSwitch({ dpid: BigInt(i + 1), port: spec.port, macs: spec.macs });
    s.onReady = () => {
      ready++;
      if (ready === spec.switches) start();
    };
    // Refill in batches so throughput mode does not pay one write per packet-in.
    let refill = 0;
    s.onResponse = () => {
      if (measuring) counted++;
      refill++;
      const batch = spec.mode === 'latency' ? 1 : Math.max(1, spec.window >> 2);
      if (refill >= batch) {
        s.sendPacketIns(refill);
        refill = 0;
      }
    };
    switches.push(s);
  }
}

run(workerData as LoadSpec);
