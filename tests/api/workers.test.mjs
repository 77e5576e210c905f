// Shop-floor people administered by the office (issue 22 item 4) and the
// words of the server's problems (item 2): users.manage corrects a factory
// worker's name (audited, never someone above the actor, an office user's
// name and anyone's mobile stay theirs); every invalid field of a body is
// reported at once in `errors` with the stable top-level `code`, in sentence
// case; bulk lock, unlock, role change and deletion go item by item through
// the same rules, with one result per id, also when two run at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, assertProblem } from './lib.mjs';
import { makeWorker, auditActions } from './shopfloor.mjs';

const sentence = (d) => assert.match(d, /^[A-Z'].*[.!?:]$/, `not a sentence: ${d}`);

test('users.manage corrects a factory worker\'s name; an office user\'s name and mobile stay theirs', async () => {
  const s = await startServer({ template: 'monitoring' });
  try {
    const admin = await s.login();
    const mgr = await s.makeUser(admin, 'mo@acme.test', 'manager', 'Mo Manager');
    const sup = await s.makeUser(admin, 'sue@acme.test', 'supervisor', 'Sue Supervisor');
    const w = await makeWorker(s, admin, 'W100', { role: 'supervisor', name: 'Jon Smtih' });
    const top = await makeWorker(s, admin, 'W101', { role: 'it-admin', name: 'Ivy Topp' });

    // The manager fixes the typo; the change is audited without the names.
    const ok = await s.api(`/v1/users/${w.id}`, { method: 'PATCH', token: mgr.token, body: { name: 'Jon Smith' } });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal(ok.body.name, 'Jon Smith');
    const ev = (await auditActions(s, admin, 'user.updated')).filter((e) => e.target_id === w.id);
    assert.equal(ev.length, 1);
    assert.deepEqual(ev[0].detail, { name: true });

    // Bad input changes nothing and names the field.
    const bad = await s.api(`/v1/users/${w.id}`, { method: 'PATCH', token: mgr.token, body: { name: '   ' } });
    assertProblem(bad, 400, 'invalid_name', 'name');
    sentence(bad.body.detail);
    // A worker whose role is above the manager is left alone.
    assertProblem(await s.api(`/v1/users/${top.id}`, { method: 'PATCH', token: mgr.token, body: { name: 'Ivy Top' } }), 403, 'escalation');
    // Mobile numbers are the owner's, worker or not.
    assertProblem(await s.api(`/v1/users/${w.id}`, { method: 'PATCH', token: mgr.token, body: { mobile: '+1 555' } }), 403, 'profile_owner_only', 'mobile');
    // An office user's name is theirs, also for the organization's top administrator.
    assertProblem(await s.api(`/v1/users/${sup.id}`, { method: 'PATCH', token: admin, body: { name: 'Sue S' } }), 403, 'profile_owner_only', 'name');
    // A worker given office access is an office user from then on.
    assert.equal((await s.api(`/v1/users/${w.id}`, { method: 'PATCH', token: admin, body: { email: 'jon@acme.test', office_access: true } })).status, 200);
    assertProblem(await s.api(`/v1/users/${w.id}`, { method: 'PATCH', token: admin, body: { name: 'Jonathan Smith' } }), 403, 'profile_owner_only', 'name');
    // Without users.manage, no.
    assertProblem(await s.api(`/v1/users/${top.id}`, { method: 'PATCH', token: sup.token, body: { name: 'X' } }), 403, 'permission_denied');

    const after = await s.api('/v1/users?limit=200', { token: admin });
    const names = Object.fromEntries(after.body.items.map((u) => [u.id, u.name]));
    assert.equal(names[w.id], 'Jon Smith');
    assert.equal(names[top.id], 'Ivy Topp');
    assert.equal(names[sup.id], 'Sue Supervisor');
  } finally { await s.stop(); }
});

test('problems report every invalid field at once, in sentence case, with the first as the code', async () => {
  const s = await startServer();
  try {
    const admin = await s.login();
    const r = await s.api('/v1/users', { method: 'POST', token: admin, body: { email: 'not-an-address', name: ' ', mobile: 'call me', role: 'user' } });
    assertProblem(r, 400, 'invalid_email', 'email');
    sentence(r.body.detail);
    assert.deepEqual(r.body.errors.map((e) => [e.field, e.code]), [['email', 'invalid_email'], ['name', 'invalid_name'], ['mobile', 'invalid_mobile']]);
    for (const e of r.body.errors) sentence(e.detail);

    const f = await s.api('/v1/users', { method: 'POST', token: admin, body: { colour: 'red', name: 5, shoe: 1 } });
    assertProblem(f, 400, 'unknown_field', 'colour');
    assert.deepEqual(f.body.errors.map((e) => [e.field, e.code]),
      [['colour', 'unknown_field'], ['name', 'invalid_type'], ['shoe', 'unknown_field'], ['role', 'missing_field']]);

    const p = await s.api('/v1/users', { method: 'POST', token: admin, body: { name: 'Wes', role: 'user', badge: 'no spaces please', factory_access: true } });
    assertProblem(p, 400, 'invalid_badge', 'badge');
    assert.equal(p.body.errors.length, 1);
    // Nothing was created by any of them.
    const list = await s.api('/v1/users', { token: admin });
    assert.equal(list.body.items.length, 1);
    // A problem without a field has no list, and its detail is a sentence too.
    const nf = await s.api('/v1/users/usr_nobody', { token: admin });
    assertProblem(nf, 404, 'user_not_found');
    assert.equal(nf.body.errors, undefined);
    sentence(nf.body.detail);
  } finally { await s.stop(); }
});

test('bulk actions: each item through the same rules, one result per id', async () => {
  const s = await startServer({ template: 'monitoring' });
  try {
    const admin = await s.login();
    const adminId = (await s.api('/v1/me', { token: admin })).body.id;
    const mgr = await s.makeUser(admin, 'mo@acme.test', 'manager', 'Mo Manager');
    assert.equal(s.cli(['org', 'seats', '--org', 'acme', '--factory', '50']).status, 0);
    const ws = [];
    for (let i = 0; i < 6; i++) ws.push(await makeWorker(s, admin, `B${i}`, { role: 'supervisor' }));
    const top = await makeWorker(s, admin, 'BTOP', { role: 'it-admin' });
    const bulk = (token, body) => s.api('/v1/users/bulk', { method: 'POST', token, body });

    // Bad requests change nothing and name every problem.
    const v = await bulk(mgr.token, { action: 'explode', ids: [] });
    assertProblem(v, 400, 'invalid_action', 'action');
    assert.deepEqual(v.body.errors.map((e) => e.code), ['invalid_action', 'invalid_ids']);
    assertProblem(await bulk(mgr.token, { action: 'lock', ids: [ws[0].id, ws[0].id] }), 400, 'invalid_ids', 'ids');
    assertProblem(await bulk(mgr.token, { action: 'lock', ids: [ws[0].id], role: 'user' }), 400, 'unknown_field', 'role');
    assertProblem(await bulk(mgr.token, { action: 'set_role', ids: [ws[0].id] }), 400, 'missing_field', 'role');
    assertProblem(await bulk(mgr.token, { action: 'lock', ids: Array.from({ length: 201 }, (_, i) => `usr_${i}`) }), 400, 'invalid_ids', 'ids');
    const plain = await s.makeUser(admin, 'pat@acme.test', 'supervisor', 'Pat');
    assertProblem(await bulk(plain.token, { action: 'lock', ids: [ws[0].id] }), 403, 'permission_denied');
    for (const w of ws) assert.equal((await s.api(`/v1/users/${w.id}`, { token: admin })).body.status, 'active');

    // Lock: the workers are locked, the one above the manager and an unknown id are not.
    const l = await bulk(mgr.token, { action: 'lock', ids: [ws[0].id, top.id, ws[1].id, 'usr_nobody'] });
    assert.equal(l.status, 200, JSON.stringify(l.body));
    assert.equal(l.body.done, 2);
    assert.equal(l.body.failed, 2);
    assert.deepEqual(l.body.results.map((x) => [x.id, x.ok, x.code]),
      [[ws[0].id, true, undefined], [top.id, false, 'escalation'], [ws[1].id, true, undefined], ['usr_nobody', false, 'user_not_found']]);
    for (const x of l.body.results.filter((y) => !y.ok)) sentence(x.detail);
    assert.equal(l.body.results[0].user.status, 'locked');
    assert.equal((await s.api(`/v1/users/${top.id}`, { token: admin })).body.status, 'active');
    const locked = (await auditActions(s, admin, 'user.locked')).map((e) => e.target_id).sort();
    assert.deepEqual(locked, [ws[0].id, ws[1].id].sort());

    // Unlock, then a role change: never to a role above the manager.
    const u = await bulk(mgr.token, { action: 'unlock', ids: [ws[0].id, ws[1].id] });
    assert.deepEqual(u.body.results.map((x) => x.user.status), ['active', 'active']);
    const up = await bulk(mgr.token, { action: 'set_role', ids: [ws[2].id, ws[3].id], role: 'it-admin' });
    assert.deepEqual(up.body.results.map((x) => x.code), ['escalation', 'escalation']);
    const r = await bulk(mgr.token, { action: 'set_role', ids: [ws[2].id, ws[3].id], role: 'manager' });
    assert.deepEqual(r.body.results.map((x) => x.user.role), ['manager', 'manager']);
    const nr = await bulk(mgr.token, { action: 'set_role', ids: [ws[2].id], role: 'no-such-role' });
    assert.equal(nr.body.results[0].code, 'unknown_role');

    // The administrator cannot lock or delete themselves along with the others.
    const self = await bulk(admin, { action: 'delete', ids: [adminId, ws[4].id] });
    assert.deepEqual(self.body.results.map((x) => [x.ok, x.code]), [[false, 'self_delete'], [true, undefined]]);
    assert.equal((await s.api(`/v1/users/${ws[4].id}`, { token: admin })).status, 404);

    // Two bulk deletions of the same people at once: each person is deleted once.
    const ids = [ws[0].id, ws[1].id, ws[5].id];
    const [a, b] = await Promise.all([bulk(admin, { action: 'delete', ids }), bulk(mgr.token, { action: 'delete', ids })]);
    assert.equal(a.status, 200);
    assert.equal(b.status, 200);
    for (let i = 0; i < ids.length; i++) {
      const oks = [a.body.results[i], b.body.results[i]].filter((x) => x.ok).length;
      assert.equal(oks, 1, `${ids[i]}: ${JSON.stringify([a.body.results[i], b.body.results[i]])}`);
      const other = [a.body.results[i], b.body.results[i]].find((x) => !x.ok);
      assert.equal(other.code, 'user_not_found');
    }
    const deleted = (await auditActions(s, admin, 'user.deleted')).map((e) => e.target_id).sort();
    assert.deepEqual(deleted, [ws[4].id, ...ids].sort());
  } finally { await s.stop(); }
});

test('tasks are searched on the server by reference or title, page by page', async () => {
  const s = await startServer();
  try {
    const admin = await s.login();
    for (const [ref, title] of [['T-1', 'Weld frame'], ['T-2', 'Paint frame'], ['T-3', 'Drill plate'], ['X-10', 'Final check']]) {
      const r = await s.api('/v1/tasks', { method: 'POST', token: admin, body: { ref, title } });
      assert.equal(r.status, 201, JSON.stringify(r.body));
    }
    const refs = async (q, extra = '') => (await s.api(`/v1/tasks?q=${encodeURIComponent(q)}${extra}`, { token: admin })).body.items.map((t) => t.ref);
    assert.deepEqual(await refs('FRAME'), ['T-1', 'T-2']);
    assert.deepEqual(await refs('x-1'), ['X-10']);
    assert.deepEqual(await refs('nothing'), []);
    const p1 = await s.api('/v1/tasks?q=t-&limit=2', { token: admin });
    assert.deepEqual(p1.body.items.map((t) => t.ref), ['T-1', 'T-2']);
    const p2 = await s.api(`/v1/tasks?q=t-&limit=2&cursor=${p1.body.next_cursor}`, { token: admin });
    assert.deepEqual(p2.body.items.map((t) => t.ref), ['T-3']);
    assertProblem(await s.api(`/v1/tasks?q=${'a'.repeat(201)}`, { token: admin }), 400, 'invalid_filter', 'q');
  } finally { await s.stop(); }
});
