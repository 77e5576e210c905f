// Changing and deleting tasks: the embedding product renames, re-dates,
// moves tasks between orders, closes and reopens them; a task nobody worked
// on can be deleted, one with time records cannot. Bad input changes nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, assertProblem } from './lib.mjs';
import { apiKey, makeTask, assign, auditActions } from './shopfloor.mjs';

const patch = (s, token, id, body) => s.api(`/v1/tasks/${id}`, { method: 'PATCH', token, body });

test('tasks change and close through PATCH; the agenda and check-in follow', async () => {
  const s = await startServer();
  try {
    const admin = await s.login();
    const key = await apiKey(s, admin);
    const w = await s.makeUser(admin, 'worker@acme.test', 'user');
    const t = await makeTask(s, key, 'OP-10', { order_ref: 'SO-1', due: '2030-01-02T08:00:00Z' });
    assert.equal((await s.api('/v1/orders/assignees', { method: 'PUT', token: admin, body: { order_ref: 'SO-2', user_id: w.id } })).status, 204);
    assert.deepEqual((await s.api('/v1/me/tasks', { token: w.token })).body.items, []);

    // Moving the task to SO-2 puts it on the agenda of that order's people.
    let r = await patch(s, key, t.id, { title: 'Weld frame', order_ref: 'SO-2', due: null });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.ref, 'OP-10');
    assert.equal(r.body.title, 'Weld frame');
    assert.equal(r.body.order_ref, 'SO-2');
    assert.equal(r.body.due, null);
    assert.deepEqual(r.body.order_assignees.map((x) => x.id), [w.id]);
    assert.deepEqual((await s.api('/v1/me/tasks', { token: w.token })).body.items.map((x) => [x.ref, x.title]), [['OP-10', 'Weld frame']]);

    // Done by hand: off the open agenda, no check-in; reopened: back.
    r = await patch(s, admin, t.id, { status: 'done' });
    assert.equal(r.body.status, 'done');
    assert.ok(r.body.completed_at);
    assert.equal(r.body.completed_by, (await s.api('/v1/me', { token: admin })).body.id);
    assert.deepEqual((await s.api('/v1/me/tasks', { token: w.token })).body.items, []);
    assertProblem(await s.api('/v1/checkins', { method: 'POST', token: w.token, body: { task_id: t.id } }), 409, 'task_done', 'task_id');
    r = await patch(s, admin, t.id, { status: 'open' });
    assert.equal(r.body.status, 'open');
    assert.equal(r.body.completed_at, null);
    assert.equal(r.body.completed_by, null);
    assert.equal((await s.api('/v1/checkins', { method: 'POST', token: w.token, body: { task_id: t.id } })).status, 201);

    // Nothing to change: the same answer, nothing recorded.
    const before = (await auditActions(s, admin, 'task.updated')).length;
    r = await patch(s, admin, t.id, { title: 'Weld frame', status: 'open' });
    assert.equal(r.status, 200);
    assert.equal((await auditActions(s, admin, 'task.updated')).length, before);

    const events = await auditActions(s, admin, 'task.updated');
    const moved = events.find((e) => e.detail.order_ref);
    assert.deepEqual(moved.detail, { ref: 'OP-10', title: { from: 'Task OP-10', to: 'Weld frame' },
      order_ref: { from: 'SO-1', to: 'SO-2' }, due: { from: '2030-01-02T08:00:00Z', to: null } });
    assert.ok(events.some((e) => e.detail.status?.to === 'done'));
  } finally {
    await s.stop();
  }
});

test('deleting a task: only without time records; bad input and permissions change nothing', async () => {
  const s = await startServer();
  try {
    const admin = await s.login();
    const w = await s.makeUser(admin, 'worker@acme.test', 'user');
    const unused = await makeTask(s, admin, 'OP-1', { order_ref: 'SO-1' });
    const worked = await makeTask(s, admin, 'OP-2');
    await assign(s, admin, unused.id, w.id);
    await assign(s, admin, worked.id, w.id);
    const ci = await s.api('/v1/checkins', { method: 'POST', token: w.token, body: { task_id: worked.id } });
    assert.equal(ci.status, 201);

    // Refusals first.
    const r = await s.api(`/v1/tasks/${worked.id}`, { method: 'DELETE', token: admin });
    assertProblem(r, 409, 'task_has_checkins');
    assert.equal(r.body.checkins, 1);
    assertProblem(await s.api(`/v1/tasks/${unused.id}`, { method: 'DELETE', token: w.token }), 403, 'permission_denied');
    assertProblem(await patch(s, w.token, unused.id, { title: 'x' }), 403, 'permission_denied');
    assertProblem(await patch(s, admin, 'tsk_nobody', { title: 'x' }), 404, 'task_not_found');
    assertProblem(await s.api('/v1/tasks/tsk_nobody', { method: 'DELETE', token: admin }), 404, 'task_not_found');
    assertProblem(await patch(s, admin, unused.id, { title: '' }), 400, 'invalid_title', 'title');
    assertProblem(await patch(s, admin, unused.id, { status: 'later' }), 400, 'invalid_status', 'status');
    assertProblem(await patch(s, admin, unused.id, { due: 'tomorrow' }), 400, 'invalid_time', 'due');
    assertProblem(await patch(s, admin, unused.id, { order_ref: 'x'.repeat(129) }), 400, 'invalid_ref', 'order_ref');
    assertProblem(await patch(s, admin, unused.id, { ref: 'OP-9' }), 400, 'unknown_field', 'ref');
    assertProblem(await patch(s, admin, unused.id, { title: 5 }), 400, 'invalid_type', 'title');
    const same = await s.api(`/v1/tasks/${unused.id}`, { token: admin });
    assert.deepEqual([same.body.title, same.body.order_ref, same.body.status], ['Task OP-1', 'SO-1', 'open']);
    assert.equal((await auditActions(s, admin, 'task.updated')).length, 0);

    // The unused task goes with its assignments.
    assert.equal((await s.api(`/v1/tasks/${unused.id}`, { method: 'DELETE', token: admin })).status, 204);
    assertProblem(await s.api(`/v1/tasks/${unused.id}`, { token: admin }), 404, 'task_not_found');
    assert.deepEqual((await s.api('/v1/me/tasks', { token: w.token })).body.items.map((t) => t.ref), ['OP-2']);
    const del = await auditActions(s, admin, 'task.deleted');
    assert.deepEqual(del.map((e) => e.detail), [{ ref: 'OP-1', title: 'Task OP-1', order_ref: 'SO-1' }]);
    // Its ref is free again.
    await makeTask(s, admin, 'OP-1');
  } finally {
    await s.stop();
  }
});

test('agenda screens: read one, rename, delete (its tasks leave its members\' agendas, the tasks stay)', async () => {
  const s = await startServer();
  try {
    const admin = await s.login();
    const w = await s.makeUser(admin, 'worker@acme.test', 'user');
    const t = await makeTask(s, admin, 'OP-1');
    const sc = (await s.api('/v1/screens', { method: 'POST', token: admin, body: { name: 'Bay 1' } })).body;
    for (const path of [`/v1/screens/${sc.id}/tasks/${t.id}`, `/v1/screens/${sc.id}/members/${w.id}`])
      assert.equal((await s.api(path, { method: 'PUT', token: admin })).status, 204);

    const one = await s.api(`/v1/screens/${sc.id}`, { token: admin });
    assert.equal(one.status, 200);
    assert.equal(one.body.name, 'Bay 1');
    assert.deepEqual(one.body.tasks.map((x) => x.ref), ['OP-1']);
    assert.deepEqual(one.body.members.map((x) => x.id), [w.id]);

    const renamed = await s.api(`/v1/screens/${sc.id}`, { method: 'PATCH', token: admin, body: { name: 'Welding bay 1' } });
    assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
    assert.equal(renamed.body.name, 'Welding bay 1');
    assert.deepEqual((await s.api('/v1/me/tasks', { token: w.token })).body.items[0].screens, [{ id: sc.id, name: 'Welding bay 1' }]);

    // Refusals change nothing.
    assertProblem(await s.api(`/v1/screens/${sc.id}`, { method: 'PATCH', token: admin, body: { name: '' } }), 400, 'invalid_name', 'name');
    assertProblem(await s.api(`/v1/screens/${sc.id}`, { method: 'PATCH', token: admin, body: {} }), 400, 'missing_field', 'name');
    assertProblem(await s.api(`/v1/screens/${sc.id}`, { method: 'PATCH', token: w.token, body: { name: 'x' } }), 403, 'permission_denied');
    assertProblem(await s.api(`/v1/screens/${sc.id}`, { method: 'DELETE', token: w.token }), 403, 'permission_denied');
    assertProblem(await s.api(`/v1/screens/${sc.id}`, { token: w.token }), 403, 'permission_denied');
    assertProblem(await s.api('/v1/screens/scr_nobody', { token: admin }), 404, 'screen_not_found');
    assertProblem(await s.api('/v1/screens/scr_nobody', { method: 'PATCH', token: admin, body: { name: 'x' } }), 404, 'screen_not_found');
    assertProblem(await s.api('/v1/screens/scr_nobody', { method: 'DELETE', token: admin }), 404, 'screen_not_found');
    assert.equal((await s.api(`/v1/screens/${sc.id}`, { token: admin })).body.name, 'Welding bay 1');

    assert.equal((await s.api(`/v1/screens/${sc.id}`, { method: 'DELETE', token: admin })).status, 204);
    assertProblem(await s.api(`/v1/screens/${sc.id}`, { token: admin }), 404, 'screen_not_found');
    assert.deepEqual((await s.api('/v1/me/tasks', { token: w.token })).body.items, []);
    assert.equal((await s.api(`/v1/tasks/${t.id}`, { token: admin })).status, 200, 'the task stays');
    assert.deepEqual((await auditActions(s, admin, 'screen.renamed')).map((e) => e.detail), [{ from: 'Bay 1', to: 'Welding bay 1' }]);
    assert.deepEqual((await auditActions(s, admin, 'screen.deleted')).map((e) => e.detail), [{ name: 'Welding bay 1' }]);
  } finally {
    await s.stop();
  }
});
