/**
 * What a scenario (`xsite demo --scenario cross-site`) needs of a data plane: the VMs of a topology as hosts that
 * ping, open TCP sessions and exchange tagged UDP datagrams. Two implementations: the emulator's hosts
 * (src/scenario/emulator-dataplane.ts) and real network namespaces behind Open vSwitch (src/lab/ovs-dataplane.ts).
 *
 * Isolation is checked with tagged UDP datagrams: every VM runs a UDP sink that records each payload it receives;
 * a scenario sends payloads naming the sender and the intended receiver, so a payload that arrives at a VM of
 * another VN is a leak, whatever address it was sent to. `udpSendRaw` forges the Ethernet destination (a VM
 * cannot learn another VN's MACs through ARP) so the check also covers frames addressed straight to a foreign VM.
 */

/** Result of {@link ScenarioDataplane.ping}. */
export interface PingOutcome {
  sent: number;
  received: number;
}

/** Result of {@link ScenarioDataplane.tcpEcho}. */
export interface TcpOutcome {
  /** The connection opened and every byte came back intact. */
  ok: boolean;
  /** Why not, when not ok. */
  error?: string;
}

export interface ScenarioDataplane {
  readonly kind: 'emulator' | 'ovs';
  /** Starts a TCP echo server on `tcpPort` and a recording UDP sink on `udpPort` in every VM. */
  startServices(tcpPort: number, udpPort: number): Promise<void>;
  /** `count` ICMP echo requests from VM `vm` to `dstIp`, one every `intervalMs`; waits up to `timeoutMs` per reply. */
  ping(vm: string, dstIp: string, opts: { count: number; intervalMs?: number; timeoutMs: number }): Promise<PingOutcome>;
  /** Opens a TCP connection from `vm` to `dstIp:port`, sends `bytes` bytes and checks they are echoed intact. */
  tcpEcho(vm: string, dstIp: string, port: number, bytes: number, timeoutMs: number): Promise<TcpOutcome>;
  /** Sends each payload as one UDP datagram from `vm` (source port `srcPort`) to `dstIp:port` (normal ARP resolution). */
  udpSend(vm: string, dstIp: string, port: number, payloads: readonly string[], srcPort?: number): Promise<void>;
  /** Sends one UDP datagram from `vm` with Ethernet destination `dstMac` (forged, no ARP) to `dstIp:port`. */
  udpSendRaw(vm: string, dstMac: string, dstIp: string, port: number, payload: string, srcPort?: number): Promise<void>;
  /** Every payload VM `vm`'s UDP sink received so far, in arrival order. */
  udpReceived(vm: string): Promise<string[]>;
  /** Stops the services and releases everything the data plane created. */
  close(): Promise<void>;
}
