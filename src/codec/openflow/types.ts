/**
 * OpenFlow 1.3 messages as typed discriminated unions. The codec turns bytes into these and back; nothing here
 * does I/O. Numeric enums live in constants.ts; value conventions:
 *  - 64-bit quantities (cookies, datapath ids, counters, metadata, tunnel ids) are bigint;
 *  - MAC addresses are lower-case "aa:bb:cc:dd:ee:ff", IPv4 dotted quads, IPv6 RFC 5952 text;
 *  - opaque payloads are Buffers.
 */

/** Names of the OpenFlow-basic OXM fields (class 0x8000), as in the specification without the OXM_OF_ prefix. */
export type OxmFieldName =
  | 'in_port'
  | 'in_phy_port'
  | 'metadata'
  | 'eth_dst'
  | 'eth_src'
  | 'eth_type'
  | 'vlan_vid'
  | 'vlan_pcp'
  | 'ip_dscp'
  | 'ip_ecn'
  | 'ip_proto'
  | 'ipv4_src'
  | 'ipv4_dst'
  | 'tcp_src'
  | 'tcp_dst'
  | 'udp_src'
  | 'udp_dst'
  | 'sctp_src'
  | 'sctp_dst'
  | 'icmpv4_type'
  | 'icmpv4_code'
  | 'arp_op'
  | 'arp_spa'
  | 'arp_tpa'
  | 'arp_sha'
  | 'arp_tha'
  | 'ipv6_src'
  | 'ipv6_dst'
  | 'ipv6_flabel'
  | 'icmpv6_type'
  | 'icmpv6_code'
  | 'ipv6_nd_target'
  | 'ipv6_nd_sll'
  | 'ipv6_nd_tll'
  | 'mpls_label'
  | 'mpls_tc'
  | 'mpls_bos'
  | 'pbb_isid'
  | 'tunnel_id'
  | 'ipv6_exthdr';

/** Value of an OXM field: number for up-to-32-bit fields, bigint for 64-bit, string for addresses. */
export type OxmValue = number | bigint | string;

/** One OXM TLV of the OpenFlow-basic class. */
export interface OxmBasic {
  field: OxmFieldName;
  value: OxmValue;
  /** Present only when the TLV carries a mask (HM bit set). */
  mask?: OxmValue;
}

/** An OXM TLV of another class (NXM, experimenter, ...), kept as bytes so it round-trips unchanged. */
export interface OxmRaw {
  field: 'raw';
  oxmClass: number;
  oxmField: number;
  hasMask: boolean;
  /** value then mask, exactly as on the wire (for class 0xffff the 4-byte experimenter id comes first). */
  payload: Buffer;
}

export type OxmTlv = OxmBasic | OxmRaw;

/** An OXM match (ofp_match of type OFPMT_OXM): ordered TLVs, order preserved for byte-exact round trips. */
export type Match = OxmTlv[];

// ---------------------------------------------------------------------------------------------------------------
// Actions (OpenFlow 1.3 section A.2.5)

export type Action =
  | { type: 'output'; port: number; maxLen: number }
  | { type: 'copy_ttl_out' }
  | { type: 'copy_ttl_in' }
  | { type: 'set_mpls_ttl'; ttl: number }
  | { type: 'dec_mpls_ttl' }
  | { type: 'push_vlan'; ethertype: number }
  | { type: 'pop_vlan' }
  | { type: 'push_mpls'; ethertype: number }
  | { type: 'pop_mpls'; ethertype: number }
  | { type: 'set_queue'; queueId: number }
  | { type: 'group'; groupId: number }
  | { type: 'set_nw_ttl'; ttl: number }
  | { type: 'dec_nw_ttl' }
  | { type: 'set_field'; field: OxmTlv }
  | { type: 'push_pbb'; ethertype: number }
  | { type: 'pop_pbb' }
  | { type: 'experimenter'; experimenter: number; data: Buffer };

export type ActionType = Action['type'];

// ---------------------------------------------------------------------------------------------------------------
// Instructions (section A.2.4)

export type Instruction =
  | { type: 'goto_table'; tableId: number }
  | { type: 'write_metadata'; metadata: bigint; mask: bigint }
  | { type: 'write_actions'; actions: Action[] }
  | { type: 'apply_actions'; actions: Action[] }
  | { type: 'clear_actions' }
  | { type: 'meter'; meterId: number }
  | { type: 'experimenter'; experimenter: number; data: Buffer };

// ---------------------------------------------------------------------------------------------------------------
// Structures shared by several messages

export interface PortDesc {
  portNo: number;
  hwAddr: string;
  name: string;
  config: number;
  state: number;
  curr: number;
  advertised: number;
  supported: number;
  peer: number;
  currSpeed: number;
  maxSpeed: number;
}

export interface Bucket {
  weight: number;
  watchPort: number;
  watchGroup: number;
  actions: Action[];
}

export type MeterBand =
  | { type: 'drop'; rate: number; burstSize: number }
  | { type: 'dscp_remark'; rate: number; burstSize: number; precLevel: number }
  | { type: 'experimenter'; rate: number; burstSize: number; experimenter: number; data: Buffer };

export interface FlowStats {
  tableId: number;
  durationSec: number;
  durationNsec: number;
  priority: number;
  idleTimeout: number;
  hardTimeout: number;
  flags: number;
  cookie: bigint;
  packetCount: bigint;
  byteCount: bigint;
  match: Match;
  instructions: Instruction[];
}

export interface TableStats {
  tableId: number;
  activeCount: number;
  lookupCount: bigint;
  matchedCount: bigint;
}

export interface PortStats {
  portNo: number;
  rxPackets: bigint;
  txPackets: bigint;
  rxBytes: bigint;
  txBytes: bigint;
  rxDropped: bigint;
  txDropped: bigint;
  rxErrors: bigint;
  txErrors: bigint;
  rxFrameErr: bigint;
  rxOverErr: bigint;
  rxCrcErr: bigint;
  collisions: bigint;
  durationSec: number;
  durationNsec: number;
}

export interface GroupStats {
  groupId: number;
  refCount: number;
  packetCount: bigint;
  byteCount: bigint;
  durationSec: number;
  durationNsec: number;
  buckets: { packetCount: bigint; byteCount: bigint }[];
}

export interface GroupDesc {
  groupType: number;
  groupId: number;
  buckets: Bucket[];
}

export interface MeterStats {
  meterId: number;
  flowCount: number;
  packetInCount: bigint;
  byteInCount: bigint;
  durationSec: number;
  durationNsec: number;
  bands: { packetBandCount: bigint; byteBandCount: bigint }[];
}

export interface MeterConfig {
  flags: number;
  meterId: number;
  bands: MeterBand[];
}

export interface SwitchDesc {
  mfrDesc: string;
  hwDesc: string;
  swDesc: string;
  serialNum: string;
  dpDesc: string;
}

/** Match criteria of flow and aggregate stats requests. */
export interface FlowStatsRequest {
  tableId: number;
  outPort: number;
  outGroup: number;
  cookie: bigint;
  cookieMask: bigint;
  match: Match;
}

export type MultipartRequestBody =
  | { mpType: 'desc' }
  | ({ mpType: 'flow' } & FlowStatsRequest)
  | ({ mpType: 'aggregate' } & FlowStatsRequest)
  | { mpType: 'table' }
  | { mpType: 'port_stats'; portNo: number }
  | { mpType: 'port_desc' }
  | { mpType: 'group'; groupId: number }
  | { mpType: 'group_desc' }
  | { mpType: 'meter'; meterId: number }
  | { mpType: 'meter_config'; meterId: number }
  | { mpType: 'experimenter'; experimenter: number; expType: number; data: Buffer };

export type MultipartReplyBody =
  | ({ mpType: 'desc' } & SwitchDesc)
  | { mpType: 'flow'; stats: FlowStats[] }
  | { mpType: 'aggregate'; packetCount: bigint; byteCount: bigint; flowCount: number }
  | { mpType: 'table'; stats: TableStats[] }
  | { mpType: 'port_stats'; stats: PortStats[] }
  | { mpType: 'port_desc'; ports: PortDesc[] }
  | { mpType: 'group'; stats: GroupStats[] }
  | { mpType: 'group_desc'; groups: GroupDesc[] }
  | { mpType: 'meter'; stats: MeterStats[] }
  | { mpType: 'meter_config'; configs: MeterConfig[] }
  | { mpType: 'experimenter'; experimenter: number; expType: number; data: Buffer };

export type MultipartType = MultipartRequestBody['mpType'];

/** Async configuration masks: index 0 applies in master/equal role, index 1 in slave role. */
export interface AsyncConfig {
  packetInMask: [number, number];
  portStatusMask: [number, number];
  flowRemovedMask: [number, number];
}

/** ONF bundle extension property (EXT-230), kept opaque. */
export interface BundleProperty {
  type: number;
  data: Buffer;
}

// ---------------------------------------------------------------------------------------------------------------
// Messages

interface Base {
  /** Transaction id; the encoder uses 0 when omitted. */
  xid?: number;
}

export type OfpMessage = Base &
  (
    | {
        type: 'hello';
        /** versions from the version-bitmap element; undefined = no element */
        versions?: number[];
        /**
         * ofp_header version of the HELLO (version negotiation without a bitmap needs it). The decoder sets it only
         * when it is not 4; the encoder writes it (default 4).
         */
        version?: number;
      }
    | { type: 'error'; errType: number; code: number; data: Buffer }
    | { type: 'error_experimenter'; expType: number; experimenter: number; data: Buffer }
    | { type: 'echo_request'; data: Buffer }
    | { type: 'echo_reply'; data: Buffer }
    | { type: 'experimenter'; experimenter: number; expType: number; data: Buffer }
    | { type: 'features_request' }
    | {
        type: 'features_reply';
        datapathId: bigint;
        nBuffers: number;
        nTables: number;
        auxiliaryId: number;
        capabilities: number;
        reserved: number;
      }
    | { type: 'get_config_request' }
    | { type: 'get_config_reply'; flags: number; missSendLen: number }
    | { type: 'set_config'; flags: number; missSendLen: number }
    | {
        type: 'packet_in';
        bufferId: number;
        totalLen: number;
        reason: number;
        tableId: number;
        cookie: bigint;
        match: Match;
        data: Buffer;
      }
    | {
        type: 'flow_removed';
        cookie: bigint;
        priority: number;
        reason: number;
        tableId: number;
        durationSec: number;
        durationNsec: number;
        idleTimeout: number;
        hardTimeout: number;
        packetCount: bigint;
        byteCount: bigint;
        match: Match;
      }
    | { type: 'port_status'; reason: number; port: PortDesc }
    | { type: 'packet_out'; bufferId: number; inPort: number; actions: Action[]; data: Buffer }
    | {
        type: 'flow_mod';
        cookie: bigint;
        cookieMask: bigint;
        tableId: number;
        command: number;
        idleTimeout: number;
        hardTimeout: number;
        priority: number;
        bufferId: number;
        outPort: number;
        outGroup: number;
        flags: number;
        match: Match;
        instructions: Instruction[];
      }
    | { type: 'group_mod'; command: number; groupType: number; groupId: number; buckets: Bucket[] }
    | { type: 'port_mod'; portNo: number; hwAddr: string; config: number; mask: number; advertise: number }
    | { type: 'table_mod'; tableId: number; config: number }
    | { type: 'multipart_request'; flags: number; body: MultipartRequestBody }
    | { type: 'multipart_reply'; flags: number; body: MultipartReplyBody }
    | { type: 'barrier_request' }
    | { type: 'barrier_reply' }
    | { type: 'role_request'; role: number; generationId: bigint }
    | { type: 'role_reply'; role: number; generationId: bigint }
    | { type: 'get_async_request' }
    | ({ type: 'get_async_reply' } & AsyncConfig)
    | ({ type: 'set_async' } & AsyncConfig)
    | { type: 'meter_mod'; command: number; flags: number; meterId: number; bands: MeterBand[] }
    | {
        type: 'bundle_control';
        bundleId: number;
        /** ONF_BCT_*: OPEN_REQUEST 0 ... DISCARD_REPLY 7 */
        ctrlType: number;
        flags: number;
        properties: BundleProperty[];
      }
    | { type: 'bundle_add'; bundleId: number; flags: number; message: OfpMessage; properties: BundleProperty[] }
  );

export type OfpMessageType = OfpMessage['type'];

/** The message variant with the given type tag. */
export type MessageOf<T extends OfpMessageType> = Extract<OfpMessage, { type: T }>;
