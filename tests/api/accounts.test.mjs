// Office accounts and sessions: creating a user mails a verification link,
// the link verifies the address and sets the password, the password policy,
// unique emails, sign-in and sign-out, cookie and bearer authentication with
// CSRF protection, one's own sessions, self-service profile and password,
// password reset, and session timeouts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, assertProblem, PASSWORD } from './lib.mjs';

/** Raw sign-in: {status, body, cookies: {name: value}, setCookie: [...]} */
async function signIn(s, email, password = PASSWORD, headers = {}) {
  const r = await fetch(`${s.url}/v1/auth/login`, {
    method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify({ email, password }),
  });
  const setCookie = r.headers.getSetCookie();
  const cookies = {};
  for (const c of setCookie) {
    const [nv] = c.split(';');
    const i = nv.indexOf('=');
    cookies[nv.slice(0, i)] = nv.slice(i + 1);
  }
  return { status: r.status, body: await r.json(), cookies, setCookie };
}

const mailsTo = (s, to, kind) => s.outbox().filter((m) => m.to.toLowerCase() === to.toLowerCase() && (!kind || m.kind === kind));

test('office accounts and sessions', async () => {
  const s = await startServer();
  try {
    let admin = await s.login();
    let bob; // {id}

    await test('creating a user mails a single-use verification link', async () => {
      const r = await s.api('/v1/users', { method: 'POST', token: admin, body: { email: 'Bob@Acme.test', name: 'Bob Builder', role: 'user', mobile: '+1 555 0100' } });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      assert.equal(r.headers.get('location'), `/v1/users/${r.body.id}`);
      assert.equal(r.body.email, 'Bob@Acme.test');
      assert.equal(r.body.name, 'Bob Builder');
      assert.equal(r.body.mobile, '+1 555 0100');
      assert.equal(r.body.role, 'user');
      assert.equal(r.body.status, 'active');
      assert.equal(r.body.email_verified, false);
      assert.equal(r.body.has_password, false);
      assert.equal(r.body.last_login_at, null);
      bob = r.body;
      const mails = mailsTo(s, 'bob@acme.test', 'verify_email');
      assert.equal(mails.length, 1);
      const link = new URL(mails[0].link);
      assert.equal(link.origin, s.url);
      assert.equal(link.pathname, '/console/verify-email');
      assert.equal(link.searchParams.get('token').length, 43);
      assert.ok(mails[0].body.includes(mails[0].link), 'the mail body carries the link');
      assert.equal(mails[0].subject, 'Confirm your email address for Acme Plant');
    });

    await test('emails are unique within the org, case-insensitively', async () => {
      for (const email of ['bob@acme.test', 'BOB@ACME.TEST', 'Admin@acme.test']) {
        assertProblem(await s.api('/v1/users', { method: 'POST', token: admin, body: { email, name: 'Dup', role: 'user' } }), 409, 'email_taken', 'email');
      }
      assertProblem(await s.api('/v1/users', { method: 'POST', token: admin, body: { email: 'not-an-email', name: 'X', role: 'user' } }), 400, 'invalid_email', 'email');
      assertProblem(await s.api('/v1/users', { method: 'POST', token: admin, body: { email: 'x@acme.test', name: 'X', role: 'wizard' } }), 400, 'unknown_role', 'role');
      assertProblem(await s.api('/v1/users', { method: 'POST', token: admin, body: { email: 'x@acme.test', name: '', role: 'user' } }), 400, 'invalid_name', 'name');
      assertProblem(await s.api('/v1/users', { method: 'POST', token: admin, body: { email: 'x@acme.test', name: 'X', role: 'user', mobile: 'call me' } }), 400, 'invalid_mobile', 'mobile');
      const list = await s.api('/v1/users?q=x%40acme', { token: admin });
      assert.deepEqual(list.body.items, [], 'a refused create left a user behind');
      assert.equal(mailsTo(s, 'x@acme.test').length, 0, 'a refused create left a mail behind');
    });

    await test('a user without a verified email cannot sign in', async () => {
      const r = await s.api('/v1/auth/login', { method: 'POST', body: { email: 'bob@acme.test', password: PASSWORD } });
      assertProblem(r, 401, 'invalid_credentials'); // no password yet
    });

    await test('verify-email: link info, password policy, then the password is set', async () => {
      const token = s.lastToken('bob@acme.test', 'verify_email');
      const info = await s.api(`/v1/auth/link?purpose=verify&token=${token}`);
      assert.equal(info.status, 200);
      assert.deepEqual(info.body, { email: 'Bob@Acme.test', name: 'Bob Builder', has_password: false });
      assertProblem(await s.api(`/v1/auth/link?purpose=reset&token=${token}`), 404, 'token_invalid', 'token');
      assertProblem(await s.api(`/v1/auth/link?purpose=other&token=${token}`), 400, 'invalid_purpose', 'purpose');
      const verify = (body) => s.api('/v1/auth/verify-email', { method: 'POST', body });
      assertProblem(await verify({ token }), 400, 'password_required', 'password');
      assertProblem(await verify({ token, password: 'seven77' }), 400, 'password_too_short', 'password');
      assertProblem(await verify({ token, password: 'x'.repeat(257) }), 400, 'password_too_long', 'password');
      assertProblem(await verify({ token, password: 'é'.repeat(257) }), 400, 'password_too_long', 'password');
      for (const common of ['password1', '12345678', 'PassWord1', 'qwertyuiop']) {
        assertProblem(await verify({ token, password: common }), 400, 'password_common', 'password');
      }
      assertProblem(await verify({ token: 'A'.repeat(43), password: PASSWORD }), 404, 'token_invalid', 'token');
      assertProblem(await verify({ token: 'short', password: PASSWORD }), 404, 'token_invalid', 'token');
      // Failed attempts did not use the link up. 256 characters (here
      // 2-byte ones) is the longest password allowed; no composition rules.
      const long = 'éè'.repeat(128); // (not one repeated character: refused since issue 12)
      const ok = await verify({ token, password: long });
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      assertProblem(await verify({ token, password: PASSWORD }), 410, 'token_used', 'token');
      const u = await s.api(`/v1/users/${bob.id}`, { token: admin });
      assert.equal(u.body.email_verified, true);
      assert.equal(u.body.has_password, true);
      const login = await s.api('/v1/auth/login', { method: 'POST', body: { email: 'bob@acme.test', password: long } });
      assert.equal(login.status, 200, JSON.stringify(login.body));
    });

    let bobPassword = 'éè'.repeat(128);
    let cookie; // {gh_session, gh_csrf}
    let bobToken;
    await test('sign-in answers a token and sets HttpOnly SameSite cookies', async () => {
      const r = await signIn(s, 'BOB@acme.test', bobPassword);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.token.length, 43);
      assert.match(r.body.token, /^[A-Za-z0-9_-]{43}$/);
      assert.equal(r.body.user.id, bob.id);
      assert.ok(r.body.user.last_login_at);
      assert.ok(!('password_hash' in r.body.user));
      const exp = Date.parse(r.body.expires_at);
      assert.ok(exp > Date.now() + 11 * 3600e3 && exp < Date.now() + 13 * 3600e3, `expires_at ${r.body.expires_at}`);
      const session = r.setCookie.find((c) => c.startsWith('gh_session='));
      assert.ok(session, r.setCookie.join('\n'));
      assert.match(session, /; HttpOnly/);
      assert.match(session, /; SameSite=Lax/);
      assert.match(session, /; Path=\//);
      assert.doesNotMatch(session, /; Secure/, 'the base URL is http');
      assert.equal(r.cookies.gh_session, r.body.token);
      assert.equal(r.cookies.gh_csrf, r.body.csrf_token);
      assert.doesNotMatch(r.setCookie.find((c) => c.startsWith('gh_csrf=')), /HttpOnly/, 'the page must read the CSRF cookie');
      cookie = r.cookies;
      bobToken = (await signIn(s, 'bob@acme.test', bobPassword)).body.token;
    });

    await test('bearer and cookie authentication; CSRF for cookie writes', async () => {
      const me = await s.api('/v1/me', { token: bobToken });
      assert.equal(me.status, 200);
      assert.equal(me.body.id, bob.id);
      assert.equal(me.body.org.slug, 'acme');
      assert.equal(me.body.access.role, 'user');
      assertProblem(await s.api('/v1/me'), 401, 'unauthenticated');
      assertProblem(await s.api('/v1/me', { token: 'A'.repeat(43) }), 401, 'unauthenticated');
      assertProblem(await s.api('/v1/me', { headers: { Authorization: 'Basic Ym9iOnB3' } }), 401, 'unauthenticated');
      const c = `gh_session=${cookie.gh_session}; gh_csrf=${cookie.gh_csrf}`;
      const viaCookie = await s.api('/v1/me', { headers: { Cookie: c } });
      assert.equal(viaCookie.status, 200);
      assert.equal(viaCookie.body.session.id, (await s.api('/v1/me', { headers: { Cookie: c } })).body.session.id);
      const patch = (headers) => s.api('/v1/me', { method: 'PATCH', headers: { Cookie: c, ...headers }, body: { name: 'Bob B.' } });
      assertProblem(await patch({}), 403, 'csrf_failed');
      assertProblem(await patch({ 'X-CSRF-Token': 'A'.repeat(43) }), 403, 'csrf_failed');
      assertProblem(await patch({ 'X-CSRF-Token': bobToken }), 403, 'csrf_failed');
      assert.equal((await s.api('/v1/me', { token: bobToken })).body.name, 'Bob Builder', 'a refused write changed the name');
      const ok = await patch({ 'X-CSRF-Token': cookie.gh_csrf });
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      assert.equal(ok.body.name, 'Bob B.');
      // Bearer requests need no CSRF token.
      const b = await s.api('/v1/me', { method: 'PATCH', token: bobToken, body: { name: 'Bob Builder' } });
      assert.equal(b.status, 200);
      // A browser still signed in can sign in again: public routes ignore the cookie.
      const again = await signIn(s, 'bob@acme.test', bobPassword, { Cookie: c });
      assert.equal(again.status, 200, JSON.stringify(again.body));
    });

    await test('PATCH /v1/me changes only one\'s name and mobile number', async () => {
      const r = await s.api('/v1/me', { method: 'PATCH', token: bobToken, body: { name: 'Robert', mobile: '+44 (0) 20 7946-0000' } });
      assert.equal(r.status, 200);
      assert.equal(r.body.name, 'Robert');
      assert.equal(r.body.mobile, '+44 (0) 20 7946-0000');
      for (const field of ['email', 'role', 'status', 'grants', 'modules', 'password']) {
        assertProblem(await s.api('/v1/me', { method: 'PATCH', token: bobToken, body: { [field]: 'x' } }), 400, 'unknown_field', field);
      }
      assertProblem(await s.api('/v1/me', { method: 'PATCH', token: bobToken, body: { name: 42 } }), 400, 'invalid_type', 'name');
      assertProblem(await s.api('/v1/me', { method: 'PATCH', token: bobToken, body: { name: '' } }), 400, 'invalid_name', 'name');
      assertProblem(await s.api('/v1/me', { method: 'PATCH', token: bobToken, body: { mobile: 'x'.repeat(41) } }), 400, 'invalid_mobile', 'mobile');
      const me = await s.api('/v1/me', { token: bobToken });
      assert.equal(me.body.name, 'Robert');
      assert.equal(me.body.role, 'user');
    });

    await test('one\'s own sessions: list and end any of them', async () => {
      const list = await s.api('/v1/me/sessions', { token: bobToken });
      assert.equal(list.status, 200);
      assert.ok(list.body.items.length >= 3, JSON.stringify(list.body));
      const current = list.body.items.filter((x) => x.current);
      assert.equal(current.length, 1);
      for (const x of list.body.items) {
        assert.deepEqual(Object.keys(x).sort(), ['created_at', 'current', 'device', 'expires_at', 'id', 'idle_timeout_s', 'ip', 'kind', 'last_seen_at', 'user_agent']);
        assert.equal(x.kind, 'office');
        assert.equal(x.ip, '127.0.0.1');
      }
      const other = (await s.api('/v1/me', { headers: { Cookie: `gh_session=${cookie.gh_session}` } })).body.session.id;
      assert.notEqual(other, current[0].id);
      const adminSession = (await s.api('/v1/me', { token: admin })).body.session.id;
      assertProblem(await s.api(`/v1/me/sessions/${adminSession}`, { method: 'DELETE', token: bobToken }), 404, 'session_not_found');
      assert.equal((await s.api('/v1/me', { token: admin })).status, 200, 'bob ended the admin\'s session');
      const del = await s.api(`/v1/me/sessions/${other}`, { method: 'DELETE', token: bobToken });
      assert.equal(del.status, 204);
      assertProblem(await s.api('/v1/me', { headers: { Cookie: `gh_session=${cookie.gh_session}` } }), 401, 'unauthenticated');
      assertProblem(await s.api(`/v1/me/sessions/${other}`, { method: 'DELETE', token: bobToken }), 404, 'session_not_found');
      assert.equal((await s.api('/v1/me', { token: bobToken })).status, 200);
    });

    await test('changing one\'s password needs the current one and ends one\'s other sessions', async () => {
      const other = (await signIn(s, 'bob@acme.test', bobPassword)).body.token;
      const change = (body) => s.api('/v1/me/password', { method: 'POST', token: bobToken, body });
      assertProblem(await change({ current_password: 'wrong password!', new_password: 'a new long passphrase' }), 403, 'invalid_current_password', 'current_password');
      assert.equal((await s.api('/v1/me', { token: other })).status, 200, 'a refused change ended a session');
      assertProblem(await change({ current_password: bobPassword, new_password: 'password' }), 400, 'password_common', 'new_password');
      assertProblem(await change({ current_password: bobPassword }), 400, 'missing_field', 'new_password');
      assertProblem(await change({ current_password: bobPassword, new_password: 'x'.repeat(257) }), 400, 'password_too_long', 'new_password');
      const ok = await change({ current_password: bobPassword, new_password: 'a new long passphrase' });
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      assertProblem(await s.api('/v1/me', { token: other }), 401, 'unauthenticated');
      assert.equal((await s.api('/v1/me', { token: bobToken })).status, 200, 'the current session survives');
      assertProblem(await s.api('/v1/auth/login', { method: 'POST', body: { email: 'bob@acme.test', password: bobPassword } }), 401, 'invalid_credentials');
      bobPassword = 'a new long passphrase';
      assert.equal((await signIn(s, 'bob@acme.test', bobPassword)).status, 200);
      // Exactly 8 characters is long enough.
      const eight = await change({ current_password: bobPassword, new_password: 'tq8#Lw2z' });
      assert.equal(eight.status, 200, JSON.stringify(eight.body));
      bobPassword = 'tq8#Lw2z';
    });

    await test('sign-out ends the session and clears the cookie', async () => {
      const r = await signIn(s, 'bob@acme.test', bobPassword);
      const c = `gh_session=${r.cookies.gh_session}`;
      assertProblem(await s.api('/v1/auth/logout', { method: 'POST', headers: { Cookie: c } }), 403, 'csrf_failed');
      const out = await fetch(`${s.url}/v1/auth/logout`, { method: 'POST', headers: { Cookie: c, 'X-CSRF-Token': r.cookies.gh_csrf } });
      assert.equal(out.status, 204);
      assert.ok(out.headers.getSetCookie().some((x) => /^gh_session=;.*Max-Age=0/.test(x)));
      assertProblem(await s.api('/v1/me', { headers: { Cookie: c } }), 401, 'unauthenticated');
      assertProblem(await s.api('/v1/auth/logout', { method: 'POST' }), 401, 'unauthenticated');
    });

    await test('password reset: always 202, a single-use link, all sessions end', async () => {
      const before = s.outbox().length;
      const unknown = await s.api('/v1/auth/password-reset', { method: 'POST', body: { email: 'nobody@acme.test' } });
      assert.equal(unknown.status, 202);
      const wrongOrg = await s.api('/v1/auth/password-reset', { method: 'POST', body: { org: 'nope', email: 'bob@acme.test' } });
      assert.equal(wrongOrg.status, 202);
      assert.equal(s.outbox().length, before, 'no mail for an unknown account');
      const known = await s.api('/v1/auth/password-reset', { method: 'POST', body: { org: 'acme', email: 'BOB@acme.test' } });
      assert.equal(known.status, 202);
      assert.deepEqual(known.body, unknown.body, 'the answer tells nothing');
      assert.deepEqual(wrongOrg.body, unknown.body);
      await s.waitMail('bob@acme.test', 'password_reset', 1); // mailed after the answer (issue 12)
      const mails = mailsTo(s, 'bob@acme.test', 'password_reset');
      assert.equal(mails.length, 1);
      assert.equal(new URL(mails[0].link).pathname, '/console/reset-password');
      const token = s.lastToken('bob@acme.test', 'password_reset');
      const session = (await signIn(s, 'bob@acme.test', bobPassword)).body.token;
      const confirm = (body) => s.api('/v1/auth/password-reset/confirm', { method: 'POST', body });
      assertProblem(await confirm({ token }), 400, 'password_required', 'password');
      assertProblem(await confirm({ token, password: '1234567' }), 400, 'password_too_short', 'password');
      assertProblem(await confirm({ token: s.lastToken('bob@acme.test', 'verify_email'), password: PASSWORD }), 404, 'token_invalid', 'token');
      const ok = await confirm({ token, password: 'reset to this passphrase' });
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      assertProblem(await s.api('/v1/me', { token: session }), 401, 'unauthenticated');
      assertProblem(await s.api('/v1/me', { token: bobToken }), 401, 'unauthenticated');
      assertProblem(await confirm({ token, password: 'another passphrase' }), 410, 'token_used', 'token');
      bobPassword = 'reset to this passphrase';
      bobToken = (await signIn(s, 'bob@acme.test', bobPassword)).body.token;
      assert.ok(bobToken);
    });

    await test('a newer reset link replaces the older one; links expire', async () => {
      await s.advance(5); // past the per-account pause between reset mails
      assert.equal((await s.api('/v1/auth/password-reset', { method: 'POST', body: { email: 'bob@acme.test' } })).status, 202);
      await s.waitMail('bob@acme.test', 'password_reset', 2);
      const first = s.lastToken('bob@acme.test', 'password_reset');
      await s.advance(5);
      assert.equal((await s.api('/v1/auth/password-reset', { method: 'POST', body: { email: 'bob@acme.test' } })).status, 202);
      await s.waitMail('bob@acme.test', 'password_reset', 3);
      const second = s.lastToken('bob@acme.test', 'password_reset');
      assert.notEqual(first, second);
      const confirm = (token) => s.api('/v1/auth/password-reset/confirm', { method: 'POST', body: { token, password: 'yet another passphrase' } });
      assertProblem(await confirm(first), 410, 'token_used', 'token');
      await s.advance(3601);
      assertProblem(await confirm(second), 410, 'token_expired', 'token');
      assertProblem(await s.api(`/v1/auth/link?purpose=reset&token=${second}`), 410, 'token_expired', 'token');
      // A verification link lasts 72 hours.
      admin = await s.login();
      const c = await s.api('/v1/users', { method: 'POST', token: admin, body: { email: 'late@acme.test', name: 'Late', role: 'user' } });
      assert.equal(c.status, 201);
      const v = s.lastToken('late@acme.test', 'verify_email');
      await s.advance(72 * 3600 + 1);
      assertProblem(await s.api('/v1/auth/verify-email', { method: 'POST', body: { token: v, password: PASSWORD } }), 410, 'token_expired', 'token');
    });

    await test('idle timeout and absolute lifetime end sessions', async () => {
      admin = await s.login();
      let t = (await signIn(s, 'bob@acme.test', bobPassword)).body.token;
      for (let i = 0; i < 3; i++) {
        await s.advance(1700); // under the 30 minute idle timeout, each time
        assert.equal((await s.api('/v1/me', { token: t })).status, 200);
      }
      await s.advance(1801);
      assertProblem(await s.api('/v1/me', { token: t }), 401, 'session_expired');
      assertProblem(await s.api('/v1/me', { token: t }), 401, 'unauthenticated');
      // The absolute lifetime is an org setting (here 10 minutes).
      admin = await s.login();
      const org = await s.api('/v1/org', { method: 'PATCH', token: admin, body: { session_max_lifetime_s: 600, session_idle_timeout_s: 300 } });
      assert.equal(org.status, 200, JSON.stringify(org.body));
      assert.equal(org.body.settings.session_max_lifetime_s, 600);
      const r = await signIn(s, 'bob@acme.test', bobPassword);
      t = r.body.token;
      const ttl = (Date.parse(r.body.expires_at) - Date.parse((await s.api('/v1/test/clock', { method: 'POST', body: { advance_s: 0 } })).body.now)) / 1000;
      assert.ok(ttl > 590 && ttl <= 600, `expires in ${ttl}s`);
      for (let i = 0; i < 3; i++) {
        await s.advance(190);
        assert.equal((await s.api('/v1/me', { token: t })).status, 200);
      }
      await s.advance(60); // 630 s after sign-in, though never idle for long
      assertProblem(await s.api('/v1/me', { token: t }), 401, 'session_expired');

      // Shorter limits apply to sessions already open; longer ones do not stretch them.
      t = (await signIn(s, 'bob@acme.test', bobPassword)).body.token;
      admin = await s.login();
      const longer = await s.api('/v1/org', { method: 'PATCH', token: admin, body: { session_max_lifetime_s: 7200, session_idle_timeout_s: 3600 } });
      assert.equal(longer.status, 200, JSON.stringify(longer.body));
      await s.advance(400); // idle longer than the 300 s the session started with
      assertProblem(await s.api('/v1/me', { token: t }), 401, 'session_expired');
      admin = await s.login();
      t = (await signIn(s, 'bob@acme.test', bobPassword)).body.token;
      const shorter = await s.api('/v1/org', { method: 'PATCH', token: admin, body: { session_idle_timeout_s: 120 } });
      assert.equal(shorter.status, 200, JSON.stringify(shorter.body));
      await s.advance(100);
      assert.equal((await s.api('/v1/me', { token: t })).status, 200);
      await s.advance(121);
      assertProblem(await s.api('/v1/me', { token: t }), 401, 'session_expired');
      // The admin's own session, opened before the change, is bound by it too.
      assertProblem(await s.api('/v1/me', { token: admin }), 401, 'session_expired');
    });
  } finally {
    await s.stop();
  }
});
