import type { Action, Instruction, Match, OfpMessage, PortDesc } from '../../src/codec/openflow/types';

const port: PortDesc = {
  portNo: 3,
  hwAddr: '02:00:00:00:00:03',
  name: 'veth3',
  config: 0,
  state: 4,
  curr: 0x2840,
  advertised: 0,
  supported: 0,
  peer: 0,
  currSpeed: 10000000,
  maxSpeed: 0,
};

const match: Match = [
  { field: 'in_port', value: 1 },
  { field: 'eth_dst', value: '02:00:00:00:00:02', mask: 'ff:ff:ff:ff:ff:00' },
  { field: 'eth_type', value: 0x0800 },
  { field: 'vlan_vid', value: 0x1000 | 10 },
  { field: 'ip_proto', value: 6 },
  { field: 'ipv4_src', value: '10.0.0.1', mask: '255.255.255.0' },
  { field: 'ipv4_dst', value: '10.0.1.2' },
  { field: 'tcp_dst', value: 80 },
  { field: 'metadata', value: 0x1122334455667788n, mask: 0xffff0000ffff0000n },
];

const v6match: Match = [
  { field: 'eth_type', value: 0x86dd },
  { field: 'ipv6_src', value: '2001:db8::1', mask: 'ffff:ffff::' },
  { field: 'ipv6_dst', value: 'fe80::1' },
  { field: 'ip_proto', value: 58 },
  { field: 'icmpv6_type', value: 135 },
  { field: 'ipv6_nd_target', value: '2001:db8::2' },
  { field: 'ipv6_flabel', value: 0x12345 },
  { field: 'tunnel_id', value: 5000n },
];

const actions: Action[] = [
  { type: 'set_field', field: { field: 'eth_src', value: '02:aa:00:00:00:01' } },
  { type: 'set_field', field: { field: 'ipv4_src', value: '203.0.113.1' } },
  { type: 'set_field', field: { field: 'tcp_src', value: 40001 } },
  { type: 'push_vlan', ethertype: 0x8100 },
  { type: 'set_field', field: { field: 'vlan_vid', value: 0x1000 | 20 } },
  { type: 'dec_nw_ttl' },
  { type: 'group', groupId: 7 },
  { type: 'output', port: 2, maxLen: 0 },
  { type: 'output', port: 0xfffffffd, maxLen: 128 },
];

const instructions: Instruction[] = [
  { type: 'meter', meterId: 1 },
  { type: 'apply_actions', actions },
  { type: 'clear_actions' },
  { type: 'write_actions', actions: [{ type: 'output', port: 5, maxLen: 0 }, { type: 'pop_vlan' }] },
  { type: 'write_metadata', metadata: 0xabn, mask: 0xffn },
  { type: 'goto_table', tableId: 3 },
];

const flowMod: OfpMessage = {
  type: 'flow_mod',
  cookie: 0x4c32000000000001n,
  cookieMask: 0n,
  tableId: 0,
  command: 0,
  idleTimeout: 60,
  hardTimeout: 0,
  priority: 100,
  bufferId: 0xffffffff,
  outPort: 0xffffffff,
  outGroup: 0xffffffff,
  flags: 1,
  match,
  instructions,
};

const flowReq = { tableId: 0xff, outPort: 0xffffffff, outGroup: 0xffffffff, cookie: 0n, cookieMask: 0n, match };

/** Valid messages of every type the codec handles: the seeds that the fuzzer mutates. */
export function fuzzCorpus(): OfpMessage[] {
  return [
    { type: 'hello', versions: [1, 4] },
    { type: 'hello' },
    { type: 'error', errType: 1, code: 1, data: Buffer.from('0400000800000001', 'hex') },
    { type: 'error_experimenter', expType: 2, experimenter: 0x4f4e4600, data: Buffer.from('abcd', 'hex') },
    { type: 'echo_request', data: Buffer.from('hi') },
    { type: 'echo_reply', data: Buffer.alloc(0) },
    { type: 'experimenter', experimenter: 0x2320, expType: 17, data: Buffer.from('0001020304050607', 'hex') },
    { type: 'features_request' },
    { type: 'features_reply', datapathId: 1n, nBuffers: 0, nTables: 254, auxiliaryId: 0, capabilities: 0x4f, reserved: 0 },
    { type: 'get_config_request' },
    { type: 'get_config_reply', flags: 0, missSendLen: 128 },
    { type: 'set_config', flags: 0, missSendLen: 0xffff },
    { type: 'packet_in', bufferId: 0xffffffff, totalLen: 14, reason: 0, tableId: 0, cookie: 0n, match: [{ field: 'in_port', value: 1 }], data: Buffer.alloc(14, 1) },
    { type: 'flow_removed', cookie: 5n, priority: 10, reason: 0, tableId: 0, durationSec: 3, durationNsec: 4, idleTimeout: 10, hardTimeout: 0, packetCount: 7n, byteCount: 700n, match },
    { type: 'port_status', reason: 2, port },
    { type: 'packet_out', bufferId: 0xffffffff, inPort: 0xfffffffd, actions, data: Buffer.alloc(60, 2) },
    flowMod,
    { ...flowMod, match: v6match, command: 3 } as OfpMessage,
    { type: 'group_mod', command: 0, groupType: 1, groupId: 7, buckets: [{ weight: 1, watchPort: 0xffffffff, watchGroup: 0xffffffff, actions: [{ type: 'output', port: 1, maxLen: 0 }] }, { weight: 2, watchPort: 0xffffffff, watchGroup: 0xffffffff, actions }] },
    { type: 'group_mod', command: 0, groupType: 3, groupId: 8, buckets: [{ weight: 0, watchPort: 1, watchGroup: 0xffffffff, actions: [{ type: 'output', port: 1, maxLen: 0 }] }] },
    { type: 'port_mod', portNo: 3, hwAddr: '02:00:00:00:00:03', config: 1, mask: 1, advertise: 0 },
    { type: 'table_mod', tableId: 0, config: 0 },
    { type: 'meter_mod', command: 0, flags: 1 | 4, meterId: 1, bands: [{ type: 'drop', rate: 1000, burstSize: 100 }, { type: 'dscp_remark', rate: 2000, burstSize: 0, precLevel: 1 }] },
    { type: 'multipart_request', flags: 0, body: { mpType: 'desc' } },
    { type: 'multipart_request', flags: 0, body: { mpType: 'flow', ...flowReq } },
    { type: 'multipart_request', flags: 0, body: { mpType: 'aggregate', ...flowReq } },
    { type: 'multipart_request', flags: 0, body: { mpType: 'port_stats', portNo: 0xffffffff } },
    { type: 'multipart_request', flags: 0, body: { mpType: 'group', groupId: 0xfffffffc } },
    { type: 'multipart_request', flags: 0, body: { mpType: 'meter', meterId: 0xffffffff } },
    { type: 'multipart_reply', flags: 0, body: { mpType: 'desc', mfrDesc: 'xsite', hwDesc: 'hw', swDesc: 'sw', serialNum: '1', dpDesc: 'dp' } },
    { type: 'multipart_reply', flags: 1, body: { mpType: 'flow', stats: [{ tableId: 0, durationSec: 1, durationNsec: 2, priority: 3, idleTimeout: 4, hardTimeout: 5, flags: 0, cookie: 6n, packetCount: 7n, byteCount: 8n, match, instructions }] } },
    { type: 'multipart_reply', flags: 0, body: { mpType: 'aggregate', packetCount: 1n, byteCount: 2n, flowCount: 3 } },
    { type: 'multipart_reply', flags: 0, body: { mpType: 'table', stats: [{ tableId: 0, activeCount: 2, lookupCount: 3n, matchedCount: 1n }] } },
    { type: 'multipart_reply', flags: 0, body: { mpType: 'port_desc', ports: [port, { ...port, portNo: 4, name: 'veth4' }] } },
    { type: 'multipart_reply', flags: 0, body: { mpType: 'group_desc', groups: [{ groupType: 0, groupId: 1, buckets: [{ weight: 0, watchPort: 0xffffffff, watchGroup: 0xffffffff, actions }] }] } },
    { type: 'multipart_reply', flags: 0, body: { mpType: 'meter', stats: [{ meterId: 1, flowCount: 1, packetInCount: 2n, byteInCount: 3n, durationSec: 4, durationNsec: 5, bands: [{ packetBandCount: 6n, byteBandCount: 7n }] }] } },
    { type: 'barrier_request' },
    { type: 'barrier_reply' },
    { type: 'role_request', role: 2, generationId: 9n },
    { type: 'get_async_request' },
    { type: 'set_async', packetInMask: [7, 0], portStatusMask: [7, 7], flowRemovedMask: [15, 0] },
    { type: 'bundle_control', bundleId: 5, ctrlType: 0, flags: 1, properties: [] },
    { type: 'bundle_add', bundleId: 5, flags: 1, message: { ...flowMod, xid: 77 }, properties: [] },
  ];
}
