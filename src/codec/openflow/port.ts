/** The ofp_port structure (port_status, port_desc reply) and the PORT_MOD and TABLE_MOD bodies. */
import { formatMac, parseMac } from './addr';
import { badValue, checkUint } from './fail';
import type { MessageOf, PortDesc } from './types';
import type { Reader, Writer } from './wire';

/** Size of ofp_port. */
export const OFP_PORT_LEN = 64;
/** Port names are OFP_MAX_PORT_NAME_LEN (16) bytes, NUL-terminated. */
const PORT_NAME_LEN = 16;

const macScratch = Buffer.alloc(6);

/** Writes a MAC address string as 6 bytes (OFP_BAD_VALUE if malformed). */
export function writeMac(w: Writer, mac: string, what: string): void {
  if (!parseMac(mac, macScratch, 0)) badValue(`${what}: bad MAC address ${String(mac)}`, { field: what });
  w.bytes(macScratch);
}

/** Reads 6 bytes as a MAC address string. */
export function readMac(r: Reader): string {
  r.need(6, 'MAC address');
  const s = formatMac(r.buf, r.pos);
  r.pos += 6;
  return s;
}

/** Writes one 64-byte ofp_port. The name is truncated to 15 bytes (it must stay NUL-terminated). */
export function encodePortDesc(w: Writer, p: PortDesc): void {
  checkUint(p.portNo, 0xffffffff, 'port_no');
  w.u32(p.portNo).u32(0);
  writeMac(w, p.hwAddr, 'hw_addr');
  w.u16(0).str(p.name, PORT_NAME_LEN);
  checkUint(p.config, 0xffffffff, 'port config');
  checkUint(p.state, 0xffffffff, 'port state');
  checkUint(p.curr, 0xffffffff, 'port curr');
  checkUint(p.advertised, 0xffffffff, 'port advertised');
  checkUint(p.supported, 0xffffffff, 'port supported');
  checkUint(p.peer, 0xffffffff, 'port peer');
  checkUint(p.currSpeed, 0xffffffff, 'port curr_speed');
  checkUint(p.maxSpeed, 0xffffffff, 'port max_speed');
  w.u32(p.config).u32(p.state).u32(p.curr).u32(p.advertised).u32(p.supported).u32(p.peer);
  w.u32(p.currSpeed).u32(p.maxSpeed);
}

/** Reads one 64-byte ofp_port. */
export function decodePortDesc(r: Reader): PortDesc {
  r.need(OFP_PORT_LEN, 'ofp_port');
  const portNo = r.u32();
  r.skip(4);
  const hwAddr = readMac(r);
  r.skip(2);
  const name = r.str(PORT_NAME_LEN);
  return {
    portNo,
    hwAddr,
    name,
    config: r.u32(),
    state: r.u32(),
    curr: r.u32(),
    advertised: r.u32(),
    supported: r.u32(),
    peer: r.u32(),
    currSpeed: r.u32(),
    maxSpeed: r.u32(),
  };
}

/** Writes a PORT_MOD body. */
export function encodePortMod(w: Writer, m: MessageOf<'port_mod'>): void {
  checkUint(m.portNo, 0xffffffff, 'port_no');
  checkUint(m.config, 0xffffffff, 'port_mod config');
  checkUint(m.mask, 0xffffffff, 'port_mod mask');
  checkUint(m.advertise, 0xffffffff, 'port_mod advertise');
  w.u32(m.portNo).u32(0);
  writeMac(w, m.hwAddr, 'hw_addr');
  w.u16(0).u32(m.config).u32(m.mask).u32(m.advertise).u32(0);
}

/** Reads a PORT_MOD body. */
export function decodePortMod(r: Reader): MessageOf<'port_mod'> {
  const portNo = r.u32();
  r.skip(4);
  const hwAddr = readMac(r);
  r.skip(2);
  const config = r.u32();
  const mask = r.u32();
  const advertise = r.u32();
  r.skip(4);
  return { type: 'port_mod', portNo, hwAddr, config, mask, advertise };
}

/** Writes a TABLE_MOD body. */
export function encodeTableMod(w: Writer, m: MessageOf<'table_mod'>): void {
  checkUint(m.tableId, 0xff, 'table_id');
  checkUint(m.config, 0xffffffff, 'table config');
  w.u8(m.tableId).zeros(3).u32(m.config);
}

/** Reads a TABLE_MOD body. */
export function decodeTableMod(r: Reader): MessageOf<'table_mod'> {
  const tableId = r.u8();
  r.skip(3);
  return { type: 'table_mod', tableId, config: r.u32() };
}
