/**
 * Meters: meter_mod with Open vSwitch's checks (kbps or pktps required, drop bands only, rate > 0), and token-bucket
 * drop bands on the switch's Clock as OVS's userspace datapath runs them: each band's bucket holds up to its burst
 * (default: the rate, i.e. one second) and refills at the rate; a packet exceeding some bands is handled by the
 * exceeded band with the highest rate.
 */
import { OFPMC, OFPMF, OFPMMFC, OFPM } from '../../codec/openflow/constants';
import { OFPET } from '../../codec/openflow/errors';
import type { MessageOf, MeterBand, MeterConfig, MeterStats } from '../../codec/openflow/types';
import { refuse } from './errors';

/** One meter. */
export class Meter {
  packetIn = 0;
  byteIn = 0;
  readonly bandPackets: number[];
  readonly bandBytes: number[];
  /** Tokens per band: bits (kbps meters) or milli-packets (pktps). */
  readonly tokens: number[];
  lastRefill: number;

  constructor(
    readonly meterId: number,
    readonly flags: number,
    /** Bands as reported (burst defaulted to the rate). */
    readonly bands: MeterBand[],
    readonly created: number,
  ) {
    this.bandPackets = bands.map(() => 0);
    this.bandBytes = bands.map(() => 0);
    this.tokens = bands.map((b) => this.capacity(b));
    this.lastRefill = created;
  }

  private get pktps(): boolean {
    return (this.flags & OFPMF.PKTPS) !== 0;
  }

  /** Bucket size of a band in token units. */
  capacity(b: MeterBand): number {
    return b.burstSize * 1000;
  }

  /** Charges a packet of `bytes` at time `now`; returns false when a drop band applies. */
  charge(bytes: number, now: number): boolean {
    this.packetIn++;
    this.byteIn += bytes;
    const dt = Math.max(0, now - this.lastRefill);
    this.lastRefill = now;
    const cost = this.pktps ? 1000 : bytes * 8;
    let exceeded = -1;
    for (let i = 0; i < this.bands.length; i++) {
      const b = this.bands[i]!;
      // kbps: rate kbit/s = rate bits/ms; pktps: rate pkt/s = rate milli-packets/ms.
      const t = Math.min(this.capacity(b), this.tokens[i]! + dt * b.rate);
      if (t >= cost) this.tokens[i] = t - cost;
      else {
        this.tokens[i] = t;
        if (exceeded < 0 || b.rate > this.bands[exceeded]!.rate) exceeded = i;
      }
    }
    if (exceeded < 0) return true;
    this.bandPackets[exceeded]!++;
    this.bandBytes[exceeded]! += bytes;
    return this.bands[exceeded]!.type !== 'drop';
  }
}

function badMeter(code: number, msg: string): never {
  refuse(OFPET.METER_MOD_FAILED, code, msg);
}

/** All meters of a switch. */
export class MeterTable {
  meters = new Map<number, Meter>();

  get(id: number): Meter | undefined {
    return this.meters.get(id);
  }

  has(id: number): boolean {
    return this.meters.has(id);
  }

  private build(m: MessageOf<'meter_mod'>, now: number): Meter {
    if (m.meterId === 0 || m.meterId > OFPM.MAX) badMeter(OFPMMFC.INVALID_METER, `meter id ${m.meterId}`);
    const kbps = (m.flags & OFPMF.KBPS) !== 0;
    const pktps = (m.flags & OFPMF.PKTPS) !== 0;
    if (kbps === pktps || (m.flags & ~0xf) !== 0) badMeter(OFPMMFC.BAD_FLAGS, `meter flags ${m.flags}`);
    if (m.bands.length === 0) badMeter(OFPMMFC.OUT_OF_BANDS, 'meter without bands');
    const bands: MeterBand[] = [];
    for (const b of m.bands) {
      if (b.type !== 'drop') badMeter(OFPMMFC.BAD_BAND, `meter band ${b.type} not supported`);
      if (b.rate === 0) badMeter(OFPMMFC.BAD_RATE, 'meter band rate 0');
      bands.push({ type: 'drop', rate: b.rate, burstSize: b.burstSize === 0 ? b.rate : b.burstSize });
    }
    return new Meter(m.meterId, m.flags, bands, now);
  }

  /** Applies a meter_mod; returns the ids of deleted meters (their flows go too). */
  mod(m: MessageOf<'meter_mod'>, now: number): number[] {
    switch (m.command) {
      case OFPMC.ADD: {
        const meter = this.build(m, now);
        if (this.meters.has(m.meterId)) badMeter(OFPMMFC.METER_EXISTS, `meter ${m.meterId} exists`);
        this.meters.set(m.meterId, meter);
        return [];
      }
      case OFPMC.MODIFY: {
        const meter = this.build(m, now);
        const old = this.meters.get(m.meterId);
        if (old === undefined) badMeter(OFPMMFC.UNKNOWN_METER, `meter ${m.meterId} unknown`);
        const kept = new Meter(meter.meterId, meter.flags, meter.bands, old.created);
        kept.packetIn = old.packetIn;
        kept.byteIn = old.byteIn;
        this.meters.set(m.meterId, kept);
        return [];
      }
      case OFPMC.DELETE: {
        if (m.meterId === OFPM.ALL) {
          const ids = [...this.meters.keys()];
          this.meters.clear();
          return ids;
        }
        return this.meters.delete(m.meterId) ? [m.meterId] : [];
      }
      default:
        return badMeter(OFPMMFC.BAD_COMMAND, `meter command ${m.command}`);
    }
  }

  private select(id: number): Meter[] {
    if (id === OFPM.ALL) return [...this.meters.values()];
    const m = this.meters.get(id);
    return m ? [m] : [];
  }

  /** meter_config reply body. */
  config(id: number): MeterConfig[] {
    return this.select(id).map((m) => ({ flags: m.flags, meterId: m.meterId, bands: m.bands }));
  }

  /** meter stats reply body; `flowCount` counts flows using each meter. */
  stats(id: number, now: number, flowCount: (id: number) => number): MeterStats[] {
    return this.select(id).map((m) => {
      const d = Math.max(0, now - m.created);
      return {
        meterId: m.meterId,
        flowCount: flowCount(m.meterId),
        packetInCount: BigInt(m.packetIn),
        byteInCount: BigInt(m.byteIn),
        durationSec: Math.floor(d / 1000),
        durationNsec: Math.floor((d % 1000) * 1e6),
        bands: m.bands.map((_, i) => ({ packetBandCount: BigInt(m.bandPackets[i]!), byteBandCount: BigInt(m.bandBytes[i]!) })),
      };
    });
  }

  snapshot(): Map<number, Meter> {
    return new Map(this.meters);
  }

  restore(s: Map<number, Meter>): void {
    this.meters = s;
  }
}
