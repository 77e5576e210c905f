// Issue 11 item 5: the seed rules that were still loose, each as tried by
// hand in the issue. Tabs, routes and the console agree; gatehouse's own
// dashboards follow dashboards.manage (004); names are validated one way
// everywhere; lists sort as people read; unknown query parameters are
// refused the same way everywhere.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, assertProblem } from './lib.mjs';

const tabsOf = async (s, token) => (await s.api('/v1/me/permissions', { token })).body.tabs.map((t) => `${t.module}/${t.key}`);

test('tabs and routes agree: users.manage opens the Users tab and its reads; it.operations shows Settings', async () => {
  const s = await startServer();
  try {
    const admin = await s.login();
    for (const [key, permissions] of [['mgr', ['users.manage']], ['itops', ['it.operations']], ['viewer', ['users.view']]]) {
      const r = await s.api('/v1/roles', { method: 'POST', token: admin, body: { key, name: key, permissions } });
      assert.equal(r.status, 201, JSON.stringify(r.body));
    }
    const mgr = await s.makeUser(admin, 'mgr@acme.test', 'mgr');
    const itops = await s.makeUser(admin, 'it@acme.test', 'itops');
    const viewer = await s.makeUser(admin, 'viewer@acme.test', 'viewer');

    // 001: the Users tile is controlled by Manage Users.
    assert.ok((await tabsOf(s, mgr.token)).includes('core/users'));
    const list = await s.api('/v1/users', { token: mgr.token });
    assert.equal(list.status, 200, JSON.stringify(list.body));
    assert.ok(list.body.items.length >= 4);
    assert.equal((await s.api(`/v1/users/${viewer.id}`, { token: mgr.token })).status, 200);
    // users.view alone still reads, and does not manage.
    assert.equal((await s.api('/v1/users', { token: viewer.token })).status, 200);
    assertProblem(await s.api(`/v1/users/${mgr.id}/lock`, { method: 'POST', token: viewer.token }), 403, 'permission_denied');
    // Neither: refused, naming both.
    const none = await s.api('/v1/users', { token: itops.token });
    assertProblem(none, 403, 'permission_denied');
    assert.match(none.body.detail, /users\.view.*users\.manage/);
    assert.ok(!(await tabsOf(s, itops.token)).includes('core/users'));

    // 001: IT Operations includes Settings (SSO, API, Logout).
    assert.ok((await tabsOf(s, itops.token)).includes('core/settings'));
    assert.ok(!(await tabsOf(s, viewer.token)).includes('core/settings'));
    const sec = await s.api('/v1/org', { method: 'PATCH', token: itops.token, body: { session_idle_timeout_s: 900 } });
    assert.equal(sec.status, 200, JSON.stringify(sec.body));
  } finally {
    await s.stop();
  }
});

test('004: only dashboards.manage creates, edits and deletes gatehouse dashboards and view templates', async () => {
  const s = await startServer({ template: 'oee' });
  try {
    const admin = await s.login();
    const manager = await s.makeUser(admin, 'manager@acme.test', 'manager');
    const staff = await s.makeUser(admin, 'staff@acme.test', 'staff');
    const ro = await s.makeUser(admin, 'ro@acme.test', 'read-only');
    const g = await s.api('/v1/groups', { method: 'POST', token: admin, body: { name: 'Line 1' } });
    assert.equal(g.status, 201, JSON.stringify(g.body));
    for (const u of [manager, staff, ro]) {
      assert.equal((await s.api(`/v1/groups/${g.body.id}/members/${u.id}`, { method: 'PUT', token: admin })).status, 204);
    }
    const body = { name: 'Line 1 OEE', kind: 'dashboard', config: { widgets: [] } };
    for (const u of [staff, ro]) {
      const r = await s.api('/v1/views', { method: 'POST', token: u.token, body });
      assertProblem(r, 403, 'permission_denied');
      assert.equal(r.body.permission, 'dashboards.manage');
    }
    const v = await s.api('/v1/views', { method: 'POST', token: manager.token, body });
    assert.equal(v.status, 201, JSON.stringify(v.body));
    assert.equal((await s.api(`/v1/views/${v.body.id}/shares`, { method: 'PUT', token: manager.token, body: { group_ids: [g.body.id] } })).status, 200);
    for (const u of [staff, ro]) {
      const seen = await s.api(`/v1/views/${v.body.id}`, { token: u.token });
      assert.equal(seen.status, 200);
      assert.equal(seen.body.access.editable, false);
      assert.equal(seen.body.access.deletable, false);
      assertProblem(await s.api(`/v1/views/${v.body.id}`, { method: 'PATCH', token: u.token, body: { name: 'x' } }), 403, 'permission_denied');
      assertProblem(await s.api(`/v1/views/${v.body.id}`, { method: 'DELETE', token: u.token }), 403, 'permission_denied');
    }
    assert.equal((await s.api(`/v1/views/${v.body.id}`, { token: manager.token })).body.name, 'Line 1 OEE');
    // An owner who loses dashboards.manage keeps reading, no longer changes.
    const own = await s.api('/v1/views', { method: 'POST', token: manager.token, body: { name: 'Mine', kind: 'template', config: {} } });
    assert.equal(own.status, 201);
    assert.equal((await s.api(`/v1/users/${manager.id}`, { method: 'PATCH', token: admin, body: { role: 'staff' } })).status, 200);
    const mine = await s.api(`/v1/views/${own.body.id}`, { token: manager.token });
    assert.equal(mine.status, 200);
    assert.deepEqual([mine.body.access.owner, mine.body.access.editable, mine.body.access.deletable], [true, false, false]);
    assertProblem(await s.api(`/v1/views/${own.body.id}`, { method: 'DELETE', token: manager.token }), 403, 'permission_denied');
  } finally {
    await s.stop();
  }
});

// Names that look empty or read differently from what they are.
const BAD_NAMES = [
  ['   ', 'blank', /only white space/],
  ['\u00a0\u3000', 'blank', /only white space/],
  ['Bob\u202Egnp.exe', 'bidi_control', /bidirectional control character \(U\+202E\)/],
  ['Ada\u2066x\u2069', 'bidi_control', /bidirectional/],
  ['Bell\u0007', 'control_character', /control character \(U\+0007\)/],
  ['Next\u0085line', 'control_character', /control character \(U\+0085\)/],
  ['', 'too_short', /is empty/],
  ['n'.repeat(201), 'too_long', /longer than 200 bytes/],
];

test('one name check everywhere: blank, bidi and control characters refused with the real reason', async () => {
  const s = await startServer();
  try {
    const admin = await s.login();
    const bob = await s.makeUser(admin, 'bob@acme.test', 'user', 'Bob');
    const g = await s.api('/v1/groups', { method: 'POST', token: admin, body: { name: 'Line 1' } });
    const v = await s.api('/v1/views', { method: 'POST', token: admin, body: { name: 'Board', kind: 'dashboard', config: {} } });
    await s.api('/v1/invites', { method: 'POST', token: admin, body: { emails: ['casey@acme.test'], role: 'user' } });
    const inviteToken = s.lastToken('casey@acme.test', 'invite');
    const tries = [
      ['user create', (name) => s.api('/v1/users', { method: 'POST', token: admin, body: { email: 'x@acme.test', name, role: 'user' } })],
      ['own profile', (name) => s.api('/v1/me', { method: 'PATCH', token: bob.token, body: { name } })],
      ['invite acceptance', (name) => s.api('/v1/invites/accept', { method: 'POST', body: { token: inviteToken, name, password: 'a long enough passphrase' } })],
      ['group create', (name) => s.api('/v1/groups', { method: 'POST', token: admin, body: { name } })],
      ['group rename', (name) => s.api(`/v1/groups/${g.body.id}`, { method: 'PATCH', token: admin, body: { name } })],
      ['role create', (name) => s.api('/v1/roles', { method: 'POST', token: admin, body: { key: 'r1', name, permissions: [] } })],
      ['role rename', (name) => s.api('/v1/roles/user', { method: 'PATCH', token: admin, body: { name } })],
      ['view create', (name) => s.api('/v1/views', { method: 'POST', token: admin, body: { name, kind: 'template', config: {} } })],
      ['view rename', (name) => s.api(`/v1/views/${v.body.id}`, { method: 'PATCH', token: admin, body: { name } })],
    ];
    const before = JSON.stringify([(await s.api('/v1/users', { token: admin })).body.items,
      (await s.api('/v1/groups', { token: admin })).body.items, (await s.api('/v1/roles', { token: admin })).body.items]);
    for (const [where, call] of tries) {
      for (const [name, reason, detail] of BAD_NAMES) {
        const r = await call(name);
        assertProblem(r, 400, 'invalid_name', 'name');
        assert.equal(r.body.reason, reason, `${where} ${JSON.stringify(name)}: ${JSON.stringify(r.body)}`);
        assert.match(r.body.detail, detail, `${where}: ${r.body.detail}`);
      }
    }
    const after = JSON.stringify([(await s.api('/v1/users', { token: admin })).body.items,
      (await s.api('/v1/groups', { token: admin })).body.items, (await s.api('/v1/roles', { token: admin })).body.items]);
    assert.equal(after, before, 'a refused name changes nothing');
    // Other texts say what is wrong the same way.
    const desc = await s.api('/v1/roles', { method: 'POST', token: admin, body: { key: 'r2', name: 'R2', description: 'a\u202Eb', permissions: [] } });
    assertProblem(desc, 400, 'invalid_description', 'description');
    assert.equal(desc.body.reason, 'bidi_control');
    const ref = await s.api('/v1/tasks', { method: 'POST', token: admin, body: { ref: 'OP\u0001', title: 'T' } });
    assertProblem(ref, 400, 'invalid_ref', 'ref');
    assert.match(ref.body.detail, /control character \(U\+0001\)/);
    const longRef = await s.api('/v1/tasks', { method: 'POST', token: admin, body: { ref: 'r'.repeat(5000), title: 'T' } });
    assertProblem(longRef, 400, 'invalid_ref', 'ref');
    assert.equal(longRef.body.reason, 'too_long');
    // Ordinary names with accents, CJK and inner spaces are fine.
    const ok = await s.api('/v1/users', { method: 'POST', token: admin, body: { email: 'zoe@acme.test', name: 'Zoë Ørsted 日本', role: 'user' } });
    assert.equal(ok.status, 201, JSON.stringify(ok.body));
  } finally {
    await s.stop();
  }
});

test('modules a person is given must be the organization\'s', async () => {
  const s = await startServer();
  try {
    const admin = await s.login();
    assert.equal(s.cli(['org', 'modules', '--org', 'acme', 'production', 'qc']).status, 0);
    const bob = await s.makeUser(admin, 'bob@acme.test', 'user', 'Bob');
    const before = (await s.api(`/v1/users/${bob.id}`, { token: admin })).body;
    const r = await s.api(`/v1/users/${bob.id}`, { method: 'PATCH', token: admin, body: { modules: ['production', 'oee', 'gages'] } });
    assertProblem(r, 400, 'module_not_enabled', 'modules');
    assert.deepEqual(r.body.modules_not_enabled, ['oee', 'gages']);
    assert.match(r.body.detail, /'oee', 'gages'/);
    assert.deepEqual((await s.api(`/v1/users/${bob.id}`, { token: admin })).body, before, 'nothing changed');
    const c = await s.api('/v1/users', { method: 'POST', token: admin, body: { email: 'c@acme.test', name: 'C', role: 'user', modules: ['qms'] } });
    assertProblem(c, 400, 'module_not_enabled', 'modules');
    assert.equal((await s.api('/v1/users?q=c@acme', { token: admin })).body.items.length, 0);
    // The org's own modules (and core) are fine.
    const ok = await s.api(`/v1/users/${bob.id}`, { method: 'PATCH', token: admin, body: { modules: ['core', 'qc'] } });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.deepEqual(ok.body.modules, ['qc']);
  } finally {
    await s.stop();
  }
});

test('CLI: org setup-link creates another organization; org seats refuses a limit below use unless --force', async () => {
  const s = await startServer();
  try {
    const admin = await s.login();
    await s.makeUser(admin, 'u1@acme.test', 'user');
    await s.makeUser(admin, 'u2@acme.test', 'user');
    // setup-link, with an organization already there.
    const l = s.cli(['org', 'setup-link', '--base-url', s.url]);
    assert.equal(l.status, 0, l.stderr);
    const link = new URL(l.stdout.trim());
    assert.equal(link.pathname, '/console/setup');
    const token = link.searchParams.get('token');
    const body = (t, slug) => ({ token: t, template: 'oee', org: { name: `Org ${slug}`, slug }, admin: { email: `boss@${slug}.test`, name: 'Boss', password: 'a long enough passphrase' } });
    const made = await s.api('/v1/setup', { method: 'POST', body: body(token, 'beta') });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    assert.deepEqual(s.cli(['org', 'list']).stdout.trim().split('\n').map((x) => x.split('\t')[0]), ['acme', 'beta']);
    // Single use.
    assertProblem(await s.api('/v1/setup', { method: 'POST', body: body(token, 'gamma') }), 403, 'setup_token_invalid', 'token');
    // A newer link supersedes an older unused one.
    const t1 = new URL(s.cli(['org', 'setup-link']).stdout.trim()).searchParams.get('token');
    const t2 = new URL(s.cli(['org', 'setup-link']).stdout.trim()).searchParams.get('token');
    assertProblem(await s.api('/v1/setup', { method: 'POST', body: body(t1, 'gamma') }), 403, 'setup_token_invalid', 'token');
    assert.equal((await s.api('/v1/setup', { method: 'POST', body: body(t2, 'gamma') })).status, 201);

    // seats: 3 office seats in use (admin + 2, made above).
    const refused = s.cli(['org', 'seats', '--org', 'acme', '--office', '1']);
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /office: 3 in use, limit 1 \(2 over\)/);
    assert.match(refused.stderr, /--force/);
    assert.equal((await s.api('/v1/org', { token: admin })).body.seats.office.limit, null, 'nothing changed');
    assert.equal(s.cli(['org', 'seats', '--org', 'acme', '--office', '3']).status, 0, 'exactly the use is fine');
    const forced = s.cli(['org', 'seats', '--org', 'acme', '--office', '1', '--force']);
    assert.equal(forced.status, 0, forced.stderr);
    const seats = (await s.api('/v1/org', { token: admin })).body.seats.office;
    assert.deepEqual([seats.limit, seats.used], [1, 3]);
    const ev = (await s.api('/v1/audit?action=org.seats_set', { token: admin })).body.items[0];
    assert.equal(ev.detail.forced, true);
    assert.equal(ev.detail.office_over, 2);
  } finally {
    await s.stop();
  }
});

test('lists in name order sort case- and accent-insensitively, numbers by value; paging agrees', async () => {
  const s = await startServer();
  try {
    const admin = await s.login();
    // Ada Admin exists already.
    const names = ['Zoë', 'bulk-10', 'bulk-2', 'Émile', 'zed', 'bulk-1', 'BULK-3', 'anna'];
    for (const [i, name] of names.entries()) {
      const r = await s.api('/v1/users', { method: 'POST', token: admin, body: { email: `p${i}@acme.test`, name, role: 'user' } });
      assert.equal(r.status, 201, JSON.stringify(r.body));
    }
    // Accents fold for ordering (Émile sorts as Emile), as the search does.
    const want = ['Ada Admin', 'anna', 'bulk-1', 'bulk-2', 'BULK-3', 'bulk-10', 'Émile', 'zed', 'Zoë'];
    const all = await s.api('/v1/users?limit=200', { token: admin });
    assert.deepEqual(all.body.items.map((u) => u.name), want);
    // The cursor walks the same order, two at a time.
    const paged = [];
    let cursor = null;
    for (let i = 0; i < 10; i++) {
      const r = await s.api(`/v1/users?limit=2${cursor ? `&cursor=${cursor}` : ''}`, { token: admin });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      paged.push(...r.body.items.map((u) => u.name));
      cursor = r.body.next_cursor;
      if (!cursor) break;
    }
    assert.deepEqual(paged, want);
    // A rename moves the person to the new place.
    const zed = all.body.items.find((u) => u.name === 'zed');
    const zedToken = await (async () => {
      await s.api('/v1/auth/verify-email', { method: 'POST', body: { token: s.lastToken(`p4@acme.test`, 'verify_email'), password: 'zed has a passphrase' } });
      return s.login('p4@acme.test', 'zed has a passphrase');
    })();
    assert.equal((await s.api('/v1/me', { method: 'PATCH', token: zedToken, body: { name: 'Aaron' } })).status, 200);
    assert.deepEqual((await s.api('/v1/users?limit=3', { token: admin })).body.items.map((u) => u.id).slice(0, 1), [zed.id]);

    // Groups and views: the same order.
    for (const name of ['line 10', 'Line 2', 'line 1', 'Ölraum']) {
      assert.equal((await s.api('/v1/groups', { method: 'POST', token: admin, body: { name } })).status, 201);
      assert.equal((await s.api('/v1/views', { method: 'POST', token: admin, body: { name, kind: 'template', config: {} } })).status, 201);
    }
    const order = ['line 1', 'Line 2', 'line 10', 'Ölraum'];
    assert.deepEqual((await s.api('/v1/groups', { token: admin })).body.items.map((g) => g.name), order);
    assert.deepEqual((await s.api('/v1/views', { token: admin })).body.items.map((v) => v.name), order);
    const g1 = await s.api('/v1/groups?limit=2', { token: admin });
    const g2 = await s.api(`/v1/groups?limit=2&cursor=${g1.body.next_cursor}`, { token: admin });
    assert.deepEqual([...g1.body.items, ...g2.body.items].map((g) => g.name), order);
  } finally {
    await s.stop();
  }
});

test('unknown query parameters are refused the same way on every route; error details name the real problem', async () => {
  const { spawnSync } = await import('node:child_process');
  const { BIN } = await import('./lib.mjs');
  const s = await startServer();
  try {
    const admin = await s.login();
    const key = (await s.api('/v1/api-keys', { method: 'POST', token: admin, body: { name: 'q', scopes: ['authz.check', 'activity.write', 'tasks.write', 'users.view'] } })).body.key;
    const routes = spawnSync(BIN, ['routes'], { encoding: 'utf8' }).stdout.trim().split('\n').map((l) => l.split('\t'));
    let n = 0;
    const refusedEarlier = [];
    for (const [method, pattern, auth, , , , query] of routes) {
      if (!pattern.startsWith('/v1/') || pattern === '/v1/auth/logout') continue;
      const token = auth === 'api_key' ? key : auth === 'none' ? undefined : admin;
      const path = pattern.replace(/\{[^}]+\}/g, 'nope');
      const r = await s.api(`${path}?limit=5&bogus_param=1`, { method, token, raw: method === 'GET' || method === 'DELETE' ? undefined : '{}' });
      if (r.status === 403 || r.status === 401) { refusedEarlier.push(`${method} ${pattern} ${r.body.code}`); continue; }
      const takesLimit = query !== '-' && query.split(' ').includes('limit');
      assertProblem(r, 400, 'unknown_parameter', takesLimit ? 'bogus_param' : 'limit');
      assert.match(r.body.detail, takesLimit ? /'bogus_param'; this takes: / : query === '-' ? /'limit'; this takes none/ : new RegExp(`'limit'; this takes: ${query}`));
      n++;
    }
    assert.ok(n > 50, `${n} routes checked`);
    // Only credentials of the wrong kind (kiosk-only routes, a session-only route for a key) come first.
    for (const x of refusedEarlier) assert.match(x, /kiosk_only|api_key_required|user_session_required/, x);
    // Documented parameters still work.
    assert.equal((await s.api('/v1/users?limit=1&q=ada', { token: admin })).status, 200);

    // A 5,000-character permission key is too long, not missing.
    const long = await s.api('/v1/check', { method: 'POST', token: key, body: { user_id: 'usr_x', permission: 'p'.repeat(5000) } });
    assertProblem(long, 400, 'invalid_permission', 'permission');
    assert.match(long.body.detail, /5000 bytes long; a permission key is at most 128/);
    assertProblem(await s.api('/v1/check', { method: 'POST', token: key, body: { user_id: 'usr_x' } }), 400, 'missing_field', 'permission');
    const typed = await s.api('/v1/check', { method: 'POST', token: key, body: { user_id: 'usr_x', permission: 5 } });
    assertProblem(typed, 400, 'invalid_type', 'permission');
  } finally {
    await s.stop();
  }
});
