import { XsiteError, isXsiteError } from '../../core/errors';
import {
  CHANNEL_KINDS,
  CHANNEL_PROTOCOL_VERSIONS,
  DEFAULT_MAX_FRAME_BYTES,
  type ChannelEnvelope,
  type ChannelKind,
  type ErrorBody,
  type Outcome,
} from '../../ports/control-channel';
import { encodeFrame } from './framing';

/** Longest accepted envelope id / DC name. */
export const MAX_ID_LENGTH = 256;

/** Handshake kinds every version must understand (they carry the negotiation and its failures). */
const VERSIONLESS_KINDS: ReadonlySet<string> = new Set(['hello', 'hello_ok', 'auth_fail', 'error']);

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Serialises an envelope into one frame. Throws CHANNEL_BAD_FRAME when the JSON is too large or not serialisable. */
export function encodeEnvelope(env: ChannelEnvelope, maxFrameBytes = DEFAULT_MAX_FRAME_BYTES): Buffer {
  let json: string;
  try {
    json = JSON.stringify(env);
  } catch (e) {
    throw new XsiteError('CHANNEL_BAD_FRAME', `message is not JSON-serialisable: ${(e as Error).message}`, { kind: env.kind });
  }
  return encodeFrame(Buffer.from(json, 'utf8'), maxFrameBytes);
}

/**
 * Parses and validates one frame payload. Throws CHANNEL_BAD_FRAME (not UTF-8, not JSON, not an envelope) or
 * CHANNEL_VERSION (a non-handshake message in a version this side does not speak). `details.id` carries the message id
 * when it could be read, so the error reply can refer to it.
 */
export function decodeEnvelope(frame: Buffer, versions: readonly number[] = CHANNEL_PROTOCOL_VERSIONS): ChannelEnvelope {
  let obj: unknown;
  try {
    obj = JSON.parse(utf8.decode(frame));
  } catch {
    throw new XsiteError('CHANNEL_BAD_FRAME', 'frame is not UTF-8 JSON', { length: frame.length });
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
    throw new XsiteError('CHANNEL_BAD_FRAME', 'frame is not a JSON object');
  }
  const o = obj as Record<string, unknown>;
  const id = typeof o['id'] === 'string' && o['id'].length <= MAX_ID_LENGTH ? o['id'] : undefined;
  const bad = (what: string): XsiteError => new XsiteError('CHANNEL_BAD_FRAME', `bad envelope: ${what}`, id !== undefined ? { id } : {});
  if (id === undefined) throw bad('id must be a string of at most 256 characters');
  const v = o['v'];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw bad('v must be a positive integer');
  const kind = o['kind'];
  if (typeof kind !== 'string') throw bad('kind must be a string');
  if (!VERSIONLESS_KINDS.has(kind) && !versions.includes(v)) {
    throw new XsiteError('CHANNEL_VERSION', `protocol version ${v} not spoken (speaks ${versions.join(', ')})`, {
      id,
      supported: [...versions],
    });
  }
  if (!(CHANNEL_KINDS as readonly string[]).includes(kind)) throw bad(`unknown kind ${JSON.stringify(kind).slice(0, 40)}`);
  const env: ChannelEnvelope = { v, kind: kind as ChannelKind, id, body: o['body'] === undefined ? null : o['body'] };
  if (o['dc'] !== undefined) {
    if (typeof o['dc'] !== 'string' || o['dc'].length > MAX_ID_LENGTH) throw bad('dc must be a string');
    env.dc = o['dc'];
  }
  return env;
}

/** The error body for any thrown value: an XsiteError keeps its code, anything else becomes `fallbackCode`. */
export function errorBody(e: unknown, fallbackCode = 'CHANNEL_HANDLER_FAILED'): ErrorBody {
  if (isXsiteError(e)) {
    const body: ErrorBody = { code: e.code, message: e.message };
    const details = jsonSafe(e.details);
    if (details !== undefined) body.details = details;
    return body;
  }
  return { code: fallbackCode, message: e instanceof Error ? e.message : String(e) };
}

/** Rebuilds an XsiteError from a received error body (tolerating a malformed one). */
export function errorFromBody(body: unknown, fallbackCode = 'CHANNEL_BAD_FRAME'): XsiteError {
  if (typeof body === 'object' && body !== null) {
    const b = body as Record<string, unknown>;
    const code = typeof b['code'] === 'string' ? b['code'] : fallbackCode;
    const message = typeof b['message'] === 'string' ? b['message'] : 'peer reported an error';
    const details = typeof b['details'] === 'object' && b['details'] !== null ? (b['details'] as Record<string, unknown>) : undefined;
    return new XsiteError(code, message, details);
  }
  return new XsiteError(fallbackCode, 'peer reported a malformed error');
}

/** Reads an Outcome (reply / job_ack body): the value, or throws the reported error. */
export function unwrapOutcome(body: unknown): unknown {
  if (typeof body === 'object' && body !== null && 'ok' in body) {
    const o = body as Outcome;
    if (o.ok === true) return o.value;
    throw errorFromBody(o.error, 'CHANNEL_HANDLER_FAILED');
  }
  throw new XsiteError('CHANNEL_BAD_FRAME', 'reply without an outcome');
}

/** Runs `fn` and turns its result or failure into an Outcome. */
export async function toOutcome(fn: () => unknown): Promise<Outcome> {
  try {
    const value = await fn();
    return { ok: true, value: value === undefined ? null : value };
  } catch (e) {
    return { ok: false, error: errorBody(e) };
  }
}

function jsonSafe(d: Readonly<Record<string, unknown>> | undefined): Record<string, unknown> | undefined {
  if (d === undefined) return undefined;
  try {
    return JSON.parse(JSON.stringify(d, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
