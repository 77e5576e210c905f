// First organization: the one-time setup link printed by `serve`, POST
// /v1/setup, `gatehouse init` for more organizations, sign-in when several
// organizations exist, and tenancy (one org never sees another's users).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, assertProblem, PASSWORD } from './lib.mjs';

function setupToken(s) {
  const m = s.log().match(/\/console\/setup\?token=([A-Za-z0-9_-]+)/);
  assert.ok(m, `no setup link in the server output:\n${s.log()}`);
  return m[1];
}

const goodSetup = (token) => ({
  token,
  template: 'monitoring',
  org: { name: 'Acme Plant', slug: 'acme' },
  admin: { email: 'Ada@Acme.test', name: 'Ada Admin', password: PASSWORD },
});

test('setup link, POST /v1/setup, init of more organizations, tenancy', async () => {
  const s = await startServer({ init: false });
  try {
    const h0 = await s.api('/healthz');
    assert.equal(h0.status, 200);
    assert.equal(h0.body.set_up, false);
    const token = setupToken(s);
    assert.equal(token.length, 43, 'a 256-bit token in base64url');

    await test('bad setup requests create nothing', async () => {
      const bad = [
        [{ ...goodSetup('x'.repeat(43)) }, 403, 'setup_token_invalid', 'token'],
        [{ ...goodSetup(token), org: { name: 'Acme', slug: 'Acme!' } }, 400, 'invalid_slug', 'org.slug'],
        [{ ...goodSetup(token), org: { name: '', slug: 'acme' } }, 400, 'invalid_name', 'org.name'],
        [{ ...goodSetup(token), org: { slug: 'acme' } }, 400, 'missing_field', 'org.name'],
        [{ ...goodSetup(token), org: { name: 'A', slug: 'acme', plan: 'x' } }, 400, 'unknown_field', 'org.plan'],
        [{ ...goodSetup(token), admin: { email: 'ada', name: 'Ada', password: PASSWORD } }, 400, 'invalid_email', 'admin.email'],
        [{ ...goodSetup(token), admin: { email: 'a@acme.test', name: 'Ada' } }, 400, 'missing_field', 'admin.password'],
        [{ ...goodSetup(token), admin: { email: 'a@acme.test', name: 'Ada', password: 'password1' } }, 400, 'password_common', 'admin.password'],
        [{ ...goodSetup(token), admin: { email: 'a@acme.test', name: 'Ada', password: 'short' } }, 400, 'password_too_short', 'admin.password'],
        [{ ...goodSetup(token), admin: 'ada' }, 400, 'invalid_type', 'admin'],
        [{ ...goodSetup(token), template: 'factory' }, 400, 'unknown_template', 'template'],
        [{ org: { name: 'A', slug: 'acme' }, admin: goodSetup(token).admin }, 400, 'missing_field', 'token'],
      ];
      for (const [body, status, code, field] of bad) {
        assertProblem(await s.api('/v1/setup', { method: 'POST', body }), status, code, field);
      }
      const h = await s.api('/healthz');
      assert.equal(h.body.set_up, false, 'a failed setup created an organization');
    });

    let adaId;
    await test('setup creates the org and its first administrator', async () => {
      const r = await s.api('/v1/setup', { method: 'POST', body: goodSetup(token) });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      assert.equal(r.body.org.slug, 'acme');
      assert.equal(r.body.org.name, 'Acme Plant');
      assert.equal(r.body.org.template, 'monitoring');
      assert.equal(r.body.admin.email, 'Ada@Acme.test');
      assert.equal(r.body.admin.role, 'it-admin', 'the monitoring role that holds every permission (issue 11)');
      assert.equal(r.body.admin.email_verified, true);
      assert.equal(r.body.admin.has_password, true);
      assert.ok(!('password_hash' in r.body.admin));
      adaId = r.body.admin.id;
      assert.match(adaId, /^usr_[a-z2-9]{26}$/);
      assert.equal((await s.api('/healthz')).body.set_up, true);
    });

    await test('the setup token works once', async () => {
      const again = { ...goodSetup(token), org: { name: 'Other', slug: 'other' } };
      assertProblem(await s.api('/v1/setup', { method: 'POST', body: again }), 403, 'setup_token_invalid', 'token');
      const orgs = s.cli(['org', 'list']);
      assert.equal(orgs.status, 0, orgs.stderr);
      assert.equal(orgs.stdout.trim().split('\n').length, 1, orgs.stdout);
    });

    let adaToken;
    await test('with one organization, sign-in needs no org', async () => {
      adaToken = await s.login('ada@acme.test'); // email is case-insensitive
      const me = await s.api('/v1/me', { token: adaToken });
      assert.equal(me.status, 200);
      assert.equal(me.body.id, adaId);
      assert.equal(me.body.org.slug, 'acme');
    });

    await test('gatehouse init creates more organizations', async () => {
      const env = { GATEHOUSE_ADMIN_PASSWORD: PASSWORD };
      const base = ['init', '--org-name', 'Beta Works', '--admin-email', 'boss@beta.test', '--admin-name', 'Bo Boss'];
      const r = s.cli([...base, '--org', 'beta', '--template', 'quality'], env);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /created organization beta .*\(role admin\)/);
      // The same email may exist in another org: emails are unique per org.
      const r2 = s.cli(['init', '--org', 'gamma', '--org-name', 'Gamma', '--admin-email', 'ada@acme.test'], env);
      assert.equal(r2.status, 0, r2.stderr);
      const dup = s.cli([...base, '--org', 'beta'], env);
      assert.notEqual(dup.status, 0);
      assert.match(dup.stderr, /org_exists/);
      const weak = s.cli([...base, '--org', 'delta'], { GATEHOUSE_ADMIN_PASSWORD: '12345678' });
      assert.notEqual(weak.status, 0);
      assert.match(weak.stderr, /password_common/);
      const badTemplate = s.cli([...base, '--org', 'delta', '--template', 'nope'], env);
      assert.notEqual(badTemplate.status, 0);
      assert.match(badTemplate.stderr, /unknown_template/);
      const missing = s.cli(['init', '--org', 'delta'], env);
      assert.equal(missing.status, 2, 'usage error');
      const list = s.cli(['org', 'list']);
      assert.deepEqual(list.stdout.trim().split('\n').map((l) => l.split('\t')[0]), ['acme', 'beta', 'gamma']);
    });

    await test('with several organizations, sign-in names one', async () => {
      const noOrg = await s.api('/v1/auth/login', { method: 'POST', body: { email: 'ada@acme.test', password: PASSWORD } });
      assertProblem(noOrg, 400, 'org_required', 'org');
      const a = await s.api('/v1/auth/login', { method: 'POST', body: { org: 'acme', email: 'ada@acme.test', password: PASSWORD } });
      assert.equal(a.status, 200);
      assert.equal(a.body.user.id, adaId);
      const g = await s.api('/v1/auth/login', { method: 'POST', body: { org: 'gamma', email: 'ada@acme.test', password: PASSWORD } });
      assert.equal(g.status, 200);
      assert.notEqual(g.body.user.id, adaId, 'the same email in another org is another account');
      const unknownOrg = await s.api('/v1/auth/login', { method: 'POST', body: { org: 'nope', email: 'ada@acme.test', password: PASSWORD } });
      assertProblem(unknownOrg, 401, 'invalid_credentials');
      // The session of the first org still works after more orgs exist.
      assert.equal((await s.api('/v1/me', { token: adaToken })).status, 200);
    });

    await test('an organization never sees or touches another one\'s users', async () => {
      const beta = await s.login('boss@beta.test', PASSWORD, 'beta');
      const acmeUser = await s.api('/v1/users', { method: 'POST', token: adaToken, body: { email: 'carl@acme.test', name: 'Carl', role: 'supervisor' } });
      assert.equal(acmeUser.status, 201);
      const id = acmeUser.body.id;
      const before = await s.api(`/v1/users/${id}`, { token: adaToken });
      assertProblem(await s.api(`/v1/users/${id}`, { token: beta }), 404, 'user_not_found');
      assertProblem(await s.api(`/v1/users/${adaId}`, { token: beta }), 404, 'user_not_found');
      assertProblem(await s.api(`/v1/users/${id}`, { method: 'PATCH', token: beta, body: { role: 'admin' } }), 404, 'user_not_found');
      assertProblem(await s.api(`/v1/users/${id}/lock`, { method: 'POST', token: beta }), 404, 'user_not_found');
      assertProblem(await s.api(`/v1/users/${id}/password-reset`, { method: 'POST', token: beta }), 404, 'user_not_found');
      assertProblem(await s.api(`/v1/users/${id}/revoke-sessions`, { method: 'POST', token: beta }), 404, 'user_not_found');
      assertProblem(await s.api(`/v1/users/${id}/permissions`, { token: beta }), 404, 'user_not_found');
      assertProblem(await s.api(`/v1/users/${id}`, { method: 'DELETE', token: beta }), 404, 'user_not_found');
      const list = await s.api('/v1/users?limit=200', { token: beta });
      assert.equal(list.status, 200);
      assert.deepEqual(list.body.items.map((u) => u.email), ['boss@beta.test']);
      const search = await s.api('/v1/users?q=acme', { token: beta });
      assert.deepEqual(search.body.items, []);
      const audit = await s.api('/v1/audit?limit=500', { token: beta });
      assert.ok(audit.body.items.every((e) => e.target_id !== id && e.actor_id !== adaId), 'audit leaks across orgs');
      assert.equal((await s.api('/v1/org', { token: beta })).body.slug, 'beta');
      // A beta API key checking an acme user is told "denied", nothing more.
      const key = await s.api('/v1/api-keys', { method: 'POST', token: beta, body: { name: 'beta svc' } });
      assert.equal(key.status, 201);
      const c = await s.api('/v1/check', { method: 'POST', token: key.body.key, body: { user_id: adaId, permission: 'users.view' } });
      assert.deepEqual(c.body, { allowed: false, reason: 'denied' });
      assert.deepEqual((await s.api(`/v1/users/${id}`, { token: adaToken })).body, before.body, 'acme user changed');
    });
  } finally {
    await s.stop();
  }
});

test('the setup link is spent once `gatehouse init` created an org, and expires after a day', async () => {
  const s = await startServer({ init: false });
  try {
    const token = setupToken(s);
    await s.advance(24 * 3600 + 1);
    assertProblem(await s.api('/v1/setup', { method: 'POST', body: goodSetup(token) }), 403, 'setup_token_invalid', 'token');
    assert.equal((await s.api('/healthz')).body.set_up, false);
  } finally {
    await s.stop();
  }
  const s2 = await startServer({ init: false });
  try {
    const token = setupToken(s2);
    const r = s2.cli(['init', '--org', 'beta', '--org-name', 'Beta', '--admin-email', 'boss@beta.test'], { GATEHOUSE_ADMIN_PASSWORD: PASSWORD });
    assert.equal(r.status, 0, r.stderr);
    assertProblem(await s2.api('/v1/setup', { method: 'POST', body: goodSetup(token) }), 409, 'already_set_up');
    assert.deepEqual(s2.cli(['org', 'list']).stdout.trim().split('\n').map((l) => l.split('\t')[0]), ['beta']);
  } finally {
    await s2.stop();
  }
});
