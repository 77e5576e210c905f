// The audit trail: every change and every sign-in success or failure is an
// event with actor, action, target, client address, time and request id;
// GET /v1/audit filters by actor, action and time with cursor pagination;
// no event (and no table) holds a password, session token or API key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, assertProblem, PASSWORD } from './lib.mjs';

test('audit trail', async () => {
  const s = await startServer();
  try {
    let admin = await s.login();
    const adminId = (await s.api('/v1/me', { token: admin })).body.id;
    const secrets = [PASSWORD];
    const expect = []; // [action, actor_id, target_id, request_id?]
    const rid = (r) => r.headers.get('x-request-id');

    const c = await s.api('/v1/users', { method: 'POST', token: admin, body: { email: 'eve@acme.test', name: 'Eve', role: 'user' } });
    const eve = c.body.id;
    expect.push(['user.created', adminId, eve, rid(c)]);
    const verifyToken = s.lastToken('eve@acme.test', 'verify_email');
    secrets.push(verifyToken);
    const v = await s.api('/v1/auth/verify-email', { method: 'POST', body: { token: verifyToken, password: 'eve has a passphrase' } });
    assert.equal(v.status, 200);
    secrets.push('eve has a passphrase');
    expect.push(['user.email_verified', eve, eve, rid(v)]);
    const bad = await s.api('/v1/auth/login', { method: 'POST', body: { email: 'eve@acme.test', password: 'eve guesses wrong' } });
    assert.equal(bad.status, 401);
    secrets.push('eve guesses wrong');
    expect.push(['auth.login_failed', null, eve, rid(bad)]);
    const lg = await s.api('/v1/auth/login', { method: 'POST', body: { email: 'eve@acme.test', password: 'eve has a passphrase' } });
    assert.equal(lg.status, 200);
    let eveToken = lg.body.token;
    secrets.push(eveToken, lg.body.csrf_token);
    expect.push(['auth.login', eve, lg.body.session_id, rid(lg)]);
    const pw = await s.api('/v1/me/password', { method: 'POST', token: eveToken, body: { current_password: 'eve has a passphrase', new_password: 'eve changed her passphrase' } });
    assert.equal(pw.status, 200);
    secrets.push('eve changed her passphrase');
    expect.push(['user.password_changed', eve, eve, rid(pw)]);
    const pm = await s.api('/v1/me', { method: 'PATCH', token: eveToken, body: { mobile: '+1 555 0199' } });
    expect.push(['user.updated', eve, eve, rid(pm)]);
    const other = await s.login('eve@acme.test', 'eve changed her passphrase');
    secrets.push(other);
    const otherId = (await s.api('/v1/me', { token: other })).body.session.id;
    const es = await s.api(`/v1/me/sessions/${otherId}`, { method: 'DELETE', token: eveToken });
    expect.push(['session.ended', eve, otherId, rid(es)]);
    const up = await s.api(`/v1/users/${eve}`, { method: 'PATCH', token: admin, body: { role: 'admin' } });
    expect.push(['user.updated', adminId, eve, rid(up)]);
    const lk = await s.api(`/v1/users/${eve}/lock`, { method: 'POST', token: admin });
    expect.push(['user.locked', adminId, eve, rid(lk)]);
    const refused = await s.api('/v1/auth/login', { method: 'POST', body: { email: 'eve@acme.test', password: 'eve changed her passphrase' } });
    assert.equal(refused.status, 403);
    expect.push(['auth.login_failed', null, eve, rid(refused)]);
    const ul = await s.api(`/v1/users/${eve}/unlock`, { method: 'POST', token: admin });
    expect.push(['user.unlocked', adminId, eve, rid(ul)]);
    const rs = await s.api(`/v1/users/${eve}/password-reset`, { method: 'POST', token: admin });
    expect.push(['user.password_reset_sent', adminId, eve, rid(rs)]);
    const rr = await s.api('/v1/auth/password-reset', { method: 'POST', body: { email: 'admin@acme.test' } });
    await s.waitMail('admin@acme.test', 'password_reset', 1); // audited and mailed after the answer
    expect.push(['auth.password_reset_requested', null, adminId, rid(rr)]);
    const resetToken = s.lastToken('eve@acme.test', 'password_reset');
    secrets.push(resetToken);
    const rc = await s.api('/v1/auth/password-reset/confirm', { method: 'POST', body: { token: resetToken, password: 'eve reset her passphrase' } });
    assert.equal(rc.status, 200);
    secrets.push('eve reset her passphrase');
    expect.push(['user.password_reset', eve, eve, rid(rc)]);
    eveToken = await s.login('eve@acme.test', 'eve reset her passphrase');
    const rv = await s.api(`/v1/users/${eve}/revoke-sessions`, { method: 'POST', token: admin });
    expect.push(['user.sessions_revoked', adminId, eve, rid(rv)]);
    const role = await s.api('/v1/roles', { method: 'POST', token: admin, body: { key: 'auditor', name: 'Auditor', permissions: ['users.view'] } });
    expect.push(['role.created', adminId, 'auditor', rid(role)]);
    const re = await s.api('/v1/roles/auditor', { method: 'PATCH', token: admin, body: { description: 'reads the trail' } });
    expect.push(['role.updated', adminId, 'auditor', rid(re)]);
    const rd = await s.api('/v1/roles/auditor', { method: 'DELETE', token: admin });
    expect.push(['role.deleted', adminId, 'auditor', rid(rd)]);
    const key = await s.api('/v1/api-keys', { method: 'POST', token: admin, body: { name: 'svc' } });
    secrets.push(key.body.key);
    expect.push(['api_key.created', adminId, key.body.id, rid(key)]);
    const org = await s.api('/v1/org', { method: 'PATCH', token: admin, body: { name: 'Acme Works' } });
    expect.push(['org.settings_changed', adminId, org.body.id, rid(org)]);
    const kd = await s.api(`/v1/api-keys/${key.body.id}`, { method: 'DELETE', token: admin });
    expect.push(['api_key.revoked', adminId, key.body.id, rid(kd)]);
    const del = await s.api(`/v1/users/${eve}`, { method: 'DELETE', token: admin });
    expect.push(['user.deleted', adminId, eve, rid(del)]);
    assert.equal(s.cli(['org', 'modules', '--org', 'acme', 'production', 'qc']).status, 0);
    expect.push(['org.modules_set', null, org.body.id]);
    const out = await s.api('/v1/auth/logout', { method: 'POST', token: admin });
    assert.equal(out.status, 204);
    expect.push(['auth.logout', adminId, null, rid(out)]);
    admin = await s.login();
    secrets.push(admin);

    let all;
    await test('every change and sign-in is an event with actor, target, address and request id', async () => {
      const r = await s.api('/v1/audit?limit=500', { token: admin });
      assert.equal(r.status, 200);
      all = r.body.items;
      assert.equal(r.body.next_cursor, null);
      for (const [action, actor, target, requestId] of expect) {
        const e = all.find((x) => x.action === action && (target === null || x.target_id === target) &&
          (!requestId || x.request_id === requestId));
        assert.ok(e, `no ${action} event for ${target} (request ${requestId})`);
        assert.equal(e.actor_id, actor, `${action}: actor`);
        // Names beside the ids (issue 19): actor_name, target_name.
        assert.deepEqual(Object.keys(e).sort(), ['action', 'actor_id', 'actor_name', 'actor_type', 'at', 'detail', 'id', 'ip', 'request_id', 'target_id', 'target_name', 'target_type']);
        if (actor === adminId) assert.equal(e.actor_name, 'Ada Admin', `${action}: actor name`);
        assert.equal(e.ip, action === 'org.modules_set' ? '' : '127.0.0.1');
        assert.ok(Date.parse(e.at) > Date.now() - 600e3, e.at);
      }
      const init = all.find((e) => e.action === 'org.created');
      assert.equal(init.actor_type, 'system');
      const modules = all.find((e) => e.action === 'org.modules_set');
      assert.equal(modules.actor_type, 'system');
      assert.deepEqual(modules.detail, { modules: ['production', 'qc'] });
      const lock = all.find((e) => e.action === 'user.locked');
      assert.equal(lock.target_type, 'user');
      assert.equal(lock.actor_type, 'user');
      const failed = all.filter((e) => e.action === 'auth.login_failed').map((e) => e.detail.reason);
      assert.deepEqual(failed.sort(), ['account_locked', 'invalid_credentials']);
      const update = all.find((e) => e.action === 'user.updated' && e.actor_id === adminId);
      assert.deepEqual(update.detail, { role: { from: 'user', to: 'admin' } });
      // Newest first. Refusals (access.denied) are written later by a
      // background writer with the time they happened, so on a loaded
      // machine one can follow a change made after it: the order of the
      // events written with their request is checked.
      const inline = all.filter((e) => e.action !== 'access.denied');
      for (let i = 1; i < inline.length; i++) assert.ok(inline[i - 1].at >= inline[i].at, `${inline[i - 1].action} before ${inline[i].action}`);
      assert.equal(all.at(-1).action, 'org.created');
    });

    await test('no event and no table holds a password, session token or API key', async () => {
      const text = JSON.stringify(all);
      for (const secret of secrets) assert.ok(!text.includes(secret), `audit holds a secret: ${secret.slice(0, 6)}...`);
      // Session tokens, CSRF tokens, API keys and passwords never reach the
      // database files (mailed link tokens live in the outbox by design).
      const files = readdirSync(s.dir).filter((f) => f.startsWith('gatehouse.db'));
      const db = Buffer.concat(files.map((f) => readFileSync(join(s.dir, f))));
      for (const secret of secrets.filter((x) => x !== verifyToken && x !== resetToken)) {
        assert.equal(db.indexOf(secret), -1, `the database holds a secret: ${secret.slice(0, 6)}...`);
      }
    });

    await test('filters: actor, action (or prefix), target, time range', async () => {
      const byActor = await s.api(`/v1/audit?actor=${adminId}&limit=500`, { token: admin });
      assert.ok(byActor.body.items.length >= 10);
      assert.ok(byActor.body.items.every((e) => e.actor_id === adminId));
      const byAction = await s.api('/v1/audit?action=user.locked', { token: admin });
      assert.deepEqual(byAction.body.items.map((e) => e.action), ['user.locked']);
      const prefix = await s.api('/v1/audit?action=role&limit=500', { token: admin });
      assert.deepEqual(prefix.body.items.map((e) => e.action), ['role.deleted', 'role.updated', 'role.created']);
      const byTarget = await s.api(`/v1/audit?target=${eve}&action=user.locked`, { token: admin });
      assert.equal(byTarget.body.items.length, 1);
      const none = await s.api('/v1/audit?actor=usr_nobody', { token: admin });
      assert.deepEqual(none.body, { items: [], next_cursor: null });
      // Time range: events after a jump of the clock.
      await s.advance(7200);
      admin = await s.login(); // the old session idled out
      await s.advance(10);
      const clock = (await s.api('/v1/test/clock', { method: 'POST', body: { advance_s: 0 } })).body.now;
      const later = await s.api('/v1/roles', { method: 'POST', token: admin, body: { key: 'later', name: 'Later' } });
      assert.equal(later.status, 201);
      const from = await s.api(`/v1/audit?from=${clock}&limit=500`, { token: admin });
      assert.deepEqual(from.body.items.map((e) => e.action), ['role.created']);
      const to = await s.api(`/v1/audit?to=${clock}&limit=500`, { token: admin });
      assert.equal(to.body.items.length, all.length + 1, 'everything before, and the sign-in just now');
      const offset = clock.replace('Z', '+02:00'); // the same instant minus two hours
      const win = await s.api(`/v1/audit?from=${encodeURIComponent(offset)}&to=${clock}&limit=500`, { token: admin });
      assert.deepEqual(win.body.items.map((e) => e.action), ['auth.login'], 'only the sign-in after the two hours the clock skipped');
      assertProblem(await s.api('/v1/audit?from=yesterday', { token: admin }), 400, 'invalid_time', 'from');
      assertProblem(await s.api('/v1/audit?to=2025-02-30T00:00:00Z', { token: admin }), 400, 'invalid_time', 'to');
    });

    await test('cursor pagination walks every event once, newest first', async () => {
      const full = (await s.api('/v1/audit?limit=500', { token: admin })).body.items;
      const seen = [];
      let cursor = null;
      for (let i = 0; i < 100; i++) {
        const r = await s.api(`/v1/audit?limit=7${cursor ? `&cursor=${cursor}` : ''}`, { token: admin });
        assert.equal(r.status, 200);
        seen.push(...r.body.items);
        cursor = r.body.next_cursor;
        if (!cursor) break;
      }
      // Refusals are recorded by a background writer (access.denied, issue 11):
      // one of those may land between the reads; every other event is as it was.
      const kept = (items) => items.filter((e) => e.action !== 'access.denied').map((e) => e.id);
      assert.deepEqual(kept(seen), kept(full));
      const filtered = [];
      cursor = null;
      for (let i = 0; i < 100; i++) {
        const r = await s.api(`/v1/audit?actor=${adminId}&limit=2${cursor ? `&cursor=${cursor}` : ''}`, { token: admin });
        filtered.push(...r.body.items);
        cursor = r.body.next_cursor;
        if (!cursor) break;
      }
      assert.deepEqual(kept(filtered), kept(full.filter((e) => e.actor_id === adminId)));
      assertProblem(await s.api('/v1/audit?cursor=abc', { token: admin }), 400, 'invalid_cursor', 'cursor');
      assertProblem(await s.api('/v1/audit?limit=501', { token: admin }), 400, 'invalid_limit', 'limit');
    });

    await test('the trail needs users.view', async () => {
      const plain = await s.makeUser(admin, 'plain@acme.test', 'user');
      assertProblem(await s.api('/v1/audit', { token: plain.token }), 403, 'permission_denied');
      assertProblem(await s.api('/v1/audit'), 401, 'unauthenticated');
    });
  } finally {
    await s.stop();
  }
});
