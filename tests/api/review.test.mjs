// Findings of the review of issues 11 and 12 (a second pair of eyes on the
// merged guard, throttles and write paths). Each test here failed on the
// merged main before its fix.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { startServer, assertProblem, PASSWORD } from './lib.mjs';

/** Waits for cond() (polled every 10 ms); fails with why() after ms (only stops a hang). */
async function waitFor(cond, ms, why = () => 'timed out') {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) assert.fail(why());
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * Sends request() while another process (the sqlite3 CLI) holds the write
 * lock with `sql` pending, and commits `sql` once the server has logged that
 * the request waits for the lock: the dispatcher and the handler had let it
 * through on the snapshot, which could not see the change yet.
 */
async function raced(s, sql, request) {
  const p = spawn('sqlite3', [s.db], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  p.stdout.on('data', (d) => { out += d; });
  p.stderr.on('data', (d) => { err += d; });
  const exited = new Promise((res) => p.on('exit', res));
  try {
    p.stdin.write(`.timeout 20000\nBEGIN IMMEDIATE;\n${sql}\nSELECT 'held';\n`);
    await waitFor(() => out.includes('held') || p.exitCode !== null, 20000, () => `sqlite3 never held the lock: ${err}`);
    assert.ok(out.includes('held'), err);
    const from = s.log().length;
    const answer = request();
    await waitFor(() => s.log().slice(from).includes('database_busy_wait'), 20000,
      () => `the request never waited for the lock:\n${s.log().slice(from)}`);
    p.stdin.write("COMMIT;\nSELECT 'committed';\n");
    await waitFor(() => out.includes('committed'), 20000, () => `sqlite3 did not commit: ${err}`);
    assert.equal(err, '');
    return await answer;
  } finally {
    p.stdin.end();
    await exited;
  }
}

test('views: losing dashboards.manage_any while a change waits for the lock wins over the change', async (t) => {
  const s = await startServer({ template: 'monitoring' });
  try {
    const admin = await s.login();
    const mgr = await s.makeUser(admin, 'mo@acme.test', 'manager', 'Mo Manager');
    const created = await s.api('/v1/views', { method: 'POST', token: mgr.token,
      body: { name: 'Line 1', kind: 'dashboard', config: { widgets: [] } } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const id = created.body.id;
    const demote = (u) => `UPDATE users SET role_key = 'manager' WHERE id = '${u}';`;
    const unchanged = async () => {
      const v = await s.api(`/v1/views/${id}`, { token: mgr.token });
      assert.equal(v.status, 200, JSON.stringify(v.body));
      assert.equal(v.body.name, 'Line 1');
    };

    await t.test('PATCH another person\'s view', async () => {
      const it = await s.makeUser(admin, 'ian@acme.test', 'it-admin', 'Ian IT');
      // Holding manage_any, the IT Admin may rename it ...
      assert.equal((await s.api(`/v1/views/${id}`, { token: it.token })).body.access.editable, true);
      // ... but not once demoted to Manager (who cannot see someone else's unshared view).
      const r = await raced(s, demote(it.id),
        () => s.api(`/v1/views/${id}`, { method: 'PATCH', token: it.token, body: { name: 'Renamed' } }));
      assertProblem(r, 404, 'view_not_found');
      await unchanged();
    });

    await t.test('DELETE another person\'s view', async () => {
      const it = await s.makeUser(admin, 'ivy@acme.test', 'it-admin', 'Ivy IT');
      const r = await raced(s, demote(it.id), () => s.api(`/v1/views/${id}`, { method: 'DELETE', token: it.token }));
      assertProblem(r, 404, 'view_not_found');
      await unchanged();
    });

    await t.test('PUT shares of another person\'s view', async () => {
      const it = await s.makeUser(admin, 'isa@acme.test', 'it-admin', 'Isa IT');
      const g = await s.api('/v1/groups', { method: 'POST', token: admin, body: { name: 'Line crew' } });
      assert.equal(g.status, 201);
      assert.equal((await s.api(`/v1/groups/${g.body.id}/members/${it.id}`, { method: 'PUT', token: admin })).status, 204);
      const r = await raced(s, demote(it.id),
        () => s.api(`/v1/views/${id}/shares`, { method: 'PUT', token: it.token, body: { group_ids: [g.body.id] } }));
      assertProblem(r, 404, 'view_not_found');
      const v = await s.api(`/v1/views/${id}`, { token: mgr.token });
      assert.deepEqual(v.body.shared_with, []);
    });

    await t.test('PATCH own view after losing dashboards.manage', async () => {
      const own = await s.makeUser(admin, 'oli@acme.test', 'manager', 'Oli Manager');
      const v = await s.api('/v1/views', { method: 'POST', token: own.token,
        body: { name: 'Mine', kind: 'dashboard', config: {} } });
      assert.equal(v.status, 201);
      const r = await raced(s, `UPDATE users SET role_key = 'supervisor' WHERE id = '${own.id}';`,
        () => s.api(`/v1/views/${v.body.id}`, { method: 'PATCH', token: own.token, body: { name: 'Changed' } }));
      assertProblem(r, 403, 'permission_denied');
      assert.equal((await s.api(`/v1/views/${v.body.id}`, { token: own.token })).body.name, 'Mine');
    });
  } finally {
    await s.stop();
  }
});

test('roles: a Manager cannot strip permissions from a role that gives more than it holds (the IT Admin\'s)', async () => {
  const s = await startServer({ template: 'monitoring' });
  try {
    const admin = await s.login();
    const mgr = await s.makeUser(admin, 'mo@acme.test', 'manager', 'Mo Manager');
    const role = await s.api('/v1/roles/it-admin', { token: admin });
    assert.equal(role.status, 200, JSON.stringify(role.body));
    const perms = role.body.permissions;
    assert.ok(perms.includes('it.operations'));
    // Taking it.operations (held by nobody else) away from the only role that
    // gives it would leave it unreachable: nobody could ever give it again.
    const r = await s.api('/v1/roles/it-admin', { method: 'PATCH', token: mgr.token,
      body: { permissions: perms.filter((p) => p !== 'it.operations') } });
    assertProblem(r, 403, 'escalation');
    assert.deepEqual([...r.body.missing].sort(), ['dashboards.manage_any', 'erp.manage', 'it.operations']);
    const r2 = await s.api('/v1/roles/it-admin', { method: 'PATCH', token: mgr.token, body: { permissions: ['users.view'] } });
    assertProblem(r2, 403, 'escalation');
    assert.deepEqual((await s.api('/v1/roles/it-admin', { token: admin })).body.permissions, perms, 'unchanged');
    assert.equal((await s.api('/v1/kiosk-devices', { token: admin })).status, 200, 'the IT Admin keeps it.operations');
    // A role within the Manager's reach can still be trimmed, and the IT Admin may trim any.
    const sup = await s.api('/v1/roles/supervisor', { method: 'PATCH', token: mgr.token, body: { permissions: ['reports.download'] } });
    assert.equal(sup.status, 200, JSON.stringify(sup.body));
    const exec = await s.api('/v1/roles/executive', { method: 'PATCH', token: admin, body: { permissions: ['users.view'] } });
    assert.equal(exec.status, 200, JSON.stringify(exec.body));
  } finally {
    await s.stop();
  }
});

test('changing one\'s own e-mail re-authenticates, through the sign-in throttle (a stolen session cannot take the account over)', async () => {
  const s = await startServer();
  try {
    const admin = await s.login();
    const me = (await s.api('/v1/me', { token: admin })).body;
    const mails = () => s.outbox().length;
    const before = mails();
    const patch = (body) => s.api(`/v1/users/${me.id}`, { method: 'PATCH', token: admin, body });
    // Without the password: refused, nothing changed, no mail.
    assertProblem(await patch({ email: 'thief@evil.test' }), 400, 'current_password_required', 'current_password');
    // A wrong password: refused and audited; guesses are throttled like sign-in.
    assertProblem(await patch({ email: 'thief@evil.test', current_password: 'wrong password 1' }), 403,
      'invalid_current_password', 'current_password');
    let throttled = null;
    for (let i = 0; i < 10 && !throttled; i++) {
      const r = await patch({ email: 'thief@evil.test', current_password: `wrong password ${i + 2}` });
      if (r.status === 429) throttled = r;
      else assertProblem(r, 403, 'invalid_current_password', 'current_password');
    }
    assert.ok(throttled, 'wrong current passwords were never throttled');
    assertProblem(throttled, 429, 'too_many_attempts');
    assert.ok(Number(throttled.headers.get('retry-after')) >= 1);
    const mine = await s.api(`/v1/users/${me.id}`, { token: admin });
    assert.equal(mine.body.email, me.email, 'the e-mail is unchanged');
    assert.equal(mails(), before, 'no verification mail was sent');
    const audit = (await s.api('/v1/audit?limit=500', { token: admin })).body.items;
    assert.ok(audit.some((e) => e.action === 'auth.reauth_failed'), 'wrong passwords are audited');
    assert.ok(!audit.some((e) => e.action === 'user.updated'), 'nothing was updated');

    // Once the pause is over, the right password changes it.
    await s.advance(Number(throttled.headers.get('retry-after')) + 1);
    const ok = await patch({ email: 'ada2@acme.test', current_password: PASSWORD });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal(ok.body.email, 'ada2@acme.test');
    // The same address in another case, or other fields, need no password.
    assert.equal((await patch({ email: 'ADA2@acme.test' })).status, 200);
    // An administrator changing someone else's address is not asked for theirs.
    const bob = await s.makeUser(admin, 'bob@acme.test', 'user', 'Bob');
    const other = await s.api(`/v1/users/${bob.id}`, { method: 'PATCH', token: admin, body: { email: 'bob2@acme.test' } });
    assert.equal(other.status, 200, JSON.stringify(other.body));
  } finally {
    await s.stop();
  }
});

test('check-in for someone else: a worker who lost tasks.work while the check-in waited for the lock is not checked in', async () => {
  const s = await startServer({ template: 'monitoring' });
  try {
    const admin = await s.login();
    const sup = await s.makeUser(admin, 'sue@acme.test', 'supervisor', 'Sue Supervisor');
    const wes = await s.makeUser(admin, 'wes@acme.test', 'supervisor', 'Wes Worker');
    const task = await s.api('/v1/tasks', { method: 'POST', token: admin, body: { ref: 'OP-1', title: 'Weld' } });
    assert.equal(task.status, 201, JSON.stringify(task.body));
    assert.equal((await s.api(`/v1/tasks/${task.body.id}/assignees/${wes.id}`, { method: 'PUT', token: admin })).status, 204);
    const r = await raced(s, `UPDATE users SET role_key = 'kiosk' WHERE id = '${wes.id}';`,
      () => s.api('/v1/checkins', { method: 'POST', token: sup.token, body: { task_id: task.body.id, user_id: wes.id } }));
    assertProblem(r, 409, 'worker_not_permitted', 'user_id');
    const open = await s.api(`/v1/checkins?user_id=${wes.id}`, { token: admin });
    assert.equal(open.status, 200, JSON.stringify(open.body));
    assert.deepEqual(open.body.items, [], 'no time record was opened');
  } finally {
    await s.stop();
  }
});

test('invitations: a deleted inviter no longer vouches for their pending invitations', async () => {
  const s = await startServer({ template: 'monitoring' });
  try {
    const admin = await s.login();
    const mgr = await s.makeUser(admin, 'mo@acme.test', 'manager', 'Mo Manager');
    const inv = await s.api('/v1/invites', { method: 'POST', token: mgr.token, body: { emails: ['nia@acme.test'], role: 'manager' } });
    assert.ok(inv.status === 200 || inv.status === 201 || inv.status === 207, JSON.stringify(inv.body));
    const token = s.lastToken('nia@acme.test', 'invite');
    // Deleting the inviter (ON DELETE SET NULL) used to turn the invitation
    // into one "from the operator", which acceptance does not limit.
    assert.equal((await s.api(`/v1/users/${mgr.id}`, { method: 'DELETE', token: admin })).status, 204);
    const acc = await s.api('/v1/invites/accept', { method: 'POST', body: { token, name: 'Nia', password: PASSWORD } });
    assert.notEqual(acc.status, 200, JSON.stringify(acc.body));
    assertProblem(acc, 410, 'invite_cancelled', 'token');
    assert.ok(!(await s.api('/v1/users?limit=200', { token: admin })).body.items.some((u) => u.email === 'nia@acme.test'));
    const pending = (await s.api('/v1/invites?limit=200', { token: admin })).body.items
      .filter((v) => v.email === 'nia@acme.test' && v.status === 'pending');
    assert.deepEqual(pending, [], 'no longer pending');
    const audit = (await s.api('/v1/audit?limit=500', { token: admin })).body.items;
    const del = audit.find((e) => e.action === 'user.deleted');
    assert.equal(del.detail.invites_cancelled, 1, JSON.stringify(del));
  } finally {
    await s.stop();
  }
});
