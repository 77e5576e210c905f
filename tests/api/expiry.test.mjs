// Temporary and seasonal workers (003, issue 22): an account's expiry date
// and a scheduled lock and unlock, applied by the sweep with audit rows. The
// clock is moved with --test-clock; the sweep runs in the server's poller, so
// the tests wait for its result (a generous ceiling, not a deadline).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { startServer, assertProblem, PASSWORD } from './lib.mjs';
import { kioskWorker, kioskLogin, makeTask, assign, GOOD_PINS } from './shopfloor.mjs';

const DAY = 86400;

async function now(s) {
  const r = await s.api('/v1/test/clock', { method: 'POST', body: { advance_s: 0 } });
  assert.equal(r.status, 200);
  return Date.parse(r.body.now) / 1000;
}
const iso = (t) => new Date(t * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');

async function user(s, admin, id) {
  const r = await s.api(`/v1/users/${id}`, { token: admin });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body;
}

/** Polls until pred(user) holds (the sweep runs in the background). */
async function waitUser(s, admin, id, pred, what) {
  for (let i = 0; ; i++) {
    const u = await user(s, admin, id);
    if (pred(u)) return u;
    assert.ok(i < 600, `the sweep did not ${what}: ${JSON.stringify(u)}`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

async function audit(s, admin, action) {
  const r = await s.api(`/v1/audit?action=${action}&limit=100`, { token: admin });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.items;
}

function patch(s, admin, id, body) {
  return s.api(`/v1/users/${id}`, { method: 'PATCH', token: admin, body });
}

test('an expired worker cannot sign in at the kiosk, is locked by the sweep, audited, and holds no seat', async () => {
  const s = await startServer();
  try {
    const admin = await s.login();
    const w = await kioskWorker(s, admin, 'T-100', GOOD_PINS[0]);
    const t0 = await now(s);
    const set = await patch(s, admin, w.id, { expires_at: iso(t0 + 120) });
    assert.equal(set.status, 200, JSON.stringify(set.body));
    assert.equal(set.body.expires_at, iso(t0 + 120));
    assert.equal(set.body.expired, false);
    const changed = (await audit(s, admin, 'user.updated')).find((e) => e.target_id === w.id && e.detail.expires_at);
    assert.deepEqual(changed.detail.expires_at, { from: null, to: iso(t0 + 120) });
    // Before the date: the worker signs in.
    assert.equal((await kioskLogin(s, w.badge, w.pin)).status, 200);

    // Seats: the org has room for this worker only; after expiry the seat is free.
    assert.equal(s.cli(['org', 'seats', '--org', 'acme', '--factory', '1', '--force']).status, 0);
    await s.advance(121);
    const u = await waitUser(s, admin, w.id, (x) => x.status === 'locked', 'lock the expired account');
    assert.equal(u.expired, true);
    assert.equal(u.expires_at, iso(t0 + 120));
    const ex = (await audit(s, admin, 'user.expired')).filter((e) => e.target_id === w.id);
    assert.equal(ex.length, 1);
    assert.equal(ex[0].actor_type, 'system');
    assert.equal(ex[0].detail.expires_at, iso(t0 + 120));
    assert.ok(ex[0].detail.sessions_ended >= 1, JSON.stringify(ex[0]));
    // The kiosk session ended with the lock; signing in is refused.
    assertProblem(await s.api('/v1/me', { token: w.token }), 401, 'unauthenticated');
    const again = await kioskLogin(s, w.badge, w.pin);
    assert.equal(again.status, 403, JSON.stringify(again.body));
    assert.ok(['account_locked', 'account_expired'].includes(again.body.code), again.body.code);
    // The seat it held is free: another worker can be created.
    const other = await s.api('/v1/users', { method: 'POST', token: admin, body: { name: 'Next Worker', badge: 'T-101', factory_access: true, role: 'user' } });
    assert.equal(other.status, 201, JSON.stringify(other.body));
    // Unlocking an expired account is refused until the date is extended...
    assertProblem(await s.api(`/v1/users/${w.id}/unlock`, { method: 'POST', token: admin }), 409, 'account_expired', 'expires_at');
    // ...and with a later date, a seat must be free (the other worker has it).
    const t1 = await now(s);
    const ext = await patch(s, admin, w.id, { expires_at: iso(t1 + 30 * DAY) });
    assert.equal(ext.status, 200, JSON.stringify(ext.body));
    assert.equal(ext.body.expired, false);
    assert.equal(ext.body.status, 'locked'); // extending does not unlock by itself
    assertProblem(await s.api(`/v1/users/${w.id}/unlock`, { method: 'POST', token: admin }), 409, 'seat_limit_reached');
    assert.equal(s.cli(['org', 'seats', '--org', 'acme', '--factory', '5']).status, 0);
    const un = await s.api(`/v1/users/${w.id}/unlock`, { method: 'POST', token: admin });
    assert.equal(un.status, 200, JSON.stringify(un.body));
    assert.equal((await kioskLogin(s, w.badge, w.pin)).status, 200);
  } finally {
    await s.stop();
  }
});

test('an expired account is refused at sign-in and check-in even before the sweep, and expiry clears', async () => {
  const s = await startServer();
  try {
    const admin = await s.login();
    const w = await kioskWorker(s, admin, 'T-200', GOOD_PINS[1]);
    const task = await makeTask(s, admin, 'OP-1');
    await assign(s, admin, task.id, w.id);
    const office = await s.makeUser(admin, 'temp@acme.test', 'user');
    const t0 = await now(s);
    assert.equal((await patch(s, admin, office.id, { expires_at: iso(t0 + 60) })).status, 200);
    assert.equal((await patch(s, admin, w.id, { expires_at: iso(t0 + 60) })).status, 200);
    // Clearing and setting again is audited as a change.
    const cleared = await patch(s, admin, w.id, { expires_at: null });
    assert.equal(cleared.status, 200);
    assert.equal(cleared.body.expires_at, null);
    assert.equal((await patch(s, admin, w.id, { expires_at: iso(t0 + 60) })).status, 200);
    await s.advance(61);
    // Refused whether or not the sweep has run yet (the row's date decides).
    const l = await s.api('/v1/auth/login', { method: 'POST', body: { email: 'temp@acme.test', password: PASSWORD } });
    assert.equal(l.status, 403, JSON.stringify(l.body));
    assert.ok(['account_locked', 'account_expired'].includes(l.body.code), l.body.code);
    const ci = await s.api('/v1/checkins', { method: 'POST', token: admin, body: { task_id: task.id, user_id: w.id } });
    assert.equal(ci.status, 409, JSON.stringify(ci.body));
    assert.ok(['user_locked', 'user_expired'].includes(ci.body.code), ci.body.code);
    await waitUser(s, admin, office.id, (x) => x.status === 'locked', 'lock the expired office account');
    await waitUser(s, admin, w.id, (x) => x.status === 'locked', 'lock the expired worker');
    // The list shows them expired.
    const list = (await s.api('/v1/users?limit=200', { token: admin })).body.items;
    assert.equal(list.find((x) => x.id === w.id).expired, true);
    assert.equal(list.find((x) => x.id === office.id).expired, true);
    // Clearing the date and unlocking in one change brings the person back.
    const back = await patch(s, admin, office.id, { expires_at: null });
    assert.equal(back.status, 200);
    assert.equal(back.body.expired, false);
    assert.equal((await s.api(`/v1/users/${office.id}/unlock`, { method: 'POST', token: admin })).status, 200);
    assert.equal((await s.api('/v1/auth/login', { method: 'POST', body: { email: 'temp@acme.test', password: PASSWORD } })).status, 200);
  } finally {
    await s.stop();
  }
});

test('a scheduled lock and unlock are applied by the sweep, audited and cleared', async () => {
  const s = await startServer();
  try {
    let admin = await s.login();
    const w = await kioskWorker(s, admin, 'S-300', GOOD_PINS[2]);
    const t0 = await now(s);
    const r = await patch(s, admin, w.id, { lock_at: iso(t0 + 10 * DAY), unlock_at: iso(t0 + 100 * DAY) });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.lock_at, iso(t0 + 10 * DAY));
    assert.equal(r.body.unlock_at, iso(t0 + 100 * DAY));
    assert.equal(r.body.status, 'active');

    await s.advance(10 * DAY);
    admin = await s.login(); // the clock moved past the session's lifetime
    const locked = await waitUser(s, admin, w.id, (x) => x.status === 'locked', 'apply the scheduled lock');
    assert.equal(locked.lock_at, null);
    assert.equal(locked.unlock_at, iso(t0 + 100 * DAY));
    const la = (await audit(s, admin, 'user.locked')).filter((e) => e.target_id === w.id);
    assert.equal(la.length, 1);
    assert.equal(la[0].actor_type, 'system');
    assert.equal(la[0].detail.scheduled, true);
    assert.equal(la[0].detail.at, iso(t0 + 10 * DAY));
    assert.equal((await kioskLogin(s, w.badge, w.pin)).status, 403);

    await s.advance(90 * DAY);
    admin = await s.login();
    const active = await waitUser(s, admin, w.id, (x) => x.status === 'active', 'apply the scheduled unlock');
    assert.equal(active.unlock_at, null);
    const ua = (await audit(s, admin, 'user.unlocked')).filter((e) => e.target_id === w.id);
    assert.equal(ua.length, 1);
    assert.equal(ua[0].detail.scheduled, true);
    assert.equal((await kioskLogin(s, w.badge, w.pin)).status, 200);
  } finally {
    await s.stop();
  }
});

test('a scheduled unlock the rules refuse is spent and audited as skipped; the last admin is never locked by schedule', async () => {
  const s = await startServer();
  try {
    let admin = await s.login();
    const me = (await s.api('/v1/me', { token: admin })).body;
    const w = await kioskWorker(s, admin, 'S-400', GOOD_PINS[3]);
    assert.equal((await s.api(`/v1/users/${w.id}/lock`, { method: 'POST', token: admin })).status, 200);
    const t0 = await now(s);
    assert.equal((await patch(s, admin, w.id, { unlock_at: iso(t0 + DAY) })).status, 200);
    // No free factory seat when the date comes: another worker took it.
    assert.equal(s.cli(['org', 'seats', '--org', 'acme', '--factory', '1', '--force']).status, 0);
    assert.equal((await s.api('/v1/users', { method: 'POST', token: admin, body: { name: 'Seat Taker', badge: 'S-401', factory_access: true, role: 'user' } })).status, 201);
    // The last administrator's scheduled lock is refused by the lockout rule.
    assert.equal((await patch(s, admin, me.id, { lock_at: iso(t0 + DAY) })).status, 200);
    await s.advance(DAY);
    admin = await s.login();
    const u = await waitUser(s, admin, w.id, (x) => x.unlock_at === null, 'spend the refused unlock');
    assert.equal(u.status, 'locked');
    const me2 = await waitUser(s, admin, me.id, (x) => x.lock_at === null, 'spend the refused lock');
    assert.equal(me2.status, 'active');
    const skipped = await audit(s, admin, 'user.schedule_skipped');
    const sw = skipped.find((e) => e.target_id === w.id);
    assert.equal(sw.detail.what, 'unlock');
    assert.equal(sw.detail.reason, 'seat_limit_reached');
    const sa = skipped.find((e) => e.target_id === me.id);
    assert.equal(sa.detail.what, 'lock');
    assert.equal(sa.detail.reason, 'last_admin');
    assert.equal((await s.api('/v1/me', { token: admin })).status, 200);
  } finally {
    await s.stop();
  }
});

test('bad dates are refused all at once and change nothing; bulk schedule applies to many', async () => {
  const s = await startServer();
  try {
    const admin = await s.login();
    const a = await kioskWorker(s, admin, 'B-1', GOOD_PINS[0]);
    const b = await kioskWorker(s, admin, 'B-2', GOOD_PINS[1]);
    const t0 = await now(s);
    const before = await user(s, admin, a.id);
    let r = await patch(s, admin, a.id, { expires_at: 'next week', lock_at: 5, unlock_at: '2026-13-45T99:00:00Z' });
    assert.equal(r.status, 400, JSON.stringify(r.body));
    r = await patch(s, admin, a.id, { expires_at: 'next week', unlock_at: '2026-13-45T99:00:00Z' });
    assert.equal(r.status, 400, JSON.stringify(r.body));
    assert.deepEqual(r.body.errors.map((e) => [e.field, e.code]).sort(), [['expires_at', 'invalid_time'], ['unlock_at', 'invalid_time']]);
    for (const e of r.body.errors) assert.match(e.detail, /^[A-Z]/);
    r = await patch(s, admin, a.id, { expires_at: iso(t0 - 60), lock_at: iso(t0 - 1) });
    assert.equal(r.status, 400, JSON.stringify(r.body));
    assert.deepEqual(r.body.errors.map((e) => [e.field, e.code]).sort(), [['expires_at', 'date_in_past'], ['lock_at', 'date_in_past']]);
    assertProblem(await patch(s, admin, a.id, { expires_at: iso(t0 + DAY), unlock_at: iso(t0 + 2 * DAY) }), 400, 'unlock_after_expiry', 'unlock_at');
    assertProblem(await patch(s, admin, a.id, { lock_at: iso(t0 + DAY), unlock_at: iso(t0 + DAY) }), 400, 'lock_unlock_same_time', 'unlock_at');
    assert.deepEqual(await user(s, admin, a.id), before);

    // Bulk: schedule needs a date, and dates belong to schedule only.
    assertProblem(await s.api('/v1/users/bulk', { method: 'POST', token: admin, body: { action: 'schedule', ids: [a.id] } }), 400, 'missing_field', 'expires_at');
    assertProblem(await s.api('/v1/users/bulk', { method: 'POST', token: admin, body: { action: 'lock', ids: [a.id], lock_at: iso(t0 + DAY) } }), 400, 'unknown_field', 'expires_at');
    const bulk = await s.api('/v1/users/bulk', { method: 'POST', token: admin, body: { action: 'schedule', ids: [a.id, b.id, 'u_nope'], expires_at: iso(t0 + 7 * DAY), lock_at: iso(t0 + 3 * DAY) } });
    assert.equal(bulk.status, 200, JSON.stringify(bulk.body));
    assert.equal(bulk.body.done, 2);
    assert.equal(bulk.body.failed, 1);
    assert.equal(bulk.body.results[2].code, 'user_not_found');
    for (const id of [a.id, b.id]) {
      const u = await user(s, admin, id);
      assert.equal(u.expires_at, iso(t0 + 7 * DAY));
      assert.equal(u.lock_at, iso(t0 + 3 * DAY));
    }
    // Only users.manage sets dates.
    const plain = await s.makeUser(admin, 'plain@acme.test', 'user');
    const denied = await patch(s, plain.token, a.id, { expires_at: iso(t0 + DAY) });
    assert.equal(denied.status, 403, JSON.stringify(denied.body));
  } finally {
    await s.stop();
  }
});

test('a temporary worker is created with an expiry date; a past or malformed one is refused with the other mistakes', async () => {
  const s = await startServer();
  try {
    const admin = await s.login();
    const t0 = await now(s);
    const c = await s.api('/v1/users', { method: 'POST', token: admin, body: { name: 'Summer Help', badge: 'SUM-1', factory_access: true, role: 'user', expires_at: iso(t0 + 90 * DAY) } });
    assert.equal(c.status, 201, JSON.stringify(c.body));
    assert.equal(c.body.expires_at, iso(t0 + 90 * DAY));
    assert.equal(c.body.expired, false);
    const bad = await s.api('/v1/users', { method: 'POST', token: admin, body: { name: ' ', badge: 'SUM-2', factory_access: true, role: 'user', expires_at: iso(t0 - DAY) } });
    assert.equal(bad.status, 400, JSON.stringify(bad.body));
    const fields = bad.body.errors.map((e) => [e.field, e.code]);
    assert.ok(fields.some(([f, code]) => f === 'expires_at' && code === 'date_in_past'), JSON.stringify(fields));
    assert.ok(fields.some(([f]) => f === 'name'), JSON.stringify(fields));
    assertProblem(await s.api('/v1/users', { method: 'POST', token: admin, body: { name: 'X', badge: 'SUM-3', factory_access: true, role: 'user', expires_at: 'soon' } }), 400, 'invalid_time', 'expires_at');
    const list = (await s.api('/v1/users?q=SUM', { token: admin })).body.items;
    assert.deepEqual(list.map((u) => u.badge), ['SUM-1']);
  } finally {
    await s.stop();
  }
});

test('the sweep\'s lock of an expired account is a user.locked webhook event', async () => {
  const got = [];
  const srv = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => { got.push(JSON.parse(body)); res.writeHead(200); res.end('ok'); });
  });
  await new Promise((res) => srv.listen(0, '127.0.0.1', res));
  const s = await startServer();
  try {
    const admin = await s.login();
    const h = await s.api('/v1/webhooks', { method: 'POST', token: admin, body: { url: `http://127.0.0.1:${srv.address().port}/hook`, events: ['user.locked'] } });
    assert.equal(h.status, 201, JSON.stringify(h.body));
    const w = await kioskWorker(s, admin, 'WH-1', GOOD_PINS[4]);
    const t0 = await now(s);
    assert.equal((await patch(s, admin, w.id, { expires_at: iso(t0 + 60) })).status, 200);
    await s.advance(61);
    for (let i = 0; !got.some((e) => e.type === 'user.locked'); i++) {
      assert.ok(i < 600, `no user.locked event arrived: ${JSON.stringify(got)}`);
      await new Promise((res) => setTimeout(res, 50));
    }
    const ev = got.find((e) => e.type === 'user.locked');
    assert.equal(ev.data.target.id, w.id);
    const trail = (await audit(s, admin, 'user.expired')).filter((e) => e.target_id === w.id);
    assert.equal(ev.data.event_id, trail[0].id);
  } finally {
    await s.stop();
    srv.closeAllConnections?.();
    await new Promise((res) => srv.close(res));
  }
});
