// Display (device) accounts' sessions have their own policy (issue 22 item
// 4): a wall screen is not signed out after people's 30 idle minutes, lasts
// the device lifetime in days, and users.manage ends one screen's session
// without touching the others. People's limits never clamp device sessions
// and the device policy never clamps people's. On the kiosk, a worker sees
// only their own time records.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, assertProblem, PASSWORD } from './lib.mjs';
import { kioskWorker, makeTask, assign, auditActions } from './shopfloor.mjs';

const me = (s, token) => s.api('/v1/me', { token });

test('device sessions: no idle timeout by default, lifetime in days, their own policy', async () => {
  const s = await startServer({ template: 'monitoring' });
  try {
    const admin = await s.login();
    const screen = await s.makeUser(admin, 'screen@acme.test', 'kiosk', 'Hall screen');
    const sue = await s.makeUser(admin, 'sue@acme.test', 'supervisor', 'Sue Supervisor');
    const mine = (await s.api('/v1/me/sessions', { token: screen.token })).body.items;
    assert.equal(mine.length, 1);
    assert.equal(mine[0].device, true);
    assert.equal(mine[0].idle_timeout_s, 0);
    const life = (Date.parse(mine[0].expires_at) - Date.parse(mine[0].created_at)) / 1000;
    assert.equal(life, 30 * 86400);
    const people = (await s.api('/v1/me/sessions', { token: sue.token })).body.items;
    assert.equal(people[0].device, false);
    assert.equal(people[0].idle_timeout_s, 1800);
    const org = (await s.api('/v1/org', { token: admin })).body.settings;
    assert.equal(org.device_idle_timeout_s, 0);
    assert.equal(org.device_session_max_days, 30);

    // Two idle hours: the person is signed out, the screen is not.
    await s.advance(2 * 3600);
    assertProblem(await me(s, sue.token), 401, 'session_expired');
    assert.equal((await me(s, screen.token)).status, 200);

    // The policy needs it.operations and sane values.
    const sue2 = await s.login('sue@acme.test', PASSWORD);
    assertProblem(await s.api('/v1/org', { method: 'PATCH', token: sue2, body: { device_idle_timeout_s: 600 } }), 403, 'permission_denied');
    const admin1 = await s.login();
    assertProblem(await s.api('/v1/org', { method: 'PATCH', token: admin1, body: { device_idle_timeout_s: 30 } }), 400, 'out_of_range', 'device_idle_timeout_s');
    assertProblem(await s.api('/v1/org', { method: 'PATCH', token: admin1, body: { device_session_max_days: 0 } }), 400, 'out_of_range', 'device_session_max_days');
    assertProblem(await s.api('/v1/org', { method: 'PATCH', token: admin1, body: { device_session_max_days: 366 } }), 400, 'out_of_range', 'device_session_max_days');
    assert.equal((await s.api('/v1/org', { token: admin1 })).body.settings.device_session_max_days, 30);

    // People's shorter limits leave device sessions alone.
    const p = await s.api('/v1/org', { method: 'PATCH', token: admin1, body: { session_idle_timeout_s: 60, session_max_lifetime_s: 300 } });
    assert.equal(p.status, 200, JSON.stringify(p.body));
    assert.equal((await s.api('/v1/me/sessions', { token: screen.token })).body.items[0].idle_timeout_s, 0);
    await s.advance(600);
    assert.equal((await me(s, screen.token)).status, 200);

    // A device idle timeout applies to the open device sessions at once, and not to people's.
    const admin2 = await s.login();
    assert.equal((await s.api('/v1/org', { method: 'PATCH', token: admin2, body: { session_idle_timeout_s: 1800, session_max_lifetime_s: 43200 } })).status, 200);
    const admin3 = await s.login();
    const d = await s.api('/v1/org', { method: 'PATCH', token: admin3, body: { device_idle_timeout_s: 900, device_session_max_days: 2 } });
    assert.equal(d.status, 200, JSON.stringify(d.body));
    const after = (await s.api('/v1/me/sessions', { token: screen.token })).body.items[0];
    assert.equal(after.idle_timeout_s, 900);
    assert.ok(Date.parse(after.expires_at) - Date.parse(after.created_at) <= 2 * 86400 * 1000);
    assert.equal((await s.api('/v1/me/sessions', { token: admin3 })).body.items.find((x) => x.current).idle_timeout_s, 1800);
    const ev = (await auditActions(s, admin3, 'org.settings_changed')).at(0);
    assert.deepEqual(ev.detail, { device_idle_timeout_s: 900, device_session_max_s: 2 * 86400 });
    await s.advance(1000);
    assertProblem(await me(s, screen.token), 401, 'session_expired');

    // Back to no idle timeout: a new screen session lasts its 2 days, idle or not.
    const admin4 = await s.login();
    assert.equal((await s.api('/v1/org', { method: 'PATCH', token: admin4, body: { device_idle_timeout_s: 0 } })).status, 200);
    const wall = await s.login('screen@acme.test', PASSWORD);
    await s.advance(86400 + 3600);
    assert.equal((await me(s, wall)).status, 200);
    await s.advance(86400);
    assertProblem(await me(s, wall), 401, 'session_expired');
  } finally { await s.stop(); }
});

test('users.manage ends one screen\'s session and leaves the others; never someone above', async () => {
  const s = await startServer({ template: 'monitoring' });
  try {
    const admin = await s.login();
    const adminId = (await me(s, admin)).body.id;
    const screen = await s.makeUser(admin, 'screen@acme.test', 'kiosk', 'Hall screen');
    const second = await s.login('screen@acme.test', PASSWORD);
    const mgr = await s.makeUser(admin, 'mo@acme.test', 'manager', 'Mo Manager');
    const sue = await s.makeUser(admin, 'sue@acme.test', 'supervisor', 'Sue Supervisor');

    const list = await s.api(`/v1/users/${screen.id}/sessions`, { token: mgr.token });
    assert.equal(list.status, 200, JSON.stringify(list.body));
    assert.equal(list.body.items.length, 2);
    assert.ok(list.body.items.every((x) => x.device && !x.current));
    // Which session is the second screen's: the one the screen itself calls current.
    const secondId = (await s.api('/v1/me/sessions', { token: second })).body.items.find((x) => x.current).id;

    // Unhappy paths first: nothing ends.
    assertProblem(await s.api(`/v1/users/${screen.id}/sessions/ses_nope`, { method: 'DELETE', token: mgr.token }), 404, 'session_not_found');
    assertProblem(await s.api(`/v1/users/${sue.id}/sessions/${secondId}`, { method: 'DELETE', token: mgr.token }), 404, 'session_not_found');
    assertProblem(await s.api(`/v1/users/usr_nobody/sessions/${secondId}`, { method: 'DELETE', token: mgr.token }), 404, 'user_not_found');
    assertProblem(await s.api(`/v1/users/${screen.id}/sessions/${secondId}`, { method: 'DELETE', token: sue.token }), 403, 'permission_denied');
    assertProblem(await s.api(`/v1/users/${screen.id}/sessions/${secondId}`, { method: 'DELETE', token: screen.token }), 403, 'device_read_only');
    assertProblem(await s.api(`/v1/users/${screen.id}/sessions`, { token: sue.token }), 403, 'permission_denied');
    // The IT Admin is above the manager: their sessions are not the manager's to list or end.
    assertProblem(await s.api(`/v1/users/${adminId}/sessions`, { token: mgr.token }), 403, 'escalation');
    const adminSid = (await s.api('/v1/me/sessions', { token: admin })).body.items.find((x) => x.current).id;
    assertProblem(await s.api(`/v1/users/${adminId}/sessions/${adminSid}`, { method: 'DELETE', token: mgr.token }), 403, 'escalation');
    assert.equal((await me(s, admin)).status, 200);
    assert.equal((await me(s, second)).status, 200);

    const del = await s.api(`/v1/users/${screen.id}/sessions/${secondId}`, { method: 'DELETE', token: mgr.token });
    assert.equal(del.status, 204, JSON.stringify(del.body));
    assertProblem(await me(s, second), 401, 'unauthenticated');
    assert.equal((await me(s, screen.token)).status, 200);
    assert.equal((await s.api(`/v1/users/${screen.id}/sessions`, { token: mgr.token })).body.items.length, 1);
    const ev = (await auditActions(s, admin, 'user.session_revoked'));
    assert.equal(ev.length, 1);
    assert.equal(ev[0].target_id, screen.id);
    assert.deepEqual(ev[0].detail, { session_id: secondId });
    // Ending it again: gone.
    assertProblem(await s.api(`/v1/users/${screen.id}/sessions/${secondId}`, { method: 'DELETE', token: mgr.token }), 404, 'session_not_found');
  } finally { await s.stop(); }
});

test('kiosk: a worker sees only their own time records of the last 7 days', async () => {
  const s = await startServer();
  try {
    const admin = await s.login();
    assert.equal(s.cli(['org', 'seats', '--org', 'acme', '--factory', '5']).status, 0);
    const w = await kioskWorker(s, admin, 'K1');
    const other = await kioskWorker(s, admin, 'K2', '702615');
    const t = await makeTask(s, admin, 'T-1', { title: 'Weld frame' });
    await assign(s, admin, t.id, w.id);
    const c = await s.api('/v1/checkins', { method: 'POST', token: w.token, body: { task_id: t.id } });
    assert.equal(c.status, 201, JSON.stringify(c.body));
    await s.advance(100); // within the kiosk's idle timeout
    assert.equal((await s.api(`/v1/checkins/${c.body.id}/checkout`, { method: 'POST', token: w.token, body: { status: 'paused' } })).status, 200);
    const own = await s.api('/v1/timesheets', { token: w.token });
    assert.equal(own.status, 200, JSON.stringify(own.body));
    assert.ok(own.body.total_s >= 100 && own.body.total_s < 160, String(own.body.total_s));
    assert.equal(own.body.days.length >= 1, true);
    assert.equal(own.body.days.at(-1).tasks[0].ref, 'T-1');
    // Another worker's records are not theirs to see.
    const theirs = await s.api(`/v1/timesheets?user_id=${w.id}`, { token: other.token });
    assert.equal(theirs.status, 403, JSON.stringify(theirs.body));
    assert.equal((await s.api('/v1/timesheets', { token: other.token })).body.total_s, 0);
  } finally { await s.stop(); }
});
