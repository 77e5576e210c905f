// Activity data (000): the embedding product reports form submissions, order
// events and asset events; check-ins are recorded automatically; managers
// read a person's events and per-day counts by type.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, assertProblem } from './lib.mjs';
import { apiKey, makeTask, assign, serverNow } from './shopfloor.mjs';

const DAY = 86400;
const iso = (t) => new Date(t * 1000).toISOString().replace('.000Z', 'Z');
const date = (t) => iso(t).slice(0, 10);

test('activity: recorded by API key and by check-ins, listed with per-day counts', async () => {
  const s = await startServer();
  try {
    const admin = await s.login();
    const key = await apiKey(s, admin);
    const w = await s.makeUser(admin, 'worker@acme.test', 'user');
    // Keep the whole test inside one UTC day.
    if ((await serverNow(s)) % DAY > DAY - 300) await s.advance(600);
    const now = await serverNow(s);
    const today = Math.floor(now / DAY) * DAY, yesterday = today - DAY;
    const post = (body, token = key) => s.api('/v1/activity', { method: 'POST', token, body });

    const f1 = await post({ user_id: w.id, type: 'form_submission', ref: 'QC-7', at: iso(yesterday + 3600),
      detail: { form: 'First article', score: 3 } });
    assert.equal(f1.status, 201, JSON.stringify(f1.body));
    assert.deepEqual(f1.body.detail, { form: 'First article', score: 3 });
    assert.equal(f1.body.at, iso(yesterday + 3600));
    assert.equal((await post({ user_id: w.id, type: 'form_submission', ref: 'QC-8', at: iso(yesterday + 3700) })).status, 201);
    assert.equal((await post({ user_id: w.id, type: 'order_event', ref: 'SO-1', at: iso(yesterday + 7200) })).status, 201);
    assert.equal((await post({ user_id: w.id, type: 'asset_event', ref: 'PRESS-2', at: iso(today) })).status, 201);
    // A check-in and its check-out are recorded as `checkin` events.
    const t = await makeTask(s, admin, 'OP-10');
    await assign(s, admin, t.id, w.id);
    const c = await s.api('/v1/checkins', { method: 'POST', token: w.token, body: { task_id: t.id } });
    assert.equal(c.status, 201);
    assert.equal((await s.api(`/v1/checkins/${c.body.id}/checkout`, { method: 'POST', token: w.token,
      body: { status: 'complete' } })).status, 200);
    // Someone else's events do not mix in.
    const other = await s.makeUser(admin, 'other@acme.test', 'user');
    assert.equal((await post({ user_id: other.id, type: 'order_event', ref: 'SO-2', at: iso(yesterday) })).status, 201);

    const url = `/v1/users/${w.id}/activity?from=${date(yesterday)}&to=${date(today)}`;
    const r = await s.api(url, { token: admin });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const zero = { form_submission: 0, order_event: 0, asset_event: 0, checkin: 0 };
    assert.deepEqual(r.body.days, [
      { date: date(yesterday), counts: { ...zero, form_submission: 2, order_event: 1 }, total: 3 },
      { date: date(today), counts: { ...zero, asset_event: 1, checkin: 2 }, total: 3 },
    ]);
    assert.equal(r.body.items.length, 6);
    const ats = r.body.items.map((i) => Date.parse(i.at));
    assert.deepEqual(ats, [...ats].sort((a, b) => b - a), 'newest first');
    const checkinEvents = r.body.items.filter((i) => i.type === 'checkin');
    assert.deepEqual(checkinEvents.map((i) => i.detail.event).sort(), ['checkin', 'checkout']);
    assert.ok(checkinEvents.every((i) => i.ref === 'OP-10' && i.detail.checkin_id === c.body.id));

    // Paging keeps the per-day counts of the whole range.
    const p1 = await s.api(`${url}&limit=4`, { token: admin });
    assert.equal(p1.body.items.length, 4);
    assert.ok(p1.body.next_cursor);
    assert.deepEqual(p1.body.days, r.body.days);
    const p2 = await s.api(`${url}&limit=4&cursor=${p1.body.next_cursor}`, { token: admin });
    assert.equal(p2.body.items.length, 2);
    assert.equal(p2.body.next_cursor, null);
    assert.deepEqual([...p1.body.items, ...p2.body.items].map((i) => i.id), r.body.items.map((i) => i.id));
    // By type; by API key; a narrower range.
    const forms = await s.api(`${url}&type=form_submission`, { token: key });
    assert.equal(forms.status, 200);
    assert.deepEqual(forms.body.items.map((i) => i.ref), ['QC-8', 'QC-7']);
    assert.deepEqual(forms.body.days.map((d) => [d.date, d.total]), [[date(yesterday), 2]]);
    const todayOnly = await s.api(`/v1/users/${w.id}/activity?from=${date(today)}`, { token: admin });
    assert.deepEqual(todayOnly.body.days.map((d) => d.total), [3]);

    // Who may read: analytics.view or users.view.
    assertProblem(await s.api(url, { token: w.token }), 403, 'permission_denied');
    assertProblem(await s.api('/v1/users/usr_nobody/activity', { token: admin }), 404, 'user_not_found');
    assertProblem(await s.api(`${url}&type=bogus`, { token: admin }), 400, 'invalid_filter', 'type');
    assertProblem(await s.api(`/v1/users/${w.id}/activity?from=${date(today)}&to=${date(yesterday)}`, { token: admin }),
      400, 'invalid_range', 'to');
    assertProblem(await s.api(`${url}&cursor=nope`, { token: admin }), 400, 'invalid_cursor', 'cursor');
  } finally {
    await s.stop();
  }
});

test('activity: bad input is refused with a clear error and records nothing', async () => {
  const s = await startServer();
  try {
    const admin = await s.login();
    const key = await apiKey(s, admin);
    const w = await s.makeUser(admin, 'worker@acme.test', 'user');
    const now = await serverNow(s);
    const post = (body, token = key) => s.api('/v1/activity', { method: 'POST', token, body });
    const base = { user_id: w.id, type: 'order_event', ref: 'SO-1' };
    assertProblem(await post({ ...base, type: 'checkin' }), 400, 'invalid_activity_type', 'type');
    assertProblem(await post({ ...base, type: 'bogus' }), 400, 'invalid_activity_type', 'type');
    assertProblem(await post({ ...base, user_id: 'usr_nobody' }), 404, 'user_not_found', 'user_id');
    assertProblem(await post({ ...base, ref: '' }), 400, 'invalid_ref', 'ref');
    assertProblem(await post({ user_id: w.id, type: 'order_event' }), 400, 'missing_field', 'ref');
    assertProblem(await post({ ...base, at: 'yesterday' }), 400, 'invalid_time', 'at');
    assertProblem(await post({ ...base, at: iso(now + 3600) }), 400, 'invalid_time', 'at');
    assertProblem(await post({ ...base, detail: [1, 2] }), 400, 'invalid_type', 'detail');
    const big = await post({ ...base, detail: { blob: 'x'.repeat(16400) } });
    assertProblem(big, 400, 'detail_too_large', 'detail');
    assert.equal(big.body.max_bytes, 16384);
    assertProblem(await post({ ...base, extra: 1 }), 400, 'unknown_field', 'extra');
    assertProblem(await post(base, admin), 403, 'api_key_required');
    const r = await s.api(`/v1/users/${w.id}/activity`, { token: admin });
    assert.deepEqual(r.body.items, []);
    assert.deepEqual(r.body.days, []);
    // Just under the limit is fine.
    assert.equal((await post({ ...base, detail: { blob: 'x'.repeat(16000) } })).status, 201);
  } finally {
    await s.stop();
  }
});
