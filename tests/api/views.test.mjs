// Saved views (issue 5): personal views, sharing with groups, who may read,
// edit and delete, freshness of group and view changes, device accounts,
// configuration validation, org scoping and audit events.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, assertProblem } from './lib.mjs';

/**
 * The cast, in org acme (plant template: roles user and admin):
 *  admin: the org's admin (every permission, so dashboards.manage_any), in no group
 *  alice, bob: plain users; carol, dave, erin: role dash-admin (dashboards.manage
 *  and groups.manage, not manage_any). Groups: line1 {alice, carol, erin},
 *  line2 {bob, dave}.
 */
async function cast(s) {
  const admin = await s.login();
  const role = await s.api('/v1/roles', {
    method: 'POST', token: admin,
    body: { key: 'dash-admin', name: 'Dashboard admin', permissions: ['dashboards.manage', 'groups.manage'] },
  });
  assert.equal(role.status, 201, JSON.stringify(role.body));
  const c = { s, admin, adminId: (await s.api('/v1/me', { token: admin })).body.id };
  for (const [n, r] of [['alice', 'user'], ['bob', 'user'], ['carol', 'dash-admin'], ['dave', 'dash-admin'],
    ['erin', 'dash-admin']]) {
    const u = await s.makeUser(admin, `${n}@acme.test`, r, n[0].toUpperCase() + n.slice(1));
    c[n] = u.token;
    c[`${n}Id`] = u.id;
  }
  for (const [g, members] of [['line1', ['alice', 'carol', 'erin']], ['line2', ['bob', 'dave']]]) {
    const r = await s.api('/v1/groups', { method: 'POST', token: admin, body: { name: g } });
    assert.equal(r.status, 201);
    c[g] = r.body.id;
    for (const m of members) {
      assert.equal((await s.api(`/v1/groups/${r.body.id}/members/${c[`${m}Id`]}`, { method: 'PUT', token: admin })).status, 204);
    }
  }
  return c;
}

async function view(s, token, name, kind = 'dashboard', config = { widgets: [{ type: 'oee', machine: 'M1' }] }) {
  const r = await s.api('/v1/views', { method: 'POST', token, body: { name, kind, config } });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  assert.equal(r.headers.get('location'), `/v1/views/${r.body.id}`);
  return r.body;
}

const share = (s, token, id, groupIds) => s.api(`/v1/views/${id}/shares`, { method: 'PUT', token, body: { group_ids: groupIds } });
const patch = (s, token, id, body) => s.api(`/v1/views/${id}`, { method: 'PATCH', token, body });
const list = async (s, token, q = '') => {
  const r = await s.api(`/v1/views${q}`, { token });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.items;
};

test('personal views: the owner sees and changes them, nobody else but manage_any', async () => {
  const s = await startServer();
  try {
    const c = await cast(s);
    const config = { filters: { status: ['open', 'late'] }, columns: ['order', 'due'], page: 25, ratio: 0.1, big: 9007199254740991, note: 'Ünïcödé ✓', nested: { a: [[], {}, null, true] } };
    const v = await view(s, c.erin, 'My late orders', 'template', config);
    assert.match(v.id, /^view_/);
    assert.equal(v.kind, 'template');
    assert.deepEqual(v.config, config, 'stored as given');
    // Reals keep the digits they were sent with, not a 17-digit expansion.
    const raw = await s.api(`/v1/views/${v.id}`, { token: c.erin });
    assert.match(raw.text, /"ratio":0\.1[,}]/);
    assert.match(raw.text, /"big":9007199254740991[,}]/);
    assert.deepEqual(v.owner, { id: c.erinId, name: 'Erin' });
    assert.deepEqual(v.shared_with, []);
    assert.deepEqual(v.access, { owner: true, shared: false, editable: true, deletable: true, via_groups: [] });

    const mine = await list(s, c.erin);
    assert.deepEqual(mine.map((x) => x.id), [v.id]);
    assert.equal(mine[0].config, undefined, 'lists leave configs out unless asked');
    assert.deepEqual((await list(s, c.erin, '?include_config=true'))[0].config, config);

    // Others do not even learn it exists.
    for (const t of [c.alice, c.bob, c.carol, c.dave]) {
      assertProblem(await s.api(`/v1/views/${v.id}`, { token: t }), 404, 'view_not_found');
      assertProblem(await patch(s, t, v.id, { name: 'x' }), 404, 'view_not_found');
      assertProblem(await s.api(`/v1/views/${v.id}`, { method: 'DELETE', token: t }), 404, 'view_not_found');
      assert.deepEqual(await list(s, t), []);
    }
    // The owner edits: renamed and reconfigured, seen on the next read.
    const p = await patch(s, c.erin, v.id, { name: 'Late orders', config: { columns: ['order'] } });
    assert.equal(p.status, 200, JSON.stringify(p.body));
    assert.equal(p.body.name, 'Late orders');
    assert.deepEqual(p.body.config, { columns: ['order'] });
    assert.deepEqual((await s.api(`/v1/views/${v.id}`, { token: c.erin })).body.config, { columns: ['order'] });

    // dashboards.manage_any (the admin) sees, edits and deletes anybody's view.
    const a = await s.api(`/v1/views/${v.id}`, { token: c.admin });
    assert.equal(a.status, 200);
    assert.deepEqual(a.body.access, { owner: false, shared: false, editable: true, deletable: true, via_groups: [] });
    assert.deepEqual(await list(s, c.admin), [], 'the plain list is own + shared, even for manage_any');
    assert.deepEqual((await list(s, c.admin, '?all=true')).map((x) => x.id), [v.id]);
    assertProblem(await s.api('/v1/views?all=true', { token: c.carol }), 403, 'permission_denied');
    assert.equal((await patch(s, c.admin, v.id, { name: 'Fixed by IT' })).body.name, 'Fixed by IT');
    assert.equal((await s.api(`/v1/views/${v.id}`, { method: 'DELETE', token: c.admin })).status, 204);
    assertProblem(await s.api(`/v1/views/${v.id}`, { token: c.erin }), 404, 'view_not_found');
    assert.deepEqual(await list(s, c.erin), []);

    // The owner deletes their own.
    const w = await view(s, c.erin, 'Scratch');
    assert.equal((await s.api(`/v1/views/${w.id}`, { method: 'DELETE', token: c.erin })).status, 204);
    assertProblem(await s.api(`/v1/views/${w.id}`, { method: 'DELETE', token: c.erin }), 404, 'view_not_found');
  } finally {
    await s.stop();
  }
});

test('sharing: only with groups one is a member of; users read, admin members edit', async () => {
  const s = await startServer();
  try {
    const c = await cast(s);
    const v = await view(s, c.carol, 'Line 1 OEE');

    // carol is not in line2: refused, naming the group; nothing is shared.
    const r = await share(s, c.carol, v.id, [c.line1, c.line2]);
    assertProblem(r, 403, 'not_group_member', 'group_ids');
    assert.equal(r.body.group_id, c.line2);
    assert.equal(r.body.group_name, 'line2');
    assert.match(r.body.detail, /line2/);
    assert.deepEqual((await s.api(`/v1/views/${v.id}`, { token: c.carol })).body.shared_with, []);
    // Not even manage_any lets one share with a group one is not in.
    assertProblem(await share(s, c.admin, v.id, [c.line1]), 403, 'not_group_member');

    const ok = await share(s, c.carol, v.id, [c.line1, c.line1]);
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.deepEqual(ok.body.shared_with, [{ id: c.line1, name: 'line1' }]);
    assert.deepEqual(ok.body.access, { owner: true, shared: true, editable: true, deletable: true, via_groups: [c.line1] });

    // A plain member sees it, read-only.
    const seen = await list(s, c.alice);
    assert.deepEqual(seen.map((x) => x.id), [v.id]);
    assert.deepEqual(seen[0].access, { owner: false, shared: true, editable: false, deletable: false, via_groups: [c.line1] });
    assert.deepEqual((await s.api(`/v1/views/${v.id}`, { token: c.alice })).body.config, v.config);
    assertProblem(await patch(s, c.alice, v.id, { name: 'mine now' }), 403, 'permission_denied'); // 004: Staff and Read-only do not edit dashboards
    assertProblem(await s.api(`/v1/views/${v.id}`, { method: 'DELETE', token: c.alice }), 403, 'permission_denied');
    assertProblem(await share(s, c.alice, v.id, []), 403, 'permission_denied');

    // An admin (dashboards.manage) in the group edits it, but cannot delete a colleague's view.
    const e = await s.api(`/v1/views/${v.id}`, { token: c.erin });
    assert.deepEqual(e.body.access, { owner: false, shared: true, editable: true, deletable: false, via_groups: [c.line1] });
    const pe = await patch(s, c.erin, v.id, { config: { widgets: [] } });
    assert.equal(pe.status, 200, JSON.stringify(pe.body));
    assert.deepEqual(pe.body.config, { widgets: [] });
    assertProblem(await s.api(`/v1/views/${v.id}`, { method: 'DELETE', token: c.erin }), 403, 'view_not_owner');
    // ... and the change is what alice reads next.
    assert.deepEqual((await s.api(`/v1/views/${v.id}`, { token: c.alice })).body.config, { widgets: [] });

    // An admin outside the group does not see it; plain users outside neither.
    assertProblem(await s.api(`/v1/views/${v.id}`, { token: c.dave }), 404, 'view_not_found');
    assertProblem(await patch(s, c.dave, v.id, { name: 'x' }), 404, 'view_not_found');
    assertProblem(await share(s, c.dave, v.id, [c.line2]), 404, 'view_not_found');
    assert.deepEqual(await list(s, c.bob), []);

    // An editor through the group may reshare, adding only groups they are in.
    const g3 = await s.api('/v1/groups', { method: 'POST', token: c.admin, body: { name: 'line3' } });
    await s.api(`/v1/groups/${g3.body.id}/members/${c.erinId}`, { method: 'PUT', token: c.admin });
    const both = await share(s, c.erin, v.id, [c.line1, g3.body.id]);
    assert.equal(both.status, 200, JSON.stringify(both.body));
    assert.deepEqual(both.body.shared_with.map((g) => g.name), ['line1', 'line3']);
    // carol keeps line3 (not a member, but it is not new) while dropping line1.
    const keep = await share(s, c.carol, v.id, [g3.body.id]);
    assert.equal(keep.status, 200, JSON.stringify(keep.body));
    assert.deepEqual(keep.body.shared_with.map((g) => g.name), ['line3']);
    assert.deepEqual(keep.body.access.via_groups, []);
    assert.deepEqual(await list(s, c.alice), [], 'unshared from line1: alice no longer sees it');

    const ev = (await s.api('/v1/audit?action=view.shared', { token: c.admin })).body.items;
    assert.equal(ev.length, 3);
    assert.deepEqual(ev[0].detail.group_ids, [g3.body.id]);
    assert.deepEqual(ev[0].detail.removed, [c.line1]);
    assert.deepEqual(ev[0].detail.added, []);
    assert.equal(ev[0].actor_id, c.carolId);
    assert.deepEqual(ev[2].detail.added, [c.line1]);
    // A repeat of the same set records nothing.
    assert.equal((await share(s, c.carol, v.id, [g3.body.id])).status, 200);
    assert.equal((await s.api('/v1/audit?action=view.shared', { token: c.admin })).body.items.length, 3);
  } finally {
    await s.stop();
  }
});

test('dashboards.manage_any edits and deletes any view, shared or not', async () => {
  const s = await startServer();
  try {
    const c = await cast(s);
    const v = await view(s, c.dave, 'Line 2 board');
    assert.equal((await share(s, c.dave, v.id, [c.line2])).status, 200);
    // The admin is in no group: still sees (404 would be wrong), edits and deletes it.
    const g = await s.api(`/v1/views/${v.id}`, { token: c.admin });
    assert.equal(g.status, 200);
    assert.deepEqual(g.body.access, { owner: false, shared: false, editable: true, deletable: true, via_groups: [] });
    const p = await patch(s, c.admin, v.id, { name: 'Line 2 board (fixed)' });
    assert.equal(p.status, 200);
    assert.equal((await s.api(`/v1/views/${v.id}`, { token: c.bob })).body.name, 'Line 2 board (fixed)');
    // It may also unshare (removing needs no membership) ...
    assert.deepEqual((await share(s, c.admin, v.id, [])).body.shared_with, []);
    assert.deepEqual(await list(s, c.bob), []);
    // ... and delete.
    assert.equal((await s.api(`/v1/views/${v.id}`, { method: 'DELETE', token: c.admin })).status, 204);
    assertProblem(await s.api(`/v1/views/${v.id}`, { token: c.dave }), 404, 'view_not_found');
    const del = (await s.api('/v1/audit?action=view.deleted', { token: c.admin })).body.items;
    assert.equal(del.length, 1);
    assert.equal(del[0].actor_id, c.adminId);
    assert.equal(del[0].detail.owner_id, c.daveId);
    assert.equal(del[0].target_id, v.id);

    // A role holding manage_any without manage may edit, but not share (the route needs dashboards.manage).
    const role = await s.api('/v1/roles', {
      method: 'POST', token: c.admin, body: { key: 'it-admin', name: 'IT admin', permissions: ['dashboards.manage_any'] },
    });
    assert.equal(role.status, 201);
    const it = await s.makeUser(c.admin, 'it@acme.test', 'it-admin');
    const w = await view(s, c.erin, 'Erin personal');
    assert.equal((await patch(s, it.token, w.id, { config: { by: 'it' } })).status, 200);
    assertProblem(await share(s, it.token, w.id, []), 403, 'permission_denied');
    assert.equal((await s.api(`/v1/views/${w.id}`, { method: 'DELETE', token: it.token })).status, 204);
  } finally {
    await s.stop();
  }
});

test('group changes take effect on the next request, without signing in again', async () => {
  const s = await startServer();
  try {
    const c = await cast(s);
    const v = await view(s, c.carol, 'Shared board');
    assert.equal((await share(s, c.carol, v.id, [c.line1])).status, 200);
    assert.deepEqual((await list(s, c.alice)).map((x) => x.id), [v.id]);

    // Removing alice from line1 hides the view on her very next request.
    assert.equal((await s.api(`/v1/groups/${c.line1}/members/${c.aliceId}`, { method: 'DELETE', token: c.admin })).status, 204);
    assert.deepEqual(await list(s, c.alice), []);
    assertProblem(await s.api(`/v1/views/${v.id}`, { token: c.alice }), 404, 'view_not_found');
    // Adding her back shows it again, same session.
    assert.equal((await s.api(`/v1/groups/${c.line1}/members/${c.aliceId}`, { method: 'PUT', token: c.admin })).status, 204);
    assert.deepEqual((await list(s, c.alice)).map((x) => x.id), [v.id]);

    // erin loses edit rights the moment she leaves the group.
    assert.equal((await patch(s, c.erin, v.id, { name: 'by erin' })).status, 200);
    await s.api(`/v1/groups/${c.line1}/members/${c.erinId}`, { method: 'DELETE', token: c.admin });
    assertProblem(await patch(s, c.erin, v.id, { name: 'again' }), 404, 'view_not_found');

    // Deleting the group unshares its views.
    const other = await view(s, c.carol, 'Other board', 'template');
    assert.equal((await share(s, c.carol, other.id, [c.line1])).status, 200);
    assert.equal((await s.api(`/v1/groups/${c.line1}`, { method: 'DELETE', token: c.admin })).status, 204);
    assert.deepEqual(await list(s, c.alice), []);
    const mine = await list(s, c.carol);
    assert.deepEqual(mine.map((x) => x.name).sort(), ['Other board', 'by erin']);
    for (const x of mine) {
      assert.deepEqual(x.shared_with, []);
      assert.equal(x.access.shared, false);
    }
    const gd = (await s.api('/v1/audit?action=group.deleted', { token: c.admin })).body.items;
    assert.equal(gd[0].detail.views_unshared, 2);
  } finally {
    await s.stop();
  }
});

test('a view added, changed or deleted is seen on the next read; kind filter and paging', async () => {
  const s = await startServer();
  try {
    const c = await cast(s);
    const t = await view(s, c.carol, 'B template', 'template');
    const d = await view(s, c.carol, 'A dashboard', 'dashboard');
    await share(s, c.carol, t.id, [c.line1]);
    await share(s, c.carol, d.id, [c.line1]);
    assert.deepEqual((await list(s, c.alice)).map((x) => x.name), ['A dashboard', 'B template']);
    assert.deepEqual((await list(s, c.alice, '?kind=template')).map((x) => x.id), [t.id]);
    assert.deepEqual((await list(s, c.alice, '?kind=dashboard')).map((x) => x.id), [d.id]);
    assertProblem(await s.api('/v1/views?kind=report', { token: c.alice }), 400, 'invalid_filter', 'kind');
    assertProblem(await s.api('/v1/views?all=maybe', { token: c.alice }), 400, 'invalid_filter', 'all');
    assertProblem(await s.api('/v1/views?cursor=abc', { token: c.alice }), 400, 'invalid_cursor', 'cursor');
    assertProblem(await s.api('/v1/views?limit=201', { token: c.alice }), 400, 'invalid_limit', 'limit');

    // Own and shared views together, one page at a time.
    await view(s, c.erin, 'C mine', 'template');
    const names = [];
    let cursor = null;
    for (let i = 0; i < 10; i++) {
      const r = await s.api(`/v1/views?limit=1${cursor ? `&cursor=${cursor}` : ''}`, { token: c.erin });
      assert.equal(r.status, 200);
      names.push(...r.body.items.map((x) => x.name));
      cursor = r.body.next_cursor;
      if (!cursor) break;
    }
    assert.deepEqual(names, ['A dashboard', 'B template', 'C mine']);

    await patch(s, c.carol, d.id, { name: 'D dashboard' });
    assert.deepEqual((await list(s, c.erin)).map((x) => x.name), ['B template', 'C mine', 'D dashboard']);
    await s.api(`/v1/views/${t.id}`, { method: 'DELETE', token: c.carol });
    assert.deepEqual((await list(s, c.erin)).map((x) => x.name), ['C mine', 'D dashboard']);
    const n = await view(s, c.carol, 'E new', 'dashboard');
    await share(s, c.carol, n.id, [c.line1]);
    assert.deepEqual((await list(s, c.erin)).map((x) => x.name), ['C mine', 'D dashboard', 'E new']);

    const created = (await s.api('/v1/audit?action=view.created', { token: c.admin })).body.items;
    assert.equal(created.length, 4);
    assert.equal(created[0].detail.name, 'E new');
    assert.equal(created[0].detail.kind, 'dashboard');
    const updated = (await s.api('/v1/audit?action=view.updated', { token: c.admin })).body.items;
    assert.equal(updated.length, 1);
    assert.deepEqual(updated[0].detail.name, { from: 'A dashboard', to: 'D dashboard' });
  } finally {
    await s.stop();
  }
});

test('configurations must be JSON objects within the size limit; other bad input', async () => {
  const s = await startServer();
  try {
    const c = await cast(s);
    const post = (body) => s.api('/v1/views', { method: 'POST', token: c.erin, body });
    for (const config of [[], [1, 2], 'text', 42, true, null]) {
      assertProblem(await post({ name: 'x', kind: 'template', config }), 400, 'invalid_config', 'config');
    }
    const big = { blob: 'x'.repeat(256 * 1024) };
    const r = await post({ name: 'x', kind: 'template', config: big });
    assertProblem(r, 400, 'config_too_large', 'config');
    assert.equal(r.body.max_bytes, 262144);
    // Just under the limit is fine (the limit is on compact JSON).
    const fits = { blob: 'x'.repeat(256 * 1024 - 20) };
    const ok = await post({ name: 'big', kind: 'template', config: fits });
    assert.equal(ok.status, 201, JSON.stringify(ok.body).slice(0, 200));
    assert.equal(ok.body.config.blob.length, fits.blob.length);
    assertProblem(await post({ kind: 'template', config: {} }), 400, 'missing_field', 'name');
    assertProblem(await post({ name: 'x', config: {} }), 400, 'missing_field', 'kind');
    assertProblem(await post({ name: 'x', kind: 'template' }), 400, 'missing_field', 'config');
    assertProblem(await post({ name: 'x', kind: 'report', config: {} }), 400, 'invalid_kind', 'kind');
    assertProblem(await post({ name: '', kind: 'template', config: {} }), 400, 'invalid_name', 'name');
    assertProblem(await post({ name: 'n'.repeat(201), kind: 'template', config: {} }), 400, 'invalid_name', 'name');
    assertProblem(await post({ name: 'x', kind: 'template', config: {}, owner_id: c.bobId }), 400, 'unknown_field', 'owner_id');

    const v = ok.body;
    assertProblem(await patch(s, c.erin, v.id, { config: [] }), 400, 'invalid_config', 'config');
    assertProblem(await patch(s, c.erin, v.id, { config: null }), 400, 'invalid_config', 'config');
    assertProblem(await patch(s, c.erin, v.id, { config: big }), 400, 'config_too_large', 'config');
    assertProblem(await patch(s, c.erin, v.id, { kind: 'dashboard' }), 400, 'unknown_field', 'kind');
    assertProblem(await patch(s, c.erin, v.id, { name: 3 }), 400, 'invalid_type', 'name');
    // The failures left the view alone.
    const still = await s.api(`/v1/views/${v.id}`, { token: c.erin });
    assert.equal(still.body.name, 'big');
    assert.equal(still.body.config.blob.length, fits.blob.length);

    // Shares: unknown groups are named, malformed lists refused.
    const sv = await view(s, c.carol, 'S');
    const u = await share(s, c.carol, sv.id, [c.line1, 'grp_nope', 'grp_gone']);
    assertProblem(u, 400, 'unknown_group', 'group_ids');
    assert.deepEqual(u.body.group_ids, ['grp_nope', 'grp_gone']);
    assert.match(u.body.detail, /grp_nope, grp_gone/);
    assertProblem(await share(s, c.carol, sv.id, 'grp'), 400, 'invalid_type', 'group_ids');
    assertProblem(await share(s, c.carol, sv.id, [1]), 400, 'invalid_type', 'group_ids');
    assertProblem(await share(s, c.carol, sv.id, ['']), 400, 'invalid_type', 'group_ids');
    assertProblem(await s.api(`/v1/views/${sv.id}/shares`, { method: 'PUT', token: c.carol, body: {} }), 400,
      'missing_field', 'group_ids');
    assertProblem(await share(s, c.carol, 'view_nope', []), 404, 'view_not_found');
    assert.deepEqual((await s.api(`/v1/views/${sv.id}`, { token: c.carol })).body.shared_with, []);
    assertProblem(await s.api('/v1/views'), 401, 'unauthenticated');
  } finally {
    await s.stop();
  }
});

test('device accounts read views shared with their groups and change nothing', async () => {
  const s = await startServer();
  try {
    const c = await cast(s);
    // A device role refuses dashboards.manage outright (issue 11); it used to
    // accept it and then ignore it.
    assertProblem(await s.api('/v1/roles', {
      method: 'POST', token: c.admin, body: { key: 'display', name: 'Shop display', device: true, permissions: ['dashboards.manage'] },
    }), 400, 'device_write_permission', 'permissions');
    const role = await s.api('/v1/roles', {
      method: 'POST', token: c.admin, body: { key: 'display', name: 'Shop display', device: true, permissions: [] },
    });
    assert.equal(role.status, 201, JSON.stringify(role.body));
    const screen = await s.makeUser(c.admin, 'screen@acme.test', 'display');
    // ...and a direct grant of it still gives a device account nothing that writes.
    assert.equal((await s.api(`/v1/users/${screen.id}`, { method: 'PATCH', token: c.admin, body: { grants: ['dashboards.manage'] } })).status, 200);
    await s.api(`/v1/groups/${c.line1}/members/${screen.id}`, { method: 'PUT', token: c.admin });
    const v = await view(s, c.carol, 'Wall board');
    await share(s, c.carol, v.id, [c.line1]);
    const seen = await list(s, screen.token);
    assert.deepEqual(seen.map((x) => x.id), [v.id]);
    assert.deepEqual(seen[0].access, { owner: false, shared: true, editable: false, deletable: false, via_groups: [c.line1] });
    assertProblem(await patch(s, screen.token, v.id, { name: 'x' }), 403, 'device_read_only');
    assertProblem(await s.api('/v1/views', { method: 'POST', token: screen.token, body: { name: 'x', kind: 'template', config: {} } }),
      403, 'device_read_only');
    assertProblem(await share(s, screen.token, v.id, []), 403, 'device_read_only');
    assertProblem(await s.api(`/v1/views/${v.id}`, { method: 'DELETE', token: screen.token }), 403, 'device_read_only');
    assert.equal((await s.api(`/v1/views/${v.id}`, { token: c.carol })).body.name, 'Wall board');
  } finally {
    await s.stop();
  }
});

test('deleting an owner drops their personal views and keeps the ones they shared', async () => {
  const s = await startServer();
  try {
    const c = await cast(s);
    const personal = await view(s, c.carol, 'Carol only');
    const shared = await view(s, c.carol, 'For line 1');
    await share(s, c.carol, shared.id, [c.line1]);
    assert.equal((await s.api(`/v1/users/${c.carolId}`, { method: 'DELETE', token: c.admin })).status, 204);
    assertProblem(await s.api(`/v1/views/${personal.id}`, { token: c.admin }), 404, 'view_not_found');
    const kept = await s.api(`/v1/views/${shared.id}`, { token: c.alice });
    assert.equal(kept.status, 200);
    assert.equal(kept.body.owner, null);
    // erin (dashboards.manage, in line1) still maintains it; only manage_any deletes it.
    assert.equal((await patch(s, c.erin, shared.id, { name: 'For line 1 (kept)' })).status, 200);
    assertProblem(await s.api(`/v1/views/${shared.id}`, { method: 'DELETE', token: c.erin }), 403, 'view_not_owner');
    assert.deepEqual((await list(s, c.admin, '?all=true')).map((x) => x.id), [shared.id]);
    assert.equal((await s.api(`/v1/views/${shared.id}`, { method: 'DELETE', token: c.admin })).status, 204);
  } finally {
    await s.stop();
  }
});

test('views are scoped to their organization', async () => {
  const s = await startServer();
  try {
    const c = await cast(s);
    const v = await view(s, c.carol, 'Acme board');
    await share(s, c.carol, v.id, [c.line1]);
    // Another process adds an org; the server notices within a poll period.
    const beta = await s.otherOrg('beta');
    // Beta's admin holds dashboards.manage_any in beta, which says nothing about acme.
    assertProblem(await s.api(`/v1/views/${v.id}`, { token: beta }), 404, 'view_not_found');
    assertProblem(await patch(s, beta, v.id, { name: 'x' }), 404, 'view_not_found');
    assertProblem(await s.api(`/v1/views/${v.id}`, { method: 'DELETE', token: beta }), 404, 'view_not_found');
    assert.deepEqual(await list(s, beta, '?all=true'), []);
    const bv = await view(s, beta, 'Beta board');
    // Acme's groups do not exist for beta.
    assertProblem(await share(s, beta, bv.id, [c.line1]), 400, 'unknown_group', 'group_ids');
    assertProblem(await share(s, c.admin, bv.id, []), 404, 'view_not_found');
    assert.deepEqual((await list(s, c.admin, '?all=true')).map((x) => x.id), [v.id]);
  } finally {
    await s.stop();
  }
});
