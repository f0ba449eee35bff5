/**
 * `formatFlow`: a flow_mod or a flow-stats entry as one `ovs-ofctl dump-flows` line (without its leading blank):
 *
 *     cookie=0x5, duration=1.5s, table=1, n_packets=3, n_bytes=180, idle_timeout=10, send_flow_rem priority=100,ip,nw_dst=10.0.0.2 actions=goto_table:2
 *
 * Like dump-flows, `cookie=` and `table=` appear for stats entries always and otherwise only when non-zero;
 * `duration`, `n_packets`, `n_bytes` only for stats. For a flow_mod the match-side keywords of modify/delete
 * (`cookie=V/M`, `out_port=`, `out_group=`) are printed when set, so the line parses back with the same command.
 * The output is accepted by {@link parseFlow} (stats keywords are ignored there), and printing that parse again
 * gives the same text.
 */
import { OFPFC, OFPFF, OFPG, OFPP, OFPTT } from '../../codec/openflow/constants';
import type { FlowStats, MessageOf } from '../../codec/openflow/types';
import { formatInstructions } from './format-actions';
import { formatMatch } from './format-match';
import { hexAlt, portText } from './values';

/** Options of {@link formatFlow}. */
export interface FormatFlowOptions {
  /** Print `duration=` for flow stats (default true, as dump-flows does; false gives stable text for tests). */
  duration?: boolean;
}

const FLAG_TEXT: readonly [number, string][] = [
  [OFPFF.SEND_FLOW_REM, 'send_flow_rem'],
  [OFPFF.CHECK_OVERLAP, 'check_overlap'],
  [OFPFF.RESET_COUNTS, 'reset_counts'],
  [OFPFF.NO_PKT_COUNTS, 'no_packet_counts'],
  [OFPFF.NO_BYT_COUNTS, 'no_byte_counts'],
];

/** Seconds + nanoseconds as OVS prints a duration: no decimals, 3 for whole milliseconds, else just enough. */
export function formatDuration(sec: number, nsec: number): string {
  if (nsec <= 0) return `${sec}s`;
  if (nsec % 1_000_000 === 0) return `${sec}.${String(nsec / 1_000_000).padStart(3, '0')}s`;
  return `${sec}.${String(nsec).padStart(9, '0').replace(/0+$/, '')}s`;
}

function isFlowMod(x: MessageOf<'flow_mod'> | FlowStats): x is MessageOf<'flow_mod'> {
  return (x as MessageOf<'flow_mod'>).type === 'flow_mod';
}

/** One flow (flow_mod or flow stats) as a dump-flows line. */
export function formatFlow(flow: MessageOf<'flow_mod'> | FlowStats, opts: FormatFlowOptions = {}): string {
  const stats = !isFlowMod(flow);
  let s = '';
  if (stats || flow.cookie !== 0n || (!stats && flow.cookieMask !== 0n)) {
    const mask = !stats && flow.cookieMask !== 0n ? `/${hexAlt(flow.cookieMask)}` : '';
    s += `cookie=0x${flow.cookie.toString(16)}${mask}, `;
  }
  if (stats && opts.duration !== false) s += `duration=${formatDuration(flow.durationSec, flow.durationNsec)}, `;
  const tableShown = stats || (flow.tableId !== 0 && flow.tableId !== OFPTT.ALL);
  if (tableShown) s += `table=${flow.tableId}, `;
  if (stats) s += `n_packets=${flow.packetCount}, n_bytes=${flow.byteCount}, `;
  if (flow.idleTimeout !== 0) s += `idle_timeout=${flow.idleTimeout}, `;
  if (flow.hardTimeout !== 0) s += `hard_timeout=${flow.hardTimeout}, `;
  for (const [bit, name] of FLAG_TEXT) if (flow.flags & bit) s += `${name} `;
  if (!stats) {
    if (flow.outPort !== OFPP.ANY) s += `out_port=${portText(flow.outPort)}, `;
    if (flow.outGroup !== OFPG.ANY) s += `out_group=${flow.outGroup}, `;
  }
  const match = formatMatch(flow.match, { priority: flow.priority });
  if (match !== '') s += `${match} `;
  const isDelete = !stats && (flow.command === OFPFC.DELETE || flow.command === OFPFC.DELETE_STRICT);
  if (isDelete) return s.replace(/[, ]+$/, '');
  return `${s}actions=${formatInstructions(flow.instructions)}`;
}
