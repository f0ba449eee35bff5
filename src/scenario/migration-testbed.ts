/**
 * What the migration demo and benchmark need of a data plane with a hypervisor: the controllers of seed 000 in this
 * process with the topology's switches connected, a hypervisor behind the port, and ways to exercise the VMs that
 * are migrated: reachability, a probe stream every few milliseconds, TCP sessions that span a migration. Two
 * implementations: the emulator with the `sim` hypervisor (src/scenario/emulator-testbed.ts) and the Open vSwitch
 * lab with the `netns` or `qemu` hypervisor (src/scenario/ovs-testbed.ts).
 */
import type { Topology } from '../emulator/topology/model';
import type { HypervisorKind } from '../ports/hypervisor';
import type { InProcessControllers } from './in-process-controllers';

/** Figures of one probe stream. */
export interface ProbeFigures {
  intervalMs: number;
  sent: number;
  lost: number;
  /** Largest time between two consecutive probes that arrived (answered, for ICMP). */
  maxGapMs: number;
  /** When the lost probes were sent (epoch ms), where the data plane can tell (the first 50). */
  lostSentAt?: number[];
}

/** A running probe stream; `stop` ends it, waits for late answers, and reports. */
export interface ProbeStream {
  stop(): Promise<ProbeFigures>;
}

/** A TCP session checked end to end: every byte sent came back intact, in order, on the same connection. */
export interface SessionOutcome {
  kept: boolean;
  error?: string;
}

export interface SessionOptions {
  /** Total bytes, written `chunkBytes` at a time every `intervalMs`. */
  bytes: number;
  chunkBytes: number;
  intervalMs: number;
  timeoutMs: number;
}

export interface MigrationTestbed {
  readonly dataplane: 'emulator' | 'ovs';
  readonly hypervisor: HypervisorKind;
  /** How probes travel: UDP datagrams counted at the VM (`udp`), or ICMP echoes counted at the sender (`icmp`). */
  readonly probeKind: 'udp' | 'icmp';
  readonly topology: Topology;
  readonly ctl: InProcessControllers;
  /** The lab's prefix (Open vSwitch): what `xsite lab leftovers` looks for after the run. */
  readonly labPrefix?: string;
  /** One ping from VM `from` to VM `to`; true when answered. */
  reach(from: string, to: string): Promise<boolean>;
  /** Starts a probe stream from VM `from` to VM `to`, one every `intervalMs`. */
  startProbes(from: string, to: string, intervalMs: number): Promise<ProbeStream>;
  /** A TCP session from VM `from` to an echo service in VM `to`; resolves when it ended. */
  tcpSession(from: string, to: string, o: SessionOptions): Promise<SessionOutcome>;
  /** Frames that reached a VM of another VN so far, where the data plane can tell (undefined where it cannot). */
  leakedFrames(): number | undefined;
  /** Stops everything and releases what the testbed created (processes, namespaces, bridges). */
  close(): Promise<void>;
}
