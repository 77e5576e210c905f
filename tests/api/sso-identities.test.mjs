// How people sign in (issue 16): GET /v1/users/{id}/sign-in-methods lists a
// password (set, and usable under the SSO policy) and the linked SSO
// identities (issuer, subject, created, last used); an administrator with
// users.manage unlinks one (DELETE /v1/users/{id}/identities/{identity}),
// audited identity.unlinked, within the organization only, and never the
// last way in of the last administrator (409 last_admin).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, assertProblem } from './lib.mjs';
import { CLIENT_ID, CLIENT_SECRET, realOp, signInVia } from './ssolib.mjs';

test('sign-in methods: listed, unlinked by an administrator, never the last way in', async () => {
  const s = await startServer();
  const op = await realOp(s.url, {
    'sub-worker': { email: 'worker@acme.test', email_verified: true, name: 'Walt' },
    'sub-pat': { email: 'pat@acme.test', email_verified: true, name: 'Pat' },
  });
  try {
    const admin = await s.login();
    const adminId = (await s.api('/v1/me', { token: admin })).body.id;
    const worker = await s.makeUser(admin, 'worker@acme.test', 'user');
    const methods = (token, id) => s.api(`/v1/users/${id}/sign-in-methods`, { token });

    // Before SSO: a password, no identity.
    let m = await methods(admin, worker.id);
    assert.equal(m.status, 200, JSON.stringify(m.body));
    assert.deepEqual(m.body, { user_id: worker.id, password: true, password_allowed: true, identities: [] });

    const base = { protocol: 'oidc', display_name: 'Acme OP', issuer: op.issuer, client_id: CLIENT_ID, client_secret: CLIENT_SECRET,
      jit: { enabled: true, default_role: 'admin', domains: ['acme.test'] } };
    assert.equal((await s.api('/v1/org/sso', { method: 'PUT', token: admin, body: base })).status, 200);
    const first = await signInVia(s.url, 'acme', 'sub-worker');
    assert.equal(first.status, 200, JSON.stringify(first.body));
    m = await methods(admin, worker.id);
    assert.equal(m.body.identities.length, 1);
    const [idn] = m.body.identities;
    assert.equal(idn.kind, 'oidc');
    assert.equal(idn.issuer, op.issuer);
    assert.equal(idn.subject, 'sub-worker');
    assert.ok(idn.created_at && idn.last_used_at, JSON.stringify(idn));
    // users.view is needed (a plain user has not).
    assertProblem(await methods(first.body.token, adminId), 403, 'permission_denied');

    // With SSO required the worker's password no longer counts.
    assert.equal((await s.api('/v1/org/sso', { method: 'PUT', token: admin,
      body: { ...base, client_secret: undefined, required: true, break_glass: [adminId] } })).status, 200);
    assert.equal((await methods(admin, worker.id)).body.password_allowed, false);
    assert.equal((await methods(admin, adminId)).body.password_allowed, true);
    assert.equal((await s.api('/v1/org/sso', { method: 'PUT', token: admin,
      body: { ...base, client_secret: undefined } })).status, 200);

    // Unlinking: users.manage only, in the org only, audited.
    const unlink = (token, uid, iid) => s.api(`/v1/users/${uid}/identities/${iid}`, { method: 'DELETE', token });
    assertProblem(await unlink(first.body.token, worker.id, idn.id), 403, 'permission_denied');
    const beta = await s.otherOrg('beta');
    assertProblem(await unlink(beta, worker.id, idn.id), 404, 'user_not_found');
    assertProblem(await methods(beta, worker.id), 404, 'user_not_found');
    assertProblem(await unlink(admin, adminId, idn.id), 404, 'identity_not_found');
    assert.equal((await unlink(admin, worker.id, idn.id)).status, 204);
    assertProblem(await unlink(admin, worker.id, idn.id), 404, 'identity_not_found');
    assert.deepEqual((await methods(admin, worker.id)).body.identities, []);
    const audit = (await s.api('/v1/audit?action=identity.unlinked', { token: admin })).body.items;
    assert.equal(audit.length, 1);
    assert.equal(audit[0].target_id, worker.id);
    assert.equal(audit[0].actor_id, adminId);
    assert.deepEqual(audit[0].detail, { identity: idn.id, kind: 'oidc', issuer: op.issuer, subject: 'sub-worker' });

    // Pat is created at first sign-in as an administrator, with no password.
    const pat = await signInVia(s.url, 'acme', 'sub-pat');
    assert.equal(pat.status, 200, JSON.stringify(pat.body));
    const pm = await methods(admin, pat.body.user.id);
    assert.equal(pm.body.password, false);
    assert.equal(pm.body.identities.length, 1);
    // Pat locks the first administrator and the worker, and is left as the
    // only one who can manage users: Pat's identity is the last way in.
    assert.equal((await s.api(`/v1/users/${adminId}/lock`, { method: 'POST', token: pat.body.token })).status, 200);
    const last = await unlink(pat.body.token, pat.body.user.id, pm.body.identities[0].id);
    assertProblem(last, 409, 'last_admin');
    assert.equal((await methods(pat.body.token, pat.body.user.id)).body.identities.length, 1, 'nothing changed');
    assert.equal((await s.api('/v1/audit?action=identity.unlinked', { token: pat.body.token })).body.items.length, 1);
  } finally {
    op.close();
    await s.stop();
  }
});
