/** Body of METER_MOD (ofp_meter_mod) and the ofp_meter_band list it shares with the meter_config reply. */
import { OFPMBT, OFPMMFC } from './constants';
import { OFPET } from './errors';
import { badValue, checkBytes, checkUint, decodeFail } from './fail';
import type { MessageOf, MeterBand } from './types';
import type { Reader, Writer } from './wire';

/** Writes a list of ofp_meter_band_*. */
export function encodeBands(w: Writer, bands: readonly MeterBand[]): void {
  for (const b of bands) {
    checkUint(b.rate, 0xffffffff, 'meter band rate');
    checkUint(b.burstSize, 0xffffffff, 'meter band burst_size');
    const start = w.pos;
    switch (b.type) {
      case 'drop':
        w.u16(OFPMBT.DROP).u16(16).u32(b.rate).u32(b.burstSize).u32(0);
        break;
      case 'dscp_remark':
        checkUint(b.precLevel, 0xff, 'meter band prec_level');
        w.u16(OFPMBT.DSCP_REMARK).u16(16).u32(b.rate).u32(b.burstSize).u8(b.precLevel).zeros(3);
        break;
      case 'experimenter':
        checkUint(b.experimenter, 0xffffffff, 'meter band experimenter');
        checkBytes(b.data, 'meter band data');
        w.u16(OFPMBT.EXPERIMENTER).u16(0).u32(b.rate).u32(b.burstSize).u32(b.experimenter).bytes(b.data);
        w.pad8(start);
        if (w.pos - start > 0xffff) badValue('meter band too long');
        w.patchU16(start + 2, w.pos - start);
        break;
      default:
        badValue(`unknown meter band type ${String((b as { type: unknown }).type)}`);
    }
  }
}

function badBand(message: string, offset: number): never {
  return decodeFail('OFP_BAD_METER_BAND', message, OFPET.METER_MOD_FAILED, OFPMMFC.BAD_BAND, { offset });
}

/**
 * Reads meter bands filling the window `r`. Unknown band type, or a length that is wrong for the type, not a multiple
 * of 8 or past the window -> OFPET_METER_MOD_FAILED / OFPMMFC_BAD_BAND.
 */
export function decodeBands(r: Reader): MeterBand[] {
  const out: MeterBand[] = [];
  const buf = r.buf;
  while (r.remaining > 0) {
    const p = r.pos;
    if (r.remaining < 16) badBand(`truncated meter band (${r.remaining} bytes)`, p);
    const type = buf.readUInt16BE(p);
    const len = buf.readUInt16BE(p + 2);
    if (len < 16 || (len & 7) !== 0 || len > r.remaining) badBand(`meter band length ${len} invalid`, p);
    const rate = buf.readUInt32BE(p + 4);
    const burstSize = buf.readUInt32BE(p + 8);
    switch (type) {
      case OFPMBT.DROP:
        if (len !== 16) badBand(`drop band length ${len}`, p);
        out.push({ type: 'drop', rate, burstSize });
        break;
      case OFPMBT.DSCP_REMARK:
        if (len !== 16) badBand(`dscp_remark band length ${len}`, p);
        out.push({ type: 'dscp_remark', rate, burstSize, precLevel: buf[p + 12]! });
        break;
      case OFPMBT.EXPERIMENTER:
        r.pos = p + 16;
        out.push({ type: 'experimenter', rate, burstSize, experimenter: buf.readUInt32BE(p + 12), data: r.bytes(len - 16) });
        break;
      default:
        badBand(`unknown meter band type ${type}`, p);
    }
    r.pos = p + len;
  }
  return out;
}

/** Writes a METER_MOD body. */
export function encodeMeterMod(w: Writer, m: MessageOf<'meter_mod'>): void {
  checkUint(m.command, 0xffff, 'meter command');
  checkUint(m.flags, 0xffff, 'meter flags');
  checkUint(m.meterId, 0xffffffff, 'meter id');
  w.u16(m.command).u16(m.flags).u32(m.meterId);
  encodeBands(w, m.bands);
}

/** Reads a METER_MOD body. */
export function decodeMeterMod(r: Reader): MessageOf<'meter_mod'> {
  const command = r.u16();
  const flags = r.u16();
  const meterId = r.u32();
  return { type: 'meter_mod', command, flags, meterId, bands: decodeBands(r) };
}
