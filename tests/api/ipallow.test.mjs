// The organization's IP allowlist (001, 003: IT Operations > IP addresses):
// people sign in and work only from the listed networks; API keys are not
// bound by it; whoever sets the list must stay inside it; the operator can
// always reset it from the CLI. Requests "from elsewhere" come from
// 127.0.0.2, which reaches the server on 127.0.0.1 through the loopback.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, assertProblem, PASSWORD } from './lib.mjs';
import { makeWorker, issuePin, apiKey, auditActions } from './shopfloor.mjs';
import { apiFrom } from './raw.mjs';

const patchOrg = (s, token, body) => s.api('/v1/org', { method: 'PATCH', token, body });

test('IP allowlist: sign-in, sessions and the kiosk only from listed networks; API keys unaffected', async () => {
  const s = await startServer();
  try {
    const admin = await s.login();
    const key = await apiKey(s, admin);
    const bob = await s.makeUser(admin, 'bob@acme.test', 'user');
    const w = await makeWorker(s, admin, '1001');
    const pin = (await issuePin(s, admin, w.id)).pin;
    // A session opened from elsewhere before the list exists.
    const away = await apiFrom(s, '127.0.0.2', '/v1/auth/login', { method: 'POST', body: { email: 'bob@acme.test', password: PASSWORD } });
    assert.equal(away.status, 200, JSON.stringify(away.body));

    // Whoever sets the list must be inside it.
    const r = await patchOrg(s, admin, { ip_allowlist: ['10.0.0.0/8'] });
    assertProblem(r, 409, 'ip_self_lockout', 'ip_allowlist');
    assert.equal(r.body.address, '127.0.0.1');
    assert.deepEqual((await s.api('/v1/org', { token: admin })).body.settings.ip_allowlist, []);
    // A plain user may not set it at all.
    assertProblem(await patchOrg(s, bob.token, { ip_allowlist: ['127.0.0.1'] }), 403, 'permission_denied');

    const ok = await patchOrg(s, admin, { ip_allowlist: ['127.0.0.1', '10.1.2.3/8', '10.0.0.0/8', '2001:DB8::/32'] });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.deepEqual(ok.body.settings.ip_allowlist, ['127.0.0.1/32', '10.0.0.0/8', '2001:db8::/32'], 'canonical, de-duplicated');

    // From inside: everything as before.
    assert.equal((await s.api('/v1/me', { token: bob.token })).status, 200);
    assert.equal((await s.api('/v1/auth/login', { method: 'POST', body: { email: 'bob@acme.test', password: PASSWORD } })).status, 200);
    // From elsewhere: the open session stops working, sign-in is refused
    // (the same answer for an unknown account: nothing about accounts leaks).
    assertProblem(await apiFrom(s, '127.0.0.2', '/v1/me', { token: away.body.token }), 403, 'ip_not_allowed');
    assertProblem(await apiFrom(s, '127.0.0.2', '/v1/me', { token: bob.token }), 403, 'ip_not_allowed');
    const refused = await apiFrom(s, '127.0.0.2', '/v1/auth/login', { method: 'POST', body: { email: 'bob@acme.test', password: PASSWORD } });
    assertProblem(refused, 403, 'ip_not_allowed');
    assert.equal(refused.body.address, '127.0.0.2');
    const unknown = await apiFrom(s, '127.0.0.2', '/v1/auth/login', { method: 'POST', body: { email: 'nobody@acme.test', password: PASSWORD } });
    assert.deepEqual([unknown.status, unknown.body.code, unknown.body.detail], [refused.status, refused.body.code, refused.body.detail]);
    assertProblem(await apiFrom(s, '127.0.0.2', '/v1/kiosk/acme/login', { method: 'POST', body: { badge: '1001', pin } }), 403, 'ip_not_allowed');
    // The kiosk from inside still works.
    assert.equal((await s.api('/v1/kiosk/acme/login', { method: 'POST', body: { badge: '1001', pin } })).status, 200);
    // A service's API key is not bound to the people's networks.
    assert.equal((await apiFrom(s, '127.0.0.2', '/v1/users', { token: key })).status, 200);
    // Back on the allowed network, the old session works again (it was never ended).
    assert.equal((await s.api('/v1/me', { token: away.body.token })).status, 200);

    const failed = await auditActions(s, admin, 'auth.login_failed');
    assert.ok(failed.some((e) => e.detail.reason === 'ip_not_allowed' && e.ip === '127.0.0.2'), JSON.stringify(failed));
    assert.ok((await auditActions(s, admin, 'kiosk.login_failed')).some((e) => e.detail.reason === 'ip_not_allowed'));
    const changed = (await auditActions(s, admin, 'org.settings_changed')).find((e) => e.detail.ip_allowlist);
    assert.deepEqual(changed.detail.ip_allowlist, { from: [], to: ['127.0.0.1/32', '10.0.0.0/8', '2001:db8::/32'] });

    // The admin can widen or clear it; clearing lets everyone back in.
    assert.equal((await patchOrg(s, admin, { ip_allowlist: [] })).status, 200);
    assert.equal((await apiFrom(s, '127.0.0.2', '/v1/me', { token: bob.token })).status, 200);
  } finally {
    await s.stop();
  }
});

test('IP allowlist: bad lists are refused and change nothing; the operator resets it from the CLI', async () => {
  const s = await startServer();
  try {
    const admin = await s.login();
    for (const [list, code, field] of [
      [['10.0.0.0/33'], 'invalid_network', 'ip_allowlist[0]'],
      [['127.0.0.1', 'intranet'], 'invalid_network', 'ip_allowlist[1]'],
      [['127.0.0.1', 7], 'invalid_type', 'ip_allowlist[1]'],
      [Array.from({ length: 33 }, (_, i) => `10.0.${i}.0/24`), 'too_many_networks', 'ip_allowlist'],
    ]) assertProblem(await patchOrg(s, admin, { ip_allowlist: list }), 400, code, field);
    assertProblem(await patchOrg(s, admin, { ip_allowlist: '127.0.0.1' }), 400, 'invalid_type', 'ip_allowlist');
    assert.deepEqual((await s.api('/v1/org', { token: admin })).body.settings.ip_allowlist, []);
    assert.equal((await auditActions(s, admin, 'org.settings_changed')).length, 0);

    // An org locked to a network its people no longer use: the operator clears it.
    assert.equal((await patchOrg(s, admin, { ip_allowlist: ['127.0.0.1'] })).status, 200);
    let r = s.cli(['org', 'allow-ips', '--db', s.db, '--org', 'acme', '192.168.0.0/16']);
    assert.equal(r.status, 0, r.stderr);
    // Another process changed it: the server sees it within a poll period.
    let refused = false;
    for (let i = 0; i < 40 && !refused; i++) {
      refused = (await s.api('/v1/me', { token: admin })).status === 403;
      if (!refused) await new Promise((res) => setTimeout(res, 100));
    }
    assert.ok(refused, 'the CLI change reached the running server');
    assertProblem(await s.api('/v1/me', { token: admin }), 403, 'ip_not_allowed');
    r = s.cli(['org', 'allow-ips', '--db', s.db, '--org', 'acme', 'not-a-network']);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /not-a-network/);
    r = s.cli(['org', 'allow-ips', '--db', s.db, '--org', 'acme']);
    assert.equal(r.status, 0, r.stderr);
    let back = false;
    for (let i = 0; i < 40 && !back; i++) {
      back = (await s.api('/v1/me', { token: admin })).status === 200;
      if (!back) await new Promise((res) => setTimeout(res, 100));
    }
    assert.ok(back, 'cleared: any address again');
    const set = await auditActions(s, admin, 'org.ip_allowlist_set');
    assert.deepEqual(set.map((e) => e.detail.to), [[], ['192.168.0.0/16']]);
  } finally {
    await s.stop();
  }
});
