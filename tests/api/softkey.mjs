// A software passkey for API tests (no browser): ES256 key, attestation
// "none", assertions with a chosen sign counter. Encodes just the CBOR the
// ceremonies need (unsigned and negative integers, text, bytes, maps).
import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';

const sha256 = (b) => createHash('sha256').update(b).digest();
const b64u = (b) => Buffer.from(b).toString('base64url');

function head(major, n) {
  if (n < 24) return Buffer.from([(major << 5) | n]);
  if (n < 256) return Buffer.from([(major << 5) | 24, n]);
  const b = Buffer.alloc(3);
  b[0] = (major << 5) | 25;
  b.writeUInt16BE(n, 1);
  return b;
}

function cbor(v) {
  if (typeof v === 'number') return v >= 0 ? head(0, v) : head(1, -1 - v);
  if (typeof v === 'string') { const b = Buffer.from(v); return Buffer.concat([head(3, b.length), b]); }
  if (Buffer.isBuffer(v)) return Buffer.concat([head(2, v.length), v]);
  if (v instanceof Map) return Buffer.concat([head(5, v.size), ...[...v].flatMap(([k, x]) => [cbor(k), cbor(x)])]);
  throw new Error(`cbor: cannot encode ${typeof v}`);
}

const u32 = (n) => { const b = Buffer.alloc(4); b.writeUInt32BE(n); return b; };
const u16 = (n) => { const b = Buffer.alloc(2); b.writeUInt16BE(n); return b; };

/** A passkey for origin (http://localhost:PORT) whose rpId is its host. */
export function softKey(origin) {
  const rpId = new URL(origin).hostname;
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = publicKey.export({ format: 'jwk' });
  const credId = randomBytes(16);
  let counter = 0;
  return {
    id: b64u(credId),
    /** The answer to navigator.credentials.create for options (publicKey). */
    register(options) {
      const cd = Buffer.from(JSON.stringify({ type: 'webauthn.create', challenge: options.challenge, origin }));
      const cose = new Map([[1, 2], [3, -7], [-1, 1], [-2, Buffer.from(jwk.x, 'base64url')], [-3, Buffer.from(jwk.y, 'base64url')]]);
      // flags: user present, user verified, attested credential data
      const auth = Buffer.concat([sha256(rpId), Buffer.from([0x45]), u32(counter), Buffer.alloc(16), u16(credId.length), credId, cbor(cose)]);
      const att = cbor(new Map([['fmt', 'none'], ['attStmt', new Map()], ['authData', auth]]));
      return { client_data: b64u(cd), attestation_object: b64u(att) };
    },
    /** The answer to navigator.credentials.get; the counter moves on unless given. */
    assert(options, { signCount } = {}) {
      counter = signCount ?? counter + 1;
      const cd = Buffer.from(JSON.stringify({ type: 'webauthn.get', challenge: options.challenge, origin }));
      const auth = Buffer.concat([sha256(rpId), Buffer.from([0x05]), u32(counter)]);
      const sig = sign('sha256', Buffer.concat([auth, sha256(cd)]), privateKey);
      return { id: b64u(credId), client_data: b64u(cd), authenticator_data: b64u(auth), signature: b64u(sig) };
    },
  };
}
