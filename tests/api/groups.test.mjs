// User groups (issue 5): CRUD, membership in many groups, the groups a user
// belongs to on /v1/users/{id} and /v1/me, who sees member lists, freshness
// of membership changes, audit events, org scoping and bad input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, assertProblem } from './lib.mjs';

async function group(s, token, name, description) {
  const body = description === undefined ? { name } : { name, description };
  const r = await s.api('/v1/groups', { method: 'POST', token, body });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  assert.equal(r.headers.get('location'), `/v1/groups/${r.body.id}`);
  return r.body;
}

const put = (s, token, g, u) => s.api(`/v1/groups/${g}/members/${u}`, { method: 'PUT', token });
const del = (s, token, g, u) => s.api(`/v1/groups/${g}/members/${u}`, { method: 'DELETE', token });

async function audit(s, token, action) {
  const r = await s.api(`/v1/audit?action=${action}&limit=500`, { token });
  assert.equal(r.status, 200);
  return r.body.items;
}

test('a user belongs to many groups; /v1/users/{id} and /v1/me list them', async () => {
  const s = await startServer();
  try {
    const admin = await s.login();
    const alice = await s.makeUser(admin, 'alice@acme.test', 'user', 'Alice');
    const names = ['Quality', 'Assembly', 'Night shift', 'Office', 'Welding'];
    const groups = [];
    for (const n of names) groups.push(await group(s, admin, n, `${n} people`));
    assert.equal(groups[0].member_count, 0);
    assert.equal(groups[0].is_member, false);
    assert.equal(groups[0].description, 'Quality people');
    assert.deepEqual(groups[0].members, []);
    assert.match(groups[0].id, /^grp_/);

    for (const g of groups) assert.equal((await put(s, admin, g.id, alice.id)).status, 204);
    // Idempotent: adding again changes nothing and records nothing.
    assert.equal((await put(s, admin, groups[0].id, alice.id)).status, 204);
    assert.equal((await audit(s, admin, 'group.member_added')).length, names.length);

    const sorted = [...groups].sort((a, b) => (a.name < b.name ? -1 : 1)).map((g) => ({ id: g.id, name: g.name }));
    const u = await s.api(`/v1/users/${alice.id}`, { token: admin });
    assert.equal(u.status, 200);
    assert.deepEqual(u.body.groups, sorted);
    const me = await s.api('/v1/me', { token: alice.token });
    assert.equal(me.status, 200);
    assert.deepEqual(me.body.groups, sorted);
    // The admin belongs to none.
    assert.deepEqual((await s.api('/v1/me', { token: admin })).body.groups, []);

    // Any signed-in user lists groups, with counts and their own membership.
    const l = await s.api('/v1/groups', { token: alice.token });
    assert.equal(l.status, 200);
    assert.deepEqual(l.body.items.map((g) => g.name), [...names].sort());
    for (const g of l.body.items) {
      assert.equal(g.member_count, 1);
      assert.equal(g.is_member, true);
      assert.equal(g.members, undefined, 'lists carry no member lists');
    }
    const la = await s.api('/v1/groups', { token: admin });
    assert.ok(la.body.items.every((g) => g.is_member === false));

    // Removing is idempotent too and shows on the next request of the same session.
    assert.equal((await del(s, admin, groups[1].id, alice.id)).status, 204);
    assert.equal((await del(s, admin, groups[1].id, alice.id)).status, 204);
    assert.equal((await audit(s, admin, 'group.member_removed')).length, 1);
    const me2 = await s.api('/v1/me', { token: alice.token });
    assert.equal(me2.body.groups.length, names.length - 1);
    assert.ok(!me2.body.groups.some((g) => g.id === groups[1].id));
  } finally {
    await s.stop();
  }
});

test('member lists are for group managers and user viewers; changes need groups.manage', async () => {
  const s = await startServer();
  try {
    const admin = await s.login();
    const alice = await s.makeUser(admin, 'alice@acme.test', 'user', 'Alice');
    const bob = await s.makeUser(admin, 'bob@acme.test', 'user', 'Bob');
    const g = await group(s, admin, 'Assembly');
    await put(s, admin, g.id, bob.id);
    await put(s, admin, g.id, alice.id);

    const a = await s.api(`/v1/groups/${g.id}`, { token: admin });
    assert.equal(a.status, 200);
    assert.equal(a.body.member_count, 2);
    assert.deepEqual(a.body.members.map((m) => [m.id, m.name, m.email]),
      [[alice.id, 'Alice', 'alice@acme.test'], [bob.id, 'Bob', 'bob@acme.test']]);
    assert.ok(a.body.members[0].added_at);

    const p = await s.api(`/v1/groups/${g.id}`, { token: alice.token });
    assert.equal(p.status, 200);
    assert.equal(p.body.is_member, true);
    assert.equal(p.body.member_count, 2);
    assert.equal(p.body.members, undefined, 'a plain user does not see who is in a group');

    // A role with groups.manage only sees members and manages groups.
    const role = await s.api('/v1/roles', {
      method: 'POST', token: admin, body: { key: 'group-keeper', name: 'Group keeper', permissions: ['groups.manage'] },
    });
    assert.equal(role.status, 201, JSON.stringify(role.body));
    const keeper = await s.makeUser(admin, 'keeper@acme.test', 'group-keeper');
    assert.equal((await s.api(`/v1/groups/${g.id}`, { token: keeper.token })).body.members.length, 2);
    assert.equal((await put(s, keeper.token, g.id, keeper.id)).status, 204);
    assert.equal((await group(s, keeper.token, 'Keepers')).name, 'Keepers');

    for (const [method, path, body] of [
      ['POST', '/v1/groups', { name: 'Mine' }],
      ['PATCH', `/v1/groups/${g.id}`, { name: 'Renamed' }],
      ['DELETE', `/v1/groups/${g.id}`],
      ['PUT', `/v1/groups/${g.id}/members/${alice.id}`],
      ['DELETE', `/v1/groups/${g.id}/members/${bob.id}`],
    ]) {
      const r = await s.api(path, { method, token: alice.token, body });
      assertProblem(r, 403, 'permission_denied');
      assert.equal(r.body.permission, 'groups.manage');
    }
    assert.equal((await s.api(`/v1/groups/${g.id}`, { token: admin })).body.member_count, 3);

    // API keys read groups but do not change them; members need users.view.
    const bare = await s.api('/v1/api-keys', { method: 'POST', token: admin, body: { name: 'bare' } });
    const bg = await s.api(`/v1/groups/${g.id}`, { token: bare.body.key });
    assert.equal(bg.status, 200);
    assert.equal(bg.body.members, undefined, 'an authz.check key does not see who is in a group');
    const k = await s.api('/v1/api-keys', { method: 'POST', token: admin, body: { name: 'sync', scopes: ['authz.check', 'users.view'] } });
    assert.equal(k.status, 201, JSON.stringify(k.body));
    const kl = await s.api('/v1/groups', { token: k.body.key });
    assert.equal(kl.status, 200);
    assert.equal(kl.body.items.length, 2);
    assert.equal((await s.api(`/v1/groups/${g.id}`, { token: k.body.key })).body.members.length, 3);
    assertProblem(await s.api('/v1/groups', { method: 'POST', token: k.body.key, body: { name: 'x' } }), 403,
      'user_session_required');
    assertProblem(await s.api('/v1/groups'), 401, 'unauthenticated');
  } finally {
    await s.stop();
  }
});

test('rename, describe, delete; names are unique per org ignoring case; audit trail', async () => {
  const s = await startServer();
  try {
    const admin = await s.login();
    const alice = await s.makeUser(admin, 'alice@acme.test', 'user');
    const g = await group(s, admin, 'Assembly');
    const h = await group(s, admin, 'Welding');
    assertProblem(await s.api('/v1/groups', { method: 'POST', token: admin, body: { name: 'ASSEMBLY' } }),
      409, 'group_name_taken', 'name');
    assertProblem(await s.api(`/v1/groups/${h.id}`, { method: 'PATCH', token: admin, body: { name: 'assembly' } }),
      409, 'group_name_taken', 'name');

    const p = await s.api(`/v1/groups/${g.id}`, {
      method: 'PATCH', token: admin, body: { name: 'Final assembly', description: 'Line 2' },
    });
    assert.equal(p.status, 200);
    assert.equal(p.body.name, 'Final assembly');
    assert.equal(p.body.description, 'Line 2');
    // The case of one's own name can change.
    const c = await s.api(`/v1/groups/${g.id}`, { method: 'PATCH', token: admin, body: { name: 'FINAL assembly' } });
    assert.equal(c.status, 200);
    assert.equal(c.body.name, 'FINAL assembly');
    // An empty patch changes nothing and records nothing.
    assert.equal((await s.api(`/v1/groups/${g.id}`, { method: 'PATCH', token: admin, body: {} })).status, 200);
    const updated = await audit(s, admin, 'group.updated');
    assert.equal(updated.length, 2);
    assert.deepEqual(updated[1].detail.name, { from: 'Assembly', to: 'Final assembly' });
    assert.equal(updated[1].target_id, g.id);

    await put(s, admin, g.id, alice.id);
    assert.equal((await s.api(`/v1/groups/${g.id}`, { method: 'DELETE', token: admin })).status, 204);
    assertProblem(await s.api(`/v1/groups/${g.id}`, { token: admin }), 404, 'group_not_found');
    assertProblem(await s.api(`/v1/groups/${g.id}`, { method: 'DELETE', token: admin }), 404, 'group_not_found');
    assertProblem(await put(s, admin, g.id, alice.id), 404, 'group_not_found');
    assert.deepEqual((await s.api('/v1/me', { token: alice.token })).body.groups, []);
    // The name is free again.
    await group(s, admin, 'Final Assembly');

    const created = await audit(s, admin, 'group.created');
    assert.equal(created.length, 3);
    const deleted = await audit(s, admin, 'group.deleted');
    assert.equal(deleted.length, 1);
    assert.equal(deleted[0].detail.name, 'FINAL assembly');
    assert.equal(deleted[0].detail.member_count, 1);
    const added = await audit(s, admin, 'group.member_added');
    assert.equal(added[0].detail.user_id, alice.id);
    assert.equal(added[0].target_type, 'group');

    // Deleting a user removes their memberships.
    const bob = await s.makeUser(admin, 'bob@acme.test', 'user');
    await put(s, admin, h.id, bob.id);
    assert.equal((await s.api(`/v1/groups/${h.id}`, { token: admin })).body.member_count, 1);
    assert.equal((await s.api(`/v1/users/${bob.id}`, { method: 'DELETE', token: admin })).status, 204);
    const after = await s.api(`/v1/groups/${h.id}`, { token: admin });
    assert.equal(after.body.member_count, 0);
    assert.deepEqual(after.body.members, []);
  } finally {
    await s.stop();
  }
});

test('bad input is refused with the field named', async () => {
  const s = await startServer();
  try {
    const admin = await s.login();
    const g = await group(s, admin, 'Assembly');
    const post = (body) => s.api('/v1/groups', { method: 'POST', token: admin, body });
    assertProblem(await post({}), 400, 'missing_field', 'name');
    assertProblem(await post({ name: '' }), 400, 'invalid_name', 'name');
    assertProblem(await post({ name: ' padded ' }), 400, 'invalid_name', 'name');
    assertProblem(await post({ name: 'x'.repeat(201) }), 400, 'invalid_name', 'name');
    assertProblem(await post({ name: 'tab\there' }), 400, 'invalid_name', 'name');
    assertProblem(await post({ name: 7 }), 400, 'invalid_type', 'name');
    assertProblem(await post({ name: 'ok', description: 'd'.repeat(1001) }), 400, 'invalid_description', 'description');
    assertProblem(await post({ name: 'ok', members: [] }), 400, 'unknown_field', 'members');
    assertProblem(await s.api('/v1/groups', { method: 'POST', token: admin, raw: '[1]',
      headers: { 'Content-Type': 'application/json' } }), 400, 'invalid_body');
    assertProblem(await s.api(`/v1/groups/${g.id}`, { method: 'PATCH', token: admin, body: { name: null } }),
      400, 'invalid_type', 'name');
    assertProblem(await put(s, admin, g.id, 'usr_nope'), 404, 'user_not_found');
    assertProblem(await put(s, admin, 'grp_nope', 'usr_nope'), 404, 'group_not_found');
    assertProblem(await del(s, admin, g.id, 'usr_nope'), 404, 'user_not_found');
    assertProblem(await s.api('/v1/groups?limit=0', { token: admin }), 400, 'invalid_limit', 'limit');
    assertProblem(await s.api('/v1/groups?cursor=zz', { token: admin }), 400, 'invalid_cursor', 'cursor');
    // Nothing was created by the failures.
    assert.equal((await s.api('/v1/groups', { token: admin })).body.items.length, 1);
  } finally {
    await s.stop();
  }
});

test('pages through groups with a cursor', async () => {
  const s = await startServer();
  try {
    const admin = await s.login();
    for (let i = 0; i < 5; i++) await group(s, admin, `G${i}`);
    const seen = [];
    let cursor = null;
    for (let n = 0; n < 10; n++) {
      const r = await s.api(`/v1/groups?limit=2${cursor ? `&cursor=${cursor}` : ''}`, { token: admin });
      assert.equal(r.status, 200);
      seen.push(...r.body.items.map((g) => g.name));
      cursor = r.body.next_cursor;
      if (!cursor) break;
    }
    assert.deepEqual(seen, ['G0', 'G1', 'G2', 'G3', 'G4']);
  } finally {
    await s.stop();
  }
});

test('groups are scoped to their organization', async () => {
  const s = await startServer();
  try {
    const admin = await s.login();
    const alice = await s.makeUser(admin, 'alice@acme.test', 'user');
    const g = await group(s, admin, 'Assembly');
    // Another process adds an org; the server notices within a poll period.
    const beta = await s.otherOrg('beta');
    const bg = await group(s, beta, 'Assembly'); // same name, other org: fine
    assert.deepEqual((await s.api('/v1/groups', { token: beta })).body.items.map((x) => x.id), [bg.id]);
    assertProblem(await s.api(`/v1/groups/${g.id}`, { token: beta }), 404, 'group_not_found');
    assertProblem(await s.api(`/v1/groups/${g.id}`, { method: 'PATCH', token: beta, body: { name: 'x' } }),
      404, 'group_not_found');
    assertProblem(await s.api(`/v1/groups/${g.id}`, { method: 'DELETE', token: beta }), 404, 'group_not_found');
    assertProblem(await put(s, beta, g.id, alice.id), 404, 'group_not_found');
    // A user of another org cannot be added to one's group.
    assertProblem(await put(s, beta, bg.id, alice.id), 404, 'user_not_found');
    assertProblem(await put(s, admin, bg.id, alice.id), 404, 'group_not_found');
    assert.equal((await s.api(`/v1/groups/${g.id}`, { token: admin })).body.name, 'Assembly');
  } finally {
    await s.stop();
  }
});

test('q finds groups by any part of the name, ignoring case and accents, in name order, paged by cursor', async () => {
  const s = await startServer();
  try {
    const admin = await s.login();
    const names = ['Fräserei Süd', 'Schweißerei', 'émaillage', 'Montage', 'Fraserei Nord'];
    const ids = {};
    for (const n of names) ids[n] = (await group(s, admin, n)).id;
    const list = async (qs) => {
      const r = await s.api(`/v1/groups?${qs}`, { token: admin });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return r.body;
    };
    const names_ = (b) => b.items.map((g) => g.name);
    assert.deepEqual(names_(await list('q=FRASEREI')), ['Fraserei Nord', 'Fräserei Süd']);
    assert.deepEqual(names_(await list(`q=${encodeURIComponent('émail')}`)), ['émaillage']);
    assert.deepEqual(names_(await list('q=ei')), ['Fraserei Nord', 'Fräserei Süd', 'Schweißerei']); // short: walked
    assert.deepEqual(names_(await list('q=nothing-like-this')), []);
    // Pages of a search continue by cursor.
    const p1 = await list('q=erei&limit=2');
    assert.deepEqual(names_(p1), ['Fraserei Nord', 'Fräserei Süd']);
    assert.ok(p1.next_cursor);
    const p2 = await list(`q=erei&limit=2&cursor=${encodeURIComponent(p1.next_cursor)}`);
    assert.deepEqual(names_(p2), ['Schweißerei']);
    // A rename is found under its new name only.
    const r = await s.api(`/v1/groups/${ids.Montage}`, { method: 'PATCH', token: admin, body: { name: 'Endmontage' } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(names_(await list('q=endmon')), ['Endmontage']);
    // Bad input changes nothing and says why.
    const long = await s.api(`/v1/groups?q=${'x'.repeat(201)}`, { token: admin });
    assertProblem(long, 400, 'invalid_filter');
    assert.equal(long.body.errors[0].field, 'q');
  } finally {
    await s.stop();
  }
});
