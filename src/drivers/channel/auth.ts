import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** A fresh challenge: 32 random bytes, hex. */
export function newNonce(): string {
  return randomBytes(32).toString('hex');
}

/** The client's answer to a challenge: HMAC-SHA256(secret, nonce + ":" + dc), hex. Binds the answer to the DC name. */
export function channelMac(secret: string | Buffer, nonce: string, dc: string): string {
  return createHmac('sha256', secret).update(`${nonce}:${dc}`, 'utf8').digest('hex');
}

/** Constant-time check of a received MAC. */
export function verifyMac(secret: string | Buffer, nonce: string, dc: string, mac: string): boolean {
  const want = Buffer.from(channelMac(secret, nonce, dc), 'hex');
  if (!/^[0-9a-f]*$/i.test(mac)) return false;
  const got = Buffer.from(mac, 'hex');
  return got.length === want.length && timingSafeEqual(got, want);
}
