// Organization settings: who may change what (settings.manage for the
// organization's own settings, it.operations for session and kiosk
// security), validation, audit, and that the server stays correct under
// concurrent checks while roles change.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, assertProblem } from './lib.mjs';

test('organization settings and concurrency', async () => {
  const s = await startServer();
  try {
    const admin = await s.login();
    const mk = async (key, permissions) => {
      const r = await s.api('/v1/roles', { method: 'POST', token: admin, body: { key, name: key, permissions } });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      return (await s.makeUser(admin, `${key}@acme.test`, key)).token;
    };
    const settings = await mk('settings', ['settings.manage']);
    const it = await mk('it', ['it.operations']);

    await test('settings.manage for the org\'s settings, it.operations for security settings', async () => {
      const patch = (token, body) => s.api('/v1/org', { method: 'PATCH', token, body });
      const n = await patch(settings, { name: 'Acme Works', single_task_checkin: false, invite_ttl_s: 86400 });
      assert.equal(n.status, 200, JSON.stringify(n.body));
      assert.equal(n.body.name, 'Acme Works');
      assert.equal(n.body.settings.single_task_checkin, false);
      assert.equal(n.body.settings.invite_ttl_s, 86400);
      for (const body of [{ session_idle_timeout_s: 600 }, { session_max_lifetime_s: 3600 }, { kiosk_pin_min_length: 8 },
        { kiosk_enrolled_devices_only: true }, { kiosk_idle_timeout_s: 60 }, { kiosk_session_max_s: 3600 }, { name: 'X', session_idle_timeout_s: 600 }, { ip_allowlist: [] }]) {
        const r = await patch(settings, body);
        assertProblem(r, 403, 'permission_denied');
        assert.match(r.body.detail, /it\.operations/);
      }
      assertProblem(await patch(it, { name: 'IT Co' }), 403, 'permission_denied');
      const sec = await patch(it, { session_idle_timeout_s: 600, session_max_lifetime_s: 3600, kiosk_pin_min_length: 8, kiosk_enrolled_devices_only: true, kiosk_idle_timeout_s: 60, kiosk_session_max_s: 3600 });
      assert.equal(sec.status, 200, JSON.stringify(sec.body));
      assert.deepEqual(sec.body.settings, {
        session_idle_timeout_s: 600, session_max_lifetime_s: 3600, invite_ttl_s: 86400, single_task_checkin: false,
        kiosk_pin_min_length: 8, kiosk_enrolled_devices_only: true, kiosk_idle_timeout_s: 60, kiosk_session_max_s: 3600,
        ip_allowlist: [], erase_deleted_names: false, device_idle_timeout_s: 0, device_session_max_days: 30,
      });
      assert.equal(sec.body.name, 'Acme Works');
      // Bounds; a refused patch changes nothing, even its valid fields.
      for (const [field, value] of [['session_idle_timeout_s', 59], ['session_idle_timeout_s', 2592001], ['session_max_lifetime_s', 299],
        ['invite_ttl_s', 3599], ['kiosk_pin_min_length', 3], ['kiosk_pin_min_length', 13], ['kiosk_idle_timeout_s', 14], ['kiosk_session_max_s', 86401]]) {
        assertProblem(await patch(admin, { name: 'Changed', [field]: value }), 400, 'out_of_range', field);
      }
      assertProblem(await patch(admin, { name: '' }), 400, 'invalid_name', 'name');
      assertProblem(await patch(admin, { seats: 5 }), 400, 'unknown_field', 'seats');
      const org = await s.api('/v1/org', { token: admin });
      assert.equal(org.body.name, 'Acme Works');
      assert.deepEqual(org.body.settings, sec.body.settings);
      const events = (await s.api('/v1/audit?action=org.settings_changed', { token: admin })).body.items;
      assert.equal(events.length, 2);
      assert.deepEqual(events[0].detail, { session_idle_timeout_s: 600, session_max_lifetime_s: 3600, kiosk_pin_min_length: 8, kiosk_enrolled_devices_only: true, kiosk_idle_timeout_s: 60, kiosk_session_max_s: 3600 });
      // A new session gets the new lifetime.
      const t = await s.api('/v1/auth/login', { method: 'POST', body: { email: 'admin@acme.test', password: 'correct horse battery staple' } });
      const now = (await s.api('/v1/test/clock', { method: 'POST', body: { advance_s: 0 } })).body.now;
      const ttl = (Date.parse(t.body.expires_at) - Date.parse(now)) / 1000;
      assert.ok(ttl > 3590 && ttl <= 3600, `ttl ${ttl}`);
      // Anyone signed in, and API keys, may read the org.
      const key = (await s.api('/v1/api-keys', { method: 'POST', token: it, body: { name: 'reader' } })).body.key;
      assert.equal((await s.api('/v1/org', { token: key })).body.slug, 'acme');
      assertProblem(await s.api('/v1/org', { method: 'PATCH', token: key, body: { name: 'K' } }), 403, 'user_session_required');
    });

    await test('checks stay right under concurrent requests while a role changes', async () => {
      await s.api('/v1/roles', { method: 'POST', token: admin, body: { key: 'busy', name: 'Busy', permissions: ['gages.use'] } });
      const u = await s.makeUser(admin, 'busy@acme.test', 'busy');
      const key = (await s.api('/v1/api-keys', { method: 'POST', token: it, body: { name: 'load' } })).body.key;
      const checks = [];
      const edits = [];
      for (let round = 0; round < 5; round++) {
        for (let i = 0; i < 40; i++) {
          checks.push(s.api('/v1/check', { method: 'POST', token: key, body: { checks: [{ user_id: u.id, permission: 'gages.use' }, { user_id: u.id, permission: 'users.manage' }] } }));
        }
        edits.push(s.api('/v1/roles/busy', { method: 'PATCH', token: admin, body: { permissions: round % 2 ? ['gages.use'] : ['gages.use', 'qms.use'] } }));
      }
      const results = await Promise.all(checks);
      for (const r of results) {
        assert.equal(r.status, 200);
        assert.deepEqual(r.body.results.map((x) => x.allowed), [true, false]);
      }
      for (const e of await Promise.all(edits)) assert.equal(e.status, 200);
      // Sign-ins in parallel: each answers, none is lost. (Issue 12: one
      // verification per account at a time, so the others may be told to
      // retry with 429.)
      const logins = await Promise.all(Array.from({ length: 12 }, () => s.api('/v1/auth/login', { method: 'POST', body: { email: 'busy@acme.test', password: 'correct horse battery staple' } })));
      for (const l of logins) {
        assert.ok(l.status === 200 || (l.status === 503 && l.body.code === 'busy') ||
          (l.status === 429 && l.body.code === 'too_many_attempts'), JSON.stringify(l.body));
      }
      assert.ok(logins.some((l) => l.status === 200));
    });
  } finally {
    await s.stop();
  }
});
