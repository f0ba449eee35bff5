/**
 * From YAML text (or a file) to a resolved {@link Topology}: parse, validate with line numbers, apply defaults.
 * `loadTopologyFile` is the module's only I/O.
 */
import { readFileSync } from 'node:fs';
import { XsiteError } from '../../core/errors';
import { resolveTopology } from './defaults';
import { topologyError } from './issues';
import type { Topology, TopologySpec } from './model';
import { parseYamlSource } from './source';
import { validateTopology } from './validate';

/**
 * Parses and validates YAML text into the spec as written (no defaults applied). `source` names the text in
 * messages (`source:line:col: path: message`). Throws `TOPOLOGY_INVALID` listing every error, YAML syntax errors
 * included.
 */
export function parseTopologySpec(text: string, source?: string): TopologySpec {
  const parsed = parseYamlSource(text);
  if (parsed.syntaxErrors.length > 0) throw topologyError(parsed.syntaxErrors, source);
  return validateTopology(parsed.value, { locate: parsed.locate, ...(source !== undefined ? { source } : {}) });
}

/** Parses, validates and resolves YAML text. Throws `TOPOLOGY_INVALID` (see {@link parseTopologySpec}). */
export function parseTopology(text: string, source?: string): Topology {
  return resolveTopology(parseTopologySpec(text, source));
}

/**
 * Reads a YAML topology file, validates it (errors name `path:line:col`) and resolves it. Throws
 * `TOPOLOGY_UNREADABLE` when the file cannot be read, `TOPOLOGY_INVALID` when its content is wrong.
 */
export function loadTopologyFile(path: string): Topology {
  return resolveTopology(loadTopologySpecFile(path));
}

/** Reads and validates a YAML topology file, unresolved (errors as {@link loadTopologyFile}). */
export function loadTopologySpecFile(path: string): TopologySpec {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new XsiteError('TOPOLOGY_UNREADABLE', `cannot read topology file ${path}: ${(e as Error).message}`, { path });
  }
  return parseTopologySpec(text, path);
}
