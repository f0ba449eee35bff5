/**
 * `parseFlow`: one flow in `ovs-ofctl add-flow` / `mod-flows` / `del-flows` syntax to the OpenFlow 1.3 flow_mod
 * that `ovs-ofctl -O OpenFlow13` would send for it.
 *
 * Rules taken from ovs-ofctl 3.1 (checked with `ovs-ofctl -O OpenFlow13 parse-flow` and by capturing what
 * `add-flow`/`mod-flows`/`del-flows` send):
 *  - elements are separated by commas and/or blanks; everything after `actions=` is the action list;
 *  - a field given twice keeps its last value; match values are masked (`nw_dst=10.1.2.3/8` is 10.0.0.0/8);
 *  - match field names are case-sensitive, action names are not;
 *  - a field whose prerequisite the match lacks (`tp_dst=80` without `tcp`) is not an error: OVS drops it from
 *    the match, and so does parseFlow (reporting it through `onWarning`);
 *  - which keywords a command takes: add and modify take actions, timeouts, flags and priority; delete takes
 *    out_port/out_group, and priority only when strict; a cookie mask is for modify/delete, and delete needs one;
 *  - an unspecified table is 0 for add/modify and 255 (all tables) for delete.
 */
import { OFPFC, OFPFF, OFPG, OFPP, OFP_NO_BUFFER } from '../../codec/openflow/constants';
import type { MessageOf } from '../../codec/openflow/types';
import { closest, syntaxError } from './errors';
import { splitActions, splitList, toField, type Field } from './lexer';
import { MATCH_FIELDS, SHORTHANDS, SLOT_PREREQ } from './match-fields';
import { emptyModel, toOxm, type Slot } from './match-model';
import { contextOf, parseInstructions } from './parse-actions';
import { parseMaskedU64, parsePort, parseUint } from './values';

/** The flow_mod command a flow text is for. */
export type FlowCommand = 'add' | 'modify' | 'modify_strict' | 'delete' | 'delete_strict';

/** Something parseFlow accepted but changed, as ovs-ofctl would (e.g. a match field dropped for a prerequisite). */
export interface FlowSyntaxWarning {
  message: string;
  /** The keyword concerned, as written. */
  field: string;
  /** Offset of that keyword in the text. */
  position: number;
}

export interface ParseFlowOptions {
  /** Default 'add'. */
  command?: FlowCommand;
  /** Called for each silent normalization (OVS logs these at INFO level). */
  onWarning?: (w: FlowSyntaxWarning) => void;
}

const COMMANDS: Readonly<Record<FlowCommand, number>> = {
  add: OFPFC.ADD,
  modify: OFPFC.MODIFY,
  modify_strict: OFPFC.MODIFY_STRICT,
  delete: OFPFC.DELETE,
  delete_strict: OFPFC.DELETE_STRICT,
};

/** Flag keywords and their OFPFF_* bits. */
export const FLAG_NAMES: Readonly<Record<string, number>> = {
  send_flow_rem: OFPFF.SEND_FLOW_REM,
  check_overlap: OFPFF.CHECK_OVERLAP,
  reset_counts: OFPFF.RESET_COUNTS,
  no_packet_counts: OFPFF.NO_PKT_COUNTS,
  no_byte_counts: OFPFF.NO_BYT_COUNTS,
};

/** Keywords of `ovs-ofctl dump-flows` output that parsing ignores, so dumps can be fed back. */
const STATS_KEYWORDS = new Set(['duration', 'n_packets', 'n_bytes', 'idle_age', 'hard_age']);

const FLOW_KEYWORDS = ['table', 'priority', 'cookie', 'idle_timeout', 'hard_timeout', 'out_port', 'out_group', 'actions'];

/** Every keyword of the flow part, for suggestions. */
const ALL_KEYWORDS: readonly string[] = [
  ...FLOW_KEYWORDS,
  ...Object.keys(FLAG_NAMES),
  ...SHORTHANDS.keys(),
  ...MATCH_FIELDS.keys(),
  ...STATS_KEYWORDS,
];

/**
 * Parses one flow (OVS syntax) into an OpenFlow 1.3 flow_mod (xid unset). Throws an XsiteError with code
 * `FLOW_SYNTAX` and `details: { text, position, expected }` for anything ovs-ofctl would refuse.
 */
export function parseFlow(text: string, opts: ParseFlowOptions = {}): MessageOf<'flow_mod'> {
  const command = opts.command ?? 'add';
  if (!Object.hasOwn(COMMANDS, command)) throw syntaxError(text, 0, `unknown command "${String(command)}"`, Object.keys(COMMANDS).join(', '));
  const isDelete = command === 'delete' || command === 'delete_strict';
  const isAdd = command === 'add';
  const warn = (message: string, field: string, position: number): void => opts.onWarning?.({ message, field, position });

  const { flow, actions, actionsKeyPos } = splitActions(text);
  const model = emptyModel();
  const origin = new Map<Slot, Field>();
  let tableId: number | undefined;
  let priority = 0x8000;
  let cookie = 0n;
  let cookieMask = 0n;
  let idleTimeout = 0;
  let hardTimeout = 0;
  let outPort: number = OFPP.ANY;
  let outGroup: number = OFPG.ANY;
  let flags = 0;

  const notFor = (f: Field, why: string): never => {
    throw syntaxError(text, f.keyPos, `${f.key} is not allowed ${why}`, `a keyword valid for ${command}`);
  };

  for (const piece of splitList(text, flow, true)) {
    const f = toField(piece);
    const { key, value } = f;
    if (value === undefined) {
      const sh = SHORTHANDS.get(key);
      if (sh) {
        model.dlType = sh.dlType;
        origin.set('dlType', f);
        if (sh.nwProto !== undefined) {
          model.nwProto = sh.nwProto;
          origin.set('nwProto', f);
        }
        continue;
      }
      const flag = FLAG_NAMES[key];
      if (flag !== undefined) {
        if (isDelete) notFor(f, 'in a delete (flags are for add and modify)');
        flags |= flag;
        continue;
      }
      if (MATCH_FIELDS.has(key) || FLOW_KEYWORDS.includes(key)) {
        throw syntaxError(text, f.valuePos, `field ${key} missing value`, `${key}=VALUE`);
      }
      throw syntaxError(text, f.keyPos, `unknown keyword "${key}"`, 'a match field, protocol, flag or flow keyword', closest(key, ALL_KEYWORDS));
    }
    if (value === '' && key !== 'actions') throw syntaxError(text, f.valuePos, `field ${key} missing value`, `${key}=VALUE`);
    switch (key) {
      case 'table': {
        const t = parseUint(text, f.valuePos, value, 0xff, 'table');
        tableId = t === 0xff ? undefined : t;
        continue;
      }
      case 'priority':
        if (command === 'delete') notFor(f, 'in a non-strict delete');
        priority = parseUint(text, f.valuePos, value, 0xffff, 'priority');
        continue;
      case 'idle_timeout':
      case 'hard_timeout': {
        if (isDelete) notFor(f, 'in a delete');
        const t = parseUint(text, f.valuePos, value, 0xffff, key);
        if (key === 'idle_timeout') idleTimeout = t;
        else hardTimeout = t;
        continue;
      }
      case 'cookie': {
        const c = parseMaskedU64(text, f.valuePos, value, 'cookie');
        const masked = value.includes('/');
        if (isAdd && masked) throw syntaxError(text, f.valuePos, 'flow additions cannot use a cookie mask', 'cookie=VALUE');
        if (isDelete && !masked) {
          throw syntaxError(text, f.valuePos, 'cannot set cookie in a delete', `a cookie with a mask, e.g. cookie=${value}/-1`);
        }
        if (!isAdd && !masked) {
          // OpenFlow 1.3 has no way to set a new cookie in a modify; ovs-ofctl sends cookie 0 / mask 0.
          warn('a modify cannot change the cookie in OpenFlow 1.3: cookie ignored (as ovs-ofctl does)', key, f.keyPos);
          cookie = 0n;
          cookieMask = 0n;
        } else {
          cookie = c.v;
          cookieMask = masked ? c.m : 0n;
        }
        continue;
      }
      case 'out_port':
        if (!isDelete) notFor(f, `in ${command} (out_port is for delete)`);
        outPort = parsePort(text, f.valuePos, value, 'out_port');
        continue;
      case 'out_group':
        if (!isDelete) notFor(f, `in ${command} (out_group is for delete)`);
        outGroup = value.toLowerCase() === 'any' ? OFPG.ANY : value.toLowerCase() === 'all' ? OFPG.ALL : parseUint(text, f.valuePos, value, 0xffffffff, 'out_group');
        continue;
      case 'importance':
        throw syntaxError(text, f.keyPos, 'importance is not part of OpenFlow 1.3', 'an OpenFlow 1.3 keyword');
      default:
        break;
    }
    if (STATS_KEYWORDS.has(key)) continue;
    const def = MATCH_FIELDS.get(key);
    if (def === undefined) {
      if (SHORTHANDS.has(key) || FLAG_NAMES[key] !== undefined) {
        throw syntaxError(text, f.valuePos - 1, `${key} takes no value`, `a bare "${key}"`);
      }
      throw syntaxError(text, f.keyPos, `unknown field "${key}"`, 'a match field name (see ovs-fields(7))', closest(key, ALL_KEYWORDS));
    }
    def.set(model, text, f.valuePos, value, key);
    origin.set(def.slot, f);
  }

  if (isDelete && actions !== undefined) {
    throw syntaxError(text, actionsKeyPos, 'a delete takes no actions', 'match fields only');
  }
  if (!isDelete && actions === undefined) {
    throw syntaxError(text, text.length, 'must specify an action', '"actions=..." (use actions=drop for none)');
  }

  const { match, dropped } = toOxm(model);
  for (const slot of dropped) {
    const f = origin.get(slot);
    const name = f?.key ?? slot;
    warn(`${name} dropped from the match: it requires ${SLOT_PREREQ[slot]} (ovs-ofctl normalizes it away too)`, name, f?.keyPos ?? 0);
  }

  const effectiveTable = tableId ?? (isDelete ? 0xff : 0);
  const instructions = actions === undefined ? [] : parseInstructions(text, actions, contextOf(model), effectiveTable);

  return {
    type: 'flow_mod',
    cookie,
    cookieMask,
    tableId: effectiveTable,
    command: COMMANDS[command],
    idleTimeout,
    hardTimeout,
    priority,
    bufferId: OFP_NO_BUFFER,
    outPort,
    outGroup,
    flags,
    match,
    instructions,
  };
}
