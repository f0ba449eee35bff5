/**
 * Errors of the packet codecs. Every decoding failure is a {@link PacketDecodeError} created by
 * {@link packetDecodeError} (the one place where they are made); every invalid builder input is a
 * {@link PacketBuildError}. Callers match on `code`, never on the message.
 */
import { XsiteError } from '../../core/errors';

/**
 * Stable codes of {@link PacketDecodeError}:
 * - `PKT_TRUNCATED`: a header (or a length it announces) runs past the end of the buffer;
 * - `PKT_TOO_MANY_VLANS`: more stacked 802.1Q/802.1ad tags than {@link MAX_VLAN_TAGS};
 * - `PKT_BAD_VERSION`: IPv4/IPv6 version nibble does not match the ethertype;
 * - `PKT_BAD_IHL`: IPv4 IHL below 5;
 * - `PKT_BAD_TOTAL_LENGTH`: IPv4 total length smaller than the header or beyond the buffer;
 * - `PKT_BAD_PAYLOAD_LENGTH`: IPv6 payload length beyond the buffer;
 * - `PKT_BAD_EXT_HEADER`: an IPv6 extension header runs past the IPv6 payload;
 * - `PKT_TOO_MANY_EXT_HEADERS`: more IPv6 extension headers than {@link MAX_IPV6_EXT_HEADERS};
 * - `PKT_BAD_TCP_OFFSET`: TCP data offset below 5 (a header running past the segment is `PKT_TRUNCATED`);
 * - `PKT_BAD_UDP_LENGTH`: UDP length below 8 or beyond the IP payload;
 * - `PKT_BAD_ND_OPTION`: an ICMPv6 neighbor-discovery option with length 0 or running past the message.
 */
export type PacketDecodeCode =
  | 'PKT_TRUNCATED'
  | 'PKT_TOO_MANY_VLANS'
  | 'PKT_BAD_VERSION'
  | 'PKT_BAD_IHL'
  | 'PKT_BAD_TOTAL_LENGTH'
  | 'PKT_BAD_PAYLOAD_LENGTH'
  | 'PKT_BAD_EXT_HEADER'
  | 'PKT_TOO_MANY_EXT_HEADERS'
  | 'PKT_BAD_TCP_OFFSET'
  | 'PKT_BAD_UDP_LENGTH'
  | 'PKT_BAD_ND_OPTION';

/** The protocol layer a decoding error was found in. */
export type PacketLayer = 'ethernet' | 'vlan' | 'arp' | 'ipv4' | 'ipv6' | 'icmp' | 'icmpv6' | 'tcp' | 'udp';

/** Maximum number of stacked VLAN tags parsePacket accepts. */
export const MAX_VLAN_TAGS = 8;
/** Maximum number of IPv6 extension headers parsePacket walks before giving up. */
export const MAX_IPV6_EXT_HEADERS = 8;

/** A malformed frame. `details` holds `{ layer, offset }` (offset of the offending header in the frame). */
export class PacketDecodeError extends XsiteError {
  declare readonly code: PacketDecodeCode;
  /** Layer whose header is malformed. */
  readonly layer: PacketLayer;
  /** Byte offset in the frame of the malformed header. */
  readonly offset: number;

  constructor(code: PacketDecodeCode, layer: PacketLayer, offset: number, message: string) {
    super(code, `${layer} at offset ${offset}: ${message}`, { layer, offset });
    this.layer = layer;
    this.offset = offset;
  }
}

/** Creates (does not throw) a {@link PacketDecodeError}; the single construction point used by every decoder. */
export function packetDecodeError(
  code: PacketDecodeCode,
  layer: PacketLayer,
  offset: number,
  message: string,
): PacketDecodeError {
  return new PacketDecodeError(code, layer, offset, message);
}

/** Invalid input to a packet builder (code `PKT_BAD_SPEC`); address errors surface as `BAD_ADDRESS`. */
export class PacketBuildError extends XsiteError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('PKT_BAD_SPEC', message, details);
  }
}

/** True when `e` is a {@link PacketDecodeError}, optionally with the given code. */
export function isPacketDecodeError(e: unknown, code?: PacketDecodeCode): e is PacketDecodeError {
  return e instanceof PacketDecodeError && (code === undefined || e.code === code);
}
