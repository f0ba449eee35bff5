/**
 * Errors of the ovs-ofctl flow syntax module. Every rejection is an {@link XsiteError} with code `FLOW_SYNTAX` and
 * `details: { text, position, expected }`, and a message that quotes the input with a caret under the offending
 * token, so a CLI can print it as is.
 */
import { XsiteError } from '../../core/errors';

/** Stable error code of every flow/group syntax error. */
export const FLOW_SYNTAX = 'FLOW_SYNTAX';

/** Structured context of a `FLOW_SYNTAX` error. */
export interface FlowSyntaxDetails {
  /** The whole text that was being parsed. */
  text: string;
  /** 0-based offset in `text` of the offending token. */
  position: number;
  /** What would have been acceptable there (human-readable). */
  expected: string;
  /** Closest known name, when the token looked like a misspelt keyword. */
  suggestion?: string;
}

/**
 * Builds a `FLOW_SYNTAX` error. `what` says what is wrong ("bad MAC address"), `position` points at the token;
 * the message ends with the text and a caret line.
 */
export function syntaxError(
  text: string,
  position: number,
  what: string,
  expected: string,
  suggestion?: string,
): XsiteError {
  const pos = Math.max(0, Math.min(position, text.length));
  const hint = suggestion !== undefined ? ` (did you mean "${suggestion}"?)` : '';
  const caret = `${' '.repeat(pos)}^`;
  const message = `${what} at column ${pos + 1}: expected ${expected}${hint}\n  ${text}\n  ${caret}`;
  const details: FlowSyntaxDetails = { text, position: pos, expected };
  if (suggestion !== undefined) details.suggestion = suggestion;
  return new XsiteError(FLOW_SYNTAX, message, details as unknown as Record<string, unknown>);
}

/** Levenshtein distance, capped work for the short keywords it is used on. */
function distance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(up + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}

/**
 * The known name closest to `word` (same name in another case, else edit distance at most 2, or 3 for long words),
 * or undefined when nothing is close enough.
 */
export function closest(word: string, known: Iterable<string>): string | undefined {
  const lower = word.toLowerCase();
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    if (k.toLowerCase() === lower) return k;
    const d = distance(lower, k.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  const limit = word.length >= 8 ? 3 : 2;
  return bestD <= limit ? best : undefined;
}
