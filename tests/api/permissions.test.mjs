// The four role template sets reproduce their sources exactly. For each set
// an organization is created from it, a user of every role signs in and
// asks POST /v1/check about every catalog permission; the answers must be
// the table below, written out from ../shared/CATALOG.md (not from the
// catalog JSON the server ships, so a wrong catalog fails here).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, assertProblem } from './lib.mjs';

// CATALOG.md "Permissions": key, module (+ add-on), sources.
const PERMISSIONS = [
  ['users.view', 'core', null, '004'],
  ['users.manage', 'core', null, '001, 003, 004'],
  ['settings.manage', 'core', null, '001'],
  ['it.operations', 'core', null, '001, 003'],
  ['partmaster.manage', 'core', null, '001'],
  ['groups.manage', 'core', null, '000, 004'],
  ['dashboards.view', 'core', null, '000, 003, 004'],
  ['reports.view', 'core', null, '000, 003, 004'],
  ['dashboards.manage', 'core', null, '000, 004'],
  ['dashboards.manage_any', 'core', null, '003'],
  ['reports.manage', 'core', null, '004'],
  ['reports.delete', 'core', null, '004'],
  ['reports.download', 'core', null, '004'],
  ['alerts.view_config', 'core', null, '004'],
  ['alerts.view_recipients', 'core', null, '004'],
  ['alerts.edit', 'core', null, '004'],
  ['links.external', 'core', null, '004'],
  ['webshop.view', 'core', null, '004'],
  ['prices.edit', 'core', null, '004'],
  ['carbon.manage', 'core', null, '004'],
  ['naming.edit', 'core', null, '004'],
  ['erp.manage', 'core', null, '003'],
  ['analytics.view', 'core', null, '000'],
  ['schedules.manage', 'production', null, '004'],
  ['orders.enter', 'production', null, '000'],
  ['documents.upload', 'production', null, '000'],
  ['tasks.work', 'production', null, '000, 002'],
  ['tasks.assign', 'production', null, '000'],
  ['production_data.enter', 'production', null, '000'],
  ['quality_data.enter', 'production', null, '000'],
  ['jobs.add', 'production', null, '003'],
  ['jobs.bulk_upload', 'production', null, '003'],
  ['qc.plans.manage', 'qc', null, '001'],
  ['qc.suppliers.manage', 'qc', null, '001'],
  ['qc.inspections.manage', 'qc', null, '001'],
  ['qc.inspections.use', 'qc', null, '001'],
  ['qms.use', 'qms', null, '001'],
  ['qms.issues.manage', 'qms', null, '001'],
  ['qms.docs.manage', 'qms', 'docs', '001'],
  ['qms.training.manage', 'qms', 'training', '001'],
  ['gages.use', 'gages', null, '001'],
  ['gages.manage', 'gages', null, '001'],
  ['gages.calibrate', 'gages', null, '001'],
  ['portal.use', 'portal', null, '001'],
  ['oee.view', 'oee', null, '004'],
  ['oee.stop_reasons.manage', 'oee', null, '004'],
  ['oee.config.edit', 'oee', null, '004'],
  ['oee.products.manage', 'oee', null, '004'],
  ['oee.target_speed.edit', 'oee', null, '004'],
  ['oee.batches.run', 'oee', null, '004'],
  ['oee.stops.explain', 'oee', null, '004'],
  ['oee.quality.insert', 'oee', null, '004'],
];
const ALL = PERMISSIONS.map(([k]) => k);
const except = (...keys) => ALL.filter((k) => !keys.includes(k));
// Issue 11: what is open to everyone is explicit. The catalog opens the two
// views every role of every source has; the oee set opens what 004's matrix
// leaves to all roles.
const OPEN = ['dashboards.view', 'reports.view'];
const OPEN_BY_SET = { oee: ['oee.view'] };
// "every permission in 004's matrix except users.manage and webshop.view"
const MATRIX_004 = PERMISSIONS.filter(([k, , , src]) => src.split(', ').includes('004') && !OPEN.includes(k) && k !== 'oee.view').map(([k]) => k);

// CATALOG.md "Role templates". owner: the role the org's creator gets.
const SETS = {
  oee: {
    owner: 'admin',
    roles: {
      admin: ALL,
      manager: MATRIX_004.filter((k) => k !== 'users.manage' && k !== 'webshop.view'),
      staff: ['alerts.view_config', 'links.external', 'oee.target_speed.edit', 'oee.batches.run', 'oee.stops.explain', 'oee.quality.insert'],
      'read-only': [],
    },
  },
  monitoring: {
    owner: 'it-admin', // the role holding every permission (issue 11; was executive)
    roles: {
      executive: except('it.operations', 'erp.manage', 'dashboards.manage_any'),
      manager: except('it.operations', 'erp.manage', 'dashboards.manage_any'),
      'it-admin': ALL,
      supervisor: ['reports.download', 'jobs.add', 'tasks.work', 'tasks.assign', 'production_data.enter'],
      kiosk: [],
    },
    device: ['kiosk'],
  },
  quality: {
    owner: 'admin',
    roles: {
      'read-only': [],
      user: ['qc.inspections.use', 'qms.use', 'gages.use', 'portal.use'],
      editor: ['qc.inspections.use', 'qms.use', 'gages.use', 'portal.use', 'qc.plans.manage', 'qc.suppliers.manage',
        'qc.inspections.manage', 'qms.issues.manage', 'gages.manage', 'gages.calibrate', 'partmaster.manage'],
      admin: ALL,
    },
  },
  plant: {
    owner: 'admin',
    roles: {
      user: ['orders.enter', 'documents.upload', 'tasks.work', 'production_data.enter', 'quality_data.enter'],
      admin: ALL,
    },
  },
};

test('the matrix has the shape CATALOG.md gives', () => {
  assert.equal(ALL.length, 52);
  assert.equal(MATRIX_004.length, 23);
  assert.equal(SETS.oee.roles.manager.length, 21);
  assert.equal(SETS.monitoring.roles.executive.length, 49);
});

for (const [set, spec] of Object.entries(SETS)) {
  test(`template set ${set}: every role against every permission`, async () => {
    const s = await startServer({ template: set });
    try {
      const owner = await s.login();
      const me = await s.api('/v1/me', { token: owner });
      assert.equal(me.body.role, spec.owner, 'the creator gets the role that holds users.manage');

      const cat = await s.api('/v1/catalog', { token: owner });
      assert.equal(cat.status, 200);
      assert.deepEqual(cat.body.permissions.map((p) => p.key).sort(), [...ALL].sort(), 'catalog permission keys');
      for (const [key, module, addon] of PERMISSIONS) {
        const p = cat.body.permissions.find((x) => x.key === key);
        assert.equal(p.module, module, `${key}: module`);
        assert.equal(p.addon ?? null, addon, `${key}: add-on`);
      }
      const catSet = cat.body.template_sets.find((x) => x.key === set);
      assert.deepEqual(catSet.roles.map((r) => r.key).sort(), Object.keys(spec.roles).sort());

      const roles = await s.api('/v1/roles', { token: owner });
      assert.equal(roles.body.template, set);
      assert.deepEqual(roles.body.items.map((r) => r.key).sort(), Object.keys(spec.roles).sort(), 'the org has exactly the set\'s roles');

      const open = [...OPEN, ...(OPEN_BY_SET[set] ?? [])];
      assert.deepEqual(catSet.open.map((o) => o.key), OPEN_BY_SET[set] ?? [], `${set}: open list`);
      for (const o of catSet.open) assert.match(o.reason, /^004: /, `${set}: ${o.key} says why`);
      for (const [role, byRole] of Object.entries(spec.roles)) {
        const expected = [...new Set([...byRole, ...open])];
        const token = role === spec.owner ? owner : (await s.makeUser(owner, `${role}@acme.test`, role)).token;
        const checks = ALL.map((permission) => ({ permission }));
        const r = await s.api('/v1/check', { method: 'POST', token, body: { checks } });
        assert.equal(r.status, 200, JSON.stringify(r.body));
        const got = ALL.filter((_, i) => r.body.results[i].allowed);
        assert.deepEqual(got, ALL.filter((k) => expected.includes(k)), `${set}/${role}: allowed permissions`);
        r.body.results.forEach((res, i) => {
          const want = byRole.includes(ALL[i]) ? 'granted_by_role' : open.includes(ALL[i]) ? 'open' : 'not_granted';
          assert.equal(res.reason, want, `${set}/${role}/${ALL[i]}: reason`);
        });
        const mine = await s.api('/v1/me/permissions', { token });
        assert.equal(mine.status, 200);
        assert.equal(mine.body.role, role);
        assert.deepEqual([...mine.body.permissions].sort(), [...expected].sort(), `${set}/${role}: /v1/me/permissions`);
        const tabs = mine.body.tabs.map((t) => `${t.module}/${t.key}`);
        assert.equal(tabs.includes('core/users'), expected.includes('users.view') || expected.includes('users.manage'), `${set}/${role}: users tab`);
        // 001: IT Operations includes Settings (SSO, API, Logout).
        assert.equal(tabs.includes('core/settings'), expected.includes('settings.manage') || expected.includes('it.operations'), `${set}/${role}: settings tab`);
        assert.ok(tabs.includes('core/dashboards') && tabs.includes('qms/analytics') && tabs.includes('oee/operator_view'), `${set}/${role}: module tabs`);
        // Fail closed: keys the catalog does not list are denied to everyone
        // (a typo never grants); a shared device account gets the open
        // read-only features (issue 11: it used to be refused them).
        const device = (spec.device ?? []).includes(role);
        const unlisted = await s.api('/v1/check', { method: 'POST', token, body: { permission: 'widgets.polish' } });
        assert.deepEqual(unlisted.body, { allowed: false, reason: 'unknown_permission' });
        const typo = await s.api('/v1/check', { method: 'POST', token, body: { permission: 'users.manag' } });
        assert.deepEqual(typo.body, { allowed: false, reason: 'unknown_permission' });
        if (device) {
          assert.equal(mine.body.device, true);
          assertProblem(await s.api('/v1/me', { method: 'PATCH', token, body: { name: 'Screen 2' } }), 403, 'device_read_only');
          assert.equal((await s.api('/v1/me', { token })).status, 200, 'a device may read');
        }
      }
    } finally {
      await s.stop();
    }
  });
}
