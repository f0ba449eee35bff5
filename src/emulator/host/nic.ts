/**
 * A network interface card: an Endpoint with a MAC address.
 *
 * - Receive filter (promiscuous off by default): frames to its own MAC, to broadcast, or to any multicast MAC (the
 *   group bit) are accepted; anything else is dropped and counted.
 * - Optional 802.1Q tag: with `vlan` set the NIC behaves like a VLAN sub-interface on a trunk (a VM on a tagged
 *   host port): it inserts the tag on transmit and accepts only frames tagged with that VLAN, stripping the tag.
 *   Without `vlan` it sends untagged and drops tagged frames (priority-tagged frames, VID 0, are accepted).
 * - Carrier follows the link; frames sent without carrier are dropped and counted.
 *
 * Frames handed to `onFrame` are untagged and may be views of the received frame: do not modify them.
 */
import { macToBytes } from '../../core/addr';
import { XsiteError } from '../../core/errors';
import { ETHERTYPE } from '../../codec/packet';
import type { Endpoint, Transmitter } from '../net/endpoint';
import { type Link, linkOf } from '../net/link';

export interface NicCounters {
  rxFrames: number;
  rxBytes: number;
  txFrames: number;
  txBytes: number;
  /** Received frames not for this NIC (unicast to another MAC, promiscuous off). */
  rxFiltered: number;
  /** Received frames with the wrong VLAN (or tagged when untagged is expected, and the reverse). */
  rxVlanMismatch: number;
  /** Frames too short to be Ethernet. */
  rxRunts: number;
  /** Frames sent without a link or without carrier. */
  txNoCarrier: number;
}

export interface NicOptions {
  name: string;
  mac: string;
  /** VLAN id 1-4094 to tag with on transmit and to expect on receive. */
  vlan?: number | undefined;
  /** Accept every frame whatever its destination [false]. */
  promiscuous?: boolean;
}

export class Nic implements Endpoint {
  readonly name: string;
  readonly mac: string;
  /** MAC as two integers for a cheap receive filter. */
  private readonly macHi: number;
  private readonly macLo: number;
  vlan: number | undefined;
  promiscuous: boolean;
  private tx: Transmitter | undefined = undefined;
  /** Untagged frames accepted by the filter. */
  onFrame: ((frame: Buffer) => void) | undefined = undefined;
  /** Carrier changes (link up/down, plugged/unplugged). */
  onCarrier: ((up: boolean) => void) | undefined = undefined;
  readonly counters: NicCounters = {
    rxFrames: 0,
    rxBytes: 0,
    txFrames: 0,
    txBytes: 0,
    rxFiltered: 0,
    rxVlanMismatch: 0,
    rxRunts: 0,
    txNoCarrier: 0,
  };

  constructor(options: NicOptions) {
    this.name = options.name;
    const b = macToBytes(options.mac);
    this.mac = options.mac.toLowerCase();
    this.macHi = b.readUInt16BE(0);
    this.macLo = b.readUInt32BE(2);
    if (options.vlan !== undefined && !(Number.isInteger(options.vlan) && options.vlan >= 1 && options.vlan <= 4094)) {
      throw new XsiteError('NIC_BAD_VLAN', `VLAN ${options.vlan} outside 1-4094`, { vlan: options.vlan });
    }
    this.vlan = options.vlan;
    this.promiscuous = options.promiscuous ?? false;
  }

  /** True when attached to a link whose carrier is up. */
  get carrier(): boolean {
    return this.tx !== undefined && this.tx.up;
  }

  /** True when attached to a link (up or not). */
  get attached(): boolean {
    return this.tx !== undefined;
  }

  attach(tx: Transmitter | undefined): void {
    if (tx !== undefined && this.tx !== undefined && tx !== this.tx) {
      throw new XsiteError('NIC_IN_USE', `${this.name} is already attached; detach it first`, { nic: this.name });
    }
    const was = this.carrier;
    this.tx = tx;
    const now = this.carrier;
    if (was !== now) this.onCarrier?.(now);
  }

  carrierChanged(up: boolean): void {
    this.onCarrier?.(up && this.tx !== undefined);
  }

  /** The Link the NIC is plugged into, when it is one of ours. */
  get link(): Link | undefined {
    return linkOf(this.tx);
  }

  /** Unplugs the NIC from its link (the whole Link is disconnected when it is one of ours). */
  detach(): void {
    const tx = this.tx;
    if (tx === undefined) return;
    const link = linkOf(tx);
    if (link) link.disconnect();
    else this.attach(undefined);
  }

  receive(frame: Buffer): void {
    if (frame.length < 14) {
      this.counters.rxRunts++;
      return;
    }
    if (!this.promiscuous) {
      const b0 = frame[0]!;
      // Group bit set: broadcast or multicast.
      if ((b0 & 1) === 0 && (frame.readUInt16BE(0) !== this.macHi || frame.readUInt32BE(2) !== this.macLo)) {
        this.counters.rxFiltered++;
        return;
      }
    }
    const type = frame.readUInt16BE(12);
    let out = frame;
    if (type === ETHERTYPE.VLAN) {
      if (frame.length < 18) {
        this.counters.rxRunts++;
        return;
      }
      const vid = frame.readUInt16BE(14) & 0x0fff;
      if (vid !== 0 && vid !== this.vlan) {
        this.counters.rxVlanMismatch++;
        return;
      }
      out = untag(frame);
    } else if (this.vlan !== undefined) {
      this.counters.rxVlanMismatch++;
      return;
    }
    this.counters.rxFrames++;
    this.counters.rxBytes += frame.length;
    this.onFrame?.(out);
  }

  /** Sends an untagged frame (tagged here when the NIC has a VLAN). Returns false when dropped for lack of carrier. */
  send(frame: Buffer): boolean {
    const tx = this.tx;
    if (tx === undefined || !tx.up) {
      this.counters.txNoCarrier++;
      return false;
    }
    const out = this.vlan === undefined ? frame : tag(frame, this.vlan);
    this.counters.txFrames++;
    this.counters.txBytes += out.length;
    tx.transmit(out);
    return true;
  }
}

/** A copy of `frame` with an 802.1Q tag (TPID 0x8100, PCP 0) inserted after the MAC addresses. */
export function tag(frame: Buffer, vid: number): Buffer {
  const out = Buffer.allocUnsafe(frame.length + 4);
  frame.copy(out, 0, 0, 12);
  out.writeUInt16BE(ETHERTYPE.VLAN, 12);
  out.writeUInt16BE(vid & 0x0fff, 14);
  frame.copy(out, 16, 12);
  return out;
}

/** A copy of a tagged `frame` without its outer tag. */
export function untag(frame: Buffer): Buffer {
  const out = Buffer.allocUnsafe(frame.length - 4);
  frame.copy(out, 0, 0, 12);
  frame.copy(out, 12, 16);
  return out;
}
