/**
 * Packet codecs: decode frames into typed layers (`parsePacket`), encode them (`buildPacket` and the controller
 * helpers), verify checksums. Pure: no I/O. The internet checksum lives in `./checksum` (also re-exported here).
 */
export * from './types';
export * from './constants';
export * from './errors';
export * from './checksum';
export { parsePacket, tryParsePacket, type ParseOptions, type ParseResult } from './parse';
export { verifyChecksums } from './verify';
export { buildPacket, type PacketSpec, type BuildOptions } from './build';
export type { EthernetSpec, VlanSpec } from './ethernet';
export type { ArpSpec } from './arp';
export type { Ipv4Spec } from './ipv4';
export type { Ipv6Spec, Ipv6ExtSpec } from './ipv6';
export type { IcmpSpec } from './icmp';
export type { Icmpv6Spec } from './icmpv6';
export type { TcpSpec } from './tcp';
export type { UdpSpec } from './udp';
export * from './helpers';
