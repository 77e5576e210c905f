// Webhooks (issue 19 item 2): endpoints per organization (it.operations),
// events written in the transaction of the change (derived from its audit
// event), delivered at least once through the delivery outbox and signed in
// the Standard Webhooks format. A receiver started here verifies every
// signature; it sees each event once per successful delivery, the retry
// after a 500, nothing for a change that rolled back, and no redirect
// followed. Plain http is refused except to loopback.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { startServer, assertProblem } from './lib.mjs';

/** A receiver on a free loopback port. `plan` answers each request
 * (status, headers); by default 200. Every request is kept. */
async function receiver() {
  const got = [];
  const plan = [];
  const srv = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      got.push({ path: req.url, headers: req.headers, body });
      if (req.url === '/redirect') {
        res.writeHead(302, { Location: '/elsewhere' });
        res.end('moved');
        return;
      }
      const p = plan.shift() || { status: 200 };
      res.writeHead(p.status, { 'Content-Type': 'text/plain' });
      res.end(p.body ?? 'ok');
    });
  });
  await new Promise((res) => srv.listen(0, '127.0.0.1', res));
  const url = `http://127.0.0.1:${srv.address().port}`;
  return {
    url, got, plan,
    close: () => new Promise((res) => { srv.closeAllConnections?.(); srv.close(res); }),
    /** Waits until at least n requests arrived at path. */
    async wait(n, path = '/hook') {
      for (let i = 0; ; i++) {
        const k = got.filter((g) => g.path === path).length;
        if (k >= n) return got.filter((g) => g.path === path);
        assert.ok(i < 600, `only ${k} of ${n} webhook requests arrived at ${path}`);
        await new Promise((res) => setTimeout(res, 50));
      }
    },
  };
}

/** Verifies a Standard Webhooks signature; returns the parsed body. */
function verify(secret, req) {
  const id = req.headers['webhook-id'];
  const ts = req.headers['webhook-timestamp'];
  const sig = req.headers['webhook-signature'];
  assert.match(id, /^msg_/);
  assert.match(ts, /^\d+$/);
  assert.match(sig, /^v1,[A-Za-z0-9+/]+=*$/);
  assert.equal(req.headers['content-type'], 'application/json');
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  const want = createHmac('sha256', key).update(`${id}.${ts}.${req.body}`).digest();
  const have = Buffer.from(sig.slice(3), 'base64');
  assert.ok(have.length === want.length && timingSafeEqual(have, want), `bad signature on ${id}`);
  return JSON.parse(req.body);
}

const hook = (s, token, body) => s.api('/v1/webhooks', { method: 'POST', token, body });

test('webhook endpoints: create, secret once, rotate, validation, delete', async () => {
  const s = await startServer();
  try {
    const admin = await s.login();
    // Plain http leaves the host only over https.
    assertProblem(await hook(s, admin, { url: 'http://example.com/hook', events: ['user.created'] }), 400, 'invalid_url', 'url');
    assertProblem(await hook(s, admin, { url: 'ftp://example.com/hook', events: ['user.created'] }), 400, 'invalid_url', 'url');
    assertProblem(await hook(s, admin, { url: 'https://u:p@example.com/hook', events: ['user.created'] }), 400, 'invalid_url', 'url');
    const unk = await hook(s, admin, { url: 'https://example.com/hook', events: ['user.created', 'user.exploded', 'webhook.test'] });
    assertProblem(unk, 400, 'unknown_events', 'events');
    assert.deepEqual(unk.body.unknown, ['user.exploded', 'webhook.test']);
    assertProblem(await hook(s, admin, { url: 'https://example.com/hook', events: [] }), 400, 'invalid_events', 'events');
    assertProblem(await hook(s, admin, { url: 'https://example.com/hook' }), 400, 'missing_field', 'events');
    assertProblem(await hook(s, admin, { url: 'https://example.com/hook', events: ['*'], secret: 'x' }), 400, 'unknown_field');
    assert.deepEqual((await s.api('/v1/webhooks', { token: admin })).body.items, [], 'nothing was created');

    const c = await hook(s, admin, { url: 'https://example.com/hook', events: ['user.*', 'group.member_added', 'user.*'], description: 'ERP' });
    assert.equal(c.status, 201, JSON.stringify(c.body));
    assert.match(c.body.secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
    assert.deepEqual(c.body.events, ['user.*', 'group.member_added']);
    assert.equal(c.body.enabled, true);
    const g = await s.api(`/v1/webhooks/${c.body.id}`, { token: admin });
    assert.equal(g.status, 200);
    assert.equal(g.body.secret, undefined, 'the secret is shown once');
    assert.ok(!JSON.stringify((await s.api('/v1/webhooks', { token: admin })).body).includes('whsec_'));
    // The secret is sealed in the database, never stored in the clear.
    const p = await s.api(`/v1/webhooks/${c.body.id}`, { method: 'PATCH', token: admin, body: { rotate_secret: true, enabled: false } });
    assert.equal(p.status, 200, JSON.stringify(p.body));
    assert.match(p.body.secret, /^whsec_/);
    assert.notEqual(p.body.secret, c.body.secret);
    assert.equal(p.body.enabled, false);
    const p2 = await s.api(`/v1/webhooks/${c.body.id}`, { method: 'PATCH', token: admin, body: { url: 'http://10.0.0.1/x' } });
    assertProblem(p2, 400, 'invalid_url', 'url');
    assert.equal((await s.api(`/v1/webhooks/${c.body.id}`, { token: admin })).body.url, 'https://example.com/hook');
    const audit = (await s.api('/v1/audit?action=webhook', { token: admin })).body.items.map((e) => e.action);
    assert.deepEqual(audit, ['webhook.updated', 'webhook.created']);
    assert.ok(!JSON.stringify((await s.api('/v1/audit?action=webhook', { token: admin })).body).includes('whsec_'));

    assert.equal((await s.api(`/v1/webhooks/${c.body.id}`, { method: 'DELETE', token: admin })).status, 204);
    assertProblem(await s.api(`/v1/webhooks/${c.body.id}`, { token: admin }), 404, 'webhook_not_found');
    assertProblem(await s.api(`/v1/webhooks/${c.body.id}/test`, { method: 'POST', token: admin }), 404, 'webhook_not_found');
    assertProblem(await s.api(`/v1/webhooks/${c.body.id}/deliveries`, { token: admin }), 404, 'webhook_not_found');
  } finally {
    await s.stop();
  }
});

test('webhooks: permission, key scope and organization', async () => {
  const s = await startServer();
  try {
    const admin = await s.login();
    const c = await hook(s, admin, { url: 'https://example.com/hook', events: ['*'] });
    assert.equal(c.status, 201);
    const worker = await s.makeUser(admin, 'worker@acme.test', 'user');
    assertProblem(await s.api('/v1/webhooks', { token: worker.token }), 403, 'permission_denied');
    assertProblem(await hook(s, worker.token, { url: 'https://example.com/x', events: ['*'] }), 403, 'permission_denied');
    const k1 = await s.api('/v1/api-keys', { method: 'POST', token: admin, body: { name: 'dir', scopes: ['users.view'] } });
    assertProblem(await s.api('/v1/webhooks', { token: k1.body.key }), 403, 'scope_missing');
    const k2 = await s.api('/v1/api-keys', { method: 'POST', token: admin, body: { name: 'ops', scopes: ['it.operations'] } });
    assert.equal(k2.status, 201, JSON.stringify(k2.body));
    assert.equal((await s.api('/v1/webhooks', { token: k2.body.key })).body.items.length, 1);
    // Another organization sees none of them.
    const beta = await s.otherOrg('beta');
    assert.deepEqual((await s.api('/v1/webhooks', { token: beta })).body.items, []);
    assertProblem(await s.api(`/v1/webhooks/${c.body.id}`, { token: beta }), 404, 'webhook_not_found');
    assertProblem(await s.api(`/v1/webhooks/${c.body.id}`, { method: 'DELETE', token: beta }), 404, 'webhook_not_found');
    assert.equal((await s.api(`/v1/webhooks/${c.body.id}`, { token: admin })).status, 200);
  } finally {
    await s.stop();
  }
});

test('events are signed, delivered once each, retried after a 500; rolled-back changes send nothing', async () => {
  const rx = await receiver();
  const s = await startServer();
  try {
    const admin = await s.login();
    const adminId = (await s.api('/v1/me', { token: admin })).body.id;
    const c = await hook(s, admin, { url: `${rx.url}/hook`, events: ['user.*', 'group.*'] });
    assert.equal(c.status, 201, JSON.stringify(c.body));
    const secret = c.body.secret;
    // A second endpoint subscribed to check-ins only gets none of these.
    const other = await hook(s, admin, { url: `${rx.url}/other`, events: ['checkin.opened'] });
    assert.equal(other.status, 201);

    const u = await s.api('/v1/users', { method: 'POST', token: admin, body: { email: 'ann@acme.test', name: 'Ann', role: 'user' } });
    assert.equal(u.status, 201);
    assert.equal((await s.api(`/v1/users/${u.body.id}/lock`, { method: 'POST', token: admin })).status, 200);
    assert.equal((await s.api(`/v1/users/${u.body.id}/unlock`, { method: 'POST', token: admin })).status, 200);
    assert.equal((await s.api(`/v1/users/${u.body.id}`, { method: 'PATCH', token: admin, body: { role: 'admin' } })).status, 200);
    // Refused changes roll back: their events never existed.
    assertProblem(await s.api(`/v1/users/${adminId}`, { method: 'PATCH', token: admin, body: { role: 'user' } }), 409, 'self_lockout');
    s.cli(['org', 'seats', '--org', 'acme', '--office', '2', '--factory', '0']);
    assertProblem(await s.api('/v1/users', { method: 'POST', token: admin, body: { email: 'bob@acme.test', name: 'Bob', role: 'user' } }), 409, 'seat_limit_reached');
    const grp = await s.api('/v1/groups', { method: 'POST', token: admin, body: { name: 'Night shift' } });
    assert.equal(grp.status, 201, JSON.stringify(grp.body));
    assert.equal((await s.api(`/v1/groups/${grp.body.id}/members/${u.body.id}`, { method: 'PUT', token: admin })).status < 300, true);

    const want = ['user.created', 'user.locked', 'user.unlocked', 'user.updated', 'user.role_changed', 'group.created', 'group.member_added'];
    const reqs = await rx.wait(want.length);
    // Let any stray (duplicate or rolled-back) delivery arrive before counting.
    await new Promise((res) => setTimeout(res, 1500));
    const all = rx.got.filter((g) => g.path === '/hook');
    const events = all.map((r) => verify(secret, r));
    assert.deepEqual(events.map((e) => e.type).sort(), [...want].sort(), JSON.stringify(events.map((e) => e.type)));
    assert.equal(new Set(all.map((r) => r.headers['webhook-id'])).size, all.length, 'each event once');
    const locked = events.find((e) => e.type === 'user.locked');
    assert.equal(locked.data.target.id, u.body.id);
    assert.equal(locked.data.actor.id, adminId);
    assert.equal(locked.data.org_id, (await s.api('/v1/org', { token: admin })).body.id);
    const role = events.find((e) => e.type === 'user.role_changed');
    assert.deepEqual(role.data.detail.role, { from: 'user', to: 'admin' });
    // The events' audit ids are those of the trail.
    const trail = (await s.api('/v1/audit?action=user.locked', { token: admin })).body.items;
    assert.equal(locked.data.event_id, trail[0].id);
    assert.equal(rx.got.filter((g) => g.path === '/other').length, 0);
    assert.ok(reqs.length >= want.length);

    // A 500 is retried with backoff; the receiver sees the same message twice.
    rx.plan.push({ status: 500, body: 'boom '.repeat(200) });
    assert.equal((await s.api(`/v1/users/${u.body.id}/lock`, { method: 'POST', token: admin })).status, 200);
    const n0 = all.length;
    await rx.wait(n0 + 1);
    let d;
    for (let i = 0; ; i++) {
      const l = await s.api(`/v1/webhooks/${c.body.id}/deliveries`, { token: admin });
      assert.equal(l.status, 200, JSON.stringify(l.body));
      d = l.body.items[0];
      if (d.status === 'deferred') break;
      assert.ok(i < 400, `delivery not deferred: ${JSON.stringify(d)}`);
      await new Promise((res) => setTimeout(res, 50));
    }
    assert.equal(d.event, 'user.locked');
    assert.equal(d.attempts, 1);
    assert.equal(d.response_status, 500);
    assert.ok(d.response_excerpt.length <= 256, 'only an excerpt of the reply is kept');
    assert.match(d.response_excerpt, /^boom/);
    assert.ok(d.next_attempt_at);
    await new Promise((res) => setTimeout(res, 700));
    assert.equal(rx.got.filter((g) => g.path === '/hook').length, n0 + 1, 'no retry before the backoff ends');
    await s.advance(10);
    const again = await rx.wait(n0 + 2);
    const [first, second] = again.slice(n0);
    assert.equal(first.headers['webhook-id'], second.headers['webhook-id']);
    assert.equal(verify(secret, second).type, 'user.locked');
    for (let i = 0; ; i++) {
      d = (await s.api(`/v1/webhooks/${c.body.id}/deliveries`, { token: admin })).body.items[0];
      if (d.status === 'delivered') break;
      assert.ok(i < 400, `delivery not recorded: ${JSON.stringify(d)}`);
      await new Promise((res) => setTimeout(res, 50));
    }
    assert.equal(d.attempts, 2);
    assert.equal(d.response_status, 200);
    assert.ok(d.delivered_at);

    // Send test event.
    const t = await s.api(`/v1/webhooks/${c.body.id}/test`, { method: 'POST', token: admin });
    assert.equal(t.status, 202, JSON.stringify(t.body));
    const withTest = await rx.wait(n0 + 3);
    const te = verify(secret, withTest[n0 + 2]);
    assert.equal(te.type, 'webhook.test');
    assert.equal(withTest[n0 + 2].headers['webhook-id'], t.body.id);

    // Metrics count the recorded outcomes.
    const m = await s.api('/metrics', { token: admin });
    const text = typeof m.body === 'string' ? m.body : m.text;
    assert.match(text, /gatehouse_webhook_deliveries_total\{result="delivered"\} \d+/);
    assert.match(text, /gatehouse_webhook_deliveries_total\{result="deferred"\} 1\b/);
  } finally {
    await s.stop();
    await rx.close();
  }
});

test('no redirect is followed; a rotated secret signs the next attempt', async () => {
  const rx = await receiver();
  const s = await startServer();
  try {
    const admin = await s.login();
    const c = await hook(s, admin, { url: `${rx.url}/redirect`, events: ['*'] });
    assert.equal(c.status, 201);
    const t = await s.api(`/v1/webhooks/${c.body.id}/test`, { method: 'POST', token: admin });
    assert.equal(t.status, 202);
    await rx.wait(1, '/redirect');
    let d;
    for (let i = 0; ; i++) {
      d = (await s.api(`/v1/webhooks/${c.body.id}/deliveries`, { token: admin })).body.items[0];
      if (d.status === 'deferred') break;
      assert.ok(i < 400, JSON.stringify(d));
      await new Promise((res) => setTimeout(res, 50));
    }
    assert.equal(d.response_status, 302);
    assert.match(d.last_error, /redirect/);
    await new Promise((res) => setTimeout(res, 500));
    assert.equal(rx.got.filter((g) => g.path === '/elsewhere').length, 0, 'the redirect was not followed');

    // Point it at the right path and rotate the secret: the retry is signed with the new one.
    const p = await s.api(`/v1/webhooks/${c.body.id}`, { method: 'PATCH', token: admin, body: { url: `${rx.url}/hook`, rotate_secret: true } });
    assert.equal(p.status, 200);
    await s.advance(10);
    const [r] = await rx.wait(1);
    assert.equal(r.headers['webhook-id'], t.body.id);
    assert.equal(verify(p.body.secret, r).type, 'webhook.test');
    assert.throws(() => verify(c.body.secret, r), /bad signature/);
  } finally {
    await s.stop();
    await rx.close();
  }
});
