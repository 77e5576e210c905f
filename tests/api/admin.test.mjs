// User administration: listing with cursor pagination, filters and search;
// reading, changing and deleting users; locking, unlocking, reset links and
// revoking sessions; and the rules that keep the organization manageable
// (profile_owner_only, self_delete, last_admin, self_lockout).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, assertProblem, PASSWORD } from './lib.mjs';

test('user administration', async () => {
  const s = await startServer();
  try {
    const admin = await s.login();
    const me = await s.api('/v1/me', { token: admin });
    const adminId = me.body.id;

    await test('list: cursor pagination walks every user once, in name order', async () => {
      const created = [];
      for (let i = 0; i < 65; i++) {
        // Names collide on purpose so that the cursor must break ties by id.
        const name = `Worker ${String(i % 30).padStart(2, '0')}`;
        const r = await s.api('/v1/users', { method: 'POST', token: admin, body: { email: `w${i}@acme.test`, name, role: 'user' } });
        assert.equal(r.status, 201, JSON.stringify(r.body));
        created.push(r.body.id);
      }
      const seen = [];
      let cursor = null;
      let pages = 0;
      do {
        const r = await s.api(`/v1/users?limit=20${cursor ? `&cursor=${cursor}` : ''}`, { token: admin });
        assert.equal(r.status, 200, JSON.stringify(r.body));
        assert.ok(r.body.items.length <= 20);
        seen.push(...r.body.items);
        cursor = r.body.next_cursor;
        pages++;
      } while (cursor && pages < 10);
      assert.equal(pages, 4, '66 users in pages of 20');
      assert.equal(seen.length, 66);
      assert.equal(new Set(seen.map((u) => u.id)).size, 66, 'a user was listed twice');
      for (const id of [...created, adminId]) assert.ok(seen.some((u) => u.id === id), `${id} was never listed`);
      const key = (u) => [u.name, u.id];
      for (let i = 1; i < seen.length; i++) {
        const [a, b] = [key(seen[i - 1]), key(seen[i])];
        assert.ok(a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]), `out of order: ${a} then ${b}`);
      }
      const all = await s.api('/v1/users', { token: admin });
      assert.equal(all.body.items.length, 50, 'the default page holds 50');
      assert.ok(all.body.next_cursor);
      const exact = await s.api('/v1/users?limit=66', { token: admin });
      assert.equal(exact.body.items.length, 66);
      assert.equal(exact.body.next_cursor, null, 'no cursor to an empty page');
      assertProblem(await s.api('/v1/users?limit=0', { token: admin }), 400, 'invalid_limit', 'limit');
      assertProblem(await s.api('/v1/users?limit=201', { token: admin }), 400, 'invalid_limit', 'limit');
      assertProblem(await s.api('/v1/users?limit=ten', { token: admin }), 400, 'invalid_limit', 'limit');
      assertProblem(await s.api('/v1/users?cursor=zz', { token: admin }), 400, 'invalid_cursor', 'cursor');
      assertProblem(await s.api('/v1/users?cursor=abcdef', { token: admin }), 400, 'invalid_cursor', 'cursor');
    });

    let dora, doraToken;
    await test('search by name or email and filter by status', async () => {
      dora = await s.makeUser(admin, 'dora.explorer@acme.test', 'user', 'Dora Explorer');
      doraToken = dora.token;
      const byName = await s.api('/v1/users?q=EXPLORER', { token: admin });
      assert.deepEqual(byName.body.items.map((u) => u.id), [dora.id]);
      const byEmail = await s.api('/v1/users?q=dora.exp', { token: admin });
      assert.deepEqual(byEmail.body.items.map((u) => u.id), [dora.id]);
      const none = await s.api('/v1/users?q=zebra', { token: admin });
      assert.deepEqual(none.body, { items: [], next_cursor: null });
      const workers = await s.api('/v1/users?q=worker%2006&limit=200', { token: admin });
      assert.equal(workers.body.items.length, 2); // w6 and w36
      assert.ok(workers.body.items.every((u) => u.name === 'Worker 06'));
      assertProblem(await s.api('/v1/users?status=gone', { token: admin }), 400, 'invalid_filter', 'status');
      assertProblem(await s.api(`/v1/users?q=${'w'.repeat(201)}`, { token: admin }), 400, 'invalid_filter', 'q');
      assert.deepEqual((await s.api(`/v1/users?q=${'w'.repeat(200)}`, { token: admin })).body.items, []);
      const active = await s.api('/v1/users?status=active&limit=200', { token: admin });
      assert.equal(active.body.items.length, 67);
      assert.deepEqual((await s.api('/v1/users?status=locked', { token: admin })).body.items, []);
    });

    await test('reading a user; unknown ids are 404', async () => {
      const r = await s.api(`/v1/users/${dora.id}`, { token: admin });
      assert.equal(r.status, 200);
      assert.equal(r.body.email, 'dora.explorer@acme.test');
      assert.ok(r.body.last_login_at);
      assertProblem(await s.api('/v1/users/usr_doesnotexist', { token: admin }), 404, 'user_not_found');
      // Plain users may not administer.
      const denied = await s.api('/v1/users', { token: doraToken });
      assertProblem(denied, 403, 'permission_denied');
      assert.equal(denied.body.permission, 'users.view');
      assertProblem(await s.api(`/v1/users/${adminId}/lock`, { method: 'POST', token: doraToken }), 403, 'permission_denied');
      assertProblem(await s.api('/v1/users', { method: 'POST', token: doraToken, body: { email: 'z@acme.test', name: 'Z', role: 'admin' } }), 403, 'permission_denied');
    });

    await test('an administrator never changes another user\'s name or mobile number', async () => {
      const before = (await s.api(`/v1/users/${dora.id}`, { token: admin })).body;
      assertProblem(await s.api(`/v1/users/${dora.id}`, { method: 'PATCH', token: admin, body: { name: 'Dora X' } }), 403, 'profile_owner_only', 'name');
      assertProblem(await s.api(`/v1/users/${dora.id}`, { method: 'PATCH', token: admin, body: { mobile: '+1 555' } }), 403, 'profile_owner_only', 'mobile');
      assertProblem(await s.api(`/v1/users/${dora.id}`, { method: 'PATCH', token: admin, body: { role: 'admin', name: 'Dora X' } }), 403, 'profile_owner_only', 'name');
      assert.deepEqual((await s.api(`/v1/users/${dora.id}`, { token: admin })).body, before, 'a refused change changed something');
      // The administrator's own name is theirs to change.
      const self = await s.api(`/v1/users/${adminId}`, { method: 'PATCH', token: admin, body: { name: 'Ada A. Admin' } });
      assert.equal(self.status, 200);
      assert.equal(self.body.name, 'Ada A. Admin');
    });

    await test('changing a role; unknown roles are refused', async () => {
      assertProblem(await s.api(`/v1/users/${dora.id}`, { method: 'PATCH', token: admin, body: { role: 'emperor' } }), 400, 'unknown_role', 'role');
      const r = await s.api(`/v1/users/${dora.id}`, { method: 'PATCH', token: admin, body: { role: 'admin' } });
      assert.equal(r.status, 200);
      assert.equal(r.body.role, 'admin');
      assert.equal((await s.api('/v1/users?limit=1', { token: doraToken })).status, 200, 'the new role applies to the next request');
      const back = await s.api(`/v1/users/${dora.id}`, { method: 'PATCH', token: admin, body: { role: 'user' } });
      assert.equal(back.body.role, 'user');
      assertProblem(await s.api('/v1/users?limit=1', { token: doraToken }), 403, 'permission_denied');
    });

    await test('changing an email needs re-verification', async () => {
      assertProblem(await s.api(`/v1/users/${dora.id}`, { method: 'PATCH', token: admin, body: { email: 'W1@acme.test' } }), 409, 'email_taken', 'email');
      assertProblem(await s.api(`/v1/users/${dora.id}`, { method: 'PATCH', token: admin, body: { email: 'dora@' } }), 400, 'invalid_email', 'email');
      // A reset link mailed to the old address before the change.
      assert.equal((await s.api(`/v1/users/${dora.id}/password-reset`, { method: 'POST', token: admin })).status, 202);
      const oldReset = s.lastToken('dora.explorer@acme.test', 'password_reset');
      const r = await s.api(`/v1/users/${dora.id}`, { method: 'PATCH', token: admin, body: { email: 'dora@acme.test' } });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.email, 'dora@acme.test');
      assert.equal(r.body.email_verified, false);
      assert.equal(r.body.has_password, true);
      const login = await s.api('/v1/auth/login', { method: 'POST', body: { email: 'dora@acme.test', password: PASSWORD } });
      assertProblem(login, 403, 'email_not_verified');
      assertProblem(await s.api('/v1/auth/login', { method: 'POST', body: { email: 'dora@acme.test', password: 'not the password' } }), 401, 'invalid_credentials');
      assertProblem(await s.api('/v1/auth/login', { method: 'POST', body: { email: 'dora.explorer@acme.test', password: PASSWORD } }), 401, 'invalid_credentials');
      // Links mailed to the old address prove nothing about the new one.
      const stale = await s.api('/v1/auth/password-reset/confirm', { method: 'POST', body: { token: oldReset, password: 'taken over by the old mailbox' } });
      assertProblem(stale, 404, 'token_invalid', 'token');
      assert.equal((await s.api(`/v1/users/${dora.id}`, { token: admin })).body.email_verified, false);
      const token = s.lastToken('dora@acme.test', 'verify_email');
      const info = await s.api(`/v1/auth/link?purpose=verify&token=${token}`);
      assert.equal(info.body.has_password, true);
      const v = await s.api('/v1/auth/verify-email', { method: 'POST', body: { token } }); // password optional now
      assert.equal(v.status, 200, JSON.stringify(v.body));
      doraToken = await s.login('dora@acme.test');
      // Same address in other letters is no change at all.
      const same = await s.api(`/v1/users/${dora.id}`, { method: 'PATCH', token: admin, body: { email: 'DORA@acme.test' } });
      assert.equal(same.body.email_verified, true);
    });

    await test('locking signs the user out everywhere and refuses sign-in until unlocked', async () => {
      const second = await s.login('dora@acme.test');
      const r = await s.api(`/v1/users/${dora.id}/lock`, { method: 'POST', token: admin });
      assert.equal(r.status, 200);
      assert.equal(r.body.status, 'locked');
      assertProblem(await s.api('/v1/me', { token: doraToken }), 401, 'unauthenticated');
      assertProblem(await s.api('/v1/me', { token: second }), 401, 'unauthenticated');
      assertProblem(await s.api('/v1/auth/login', { method: 'POST', body: { email: 'dora@acme.test', password: PASSWORD } }), 403, 'account_locked');
      assertProblem(await s.api('/v1/auth/login', { method: 'POST', body: { email: 'dora@acme.test', password: 'wrong password' } }), 401, 'invalid_credentials');
      const locked = await s.api('/v1/users?status=locked', { token: admin });
      assert.deepEqual(locked.body.items.map((u) => u.id), [dora.id]);
      // Locking twice is harmless.
      assert.equal((await s.api(`/v1/users/${dora.id}/lock`, { method: 'POST', token: admin })).status, 200);
      // A locked user gets no reset mail.
      const n = s.outbox().length;
      assert.equal((await s.api('/v1/auth/password-reset', { method: 'POST', body: { email: 'dora@acme.test' } })).status, 202);
      assert.equal(s.outbox().length, n);
      const u = await s.api(`/v1/users/${dora.id}/unlock`, { method: 'POST', token: admin });
      assert.equal(u.status, 200);
      assert.equal(u.body.status, 'active');
      doraToken = await s.login('dora@acme.test');
      assertProblem(await s.api('/v1/users/usr_nope/unlock', { method: 'POST', token: admin }), 404, 'user_not_found');
    });

    await test('an administrator can mail a reset link and revoke sessions', async () => {
      const before = s.outbox().filter((m) => m.kind === 'password_reset').length;
      const r = await s.api(`/v1/users/${dora.id}/password-reset`, { method: 'POST', token: admin });
      assert.equal(r.status, 202);
      const resets = s.outbox().filter((m) => m.kind === 'password_reset');
      assert.equal(resets.length, before + 1);
      assert.equal(resets.at(-1).to, 'dora@acme.test');
      assert.equal((await s.api('/v1/me', { token: doraToken })).status, 200, 'mailing a link ends no session');
      const other = await s.login('dora@acme.test');
      const rv = await s.api(`/v1/users/${dora.id}/revoke-sessions`, { method: 'POST', token: admin });
      assert.equal(rv.status, 200);
      assert.equal(rv.body.sessions_revoked, 2);
      assertProblem(await s.api('/v1/me', { token: doraToken }), 401, 'unauthenticated');
      assertProblem(await s.api('/v1/me', { token: other }), 401, 'unauthenticated');
      const ok = await s.api('/v1/auth/password-reset/confirm', { method: 'POST', body: { token: s.lastToken('dora@acme.test', 'password_reset'), password: 'a fresh passphrase for her' } });
      assert.equal(ok.status, 200);
      doraToken = await s.login('dora@acme.test', 'a fresh passphrase for her');
      assertProblem(await s.api('/v1/users/usr_nope/password-reset', { method: 'POST', token: admin }), 404, 'user_not_found');
      assertProblem(await s.api('/v1/users/usr_nope/revoke-sessions', { method: 'POST', token: admin }), 404, 'user_not_found');
    });

    await test('delete is permanent; nobody deletes themselves', async () => {
      const victim = await s.makeUser(admin, 'victim@acme.test', 'user');
      assertProblem(await s.api(`/v1/users/${adminId}`, { method: 'DELETE', token: admin }), 409, 'self_delete');
      const d = await s.api(`/v1/users/${victim.id}`, { method: 'DELETE', token: admin });
      assert.equal(d.status, 204);
      assertProblem(await s.api(`/v1/users/${victim.id}`, { token: admin }), 404, 'user_not_found');
      assertProblem(await s.api('/v1/me', { token: victim.token }), 401, 'unauthenticated');
      assertProblem(await s.api('/v1/auth/login', { method: 'POST', body: { email: 'victim@acme.test', password: PASSWORD } }), 401, 'invalid_credentials');
      assertProblem(await s.api(`/v1/users/${victim.id}`, { method: 'DELETE', token: admin }), 404, 'user_not_found');
      // The address is free again.
      const again = await s.api('/v1/users', { method: 'POST', token: admin, body: { email: 'victim@acme.test', name: 'Victim 2', role: 'user' } });
      assert.equal(again.status, 201);
      assert.notEqual(again.body.id, victim.id);
    });

    await test('the last administrator cannot be demoted or locked (last_admin)', async () => {
      const before = (await s.api(`/v1/users/${adminId}`, { token: admin })).body;
      assertProblem(await s.api(`/v1/users/${adminId}`, { method: 'PATCH', token: admin, body: { role: 'user' } }), 409, 'last_admin');
      assertProblem(await s.api(`/v1/users/${adminId}/lock`, { method: 'POST', token: admin }), 409, 'last_admin');
      assertProblem(await s.api('/v1/roles/admin', { method: 'PATCH', token: admin, body: { permissions: ['users.view'] } }), 409, 'last_admin');
      assert.deepEqual((await s.api(`/v1/users/${adminId}`, { token: admin })).body, before);
      assert.ok((await s.api('/v1/roles/admin', { token: admin })).body.permissions.includes('users.manage'));
      assert.equal((await s.api('/v1/me', { token: admin })).status, 200, 'the admin is still signed in');
    });

    await test('nobody takes users.manage away from themselves (self_lockout)', async () => {
      const bea = await s.makeUser(admin, 'bea@acme.test', 'admin', 'Bea Second');
      // Role change, lock, role edit: refused while another admin exists.
      assertProblem(await s.api(`/v1/users/${adminId}`, { method: 'PATCH', token: admin, body: { role: 'user' } }), 409, 'self_lockout');
      assertProblem(await s.api(`/v1/users/${adminId}/lock`, { method: 'POST', token: admin }), 409, 'self_lockout');
      // Grant removal: a manager holding users.manage only by a grant.
      const ops = await s.api('/v1/roles', { method: 'POST', token: admin, body: { key: 'ops', name: 'Operations', permissions: ['users.view'] } });
      assert.equal(ops.status, 201, JSON.stringify(ops.body));
      const gil = await s.makeUser(admin, 'gil@acme.test', 'ops', 'Gil Granted');
      const grant = await s.api(`/v1/users/${gil.id}`, { method: 'PATCH', token: admin, body: { grants: ['users.manage'] } });
      assert.equal(grant.status, 200, JSON.stringify(grant.body));
      assert.deepEqual(grant.body.grants, ['users.manage']);
      assert.equal((await s.api('/v1/users?limit=1', { token: gil.token })).status, 200);
      assertProblem(await s.api(`/v1/users/${gil.id}`, { method: 'PATCH', token: gil.token, body: { grants: [] } }), 409, 'self_lockout');
      assertProblem(await s.api(`/v1/users/${gil.id}`, { method: 'PATCH', token: gil.token, body: { grants: ['users.view'] } }), 409, 'self_lockout');
      assert.deepEqual((await s.api(`/v1/users/${gil.id}`, { token: admin })).body.grants, ['users.manage']);
      // Role edit: removing users.manage from one's own role while Gil can still manage.
      assertProblem(await s.api('/v1/roles/admin', { method: 'PATCH', token: admin, body: { permissions: ['users.view', 'settings.manage'] } }), 409, 'self_lockout');
      // Others may take it away, if they hold all Bea holds (issue 11: Gil, a manager by grant, may not act on
      // an admin above him); the admin demotes Bea, and Bea's next request is refused.
      const above = await s.api(`/v1/users/${bea.id}`, { method: 'PATCH', token: gil.token, body: { role: 'user' } });
      assertProblem(above, 403, 'escalation');
      assert.ok(above.body.missing.includes('settings.manage'), JSON.stringify(above.body));
      const demote = await s.api(`/v1/users/${bea.id}`, { method: 'PATCH', token: admin, body: { role: 'user' } });
      assert.equal(demote.status, 200, JSON.stringify(demote.body));
      assertProblem(await s.api('/v1/users?limit=1', { token: bea.token }), 403, 'permission_denied');
      // ...and the admin may remove Gil's grant; Gil still signs in, without users.manage.
      const ungrant = await s.api(`/v1/users/${gil.id}`, { method: 'PATCH', token: admin, body: { grants: [] } });
      assert.equal(ungrant.status, 200);
      assert.equal((await s.api('/v1/users?limit=1', { token: gil.token })).status, 200, 'ops still has users.view');
      assertProblem(await s.api(`/v1/users/${bea.id}/lock`, { method: 'POST', token: gil.token }), 403, 'permission_denied');
      // The one left holding users.manage is the last admin again.
      assertProblem(await s.api(`/v1/users/${adminId}`, { method: 'PATCH', token: admin, body: { role: 'ops' } }), 409, 'last_admin');
    });
  } finally {
    await s.stop();
  }
});
