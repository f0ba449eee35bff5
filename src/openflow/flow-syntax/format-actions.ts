/**
 * Actions and instructions printed the way `ovs-ofctl -O OpenFlow13` prints a decoded OpenFlow 1.3 flow:
 * `output:2`, reserved ports by name (`IN_PORT`, `FLOOD`, `CONTROLLER:65535`), `set_field:VALUE->FIELD` with OVS
 * field names (`ip_src`, `nw_ecn`, `tun_id`), `mod_nw_ttl:N`, `dec_ttl`, `push_vlan:0x8100`, and instructions in
 * the OpenFlow 1.1+ order (`meter:N`, actions, `clear_actions`, `write_actions(...)`, `write_metadata:V/M`,
 * `goto_table:N`). No actions at all prints as `drop`.
 */
import type { Action, Instruction, OxmTlv } from '../../codec/openflow/types';
import { OFPP } from '../../codec/openflow/constants';
import { formatSetFieldValue, setFieldDef } from './set-fields';
import { hexAlt, hexPad, portText } from './values';

function setFieldText(t: OxmTlv): string {
  if (t.field === 'raw') return `set_field:0x${t.payload.toString('hex')}->oxm(0x${t.oxmClass.toString(16)}:${t.oxmField})`;
  const name = setFieldDef(t.field)?.print ?? t.field;
  const v = formatSetFieldValue(t.field, t.value);
  return t.mask === undefined ? `set_field:${v}->${name}` : `set_field:${v}/${formatSetFieldValue(t.field, t.mask)}->${name}`;
}

/** One action in OVS syntax. */
export function formatAction(a: Action): string {
  switch (a.type) {
    case 'output':
      if (a.port === OFPP.CONTROLLER) return `CONTROLLER:${a.maxLen}`;
      if (a.port > OFPP.MAX && a.port !== OFPP.ANY) return portText(a.port);
      return `output:${portText(a.port)}`;
    case 'copy_ttl_out':
    case 'copy_ttl_in':
    case 'pop_vlan':
    case 'dec_mpls_ttl':
    case 'pop_pbb':
      return a.type;
    case 'set_mpls_ttl':
      return `set_mpls_ttl(${a.ttl})`;
    case 'push_vlan':
    case 'push_mpls':
    case 'pop_mpls':
    case 'push_pbb':
      return `${a.type}:${hexPad(a.ethertype, 4)}`;
    case 'set_queue':
      return `set_queue:${a.queueId}`;
    case 'group':
      return `group:${a.groupId}`;
    case 'set_nw_ttl':
      return `mod_nw_ttl:${a.ttl}`;
    case 'dec_nw_ttl':
      return 'dec_ttl';
    case 'set_field':
      return setFieldText(a.field);
    case 'experimenter':
      return `experimenter(0x${a.experimenter.toString(16)},0x${a.data.toString('hex')})`;
  }
}

/** A comma-separated action list; an empty list is `drop`. */
export function formatActions(actions: readonly Action[]): string {
  return actions.length === 0 ? 'drop' : actions.map(formatAction).join(',');
}

const ORDER: Readonly<Record<Instruction['type'], number>> = {
  meter: 0,
  apply_actions: 1,
  clear_actions: 2,
  write_actions: 3,
  write_metadata: 4,
  goto_table: 5,
  experimenter: 6,
};

function instructionText(i: Instruction): string | undefined {
  switch (i.type) {
    case 'meter':
      return `meter:${i.meterId}`;
    case 'apply_actions':
      return i.actions.length === 0 ? undefined : i.actions.map(formatAction).join(',');
    case 'clear_actions':
      return 'clear_actions';
    case 'write_actions':
      return `write_actions(${i.actions.map(formatAction).join(',')})`;
    case 'write_metadata':
      return i.mask === 0xffffffffffffffffn ? `write_metadata:${hexAlt(i.metadata)}` : `write_metadata:${hexAlt(i.metadata)}/${hexAlt(i.mask)}`;
    case 'goto_table':
      return `goto_table:${i.tableId}`;
    case 'experimenter':
      return `experimenter_instruction(0x${i.experimenter.toString(16)},0x${i.data.toString('hex')})`;
  }
}

/**
 * The instructions as the text after `actions=`: in the OpenFlow 1.1+ order whatever order the list has, apply
 * actions inline, `drop` when nothing remains.
 */
export function formatInstructions(instructions: readonly Instruction[]): string {
  const parts = [...instructions]
    .sort((a, b) => ORDER[a.type] - ORDER[b.type])
    .map(instructionText)
    .filter((s): s is string => s !== undefined);
  return parts.length === 0 ? 'drop' : parts.join(',');
}
