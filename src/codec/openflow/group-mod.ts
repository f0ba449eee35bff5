/** Body of GROUP_MOD (ofp_group_mod) and the ofp_bucket list it shares with the group_desc multipart reply. */
import { decodeActions, encodeActions } from './actions';
import { OFPBAC, OFPGMFC } from './constants';
import { OFPET } from './errors';
import { badValue, checkUint, decodeFail } from './fail';
import type { Bucket, MessageOf } from './types';
import type { Reader, Writer } from './wire';

/** Size of the fixed part of ofp_bucket. */
const BUCKET_HEADER = 16;

/** Writes a list of ofp_bucket. */
export function encodeBuckets(w: Writer, buckets: readonly Bucket[]): void {
  for (const b of buckets) {
    checkUint(b.weight, 0xffff, 'bucket weight');
    checkUint(b.watchPort, 0xffffffff, 'bucket watch_port');
    checkUint(b.watchGroup, 0xffffffff, 'bucket watch_group');
    const start = w.pos;
    w.u16(0).u16(b.weight).u32(b.watchPort).u32(b.watchGroup).u32(0);
    encodeActions(w, b.actions);
    const len = w.pos - start;
    if (len > 0xffff) badValue(`bucket too long (${len} bytes)`);
    w.patchU16(start, len);
  }
}

/**
 * Reads ofp_buckets filling the window `r`. A bucket length below 16, not a multiple of 8 or past the window ->
 * OFPET_GROUP_MOD_FAILED / OFPGMFC_BAD_BUCKET; action errors -> OFPET_BAD_ACTION.
 */
export function decodeBuckets(r: Reader): Bucket[] {
  const out: Bucket[] = [];
  while (r.remaining > 0) {
    const p = r.pos;
    const len = r.remaining >= 2 ? r.peekU16() : 0;
    if (len < BUCKET_HEADER || (len & 7) !== 0 || len > r.remaining) {
      decodeFail('OFP_BAD_BUCKET', `bucket length ${len} invalid`, OFPET.GROUP_MOD_FAILED, OFPGMFC.BAD_BUCKET, {
        offset: p,
        len,
      });
    }
    r.skip(2);
    const weight = r.u16();
    const watchPort = r.u32();
    const watchGroup = r.u32();
    r.skip(4);
    const actions = decodeActions(r.sub(len - BUCKET_HEADER, 'actions', OFPET.BAD_ACTION, OFPBAC.BAD_LEN));
    out.push({ weight, watchPort, watchGroup, actions });
  }
  return out;
}

/** Writes a GROUP_MOD body. */
export function encodeGroupMod(w: Writer, m: MessageOf<'group_mod'>): void {
  checkUint(m.command, 0xffff, 'group command');
  checkUint(m.groupType, 0xff, 'group type');
  checkUint(m.groupId, 0xffffffff, 'group id');
  w.u16(m.command).u8(m.groupType).u8(0).u32(m.groupId);
  encodeBuckets(w, m.buckets);
}

/** Reads a GROUP_MOD body. */
export function decodeGroupMod(r: Reader): MessageOf<'group_mod'> {
  const command = r.u16();
  const groupType = r.u8();
  r.skip(1);
  const groupId = r.u32();
  return { type: 'group_mod', command, groupType, groupId, buckets: decodeBuckets(r) };
}
