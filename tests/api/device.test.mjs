// Device (shared display) accounts, issue 11: they get the open read-only
// features every person gets (they used to be refused every check), and a
// device role refuses permissions that change things instead of silently
// accepting and then ignoring them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, assertProblem } from './lib.mjs';

test('device accounts: open read-only features; device roles refuse write permissions', async () => {
  const s = await startServer({ template: 'monitoring' });
  try {
    const admin = await s.login();
    const screen = await s.makeUser(admin, 'screen@acme.test', 'kiosk');
    const check = async (permission) => (await s.api('/v1/check', { method: 'POST', token: screen.token, body: { permission } })).body;
    assert.deepEqual(await check('dashboards.view'), { allowed: true, reason: 'open' });
    assert.deepEqual(await check('reports.view'), { allowed: true, reason: 'open' });
    assert.deepEqual(await check('reports.download'), { allowed: false, reason: 'not_granted' });
    assert.deepEqual(await check('widgets.polish'), { allowed: false, reason: 'unknown_permission' });
    const mine = await s.api('/v1/me/permissions', { token: screen.token });
    assert.deepEqual(mine.body.permissions.sort(), ['dashboards.view', 'reports.view']);

    // Creating a device role with write permissions: 400 naming them, nothing created.
    const bad = await s.api('/v1/roles', { method: 'POST', token: admin, body: { key: 'wall', name: 'Wall', device: true,
      permissions: ['reports.download', 'alerts.edit', 'users.manage'] } });
    assertProblem(bad, 400, 'device_write_permission', 'permissions');
    assert.deepEqual(bad.body.permissions, ['alerts.edit', 'users.manage']);
    assertProblem(await s.api('/v1/roles/wall', { token: admin }), 404, 'role_not_found');
    const good = await s.api('/v1/roles', { method: 'POST', token: admin, body: { key: 'wall', name: 'Wall', device: true,
      permissions: ['reports.download', 'alerts.view_config'] } });
    assert.equal(good.status, 201, JSON.stringify(good.body));
    // A role that is not a device may hold anything.
    assert.equal((await s.api('/v1/roles', { method: 'POST', token: admin, body: { key: 'desk', name: 'Desk', permissions: ['alerts.edit'] } })).status, 201);

    // Editing a device role: the same rule, nothing changes.
    const p = await s.api('/v1/roles/kiosk', { method: 'PATCH', token: admin, body: { permissions: ['reports.download', 'tasks.work'] } });
    assertProblem(p, 400, 'device_write_permission', 'permissions');
    assert.deepEqual(p.body.permissions, ['tasks.work']);
    assert.deepEqual((await s.api('/v1/roles/kiosk', { token: admin })).body.permissions, []);
    const ok = await s.api('/v1/roles/kiosk', { method: 'PATCH', token: admin, body: { permissions: ['reports.download'] } });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.deepEqual(await check('reports.download'), { allowed: true, reason: 'granted_by_role' });
  } finally {
    await s.stop();
  }
});
