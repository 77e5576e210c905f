// Issue 11 item 7: every refused request (403) is logged with actor, route,
// permission and address, and recorded in the audit trail as
// `access.denied` at a bounded rate per actor (10 per minute), written off
// the request thread. Refusals raised by the core are recorded the same way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, assertProblem } from './lib.mjs';

async function denials(s, admin, actor, want) {
  // The background loop writes the queue a few times a second: wait for it.
  for (let i = 0; i < 100; i++) {
    const r = await s.api(`/v1/audit?action=access.denied&actor=${actor}&limit=200`, { token: admin });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    if (r.body.items.length >= want) return r.body.items;
    await new Promise((res) => setTimeout(res, 100));
  }
  assert.fail(`fewer than ${want} access.denied events for ${actor}`);
}

test('refusals are logged and audited at a bounded rate per actor', async () => {
  const s = await startServer();
  try {
    const admin = await s.login();
    const bob = await s.makeUser(admin, 'bob@acme.test', 'user', 'Bob');

    const r = await s.api('/v1/users', { token: bob.token });
    assertProblem(r, 403, 'permission_denied');
    const rid = r.headers.get('x-request-id');
    const [e] = await denials(s, admin, bob.id, 1);
    assert.equal(e.action, 'access.denied');
    assert.equal(e.actor_type, 'user');
    assert.equal(e.actor_id, bob.id);
    assert.equal(e.ip, '127.0.0.1');
    assert.equal(e.request_id, rid);
    assert.equal(e.target_type, 'route');
    assert.equal(e.target_id, 'GET /v1/users');
    assert.equal(e.detail.permission, 'users.view');
    assert.equal(e.detail.code, 'permission_denied');
    assert.equal(e.detail.path, '/v1/users');

    // The JSON log line names actor, route, permission and address.
    const line = s.log().split('\n').find((l) => l.includes('"access denied"') && l.includes(rid));
    assert.ok(line, 'no log line for the refusal');
    const j = JSON.parse(line);
    assert.equal(j.actor, bob.id);
    assert.equal(j.route, '/v1/users');
    assert.equal(j.permission, 'users.view');
    assert.equal(j.ip, '127.0.0.1');

    // A refusal the core raises (not the route table) is recorded too.
    const all = await s.api('/v1/views?all=true', { token: bob.token });
    assertProblem(all, 403, 'permission_denied');
    const two = await denials(s, admin, bob.id, 2);
    assert.ok(two.some((x) => x.target_id === 'GET /v1/views' && x.detail.permission === 'dashboards.manage_any'));

    // Bounded: 20 more refusals in the same minute add only 8 more events
    // (10 per actor per minute), and the requests are still plain 403s.
    for (let i = 0; i < 20; i++) assertProblem(await s.api('/v1/roles', { method: 'POST', token: bob.token, body: {} }), 403, 'permission_denied');
    const ten = await denials(s, admin, bob.id, 10);
    // Another actor is not held back by Bob's rate.
    const carl = await s.makeUser(admin, 'carl@acme.test', 'user', 'Carl');
    assertProblem(await s.api('/v1/users', { token: carl.token }), 403, 'permission_denied');
    await denials(s, admin, carl.id, 1);
    const again = await s.api(`/v1/audit?action=access.denied&actor=${bob.id}&limit=200`, { token: admin });
    assert.equal(again.body.items.length, 10, 'more than 10 refusals of one actor recorded in a minute');
    assert.equal(ten.length, 10);
    assert.equal(s.log().split('\n').filter((l) => l.includes('"access denied"') && l.includes(bob.id)).length, 22,
      'every refusal is logged, even over the audit rate');

    // A minute later Bob's refusals are recorded again, saying how many were not.
    await s.advance(61);
    assertProblem(await s.api('/v1/users', { token: bob.token }), 403, 'permission_denied');
    const eleven = await denials(s, admin, bob.id, 11);
    assert.equal(eleven[0].detail.suppressed_before, 12);
  } finally {
    await s.stop();
  }
});
