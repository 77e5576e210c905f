// Second factors (issue 20): TOTP enrolment and the sign-in's second step,
// reuse and the +-1 step window with the test clock, the org's policy and
// forced enrolment, what a pending session may do, an administrator's reset
// (and the no-escalation rule), recovery codes (single use, also when two
// requests race with the same code), throttling of wrong codes,
// re-authentication with the second factor, and SSO's amr.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { PASSWORD, startServer, assertProblem } from './lib.mjs';
import { totp, serverNow } from './totp.mjs';
import { CLIENT_ID, CLIENT_SECRET, forgeOp, signInVia } from './ssolib.mjs';

/** Moves the server's clock by at least `min` seconds to 1 s into a step; returns that step. */
async function freshStep(s, min = 0) {
  const now = (await serverNow(s)) + min;
  const add = min + ((31 - (now % 30)) % 30);
  await s.advance(add);
  const step = Math.floor((await serverNow(s)) / 30);
  return step;
}

const post = (s, path, token, body) => s.api(path, { method: 'POST', token, body });

/** Enrols a TOTP factor for the session's person; returns {secret, codes, step}. */
async function enrol(s, token) {
  const b = await post(s, '/v1/me/mfa/totp', token);
  assert.equal(b.status, 201, JSON.stringify(b.body));
  const step = await freshStep(s);
  const c = await post(s, '/v1/me/mfa/totp/confirm', token, { code: totp(b.body.secret, step) });
  assert.equal(c.status, 200, JSON.stringify(c.body));
  return { secret: b.body.secret, codes: c.body.recovery_codes, step, session: c.body.session };
}

const signIn = async (s, email) => {
  const r = await post(s, '/v1/auth/login', undefined, { email, password: PASSWORD });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body;
};

test('TOTP: enrol with QR code, sign in with a code, reuse refused, window edges', async () => {
  const s = await startServer();
  try {
    const admin = await s.login();
    // A first enrolment: the secret as text, the otpauth URI and a QR code as SVG.
    const b = await post(s, '/v1/me/mfa/totp', admin);
    assert.equal(b.status, 201, JSON.stringify(b.body));
    assert.match(b.body.secret, /^[A-Z2-7]{32}$/);
    const uri = new URL(b.body.otpauth_uri);
    assert.equal(uri.protocol, 'otpauth:');
    assert.equal(uri.searchParams.get('secret'), b.body.secret);
    assert.equal(uri.searchParams.get('issuer'), 'Acme Plant');
    assert.match(b.body.qr_svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"[^>]*>.*<path fill="#000" d="M4 4h1v1h-1z/);
    // Not confirmed yet: sign-in needs no code, and a wrong code confirms nothing.
    assert.equal((await signIn(s, 'admin@acme.test')).mfa_pending, null);
    let step = await freshStep(s);
    assertProblem(await post(s, '/v1/me/mfa/totp/confirm', admin, { code: totp(b.body.secret, step + 3) }), 400, 'invalid_code', 'code');
    assertProblem(await post(s, '/v1/me/mfa/totp/confirm', admin, { code: 'abcdef' }), 400, 'invalid_code', 'code');
    const c = await post(s, '/v1/me/mfa/totp/confirm', admin, { code: totp(b.body.secret, step) });
    assert.equal(c.status, 200, JSON.stringify(c.body));
    assert.equal(c.body.recovery_codes.length, 10);
    assert.equal(new Set(c.body.recovery_codes).size, 10);
    for (const code of c.body.recovery_codes) assert.match(code, /^[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}$/);
    assert.equal(c.body.session, undefined); // a full session stays as it is
    // Never returned again; stored sealed.
    const st = await s.api('/v1/me/mfa', { token: admin });
    assert.equal(st.status, 200);
    assert.equal(st.body.totp, true);
    assert.equal(st.body.recovery_codes_left, 10);
    assert.ok(!JSON.stringify(st.body).includes(b.body.secret));
    assertProblem(await post(s, '/v1/me/mfa/totp', admin), 409, 'mfa_already_enrolled');
    const row = spawnSync('sqlite3', [s.db, 'SELECT secret FROM mfa_factors; SELECT code_hash FROM mfa_recovery_codes LIMIT 1;'], { encoding: 'utf8' });
    assert.equal(row.status, 0, row.stderr);
    assert.match(row.stdout, /^gh1\./);
    assert.ok(!row.stdout.includes(b.body.secret) && !row.stdout.includes(c.body.recovery_codes[0]));

    // Sign-in now stops at the second step.
    const p = await signIn(s, 'admin@acme.test');
    assert.equal(p.mfa_pending, 'verify');
    // The pending session can say who it is and nothing more.
    const me = await s.api('/v1/me', { token: p.token });
    assert.equal(me.status, 200);
    assert.equal(me.body.session.mfa_pending, 'verify');
    assertProblem(await s.api('/v1/users', { token: p.token }), 428, 'mfa_required');
    assertProblem(await s.api('/v1/me', { method: 'PATCH', token: p.token, body: { name: 'X' } }), 428, 'mfa_required');
    assertProblem(await s.api('/v1/me/sessions', { token: p.token }), 428, 'mfa_required');
    assertProblem(await post(s, '/v1/me/mfa/totp', p.token), 428, 'mfa_required'); // cannot enrol another
    assertProblem(await s.api('/v1/me/mfa/totp', { method: 'DELETE', token: p.token, body: { code: '000000' } }), 428, 'mfa_required');
    // A full session cannot use the second-step route.
    assertProblem(await post(s, '/v1/auth/mfa', admin, { code: '000000' }), 409, 'mfa_not_pending');
    assertProblem(await post(s, '/v1/auth/mfa', p.token, {}), 400, 'missing_field', 'code');

    // The window: step -2 and +2 refused, -1 accepted.
    step = await freshStep(s, 60); // well after the confirmation's step
    assertProblem(await post(s, '/v1/auth/mfa', p.token, { code: totp(b.body.secret, step - 2) }), 400, 'invalid_code', 'code');
    assertProblem(await post(s, '/v1/auth/mfa', p.token, { code: totp(b.body.secret, step + 2) }), 400, 'invalid_code', 'code');
    const ok = await post(s, '/v1/auth/mfa', p.token, { code: totp(b.body.secret, step - 1) });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.ok(ok.body.token && ok.body.token !== p.token);
    assert.equal(ok.body.mfa_pending, null);
    assert.match(ok.headers.get('set-cookie'), /gh_session=/);
    assert.equal((await s.api('/v1/users', { token: ok.body.token })).status, 200);
    assertProblem(await s.api('/v1/me', { token: p.token }), 401, 'unauthenticated'); // the pending one is gone

    // +1 accepted; then the current step, older than the used one, is refused as reused.
    const p2 = await signIn(s, 'admin@acme.test');
    assert.equal((await post(s, '/v1/auth/mfa', p2.token, { code: totp(b.body.secret, step + 1) })).status, 200);
    const p3 = await signIn(s, 'admin@acme.test');
    assertProblem(await post(s, '/v1/auth/mfa', p3.token, { code: totp(b.body.secret, step + 1) }), 400, 'code_reused', 'code');
    assertProblem(await post(s, '/v1/auth/mfa', p3.token, { code: totp(b.body.secret, step) }), 400, 'code_reused', 'code');
    // The next step's code works once it comes.
    await s.advance(30);
    assert.equal((await post(s, '/v1/auth/mfa', p3.token, { code: totp(b.body.secret, step + 2) })).status, 200);

    // A pending session lasts ten minutes.
    const p4 = await signIn(s, 'admin@acme.test');
    await s.advance(601);
    assertProblem(await s.api('/v1/me', { token: p4.token }), 401, 'session_expired');

    // Audited: successes and failures, never a code.
    const full = await signIn(s, 'admin@acme.test');
    step = await freshStep(s, 30);
    const t = (await post(s, '/v1/auth/mfa', full.token, { code: totp(b.body.secret, step) })).body.token;
    const verified = (await s.api('/v1/audit?action=auth.mfa_verified', { token: t })).body.items;
    assert.equal(verified.length, 4);
    assert.equal(verified[0].detail.factor, 'totp');
    const failed = (await s.api('/v1/audit?action=auth.mfa_failed', { token: t })).body.items;
    assert.deepEqual(failed.map((e) => e.detail.reason).sort(),
      ['code_reused', 'code_reused', 'invalid_code', 'invalid_code', 'invalid_code', 'invalid_code']);
    const enrolled = (await s.api('/v1/audit?action=mfa.totp_enrolled', { token: t })).body.items;
    assert.equal(enrolled.length, 1);
    const trail = JSON.stringify((await s.api('/v1/audit?limit=200', { token: t })).body);
    assert.ok(!trail.includes(b.body.secret));

    // Removing needs a current code; afterwards sign-in is one step again.
    assertProblem(await s.api('/v1/me/mfa/totp', { method: 'DELETE', token: t, body: { code: totp(b.body.secret, step) } }), 400, 'code_reused', 'code');
    await s.advance(30);
    assert.equal((await s.api('/v1/me/mfa/totp', { method: 'DELETE', token: t, body: { code: totp(b.body.secret, step + 1) } })).status, 204);
    assert.equal((await signIn(s, 'admin@acme.test')).mfa_pending, null);
    assert.deepEqual((await s.api('/v1/me/mfa', { token: t })).body.factors, []);
  } finally {
    await s.stop();
  }
});

test('policy: required for privileged people or everyone; forced enrolment at sign-in', async () => {
  const s = await startServer();
  try {
    const admin = await s.login();
    const user = await s.makeUser(admin, 'uma@acme.test', 'user', 'Uma User');
    assert.deepEqual((await s.api('/v1/org/mfa', { token: admin })).body.policy, 'optional');
    assertProblem(await s.api('/v1/org/mfa', { method: 'PUT', token: admin, body: { policy: 'sometimes' } }), 400, 'invalid_mfa_policy', 'policy');
    assertProblem(await s.api('/v1/org/mfa', { method: 'PUT', token: user.token, body: { policy: 'optional' } }), 403, 'permission_denied');
    const put = await s.api('/v1/org/mfa', { method: 'PUT', token: admin, body: { policy: 'privileged' } });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    assert.equal(put.body.policy, 'privileged');
    assert.equal((await s.api('/v1/audit?action=org.mfa_policy_changed', { token: admin })).body.items.length, 1);

    // A plain user is not asked; the administrator must enrol first.
    assert.equal((await signIn(s, 'uma@acme.test')).mfa_pending, null);
    const p = await signIn(s, 'admin@acme.test');
    assert.equal(p.mfa_pending, 'enrol');
    assertProblem(await s.api('/v1/users', { token: p.token }), 428, 'mfa_required');
    assertProblem(await post(s, '/v1/auth/mfa', p.token, { code: '123456' }), 409, 'mfa_not_pending');
    const st = await s.api('/v1/me/mfa', { token: p.token });
    assert.equal(st.body.required, true);
    assert.equal(st.body.mfa_pending, 'enrol');
    const e = await enrol(s, p.token);
    assert.ok(e.session && e.session.token && e.session.token !== p.token, 'a full session replaces the pending one');
    assert.equal((await s.api('/v1/users', { token: e.session.token })).status, 200);
    assertProblem(await s.api('/v1/me', { token: p.token }), 401, 'unauthenticated');
    // From now on: the second step.
    assert.equal((await signIn(s, 'admin@acme.test')).mfa_pending, 'verify');

    // Everyone.
    assert.equal((await s.api('/v1/org/mfa', { method: 'PUT', token: e.session.token, body: { policy: 'all' } })).status, 200);
    const u = await signIn(s, 'uma@acme.test');
    assert.equal(u.mfa_pending, 'enrol');
    assertProblem(await s.api('/v1/me/permissions', { token: u.token }), 428, 'mfa_required');
    // Signing out is allowed while pending.
    assert.equal((await post(s, '/v1/auth/logout', u.token)).status, 204);

    // Accepting an invitation signs the new person in: pending as well.
    assert.equal((await post(s, '/v1/invites', e.session.token, { emails: ['ivy@acme.test'], role: 'user' })).status, 200);
    const acc = await post(s, '/v1/invites/accept', undefined, { token: s.lastToken('ivy@acme.test', 'invite'), name: 'Ivy New', password: PASSWORD });
    assert.equal(acc.status, 200, JSON.stringify(acc.body));
    assert.equal(acc.body.mfa_pending, 'enrol');
    assertProblem(await s.api('/v1/users', { token: acc.body.token }), 428, 'mfa_required');
  } finally {
    await s.stop();
  }
});

test('administrators reset factors of people below them, never see them; no escalation', async () => {
  const s = await startServer({ template: 'monitoring' });
  try {
    const admin = await s.login();
    const adminId = (await s.api('/v1/me', { token: admin })).body.id;
    const mgr = await s.makeUser(admin, 'mo@acme.test', 'manager', 'Mo Manager');
    const user = await s.makeUser(admin, 'uma@acme.test', 'supervisor', 'Uma User');
    const ue = await enrol(s, user.token);
    await enrol(s, admin);
    // What an administrator sees: which factors, never a secret.
    const v = await s.api(`/v1/users/${user.id}/mfa`, { token: mgr.token });
    assert.equal(v.status, 200, JSON.stringify(v.body));
    assert.equal(v.body.totp, true);
    assert.equal(v.body.recovery_codes_left, 10);
    assert.ok(!JSON.stringify(v.body).includes(ue.secret));
    assertProblem(await s.api(`/v1/users/${user.id}/mfa`, { token: (await s.makeUser(admin, 'una@acme.test', 'supervisor')).token }), 403, 'permission_denied');
    // A manager cannot reset the administrator's (above them).
    const esc = await post(s, `/v1/users/${adminId}/mfa/reset`, mgr.token);
    assertProblem(esc, 403, 'escalation');
    assert.equal((await s.api(`/v1/users/${adminId}/mfa`, { token: admin })).body.totp, true);
    // Nor their own through this route.
    assertProblem(await post(s, `/v1/users/${mgr.id}/mfa/reset`, mgr.token), 409, 'mfa_reset_self');
    assertProblem(await post(s, '/v1/users/usr_nobody/mfa/reset', mgr.token), 404, 'user_not_found');
    // The user's: reset, audited and mailed.
    assert.equal((await post(s, `/v1/users/${user.id}/mfa/reset`, mgr.token)).status, 204);
    const after = await s.api(`/v1/users/${user.id}/mfa`, { token: mgr.token });
    assert.equal(after.body.totp, false);
    assert.equal(after.body.recovery_codes_left, 0);
    const ev = (await s.api('/v1/audit?action=user.mfa_reset', { token: admin })).body.items;
    assert.equal(ev.length, 1);
    assert.equal(ev[0].target_id, user.id);
    const mails = s.outbox().filter((m) => m.to === 'uma@acme.test' && m.kind === 'mfa_reset');
    assert.equal(mails.length, 1);
    assert.match(mails[0].subject, /Acme Plant/);
    assert.equal((await signIn(s, 'uma@acme.test')).mfa_pending, null);
  } finally {
    await s.stop();
  }
});

test('recovery codes: single use, also when two requests race; mailed; regenerated', async () => {
  const s = await startServer();
  try {
    const admin = await s.login();
    const user = await s.makeUser(admin, 'uma@acme.test', 'user', 'Uma User');
    const e = await enrol(s, user.token);
    const code = e.codes[0];
    // Two pending sign-ins race with the same code: exactly one wins.
    const a = await signIn(s, 'uma@acme.test');
    const b = await signIn(s, 'uma@acme.test');
    const [ra, rb] = await Promise.all([post(s, '/v1/auth/mfa', a.token, { recovery_code: code }),
      post(s, '/v1/auth/mfa', b.token, { recovery_code: code })]);
    const wins = [ra, rb].filter((r) => r.status === 200);
    assert.equal(wins.length, 1, `${ra.status} ${JSON.stringify(ra.body)} / ${rb.status} ${JSON.stringify(rb.body)}`);
    const loser = ra.status === 200 ? rb : ra;
    assert.ok([400, 429].includes(loser.status), JSON.stringify(loser.body));
    // And afterwards, with time for the throttle: still refused.
    await s.advance(3600);
    const c = await signIn(s, 'uma@acme.test');
    assertProblem(await post(s, '/v1/auth/mfa', c.token, { recovery_code: code }), 400, 'invalid_code', 'recovery_code');
    // Another code, typed sloppily (capitals, no dashes), works once.
    const sloppy = e.codes[1].replaceAll('-', ' ').toUpperCase();
    const ok = await post(s, '/v1/auth/mfa', c.token, { recovery_code: sloppy });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    const t = ok.body.token;
    assert.equal((await s.api('/v1/me/mfa', { token: t })).body.recovery_codes_left, 8);
    // Each use was mailed to the person and audited.
    const mails = s.outbox().filter((m) => m.to === 'uma@acme.test' && m.kind === 'mfa_recovery_used');
    assert.equal(mails.length, 2);
    assert.match(mails[1].body, /8 unused recovery codes/);
    const used = await s.api('/v1/audit?action=mfa.recovery_code_used', { token: await s.login() });
    assert.equal(used.body.items?.length, 2, JSON.stringify(used.body));
    // Regenerating needs a current code and replaces all of them.
    assertProblem(await post(s, '/v1/me/mfa/recovery-codes', t, { code: '000000' }), 400, 'invalid_code', 'code');
    const step = await freshStep(s, 30);
    const g = await post(s, '/v1/me/mfa/recovery-codes', t, { code: totp(e.secret, step) });
    assert.equal(g.status, 200, JSON.stringify(g.body));
    assert.equal(g.body.recovery_codes.length, 10);
    assert.equal((await s.api('/v1/me/mfa', { token: t })).body.recovery_codes_left, 10);
    const d = await signIn(s, 'uma@acme.test');
    assertProblem(await post(s, '/v1/auth/mfa', d.token, { recovery_code: e.codes[2] }), 400, 'invalid_code', 'recovery_code');
    assert.equal((await post(s, '/v1/auth/mfa', d.token, { recovery_code: g.body.recovery_codes[0] })).status, 200);
  } finally {
    await s.stop();
  }
});

test('wrong codes are throttled; re-authentication asks for the second factor', async () => {
  const s = await startServer();
  try {
    const admin = await s.login();
    const user = await s.makeUser(admin, 'uma@acme.test', 'user', 'Uma User');
    const e = await enrol(s, user.token);
    const p = await signIn(s, 'uma@acme.test');
    const step = await freshStep(s, 60);
    // The pauses are seconds long: the clock stands still so that a loaded
    // machine cannot outwait one between two requests (advance moves it).
    assert.equal((await s.api('/v1/test/clock', { method: 'POST', body: { advance_s: 0, freeze: true } })).status, 200);
    // Five free failures, then a pause, in which even the right code waits.
    for (let i = 0; i < 5; i++) assertProblem(await post(s, '/v1/auth/mfa', p.token, { code: '000000' }), 400, 'invalid_code', 'code');
    assertProblem(await post(s, '/v1/auth/mfa', p.token, { code: '000000' }), 400, 'invalid_code', 'code');
    const held = await post(s, '/v1/auth/mfa', p.token, { code: totp(e.secret, step) });
    assertProblem(held, 429, 'too_many_attempts');
    assert.ok(Number(held.headers.get('retry-after')) >= 1);
    // Concurrent guesses are counted one at a time: none gets through early.
    const burst = await Promise.all(Array.from({ length: 6 }, () => post(s, '/v1/auth/mfa', p.token, { code: '111111' })));
    assert.ok(burst.every((r) => r.status === 429), burst.map((r) => r.status).join());
    await s.advance(Number(held.headers.get('retry-after')));
    const now = Math.floor((await serverNow(s)) / 30);
    const ok = await post(s, '/v1/auth/mfa', p.token, { code: totp(e.secret, now) });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    const t = ok.body.token;

    // Changing one's password needs the code as well.
    const change = (body) => post(s, '/v1/me/password', t, { current_password: PASSWORD, new_password: 'a brand new passphrase 42', ...body });
    assertProblem(await change({}), 400, 'otp_required', 'otp');
    assertProblem(await change({ otp: '000000' }), 400, 'invalid_code', 'otp');
    await s.advance(30);
    const r = await change({ otp: totp(e.secret, now + 1) });
    assert.equal(r.status, 200, JSON.stringify(r.body));
  } finally {
    await s.stop();
  }
});

test('SSO: the IdP\'s MFA counts when the org says so (amr)', async () => {
  const s = await startServer();
  const op = await forgeOp(s.url);
  try {
    const admin = await s.login();
    const user = await s.makeUser(admin, 'forge@acme.test', 'user', 'Fay Forge');
    const e = await enrol(s, user.token);
    assert.equal((await s.api('/v1/org/sso', { method: 'PUT', token: admin, body: { protocol: 'oidc', display_name: 'Forge',
      issuer: op.issuer, client_id: CLIENT_ID, client_secret: CLIENT_SECRET } })).status, 200);
    op.mode = (claims) => ({ claims: { ...claims, amr: ['pwd', 'mfa'] } });
    // Not counted yet: the person gives their code after the IdP.
    let r = await signInVia(s.url, 'acme', 'forged-sub');
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.mfa_pending, 'verify');
    assertProblem(await s.api('/v1/users/' + user.id, { token: r.body.token }), 428, 'mfa_required');
    // Counted: amr mfa gives a full session; without it, the second step.
    assert.equal((await s.api('/v1/org/mfa', { method: 'PUT', token: admin, body: { sso_counts_as_mfa: true } })).status, 200);
    r = await signInVia(s.url, 'acme', 'forged-sub');
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.mfa_pending, null);
    op.mode = (claims) => ({ claims: { ...claims, amr: ['pwd'] } });
    r = await signInVia(s.url, 'acme', 'forged-sub');
    assert.equal(r.body.mfa_pending, 'verify');
    // An acr the org names counts too.
    assert.equal((await s.api('/v1/org/mfa', { method: 'PUT', token: admin, body: { sso_acr: 'urn:acme:loa:mfa' } })).status, 200);
    op.mode = (claims) => ({ claims: { ...claims, acr: 'urn:acme:loa:mfa' } });
    r = await signInVia(s.url, 'acme', 'forged-sub');
    assert.equal(r.body.mfa_pending, null);
    // With policy "all", someone without a factor whose IdP asserted MFA is not made to enrol.
    assert.equal((await s.api(`/v1/users/${user.id}/mfa/reset`, { method: 'POST', token: admin })).status, 204);
    assert.equal((await s.api('/v1/org/mfa', { method: 'PUT', token: admin, body: { policy: 'all' } })).status, 200);
    r = await signInVia(s.url, 'acme', 'forged-sub');
    assert.equal(r.body.mfa_pending, null);
    op.mode = null;
    r = await signInVia(s.url, 'acme', 'forged-sub');
    assert.equal(r.body.mfa_pending, 'enrol');
    void e;
  } finally {
    op.close();
    await s.stop();
  }
});

test('rotation of the secret key: a TOTP secret is sealed again under the new key when next used', async () => {
  const s = await startServer();
  let s2;
  try {
    const admin = await s.login();
    const e = await enrol(s, admin);
    const kid = () => spawnSync('sqlite3', [s.db, 'SELECT secret_kid FROM mfa_factors;'], { encoding: 'utf8' }).stdout.trim();
    const before = kid();
    // Stop the server, keep its database; a new key first, the old one below.
    s.proc.kill('SIGTERM');
    await new Promise((res) => (s.proc.exitCode !== null ? res() : s.proc.on('exit', res)));
    const keyFile = `${s.db}.secret-key`;
    const old = readFileSync(keyFile, 'utf8');
    writeFileSync(keyFile, `${randomBytes(32).toString('hex')}\n${old}`, { mode: 0o600 });
    s2 = await startServer({ db: s.db });
    const p = await signIn(s2, 'admin@acme.test');
    const step = await freshStep(s2, 30);
    assert.ok(step > e.step);
    const v1 = await post(s2, '/v1/auth/mfa', p.token, { code: totp(e.secret, step) });
    assert.equal(v1.status, 200, JSON.stringify(v1.body));
    const after = kid();
    assert.match(after, /^[0-9a-f]{16}$/);
    assert.notEqual(after, before);
    // Only the new key now: the secret still opens.
    writeFileSync(keyFile, readFileSync(keyFile, 'utf8').split('\n')[0] + '\n', { mode: 0o600 });
    await s2.stop();
    s2 = await startServer({ db: s.db });
    const p2 = await signIn(s2, 'admin@acme.test');
    const step2 = await freshStep(s2, Math.max(0, (step + 1) * 30 - (await serverNow(s2)))); // the clock starts again at now
    const v2 = await post(s2, '/v1/auth/mfa', p2.token, { code: totp(e.secret, step2) });
    assert.equal(v2.status, 200, JSON.stringify(v2.body));
  } finally {
    if (s2) await s2.stop();
    rmSync(s.dir, { recursive: true, force: true });
  }
});
