// Company sign-in with OpenID Connect (issue 16), end to end against a real
// OpenID Provider (npm oidc-provider) on loopback: linking by (issuer, sub)
// after a first link by e-mail, just-in-time creation on and off, the domain
// allowlist, the group -> role mapping, required SSO with break-glass
// accounts, locked accounts, replayed state; and against a forging OP: a
// tampered ID token, a wrong aud, an expired token, alg none, HMAC with the
// public key, an unknown kid, a wrong client secret. Each failure is 401
// sso_failed with a reason, audited auth.sso_failed, and opens no session.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PASSWORD, startServer, assertProblem } from './lib.mjs';
import { CLIENT_ID, CLIENT_SECRET, realOp, forgeOp, signInVia } from './ssolib.mjs';

const configure = (s, token, body) => s.api('/v1/org/sso', { method: 'PUT', token, body });

test('OIDC sign-in against oidc-provider: link, JIT, domains, groups, policy', async () => {
  const s = await startServer();
  const accounts = {
    'sub-worker': { email: 'worker@acme.test', email_verified: true, name: 'Walt Worker', groups: ['Admins'] },
    'sub-pat': { email: 'pat@acme.test', email_verified: true, name: 'Pat New' },
    'sub-eve': { email: 'eve@evil.test', email_verified: true, name: 'Eve' },
  };
  const op = await realOp(s.url, accounts);
  try {
    const admin = await s.login();
    const adminId = (await s.api('/v1/me', { token: admin })).body.id;
    const worker = await s.makeUser(admin, 'worker@acme.test', 'user');
    const base = { protocol: 'oidc', display_name: 'Acme OP', issuer: op.issuer, client_id: CLIENT_ID, client_secret: CLIENT_SECRET,
      scopes: ['openid', 'email', 'profile', 'groups'], groups_claim: 'groups' };
    assert.equal((await configure(s, admin, base)).status, 200);

    // An existing person: linked by e-mail the first time, signed in with a session.
    const first = await signInVia(s.url, 'acme', 'sub-worker');
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.equal(first.body.user.id, worker.id);
    assert.ok(first.body.token);
    const auth = new URL(first.authUrl);
    assert.equal(auth.searchParams.get('code_challenge_method'), 'S256');
    assert.ok(auth.searchParams.get('nonce') && auth.searchParams.get('state') && auth.searchParams.get('code_challenge'));
    const me = await s.api('/v1/me', { token: first.body.token });
    assert.equal(me.status, 200);
    assert.equal(me.body.email, 'worker@acme.test');
    const logins = (await s.api('/v1/audit?action=auth.login', { token: admin })).body.items;
    assert.deepEqual(logins[0].detail, { method: 'sso', idp: 'Acme OP', issuer: op.issuer });
    assert.equal((await s.api('/v1/audit?action=identity.linked', { token: admin })).body.items.length, 1);

    // Replaying the callback (same state and code) opens nothing.
    const again = await first.replay();
    assert.equal(again.status, 401);
    assert.equal(again.body.code, 'sso_failed');
    assert.equal(again.body.reason, 'state_replayed');

    // From now on (issuer, sub) finds the person, whatever the e-mail says.
    accounts['sub-worker'].email = 'walt@elsewhere.test';
    const second = await signInVia(s.url, 'acme', 'sub-worker');
    assert.equal(second.status, 200, JSON.stringify(second.body));
    assert.equal(second.body.user.id, worker.id);

    // No account and JIT off: refused, audited.
    const pat = await signInVia(s.url, 'acme', 'sub-pat');
    assert.equal(pat.status, 401, JSON.stringify(pat.body));
    assert.equal(pat.body.reason, 'no_account');
    const failed = (await s.api('/v1/audit?action=auth.sso_failed', { token: admin })).body.items;
    assert.ok(failed.some((e) => e.detail.reason === 'no_account'), JSON.stringify(failed));

    // JIT on: created with the default role, from allowed domains only.
    assert.equal((await configure(s, admin, { ...base, client_secret: undefined,
      jit: { enabled: true, default_role: 'user', domains: ['acme.test'] } })).status, 200);
    const created = await signInVia(s.url, 'acme', 'sub-pat');
    assert.equal(created.status, 200, JSON.stringify(created.body));
    assert.equal(created.body.user.email, 'pat@acme.test');
    assert.equal(created.body.user.role, 'user');
    assert.equal(created.body.user.name, 'Pat New');
    const eve = await signInVia(s.url, 'acme', 'sub-eve');
    assert.equal(eve.status, 401);
    assert.equal(eve.body.reason, 'domain_not_allowed');

    // Group mapping: Admins -> admin, applied at sign-in and audited.
    assert.equal((await configure(s, admin, { ...base, client_secret: undefined, role_map: { Admins: 'admin' } })).status, 200);
    const mapped = await signInVia(s.url, 'acme', 'sub-worker');
    assert.equal(mapped.status, 200, JSON.stringify(mapped.body));
    assert.equal(mapped.body.user.role, 'admin');
    assert.equal((await s.api(`/v1/users/${worker.id}`, { token: admin })).body.role, 'admin');

    // Required SSO: SSO works for everyone, passwords only for break-glass accounts.
    assert.equal((await configure(s, admin, { ...base, client_secret: undefined, required: true, break_glass: [adminId] })).status, 200);
    assert.equal((await signInVia(s.url, 'acme', 'sub-pat')).status, 200);
    assertProblem(await s.api('/v1/auth/login', { method: 'POST', body: { email: 'worker@acme.test', password: PASSWORD } }), 403, 'sso_required');
    assert.equal((await s.api('/v1/auth/login', { method: 'POST', body: { email: 'admin@acme.test', password: PASSWORD } })).status, 200);

    // Locked people are refused even though the IdP says yes.
    assert.equal((await s.api(`/v1/users/${created.body.user.id}/lock`, { method: 'POST', token: admin })).status, 200);
    const locked = await signInVia(s.url, 'acme', 'sub-pat');
    assert.equal(locked.status, 401);
    assert.equal(locked.body.reason, 'account_locked');

    // A browser is sent on to the console with the session cookies.
    const browser = await signInVia(s.url, 'acme', 'sub-worker', { accept: 'text/html' });
    assert.equal(browser.status, 302);
    assert.equal(browser.headers.get('location'), '/console/');
    assert.ok(browser.headers.getSetCookie().some((c) => c.startsWith('gh_session=')));
  } finally {
    op.close();
    await s.stop();
  }
});

test('OIDC sign-in refuses forged, expired and misdirected ID tokens', async () => {
  const s = await startServer();
  const op = await forgeOp(s.url);
  try {
    const admin = await s.login();
    await s.makeUser(admin, 'forge@acme.test', 'user');
    assert.equal((await configure(s, admin, { protocol: 'oidc', display_name: 'Forge', issuer: op.issuer, client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET })).status, 200);
    op.mode = null;
    const ok = await signInVia(s.url, 'acme', 'x');
    assert.equal(ok.status, 200, JSON.stringify(ok.body));

    const now = () => Math.floor(Date.now() / 1000);
    const cases = [
      ['tampered', () => ({ tamper: (t) => { const [h, p, sig] = t.split('.'); const c = JSON.parse(Buffer.from(p, 'base64url')); c.sub = 'someone-else'; return `${h}.${Buffer.from(JSON.stringify(c)).toString('base64url')}.${sig}`; } }), 'signature_invalid'],
      ['wrong aud', (c, h) => ({ claims: { ...c, aud: 'another-app' }, header: h }), 'audience_mismatch'],
      ['expired', (c, h) => ({ claims: { ...c, exp: now() - 3600, iat: now() - 7200 }, header: h }), 'token_expired'],
      ['future iat', (c, h) => ({ claims: { ...c, iat: now() + 3600 }, header: h }), 'clock_skew'],
      ['alg none', (c, h) => ({ claims: c, header: { ...h, alg: 'none' } }), 'algorithm_refused'],
      ['HMAC with the public key', (c, h) => ({ claims: c, header: { ...h, alg: 'HS256' } }), 'algorithm_refused'],
      ['unknown kid', (c, h) => ({ claims: c, header: { ...h, kid: 'rotated-away' } }), 'unknown_kid'],
      ['wrong issuer', (c, h) => ({ claims: { ...c, iss: 'https://evil.example.com' }, header: h }), 'issuer_mismatch'],
      ['wrong nonce', (c, h) => ({ claims: { ...c, nonce: 'replayed-nonce' }, header: h }), 'nonce_mismatch'],
    ];
    for (const [name, mode, reason] of cases) {
      op.mode = mode;
      const r = await signInVia(s.url, 'acme', 'x');
      assert.equal(r.status, 401, `${name}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.code, 'sso_failed', name);
      assert.equal(r.body.reason, reason, `${name}: ${JSON.stringify(r.body)}`);
      assert.ok(!r.headers.getSetCookie().some((c) => c.startsWith('gh_session=')), `${name}: no session`);
    }
    op.mode = null;
    op.secret = 'rotated-at-the-idp';
    const secret = await signInVia(s.url, 'acme', 'x');
    assert.equal(secret.status, 401);
    assert.equal(secret.body.reason, 'client_auth_failed');
    assert.match(secret.body.detail, /check the client id and secret/);
    // A state cookie from another browser: refused.
    op.secret = CLIENT_SECRET;
    const other = await signInVia(s.url, 'acme', 'x', { otherBrowser: true });
    assert.equal(other.status, 401);
    assert.equal(other.body.reason, 'state_cookie_mismatch');
    assert.equal((await signInVia(s.url, 'acme', 'x')).status, 200, 'the right secret works again');
    const reasons = (await s.api('/v1/audit?action=auth.sso_failed&limit=100', { token: admin })).body.items.map((e) => e.detail.reason);
    for (const [, , reason] of cases) assert.ok(reasons.includes(reason), `${reason} audited`);
    assert.ok(reasons.includes('client_auth_failed'));
    // Unknown org / no configuration: a clear 404, no redirect.
    assertProblem(await s.api('/v1/auth/sso/start?org=nope'), 404, 'sso_not_configured');
    assertProblem(await s.api('/v1/auth/sso/start'), 400, 'missing_field');
    const bogus = await s.api(`/v1/auth/sso/oidc/callback?state=${'A'.repeat(43)}&code=x`);
    assert.equal(bogus.status, 401);
    assert.equal(bogus.body.reason, 'state_invalid');
  } finally {
    op.close();
    await s.stop();
  }
});

test('re-authentication by the IdP (prompt=login, max_age=0) for the same person only', async () => {
  const s = await startServer();
  const accounts = {
    'sub-worker': { email: 'worker@acme.test', email_verified: true, name: 'Walt Worker' },
    'sub-admin': { email: 'admin@acme.test', email_verified: true, name: 'Ada Admin' },
  };
  const op = await realOp(s.url, accounts);
  try {
    const admin = await s.login();
    const worker = await s.makeUser(admin, 'worker@acme.test', 'user');
    assert.equal((await configure(s, admin, { protocol: 'oidc', display_name: 'Acme OP', issuer: op.issuer, client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET })).status, 200);
    assert.equal((await signInVia(s.url, 'acme', 'sub-worker')).status, 200);
    assert.equal((await signInVia(s.url, 'acme', 'sub-admin')).status, 200);

    const r = await signInVia(s.url, 'acme', 'sub-worker', { reauth: { token: worker.token, purpose: 'e_signature' } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body, { reauthenticated: true, purpose: 'e_signature' });
    const auth = new URL(r.authUrl);
    assert.equal(auth.searchParams.get('prompt'), 'login');
    assert.equal(auth.searchParams.get('max_age'), '0');
    const ev = (await s.api('/v1/audit?action=auth.reauthenticated', { token: admin })).body.items;
    assert.equal(ev.length, 1);
    assert.equal(ev[0].target_id, worker.id);
    assert.equal(ev[0].detail.purpose, 'e_signature');

    // Someone else at the IdP's login page does not prove the worker.
    const wrong = await signInVia(s.url, 'acme', 'sub-admin', { reauth: { token: worker.token, purpose: 'e_signature' } });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.body.reason, 'reauth_wrong_person');
    assertProblem(await s.api('/v1/me/reauth/sso', { method: 'POST', token: worker.token, body: { purpose: 'E-Sign!' } }), 400,
      'invalid_purpose', 'purpose');
    assertProblem(await s.api('/v1/me/reauth/sso', { method: 'POST', body: { purpose: 'e_signature' } }), 401, 'unauthenticated');
  } finally {
    op.close();
    await s.stop();
  }
});

test('required SSO: an invitee accepts the invitation by signing in with the IdP', async () => {
  const s = await startServer();
  const op = await realOp(s.url, {
    'sub-casey': { email: 'Casey@acme.test', email_verified: true, name: 'Casey Invited' },
    'sub-other': { email: 'other@acme.test', email_verified: true, name: 'Not Invited' },
  });
  try {
    const admin = await s.login();
    const adminId = (await s.api('/v1/me', { token: admin })).body.id;
    assert.equal((await configure(s, admin, { protocol: 'oidc', display_name: 'Acme OP', issuer: op.issuer, client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET, required: true, break_glass: [adminId] })).status, 200);
    const inv = await s.api('/v1/invites', { method: 'POST', token: admin, body: { emails: ['casey@acme.test'], role: 'admin' } });
    assert.equal(inv.status, 200, JSON.stringify(inv.body));
    const inviteId = inv.body.results[0].invite_id;
    assertProblem(await s.api('/v1/invites/accept', { method: 'POST',
      body: { token: s.lastToken('casey@acme.test', 'invite'), name: 'Casey', password: 'a long enough passphrase 42' } }), 403, 'sso_required');

    // Someone the invitation was not sent to gets nothing (just-in-time creation is off).
    const other = await signInVia(s.url, 'acme', 'sub-other');
    assert.equal(other.status, 401, JSON.stringify(other.body));
    assert.equal(other.body.reason, 'no_account');

    // The invitee signs in with the IdP: the invitation is accepted with its role and the identity linked.
    const casey = await signInVia(s.url, 'acme', 'sub-casey');
    assert.equal(casey.status, 200, JSON.stringify(casey.body));
    assert.equal(casey.body.user.email, 'casey@acme.test');
    assert.equal(casey.body.user.role, 'admin');
    assert.equal(casey.body.user.name, 'Casey Invited');
    assert.ok(casey.body.token);
    assert.equal((await s.api(`/v1/invites/${inviteId}`, { token: admin })).body.status, 'accepted');
    const accepted = (await s.api('/v1/audit?action=invite.accepted', { token: admin })).body.items;
    assert.equal(accepted.length, 1);
    assert.equal(accepted[0].detail.method, 'sso');
    assert.equal(accepted[0].detail.user_id, casey.body.user.id);
    const linked = (await s.api('/v1/audit?action=identity.linked', { token: admin })).body.items;
    assert.equal(linked[0].detail.invited, true);
    const m = (await s.api(`/v1/users/${casey.body.user.id}/sign-in-methods`, { token: admin })).body;
    assert.equal(m.password, false);
    assert.equal(m.identities[0].subject, 'sub-casey');
    // The next sign-in finds the same person; the invitation is not used twice.
    const again = await signInVia(s.url, 'acme', 'sub-casey');
    assert.equal(again.status, 200, JSON.stringify(again.body));
    assert.equal(again.body.user.id, casey.body.user.id);
    assert.equal((await s.api('/v1/audit?action=invite.accepted', { token: admin })).body.items.length, 1);
  } finally {
    op.close();
    await s.stop();
  }
});

test('logout: the gatehouse session ends and the IdP is offered RP-initiated logout', async () => {
  const s = await startServer();
  const op = await realOp(s.url, { 'sub-worker': { email: 'worker@acme.test', email_verified: true, name: 'Walt' } });
  try {
    const admin = await s.login();
    await s.makeUser(admin, 'worker@acme.test', 'user');
    assert.equal((await configure(s, admin, { protocol: 'oidc', display_name: 'Acme OP', issuer: op.issuer, client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET })).status, 200);
    const disco = await (await fetch(`${op.issuer}/.well-known/openid-configuration`)).json();
    assert.ok(disco.end_session_endpoint, 'oidc-provider announces RP-initiated logout');

    const signed = await signInVia(s.url, 'acme', 'sub-worker');
    assert.equal(signed.status, 200, JSON.stringify(signed.body));
    const out = await s.api('/v1/auth/logout', { method: 'POST', token: signed.body.token });
    assert.equal(out.status, 200, JSON.stringify(out.body));
    const url = new URL(out.body.idp_logout_url);
    assert.equal(`${url.origin}${url.pathname}`, disco.end_session_endpoint);
    assert.equal(url.searchParams.get('post_logout_redirect_uri'), `${s.url}/console/sign-in`);
    assert.equal(url.searchParams.get('client_id'), CLIENT_ID);
    const hint = url.searchParams.get('id_token_hint');
    assert.equal(hint.split('.').length, 3);
    assert.equal(JSON.parse(Buffer.from(hint.split('.')[1], 'base64url')).sub, 'sub-worker');
    assertProblem(await s.api('/v1/me', { token: signed.body.token }), 401, 'unauthenticated');
    // The IdP accepts the request (its sign-out confirmation page, not an error).
    const page = await fetch(url, { redirect: 'manual' });
    const html = await page.text();
    assert.equal(page.status, 200, html);
    assert.match(html, /<form/);
    assert.equal((await s.api('/v1/audit?action=auth.logout', { token: admin })).body.items.length, 1);

    // A password session has nothing to do at the IdP.
    const pw = await s.login();
    const plain = await s.api('/v1/auth/logout', { method: 'POST', token: pw });
    assert.equal(plain.status, 204);
    // Nor has an SSO session once the configuration is gone.
    const again = await signInVia(s.url, 'acme', 'sub-worker');
    assert.equal(again.status, 200, JSON.stringify(again.body));
    assert.equal((await s.api('/v1/org/sso', { method: 'DELETE', token: admin })).status, 204);
    assert.equal((await s.api('/v1/auth/logout', { method: 'POST', token: again.body.token })).status, 204);
    assertProblem(await s.api('/v1/me', { token: again.body.token }), 401, 'unauthenticated');
  } finally {
    op.close();
    await s.stop();
  }
});
