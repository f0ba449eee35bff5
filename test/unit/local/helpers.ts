/** A SoftSwitch behind an OfAgent, driven by a real SwitchConnection over an in-memory duplex. */
import type { OfpMessage } from '../../../src/codec/openflow/types';
import { VirtualClock } from '../../../src/core/clock';
import { OfAgent, SoftSwitch } from '../../../src/emulator/switch';
import { SwitchConnection } from '../../../src/openflow/connection';
import { memoryDuplexPair } from '../../../src/openflow/memory-duplex';

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
