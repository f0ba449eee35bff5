/**
 * Where things are in a YAML topology: parses the text with the `yaml` document API and maps a path in the parsed
 * value (`['vms', 3, 'ip']`) back to the line and column of its node, so validation can point at the field.
 */
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node as YamlNode } from 'yaml';
import type { PathSegment, TopologyIssue } from './issues';

/** 1-based position in the source text. */
export interface SourcePos {
  line: number;
  col: number;
}

/**
 * Maps a path to a position. `at: 'key'` asks for the key of the last segment (for unknown keys), `'value'` for its
 * value. A path that does not exist in full (a missing required field) maps to the deepest node that exists.
 */
export type Locator = (path: readonly PathSegment[], at: 'key' | 'value') => SourcePos | undefined;

/** A parsed YAML topology: its plain value, a locator, and the syntax errors the parser found. */
export interface ParsedSource {
  value: unknown;
  locate: Locator;
  syntaxErrors: TopologyIssue[];
}

/** Parses YAML text into a plain value plus a {@link Locator}; syntax errors are returned, not thrown. */
export function parseYamlSource(text: string): ParsedSource {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const syntaxErrors: TopologyIssue[] = doc.errors.map((e) => {
    const pos = lc.linePos(e.pos[0]);
    return { path: '', line: pos.line, col: pos.col, message: `invalid YAML: ${e.message.split('\n')[0]}`, rule: 'yaml-syntax' };
  });
  const value = syntaxErrors.length > 0 ? undefined : doc.toJS({ maxAliasCount: 100 });
  return { value, locate: locatorOf(doc, lc), syntaxErrors };
}

function posOf(node: YamlNode | null | undefined, lc: LineCounter): SourcePos | undefined {
  return node?.range ? lc.linePos(node.range[0]) : undefined;
}

function locatorOf(doc: Document, lc: LineCounter): Locator {
  return (path, at) => {
    let node = doc.contents as YamlNode | null;
    let best = posOf(node, lc);
    for (let i = 0; i < path.length; i++) {
      const seg = path[i];
      const last = i === path.length - 1;
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
        if (!pair) return best;
        if (last && at === 'key') return posOf(pair.key as YamlNode, lc) ?? best;
        node = (pair.value ?? null) as YamlNode | null;
        // `key:` with no value: point at the key.
        best = posOf(node, lc) ?? posOf(pair.key as YamlNode, lc) ?? best;
      } else if (isSeq(node) && typeof seg === 'number') {
        const item = node.items[seg] as YamlNode | undefined;
        if (!item) return best;
        node = item;
        best = posOf(node, lc) ?? best;
      } else {
        return best;
      }
    }
    return best;
  };
}
