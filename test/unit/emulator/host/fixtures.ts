/** Test topology helpers: a trivial hub, a trivial learning bridge, host factories. */
import type { Clock } from '../../../../src/core/clock';
import { seededRandom } from '../../../../src/core/random';
import type { Endpoint, Transmitter } from '../../../../src/emulator/net/endpoint';
import { Link, type LinkParams } from '../../../../src/emulator/net/link';
import { EmulatedHost, type EmulatedHostOptions } from '../../../../src/emulator/host/host';

/** One port of a {@link Hub} or {@link Bridge}. */
export class SwitchPort implements Endpoint {
  tx: Transmitter | undefined;
  carrier: boolean[] = [];
  constructor(
    readonly name: string,
    private readonly onRx: (port: SwitchPort, frame: Buffer) => void,
  ) {}
  receive(frame: Buffer): void {
    this.onRx(this, frame);
  }
  attach(tx: Transmitter | undefined): void {
    this.tx = tx;
  }
  carrierChanged(up: boolean): void {
    this.carrier.push(up);
  }
  send(frame: Buffer): void {
    if (this.tx?.up) this.tx.transmit(frame);
  }
}

/** Repeats every frame out of every other port; `seen` records (port, frame) for inspection. */
export class Hub {
  readonly ports: SwitchPort[];
  readonly seen: { port: string; frame: Buffer }[] = [];
  constructor(n: number, name = 'hub') {
    this.ports = Array.from({ length: n }, (_, i) => new SwitchPort(`${name}:${i}`, (p, f) => this.forward(p, f)));
  }
  private forward(from: SwitchPort, frame: Buffer): void {
    this.seen.push({ port: from.name, frame });
    for (const p of this.ports) if (p !== from) p.send(frame);
  }
}

/** A learning bridge without ageing: unknown, broadcast and multicast destinations flood. */
export class Bridge {
  readonly ports: SwitchPort[];
  readonly table = new Map<string, SwitchPort>();
  constructor(n: number, name = 'br') {
    this.ports = Array.from({ length: n }, (_, i) => new SwitchPort(`${name}:${i}`, (p, f) => this.forward(p, f)));
  }
  private forward(from: SwitchPort, frame: Buffer): void {
    const dst = frame.subarray(0, 6).toString('hex');
    const src = frame.subarray(6, 12).toString('hex');
    if ((frame[6]! & 1) === 0) this.table.set(src, from);
    const out = (frame[0]! & 1) === 0 ? this.table.get(dst) : undefined;
    if (out !== undefined) {
      if (out !== from) out.send(frame);
      return;
    }
    for (const p of this.ports) if (p !== from) p.send(frame);
  }
}

export function mac(n: number): string {
  return `02:00:00:00:00:${n.toString(16).padStart(2, '0')}`;
}

/** Host n: MAC 02:00:00:00:00:nn, IP 10.0.0.n/24 unless overridden. */
export function host(clock: Clock, n: number, extra?: Partial<EmulatedHostOptions>): EmulatedHost {
  return new EmulatedHost({ name: `h${n}`, mac: mac(n), ip: `10.0.0.${n}/24`, clock, ...extra });
}

export function link(clock: Clock, a: Endpoint, b: Endpoint, params?: LinkParams & { seed?: number }): Link {
  const { seed, ...rest } = params ?? {};
  return new Link(a, b, { clock, random: seed === undefined ? undefined : seededRandom(seed), ...rest });
}
