// `serve --catalog FILE` replaces the vocabulary: a malformed file stops the
// server at start with a message naming the line or the key at fault; a
// valid one is what GET /v1/catalog returns and what checks use. With a
// catalog that puts users.manage behind a module, module changes are
// covered by the lockout rules too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, PASSWORD, startServer, assertProblem } from './lib.mjs';

const LAB = {
  version: 1,
  default_template_set: 'lab',
  unlisted_permission_policy: 'deny',
  modules: [
    { key: 'core', name: 'Core', always_on: true, tabs: [{ key: 'home', name: 'Home' }] },
    { key: 'admin', name: 'Administration', tabs: [{ key: 'people', name: 'People', any_of: ['users.view', 'users.manage'] }] },
    { key: 'lab', name: 'Laboratory', tabs: [{ key: 'bench', name: 'Bench' }] },
  ],
  addons: [{ key: 'cryo', name: 'Cryogenics' }],
  permissions: [
    { key: 'it.operations', module: 'core', name: 'IT', description: 'API keys' },
    { key: 'users.view', module: 'admin', name: 'View people', description: 'View people', read_only: true },
    { key: 'users.manage', module: 'admin', name: 'Manage people', description: 'Manage people' },
    { key: 'lab.run', module: 'lab', name: 'Run samples', description: 'Run samples' },
    { key: 'lab.freeze', module: 'lab', addon: 'cryo', name: 'Freeze samples', description: 'Freeze samples' },
  ],
  template_sets: [{
    key: 'lab', name: 'Lab', owner_role: 'director',
    roles: [
      { key: 'director', name: 'Director', description: 'Everything', permissions: '*' },
      { key: 'tech', name: 'Technician', description: 'Runs samples', permissions: ['lab.run', 'lab.freeze'] },
    ],
  }],
};

function tmp() {
  const dir = mkdtempSync(join(tmpdir(), 'gh-cat-'));
  return { dir, file: (name, text) => { const p = join(dir, name); writeFileSync(p, text); return p; } };
}

test('a malformed catalog stops the server with the line or key at fault', () => {
  const t = tmp();
  try {
    const serve = (path) => spawnSync(BIN, ['serve', '--db', join(t.dir, 'x.db'), '--listen', '127.0.0.1:0', '--catalog', path],
      { encoding: 'utf8', timeout: 20000 });
    const cases = [
      ['syntax.json', '{\n  "version": 1,\n  "modules": [\n    {"key": "core",}\n  ]\n}\n', /syntax\.json:4:\d+:/],
      ['module.json', JSON.stringify({ ...LAB, permissions: [...LAB.permissions, { key: 'x.y', module: 'warp', name: 'X', description: 'X' }] }),
        /permissions\[5\]\.module: unknown module 'warp'/],
      ['dup.json', JSON.stringify({ ...LAB, permissions: [...LAB.permissions, LAB.permissions[0]] }), /permissions\[5\]\.key: duplicate permission 'it\.operations'/],
      ['role.json', JSON.stringify({ ...LAB, template_sets: [{ ...LAB.template_sets[0], roles: [LAB.template_sets[0].roles[0], { ...LAB.template_sets[0].roles[1], permissions: ['lab.run', 'lab.dance'] }] }] }),
        /template_sets\[0\]\.roles\[1\]\.permissions\[1\]: unknown permission 'lab\.dance'/],
      ['owner.json', JSON.stringify({ ...LAB, template_sets: [{ ...LAB.template_sets[0], owner_role: 'tech' }] }), /owner_role: role 'tech' does not hold users\.manage/],
      ['field.json', JSON.stringify({ ...LAB, colour: 'blue' }), /colour: unknown field/],
      ['nocore.json', JSON.stringify({ ...LAB, modules: LAB.modules.slice(1) }), /core module/],
    ];
    for (const [name, text, re] of cases) {
      const r = serve(t.file(name, text));
      assert.notEqual(r.status, 0, `${name}: the server started`);
      assert.equal(r.signal, null, `${name}: killed by ${r.signal}`);
      assert.match(r.stderr, /invalid catalog/, name);
      assert.match(r.stderr, re, `${name}: ${r.stderr}`);
      assert.doesNotMatch(r.stderr, /AddressSanitizer|LeakSanitizer|runtime error/, r.stderr);
    }
    const missing = serve(join(t.dir, 'absent.json'));
    assert.notEqual(missing.status, 0);
    assert.match(missing.stderr, /cannot read catalog .*absent\.json/);
  } finally {
    rmSync(t.dir, { recursive: true, force: true });
  }
});

test('a product catalog replaces the vocabulary; lockout covers its modules', async () => {
  const t = tmp();
  const path = t.file('lab.json', JSON.stringify(LAB));
  const s = await startServer({ init: false, args: ['--catalog', path] });
  try {
    const token = s.log().match(/setup\?token=([A-Za-z0-9_-]+)/)[1];
    const setup = await s.api('/v1/setup', { method: 'POST', body: { token, org: { name: 'Lab', slug: 'acme' }, admin: { email: 'admin@acme.test', name: 'Dr Admin', password: PASSWORD } } });
    assert.equal(setup.status, 201, JSON.stringify(setup.body));
    assert.equal(setup.body.admin.role, 'director');
    assert.deepEqual(setup.body.org.modules, ['core', 'admin', 'lab']);
    assert.deepEqual(setup.body.org.addons, ['cryo']);
    const admin = await s.login();
    const adminId = setup.body.admin.id;

    const cat = await s.api('/v1/catalog', { token: admin });
    assert.equal(cat.status, 200);
    assert.deepEqual(cat.body.permissions.map((p) => p.key), LAB.permissions.map((p) => p.key));
    assert.deepEqual(cat.body.modules.map((m) => m.key), ['core', 'admin', 'lab']);
    assert.equal(cat.body.unlisted_permission_policy, 'deny');
    assert.deepEqual(cat.body.template_sets[0].roles.find((r) => r.key === 'director').permissions.sort(),
      LAB.permissions.map((p) => p.key).sort(), '"*" is expanded');
    assertProblem(await s.api('/v1/roles', { method: 'POST', token: admin, body: { key: 'x', name: 'X', permissions: ['orders.enter'] } }), 400, 'unknown_permissions', 'permissions');

    const tech = await s.makeUser(admin, 'tech@acme.test', 'tech');
    const check = async (permission, tok = tech.token) => (await s.api('/v1/check', { method: 'POST', token: tok, body: { permission } })).body;
    assert.deepEqual(await check('lab.freeze'), { allowed: true, reason: 'granted_by_role' });
    assert.deepEqual(await check('orders.enter'), { allowed: false, reason: 'unlisted_permission_denied' }, 'policy deny');

    // A second manager, so that taking users.manage from oneself is self_lockout.
    const deputy = await s.makeUser(admin, 'deputy@acme.test', 'director');
    assertProblem(await s.api(`/v1/users/${adminId}`, { method: 'PATCH', token: admin, body: { modules: ['lab'] } }), 409, 'self_lockout');
    assert.deepEqual(await check('users.manage', admin), { allowed: true, reason: 'granted_by_role' });
    const m = await s.api(`/v1/users/${deputy.id}`, { method: 'PATCH', token: admin, body: { modules: ['lab'] } });
    assert.equal(m.status, 200, 'others may lose it');
    assert.deepEqual(await check('users.manage', deputy.token), { allowed: false, reason: 'module_disabled_for_user' });
    // Now only the admin manages: their own module change is last_admin.
    assertProblem(await s.api(`/v1/users/${adminId}`, { method: 'PATCH', token: admin, body: { modules: ['lab'] } }), 409, 'last_admin');
    // The operator cannot switch the module off for the whole org either.
    const off = s.cli(['org', 'modules', '--org', 'acme', '--catalog', path, 'lab']);
    assert.notEqual(off.status, 0);
    assert.match(off.stderr, /last_admin/);
    assert.deepEqual((await s.api('/v1/org', { token: admin })).body.modules, ['core', 'admin', 'lab']);
    // Add-ons: without cryo, freezing stops.
    assert.equal(s.cli(['org', 'addons', '--org', 'acme', '--catalog', path]).status, 0);
    const t0 = Date.now();
    while (Date.now() - t0 < 2000 && (await check('lab.freeze')).allowed) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(await check('lab.freeze'), { allowed: false, reason: 'addon_missing' });
  } finally {
    await s.stop();
    rmSync(t.dir, { recursive: true, force: true });
  }
});
