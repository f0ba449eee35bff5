/** Test set-ups: a SoftSwitch behind an OfAgent driven by a real SwitchConnection; a LocalController on an emulated DC. */
import type { OfpMessage } from '../../../src/codec/openflow/types';
import { VirtualClock } from '../../../src/core/clock';
import { OfAgent, SoftSwitch } from '../../../src/emulator/switch';
import { SwitchConnection } from '../../../src/openflow/connection';
import { memoryDuplexPair } from '../../../src/openflow/memory-duplex';
import { EmulatedNetwork } from '../../../src/emulator/network';
import type { Topology } from '../../../src/emulator/topology/model';
import { LocalController, type LocalControllerOptions } from '../../../src/local/local-controller';
import { OpenFlowController } from '../../../src/openflow/controller';

export interface EmulatedSwitch {
  sw: SoftSwitch;
  conn: SwitchConnection;
  /** Every message the switch received from the controller (bundle_add wrappers and their inner messages). */
  received: OfpMessage[];
  /** Types of received messages since the last `clear`. */
  types(): string[];
  clear(): void;
  close(): void;
}

/**
 * Starts a switch and connects a controller to it. `intercept` may answer a message in place of the switch
 * (return the replies) or return undefined to let the switch handle it.
 */
export async function emulatedSwitch(intercept?: (m: OfpMessage) => OfpMessage[] | undefined): Promise<EmulatedSwitch> {
  const sw = new SoftSwitch({ dpid: 0x5en, name: 'sw', clock: new VirtualClock(), failMode: 'secure' });
  for (let p = 1; p <= 4; p++) sw.addPort(p, `p${p}`);
  const received: OfpMessage[] = [];
  const handle = sw.handleMessage.bind(sw);
  sw.handleMessage = (m: OfpMessage) => {
    received.push(m);
    return intercept?.(m) ?? handle(m);
  };
  const agent = new OfAgent(sw);
  const [a, b] = memoryDuplexPair();
  agent.attach(a);
  const conn = new SwitchConnection(b);
  await new Promise<void>((resolve, reject) => {
    conn.once('ready', resolve);
    conn.once('close', (r) => reject(new Error(`closed: ${r}`)));
  });
  received.length = 0;
  return {
    sw,
    conn,
    received,
    types: () => received.map((m) => (m.type === 'bundle_add' ? `bundle_add(${m.message.type})` : m.type)),
    clear: () => {
      received.length = 0;
    },
    close: () => {
      conn.close();
      agent.close();
    },
  };
}

/** A LocalController for DC `dc` of `topology`, driving the emulated network of it over in-memory OpenFlow. */
export interface LocalOnEmulator {
  net: EmulatedNetwork;
  of: OpenFlowController;
  lc: LocalController;
  close(): Promise<void>;
}

/** Builds the emulated network, connects its switches to a new LocalController and waits until they are reconciled. */
export async function localOnEmulator(topology: Topology, dc: string, opts: Partial<LocalControllerOptions> = {}): Promise<LocalOnEmulator> {
  const net = EmulatedNetwork.build(topology);
  const of = new OpenFlowController();
  const lc = new LocalController({ topology, dc, ...opts });
  of.use(lc);
  const close = async () => {
    await of.close();
    net.close();
  };
  try {
    net.connectControllers(() => {
      const [a, b] = memoryDuplexPair();
      of.accept(a);
      return b;
    });
    await lc.waitForSwitches(5000);
  } catch (e) {
    await close();
    throw e;
  }
  return { net, of, lc, close };
}
