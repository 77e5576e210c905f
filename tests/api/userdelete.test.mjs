// Issue 11 item 6: deleting a person keeps the plant's records. The account,
// its sessions, grants and memberships go; check-ins (time records),
// timesheets and activity stay, attributed to a tombstone with the name as it
// was (or "deleted user" when the org chose erase_deleted_names); the task
// keeps its task_has_checkins protection; the audit trail is untouched; the
// tombstone cannot sign in, be checked or take a seat.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, assertProblem, PASSWORD } from './lib.mjs';
import { apiKey, makeTask, assign, serverNow, setOrg } from './shopfloor.mjs';

const date = (t) => new Date(t * 1000).toISOString().slice(0, 10);

test('deleting a person keeps time records, timesheets and activity', async () => {
  const s = await startServer();
  try {
    await setOrg(s, await s.login(), { session_idle_timeout_s: 86400 });
    const admin = await s.login();
    const key = await apiKey(s, admin);
    const w = await s.makeUser(admin, 'wendy@acme.test', 'user', 'Wendy Worker');
    const t1 = await makeTask(s, admin, 'OP-1');
    const t2 = await makeTask(s, admin, 'OP-2');
    await assign(s, admin, t1.id, w.id);
    await assign(s, admin, t2.id, w.id);
    const c1 = await s.api('/v1/checkins', { method: 'POST', token: w.token, body: { task_id: t1.id } });
    assert.equal(c1.status, 201, JSON.stringify(c1.body));
    await s.advance(1200);
    assert.equal((await s.api(`/v1/checkins/${c1.body.id}/checkout`, { method: 'POST', token: w.token, body: { status: 'paused' } })).status, 200);
    const c2 = await s.api('/v1/checkins', { method: 'POST', token: w.token, body: { task_id: t2.id } });
    assert.equal(c2.status, 201);
    await s.advance(600);
    const act = await s.api('/v1/activity', { method: 'POST', token: key, body: { user_id: w.id, type: 'form_submission', ref: 'QC-1' } });
    assert.equal(act.status, 201, JSON.stringify(act.body));
    const now = await serverNow(s);
    const before = (await s.api(`/v1/timesheets?user_id=${w.id}&from=${date(now - 86400)}&to=${date(now)}`, { token: admin })).body;
    assert.ok(before.total_s >= 1200 && before.total_s < 1260, JSON.stringify(before));
    const actBefore = (await s.api(`/v1/users/${w.id}/activity?from=${date(now - 86400)}`, { token: admin })).body;

    const del = await s.api(`/v1/users/${w.id}`, { method: 'DELETE', token: admin });
    assert.equal(del.status, 204, JSON.stringify(del.body));

    // The account is gone: 404, sign-in refused, session ended, no seat, no check.
    const gone = await s.api(`/v1/users/${w.id}`, { token: admin });
    assertProblem(gone, 404, 'user_not_found');
    assert.equal(gone.body.deleted_user.name, 'Wendy Worker');
    assert.equal(gone.body.deleted_user.id, w.id);
    assert.equal((await s.api('/v1/auth/login', { method: 'POST', body: { email: 'wendy@acme.test', password: PASSWORD } })).status, 401);
    assert.equal((await s.api('/v1/me', { token: w.token })).status, 401);
    const users = (await s.api('/v1/users?limit=200', { token: admin })).body.items;
    assert.ok(!users.some((u) => u.id === w.id));
    const chk = await s.api('/v1/check', { method: 'POST', token: key, body: { user_id: w.id, permission: 'tasks.work' } });
    assert.notEqual(chk.body && chk.body.allowed, true, JSON.stringify(chk.body));
    const org = (await s.api('/v1/org', { token: admin })).body;
    assert.equal(org.seats.office.used, 1, JSON.stringify(org.seats));

    // Time records, timesheet and activity are still there, attributed to the tombstone.
    const sheet = await s.api(`/v1/timesheets?user_id=${w.id}&from=${date(now - 86400)}&to=${date(now)}`, { token: admin });
    assert.equal(sheet.status, 200, JSON.stringify(sheet.body));
    // The open check-in ended with the account, 600 s after it began.
    // (The test clock also runs with real time: a few seconds more are fine.)
    const byTask = Object.fromEntries(sheet.body.tasks.map((t) => [t.ref, t.seconds]));
    assert.equal(byTask['OP-1'], before.total_s);
    assert.ok(byTask['OP-2'] >= 600 && byTask['OP-2'] < 660, JSON.stringify(sheet.body.tasks));
    assert.equal(sheet.body.total_s, byTask['OP-1'] + byTask['OP-2']);
    assert.equal(sheet.body.deleted_user.name, 'Wendy Worker');
    const list = await s.api(`/v1/checkins?user_id=${w.id}`, { token: admin });
    assert.equal(list.status, 200, JSON.stringify(list.body));
    assert.deepEqual(list.body.items.map((c) => c.id).sort(), [c1.body.id, c2.body.id].sort());
    // The open check-in ended with the account.
    assert.ok(list.body.items.every((c) => c.ended_at !== null));
    const a = await s.api(`/v1/users/${w.id}/activity?from=${date(now - 86400)}`, { token: admin });
    assert.equal(a.status, 200, JSON.stringify(a.body));
    assert.deepEqual(a.body.items.map((i) => i.id), actBefore.items.map((i) => i.id));
    assert.ok(a.body.items.length >= 1);
    // No new activity for a deleted person.
    assertProblem(await s.api('/v1/activity', { method: 'POST', token: key, body: { user_id: w.id, type: 'form_submission', ref: 'QC-2' } }), 404, 'user_not_found', 'user_id');

    // The task keeps its protection.
    assertProblem(await s.api(`/v1/tasks/${t1.id}`, { method: 'DELETE', token: admin }), 409, 'task_has_checkins');
    assert.equal((await s.api(`/v1/tasks/${t1.id}`, { token: admin })).body.assignees.length, 0);

    // The audit trail is untouched: the events naming the person remain.
    const trail = (await s.api(`/v1/audit?target=${w.id}&limit=200`, { token: admin })).body.items;
    assert.ok(trail.some((e) => e.action === 'user.created'));
    const deleted = trail.find((e) => e.action === 'user.deleted');
    assert.equal(deleted.detail.name, 'Wendy Worker');
    assert.equal(deleted.detail.checkins_closed, 1);

    // The email is free again; a new account is another person.
    const again = await s.api('/v1/users', { method: 'POST', token: admin, body: { email: 'wendy@acme.test', name: 'Wendy Two', role: 'user' } });
    assert.equal(again.status, 201);
    assert.notEqual(again.body.id, w.id);
    assert.equal((await s.api(`/v1/timesheets?user_id=${again.body.id}&from=${date(now - 86400)}&to=${date(now)}`, { token: admin })).body.total_s, 0);

    // Unknown ids are still 404 everywhere.
    assertProblem(await s.api(`/v1/timesheets?user_id=usr_nobody`, { token: admin }), 404, 'user_not_found', 'user_id');
  } finally {
    await s.stop();
  }
});

test('an org may erase the names of deleted people (erase_deleted_names)', async () => {
  const s = await startServer();
  try {
    const admin = await s.login();
    const org = await setOrg(s, admin, { erase_deleted_names: true });
    assert.equal(org.settings.erase_deleted_names, true);
    const w = await s.makeUser(admin, 'zoe@acme.test', 'user', 'Zoë Private');
    const t = await makeTask(s, admin, 'OP-9');
    await assign(s, admin, t.id, w.id);
    const c = await s.api('/v1/checkins', { method: 'POST', token: w.token, body: { task_id: t.id } });
    assert.equal(c.status, 201);
    await s.advance(120);
    assert.equal((await s.api(`/v1/users/${w.id}`, { method: 'DELETE', token: admin })).status, 204);
    const now = await serverNow(s);
    const sheet = await s.api(`/v1/timesheets?user_id=${w.id}&from=${date(now - 86400)}&to=${date(now)}`, { token: admin });
    assert.equal(sheet.status, 200);
    assert.equal(sheet.body.deleted_user.name, 'deleted user');
    assert.equal(sheet.body.deleted_user.name_erased, true);
    assert.ok(sheet.body.total_s >= 120);
    // The audit trail keeps what it recorded: erasure never touches it.
    const trail = (await s.api(`/v1/audit?target=${w.id}&limit=200`, { token: admin })).body.items;
    assert.equal(trail.find((e) => e.action === 'user.deleted').detail.name, 'Zoë Private');
    // Only settings.manage may change the choice.
    const bob = await s.makeUser(admin, 'bob@acme.test', 'user', 'Bob');
    assertProblem(await s.api('/v1/org', { method: 'PATCH', token: bob.token, body: { erase_deleted_names: false } }), 403, 'permission_denied');
    assertProblem(await s.api('/v1/org', { method: 'PATCH', token: admin, body: { erase_deleted_names: 'yes' } }), 400, 'invalid_type', 'erase_deleted_names');
  } finally {
    await s.stop();
  }
});
