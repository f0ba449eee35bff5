/**
 * The lab state file (`<dir>/state.json`): what a lab created, written BEFORE each resource is created, so that
 * `Lab.down(dir)` can remove everything after a crash using nothing but this file.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { XsiteError } from '../core/errors';
import type { ValidTopology } from './topology';

/** One thing a lab creates. */
export type LabResource =
  /** The lab directory; `created` false when it existed (empty) before. */
  | { kind: 'dir'; path: string; created: boolean }
  /** Symlink `<root>/<prefix>` -> a lab directory outside the root. */
  | { kind: 'registry'; path: string }
  /** A network namespace. */
  | { kind: 'netns'; name: string }
  /** The private ovsdb-server + ovs-vswitchd (stopped through the pidfiles in `dir`). */
  | { kind: 'ovs'; dir: string; netns: string }
  /** A controller relay process (root namespace) with its pidfile and Unix socket. */
  | { kind: 'relay'; pidfile: string; socket: string; target: string }
  /** A veth pair, deleted through its end `name` in namespace `netns`. */
  | { kind: 'veth'; name: string; peer: string; netns: string; peerNetns: string }
  /** An OVS bridge (lives in the private database, gone with it). */
  | { kind: 'bridge'; name: string };

/** Contents of state.json. */
export interface LabState {
  version: 1;
  prefix: string;
  name: string;
  dir: string;
  createdAt: string;
  /** PID of the process that built the lab. */
  pid: number;
  status: 'building' | 'up' | 'tearing-down';
  topology: ValidTopology;
  /** In creation order. */
  resources: LabResource[];
  /** Controller targets as configured on the bridges (after relaying). */
  controllers: Record<string, string>;
}

/** Path of the state file in a lab directory. */
export function stateFile(dir: string): string {
  return path.join(dir, 'state.json');
}

/** Writes the state atomically (temp file + rename) and synchronously (so it is on disk before the next step). */
export function writeState(state: LabState): void {
  const file = stateFile(state.dir);
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`);
  fs.renameSync(tmp, file);
}

/** Reads a lab's state; undefined when there is no state file. Throws `LAB_BAD_STATE` when it is unreadable. */
export function readState(dir: string): LabState | undefined {
  let text: string;
  try {
    text = fs.readFileSync(stateFile(dir), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const s = JSON.parse(text) as LabState;
    if (s.version !== 1 || !Array.isArray(s.resources) || typeof s.prefix !== 'string') throw new Error('unexpected shape');
    return s;
  } catch (e) {
    throw new XsiteError('LAB_BAD_STATE', `${stateFile(dir)}: ${(e as Error).message}`, { dir });
  }
}
