/**
 * What the lab hypervisors (`netns`, `qemu`) share before a migration starts: the destination switch must map to a
 * lab bridge, the destination port be a valid OpenFlow port that no interface of that bridge has or requests, and
 * neither the VM nor the port be taken by another migration in this process. A claim marks both until released.
 */
import type { Topology } from '../../emulator/topology/model';
import { PORT_MAX, PORT_MIN } from '../../emulator/topology/model';
import type { OvsDataplane } from '../../lab/ovs-dataplane';
import { labTopologyFromTopology } from '../../lab/topology-lab';
import { hypervisorFailed as failed } from './errors';

/** A destination held for one migration. */
export interface DestinationClaim {
  /** The lab bridge of the destination switch. */
  bridge: string;
  /** Frees the VM and the port (idempotent). */
  release(): void;
}

export class LabDestinations {
  /** Lab bridge of each topology switch. */
  readonly switchBridges: ReadonlyMap<string, string>;
  private readonly busy = new Set<string>();
  /** Destination "bridge:ofport" promised to running migrations. */
  private readonly reserved = new Set<string>();

  constructor(
    private readonly dp: OvsDataplane,
    topology: Topology,
  ) {
    this.switchBridges = labTopologyFromTopology(topology, { controllerFor: () => null }).switchBridges;
  }

  /** Whether `vm` is being migrated (or otherwise marked busy) here. */
  isBusy(vm: string): boolean {
    return this.busy.has(vm);
  }

  /** Marks `vm` busy for other work (e.g. a boot); returns the function that clears the mark. */
  markBusy(vm: string): () => void {
    this.busy.add(vm);
    return () => this.busy.delete(vm);
  }

  /** Checks and claims `to` for migrating `vm`. Rejects HYPERVISOR_FAILED, claiming nothing. */
  async claim(vm: string, to: { switch: string; port: number }): Promise<DestinationClaim> {
    const { switch: sw, port } = to;
    const bridge = this.switchBridges.get(sw);
    if (!bridge) throw failed(`destination switch ${sw} does not exist`, { vm, switch: sw });
    if (!(Number.isInteger(port) && port >= PORT_MIN && port <= PORT_MAX)) {
      throw failed(`destination port ${port} invalid (${PORT_MIN}-${PORT_MAX})`, { vm, switch: sw, port });
    }
    if (this.busy.has(vm)) throw failed(`VM ${vm} is already being migrated`, { vm });
    const key = `${bridge}:${port}`;
    if (this.reserved.has(key)) throw failed(`destination port ${port} of ${sw} is promised to another migration`, { vm, switch: sw, port });
    this.busy.add(vm);
    this.reserved.add(key);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.busy.delete(vm);
      this.reserved.delete(key);
    };
    try {
      const used = await this.interfaceAt(bridge, port);
      if (used !== undefined) throw failed(`destination port ${port} of ${sw} (bridge ${bridge}) is in use (interface ${used})`, { vm, switch: sw, port, interface: used });
    } catch (e) {
      release();
      throw e;
    }
    return { bridge, release };
  }

  /** The interface of `bridge` that has or requests `ofport`, if any. */
  private async interfaceAt(bridge: string, ofport: number): Promise<string | undefined> {
    const lab = this.dp.lab;
    const ports = new Set((await lab.vsctl('list-ports', bridge)).split('\n').map((s) => s.trim()).filter(Boolean));
    if (ports.size === 0) return undefined;
    const got = JSON.parse(await lab.vsctl('--format=json', '--columns=name,ofport,ofport_request', 'list', 'Interface')) as { data: unknown[][] };
    const row = got.data.find((r) => ports.has(String(r[0])) && (r[1] === ofport || r[2] === ofport));
    return row !== undefined ? String(row[0]) : undefined;
  }
}
