// Electronic signatures: enabling an account (users.manage, audited),
// signing with one's own credentials in the request (never the session
// alone), wrong passwords refused, audited and throttled, the second factor
// when the person has one, on-behalf signing needs qc.inspections.manage and
// records both, badge and PIN only at a kiosk, the chain (verify detects an
// edited, a deleted and a removed newest row), parallel signing keeps it
// linear.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { PASSWORD, startServer, assertProblem } from './lib.mjs';
import { totp, serverNow } from './totp.mjs';
import { GOOD_PINS, kioskWorker, issuePin } from './shopfloor.mjs';
import { CLIENT_ID, CLIENT_SECRET, forgeOp, signInVia } from './ssolib.mjs';
import { apiFrom } from './raw.mjs';

const post = (s, path, token, body) => s.api(path, { method: 'POST', token, body });
const put = (s, path, token, body) => s.api(path, { method: 'PUT', token, body });

const sig = (extra = {}) => ({
  record_type: 'inspection', record_ref: 'INS-1', meaning: 'approved', content_hash: 'sha256:abcd',
  credentials: { password: PASSWORD }, ...extra,
});

function sql(s, text) {
  const r = spawnSync('sqlite3', [s.db, text], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

function verify(s) {
  const r = s.cli(['signatures', 'verify', '--org', 'acme']);
  return { status: r.status, out: r.stdout, err: r.stderr };
}

const audits = (s, action) => Number(sql(s, `SELECT count(*) FROM audit WHERE action = '${action}'`));

test('signatures: enabling, own credentials, session-only refused, listing, audit', async () => {
  const s = await startServer();
  try {
    const admin = await s.login();
    const me = (await s.api('/v1/me', { token: admin })).body;
    const u = await s.makeUser(admin, 'una@acme.test', 'user', 'Una User');

    // Not enabled: refused before any password is tried.
    assertProblem(await post(s, '/v1/signatures', u.token, sig()), 403, 'esign_not_enabled');
    // Only users.manage enables; audited once.
    assertProblem(await put(s, `/v1/users/${u.id}/esignature`, u.token, { enabled: true }), 403, 'permission_denied');
    const en = await put(s, `/v1/users/${u.id}/esignature`, admin, { enabled: true });
    assert.equal(en.status, 200, JSON.stringify(en.body));
    assert.equal(en.body.enabled, true);
    assert.equal((await put(s, `/v1/users/${u.id}/esignature`, admin, { enabled: true })).status, 200);
    assert.equal(audits(s, 'user.esign_enabled'), 1);
    assert.equal((await s.api(`/v1/users/${u.id}/esignature`, { token: admin })).body.enabled, true);
    assertProblem(await put(s, `/v1/users/${u.id}/esignature`, admin, { enabled: 'yes' }), 400, 'invalid_type');

    // Never with the session alone.
    assertProblem(await post(s, '/v1/signatures', u.token, sig({ credentials: {} })), 400, 'credentials_required', 'credentials.password');
    assertProblem(await post(s, '/v1/signatures', u.token, { ...sig(), credentials: undefined }), 400, 'missing_field');
    assertProblem(await post(s, '/v1/signatures', u.token, sig({ credentials: { password: PASSWORD, x: 1 } })), 400, 'unknown_field');
    // Bad input changes nothing.
    assertProblem(await post(s, '/v1/signatures', u.token, sig({ meaning: 'liked' })), 400, 'invalid_value', 'meaning');
    assertProblem(await post(s, '/v1/signatures', u.token, sig({ record_ref: '' })), 400, 'invalid_value', 'record_ref');
    assertProblem(await post(s, '/v1/signatures', u.token, sig({ content_hash: 'a b' })), 400, 'invalid_value', 'content_hash');
    // A wrong password: refused and audited.
    assertProblem(await post(s, '/v1/signatures', u.token, sig({ credentials: { password: 'wrong password here' } })), 403,
      'invalid_current_password', 'credentials.password');
    assert.equal(Number(sql(s, "SELECT count(*) FROM audit WHERE action = 'auth.reauth_failed' AND detail LIKE '%esignature%'")), 1);
    assert.equal(Number(sql(s, 'SELECT count(*) FROM signatures')), 0);

    const a = await post(s, '/v1/signatures', u.token, sig());
    assert.equal(a.status, 201, JSON.stringify(a.body));
    assert.equal(a.body.signer.id, u.id);
    assert.equal(a.body.signer.name, 'Una User');
    assert.equal(a.body.meaning, 'approved');
    assert.equal(a.body.record_ref, 'INS-1');
    assert.equal(a.body.content_hash, 'sha256:abcd');
    assert.equal(a.body.method, 'password');
    assert.equal(a.body.on_behalf_of, null);
    assert.equal(a.body.seq, 1);
    assert.match(a.body.hash, /^[0-9a-f]{64}$/);
    assert.ok(Math.abs(new Date(a.body.signed_at).getTime() / 1000 - await serverNow(s)) <= 2, a.body.signed_at);
    assert.equal(audits(s, 'signature.created'), 1);

    // The name as it was: renaming the person later does not change the record.
    assert.equal((await s.api('/v1/me', { method: 'PATCH', token: u.token, body: { name: 'Una Renamed' } })).status, 200);
    const b = await post(s, '/v1/signatures', u.token, sig({ record_ref: 'INS-2', meaning: 'reviewed', content_hash: undefined }));
    assert.equal(b.status, 201, JSON.stringify(b.body));
    assert.equal(b.body.content_hash, '');
    const l1 = await s.api('/v1/signatures?record_ref=INS-1', { token: u.token });
    assert.equal(l1.status, 200);
    assert.deepEqual(l1.body.items.map((x) => [x.id, x.signer.name]), [[a.body.id, 'Una User']]);
    assert.equal((await s.api('/v1/signatures', { token: u.token })).body.items.length, 2);
    assertProblem(await s.api('/v1/signatures?ref=INS-1', { token: u.token }), 400, 'unknown_parameter');
    // The head, for administrators.
    assertProblem(await s.api('/v1/signatures/head', { token: u.token }), 403, 'permission_denied');
    const h = await s.api('/v1/signatures/head', { token: admin });
    assert.equal(h.status, 200);
    assert.deepEqual([h.body.seq, h.body.hash, h.body.intact], [2, b.body.hash, true]);

    // Disabled again: no more signing.
    assert.equal((await put(s, `/v1/users/${u.id}/esignature`, admin, { enabled: false })).status, 200);
    assert.equal(audits(s, 'user.esign_disabled'), 1);
    assertProblem(await post(s, '/v1/signatures', u.token, sig()), 403, 'esign_not_enabled');
    // The administrator is not enabled either (enabling oneself is allowed to users.manage, but not done here).
    assertProblem(await post(s, '/v1/signatures', admin, sig()), 403, 'esign_not_enabled');
    // Another org sees nothing.
    const beta = await s.otherOrg('beta');
    assert.deepEqual((await s.api('/v1/signatures', { token: beta })).body.items, []);
    assertProblem(await put(s, `/v1/users/${u.id}/esignature`, beta, { enabled: true }), 404, 'user_not_found');
    assert.ok(me.id);
  } finally {
    await s.stop();
  }
});

test('signatures: wrong passwords are throttled', async () => {
  const s = await startServer();
  try {
    const admin = await s.login();
    const u = await s.makeUser(admin, 'una@acme.test', 'user');
    assert.equal((await put(s, `/v1/users/${u.id}/esignature`, admin, { enabled: true })).status, 200);
    // The pauses are seconds long: the clock stands still so that a loaded
    // machine cannot outwait one between two requests.
    assert.equal((await s.api('/v1/test/clock', { method: 'POST', body: { advance_s: 0, freeze: true } })).status, 200);
    let throttled = null;
    for (let i = 0; i < 30 && !throttled; i++) {
      const r = await post(s, '/v1/signatures', u.token, sig({ credentials: { password: `wrong password ${i}` } }));
      if (r.status === 429) throttled = r;
      else assertProblem(r, 403, 'invalid_current_password');
    }
    assert.ok(throttled, 'wrong passwords are throttled');
    assertProblem(throttled, 429, 'too_many_attempts');
    assert.ok(Number(throttled.headers.get('retry-after')) > 0);
    // While throttled even the right password waits; nothing was signed.
    assertProblem(await post(s, '/v1/signatures', u.token, sig()), 429, 'too_many_attempts');
    assert.equal(Number(sql(s, 'SELECT count(*) FROM signatures')), 0);
    assert.ok(Number(sql(s, "SELECT count(*) FROM audit WHERE action = 'auth.reauth_refused'")) >= 1);
    // Once the pause is over, the right password signs.
    const wait = Number(throttled.headers.get('retry-after'));
    assert.equal((await s.api('/v1/test/clock', { method: 'POST', body: { advance_s: wait + 60, freeze: false } })).status, 200);
    assert.equal((await post(s, '/v1/signatures', u.token, sig())).status, 201);
  } finally {
    await s.stop();
  }
});

test('signatures: second factor, on behalf of another person, badge and PIN only at a kiosk', async () => {
  const s = await startServer({ template: 'quality' });
  try {
    const admin = await s.login();
    const u = await s.makeUser(admin, 'una@acme.test', 'user', 'Una User');
    const e = await s.makeUser(admin, 'ed@acme.test', 'editor', 'Ed Editor');
    const w = await s.makeUser(admin, 'wes@acme.test', 'user', 'Wes Worker');
    for (const p of [u, e]) assert.equal((await put(s, `/v1/users/${p.id}/esignature`, admin, { enabled: true })).status, 200);

    // On behalf: needs qc.inspections.manage; the other person must be enabled.
    assertProblem(await post(s, '/v1/signatures', u.token, sig({ on_behalf_of: e.id })), 403, 'permission_denied');
    assertProblem(await post(s, '/v1/signatures', e.token, sig({ on_behalf_of: w.id })), 403, 'esign_not_enabled', 'on_behalf_of');
    assertProblem(await post(s, '/v1/signatures', e.token, sig({ on_behalf_of: 'usr_nobody' })), 400, 'user_not_found', 'on_behalf_of');
    assertProblem(await post(s, '/v1/signatures', e.token, sig({ on_behalf_of: e.id })), 400, 'invalid_value', 'on_behalf_of');
    const ob = await post(s, '/v1/signatures', e.token, sig({ on_behalf_of: u.id, meaning: 'performed' }));
    assert.equal(ob.status, 201, JSON.stringify(ob.body));
    assert.equal(ob.body.signer.id, e.id);
    assert.deepEqual(ob.body.on_behalf_of, { id: u.id, name: 'Una User' });
    assert.equal(Number(sql(s, 'SELECT count(*) FROM signatures')), 1);

    // Badge and PIN: only at an enrolled kiosk device.
    assertProblem(await post(s, '/v1/signatures', u.token, sig({ credentials: { badge: 'B1', pin: '4711' } })), 403, 'kiosk_required');

    // A person with a second factor gives a current code too.
    const b = await post(s, '/v1/me/mfa/totp', u.token);
    assert.equal(b.status, 201);
    let step = Math.floor((await serverNow(s)) / 30);
    assert.equal((await post(s, '/v1/me/mfa/totp/confirm', u.token, { code: totp(b.body.secret, step) })).status, 200);
    assertProblem(await post(s, '/v1/signatures', u.token, sig()), 400, 'otp_required');
    await s.advance(30);
    step = Math.floor((await serverNow(s)) / 30);
    const m = await post(s, '/v1/signatures', u.token, sig({ credentials: { password: PASSWORD, otp: totp(b.body.secret, step) } }));
    assert.equal(m.status, 201, JSON.stringify(m.body));
    assert.equal(m.body.method, 'password+otp');
    // The same code again is refused (used).
    assert.notEqual((await post(s, '/v1/signatures', u.token, sig({ credentials: { password: PASSWORD, otp: totp(b.body.secret, step) } }))).status, 201);

    // The org requires a factor of everyone: a person without one cannot sign.
    assert.equal((await put(s, '/v1/org/mfa', admin, { policy: 'all' })).status, 200);
    assertProblem(await post(s, '/v1/signatures', e.token, sig()), 403, 'mfa_enrolment_required');
  } finally {
    await s.stop();
  }
});

test('signatures: verify detects an edited row, a deleted row and removed newest rows; parallel signing stays linear', async () => {
  const s = await startServer();
  try {
    const admin = await s.login();
    const people = [];
    for (const n of ['p1', 'p2', 'p3', 'p4', 'p5', 'p6']) {
      const p = await s.makeUser(admin, `${n}@acme.test`, 'user');
      assert.equal((await put(s, `/v1/users/${p.id}/esignature`, admin, { enabled: true })).status, 200);
      people.push(p);
    }
    let v = verify(s);
    assert.equal(v.status, 0, v.err);
    assert.match(v.out, /^OK\t0 signatures\nhead\t0\t-\n$/);

    // Several people sign at once, each at their own workstation (one
    // person's password checks run one at a time, so each signs once per
    // round; and one address may hold only its share of the hashing queue,
    // which six at once from one address exceed when the pool is slow):
    // the chain stays one line.
    const rs = [];
    for (let round = 0; round < 2; round++)
      rs.push(...await Promise.all(people.map((p, i) => apiFrom(s, `127.0.0.${20 + i}`, '/v1/signatures',
        { method: 'POST', token: p.token, body: sig({ record_ref: `R-${round}-${i}` }) }))));
    for (const r of rs) assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.deepEqual(rs.map((r) => r.body.seq).sort((x, y) => x - y), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    v = verify(s);
    assert.equal(v.status, 0, v.out + v.err);
    const head = rs.find((r) => r.body.seq === 12).body.hash;
    assert.equal(v.out, `OK\t12 signatures\nhead\t12\t${head}\n`);

    const backup = sql(s, 'SELECT * FROM signatures WHERE seq = 3');
    // An edited row (the meaning changed): the first broken link is that row.
    sql(s, "UPDATE signatures SET meaning = 'rejected' WHERE seq = 3");
    v = verify(s);
    assert.equal(v.status, 4);
    assert.match(v.out, /^BROKEN\tseq 3\thash\t/);
    assert.match(v.out, new RegExp(`\nhead\t12\t${head}\n$`));
    assert.equal((await s.api('/v1/signatures/head', { token: admin })).body.intact, false);
    sql(s, "UPDATE signatures SET meaning = 'approved' WHERE seq = 3");
    assert.equal(verify(s).status, 0);

    // A deleted row in the middle.
    sql(s, 'DELETE FROM signatures WHERE seq = 5');
    v = verify(s);
    assert.equal(v.status, 4);
    assert.match(v.out, /^BROKEN\tseq 5\tgap\t/);

    // Removing the newest rows (after restoring the middle one): the head says so.
    const fresh = await startServer();
    try {
      const a2 = await fresh.login();
      const p = await fresh.makeUser(a2, 'q@acme.test', 'user');
      assert.equal((await put(fresh, `/v1/users/${p.id}/esignature`, a2, { enabled: true })).status, 200);
      for (let i = 0; i < 3; i++) assert.equal((await post(fresh, '/v1/signatures', p.token, sig())).status, 201);
      assert.equal(verify(fresh).status, 0);
      sql(fresh, 'DELETE FROM signatures WHERE seq = 3');
      const t = verify(fresh);
      assert.equal(t.status, 4);
      assert.match(t.out, /^BROKEN\tseq 3\thead\t/);
      // A row whose stored hash was replaced.
      sql(fresh, "UPDATE signatures SET hash = 'ff' WHERE seq = 1");
      assert.match(verify(fresh).out, /^BROKEN\tseq 1\thash\t/);
    } finally {
      await fresh.stop();
    }
    assert.ok(backup.length > 0);
  } finally {
    await s.stop();
  }
});

test('signatures: badge and PIN at an enrolled kiosk device (throttled, audited, on behalf, never the device alone)', async () => {
  const s = await startServer({ template: 'quality' });
  try {
    const admin = await s.login();
    const d = await post(s, '/v1/kiosk-devices', admin, { name: 'Line 1 tablet' });
    assert.equal(d.status, 201, JSON.stringify(d.body));
    const device = d.body.token;
    const w = await kioskWorker(s, admin, 'B-100', GOOD_PINS[0]);
    const lead = await kioskWorker(s, admin, 'B-200', GOOD_PINS[1], { role: 'editor', name: 'Lea Lead' });
    const other = await kioskWorker(s, admin, 'B-300', GOOD_PINS[2], { name: 'Otto Other' });
    const ksig = (badge, pin, extra = {}) => post(s, '/v1/kiosk/acme/signatures', undefined, {
      record_type: 'batch', record_ref: 'LOT-7', meaning: 'performed', device_token: device,
      credentials: { badge, pin }, ...extra,
    });
    const count = () => Number(sql(s, 'SELECT count(*) FROM signatures'));

    // Not enabled: refused only after the PIN is proven (nothing learnt about the badge).
    assertProblem(await ksig('B-100', GOOD_PINS[0]), 403, 'esign_not_enabled');
    for (const p of [w, lead, other]) assert.equal((await put(s, `/v1/users/${p.id}/esignature`, admin, { enabled: true })).status, 200);

    // Never with the device alone; bad input changes nothing.
    assertProblem(await post(s, '/v1/kiosk/acme/signatures', undefined, {
      record_type: 'batch', record_ref: 'LOT-7', meaning: 'performed', device_token: device, credentials: { badge: 'B-100' } }),
    400, 'credentials_required', 'credentials.pin');
    assertProblem(await ksig('B-100', GOOD_PINS[0], { device_token: undefined }), 400, 'missing_field', 'device_token');
    assertProblem(await ksig('B-100', GOOD_PINS[0], { credentials: { badge: 'B-100', pin: GOOD_PINS[0], password: PASSWORD } }),
      400, 'unknown_field', 'credentials.password');
    assertProblem(await ksig('B-100', GOOD_PINS[0], { meaning: 'liked' }), 400, 'invalid_value', 'meaning');
    assertProblem(await ksig('bad badge', GOOD_PINS[0]), 400, 'invalid_badge', 'badge');
    // Only at an enrolled device: none, a forged one, another org's.
    assertProblem(await ksig('B-100', GOOD_PINS[0], { device_token: 'ghd_forged' }), 403, 'device_not_enrolled');
    assertProblem(await post(s, '/v1/kiosk/beta/signatures', undefined, {
      record_type: 'batch', record_ref: 'LOT-7', meaning: 'performed', device_token: device,
      credentials: { badge: 'B-100', pin: GOOD_PINS[0] } }), 403, 'device_not_enrolled');
    // A kiosk session cannot use the office route, nor the office route badge and PIN.
    assertProblem(await post(s, '/v1/signatures', w.token, sig()), 403, 'kiosk_scope');
    assertProblem(await post(s, '/v1/signatures', admin, sig({ credentials: { badge: 'B-100', pin: GOOD_PINS[0] } })), 403, 'kiosk_required');
    assert.equal(count(), 0);

    const a = await ksig('B-100', GOOD_PINS[0]);
    assert.equal(a.status, 201, JSON.stringify(a.body));
    assert.equal(a.body.signer.id, w.id);
    assert.equal(a.body.signer.name, 'Worker B-100');
    assert.equal(a.body.method, 'badge+pin');
    assert.equal(a.body.meaning, 'performed');
    assert.equal(a.body.on_behalf_of, null);
    const created = sql(s, `SELECT actor_id || '|' || detail FROM audit WHERE action = 'signature.created'`);
    assert.ok(created.startsWith(`${w.id}|`), created);
    assert.match(created, new RegExp(`"device_id":\\s*"${d.body.id}"`));
    // The badge's letter case does not matter, the PIN does.
    assertProblem(await ksig('b-100', GOOD_PINS[1]), 401, 'invalid_credentials');
    // An unknown badge reads like a wrong PIN.
    assertProblem(await ksig('B-999', GOOD_PINS[0]), 401, 'invalid_credentials');
    const failed = Number(sql(s, "SELECT count(*) FROM audit WHERE action = 'signature.failed' AND detail LIKE '%invalid_credentials%'"));
    assert.equal(failed, 2);

    // On behalf: the signer needs qc.inspections.manage; both are recorded.
    assertProblem(await ksig('B-100', GOOD_PINS[0], { on_behalf_of: other.id }), 403, 'permission_denied');
    const ob = await ksig('B-200', GOOD_PINS[1], { on_behalf_of: other.id });
    assert.equal(ob.status, 201, JSON.stringify(ob.body));
    assert.equal(ob.body.signer.id, lead.id);
    assert.deepEqual(ob.body.on_behalf_of, { id: other.id, name: 'Otto Other' });

    // A temporary PIN (known to the administrator) proves nobody.
    const temp = await issuePin(s, admin, other.id);
    assertProblem(await ksig('B-300', temp.pin), 403, 'pin_change_required');

    // Wrong PINs are throttled per badge (429 with Retry-After) and each is audited.
    let throttled = null;
    for (let i = 0; i < 10 && !throttled; i++) {
      const r = await ksig('B-100', GOOD_PINS[3]);
      if (r.status === 429) throttled = r;
      else assertProblem(r, 401, 'invalid_credentials');
    }
    assert.ok(throttled, 'wrong PINs are throttled');
    assertProblem(throttled, 429, 'too_many_attempts');
    assert.ok(Number(throttled.headers.get('retry-after')) > 0);
    assert.ok(Number(sql(s, `SELECT count(*) FROM audit WHERE action = 'signature.failed' AND target_id = '${w.id}'`)) >= 3);
    // Meanwhile even the right PIN waits.
    assertProblem(await ksig('B-100', GOOD_PINS[0]), 429, 'too_many_attempts');
    assert.equal(count(), 2);
    const v = verify(s);
    assert.equal(v.status, 0, v.out + v.err);
    // The chain covers kiosk signatures like any other: the list shows them on their record.
    const l = await s.api('/v1/signatures?record_ref=LOT-7', { token: admin });
    assert.deepEqual(l.body.items.map((x) => x.method), ['badge+pin', 'badge+pin']);
  } finally {
    await s.stop();
  }
});

test('signatures: the SSO re-authentication (single use, fresh, same person, the IdP\'s MFA where the org requires one)', async () => {
  const s = await startServer();
  const op = await forgeOp(s.url);
  try {
    const admin = await s.login();
    const una = await s.makeUser(admin, 'una@acme.test', 'user', 'Una User');
    const fred = await s.makeUser(admin, 'fred@acme.test', 'user', 'Fred Other');
    for (const p of [una, fred]) assert.equal((await put(s, `/v1/users/${p.id}/esignature`, admin, { enabled: true })).status, 200);
    assert.equal((await put(s, '/v1/org/sso', admin, { protocol: 'oidc', display_name: 'Forge', issuer: op.issuer,
      client_id: CLIENT_ID, client_secret: CLIENT_SECRET })).status, 200);
    // The forging OP signs in whoever `who` names, now by the server's clock.
    let who = { sub: 'una-sub', email: 'una@acme.test' };
    let extra = {};
    const idp = async () => {
      const now = Math.floor(await serverNow(s));
      op.mode = (claims) => ({ claims: { ...claims, ...who, iat: now, exp: now + 300, auth_time: now, ...extra } });
    };
    // First sign-ins link the IdP identities to the people (by e-mail).
    for (const w of [{ sub: 'una-sub', email: 'una@acme.test' }, { sub: 'fred-sub', email: 'fred@acme.test' }]) {
      who = w;
      await idp();
      assert.equal((await signInVia(s.url, 'acme', w.sub)).status, 200);
    }
    const reauth = async (person, token, purpose = 'esignature') => {
      who = person;
      await idp();
      const r = await signInVia(s.url, 'acme', person.sub, { reauth: { token, purpose } });
      assert.equal(r.status, 200, JSON.stringify(r.body));
    };
    const UNA = { sub: 'una-sub', email: 'una@acme.test' };
    const FRED = { sub: 'fred-sub', email: 'fred@acme.test' };
    const ssig = (extraCred = {}, more = {}) => sig({ credentials: { sso_reauth: 'esignature', ...extraCred }, ...more });
    const count = () => Number(sql(s, 'SELECT count(*) FROM signatures'));

    // Shape: the purpose is esignature; not with a password as well.
    assertProblem(await post(s, '/v1/signatures', una.token, sig({ credentials: { sso_reauth: 'login' } })), 400, 'invalid_value', 'credentials.sso_reauth');
    assertProblem(await post(s, '/v1/signatures', una.token, ssig({ password: PASSWORD })), 400, 'invalid_value', 'credentials');
    // No re-authentication yet (the session alone never signs): refused and audited.
    assertProblem(await post(s, '/v1/signatures', una.token, ssig()), 403, 'reauth_required');
    assert.equal(audits(s, 'signature.failed'), 1);
    // A re-authentication for another purpose does not count.
    await reauth(UNA, una.token, 'e_signature');
    assertProblem(await post(s, '/v1/signatures', una.token, ssig()), 403, 'reauth_required');
    // Somebody else's re-authentication does not count for Una.
    await reauth(FRED, fred.token);
    assertProblem(await post(s, '/v1/signatures', una.token, ssig()), 403, 'reauth_required');

    await reauth(UNA, una.token);
    const a = await post(s, '/v1/signatures', una.token, ssig());
    assert.equal(a.status, 201, JSON.stringify(a.body));
    assert.equal(a.body.signer.id, una.id);
    assert.equal(a.body.method, 'sso');
    // Single use.
    assertProblem(await post(s, '/v1/signatures', una.token, ssig({}, { record_ref: 'INS-2' })), 403, 'reauth_required');
    // Fred's own proof is still there for him.
    const f = await post(s, '/v1/signatures', fred.token, ssig());
    assert.equal(f.status, 201, JSON.stringify(f.body));
    assert.equal(f.body.signer.id, fred.id);

    // The org requires a second factor of everyone: the IdP must have asserted it, where the org lets it count.
    assert.equal((await put(s, '/v1/org/mfa', admin, { policy: 'all' })).status, 200);
    await reauth(UNA, una.token);
    assertProblem(await post(s, '/v1/signatures', una.token, ssig()), 403, 'sso_mfa_not_asserted', 'credentials.sso_reauth');
    extra = { amr: ['pwd', 'mfa'] };
    await reauth(UNA, una.token);
    // Asserted, but the org does not count the IdP's MFA.
    assertProblem(await post(s, '/v1/signatures', una.token, ssig()), 403, 'sso_mfa_not_asserted');
    assert.equal((await put(s, '/v1/org/mfa', admin, { sso_counts_as_mfa: true })).status, 200);
    // The refused attempts left the proofs in place; counted now only for a new one.
    await reauth(UNA, una.token);
    const m = await post(s, '/v1/signatures', una.token, ssig({}, { record_ref: 'INS-3' }));
    assert.equal(m.status, 201, JSON.stringify(m.body));
    assert.equal(m.body.method, 'sso+mfa');
    assert.ok(audits(s, 'signature.failed') >= 6);

    // Fresh only: a proof older than five minutes is refused.
    await reauth(UNA, una.token);
    await s.advance(301);
    assertProblem(await post(s, '/v1/signatures', una.token, ssig({}, { record_ref: 'INS-4' })), 403, 'reauth_required');
    assert.equal(count(), 3);
    const v = verify(s);
    assert.equal(v.status, 0, v.out + v.err);
  } finally {
    op.close();
    await s.stop();
  }
});
