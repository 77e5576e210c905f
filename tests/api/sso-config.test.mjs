// Company sign-in configuration (issue 16): GET/PUT/DELETE /v1/org/sso for
// holders of it.operations, the client secret sealed in the secret box and
// never shown, validation of every field, the no-escalation rule for the
// roles a sign-in may give, and the required-SSO policy with break-glass
// accounts (password sign-in refused for everyone else, 409 self_lockout /
// last_admin, kept by every later lock or role change).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, PASSWORD, startServer, assertProblem } from './lib.mjs';

const SECRET = 'very-secret-client-value-4711';
const OIDC = {
  protocol: 'oidc', display_name: 'Acme Entra ID', issuer: 'http://127.0.0.1:9/realms/acme',
  client_id: 'gatehouse', client_secret: SECRET,
};
const put = (s, token, body) => s.api('/v1/org/sso', { method: 'PUT', token, body });

test('SSO configuration: permission, sealed secret, validation', async () => {
  const s = await startServer();
  try {
    const admin = await s.login();
    const worker = await s.makeUser(admin, 'worker@acme.test', 'user');

    assertProblem(await s.api('/v1/org/sso', { token: admin }), 404, 'sso_not_configured');
    assertProblem(await s.api('/v1/org/sso', { token: worker.token }), 403, 'permission_denied');
    assertProblem(await put(s, worker.token, OIDC), 403, 'permission_denied');

    const r = await put(s, admin, OIDC);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.ok(!r.text.includes(SECRET), 'the secret is never answered');
    assert.equal(r.body.client_secret, undefined);
    assert.equal(r.body.client_secret_set, true);
    assert.deepEqual(r.body.scopes, ['openid', 'email', 'profile']);
    assert.equal(r.body.email_claim, 'email');
    assert.equal(r.body.redirect_uri, `${s.url}/v1/auth/sso/oidc/callback`);
    assert.equal(r.body.required, false);
    assert.deepEqual(r.body.jit, { enabled: false, default_role: null, domains: [] });
    const g = await s.api('/v1/org/sso', { token: admin });
    assert.equal(g.status, 200);
    assert.ok(!g.text.includes(SECRET));
    assert.equal(g.body.issuer, OIDC.issuer);

    // Sealed on disk: neither the database nor its WAL holds the secret.
    for (const f of [s.db, `${s.db}-wal`]) {
      let bytes = Buffer.alloc(0);
      try { bytes = readFileSync(f); } catch { /* no WAL */ }
      assert.ok(!bytes.includes(Buffer.from(SECRET)), `${f} holds the secret in clear`);
    }
    // The key file was created beside the database, readable by the owner only.
    assert.equal(statSync(`${s.db}.secret-key`).mode & 0o777, 0o600);

    const audit = await s.api('/v1/audit?action=sso', { token: admin });
    assert.deepEqual(audit.body.items.map((e) => e.action), ['sso.configured']);
    assert.ok(!JSON.stringify(audit.body).includes(SECRET));
    assert.equal(audit.body.items[0].detail.secret_changed, true);
    assert.equal(audit.body.items[0].detail.issuer, OIDC.issuer);

    // Same issuer without a secret keeps the stored one; another issuer needs it again.
    const { client_secret: _, ...noSecret } = OIDC;
    const keep = await put(s, admin, { ...noSecret, display_name: 'Entra' });
    assert.equal(keep.status, 200, JSON.stringify(keep.body));
    assert.equal(keep.body.client_secret_set, true);
    assertProblem(await put(s, admin, { ...noSecret, issuer: 'https://login.example.com/acme' }), 400,
      'client_secret_required', 'client_secret');

    // Every field is checked; nothing changes on a refusal.
    const bad = [
      [{ ...OIDC, protocol: 'ldap' }, 'invalid_protocol', 'protocol'],
      [{ ...OIDC, issuer: 'http://idp.example.com' }, 'invalid_url', 'issuer'],
      [{ ...OIDC, issuer: 'ftp://idp.example.com' }, 'invalid_url', 'issuer'],
      [{ ...OIDC, issuer: 'https://user:pw@idp.example.com' }, 'invalid_url', 'issuer'],
      [{ ...OIDC, issuer: 'https://idp.example.com/#x' }, 'invalid_url', 'issuer'],
      [{ ...OIDC, issuer: 'http://127.0.0.1:99999/' }, 'invalid_url', 'issuer'],
      [{ ...OIDC, display_name: '' }, 'invalid_display_name', 'display_name'],
      [{ ...OIDC, display_name: 'Entra\u202e' }, 'invalid_display_name', 'display_name'],
      [{ ...OIDC, client_id: undefined }, 'missing_field', 'client_id'],
      [{ ...OIDC, client_secret: '' }, 'invalid_client_secret', 'client_secret'],
      [{ ...OIDC, scopes: ['email'] }, 'invalid_scopes', 'scopes'],
      [{ ...OIDC, scopes: ['openid', 'a b'] }, 'invalid_scopes', 'scopes'],
      [{ ...OIDC, idp_metadata_url: 'https://idp.example.com/md' }, 'field_not_for_protocol', 'idp_metadata_url'],
      [{ ...OIDC, jit: { enabled: true, default_role: 'user' } }, 'missing_field', 'jit.domains'],
      [{ ...OIDC, jit: { enabled: true, domains: ['acme.com'] } }, 'missing_field', 'jit.default_role'],
      [{ ...OIDC, jit: { enabled: true, default_role: 'user', domains: ['@acme.com'] } }, 'invalid_domain', 'jit.domains'],
      [{ ...OIDC, jit: { enabled: true, default_role: 'user', domains: ['localhost'] } }, 'invalid_domain', 'jit.domains'],
      [{ ...OIDC, jit: { enabled: true, default_role: 'nope', domains: ['acme.com'] } }, 'unknown_role', 'jit.default_role'],
      [{ ...OIDC, jit: { enabled: 'yes' } }, 'invalid_type', 'jit.enabled'],
      [{ ...OIDC, role_map: { Operators: 'nope' } }, 'unknown_role', 'role_map'],
      [{ ...OIDC, role_map: { Operators: 7 } }, 'invalid_role_map', 'role_map'],
      [{ ...OIDC, break_glass: ['usr_doesnotexist'] }, 'unknown_user', 'break_glass'],
      [{ protocol: 'saml', display_name: 'ADFS' }, 'idp_metadata_required', 'idp_metadata_xml'],
      [{ protocol: 'saml', display_name: 'ADFS', issuer: 'https://x.example.com' }, 'field_not_for_protocol', 'issuer'],
      [{ protocol: 'saml', display_name: 'ADFS', idp_metadata_xml: '<html/>' }, 'invalid_idp_metadata', 'idp_metadata_xml'],
      [{ protocol: 'saml', display_name: 'ADFS', idp_metadata_url: 'http://adfs.example.com/md' }, 'invalid_url', 'idp_metadata_url'],
    ];
    for (const [body, code, field] of bad) {
      const x = await put(s, admin, body);
      assert.equal(x.status, 400, `${JSON.stringify(body)} -> ${x.status} ${JSON.stringify(x.body)}`);
      assert.equal(x.body.code, code, JSON.stringify([body, x.body]));
      assert.equal(x.body.field, field, JSON.stringify([body, x.body]));
    }
    assertProblem(await put(s, admin, { ...OIDC, surprise: 1 }), 400, 'unknown_field', 'surprise');
    const after = await s.api('/v1/org/sso', { token: admin });
    assert.equal(after.body.display_name, 'Entra', 'refusals changed nothing');
    assert.equal((await s.api('/v1/audit?action=sso', { token: admin })).body.items.length, 2);

    // SAML: metadata inline, SP URLs per org.
    const saml = await put(s, admin, {
      protocol: 'saml', display_name: 'ADFS',
      idp_metadata_xml: '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://adfs.acme.test"/>',
      jit: { enabled: true, default_role: 'user', domains: ['acme.test'] }, role_map: { Admins: 'admin' },
    });
    assert.equal(saml.status, 200, JSON.stringify(saml.body));
    assert.equal(saml.body.sp.entity_id, `${s.url}/v1/auth/sso/acme/saml/metadata`);
    assert.equal(saml.body.sp.acs_url, `${s.url}/v1/auth/sso/acme/saml/acs`);
    assert.equal(saml.body.client_secret_set, undefined);
    assert.deepEqual(saml.body.role_map, { Admins: 'admin' });

    // DELETE removes it, audited.
    const del = await s.api('/v1/org/sso', { method: 'DELETE', token: admin });
    assert.equal(del.status, 204);
    assertProblem(await s.api('/v1/org/sso', { token: admin }), 404, 'sso_not_configured');
    assertProblem(await s.api('/v1/org/sso', { method: 'DELETE', token: admin }), 404, 'sso_not_configured');
    assert.equal((await s.api('/v1/audit?action=sso.removed', { token: admin })).body.items.length, 1);
  } finally {
    await s.stop();
  }
});

test('SSO configuration: roles a sign-in gives are measured against the author', async () => {
  const s = await startServer();
  try {
    const admin = await s.login();
    const role = await s.api('/v1/roles', {
      method: 'POST', token: admin, body: { key: 'itops', name: 'IT operations', permissions: ['it.operations'] },
    });
    assert.equal(role.status, 201, JSON.stringify(role.body));
    const it = await s.makeUser(admin, 'it@acme.test', 'itops');
    const body = { ...OIDC, jit: { enabled: true, default_role: 'admin', domains: ['acme.test'] } };
    const esc = await put(s, it.token, body);
    assertProblem(esc, 403, 'escalation', 'jit.default_role');
    assert.ok(esc.body.missing.includes('users.manage'), JSON.stringify(esc.body));
    assertProblem(await put(s, it.token, { ...OIDC, role_map: { Admins: 'admin' } }), 403, 'escalation', 'role_map');
    assertProblem(await s.api('/v1/org/sso', { token: it.token }), 404, 'sso_not_configured');
    // A role the author holds all of is fine.
    const ok = await put(s, it.token, { ...OIDC, jit: { enabled: true, default_role: 'itops', domains: ['acme.test'] } });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
  } finally {
    await s.stop();
  }
});

test('required SSO: break-glass accounts only, never a lockout', async () => {
  const s = await startServer();
  try {
    const admin = await s.login();
    const adminId = (await s.api('/v1/me', { token: admin })).body.id;
    const worker = await s.makeUser(admin, 'worker@acme.test', 'user');
    const admin2 = await s.makeUser(admin, 'admin2@acme.test', 'admin');
    const role = await s.api('/v1/roles', {
      method: 'POST', token: admin, body: { key: 'itops', name: 'IT operations', permissions: ['it.operations'] },
    });
    assert.equal(role.status, 201, JSON.stringify(role.body));
    const it = await s.makeUser(admin, 'it@acme.test', 'itops');

    // Without yourself among the break-glass accounts (and never signed in by SSO): self_lockout.
    assertProblem(await put(s, admin, { ...OIDC, required: true }), 409, 'self_lockout', 'required');
    // Break-glass accounts of which none can manage users: last_admin.
    assertProblem(await put(s, it.token, { ...OIDC, required: true, break_glass: [it.id, worker.id] }), 409, 'last_admin');
    assertProblem(await s.api('/v1/org/sso', { token: admin }), 404, 'sso_not_configured');

    const r = await put(s, admin, { ...OIDC, required: true, break_glass: [adminId, worker.id, adminId] });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body.break_glass, [adminId, worker.id], 'repeats are dropped');
    assert.equal(r.body.required, true);

    // Password sign-in: break-glass accounts yes, everyone else no (after a correct password only).
    const nope = await s.api('/v1/auth/login', { method: 'POST', body: { email: 'admin2@acme.test', password: PASSWORD } });
    assertProblem(nope, 403, 'sso_required');
    const wrong = await s.api('/v1/auth/login', { method: 'POST', body: { email: 'admin2@acme.test', password: 'wrong password 1' } });
    assertProblem(wrong, 401, 'invalid_credentials');
    assert.equal((await s.api('/v1/auth/login', { method: 'POST', body: { email: 'admin@acme.test', password: PASSWORD } })).status, 200);
    assert.equal((await s.api('/v1/auth/login', { method: 'POST', body: { email: 'worker@acme.test', password: PASSWORD } })).status, 200);
    const failed = (await s.api('/v1/audit?action=auth.login_failed', { token: admin })).body.items;
    assert.ok(failed.some((e) => e.detail.reason === 'sso_required' && e.target_id === admin2.id), JSON.stringify(failed));
    // Sessions opened before stay valid (admin2 signed in before SSO was required).
    assert.equal((await s.api('/v1/me', { token: admin2.token })).status, 200);

    // The last break-glass account that can manage users cannot be locked, demoted or deleted.
    assertProblem(await s.api(`/v1/users/${adminId}/lock`, { method: 'POST', token: admin2.token }), 409, 'last_admin');
    assertProblem(await s.api(`/v1/users/${adminId}`, { method: 'PATCH', token: admin2.token, body: { role: 'user' } }), 409, 'last_admin');
    assertProblem(await s.api(`/v1/users/${adminId}`, { method: 'DELETE', token: admin2.token }), 409, 'last_admin');
    assert.equal((await s.api(`/v1/users/${adminId}`, { token: admin2.token })).body.status, 'active');
    // Another break-glass admin makes it possible.
    const both = await put(s, admin, { ...OIDC, required: true, break_glass: [adminId, admin2.id] });
    assert.equal(both.status, 200, JSON.stringify(both.body));
    assert.equal((await s.api(`/v1/users/${adminId}/lock`, { method: 'POST', token: admin2.token })).status, 200);

    // SSO optional again: everyone signs in with a password.
    const opt = await put(s, admin2.token, { ...OIDC, required: false, break_glass: [] });
    assert.equal(opt.status, 200, JSON.stringify(opt.body));
    const yes = await s.api('/v1/auth/login', { method: 'POST', body: { email: 'it@acme.test', password: PASSWORD } });
    assert.equal(yes.status, 200);
  } finally {
    await s.stop();
  }
});

test('secret key file: refused when others can read it', async () => {
  const s = await startServer();
  const keyFile = join(s.dir, 'loose.key');
  writeFileSync(keyFile, `${'ab'.repeat(32)}\n`);
  chmodSync(keyFile, 0o644);
  try {
    const r = spawnSync(BIN, ['serve', '--create', '--db', join(s.dir, 'other.db'), '--listen', '127.0.0.1:0', '--secret-key-file', keyFile],
      { encoding: 'utf8', timeout: 60000 });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /readable by others.*chmod 600/);
    writeFileSync(keyFile, 'not a key\n');
    chmodSync(keyFile, 0o600);
    const bad = spawnSync(BIN, ['serve', '--create', '--db', join(s.dir, 'other.db'), '--listen', '127.0.0.1:0', '--secret-key-file', keyFile],
      { encoding: 'utf8', timeout: 60000 });
    assert.equal(bad.status, 1, bad.stderr);
    assert.match(bad.stderr, /line 1 of the secret key file is not a key/);
  } finally {
    await s.stop();
  }
});
