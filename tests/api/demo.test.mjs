// `gatehouse serve --demo`: a demo plant in a throw-away database, with
// printed sign-in instructions that work, removed when the server stops.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { startServer, assertProblem, BIN } from './lib.mjs';

const DEMO_PASSWORD = 'demo-plant-password';

test('serve --demo loads a plant, prints how to sign in, and cleans up', async () => {
  const s = await startServer({ init: false, args: ['--demo'] });
  let dir;
  try {
    const out = s.log();
    dir = out.match(/throw-away database in (\S+),/)?.[1];
    assert.ok(dir && existsSync(dir), `the demo names its folder:\n${out}`);
    assert.ok(!dir.startsWith(s.dir), '--db is ignored');
    assert.match(out, /Console {2}http:\/\/127\.0\.0\.1:\d+\/console\//);
    assert.match(out, new RegExp(`password: ${DEMO_PASSWORD}`));

    // Every printed office account signs in with the printed password, except the locked one.
    const emails = [...out.matchAll(/^ {4}(\S+@riverside\.example)\s+(\S+)/gm)].map((m) => ({ email: m[1], role: m[2] }));
    assert.ok(emails.length >= 6, out);
    const roles = new Set(emails.map((e) => e.role));
    assert.ok(roles.size >= 5, 'office users of several roles');
    for (const { email } of emails) {
      const r = await s.api('/v1/auth/login', { method: 'POST', body: { email, password: DEMO_PASSWORD } });
      if (email.startsWith('lars@')) assertProblem(r, 403, 'account_locked');
      else assert.equal(r.status, 200, `${email}: ${JSON.stringify(r.body)}`);
    }

    const admin = (await s.api('/v1/auth/login', { method: 'POST', body: { email: 'ada@riverside.example', password: DEMO_PASSWORD } })).body.token;
    const org = await s.api('/v1/org', { token: admin });
    assert.equal(org.body.slug, 'riverside');
    assert.equal(org.body.settings.single_task_checkin, true);
    const rl = await s.api('/v1/roles', { token: admin });
    assert.ok(rl.body.items.some((r) => r.key === 'display' && r.device), 'a shared display role');
    assert.ok(rl.body.items.some((r) => !r.from_template), 'custom roles');

    // Quinn has only some modules, so the explanation has something to say.
    const users = await s.api('/v1/users', { token: admin, query: undefined });
    const quinn = users.body.items.find((u) => u.email === 'quinn@riverside.example');
    assert.deepEqual(quinn.modules.sort(), ['gages', 'qc', 'qms']);
    const ex = await s.api(`/v1/users/${quinn.id}/permissions?explain=1`, { token: admin });
    assert.equal(ex.body.tabs.find((t) => t.key === 'orders').reason, 'module_disabled_for_user');

    // The printed API key works.
    const key = out.match(/API key {2}(ghk_\S+)/)[1];
    assert.equal((await s.api('/v1/users', { token: key })).status, 200);

    // Factory workers sign in at the kiosk with the printed badges and PINs.
    const workers = [...out.matchAll(/badge (\S+)\s+PIN (\d+)\s+(.+?)\s{2,}(.*)$/gm)].map((m) => ({ badge: m[1], pin: m[2], name: m[3], how: m[4] }));
    assert.ok(workers.length >= 3, out);
    for (const w of workers) {
      const r = await s.api('/v1/kiosk/riverside/login', { method: 'POST', body: { badge: w.badge, pin: w.pin } });
      assert.equal(r.status, 200, `${w.badge}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.pin_change_required, /temporary/.test(w.how), w.how);
      if (r.body.pin_change_required) continue;
      const agenda = await s.api('/v1/me/tasks', { token: r.body.token });
      assert.ok(agenda.body.items.length > 0, `${w.name} has tasks`);
      if (/assigned to order SO-1041/.test(w.how)) {
        const viaOrder = agenda.body.items.filter((t) => t.order_assigned).map((t) => t.ref);
        assert.deepEqual(viaOrder, ['T-2045', 'T-2046'], `${w.name} works on the whole order`);
      }
    }
    const wanda = (await s.api('/v1/kiosk/riverside/login', { method: 'POST', body: { badge: workers[0].badge, pin: workers[0].pin } })).body;
    const agenda = (await s.api('/v1/me/tasks', { token: wanda.token })).body;
    assert.ok(agenda.open_checkin, 'a worker is checked in right now');

    // A few days of activity, and the clock is back to now.
    const wid = wanda.user.id;
    const act = await s.api(`/v1/users/${wid}/activity`, { token: admin });
    assert.equal(act.status, 200, JSON.stringify(act.body));
    const busyDays = act.body.days.filter((d) => d.total > 0);
    assert.ok(busyDays.length >= 4, JSON.stringify(act.body.days));
    assert.ok(busyDays.every((d) => d.counts.checkin > 0));
    const started = Date.parse(agenda.open_checkin.started_at);
    assert.ok(Math.abs(Date.now() - started - 3600e3) < 120e3, 'the open check-in started an hour ago');
    const sheet = await s.api(`/v1/timesheets?user_id=${wid}`, { token: admin });
    assert.ok(sheet.body.total_s > 4 * 3600, JSON.stringify(sheet.body));

    // Groups, shared dashboards and pending invitations.
    const groups = (await s.api('/v1/groups', { token: admin })).body.items;
    assert.ok(groups.length >= 3);
    const views = (await s.api('/v1/views', { token: admin })).body.items;
    assert.ok(views.some((v) => v.kind === 'dashboard' && v.shared_with.length > 0));
    const invites = (await s.api('/v1/invites', { token: admin })).body.items;
    assert.equal(invites.length, 2);

    // The display account can read but not change anything.
    const display = (await s.api('/v1/auth/login', { method: 'POST', body: { email: 'display-line1@riverside.example', password: DEMO_PASSWORD } })).body.token;
    assertProblem(await s.api('/v1/me', { method: 'PATCH', token: display, body: { name: 'x' } }), 403, 'device_read_only');
  } finally {
    await s.stop();
  }
  assert.ok(!existsSync(dir), 'the demo database is deleted when the server stops');
});

test('serve --demo --demo-size N adds N workers and N/10 tasks in bulk, audited, within the seats; alone it is refused', async () => {
  const s = await startServer({ init: false, args: ['--demo', '--demo-size', '250'] });
  try {
    assert.match(s.log(), /demo grown by 250 factory workers and 25 tasks in [\d.]+ s/);
    const token = await s.login('ada@riverside.example', DEMO_PASSWORD, 'riverside');
    const found = await s.api('/v1/users?q=G000250', { token });
    assert.equal(found.status, 200);
    assert.equal(found.body.items.length, 1, JSON.stringify(found.body));
    const w = found.body.items[0];
    assert.equal(w.badge, 'G000250');
    assert.equal(w.factory_access, true);
    assert.equal(w.office_access, false);
    assert.equal(w.role, 'operator');
    assert.equal(w.status, 'active');
    // Every generated worker is listed (pages of 200), the tasks by reference.
    let n = 0;
    let cursor;
    do {
      const p = await s.api(`/v1/users?q=G0&limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { token });
      n += p.body.items.filter((u) => /^G\d{6}$/.test(u.badge || '')).length;
      cursor = p.body.next_cursor;
    } while (cursor);
    assert.equal(n, 250);
    const tasks = await s.api('/v1/tasks?q=G-000&limit=200', { token });
    assert.equal(tasks.body.items.filter((t) => /^G-\d{5}$/.test(t.ref)).length, 25, JSON.stringify(tasks.body).slice(0, 300));
    const org = (await s.api('/v1/org', { token })).body;
    assert.ok(org.seats.factory.limit === null || org.seats.factory.used <= org.seats.factory.limit, JSON.stringify(org.seats));
    const audit = (await s.api('/v1/audit?action=demo.generated', { token })).body.items;
    assert.equal(audit.length, 1);
    assert.deepEqual(audit[0].detail, { workers: 250, tasks: 25 });
  } finally {
    await s.stop();
  }
  const r = spawnSync(BIN, ['serve', '--demo-size', '10', '--db', '/nonexistent/x.db'], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--demo-size goes with --demo/);
});
