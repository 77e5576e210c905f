// Time records: closed check-ins totalled per UTC day and task, a check-in
// across midnight split between the two days, open check-ins left out, and
// who may see whose time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, assertProblem } from './lib.mjs';
import { apiKey, makeTask, assign, serverNow, setOrg } from './shopfloor.mjs';

const DAY = 86400;
const date = (t) => new Date(t * 1000).toISOString().slice(0, 10);
const secs = (iso) => Date.parse(iso) / 1000;

test('timesheet totals per UTC day and task, split at midnight', async () => {
  const s = await startServer();
  try {
    // Sessions that outlive the clock jumps below.
    await setOrg(s, await s.login(), { session_idle_timeout_s: 30 * DAY, session_max_lifetime_s: 90 * DAY });
    const admin = await s.login();
    const w = await s.makeUser(admin, 'worker@acme.test', 'user');
    const t1 = await makeTask(s, admin, 'OP-10');
    const t2 = await makeTask(s, admin, 'OP-20');
    await assign(s, admin, t1.id, w.id);
    await assign(s, admin, t2.id, w.id);

    // Move the clock to 23:30 UTC.
    const now = await serverNow(s);
    let midnight = Math.floor(now / DAY) * DAY + DAY;
    if (midnight - 1800 - now < 5) midnight += DAY;
    await s.advance(midnight - 1800 - now);
    const c1 = await s.api('/v1/checkins', { method: 'POST', token: w.token, body: { task_id: t1.id } });
    assert.equal(c1.status, 201, JSON.stringify(c1.body));
    await s.advance(3600);
    const o1 = await s.api(`/v1/checkins/${c1.body.id}/checkout`, { method: 'POST', token: w.token, body: { status: 'paused' } });
    assert.equal(o1.status, 200);
    const start1 = secs(o1.body.started_at), end1 = secs(o1.body.ended_at);
    assert.ok(start1 < midnight && end1 > midnight, 'the check-in spans midnight');
    assert.equal(o1.body.duration_s, end1 - start1);

    const c2 = await s.api('/v1/checkins', { method: 'POST', token: w.token, body: { task_id: t2.id } });
    await s.advance(600);
    const o2 = await s.api(`/v1/checkins/${c2.body.id}/checkout`, { method: 'POST', token: w.token, body: { status: 'complete' } });
    const d2 = secs(o2.body.ended_at) - secs(o2.body.started_at);
    assert.ok(d2 >= 600);
    // An open check-in is no time record (yet).
    assert.equal((await s.api('/v1/checkins', { method: 'POST', token: w.token, body: { task_id: t1.id } })).status, 201);
    await s.advance(900);

    const day1 = date(midnight - DAY), day2 = date(midnight);
    const r = await s.api(`/v1/timesheets?from=${day1}&to=${day2}`, { token: w.token });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.user_id, w.id);
    assert.equal(r.body.from, `${day1}T00:00:00Z`);
    assert.equal(r.body.to, `${date(midnight + DAY)}T00:00:00Z`);
    assert.deepEqual(r.body.days.map((d) => d.date), [day1, day2]);
    const [a, b] = r.body.days;
    assert.equal(a.total_s, midnight - start1);
    assert.deepEqual(a.tasks.map((t) => [t.ref, t.seconds]), [['OP-10', midnight - start1]]);
    assert.equal(b.total_s, end1 - midnight + d2);
    assert.deepEqual(b.tasks.map((t) => [t.ref, t.seconds]), [['OP-10', end1 - midnight], ['OP-20', d2]]);
    assert.equal(r.body.total_s, end1 - start1 + d2);
    assert.deepEqual(r.body.tasks.map((t) => [t.task_id, t.seconds]), [[t1.id, end1 - start1], [t2.id, d2]]);

    // Only the second day: the part after midnight.
    const only2 = await s.api(`/v1/timesheets?from=${day2}&to=${day2}`, { token: w.token });
    assert.deepEqual(only2.body.days.map((d) => [d.date, d.total_s]), [[day2, end1 - midnight + d2]]);
    // RFC 3339 bounds clip exactly.
    const clip = await s.api(`/v1/timesheets?from=${encodeURIComponent(new Date((midnight - 600) * 1000).toISOString())}`
      + `&to=${encodeURIComponent(new Date((midnight + 60) * 1000).toISOString())}`, { token: w.token });
    assert.equal(clip.body.total_s, 660);
    // Defaults: the last 7 days up to the end of today, which includes all of it.
    const dflt = await s.api('/v1/timesheets', { token: w.token });
    assert.equal(dflt.body.total_s, r.body.total_s);

    // Whose time: one's own; others' with users.view or tasks.assign; API keys name the user.
    const admins = await s.api(`/v1/timesheets?user_id=${w.id}&from=${day1}&to=${day2}`, { token: admin });
    assert.deepEqual(admins.body, r.body);
    const other = await s.makeUser(admin, 'other@acme.test', 'user');
    assertProblem(await s.api(`/v1/timesheets?user_id=${w.id}`, { token: other.token }), 403, 'permission_denied');
    assert.equal((await s.api(`/v1/timesheets?user_id=${other.id}`, { token: other.token })).body.total_s, 0);
    const key = await apiKey(s, admin);
    assert.equal((await s.api(`/v1/timesheets?user_id=${w.id}&from=${day1}&to=${day2}`, { token: key })).body.total_s,
      r.body.total_s);
    assertProblem(await s.api('/v1/timesheets', { token: key }), 400, 'missing_field', 'user_id');
    assertProblem(await s.api('/v1/timesheets?user_id=usr_nobody', { token: admin }), 404, 'user_not_found', 'user_id');
    // Bad ranges.
    assertProblem(await s.api(`/v1/timesheets?from=${day2}&to=${day1}`, { token: w.token }), 400, 'invalid_range', 'to');
    assertProblem(await s.api('/v1/timesheets?from=yesterday', { token: w.token }), 400, 'invalid_time', 'from');
    assertProblem(await s.api('/v1/timesheets?from=2020-01-01&to=2022-01-01', { token: w.token }), 400, 'invalid_range', 'to');
  } finally {
    await s.stop();
  }
});
