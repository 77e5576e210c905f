// `serve --catalog FILE` replaces the vocabulary: a malformed file stops the
// server at start with a message naming the line or the key at fault; a
// valid one is what GET /v1/catalog returns and what checks use. With a
// catalog that puts users.manage behind a module, module changes are
// covered by the lockout rules too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { BIN, PASSWORD, startServer, assertProblem } from './lib.mjs';

// The keys the server itself checks (src/core/catalog.c gh_catalog_server_perms):
// a product catalog must list them all.
const SERVER_KEYS = ['settings.manage', 'groups.manage', 'dashboards.manage', 'dashboards.manage_any',
  'analytics.view', 'tasks.assign', 'tasks.work'];

const LAB = {
  version: 1,
  default_template_set: 'lab',
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
    { key: 'lab.look', module: 'lab', name: 'Look at samples', description: 'Everyone may look', read_only: true, open: true },
    ...SERVER_KEYS.map((key) => ({ key, module: 'core', name: key, description: key })),
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
        /permissions\[\d+\]\.module: unknown module 'warp'/],
      ['dup.json', JSON.stringify({ ...LAB, permissions: [...LAB.permissions, LAB.permissions[0]] }), /permissions\[\d+\]\.key: duplicate permission 'it\.operations'/],
      ['role.json', JSON.stringify({ ...LAB, template_sets: [{ ...LAB.template_sets[0], roles: [LAB.template_sets[0].roles[0], { ...LAB.template_sets[0].roles[1], permissions: ['lab.run', 'lab.dance'] }] }] }),
        /template_sets\[0\]\.roles\[1\]\.permissions\[1\]: unknown permission 'lab\.dance'/],
      ['owner.json', JSON.stringify({ ...LAB, template_sets: [{ ...LAB.template_sets[0], owner_role: 'tech' }] }), /owner_role: role 'tech' does not hold users\.manage/],
      ['field.json', JSON.stringify({ ...LAB, colour: 'blue' }), /colour: unknown field/],
      ['nocore.json', JSON.stringify({ ...LAB, modules: LAB.modules.slice(1) }), /core module/],
      // issue 11: the policy is gone, and says what replaced it
      ['policy.json', JSON.stringify({ ...LAB, unlisted_permission_policy: 'allow' }),
        /unlisted_permission_policy: no longer supported: a permission key the catalog does not list is now always denied.*"open"/],
      // nothing administrative, nothing the server checks, may be open to everyone
      ['open-admin.json', JSON.stringify({ ...LAB, permissions: LAB.permissions.map((p) => (p.key === 'users.manage' ? { ...p, open: true } : p)) }),
        /'users\.manage' cannot be open to everyone/],
      ['open-assign.json', JSON.stringify({ ...LAB, permissions: LAB.permissions.map((p) => (p.key === 'tasks.assign' ? { ...p, open: true } : p)) }),
        /'tasks\.assign' cannot be open to everyone: the server itself checks it/],
      ['open-set.json', JSON.stringify({ ...LAB, template_sets: [{ ...LAB.template_sets[0], open: [{ key: 'settings.manage', reason: 'why not' }] }] }),
        /template_sets\[0\]\.open\[0\]\.key: 'settings\.manage' cannot be open to everyone/],
    ];
    for (const [name, text, re] of cases) {
      const r = serve(t.file(name, text));
      assert.notEqual(r.status, 0, `${name}: the server started`);
      assert.equal(r.signal, null, `${name}: killed by ${r.signal}`);
      assert.match(r.stderr, /invalid catalog/, name);
      assert.match(r.stderr, re, `${name}: ${r.stderr}`);
      assert.doesNotMatch(r.stderr, /AddressSanitizer|LeakSanitizer|runtime error/, r.stderr);
    }
    // A catalog without a key the server itself checks does not start, naming each.
    const lacking = serve(t.file('lacking.json', JSON.stringify({ ...LAB,
      permissions: LAB.permissions.filter((p) => p.key !== 'tasks.assign' && p.key !== 'users.view'),
      modules: LAB.modules.map((m) => ({ ...m, tabs: (m.tabs || []).map((tb) => ({ ...tb, any_of: (tb.any_of || []).filter((k) => k !== 'users.view') })) })) })));
    assert.notEqual(lacking.status, 0, 'started without tasks.assign');
    assert.equal(lacking.signal, null);
    assert.match(lacking.stderr, /lacks 2 permissions the server itself checks: users\.view, tasks\.assign/, lacking.stderr);
    const lackingCli = spawnSync(BIN, ['org', 'seats', '--db', join(t.dir, 'x.db'), '--catalog', join(t.dir, 'lacking.json'), '--org', 'x', '--office', '1'],
      { encoding: 'utf8', timeout: 20000 });
    assert.notEqual(lackingCli.status, 0, 'other commands loading a catalog refuse it too');
    assert.match(lackingCli.stderr, /users\.view, tasks\.assign/);
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
    assert.equal(cat.body.unlisted_permission_policy, undefined);
    assert.equal(cat.body.permissions.find((p) => p.key === 'lab.look').open, true);
    assert.equal(cat.body.permissions.find((p) => p.key === 'lab.run').open, false);
    assert.deepEqual(cat.body.template_sets[0].roles.find((r) => r.key === 'director').permissions.sort(),
      LAB.permissions.map((p) => p.key).sort(), '"*" is expanded');
    assertProblem(await s.api('/v1/roles', { method: 'POST', token: admin, body: { key: 'x', name: 'X', permissions: ['orders.enter'] } }), 400, 'unknown_permissions', 'permissions');

    const tech = await s.makeUser(admin, 'tech@acme.test', 'tech');
    const check = async (permission, tok = tech.token) => (await s.api('/v1/check', { method: 'POST', token: tok, body: { permission } })).body;
    assert.deepEqual(await check('lab.freeze'), { allowed: true, reason: 'granted_by_role' });
    // fail closed: not in the catalog is denied, whoever asks; open is granted to all
    assert.deepEqual(await check('orders.enter'), { allowed: false, reason: 'unknown_permission' });
    assert.deepEqual(await check('lab.ru'), { allowed: false, reason: 'unknown_permission' }, 'a typo grants nothing');
    assert.deepEqual(await check('lab.ru', admin), { allowed: false, reason: 'unknown_permission' });
    assert.deepEqual(await check('lab.look'), { allowed: true, reason: 'open' });
    assert.deepEqual(await check('lab.look', admin), { allowed: true, reason: 'granted_by_role' });

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

test('the list of server keys covers every permission the code checks', () => {
  // The one list (src/core/catalog.c gh_catalog_server_perms) against every
  // permission literal handed to a check in src/core and src/api, and every
  // permission of the route table: a key the code checks must be in the list,
  // or a product catalog without it would start and fail closed on it.
  const src = resolve(import.meta.dirname, '../../src');
  const catalogC = readFileSync(join(src, 'core/catalog.c'), 'utf8');
  const listText = catalogC.match(/gh_catalog_server_perms\[\] = \{([^}]*)\}/)[1];
  const list = new Set([...listText.matchAll(/"([a-z0-9_.-]+)"/g)].map((m) => m[1]));
  assert.ok(list.size >= 10);
  const used = new Set();
  for (const dir of ['core', 'api']) {
    for (const f of readdirSync(join(src, dir)).filter((n) => n.endsWith('.c'))) {
      const text = readFileSync(join(src, dir, f), 'utf8');
      for (const m of text.matchAll(/gh_(?:access_allowed|require_any|access_check|access_would_hold)\(([^;]*)/g))
        for (const k of m[1].matchAll(/"([a-z0-9_]+\.[a-z0-9_.]+)"/g)) used.add(k[1]);
    }
  }
  const r = spawnSync(BIN, ['routes'], { encoding: 'utf8' });
  for (const l of r.stdout.trim().split('\n')) { const perm = l.split('\t')[3]; if (perm !== '-') used.add(perm); }
  assert.ok(used.size >= 8, [...used].join(' '));
  for (const k of used) assert.ok(list.has(k), `${k} is checked by the code but not in gh_catalog_server_perms`);
});
