/** Test helpers for the soft switch: wired ports that capture frames, flow_mod builders, packet builders. */
import { VirtualClock } from '../../../../src/core/clock';
import type { Action, Instruction, Match, MessageOf, OfpMessage } from '../../../../src/codec/openflow/types';
import { SoftSwitch, type SoftSwitchOptions } from '../../../../src/emulator/switch';

export const NB = 0xffffffff;
export const CONTROLLER = 0xfffffffd;
export const TABLE = 0xfffffff9;

/** A switch with ports 1..n wired to capture lists, and async messages captured. */
export function makeSwitch(nPorts = 4, opts: Partial<SoftSwitchOptions> = {}) {
  const clock = new VirtualClock();
  const sw = new SoftSwitch({ dpid: 1n, name: 'sw1', clock, failMode: 'secure', ...opts });
  const async: OfpMessage[] = [];
  sw.onAsync = (m) => async.push(m);
  const out = new Map<number, Buffer[]>();
  const links = new Map<number, { up: boolean }>();
  for (let p = 1; p <= nPorts; p++) {
    const frames: Buffer[] = [];
    out.set(p, frames);
    const ep = sw.addPort(p, `p${p}`, `02:00:00:00:00:${p.toString(16).padStart(2, '0')}`);
    const tx = { up: true, transmit: (f: Buffer) => frames.push(Buffer.from(f)) };
    links.set(p, tx);
    ep.attach(tx);
  }
  async.length = 0;
  const send = (msg: OfpMessage): OfpMessage[] => sw.handleMessage(msg);
  const mod = (o: Partial<MessageOf<'flow_mod'>>): OfpMessage[] => send(fm(o));
  /** Asserts no error and returns nothing. */
  const ok = (o: Partial<MessageOf<'flow_mod'>>): void => {
    const r = mod(o);
    if (r.length > 0) throw new Error(`flow_mod refused: ${JSON.stringify(r, (_, v) => (typeof v === 'bigint' ? v.toString() : v))}`);
  };
  const clear = (): void => {
    for (const f of out.values()) f.length = 0;
    async.length = 0;
  };
  return { sw, clock, async, out, send, mod, ok, clear, links };
}

export function fm(o: Partial<MessageOf<'flow_mod'>>): MessageOf<'flow_mod'> {
  return {
    type: 'flow_mod',
    cookie: 0n,
    cookieMask: 0n,
    tableId: 0,
    command: 0,
    idleTimeout: 0,
    hardTimeout: 0,
    priority: 100,
    bufferId: NB,
    outPort: NB,
    outGroup: NB,
    flags: 0,
    match: [],
    instructions: [],
    ...o,
  };
}

export const out = (port: number, maxLen = 0): Action => ({ type: 'output', port, maxLen });
export const apply = (...actions: Action[]): Instruction => ({ type: 'apply_actions', actions });
export const write = (...actions: Action[]): Instruction => ({ type: 'write_actions', actions });
export const goto = (tableId: number): Instruction => ({ type: 'goto_table', tableId });
export const setf = (field: string, value: number | bigint | string): Action =>
  ({ type: 'set_field', field: { field, value } }) as Action;
export const m = (...pairs: [string, number | bigint | string, (number | bigint | string)?][]): Match =>
  pairs.map(([field, value, mask]) => (mask === undefined ? { field, value } : { field, value, mask })) as Match;

export function errorOf(replies: OfpMessage[]): [number, number] | undefined {
  const e = replies.find((r) => r.type === 'error') as MessageOf<'error'> | undefined;
  return e ? [e.errType, e.code] : undefined;
}

export function flowStatsReq(o: Partial<{ tableId: number; outPort: number; outGroup: number; cookie: bigint; cookieMask: bigint; match: Match }> = {}): OfpMessage {
  return {
    type: 'multipart_request',
    flags: 0,
    body: { mpType: 'flow', tableId: 0xff, outPort: NB, outGroup: NB, cookie: 0n, cookieMask: 0n, match: [], ...o },
  };
}
