/**
 * `formatGroup`: a group_mod (or a group_desc entry) in the syntax `ovs-ofctl -O OpenFlow13` prints and
 * `add-group` accepts: `group_id=1,type=select,bucket=weight:10,watch_port:3,actions=output:1,bucket=actions=...`.
 * Bucket weights are printed for select groups when not 1, watch_port/watch_group when not ANY.
 */
import { OFPG, OFPGT, OFPP } from '../../codec/openflow/constants';
import type { Bucket, GroupDesc, MessageOf } from '../../codec/openflow/types';
import { formatActions } from './format-actions';

const TYPE_TEXT: Readonly<Record<number, string>> = {
  [OFPGT.ALL]: 'all',
  [OFPGT.SELECT]: 'select',
  [OFPGT.INDIRECT]: 'indirect',
  [OFPGT.FF]: 'ff',
};

function bucketText(b: Bucket, groupType: number): string {
  let s = 'bucket=';
  if (groupType === OFPGT.SELECT && b.weight !== 1) s += `weight:${b.weight},`;
  if (b.watchPort !== OFPP.ANY) s += `watch_port:${b.watchPort},`;
  if (b.watchGroup !== OFPG.ANY) s += `watch_group:${b.watchGroup},`;
  return `${s}actions=${formatActions(b.actions)}`;
}

/** A group as one line of OVS group syntax. */
export function formatGroup(group: MessageOf<'group_mod'> | GroupDesc): string {
  const type = TYPE_TEXT[group.groupType] ?? String(group.groupType);
  return [`group_id=${group.groupId}`, `type=${type}`, ...group.buckets.map((b) => bucketText(b, group.groupType))].join(',');
}
