// Tasks, agenda screens and check-in (000, 002): who may check in where, the
// single-task limit (on, off, per-user exemption), concurrent check-ins of
// one worker, checking out, and bad input leaving nothing changed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, assertProblem } from './lib.mjs';
import { apiKey, makeTask, assign, setOrg, kioskWorker, auditActions, GOOD_PINS } from './shopfloor.mjs';

async function openCheckins(s, token) {
  const r = await s.api('/v1/checkins?open=1', { token });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.items;
}

function checkIn(s, token, task_id, user_id) {
  return s.api('/v1/checkins', { method: 'POST', token, body: user_id ? { task_id, user_id } : { task_id } });
}

function checkOut(s, token, id, status = 'paused', note) {
  return s.api(`/v1/checkins/${id}/checkout`, { method: 'POST', token, body: note ? { status, note } : { status } });
}

test('tasks and screens: created by services and tasks.assign, seen by assignees and screen members', async () => {
  const s = await startServer();
  try {
    const admin = await s.login();
    const key = await apiKey(s, admin);
    const w = await s.makeUser(admin, 'worker@acme.test', 'user');
    const t1 = await makeTask(s, key, 'OP-10', { order_ref: 'SO-1', due: '2030-01-02T08:00:00Z' });
    assert.equal(t1.status, 'open');
    assert.equal(t1.order_ref, 'SO-1');
    assert.equal(t1.due, '2030-01-02T08:00:00Z');
    const t2 = await makeTask(s, admin, 'OP-20');
    const t3 = await makeTask(s, admin, 'OP-30');
    assertProblem(await s.api('/v1/tasks', { method: 'POST', token: key, body: { ref: 'OP-10', title: 'again' } }),
      409, 'task_ref_taken', 'ref');
    assertProblem(await s.api('/v1/tasks', { method: 'POST', token: key, body: { ref: 'OP-99', title: 'x', due: 'soon' } }),
      400, 'invalid_time', 'due');
    assertProblem(await s.api('/v1/tasks', { method: 'POST', token: key, body: { ref: '', title: 'x' } }), 400, 'invalid_ref', 'ref');
    assertProblem(await s.api('/v1/tasks', { method: 'POST', token: key, body: { ref: 'OP-98' } }), 400, 'missing_field', 'title');
    // A worker neither creates nor lists tasks.
    assertProblem(await s.api('/v1/tasks', { method: 'POST', token: w.token, body: { ref: 'W-1', title: 'x' } }), 403, 'permission_denied');
    assertProblem(await s.api('/v1/tasks', { token: w.token }), 403, 'permission_denied');
    const all = await s.api('/v1/tasks?limit=2', { token: admin });
    assert.deepEqual(all.body.items.map((t) => t.ref), ['OP-10', 'OP-20']);
    const rest = await s.api(`/v1/tasks?limit=2&cursor=${all.body.next_cursor}`, { token: admin });
    assert.deepEqual(rest.body.items.map((t) => t.ref), ['OP-30']);
    assert.deepEqual((await s.api('/v1/tasks?order_ref=SO-1', { token: key })).body.items.map((t) => t.ref), ['OP-10']);

    // Assignment and a screen.
    assertProblem(await s.api(`/v1/tasks/${t1.id}`, { token: w.token }), 404, 'task_not_found');
    await assign(s, key, t1.id, w.id);
    await assign(s, key, t1.id, w.id); // idempotent
    assertProblem(await s.api(`/v1/tasks/${t1.id}/assignees/usr_nobody`, { method: 'PUT', token: admin }), 404, 'user_not_found');
    assertProblem(await s.api(`/v1/tasks/tsk_nobody/assignees/${w.id}`, { method: 'PUT', token: admin }), 404, 'task_not_found');
    assertProblem(await s.api(`/v1/tasks/${t1.id}/assignees/${w.id}`, { method: 'PUT', token: w.token }), 403, 'permission_denied');
    const got = await s.api(`/v1/tasks/${t1.id}`, { token: w.token });
    assert.equal(got.status, 200);
    assert.deepEqual(got.body.assignees.map((a) => a.id), [w.id]);

    const sc = await s.api('/v1/screens', { method: 'POST', token: admin, body: { name: 'Welding bay' } });
    assert.equal(sc.status, 201, JSON.stringify(sc.body));
    const sid = sc.body.id;
    for (const [path, code] of [[`/v1/screens/${sid}/tasks/${t2.id}`, 204], [`/v1/screens/${sid}/tasks/${t1.id}`, 204],
      [`/v1/screens/${sid}/members/${w.id}`, 204]]) {
      assert.equal((await s.api(path, { method: 'PUT', token: admin })).status, code, path);
    }
    assertProblem(await s.api(`/v1/screens/scr_nobody/tasks/${t2.id}`, { method: 'PUT', token: admin }), 404, 'screen_not_found');
    assertProblem(await s.api(`/v1/screens/${sid}/tasks/${t3.id}`, { method: 'DELETE', token: admin }), 404, 'not_on_screen');
    const screens = await s.api('/v1/screens', { token: admin });
    assert.equal(screens.body.items.length, 1);
    assert.deepEqual(screens.body.items[0].tasks.map((t) => t.ref), ['OP-10', 'OP-20']);
    assert.deepEqual(screens.body.items[0].members.map((m) => m.id), [w.id]);

    const mine = await s.api('/v1/me/tasks', { token: w.token });
    assert.equal(mine.status, 200);
    const byRef = Object.fromEntries(mine.body.items.map((t) => [t.ref, t]));
    assert.deepEqual(Object.keys(byRef).sort(), ['OP-10', 'OP-20']);
    assert.equal(byRef['OP-10'].assigned, true);
    assert.deepEqual(byRef['OP-10'].screens.map((x) => x.name), ['Welding bay']);
    assert.equal(byRef['OP-20'].assigned, false);
    assert.deepEqual(byRef['OP-20'].screens.map((x) => x.id), [sid]);
    assert.equal(mine.body.open_checkin, null);

    // Leaving the screen hides its tasks again.
    assert.equal((await s.api(`/v1/screens/${sid}/members/${w.id}`, { method: 'DELETE', token: admin })).status, 204);
    assert.deepEqual((await s.api('/v1/me/tasks', { token: w.token })).body.items.map((t) => t.ref), ['OP-10']);
    assert.ok((await auditActions(s, admin, 'task.assigned')).length === 1);
    assert.ok((await auditActions(s, admin, 'screen')).length >= 5);
  } finally {
    await s.stop();
  }
});

test('check-in only on visible tasks; the single-task limit on, off and per-user exemption', async () => {
  const s = await startServer();
  try {
    const admin = await s.login();
    const w = await s.makeUser(admin, 'worker@acme.test', 'user');
    const t1 = await makeTask(s, admin, 'OP-10');
    const t2 = await makeTask(s, admin, 'OP-20');
    const t3 = await makeTask(s, admin, 'OP-30');
    assertProblem(await checkIn(s, w.token, 'tsk_nobody'), 404, 'task_not_found', 'task_id');
    assertProblem(await checkIn(s, w.token, t1.id), 403, 'task_not_visible', 'task_id');
    assertProblem(await s.api('/v1/checkins', { method: 'POST', token: w.token, body: {} }), 400, 'missing_field', 'task_id');
    await assign(s, admin, t1.id, w.id);
    await assign(s, admin, t2.id, w.id);
    // t3 is seen through a screen.
    const sid = (await s.api('/v1/screens', { method: 'POST', token: admin, body: { name: 'Line 1' } })).body.id;
    await s.api(`/v1/screens/${sid}/tasks/${t3.id}`, { method: 'PUT', token: admin });
    await s.api(`/v1/screens/${sid}/members/${w.id}`, { method: 'PUT', token: admin });

    // The limit is on by default (000 recommends it).
    assert.equal((await s.api('/v1/org', { token: admin })).body.settings.single_task_checkin, true);
    const c1 = await checkIn(s, w.token, t1.id);
    assert.equal(c1.status, 201, JSON.stringify(c1.body));
    assert.equal(c1.body.status, 'open');
    assert.equal(c1.body.task.ref, 'OP-10');
    const limited = await checkIn(s, w.token, t2.id);
    assertProblem(limited, 409, 'checkin_limit');
    assert.equal(limited.body.open_checkin.id, c1.body.id);
    assert.equal(limited.body.open_checkin.task.ref, 'OP-10');
    assert.ok(limited.body.open_checkin.started_at);
    assert.equal((await openCheckins(s, w.token)).length, 1, 'nothing changed');
    assertProblem(await checkIn(s, w.token, t1.id), 409, 'already_checked_in');
    const agenda = await s.api('/v1/me/tasks', { token: w.token });
    assert.equal(agenda.body.open_checkin.id, c1.body.id);
    assert.equal(agenda.body.items.find((t) => t.ref === 'OP-10').open_checkin_id, c1.body.id);

    // Resolve the first (paused), then the second works; closing twice is refused.
    const out = await checkOut(s, w.token, c1.body.id, 'paused', 'waiting for material');
    assert.equal(out.status, 200, JSON.stringify(out.body));
    assert.equal(out.body.status, 'paused');
    assert.equal(out.body.note, 'waiting for material');
    assert.ok(out.body.ended_at);
    assertProblem(await checkOut(s, w.token, c1.body.id, 'complete'), 409, 'checkin_closed');
    const c2 = await checkIn(s, w.token, t2.id);
    assert.equal(c2.status, 201);

    // Off: several open check-ins, still never twice the same task.
    await setOrg(s, admin, { single_task_checkin: false });
    const c3 = await checkIn(s, w.token, t3.id);
    assert.equal(c3.status, 201, JSON.stringify(c3.body));
    assertProblem(await checkIn(s, w.token, t3.id), 409, 'already_checked_in');
    assert.equal((await openCheckins(s, w.token)).length, 2);

    // On again: with two open, a third is refused; the exemption lifts the limit for one person.
    await setOrg(s, admin, { single_task_checkin: true });
    assertProblem(await checkIn(s, w.token, t1.id), 409, 'checkin_limit');
    const ex = await s.api(`/v1/users/${w.id}`, { method: 'PATCH', token: admin, body: { checkin_exempt: true } });
    assert.equal(ex.body.checkin_exempt, true);
    assert.equal((await checkIn(s, w.token, t1.id)).status, 201);
    assert.equal((await openCheckins(s, w.token)).length, 3);
    const other = await s.makeUser(admin, 'other@acme.test', 'user');
    await assign(s, admin, t1.id, other.id);
    await assign(s, admin, t2.id, other.id);
    assert.equal((await checkIn(s, other.token, t1.id)).status, 201);
    assertProblem(await checkIn(s, other.token, t2.id), 409, 'checkin_limit', undefined);
    assert.equal((await auditActions(s, admin, 'checkin.opened')).length, 5);
    assert.equal((await auditActions(s, admin, 'checkin.closed')).length, 1);
  } finally {
    await s.stop();
  }
});

test('two concurrent check-ins by one worker: exactly one succeeds', async () => {
  const s = await startServer();
  try {
    const admin = await s.login();
    const w = await s.makeUser(admin, 'worker@acme.test', 'user');
    const tasks = [];
    for (let i = 0; i < 4; i++) {
      const t = await makeTask(s, admin, `OP-${i}`);
      await assign(s, admin, t.id, w.id);
      tasks.push(t);
    }
    for (let round = 0; round < 5; round++) {
      const rs = await Promise.all(tasks.map((t) => checkIn(s, w.token, t.id)));
      const ok = rs.filter((r) => r.status === 201);
      assert.equal(ok.length, 1, `round ${round}: ${rs.map((r) => r.status)}`);
      for (const r of rs.filter((x) => x.status !== 201)) assertProblem(r, 409, 'checkin_limit');
      const open = await openCheckins(s, w.token);
      assert.equal(open.length, 1);
      assert.equal(open[0].id, ok[0].body.id);
      assert.equal((await checkOut(s, w.token, open[0].id)).status, 200);
    }
    // The same task twice at once, limit off.
    await setOrg(s, admin, { single_task_checkin: false });
    const same = await Promise.all([0, 1, 2].map(() => checkIn(s, w.token, tasks[0].id)));
    assert.equal(same.filter((r) => r.status === 201).length, 1, same.map((r) => r.status).join());
    for (const r of same.filter((x) => x.status !== 201)) assertProblem(r, 409, 'already_checked_in');
  } finally {
    await s.stop();
  }
});

test('checking out: complete marks the task done; someone else; kiosk; bad input changes nothing', async () => {
  const s = await startServer();
  try {
    const admin = await s.login();
    const w = await s.makeUser(admin, 'worker@acme.test', 'user');
    const w2 = await s.makeUser(admin, 'second@acme.test', 'user');
    const t1 = await makeTask(s, admin, 'OP-10');
    const t2 = await makeTask(s, admin, 'OP-20');
    await assign(s, admin, t1.id, w.id);
    await assign(s, admin, t1.id, w2.id);
    await assign(s, admin, t2.id, w.id);
    const c = (await checkIn(s, w.token, t1.id)).body;
    // Bad check-out input: clear errors, the check-in stays open.
    assertProblem(await checkOut(s, w.token, c.id, 'finished'), 400, 'invalid_status', 'status');
    assertProblem(await s.api(`/v1/checkins/${c.id}/checkout`, { method: 'POST', token: w.token, body: {} }), 400, 'missing_field', 'status');
    assertProblem(await checkOut(s, w.token, c.id, 'paused', 'x'.repeat(2001)), 400, 'invalid_note', 'note');
    assertProblem(await checkOut(s, w.token, 'chk_nobody'), 404, 'checkin_not_found');
    // Another worker can neither see nor close it.
    assertProblem(await checkOut(s, w2.token, c.id), 404, 'checkin_not_found');
    assertProblem(await s.api(`/v1/checkins?user_id=${w.id}`, { token: w2.token }), 403, 'permission_denied');
    assert.equal((await openCheckins(s, w.token)).length, 1);
    // w2 checks in too; w completes: the task is done for everyone, w2's check-in stays open.
    const c2 = (await checkIn(s, w2.token, t1.id)).body;
    const done = await checkOut(s, w.token, c.id, 'complete', 'all welded\nchecked');
    assert.equal(done.status, 200, JSON.stringify(done.body));
    assert.equal(done.body.task_completed, true);
    assert.equal(done.body.note, 'all welded\nchecked');
    const task = await s.api(`/v1/tasks/${t1.id}`, { token: admin });
    assert.equal(task.body.status, 'done');
    assert.equal(task.body.completed_by, w.id);
    assert.equal((await openCheckins(s, w2.token))[0].id, c2.id);
    assertProblem(await checkIn(s, w.token, t1.id), 409, 'task_done', 'task_id');
    assert.equal((await auditActions(s, admin, 'task.completed')).length, 1);
    // Done tasks leave the agenda unless asked for.
    assert.deepEqual((await s.api('/v1/me/tasks', { token: w.token })).body.items.map((t) => t.ref), ['OP-20']);
    assert.deepEqual((await s.api('/v1/me/tasks?status=all', { token: w.token })).body.items.map((t) => t.ref), ['OP-10', 'OP-20']);
    const e = await checkOut(s, w2.token, c2.id, 'error');
    assert.equal(e.body.status, 'error');
    assert.equal(e.body.task_completed, false);

    // An administrator (tasks.assign) checks someone in and out; a worker cannot.
    const forW = await checkIn(s, admin, t2.id, w.id);
    assert.equal(forW.status, 201, JSON.stringify(forW.body));
    assert.equal(forW.body.user_id, w.id);
    assertProblem(await checkIn(s, w2.token, t2.id, w.id), 403, 'permission_denied', 'user_id');
    assertProblem(await checkIn(s, admin, t2.id, w2.id), 403, 'task_not_visible', 'task_id');
    assertProblem(await checkIn(s, admin, t2.id, 'usr_nobody'), 404, 'user_not_found', 'user_id');
    assert.equal((await checkOut(s, admin, forW.body.id)).status, 200);
    const listed = await s.api(`/v1/checkins?user_id=${w.id}`, { token: admin });
    assert.equal(listed.body.items.length, 2);
    assert.ok(listed.body.items.every((x) => x.ended_at));

    // From the kiosk.
    const k = await kioskWorker(s, admin, 'B-100', GOOD_PINS[0]);
    await assign(s, admin, t2.id, k.id);
    const kc = await checkIn(s, k.token, t2.id);
    assert.equal(kc.status, 201, JSON.stringify(kc.body));
    assert.equal((await checkOut(s, k.token, kc.body.id, 'paused')).status, 200);
    const page1 = await s.api('/v1/checkins?limit=1', { token: k.token });
    assert.equal(page1.body.items.length, 1);
    assert.ok(page1.body.next_cursor);
    const page2 = await s.api(`/v1/checkins?limit=1&cursor=${page1.body.next_cursor}`, { token: k.token });
    assert.equal(page2.body.items.length, 0);
    assertProblem(await s.api('/v1/checkins?cursor=junk', { token: k.token }), 400, 'invalid_cursor', 'cursor');
    assertProblem(await s.api('/v1/checkins?open=maybe', { token: k.token }), 400, 'invalid_filter', 'open');
  } finally {
    await s.stop();
  }
});
