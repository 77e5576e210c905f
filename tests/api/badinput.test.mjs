// Bad input: every refusal is problem+json with a stable code (and the field
// at fault for validation errors), and a refused request changes nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, assertProblem } from './lib.mjs';

test('bad input', async () => {
  const s = await startServer();
  try {
    const admin = await s.login();
    const user = await s.makeUser(admin, 'u@acme.test', 'user');
    const state = async () => ({
      users: (await s.api('/v1/users?limit=200', { token: admin })).body,
      roles: (await s.api('/v1/roles', { token: admin })).body,
      org: (await s.api('/v1/org', { token: admin })).body,
      // refusals are recorded as access.denied (issue 11); they change nothing else
      audit: (await s.api('/v1/audit?limit=500', { token: admin })).body.items.filter((e) => e.action !== 'access.denied').length,
      outbox: s.outbox().length,
    });
    const before = await state();
    const post = (path, raw, headers) => s.api(path, { method: 'POST', token: admin, raw, headers });

    await test('malformed JSON, non-object bodies, nesting, duplicates', async () => {
      const r = await post('/v1/users', '{"email": "x@acme.test", ');
      assertProblem(r, 400, 'invalid_json');
      assert.match(r.body.detail, /line 1/);
      assert.equal(r.body.instance, '/v1/users');
      assert.match(r.body.request_id, /^req_/);
      assert.equal(r.body.type, 'https://gatehouse.dev/problems/invalid_json');
      assert.equal(r.body.title, 'Bad Request');
      assertProblem(await post('/v1/users', '[1, 2]'), 400, 'invalid_body');
      assertProblem(await post('/v1/users', '"text"'), 400, 'invalid_json'); // not a JSON text jansson accepts at top level
      assertProblem(await post('/v1/users', 'null'), 400, 'invalid_json');
      assertProblem(await post('/v1/users', '{"email": "a@acme.test", "email": "b@acme.test", "name": "B", "role": "user"}'), 400, 'invalid_json');
      assertProblem(await post('/v1/users', '{"a":'.repeat(40) + '1' + '}'.repeat(40)), 400, 'invalid_json');
      assertProblem(await post('/v1/users', '{"email": "a\\u0000b@acme.test", "name": "B", "role": "user"}'), 400, 'invalid_json');
      assertProblem(await s.api('/v1/check', { method: 'POST', token: admin }), 400, 'missing_body');
    });

    await test('unknown fields, wrong types, missing fields name the field', async () => {
      const body = { email: 'new@acme.test', name: 'New', role: 'user' };
      const cases = [
        [{ ...body, admin: true }, 'unknown_field', 'admin'],
        [{ ...body, password_hash: 'x' }, 'unknown_field', 'password_hash'],
        [{ ...body, email: 42 }, 'invalid_type', 'email'],
        [{ ...body, name: null }, 'invalid_type', 'name'],
        [{ ...body, role: ['user'] }, 'invalid_type', 'role'],
        [{ ...body, grants: 'users.view' }, 'invalid_type', 'grants'],
        [{ ...body, modules: 'qc' }, 'invalid_type', 'modules'],
        [{ ...body, grants: ['teleport'] }, 'unknown_permissions', 'grants'],
        [{ ...body, modules: ['qc', 'warp'] }, 'unknown_modules', 'modules'],
        [{ name: 'New', role: 'user' }, 'missing_field', 'email'],
        [{ email: 'new@acme.test', role: 'user' }, 'missing_field', 'name'],
        [{ email: 'new@acme.test', name: 'New' }, 'missing_field', 'role'],
        [{ email: 'new@acme.test', name: 'x'.repeat(201), role: 'user' }, 'invalid_name', 'name'],
        [{ email: 'new@acme.test', name: 'tab\tname', role: 'user' }, 'invalid_name', 'name'],
      ];
      for (const [b, code, field] of cases) {
        const r = await s.api('/v1/users', { method: 'POST', token: admin, body: b });
        assertProblem(r, 400, code, field);
      }
      const unknown = await s.api('/v1/users', { method: 'POST', token: admin, body: { ...body, grants: ['teleport', 'users.view', 'fly'] } });
      assert.deepEqual(unknown.body.unknown, ['teleport', 'fly']);
      assertProblem(await s.api(`/v1/users/${user.id}`, { method: 'PATCH', token: admin, body: { office_access: 'yes' } }), 400, 'invalid_type', 'office_access');
      assertProblem(await s.api('/v1/auth/login', { method: 'POST', body: { email: 'u@acme.test', password: 12345678 } }), 400, 'invalid_type', 'password');
      assertProblem(await s.api('/v1/auth/login', { method: 'POST', body: { email: 'u@acme.test' } }), 400, 'missing_field', 'password');
      assertProblem(await s.api('/v1/auth/login', { method: 'POST', body: { email: 'u@acme.test', password: 'x', remember: true } }), 400, 'unknown_field', 'remember');
      assertProblem(await s.api('/v1/org', { method: 'PATCH', token: admin, body: { session_idle_timeout_s: 5 } }), 400, 'out_of_range', 'session_idle_timeout_s');
      assertProblem(await s.api('/v1/org', { method: 'PATCH', token: admin, body: { session_idle_timeout_s: 1.5 } }), 400, 'invalid_type', 'session_idle_timeout_s');
      assertProblem(await s.api('/v1/org', { method: 'PATCH', token: admin, body: { modules: ['qc'] } }), 400, 'unknown_field', 'modules');
    });

    await test('bodies over 1 MiB are 413; non-JSON bodies are 415', async () => {
      const big = JSON.stringify({ email: 'big@acme.test', name: 'x'.repeat(1 << 20), role: 'user' });
      assertProblem(await post('/v1/users', big), 413, 'body_too_large');
      const justOver = `{"email":"big@acme.test","name":"N","role":"user","pad":"${'y'.repeat((1 << 20) - 40)}"}`;
      assert.ok(justOver.length > 1 << 20);
      assertProblem(await post('/v1/users', justOver), 413, 'body_too_large');
      const form = await post('/v1/users', 'email=x%40acme.test&name=X&role=user', { 'Content-Type': 'application/x-www-form-urlencoded' });
      assertProblem(form, 415, 'unsupported_media_type');
      assertProblem(await post('/v1/users', '{"email":"x@acme.test","name":"X","role":"user"}', { 'Content-Type': 'text/plain' }), 415, 'unsupported_media_type');
      // JSON with parameters and +json types are fine (the role is refused, proving the body was read).
      const withCharset = await post('/v1/users', '{"email":"x@acme.test","name":"X","role":"none"}', { 'Content-Type': 'application/json; charset=utf-8' });
      assertProblem(withCharset, 400, 'unknown_role', 'role');
      const merge = await s.api(`/v1/users/${user.id}`, { method: 'PATCH', token: admin, raw: '{"role":"none"}', headers: { 'Content-Type': 'application/merge-patch+json' } });
      assertProblem(merge, 400, 'unknown_role', 'role');
    });

    await test('unknown routes are 404, wrong methods 405 with Allow', async () => {
      assertProblem(await s.api('/v1/nothing', { token: admin }), 404, 'not_found');
      assertProblem(await s.api('/v1/users/abc/def/ghi', { token: admin }), 404, 'not_found');
      assertProblem(await s.api('/nothing'), 404, 'not_found');
      const m = await s.api('/v1/users', { method: 'PUT', token: admin, body: {} });
      assertProblem(m, 405, 'method_not_allowed');
      assert.equal(m.headers.get('allow'), 'GET, HEAD, POST'); // HEAD wherever GET (issue 21)
      const m2 = await s.api(`/v1/users/${user.id}`, { method: 'POST', token: admin, body: {} });
      assertProblem(m2, 405, 'method_not_allowed');
      assert.equal(m2.headers.get('allow'), 'GET, HEAD, PATCH, DELETE');
      const m3 = await s.api('/v1/me', { method: 'DELETE' });
      assertProblem(m3, 405, 'method_not_allowed');
      assert.equal(m3.headers.get('allow'), 'GET, HEAD, PATCH');
    });

    await test('authentication and permission refusals', async () => {
      assertProblem(await s.api('/v1/users'), 401, 'unauthenticated');
      assertProblem(await s.api('/v1/users', { token: 'ghk_notakey' }), 401, 'unauthenticated');
      const key = await s.api('/v1/api-keys', { method: 'POST', token: admin, body: { name: 'svc' } });
      assertProblem(await s.api('/v1/me', { token: key.body.key }), 403, 'user_session_required');
      assertProblem(await s.api('/v1/users', { method: 'POST', token: key.body.key, body: { email: 'k@acme.test', name: 'K', role: 'user' } }), 403, 'user_session_required');
      const denied = await s.api('/v1/api-keys', { token: user.token });
      assertProblem(denied, 403, 'permission_denied');
      assert.equal(denied.body.permission, 'it.operations');
      assertProblem(await s.api('/v1/org', { method: 'PATCH', token: user.token, body: { name: 'Mine' } }), 403, 'permission_denied');
      assertProblem(await s.api('/v1/org', { method: 'PATCH', token: user.token, body: { session_idle_timeout_s: 600 } }), 403, 'permission_denied');
      assertProblem(await s.api('/v1/test/clock', { method: 'POST', body: { advance_s: -5 } }), 400, 'out_of_range', 'advance_s');
      assertProblem(await s.api(`/v1/api-keys/${key.body.id}`, { method: 'DELETE', token: admin, body: { why: 'x' } }), 400, 'unknown_field', 'why');
      assert.equal((await s.api(`/v1/api-keys/${key.body.id}`, { method: 'DELETE', token: admin })).status, 204);
    });

    await test('a refused request changes nothing', async () => {
      const after = await state();
      // The only changes: the API key made and revoked above (two events).
      assert.deepEqual(after.users, before.users);
      assert.deepEqual(after.roles, before.roles);
      assert.deepEqual(after.org, before.org);
      assert.equal(after.outbox, before.outbox);
      assert.equal(after.audit, before.audit + 2);
    });
  } finally {
    await s.stop();
  }
});
