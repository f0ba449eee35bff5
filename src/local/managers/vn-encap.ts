/**
 * The in-DC VN encapsulation shared by the managers (see the scheme in ../dc-model.ts): how a VN id is matched in the
 * metadata, how a frame of a VN leaves a switch towards another switch of the DC, and how it leaves towards a VM.
 */
import { ETHERTYPE } from '../../codec/packet/constants';
import { OFPVID_PRESENT } from '../../codec/openflow/constants';
import type { Action, OxmTlv } from '../../codec/openflow/types';
import { METADATA_VN_MASK } from '../../pipeline/table-plan';
import type { DcModel, DcVn } from '../dc-model';

/** The metadata match of VN `vnId`. */
export function vnMetadata(vnId: number): OxmTlv {
  return { field: 'metadata', value: BigInt(vnId), mask: METADATA_VN_MASK };
}

/** The write_metadata of VN `vnId`. */
export function writeVn(vnId: number): { value: bigint; mask: bigint } {
  return { value: BigInt(vnId), mask: METADATA_VN_MASK };
}

/** Actions that send a frame of VN `vn` out of inner port `port` (tagged in a `vlan` DC). */
export function toInnerPort(model: DcModel, vn: DcVn, port: number): Action[] {
  const out: Action = { type: 'output', port, maxLen: 0 };
  if (model.encap === 'mac') return [out];
  return [
    { type: 'push_vlan', ethertype: ETHERTYPE.VLAN },
    { type: 'set_field', field: { field: 'vlan_vid', value: OFPVID_PRESENT | vn.tag } },
    out,
  ];
}

/** Actions that deliver a frame to a VM's port (untagged: the VLAN of inner links was popped at ingress). */
export function toVmPort(port: number): Action[] {
  return [{ type: 'output', port, maxLen: 0 }];
}
