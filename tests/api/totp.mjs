// RFC 6238 codes (SHA-1, 6 digits, 30-second steps) computed with node:crypto,
// independently of the server, for the second-factor tests (API and browser).
import { createHmac } from 'node:crypto';
import assert from 'node:assert/strict';

function base32Decode(s) {
  const alpha = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0, value = 0;
  const out = [];
  for (const c of s.replace(/=+$/, '')) {
    value = (value << 5) | alpha.indexOf(c);
    bits += 5;
    if (bits >= 8) { out.push((value >>> (bits - 8)) & 255); bits -= 8; }
  }
  return Buffer.from(out);
}

/** The code of a step. */
export function totp(secretB32, step) {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(step));
  const h = createHmac('sha1', base32Decode(secretB32)).update(msg).digest();
  const off = h[h.length - 1] & 15;
  const n = ((h[off] & 127) << 24) | (h[off + 1] << 16) | (h[off + 2] << 8) | h[off + 3];
  return String(n % 1000000).padStart(6, '0');
}

/** The server's clock (--test-clock), in seconds. */
export async function serverNow(s) {
  const r = await s.api('/v1/test/clock', { method: 'POST', body: { advance_s: 0 } });
  assert.equal(r.status, 200);
  return Math.floor(Date.parse(r.body.now) / 1000);
}
