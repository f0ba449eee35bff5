/**
 * Counts frames that reach an emulated VM from outside its virtual network: every frame a VM's NIC receives must
 * come from a VM of the same VN (its MAC; cross-site frames arrive with the peer's MAC restored by the gateway) or
 * from the controller's ARP answers for the default gateway ({@link XSITE_GATEWAY_MAC}). Anything else is a leak
 * between tenants or VNs.
 */
import type { EmulatedNetwork } from '../emulator/network';
import type { Topology } from '../emulator/topology/model';
import { macFromBytes } from '../core/addr';
import { XSITE_GATEWAY_MAC } from '../local/managers/arp';

/** One frame that reached a VM of another VN. */
export interface LeakedFrame {
  vm: string;
  srcMac: string;
}

export class LeakWatch {
  readonly leaks: LeakedFrame[] = [];
  /** Frames checked. */
  frames = 0;
  private readonly restore: (() => void)[] = [];

  constructor(net: EmulatedNetwork, topology: Topology, gatewayMac = XSITE_GATEWAY_MAC) {
    const byVn = new Map<string, Set<string>>();
    for (const v of topology.vms) {
      const k = `${v.tenant}/${v.vn}`;
      let s = byVn.get(k);
      if (s === undefined) byVn.set(k, (s = new Set([gatewayMac])));
      s.add(v.mac);
    }
    for (const v of topology.vms) {
      const host = net.host(v.name);
      const allowed = byVn.get(`${v.tenant}/${v.vn}`)!;
      const original = host.nic.onFrame;
      host.nic.onFrame = (frame: Buffer) => {
        this.frames++;
        if (frame.length >= 12) {
          const src = macFromBytes(frame, 6);
          if (!allowed.has(src)) this.leaks.push({ vm: v.name, srcMac: src });
        }
        original?.(frame);
      };
      this.restore.push(() => {
        host.nic.onFrame = original;
      });
    }
  }

  /** Stops watching. */
  close(): void {
    for (const r of this.restore.splice(0)) r();
  }
}
