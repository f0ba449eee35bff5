/**
 * Tokenizing of ovs-ofctl flow text: the `key=value` list before `actions=`, and the comma list of actions after
 * it (parentheses nest, so `write_actions(output:1,group:2)` stays one item). Every token keeps its offset in the
 * original text so errors can point at it.
 */
import { syntaxError } from './errors';

/** One `key` or `key=value` element of the flow (or group) part. */
export interface Field {
  readonly key: string;
  /** Offset of the key in the full text. */
  readonly keyPos: number;
  /** The value after `=`, or undefined for a bare keyword such as `ip` or `send_flow_rem`. */
  readonly value: string | undefined;
  /** Offset of the value (or just past the key when there is none). */
  readonly valuePos: number;
}

/** One element of an action list: `name`, `name:arg` or `name(arg)`. */
export interface ActionItem {
  /** The name as written (callers compare it case-insensitively). */
  readonly name: string;
  readonly namePos: number;
  /** The argument after `:` or inside the parentheses; undefined for a bare name. */
  readonly arg: string | undefined;
  readonly argPos: number;
  /** True for the `name(arg)` form. */
  readonly paren: boolean;
}

/** A piece of the text: its content and the offset where it starts. */
export interface Span {
  readonly s: string;
  readonly pos: number;
}

const isSep = (c: string): boolean => c === ',' || c === ' ' || c === '\t' || c === '\r' || c === '\n';

/**
 * Splits `span` at top-level separators (commas, and also blanks when `blanks` is true), keeping parenthesized
 * groups whole. Empty pieces are dropped. An unbalanced parenthesis is a syntax error.
 */
export function splitList(text: string, span: Span, blanks: boolean): Span[] {
  const out: Span[] = [];
  let depth = 0;
  let start = -1;
  let openAt = -1;
  const { s, pos } = span;
  const flush = (end: number): void => {
    if (start >= 0) {
      let a = start;
      let b = end;
      while (a < b && isSep(s[a]!)) a++;
      while (b > a && isSep(s[b - 1]!)) b--;
      if (b > a) out.push({ s: s.slice(a, b), pos: pos + a });
    }
    start = -1;
  };
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '(') {
      if (depth === 0) openAt = i;
      depth++;
    } else if (c === ')') {
      if (depth === 0) throw syntaxError(text, pos + i, 'unbalanced ")"', 'a matching "("');
      depth--;
    }
    if (depth === 0 && (c === ',' || (blanks && isSep(c)))) {
      flush(i);
      continue;
    }
    if (start < 0) start = i;
  }
  if (depth !== 0) throw syntaxError(text, pos + openAt, 'unclosed "("', 'a matching ")"');
  flush(s.length);
  return out;
}

/** Splits a `key[=value]` element. */
export function toField(piece: Span): Field {
  const eq = piece.s.indexOf('=');
  if (eq < 0) return { key: piece.s, keyPos: piece.pos, value: undefined, valuePos: piece.pos + piece.s.length };
  return {
    key: piece.s.slice(0, eq).trim(),
    keyPos: piece.pos,
    value: piece.s.slice(eq + 1).trim(),
    valuePos: piece.pos + eq + 1 + (piece.s.slice(eq + 1).length - piece.s.slice(eq + 1).trimStart().length),
  };
}

/** Splits an action element into name and argument (`name:arg`, `name(arg)`, or a bare `name`). */
export function toActionItem(text: string, piece: Span): ActionItem {
  const { s, pos } = piece;
  const colon = s.indexOf(':');
  const paren = s.indexOf('(');
  if (paren >= 0 && (colon < 0 || paren < colon)) {
    if (!s.endsWith(')')) throw syntaxError(text, pos + s.length, 'text after ")"', '"," or the end of the list');
    return { name: s.slice(0, paren).trim(), namePos: pos, arg: s.slice(paren + 1, -1), argPos: pos + paren + 1, paren: true };
  }
  if (colon >= 0) return { name: s.slice(0, colon).trim(), namePos: pos, arg: s.slice(colon + 1), argPos: pos + colon + 1, paren: false };
  return { name: s, namePos: pos, arg: undefined, argPos: pos + s.length, paren: false };
}

/**
 * Finds `actions=` (or `action=`) as a keyword of its own and splits the text there. Returns the flow part and
 * the action part (undefined when the text has no actions).
 */
export function splitActions(text: string): { flow: Span; actions: Span | undefined; actionsKeyPos: number } {
  const re = /(^|[\s,])(actions?)\s*=/g;
  const m = re.exec(text);
  if (!m) return { flow: { s: text, pos: 0 }, actions: undefined, actionsKeyPos: -1 };
  const keyPos = m.index + m[1]!.length;
  const after = m.index + m[0].length;
  return { flow: { s: text.slice(0, keyPos), pos: 0 }, actions: { s: text.slice(after), pos: after }, actionsKeyPos: keyPos };
}
