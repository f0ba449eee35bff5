/**
 * `parseGroup`: a group in `ovs-ofctl add-group` syntax to an OpenFlow 1.3 group_mod:
 *
 *     group_id=1,type=select,bucket=weight:10,watch_port:3,actions=output:1,bucket=output:2
 *
 * Each `bucket=` runs to the next `bucket=`. Inside a bucket, `weight`, `watch_port`, `watch_group` (written with
 * `:` or `=`) set the bucket fields, `actions=` may introduce the actions, and any other element is an action.
 * As in ovs-ofctl: `type` is all | select | indirect | ff (alias fast_failover), only select groups take weights
 * and their buckets default to weight 1, watch_port/watch_group default to ANY, and group_id also accepts `all`
 * and `any`. Bucket actions have no flow to be checked against, so `mod_tp_src`/`mod_tp_dst` (which need the IP
 * protocol) must be written as set_field there.
 */
import { OFPGC, OFPGT, OFPG, OFPP } from '../../codec/openflow/constants';
import type { Bucket, MessageOf } from '../../codec/openflow/types';
import { closest, syntaxError } from './errors';
import { splitList, type Span } from './lexer';
import { parseActionList } from './parse-actions';
import { parseUint } from './values';

/** group_mod commands. */
export type GroupCommand = 'add' | 'modify' | 'delete';

const COMMANDS: Readonly<Record<GroupCommand, number>> = { add: OFPGC.ADD, modify: OFPGC.MODIFY, delete: OFPGC.DELETE };

/** Group type names (case-sensitive, as in OVS). */
export const GROUP_TYPES: Readonly<Record<string, number>> = {
  all: OFPGT.ALL,
  select: OFPGT.SELECT,
  indirect: OFPGT.INDIRECT,
  ff: OFPGT.FF,
  fast_failover: OFPGT.FF,
};

function groupNumber(text: string, pos: number, s: string, what: string): number {
  const l = s.toLowerCase();
  if (l === 'all') return OFPG.ALL;
  if (l === 'any') return OFPG.ANY;
  return parseUint(text, pos, s, 0xffffffff, what);
}

function portNumber(text: string, pos: number, s: string, what: string): number {
  if (s.toLowerCase() === 'any') return OFPP.ANY;
  if (!/^[0-9]+$/.test(s)) throw syntaxError(text, pos, `${s}: invalid ${what}`, 'a decimal port number or ANY');
  return parseUint(text, pos, s, 0xffffffff, what);
}

interface RawBucket {
  weight: number | undefined;
  weightPos: number;
  watchPort: number;
  watchGroup: number;
  actions: Span[];
}

/** Splits one bucket's text into its fields and its action elements. */
function parseBucket(text: string, span: Span): RawBucket {
  const b: RawBucket = { weight: undefined, weightPos: 0, watchPort: OFPP.ANY, watchGroup: OFPG.ANY, actions: [] };
  const pieces = splitList(text, span, true);
  for (let i = 0; i < pieces.length; i++) {
    const p = pieces[i]!;
    const m = /^([A-Za-z_]+)\s*[:=]\s*(.*)$/s.exec(p.s);
    const key = m?.[1]?.toLowerCase();
    const value = m?.[2] ?? '';
    const valuePos = p.pos + (m ? p.s.length - value.length : 0);
    switch (key) {
      case 'weight':
        b.weight = parseUint(text, valuePos, value, 0xffff, 'weight');
        b.weightPos = p.pos;
        break;
      case 'watch_port':
        b.watchPort = portNumber(text, valuePos, value, 'watch_port');
        break;
      case 'watch_group':
        b.watchGroup = groupNumber(text, valuePos, value, 'watch_group');
        break;
      case 'bucket_id':
        // OpenFlow 1.5 only; ovs-ofctl drops it for OpenFlow 1.3.
        parseUint(text, valuePos, value, 0xffffffff, 'bucket_id');
        break;
      case 'action':
      case 'actions':
        // The rest of the bucket is the action list (its first element is this piece's value).
        b.actions.push({ s: value, pos: valuePos }, ...pieces.slice(i + 1));
        return b;
      default:
        b.actions.push(p);
    }
  }
  return b;
}

/**
 * Parses a group (OVS syntax) into an OpenFlow 1.3 group_mod (xid unset). `command` defaults to add; a delete
 * takes only `group_id` (default: all groups). Throws XsiteError `FLOW_SYNTAX` on bad input.
 */
export function parseGroup(text: string, opts: { command?: GroupCommand } = {}): MessageOf<'group_mod'> {
  const command = opts.command ?? 'add';
  const re = /(^|[\s,])bucket\s*=/g;
  const starts: { key: number; body: number }[] = [];
  for (let m = re.exec(text); m; m = re.exec(text)) starts.push({ key: m.index + m[1]!.length, body: m.index + m[0].length });
  const headEnd = starts.length > 0 ? starts[0]!.key : text.length;

  let groupId: number | undefined;
  let groupType: number | undefined;
  for (const p of splitList(text, { s: text.slice(0, headEnd), pos: 0 }, true)) {
    const eq = p.s.indexOf('=');
    const key = eq < 0 ? p.s : p.s.slice(0, eq).trim();
    const value = eq < 0 ? undefined : p.s.slice(eq + 1).trim();
    const valuePos = p.pos + eq + 1;
    if (value === undefined || value === '') throw syntaxError(text, p.pos + p.s.length, `${key} missing value`, `${key}=VALUE`);
    if (key === 'group_id') groupId = groupNumber(text, valuePos, value, 'group_id');
    else if (key === 'type') {
      groupType = GROUP_TYPES[value];
      if (groupType === undefined) {
        throw syntaxError(text, valuePos, `invalid group type ${value}`, 'all, select, indirect or ff (fast_failover)', closest(value, Object.keys(GROUP_TYPES)));
      }
    } else {
      throw syntaxError(text, p.pos, `unknown keyword "${key}"`, 'group_id, type or bucket', closest(key, ['group_id', 'type', 'bucket']));
    }
  }

  if (command === 'delete') {
    if (starts.length > 0) throw syntaxError(text, starts[0]!.key, 'a group delete takes no buckets', 'group_id only');
    return { type: 'group_mod', command: COMMANDS.delete, groupType: groupType ?? OFPGT.ALL, groupId: groupId ?? OFPG.ALL, buckets: [] };
  }
  if (!Object.hasOwn(COMMANDS, command)) throw syntaxError(text, 0, `unknown command "${String(command)}"`, 'add, modify or delete');
  if (groupId === undefined) throw syntaxError(text, 0, 'must specify a group_id', 'group_id=N');
  if (groupType === undefined) throw syntaxError(text, 0, 'must specify a type', 'type=all|select|indirect|ff');
  if (groupId > OFPG.MAX && groupId !== OFPG.ALL) throw syntaxError(text, 0, `invalid group id ${groupId}`, 'a group id from 0 to 4294967040');

  const buckets: Bucket[] = [];
  for (let i = 0; i < starts.length; i++) {
    const { body } = starts[i]!;
    const end = i + 1 < starts.length ? starts[i + 1]!.key : text.length;
    const raw = parseBucket(text, { s: text.slice(body, end), pos: body });
    if (raw.weight !== undefined && groupType !== OFPGT.SELECT) {
      throw syntaxError(text, raw.weightPos, 'only select groups can have bucket weights', 'a bucket without weight');
    }
    if (raw.actions.length === 0) throw syntaxError(text, end, 'bucket must specify actions', 'actions (or drop)');
    const actions = parseActionList(text, raw.actions);
    buckets.push({
      weight: raw.weight ?? (groupType === OFPGT.SELECT ? 1 : 0),
      watchPort: raw.watchPort,
      watchGroup: raw.watchGroup,
      actions,
    });
  }
  return { type: 'group_mod', command: COMMANDS[command], groupType, groupId, buckets };
}
