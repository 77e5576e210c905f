// Passkeys and security keys (WebAuthn), the parts a browser is not needed
// for: the relying party comes from the base URL (an IP address is refused),
// options and their single-use challenges, malformed or replayed answers,
// one's own credentials only, the pending-session rules. The ceremonies
// themselves are tested in tests/browser/passkeys.test.mjs with Chromium's
// virtual authenticator.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { startServer, freePort, assertProblem, PASSWORD } from './lib.mjs';
import { softKey } from './softkey.mjs';

const post = (s, path, token, body) => s.api(path, { method: 'POST', token, body });
const b64u = (x) => Buffer.from(x).toString('base64url');
const sql = (s, q) => {
  const r = spawnSync('sqlite3', [s.db, q], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
};

test('passkeys: need a host name as base URL', async () => {
  const s = await startServer({ args: ['--base-url', 'http://127.0.0.1:9'] });
  try {
    const admin = await s.login();
    assertProblem(await post(s, '/v1/me/mfa/webauthn/options', admin), 409, 'webauthn_unavailable');
  } finally {
    await s.stop();
  }
});

test('passkeys: options, single-use challenges, malformed and replayed answers, own credentials only', async () => {
  const port = await freePort();
  const base = `http://localhost:${port}`;
  const s = await startServer({ port, args: ['--base-url', base] });
  try {
    const admin = await s.login();
    const o = await post(s, '/v1/me/mfa/webauthn/options', admin);
    assert.equal(o.status, 200, JSON.stringify(o.body));
    const pk = o.body.publicKey;
    assert.equal(pk.rp.id, 'localhost');
    assert.equal(pk.rp.name, 'Acme Plant');
    assert.equal(pk.user.name, 'admin@acme.test');
    assert.match(pk.challenge, /^[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(pk.pubKeyCredParams.map((p) => p.alg), [-7, -8, -257]); // ES256, EdDSA, RS256
    assert.deepEqual(pk.excludeCredentials, []);
    // Stored hashed, never as sent.
    const stored = sql(s, 'SELECT hash, purpose FROM webauthn_challenges');
    assert.match(stored, /^[0-9a-f]{64}\|register$/);
    assert.ok(!stored.includes(pk.challenge));

    const cd = (over = {}) => b64u(JSON.stringify({ type: 'webauthn.create', challenge: pk.challenge, origin: base, ...over }));
    // Not base64url / not CBOR.
    assertProblem(await post(s, '/v1/me/mfa/webauthn', admin, { client_data: '***', attestation_object: 'AA' }), 400, 'webauthn_invalid', 'client_data');
    // The wrong origin: refused, and nothing is registered.
    assertProblem(await post(s, '/v1/me/mfa/webauthn', admin, { client_data: cd({ origin: 'http://evil.test' }), attestation_object: b64u('x') }),
      400, 'webauthn_invalid', 'client_data');
    assertProblem(await post(s, '/v1/me/mfa/webauthn', admin, { client_data: cd({ type: 'webauthn.get' }), attestation_object: b64u('x') }),
      400, 'webauthn_invalid', 'client_data');
    // The right challenge with a bad attestation object uses the challenge up ...
    assertProblem(await post(s, '/v1/me/mfa/webauthn', admin, { client_data: cd(), attestation_object: b64u('not cbor') }),
      400, 'webauthn_invalid', 'attestation_object');
    assert.equal(sql(s, 'SELECT count(*) FROM webauthn_challenges'), '0');
    // ... so a second answer with it is refused as unknown.
    const replay = await post(s, '/v1/me/mfa/webauthn', admin, { client_data: cd(), attestation_object: b64u('not cbor') });
    assertProblem(replay, 400, 'webauthn_invalid', 'client_data');
    assert.match(replay.body.detail, /unknown, used or expired/);
    assert.equal(sql(s, 'SELECT count(*) FROM webauthn_credentials'), '0');

    // A challenge expires after five minutes.
    const o2 = await post(s, '/v1/me/mfa/webauthn/options', admin);
    await s.advance(301);
    const late = await post(s, '/v1/me/mfa/webauthn', admin, {
      client_data: b64u(JSON.stringify({ type: 'webauthn.create', challenge: o2.body.publicKey.challenge, origin: base })),
      attestation_object: b64u('x') });
    assertProblem(late, 400, 'webauthn_invalid', 'client_data');
    // Another person's challenge is not one's own.
    const u = await s.makeUser(admin, 'uma@acme.test', 'user');
    const o3 = await post(s, '/v1/me/mfa/webauthn/options', admin);
    assertProblem(await post(s, '/v1/me/mfa/webauthn', u.token, {
      client_data: b64u(JSON.stringify({ type: 'webauthn.create', challenge: o3.body.publicKey.challenge, origin: base })),
      attestation_object: b64u('x') }), 400, 'webauthn_invalid', 'client_data');

    // Nothing registered: no assertion options; a full session is not pending.
    assertProblem(await post(s, '/v1/auth/mfa/webauthn/options', admin), 409, 'mfa_not_pending');
    assertProblem(await post(s, '/v1/auth/mfa/webauthn', admin, { id: 'x', client_data: 'x', authenticator_data: 'x', signature: 'x' }),
      409, 'mfa_not_pending');
    assertProblem(await post(s, '/v1/auth/mfa/webauthn', admin, { id: 'x' }), 400, 'missing_field');
    // Listing, renaming and removing: one's own only.
    assert.deepEqual((await s.api('/v1/me/mfa/webauthn', { token: admin })).body.items, []);
    assertProblem(await s.api('/v1/me/mfa/webauthn/pk_nothing', { method: 'PATCH', token: admin, body: { name: 'x' } }), 404, 'webauthn_unknown_credential');
    assertProblem(await s.api('/v1/me/mfa/webauthn/pk_nothing', { method: 'PATCH', token: admin, body: { name: '' } }), 400, 'invalid_value', 'name');
    assertProblem(await s.api('/v1/me/mfa/webauthn/pk_nothing', { method: 'DELETE', token: admin }), 404, 'webauthn_unknown_credential');
    sql(s, `INSERT INTO webauthn_credentials (id, org_id, user_id, cred_id, cose_type, public_key, name, created_at)
            SELECT 'pk_uma', org_id, id, 'AAAA', -7, 'AAAA', 'Uma key', 1 FROM users WHERE email = 'uma@acme.test'`);
    assertProblem(await s.api('/v1/me/mfa/webauthn/pk_uma', { method: 'DELETE', token: admin }), 404, 'webauthn_unknown_credential');
    assertProblem(await s.api('/v1/me/mfa/webauthn/pk_uma', { method: 'PATCH', token: admin, body: { name: 'mine' } }), 404, 'webauthn_unknown_credential');
    const mine = await s.api('/v1/me/mfa/webauthn', { token: u.token });
    assert.deepEqual(mine.body.items.map((k) => [k.id, k.name]), [['pk_uma', 'Uma key']]);
    assert.equal((await s.api('/v1/me/mfa/webauthn/pk_uma', { method: 'PATCH', token: u.token, body: { name: 'Blue key' } })).status, 204);
    assert.equal(sql(s, "SELECT name FROM webauthn_credentials WHERE id = 'pk_uma'"), 'Blue key');

    // A registered key makes sign-in ask for the second factor; a pending
    // session gets assertion options over the person's keys, and a forged
    // answer is refused, audited and uses its challenge up.
    const p = await post(s, '/v1/auth/login', undefined, { email: 'uma@acme.test', password: 'correct horse battery staple' });
    assert.equal(p.body.mfa_pending, 'verify');
    assertProblem(await post(s, '/v1/me/mfa/webauthn/options', p.body.token), 428, 'mfa_required');
    const ao = await post(s, '/v1/auth/mfa/webauthn/options', p.body.token);
    assert.equal(ao.status, 200, JSON.stringify(ao.body));
    assert.deepEqual(ao.body.publicKey.allowCredentials, [{ type: 'public-key', id: 'AAAA' }]);
    assert.equal(ao.body.publicKey.rpId, 'localhost');
    const forged = await post(s, '/v1/auth/mfa/webauthn', p.body.token, {
      id: 'AAAA', client_data: b64u(JSON.stringify({ type: 'webauthn.get', challenge: ao.body.publicKey.challenge, origin: base })),
      authenticator_data: b64u(Buffer.alloc(37)), signature: b64u('sig') });
    assertProblem(forged, 400, 'webauthn_invalid', 'signature');
    assert.equal(sql(s, "SELECT count(*) FROM webauthn_challenges WHERE purpose = 'assert'"), '0');
    assert.equal(sql(s, "SELECT count(*) FROM audit WHERE action = 'auth.mfa_failed' AND detail LIKE '%webauthn%'"), '1');
    assert.equal((await s.api('/v1/me', { token: p.body.token })).body.session.mfa_pending, 'verify');
    // Removing one's key.
    assert.equal((await s.api('/v1/me/mfa/webauthn/pk_uma', { method: 'DELETE', token: u.token })).status, 204);
    assert.equal(sql(s, "SELECT count(*) FROM audit WHERE action = 'mfa.webauthn_removed'"), '1');
    const q = await post(s, '/v1/auth/login', undefined, { email: 'uma@acme.test', password: 'correct horse battery staple' });
    assert.equal(q.body.mfa_pending, null);
  } finally {
    await s.stop();
  }
});

test('passkeys (software key): forced enrolment with a passkey instead of TOTP; a passkey as the second factor of a signature; counter regression refused', async () => {
  const port = await freePort();
  const base = `http://localhost:${port}`;
  const s = await startServer({ port, args: ['--base-url', base] });
  try {
    const admin = await s.login();
    const u = await s.makeUser(admin, 'uma@acme.test', 'user', 'Uma User');
    assert.equal((await s.api(`/v1/users/${u.id}/esignature`, { method: 'PUT', token: admin, body: { enabled: true } })).status, 200);
    assert.equal((await s.api('/v1/org/mfa', { method: 'PUT', token: admin, body: { policy: 'all' } })).status, 200);
    const key = softKey(base);

    // Sign-in must enrol: the pending session may register a passkey instead of an authenticator app.
    const p = await post(s, '/v1/auth/login', undefined, { email: 'uma@acme.test', password: PASSWORD });
    assert.equal(p.status, 200, JSON.stringify(p.body));
    assert.equal(p.body.mfa_pending, 'enrol');
    assertProblem(await s.api(`/v1/users/${u.id}`, { token: p.body.token }), 428, 'mfa_required');
    assertProblem(await post(s, '/v1/me/reauth/webauthn/options', p.body.token), 428, 'mfa_required');
    const o = await post(s, '/v1/me/mfa/webauthn/options', p.body.token);
    assert.equal(o.status, 200, JSON.stringify(o.body));
    const reg = await post(s, '/v1/me/mfa/webauthn', p.body.token, { name: 'Soft key', ...key.register(o.body.publicKey) });
    assert.equal(reg.status, 201, JSON.stringify(reg.body));
    assert.equal(reg.body.name, 'Soft key');
    assert.equal(reg.body.recovery_codes.length, 10);
    const full = reg.body.session.token;
    assert.ok(full && full !== p.body.token);
    // The pending session is gone; the new one is full.
    assertProblem(await s.api('/v1/me', { token: p.body.token }), 401, 'unauthenticated');
    assert.equal((await s.api('/v1/me', { token: full })).body.session.mfa_pending, null);
    assert.equal(sql(s, "SELECT count(*) FROM audit WHERE action = 'auth.mfa_verified' AND detail LIKE '%webauthn%'"), '1');

    // Next sign-in: the passkey is the second step.
    const p2 = await post(s, '/v1/auth/login', undefined, { email: 'uma@acme.test', password: PASSWORD });
    assert.equal(p2.body.mfa_pending, 'verify');
    const ao = await post(s, '/v1/auth/mfa/webauthn/options', p2.body.token);
    const v = await post(s, '/v1/auth/mfa/webauthn', p2.body.token, key.assert(ao.body.publicKey));
    assert.equal(v.status, 200, JSON.stringify(v.body));

    // Signing: the password and the passkey, in the same request.
    const sig = (credentials, ref = 'INS-1') => post(s, '/v1/signatures', full, {
      record_type: 'inspection', record_ref: ref, meaning: 'approved', credentials });
    assertProblem(await sig({ password: PASSWORD }), 400, 'webauthn_required', 'credentials.webauthn');
    assertProblem(await sig({ password: PASSWORD, webauthn: { id: key.id } }), 400, 'missing_field', 'credentials.webauthn.client_data');
    let ro = await post(s, '/v1/me/reauth/webauthn/options', full);
    assert.equal(ro.status, 200, JSON.stringify(ro.body));
    assert.deepEqual(ro.body.publicKey.allowCredentials.map((c) => c.id), [key.id]);
    const answer = key.assert(ro.body.publicKey);
    const a = await sig({ password: PASSWORD, webauthn: answer });
    assert.equal(a.status, 201, JSON.stringify(a.body));
    assert.equal(a.body.method, 'password+passkey');
    // The same answer again: its challenge is used up.
    assertProblem(await sig({ password: PASSWORD, webauthn: answer }, 'INS-2'), 400, 'webauthn_invalid', 'client_data');
    // A counter that goes backwards (a cloned key): refused and audited; nothing signed.
    ro = await post(s, '/v1/me/reauth/webauthn/options', full);
    assertProblem(await sig({ password: PASSWORD, webauthn: key.assert(ro.body.publicKey, { signCount: 1 }) }, 'INS-3'), 403,
      'webauthn_counter_regression');
    assert.equal(sql(s, "SELECT count(*) FROM audit WHERE action = 'auth.mfa_failed' AND detail LIKE '%counter%'"), '1');
    // A wrong password after a good passkey: refused (both are needed).
    ro = await post(s, '/v1/me/reauth/webauthn/options', full);
    assertProblem(await sig({ password: 'wrong password here', webauthn: key.assert(ro.body.publicKey, { signCount: 10 }) }, 'INS-4'), 403,
      'invalid_current_password');
    assert.equal(sql(s, 'SELECT count(*) FROM signatures'), '1');

    // Step-up elsewhere: changing one's password asks for the passkey too.
    const NEW = 'a much newer passphrase 42';
    assertProblem(await post(s, '/v1/me/password', full, { current_password: PASSWORD, new_password: NEW }), 400, 'webauthn_required', 'webauthn');
    assertProblem(await post(s, '/v1/me/password', full, { current_password: PASSWORD, new_password: NEW, webauthn: { id: key.id } }),
      400, 'missing_field', 'webauthn.client_data');
    ro = await post(s, '/v1/me/reauth/webauthn/options', full);
    const pw = await post(s, '/v1/me/password', full, { current_password: PASSWORD, new_password: NEW, webauthn: key.assert(ro.body.publicKey, { signCount: 20 }) });
    assert.ok(pw.status === 200 || pw.status === 204, JSON.stringify(pw.body));
  } finally {
    await s.stop();
  }
});
