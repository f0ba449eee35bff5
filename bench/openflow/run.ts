import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { L2LearningApp } from '../../src/apps/l2-learning';
import { OpenFlowController } from '../../src/openflow/controller';
import type { LoadResult, LoadSpec } from './load-worker';

export interface OpenFlowBenchOptions {
  switches?: number;
  macs?: number;
  window?: number;
  seconds?: number;
  warmupSeconds?: number;
}

export interface OpenFlowBenchResult {
  throughput: { responsesPerSec: number; responses: number; seconds: number; controllerPacketIns: number };
  latency: { responsesPerSec: number; responses: number; seconds: number; meanRttUs: number; controllerPacketIns: number };
  config: { switches: number; macsPerSwitch: number; window: number; transport: 'tcp-loopback'; app: 'l2-learning' };
}

async function runMode(port: number, spec: Omit<LoadSpec, 'port'>): Promise<LoadResult> {
  const worker = new Worker(path.join(__dirname, 'load-worker.js'), { workerData: { ...spec, port } });
  try {
    return await new Promise<LoadResult>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`load worker exited with ${code}`)));
    });
  } finally {
    await worker.terminate();
  }
}

/**
 * cbench-style benchmark of the reactive L2 learning application over loopback TCP: emulated switches (in a worker
 * thread) send buffered packet-ins for many MAC addresses; a response is a FLOW_MOD or PACKET_OUT that answers one.
 * Throughput mode keeps a window of packet-ins in flight per switch; latency mode keeps exactly one.
 */
export async function runOpenFlowBench(o: OpenFlowBenchOptions = {}): Promise<OpenFlowBenchResult> {
  const switches = o.switches ?? 16;
  const macs = o.macs ?? 1000;
  const window = o.window ?? 64;
  const measureMs = (o.seconds ?? 5) * 1000;
  const warmupMs = (o.warmupSeconds ?? 1) * 1000;
  const results: (LoadResult & { controllerPacketIns: number; controllerMessages: number })[] = [];
  for (const mode of ['throughput', 'latency'] as const) {
    // A fresh controller per mode, so the second mode does not start with learned tables.
    const controller = new OpenFlowController({ echoIntervalMs: 60000, deadAfterMs: 120000 });
    const app = new L2LearningApp();
    controller.use(app);
    const port = await controller.listen(0);
    try {
      const r = await runMode(port, { switches, macs, mode, window, warmupMs, measureMs });
      // Cross-check from the controller's side: it must have handled at least as many packet-ins as were answered.
      if (app.packetIns < r.responses) {
        throw new Error(`inconsistent benchmark: ${r.responses} responses but only ${app.packetIns} packet-ins handled`);
      }
      results.push({ ...r, controllerPacketIns: app.packetIns, controllerMessages: app.sent });
    } finally {
      await controller.close();
    }
  }
  const [t, l] = results as [(typeof results)[0], (typeof results)[0]];
  return {
    throughput: { responsesPerSec: t.responsesPerSec, responses: t.responses, seconds: round(t.seconds), controllerPacketIns: t.controllerPacketIns },
    latency: {
      responsesPerSec: l.responsesPerSec,
      responses: l.responses,
      seconds: round(l.seconds),
      controllerPacketIns: l.controllerPacketIns,
      // With one packet-in in flight per switch, each switch sees responsesPerSec/switches round trips per second.
      meanRttUs: l.responsesPerSec > 0 ? Math.round((switches * 1e6) / l.responsesPerSec) : 0,
    },
    config: { switches, macsPerSwitch: macs, window, transport: 'tcp-loopback', app: 'l2-learning' },
  };
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
