/**
 * Flow files: flows for several switches in the ovs-ofctl syntax operators know, one per line:
 *
 *     # comment
 *     gw1 table=0,priority=100,in_port=2,ip,actions=goto_table:1
 *     gw1 group group_id=7,type=all,bucket=output:1,bucket=output:2
 *
 * A line is `SWITCH FLOW` or `SWITCH group GROUP`. Errors name the file, the line and what is wrong.
 */
import { XsiteError } from '../../core/errors';
import type { OfpMessage } from '../../codec/openflow/types';
import { parseFlow, parseGroup } from '../../openflow/flow-syntax';

export interface FlowFileEntry {
  switch: string;
  line: number;
  text: string;
  message: OfpMessage;
}

/** Parses a flow file; throws FLOW_FILE_INVALID with every bad line listed. */
export function parseFlowFile(text: string, source = '<flows>'): FlowFileEntry[] {
  const entries: FlowFileEntry[] = [];
  const errors: string[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const m = /^(\S+)\s+(group\s+)?(.+)$/.exec(line);
    if (!m) {
      errors.push(`${source}:${i + 1}: expected "SWITCH FLOW" or "SWITCH group GROUP"`);
      return;
    }
    try {
      const message = m[2] ? parseGroup(m[3]!) : parseFlow(m[3]!);
      entries.push({ switch: m[1]!, line: i + 1, text: m[3]!, message });
    } catch (e) {
      errors.push(`${source}:${i + 1}: ${(e as Error).message.split('\n')[0]}`);
    }
  });
  if (errors.length > 0) {
    throw new XsiteError('FLOW_FILE_INVALID', `invalid flow file ${source}: ${errors.length} error(s)\n  ${errors.join('\n  ')}`, { errors });
  }
  return entries;
}

/** Something that takes OpenFlow messages and returns replies (a SoftSwitch). */
export interface MessageSink {
  handleMessage(msg: OfpMessage): OfpMessage[];
}

/**
 * Installs flow-file entries (groups first, so flows may reference them) into switches found by `lookup`; a switch
 * that refuses an entry is an error naming the line and the OpenFlow error.
 */
export function installFlowFile(entries: FlowFileEntry[], lookup: (name: string) => MessageSink | undefined, source = '<flows>'): void {
  const ordered = [...entries.filter((e) => e.message.type === 'group_mod'), ...entries.filter((e) => e.message.type !== 'group_mod')];
  for (const e of ordered) {
    const sw = lookup(e.switch);
    if (!sw) throw new XsiteError('FLOW_FILE_UNKNOWN_SWITCH', `${source}:${e.line}: no switch named ${e.switch} in the topology`);
    const replies = sw.handleMessage(e.message);
    const err = replies.find((r) => r.type === 'error' || r.type === 'error_experimenter');
    if (err) {
      const what = err.type === 'error' ? `type ${err.errType} code ${err.code}` : `experimenter error ${err.expType}`;
      throw new XsiteError('FLOW_FILE_REFUSED', `${source}:${e.line}: switch ${e.switch} refused the entry (OpenFlow error ${what}): ${e.text}`);
    }
  }
}
