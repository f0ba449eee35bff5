/**
 * OpenFlow 1.3 numeric constants (specification section A, "OpenFlow Protocol"), plus the ONF bundle extension
 * (EXT-230) as Open vSwitch implements it for OpenFlow 1.3. OFPET_* error types live in errors.ts.
 */

/** Wire protocol version of OpenFlow 1.3. */
export const OFP_VERSION = 4;

/** Size of ofp_header. */
export const OFP_HEADER_LEN = 8;

/** Largest message the 16-bit length field allows. */
export const OFP_MAX_MSG_LEN = 0xffff;

/** OFPT_* message types. */
export const OFPT = {
  HELLO: 0,
  ERROR: 1,
  ECHO_REQUEST: 2,
  ECHO_REPLY: 3,
  EXPERIMENTER: 4,
  FEATURES_REQUEST: 5,
  FEATURES_REPLY: 6,
  GET_CONFIG_REQUEST: 7,
  GET_CONFIG_REPLY: 8,
  SET_CONFIG: 9,
  PACKET_IN: 10,
  FLOW_REMOVED: 11,
  PORT_STATUS: 12,
  PACKET_OUT: 13,
  FLOW_MOD: 14,
  GROUP_MOD: 15,
  PORT_MOD: 16,
  TABLE_MOD: 17,
  MULTIPART_REQUEST: 18,
  MULTIPART_REPLY: 19,
  BARRIER_REQUEST: 20,
  BARRIER_REPLY: 21,
  QUEUE_GET_CONFIG_REQUEST: 22,
  QUEUE_GET_CONFIG_REPLY: 23,
  ROLE_REQUEST: 24,
  ROLE_REPLY: 25,
  GET_ASYNC_REQUEST: 26,
  GET_ASYNC_REPLY: 27,
  SET_ASYNC: 28,
  METER_MOD: 29,
} as const;

/** OFPHET_* hello element types. */
export const OFPHET = { VERSIONBITMAP: 1 } as const;

/** OFPP_* reserved port numbers. */
export const OFPP = {
  MAX: 0xffffff00,
  IN_PORT: 0xfffffff8,
  TABLE: 0xfffffff9,
  NORMAL: 0xfffffffa,
  FLOOD: 0xfffffffb,
  ALL: 0xfffffffc,
  CONTROLLER: 0xfffffffd,
  LOCAL: 0xfffffffe,
  ANY: 0xffffffff,
} as const;

/** OFPTT_* table numbers. */
export const OFPTT = { MAX: 0xfe, ALL: 0xff } as const;

/** OFPC_* switch capabilities (features_reply). */
export const OFPC = {
  FLOW_STATS: 1 << 0,
  TABLE_STATS: 1 << 1,
  PORT_STATS: 1 << 2,
  GROUP_STATS: 1 << 3,
  IP_REASM: 1 << 5,
  QUEUE_STATS: 1 << 6,
  PORT_BLOCKED: 1 << 8,
} as const;

/** OFPC_FRAG_* switch configuration flags (set_config). */
export const OFPC_FRAG = { NORMAL: 0, DROP: 1, REASM: 2, MASK: 3 } as const;

/** OFPPC_* port config bits. */
export const OFPPC = { PORT_DOWN: 1 << 0, NO_RECV: 1 << 2, NO_FWD: 1 << 5, NO_PACKET_IN: 1 << 6 } as const;

/** OFPPS_* port state bits. */
export const OFPPS = { LINK_DOWN: 1 << 0, BLOCKED: 1 << 1, LIVE: 1 << 2 } as const;

/** OFPPF_* port feature bits. */
export const OFPPF = {
  '10MB_HD': 1 << 0,
  '10MB_FD': 1 << 1,
  '100MB_HD': 1 << 2,
  '100MB_FD': 1 << 3,
  '1GB_HD': 1 << 4,
  '1GB_FD': 1 << 5,
  '10GB_FD': 1 << 6,
  '40GB_FD': 1 << 7,
  '100GB_FD': 1 << 8,
  '1TB_FD': 1 << 9,
  OTHER: 1 << 10,
  COPPER: 1 << 11,
  FIBER: 1 << 12,
  AUTONEG: 1 << 13,
  PAUSE: 1 << 14,
  PAUSE_ASYM: 1 << 15,
} as const;

/** OFPFC_* flow_mod commands. */
export const OFPFC = { ADD: 0, MODIFY: 1, MODIFY_STRICT: 2, DELETE: 3, DELETE_STRICT: 4 } as const;

/** OFPFF_* flow_mod flags. */
export const OFPFF = {
  SEND_FLOW_REM: 1 << 0,
  CHECK_OVERLAP: 1 << 1,
  RESET_COUNTS: 1 << 2,
  NO_PKT_COUNTS: 1 << 3,
  NO_BYT_COUNTS: 1 << 4,
} as const;

/** OFPGC_* group_mod commands. */
export const OFPGC = { ADD: 0, MODIFY: 1, DELETE: 2 } as const;

/** OFPGT_* group types. */
export const OFPGT = { ALL: 0, SELECT: 1, INDIRECT: 2, FF: 3 } as const;

/** OFPG_* reserved group numbers. */
export const OFPG = { MAX: 0xffffff00, ALL: 0xfffffffc, ANY: 0xffffffff } as const;

/** OFPMC_* meter_mod commands. */
export const OFPMC = { ADD: 0, MODIFY: 1, DELETE: 2 } as const;

/** OFPMF_* meter flags. */
export const OFPMF = { KBPS: 1 << 0, PKTPS: 1 << 1, BURST: 1 << 2, STATS: 1 << 3 } as const;

/** OFPM_* reserved meter numbers. */
export const OFPM = { MAX: 0xffff0000, SLOWPATH: 0xfffffffd, CONTROLLER: 0xfffffffe, ALL: 0xffffffff } as const;

/** OFPMBT_* meter band types. */
export const OFPMBT = { DROP: 1, DSCP_REMARK: 2, EXPERIMENTER: 0xffff } as const;

/** OFPMP_* multipart types. */
export const OFPMP = {
  DESC: 0,
  FLOW: 1,
  AGGREGATE: 2,
  TABLE: 3,
  PORT_STATS: 4,
  QUEUE: 5,
  GROUP: 6,
  GROUP_DESC: 7,
  GROUP_FEATURES: 8,
  METER: 9,
  METER_CONFIG: 10,
  METER_FEATURES: 11,
  TABLE_FEATURES: 12,
  PORT_DESC: 13,
  EXPERIMENTER: 0xffff,
} as const;

/** OFPMPF_* multipart flags. */
export const OFPMPF = { REQ_MORE: 1, REPLY_MORE: 1 } as const;

/** OFPR_* packet_in reasons. */
export const OFPR = { NO_MATCH: 0, ACTION: 1, INVALID_TTL: 2 } as const;

/** OFPRR_* flow_removed reasons. */
export const OFPRR = { IDLE_TIMEOUT: 0, HARD_TIMEOUT: 1, DELETE: 2, GROUP_DELETE: 3 } as const;

/** OFPPR_* port_status reasons. */
export const OFPPR = { ADD: 0, DELETE: 1, MODIFY: 2 } as const;

/** OFPCR_ROLE_* controller roles. */
export const OFPCR_ROLE = { NOCHANGE: 0, EQUAL: 1, MASTER: 2, SLAVE: 3 } as const;

/** OFPVID_* VLAN id flags (OXM vlan_vid). */
export const OFPVID = { PRESENT: 0x1000, NONE: 0x0000 } as const;
/** Shorthand for OFPVID.PRESENT. */
export const OFPVID_PRESENT = 0x1000;

/** buffer_id meaning "no buffered packet". */
export const OFP_NO_BUFFER = 0xffffffff;

/** max_len / miss_send_len meaning "send the whole packet, do not buffer". */
export const OFPCML = { MAX: 0xffe5, NO_BUFFER: 0xffff } as const;
/** Shorthand for OFPCML.NO_BUFFER. */
export const OFPCML_NO_BUFFER = 0xffff;

/** OFPMT_* match types. */
export const OFPMT = { STANDARD: 0, OXM: 1 } as const;

/** OFPXMC_* OXM classes. */
export const OFPXMC = { NXM_0: 0x0000, NXM_1: 0x0001, OPENFLOW_BASIC: 0x8000, EXPERIMENTER: 0xffff } as const;

/** OFPIT_* instruction types. */
export const OFPIT = {
  GOTO_TABLE: 1,
  WRITE_METADATA: 2,
  WRITE_ACTIONS: 3,
  APPLY_ACTIONS: 4,
  CLEAR_ACTIONS: 5,
  METER: 6,
  EXPERIMENTER: 0xffff,
} as const;

/** OFPAT_* action types. */
export const OFPAT = {
  OUTPUT: 0,
  COPY_TTL_OUT: 11,
  COPY_TTL_IN: 12,
  SET_MPLS_TTL: 15,
  DEC_MPLS_TTL: 16,
  PUSH_VLAN: 17,
  POP_VLAN: 18,
  PUSH_MPLS: 19,
  POP_MPLS: 20,
  SET_QUEUE: 21,
  GROUP: 22,
  SET_NW_TTL: 23,
  DEC_NW_TTL: 24,
  SET_FIELD: 25,
  PUSH_PBB: 26,
  POP_PBB: 27,
  EXPERIMENTER: 0xffff,
} as const;

/** OFPTC_* table config (table_mod). */
export const OFPTC = { DEPRECATED_MASK: 3 } as const;

// ---------------------------------------------------------------------------------------------------------------
// Error codes (section A.4.4), one object per OFPET_* type.

/** OFPHFC_* codes of OFPET_HELLO_FAILED. */
export const OFPHFC = { INCOMPATIBLE: 0, EPERM: 1 } as const;

/** OFPBRC_* codes of OFPET_BAD_REQUEST. */
export const OFPBRC = {
  BAD_VERSION: 0,
  BAD_TYPE: 1,
  BAD_MULTIPART: 2,
  BAD_EXPERIMENTER: 3,
  BAD_EXP_TYPE: 4,
  EPERM: 5,
  BAD_LEN: 6,
  BUFFER_EMPTY: 7,
  BUFFER_UNKNOWN: 8,
  BAD_TABLE_ID: 9,
  IS_SLAVE: 10,
  BAD_PORT: 11,
  BAD_PACKET: 12,
  MULTIPART_BUFFER_OVERFLOW: 13,
} as const;

/** OFPBAC_* codes of OFPET_BAD_ACTION. */
export const OFPBAC = {
  BAD_TYPE: 0,
  BAD_LEN: 1,
  BAD_EXPERIMENTER: 2,
  BAD_EXP_TYPE: 3,
  BAD_OUT_PORT: 4,
  BAD_ARGUMENT: 5,
  EPERM: 6,
  TOO_MANY: 7,
  BAD_QUEUE: 8,
  BAD_OUT_GROUP: 9,
  MATCH_INCONSISTENT: 10,
  UNSUPPORTED_ORDER: 11,
  BAD_TAG: 12,
  BAD_SET_TYPE: 13,
  BAD_SET_LEN: 14,
  BAD_SET_ARGUMENT: 15,
} as const;

/** OFPBIC_* codes of OFPET_BAD_INSTRUCTION. */
export const OFPBIC = {
  UNKNOWN_INST: 0,
  UNSUP_INST: 1,
  BAD_TABLE_ID: 2,
  UNSUP_METADATA: 3,
  UNSUP_METADATA_MASK: 4,
  BAD_EXPERIMENTER: 5,
  BAD_EXP_TYPE: 6,
  BAD_LEN: 7,
  EPERM: 8,
  DUP_INST: 9,
} as const;

/** OFPBMC_* codes of OFPET_BAD_MATCH. */
export const OFPBMC = {
  BAD_TYPE: 0,
  BAD_LEN: 1,
  BAD_TAG: 2,
  BAD_DL_ADDR_MASK: 3,
  BAD_NW_ADDR_MASK: 4,
  BAD_WILDCARDS: 5,
  BAD_FIELD: 6,
  BAD_VALUE: 7,
  BAD_MASK: 8,
  BAD_PREREQ: 9,
  DUP_FIELD: 10,
  EPERM: 11,
} as const;

/** OFPFMFC_* codes of OFPET_FLOW_MOD_FAILED. */
export const OFPFMFC = {
  UNKNOWN: 0,
  TABLE_FULL: 1,
  BAD_TABLE_ID: 2,
  OVERLAP: 3,
  EPERM: 4,
  BAD_TIMEOUT: 5,
  BAD_COMMAND: 6,
  BAD_FLAGS: 7,
} as const;

/** OFPGMFC_* codes of OFPET_GROUP_MOD_FAILED. */
export const OFPGMFC = {
  GROUP_EXISTS: 0,
  INVALID_GROUP: 1,
  WEIGHT_UNSUPPORTED: 2,
  OUT_OF_GROUPS: 3,
  OUT_OF_BUCKETS: 4,
  CHAINING_UNSUPPORTED: 5,
  WATCH_UNSUPPORTED: 6,
  LOOP: 7,
  UNKNOWN_GROUP: 8,
  CHAINED_GROUP: 9,
  BAD_TYPE: 10,
  BAD_COMMAND: 11,
  BAD_BUCKET: 12,
  BAD_WATCH: 13,
  EPERM: 14,
} as const;

/** OFPPMFC_* codes of OFPET_PORT_MOD_FAILED. */
export const OFPPMFC = { BAD_PORT: 0, BAD_HW_ADDR: 1, BAD_CONFIG: 2, BAD_ADVERTISE: 3, EPERM: 4 } as const;

/** OFPTMFC_* codes of OFPET_TABLE_MOD_FAILED. */
export const OFPTMFC = { BAD_TABLE: 0, BAD_CONFIG: 1, EPERM: 2 } as const;

/** OFPQOFC_* codes of OFPET_QUEUE_OP_FAILED. */
export const OFPQOFC = { BAD_PORT: 0, BAD_QUEUE: 1, EPERM: 2 } as const;

/** OFPSCFC_* codes of OFPET_SWITCH_CONFIG_FAILED. */
export const OFPSCFC = { BAD_FLAGS: 0, BAD_LEN: 1, EPERM: 2 } as const;

/** OFPRRFC_* codes of OFPET_ROLE_REQUEST_FAILED. */
export const OFPRRFC = { STALE: 0, UNSUP: 1, BAD_ROLE: 2 } as const;

/** OFPMMFC_* codes of OFPET_METER_MOD_FAILED. */
export const OFPMMFC = {
  UNKNOWN: 0,
  METER_EXISTS: 1,
  INVALID_METER: 2,
  UNKNOWN_METER: 3,
  BAD_COMMAND: 4,
  BAD_FLAGS: 5,
  BAD_RATE: 6,
  BAD_BURST: 7,
  BAD_BAND: 8,
  BAD_BAND_VALUE: 9,
  OUT_OF_METERS: 10,
  OUT_OF_BANDS: 11,
} as const;

/** OFPTFFC_* codes of OFPET_TABLE_FEATURES_FAILED. */
export const OFPTFFC = { BAD_TABLE: 0, BAD_METADATA: 1, BAD_TYPE: 2, BAD_LEN: 3, BAD_ARGUMENT: 4, EPERM: 5 } as const;

// ---------------------------------------------------------------------------------------------------------------
// ONF extensions for OpenFlow 1.3 (bundles, EXT-230), as implemented by Open vSwitch.

/** Experimenter id of the Open Networking Foundation ("ONF\0"). */
export const ONF_EXPERIMENTER_ID = 0x4f4e4600;

/** ONF experimenter message types (exp_type of OFPT_EXPERIMENTER). */
export const ONF_ET = { BUNDLE_CONTROL: 2300, BUNDLE_ADD_MESSAGE: 2301 } as const;

/** ONF_BCT_* bundle control types (same numbering as OpenFlow 1.4 OFPBCT_*). */
export const ONF_BCT = {
  OPEN_REQUEST: 0,
  OPEN_REPLY: 1,
  CLOSE_REQUEST: 2,
  CLOSE_REPLY: 3,
  COMMIT_REQUEST: 4,
  COMMIT_REPLY: 5,
  DISCARD_REQUEST: 6,
  DISCARD_REPLY: 7,
} as const;

/** ONF_BF_* bundle flags. */
export const ONF_BF = { ATOMIC: 1 << 0, ORDERED: 1 << 1 } as const;

/** ONF bundle property types. */
export const ONF_BPT = { EXPERIMENTER: 0xffff } as const;

/**
 * ONFERR_ET_* experimenter error types (OFPET_EXPERIMENTER errors with experimenter ONF_EXPERIMENTER_ID) used for
 * bundle failures in OpenFlow 1.3 (the OpenFlow 1.4 OFPBFC_* codes, renumbered from 2300).
 */
export const ONFERR_ET = {
  UNKNOWN: 2300,
  EPERM: 2301,
  BAD_ID: 2302,
  BUNDLE_EXIST: 2303,
  BUNDLE_CLOSED: 2304,
  OUT_OF_BUNDLES: 2305,
  BAD_TYPE: 2306,
  BAD_FLAGS: 2307,
  MSG_BAD_LEN: 2308,
  MSG_BAD_XID: 2309,
  MSG_UNSUP: 2310,
  MSG_CONFLICT: 2311,
  MSG_TOO_MANY: 2312,
  MSG_FAILED: 2313,
  TIMEOUT: 2314,
  BUNDLE_IN_PROGRESS: 2315,
} as const;

/** The ONF error a switch answers a bundled bundle message with (ONFERR_ET_MSG_UNSUP). */
export const ONF_ERR_NESTED = ONFERR_ET.MSG_UNSUP;
