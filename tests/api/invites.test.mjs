// Invitations (issue 4, seeds 002/003): multi-address invitations with
// per-address outcomes, the mail and its single-use link, listing, resend
// (the old link stops working), cancel, accept (then sign in), expiry with
// the test clock, the audit trail, operators refused, and device accounts
// that can only read whatever someone grants them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, assertProblem, PASSWORD } from './lib.mjs';

const DAY = 86400;

async function audit(s, token, action) {
  const r = await s.api(`/v1/audit?action=${action}&limit=500`, { token });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.items.filter((e) => e.action === action);
}

async function invite(s, token, emails, role = 'user') {
  const r = await s.api('/v1/invites', { method: 'POST', token, body: { emails, role } });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body;
}

async function pending(s, token) {
  const r = await s.api('/v1/invites', { token });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.items;
}

function inviteMails(s, to) {
  return s.outbox().filter((m) => m.kind === 'invite' && (!to || m.to.toLowerCase() === to.toLowerCase()));
}

test('a multi-address invitation reports each address; the invitee can do nothing yet', async () => {
  const s = await startServer();
  try {
    const admin = await s.login();
    const me = (await s.api('/v1/me', { token: admin })).body;
    const b = await invite(s, admin, [
      'new1@acme.test', 'NEW1@acme.test ', 'not-an-address', 'admin@ACME.test', ' new2@acme.test ',
      'new1@acme.test', 'a@b', '',
    ]);
    assert.deepEqual(b.results.map((x) => [x.email, x.status, x.code]), [
      ['new1@acme.test', 'invited', undefined],
      ['NEW1@acme.test', 'skipped', 'duplicate'],
      ['not-an-address', 'skipped', 'malformed'],
      ['admin@ACME.test', 'skipped', 'already_member'],
      ['new2@acme.test', 'invited', undefined],
      ['new1@acme.test', 'skipped', 'duplicate'],
      ['a@b', 'skipped', 'malformed'],
      ['', 'skipped', 'malformed'],
    ]);
    assert.equal(b.invited, 2);
    assert.equal(b.skipped, 6);
    assert.equal(b.results[3].user_id, me.id);
    assert.match(b.results[0].invite_id, /^inv_/);

    // Inviting again: already invited, pointing at the pending invitation.
    const again = await invite(s, admin, ['New2@Acme.test']);
    assert.equal(again.results[0].code, 'already_invited');
    assert.equal(again.results[0].invite_id, b.results[4].invite_id);
    assert.equal(again.invited, 0);

    // One mail each, with a single-use link to the accept page.
    const mails = inviteMails(s);
    assert.deepEqual(mails.map((m) => m.to).sort(), ['new1@acme.test', 'new2@acme.test']);
    for (const m of mails) {
      const u = new URL(m.link);
      assert.equal(u.pathname, '/console/accept-invite');
      assert.equal(u.searchParams.get('token').length, 43);
      assert.match(m.body, /Ada Admin invited you to join Acme Plant/);
      assert.ok(m.body.includes(m.link));
    }

    // The pending list: email, role, inviter, sent and expiry.
    const items = await pending(s, admin);
    assert.deepEqual(items.map((i) => i.email).sort(), ['new1@acme.test', 'new2@acme.test']);
    for (const i of items) {
      assert.equal(i.role, 'user');
      assert.deepEqual(i.invited_by, { id: me.id, name: 'Ada Admin' });
      assert.equal(i.status, 'pending');
      assert.equal(i.expired, false);
      assert.equal((Date.parse(i.expires_at) - Date.parse(i.sent_at)) / 1000, 7 * DAY);
    }
    const one = await s.api(`/v1/invites/${items[0].id}`, { token: admin });
    assert.equal(one.status, 200);
    assert.equal(one.body.email, items[0].email);
    assertProblem(await s.api('/v1/invites/inv_nope', { token: admin }), 404, 'invite_not_found');

    // Paging with a cursor.
    const p1 = await s.api('/v1/invites?limit=1', { token: admin });
    assert.equal(p1.body.items.length, 1);
    assert.ok(p1.body.next_cursor);
    const p2 = await s.api(`/v1/invites?limit=1&cursor=${encodeURIComponent(p1.body.next_cursor)}`, { token: admin });
    assert.equal(p2.body.items.length, 1);
    assert.notEqual(p2.body.items[0].id, p1.body.items[0].id);
    assertProblem(await s.api('/v1/invites?cursor=garbage', { token: admin }), 400, 'invalid_cursor', 'cursor');

    // Every invitation is audited, with no secret in it.
    const sent = await audit(s, admin, 'invite.sent');
    assert.equal(sent.length, 2);
    assert.ok(sent.every((e) => e.actor_id === me.id && e.detail.role === 'user' && e.detail.source === 'invite'));
    assert.ok(!JSON.stringify(sent).includes(new URL(mails[0].link).searchParams.get('token')));

    // Until accepted the invitee can do nothing: no user, no sign-in.
    assertProblem(await s.api('/v1/auth/login', { method: 'POST', body: { email: 'new1@acme.test', password: PASSWORD } }),
      401, 'invalid_credentials');
    const users = (await s.api('/v1/users', { token: admin })).body.items;
    assert.deepEqual(users.map((u) => u.email), ['admin@acme.test']);
  } finally {
    await s.stop();
  }
});

test('bad invitation requests are refused whole, and operators are not invited', async () => {
  const s = await startServer();
  try {
    const admin = await s.login();
    const post = (body, token = admin) => s.api('/v1/invites', { method: 'POST', token, body });
    assertProblem(await post({ role: 'user' }), 400, 'missing_field', 'emails');
    assertProblem(await post({ emails: [], role: 'user' }), 400, 'missing_field', 'emails');
    assertProblem(await post({ emails: 'a@acme.test', role: 'user' }), 400, 'invalid_type', 'emails');
    assertProblem(await post({ emails: ['ok@acme.test', 7], role: 'user' }), 400, 'invalid_type', 'emails[1]');
    assertProblem(await post({ emails: ['ok@acme.test'] }), 400, 'missing_field', 'role');
    assertProblem(await post({ emails: ['ok@acme.test'], role: 'wizard' }), 400, 'unknown_role', 'role');
    assertProblem(await post({ emails: ['ok@acme.test'], role: 'user', note: 'hi' }), 400, 'unknown_field', 'note');
    const many = Array.from({ length: 101 }, (_, i) => `p${i}@acme.test`);
    assertProblem(await post({ emails: many, role: 'user' }), 400, 'too_many_emails', 'emails');
    // Factory access is never given by invitation (003: operators are added elsewhere).
    let r = await post({ emails: ['op@acme.test'], role: 'user', factory_access: true });
    assertProblem(r, 400, 'invite_factory_access', 'factory_access');
    assert.match(r.body.detail, /staff members/);
    assertProblem(await post({ emails: ['op@acme.test'], role: 'user', badge: 'B-7' }), 400, 'invite_factory_access', 'badge');
    assertProblem(await post({ emails: ['op@acme.test'], role: 'user', kiosk_pin: '123456' }), 400, 'invite_factory_access', 'kiosk_pin');
    // factory_access: false says nothing new and is accepted.
    r = await post({ emails: ['office@acme.test'], role: 'user', factory_access: false });
    assert.equal(r.status, 200);
    assert.equal(r.body.invited, 1);
    // Nothing else was created or mailed.
    assert.deepEqual((await pending(s, admin)).map((i) => i.email), ['office@acme.test']);
    assert.deepEqual(inviteMails(s).map((m) => m.to), ['office@acme.test']);

    // Permissions: a plain user can neither see nor send invitations; nor can anyone signed out.
    const plain = await s.makeUser(admin, 'plain@acme.test', 'user');
    assertProblem(await post({ emails: ['x@acme.test'], role: 'user' }, plain.token), 403, 'permission_denied');
    assertProblem(await s.api('/v1/invites', { token: plain.token }), 403, 'permission_denied');
    assertProblem(await s.api('/v1/invites'), 401, 'unauthenticated');
    const id = (await pending(s, admin))[0].id;
    assertProblem(await s.api(`/v1/invites/${id}`, { method: 'DELETE', token: plain.token }), 403, 'permission_denied');
    assertProblem(await s.api(`/v1/invites/${id}/resend`, { method: 'POST', token: plain.token }), 403, 'permission_denied');
  } finally {
    await s.stop();
  }
});

test('accepting creates the verified office user, signs them in, and the link is then used', async () => {
  const s = await startServer();
  try {
    const admin = await s.login();
    const { results } = await invite(s, admin, ['Casey@Acme.test'], 'admin');
    const token = s.lastToken('casey@acme.test', 'invite');

    // The accept page can show whom the link is for.
    const look = await s.api(`/v1/invites/lookup?token=${token}`);
    assert.equal(look.status, 200, JSON.stringify(look.body));
    assert.equal(look.body.email, 'Casey@Acme.test');
    assert.deepEqual(look.body.role, { key: 'admin', name: 'Admin' });
    assert.deepEqual(look.body.org, { slug: 'acme', name: 'Acme Plant' });
    assert.equal(look.body.invited_by, 'Ada Admin');
    assert.equal(look.body.expired, false);
    assertProblem(await s.api('/v1/invites/lookup?token=short'), 404, 'token_invalid', 'token');
    assertProblem(await s.api('/v1/invites/lookup'), 404, 'token_invalid', 'token');
    assertProblem(await s.api(`/v1/invites/lookup?token=${'A'.repeat(43)}`), 404, 'token_invalid', 'token');

    // Bad acceptances change nothing.
    const accept = (body) => s.api('/v1/invites/accept', { method: 'POST', body });
    assertProblem(await accept({ token, name: 'Casey' }), 400, 'missing_field', 'password');
    assertProblem(await accept({ token, name: '', password: PASSWORD }), 400, 'invalid_name', 'name');
    assertProblem(await accept({ token, name: 'Casey\u0007', password: PASSWORD }), 400, 'invalid_name', 'name');
    assertProblem(await accept({ token, name: 'Casey', password: 'short' }), 400, 'password_too_short', 'password');
    assertProblem(await accept({ token, name: 'Casey', password: 'password123' }), 400, 'password_common', 'password');
    assertProblem(await accept({ token: 'x'.repeat(43), name: 'Casey', password: PASSWORD }), 404, 'token_invalid', 'token');
    assert.equal((await s.api('/v1/users', { token: admin })).body.items.length, 1);

    const r = await accept({ token, name: 'Casey Jones', password: PASSWORD });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.token.length, 43);
    assert.ok(r.body.csrf_token);
    assert.ok(r.body.expires_at);
    assert.match(r.headers.get('set-cookie'), /gh_session=/);
    const u = r.body.user;
    assert.equal(u.email, 'Casey@Acme.test');
    assert.equal(u.name, 'Casey Jones');
    assert.equal(u.role, 'admin');
    assert.equal(u.status, 'active');
    assert.equal(u.email_verified, true);
    assert.equal(u.office_access, true);
    assert.equal(u.factory_access, false);
    assert.equal(u.has_password, true);
    assert.ok(u.last_login_at);

    // The session works at once, with the invited role's permissions.
    const me = await s.api('/v1/me', { token: r.body.token });
    assert.equal(me.status, 200);
    assert.equal(me.body.id, u.id);
    assert.ok(me.body.access.permissions.includes('users.manage'));
    // And the password signs in later.
    const again = await s.login('casey@acme.test');
    assert.ok(again);

    // The link was single-use.
    assertProblem(await accept({ token, name: 'Mallory', password: PASSWORD }), 410, 'invite_used', 'token');
    assertProblem(await s.api(`/v1/invites/lookup?token=${token}`), 410, 'invite_used', 'token');
    assert.equal((await s.api('/v1/users', { token: admin })).body.items.length, 2);

    // The invitation left the pending list and records whom it became.
    assert.deepEqual(await pending(s, admin), []);
    const inv = await s.api(`/v1/invites/${results[0].invite_id}`, { token: admin });
    assert.equal(inv.body.status, 'accepted');
    assert.equal(inv.body.user_id, u.id);
    assert.ok(inv.body.accepted_at);
    assertProblem(await s.api(`/v1/invites/${results[0].invite_id}/resend`, { method: 'POST', token: admin }), 409, 'invite_accepted');
    assertProblem(await s.api(`/v1/invites/${results[0].invite_id}`, { method: 'DELETE', token: admin }), 409, 'invite_accepted');

    // Now a member: inviting the address again is skipped.
    const re = await invite(s, admin, ['casey@acme.test']);
    assert.equal(re.results[0].code, 'already_member');

    const acc = await audit(s, admin, 'invite.accepted');
    assert.equal(acc.length, 1);
    assert.equal(acc[0].actor_id, u.id);
    assert.equal(acc[0].detail.user_id, u.id);
    const created = (await audit(s, admin, 'user.created')).filter((e) => e.target_id === u.id);
    assert.equal(created[0].detail.invite_id, results[0].invite_id);
  } finally {
    await s.stop();
  }
});

test('resend issues a fresh link and the old one stops working; cancel ends an invitation', async () => {
  const s = await startServer();
  try {
    let admin = await s.login();
    const { results } = await invite(s, admin, ['dana@acme.test', 'eli@acme.test']);
    const [dana, eli] = results.map((x) => x.invite_id);
    const old = s.lastToken('dana@acme.test', 'invite');
    const before = (await s.api(`/v1/invites/${dana}`, { token: admin })).body;

    await s.advance(2 * DAY);
    admin = await s.login(); // sessions idle out in the meantime
    const rs = await s.api(`/v1/invites/${dana}/resend`, { method: 'POST', token: admin });
    assert.equal(rs.status, 200, JSON.stringify(rs.body));
    const waited = (Date.parse(rs.body.sent_at) - Date.parse(before.sent_at)) / 1000;
    assert.ok(waited >= 2 * DAY && waited < 2 * DAY + 60, `${waited}`); // the real clock runs on too
    assert.equal((Date.parse(rs.body.expires_at) - Date.parse(rs.body.sent_at)) / 1000, 7 * DAY);
    const fresh = s.lastToken('dana@acme.test', 'invite');
    assert.notEqual(fresh, old);
    assert.equal(inviteMails(s, 'dana@acme.test').length, 2);

    const accept = (token, name) => s.api('/v1/invites/accept', { method: 'POST', body: { token, name, password: PASSWORD } });
    assertProblem(await accept(old, 'Dana'), 404, 'token_invalid', 'token');
    assertProblem(await s.api(`/v1/invites/lookup?token=${old}`), 404, 'token_invalid', 'token');
    const ok = await accept(fresh, 'Dana');
    assert.equal(ok.status, 200, JSON.stringify(ok.body));

    // Cancel.
    const eliToken = s.lastToken('eli@acme.test', 'invite');
    const del = await s.api(`/v1/invites/${eli}`, { method: 'DELETE', token: admin });
    assert.equal(del.status, 204);
    assertProblem(await accept(eliToken, 'Eli'), 410, 'invite_cancelled', 'token');
    assertProblem(await s.api(`/v1/invites/lookup?token=${eliToken}`), 410, 'invite_cancelled', 'token');
    assert.deepEqual(await pending(s, admin), []);
    assertProblem(await s.api(`/v1/invites/${eli}`, { method: 'DELETE', token: admin }), 409, 'invite_cancelled');
    assertProblem(await s.api(`/v1/invites/${eli}/resend`, { method: 'POST', token: admin }), 409, 'invite_cancelled');
    assertProblem(await s.api('/v1/invites/inv_missing', { method: 'DELETE', token: admin }), 404, 'invite_not_found');
    assertProblem(await s.api('/v1/invites/inv_missing/resend', { method: 'POST', token: admin }), 404, 'invite_not_found');
    assertProblem(await s.api('/v1/auth/login', { method: 'POST', body: { email: 'eli@acme.test', password: PASSWORD } }),
      401, 'invalid_credentials');

    // A cancelled address can be invited afresh.
    const re = await invite(s, admin, ['eli@acme.test']);
    assert.equal(re.results[0].status, 'invited');
    assert.notEqual(re.results[0].invite_id, eli);

    // If the address became a user some other way meanwhile, the link cannot make a second one.
    await invite(s, admin, ['hal@acme.test']);
    const halToken = s.lastToken('hal@acme.test', 'invite');
    // (creating the account directly is refused while the invitation is pending...)
    assertProblem(await s.api('/v1/users', { method: 'POST', token: admin,
      body: { email: 'Hal@acme.test', name: 'Hal', role: 'user' } }), 409, 'already_invited', 'email');
    // (...and so is moving an existing user's address onto it: that would hold two seats)
    const other = await s.api('/v1/users', { method: 'POST', token: admin, body: { email: 'hal.old@acme.test', name: 'Hal', role: 'user' } });
    assert.equal(other.status, 201);
    assertProblem(await s.api(`/v1/users/${other.body.id}`, { method: 'PATCH', token: admin, body: { email: 'Hal@acme.test' } }),
      409, 'already_invited', 'email');
    assert.equal((await s.api(`/v1/users/${other.body.id}`, { token: admin })).body.email, 'hal.old@acme.test');
    // The pending invitation is untouched and still works.
    const hal = await accept(halToken, 'Hal');
    assert.equal(hal.status, 200, JSON.stringify(hal.body));
    assertProblem(await accept(halToken, 'Hal Again'), 410, 'invite_used', 'token');

    const resent = await audit(s, admin, 'invite.resent');
    assert.deepEqual(resent.map((e) => e.target_id), [dana]);
    const cancelled = await audit(s, admin, 'invite.cancelled');
    assert.deepEqual(cancelled.map((e) => e.target_id), [eli]);
    assert.equal(cancelled[0].detail.email, 'eli@acme.test');
  } finally {
    await s.stop();
  }
});

test('an expired link is refused and audited; the org setting sets the lifetime', async () => {
  const s = await startServer();
  try {
    let admin = await s.login();
    const { results } = await invite(s, admin, ['fay@acme.test']);
    const id = results[0].invite_id;
    const token = s.lastToken('fay@acme.test', 'invite');
    await s.advance(7 * DAY - 10);
    assert.equal((await s.api(`/v1/invites/lookup?token=${token}`)).body.expired, false);
    await s.advance(10);
    admin = await s.login();

    const look = await s.api(`/v1/invites/lookup?token=${token}`);
    assert.equal(look.status, 200);
    assert.equal(look.body.expired, true);
    const r = await s.api('/v1/invites/accept', { method: 'POST', body: { token, name: 'Fay', password: PASSWORD } });
    assertProblem(r, 410, 'invite_expired', 'token');
    assert.match(r.body.detail, /expired/);
    assertProblem(await s.api('/v1/auth/login', { method: 'POST', body: { email: 'fay@acme.test', password: PASSWORD } }),
      401, 'invalid_credentials');
    const uses = await audit(s, admin, 'invite.expired_use');
    assert.equal(uses.length, 1);
    assert.equal(uses[0].target_id, id);
    assert.equal(uses[0].actor_type, 'anonymous');

    // Still listed, flagged expired, until resent or cancelled.
    const items = await pending(s, admin);
    assert.equal(items.length, 1);
    assert.equal(items[0].expired, true);

    // Inviting the address again renews the same invitation with a new link.
    const again = await invite(s, admin, ['fay@acme.test'], 'admin');
    assert.equal(again.results[0].status, 'invited');
    assert.equal(again.results[0].renewed, true);
    assert.equal(again.results[0].invite_id, id);
    const renewedToken = s.lastToken('fay@acme.test', 'invite');
    assertProblem(await s.api(`/v1/invites/lookup?token=${token}`), 404, 'token_invalid');
    const got = await s.api(`/v1/invites/lookup?token=${renewedToken}`);
    assert.equal(got.body.expired, false);
    assert.equal(got.body.role.key, 'admin');

    // A shorter lifetime from the org settings.
    const patch = await s.api('/v1/org', { method: 'PATCH', token: admin, body: { invite_ttl_s: 3600 } });
    assert.equal(patch.status, 200, JSON.stringify(patch.body));
    const g = await invite(s, admin, ['gus@acme.test']);
    const gi = (await s.api(`/v1/invites/${g.results[0].invite_id}`, { token: admin })).body;
    assert.equal((Date.parse(gi.expires_at) - Date.parse(gi.sent_at)) / 1000, 3600);
    const gt = s.lastToken('gus@acme.test', 'invite');
    await s.advance(3601);
    admin = await s.login();
    assertProblem(await s.api('/v1/invites/accept', { method: 'POST', body: { token: gt, name: 'Gus', password: PASSWORD } }),
      410, 'invite_expired');
    // Resending an expired invitation revives it.
    const rs = await s.api(`/v1/invites/${gi.id}/resend`, { method: 'POST', token: admin });
    assert.equal(rs.status, 200);
    assert.equal(rs.body.expired, false);
    const ok = await s.api('/v1/invites/accept', {
      method: 'POST', body: { token: s.lastToken('gus@acme.test', 'invite'), name: 'Gus', password: PASSWORD },
    });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
  } finally {
    await s.stop();
  }
});

test('a device account (kiosk role) can only read, whatever it is granted', async () => {
  const s = await startServer({ template: 'monitoring' });
  try {
    const admin = await s.login();
    const roles = (await s.api('/v1/roles', { token: admin })).body.items;
    assert.equal(roles.find((r) => r.key === 'kiosk').device, true);
    await invite(s, admin, ['display@acme.test'], 'kiosk');
    const acc = await s.api('/v1/invites/accept', {
      method: 'POST', body: { token: s.lastToken('display@acme.test', 'invite'), name: 'Hall display', password: PASSWORD },
    });
    assert.equal(acc.status, 200, JSON.stringify(acc.body));
    const dev = acc.body.token;
    const devId = acc.body.user.id;
    const adminId = (await s.api('/v1/me', { token: admin })).body.id;

    const me = await s.api('/v1/me', { token: dev });
    assert.equal(me.status, 200);
    assert.equal(me.body.access.device, true);

    // Someone tries to make the display an administrator: through its role...
    // (issue 11: a device role refuses write permissions, naming them,
    // instead of accepting and silently ignoring them)
    let r = await s.api('/v1/roles/kiosk', {
      method: 'PATCH', token: admin,
      body: { permissions: ['users.manage', 'users.view', 'settings.manage', 'it.operations', 'reports.download'] },
    });
    assertProblem(r, 400, 'device_write_permission', 'permissions');
    assert.deepEqual(r.body.permissions, ['users.manage', 'settings.manage', 'it.operations']);
    r = await s.api('/v1/roles/kiosk', { method: 'PATCH', token: admin, body: { permissions: ['users.view', 'reports.download'] } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    // ...and through grants on the account itself.
    r = await s.api(`/v1/users/${devId}`, { method: 'PATCH', token: admin, body: { grants: ['users.manage', 'groups.manage'] } });
    assert.equal(r.status, 200, JSON.stringify(r.body));

    // Every change is refused before it reaches a handler.
    const changes = [
      ['PATCH', '/v1/me', { name: 'Renamed' }],
      ['POST', '/v1/me/password', { current_password: PASSWORD, new_password: 'another long passphrase' }],
      ['POST', '/v1/users', { email: 'x@acme.test', name: 'X', role: 'executive' }],
      ['PATCH', `/v1/users/${adminId}`, { role: 'supervisor' }],
      ['DELETE', `/v1/users/${adminId}`],
      ['POST', `/v1/users/${adminId}/lock`],
      ['POST', `/v1/users/${adminId}/revoke-sessions`],
      ['POST', '/v1/invites', { emails: ['y@acme.test'], role: 'executive' }],
      ['POST', '/v1/roles', { key: 'mine', name: 'Mine', permissions: ['users.manage'] }],
      ['PATCH', '/v1/roles/kiosk', { permissions: [] }],
      ['DELETE', '/v1/roles/supervisor'],
      ['PATCH', '/v1/org', { name: 'Hacked' }],
      ['POST', '/v1/api-keys', { name: 'k' }],
    ];
    for (const [method, path, body] of changes) {
      assertProblem(await s.api(path, { method, token: dev, body }), 403, 'device_read_only');
    }
    const imp = await s.api('/v1/users/import', {
      method: 'POST', token: dev, raw: 'name,email,role\nZ,z@acme.test,executive\n', headers: { 'Content-Type': 'text/csv' },
    });
    assertProblem(imp, 403, 'device_read_only');

    // Nothing changed.
    const users = (await s.api('/v1/users', { token: admin })).body.items;
    assert.deepEqual(users.map((u) => u.email).sort(), ['admin@acme.test', 'display@acme.test']);
    assert.equal(users.find((u) => u.id === adminId).role, 'it-admin');
    assert.equal((await s.api('/v1/org', { token: admin })).body.name, 'Acme Plant');
    assert.deepEqual(await pending(s, admin), []);

    // It keeps only the read-only permissions it was given.
    const perms = (await s.api('/v1/me/permissions', { token: dev })).body.permissions;
    assert.ok(perms.includes('users.view'));
    assert.ok(perms.includes('reports.download'));
    for (const p of ['users.manage', 'settings.manage', 'it.operations', 'groups.manage']) assert.ok(!perms.includes(p), p);
    const chk = await s.api('/v1/check', { method: 'POST', token: dev, body: { user_id: devId, permission: 'users.manage' } });
    assert.equal(chk.status, 200, JSON.stringify(chk.body));
    assert.equal(chk.body.allowed, false);
    // Reading is fine.
    assert.equal((await s.api('/v1/users', { token: dev })).status, 200);
    // And it can sign out.
    assert.equal((await s.api('/v1/auth/logout', { method: 'POST', token: dev })).status, 204);

    // A role created as a device role behaves the same (and refuses a write
    // permission when created, issue 11).
    assertProblem(await s.api('/v1/roles', {
      method: 'POST', token: admin, body: { key: 'wallboard', name: 'Wallboard', device: true, permissions: ['users.manage'] },
    }), 400, 'device_write_permission', 'permissions');
    r = await s.api('/v1/roles', {
      method: 'POST', token: admin, body: { key: 'wallboard', name: 'Wallboard', device: true, permissions: ['users.view'] },
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    await invite(s, admin, ['wall@acme.test'], 'wallboard');
    const w = await s.api('/v1/invites/accept', {
      method: 'POST', body: { token: s.lastToken('wall@acme.test', 'invite'), name: 'Wallboard', password: PASSWORD },
    });
    assert.equal(w.status, 200);
    assertProblem(await s.api('/v1/users', { method: 'POST', token: w.body.token, body: { email: 'z@acme.test', name: 'Z', role: 'executive' } }),
      403, 'device_read_only');
    assertProblem(await s.api('/v1/me', { method: 'PATCH', token: w.body.token, body: { name: 'W' } }), 403, 'device_read_only');
  } finally {
    await s.stop();
  }
});

test('creating an account for an invited address is refused while the invitation is pending', async () => {
  const s = await startServer();
  try {
    const admin = await s.login();
    await invite(s, admin, ['pending@acme.test']);
    const r = await s.api('/v1/users', { method: 'POST', token: admin,
      body: { email: 'Pending@acme.test', name: 'Pen Ding', role: 'user' } });
    assertProblem(r, 409, 'already_invited', 'email');
    assert.ok(r.body.invite_id);
    const users = await s.api('/v1/users?q=pending', { token: admin });
    assert.equal(users.body.items.length, 0);
    // Cancelling the invitation frees the address.
    assert.equal((await s.api(`/v1/invites/${r.body.invite_id}`, { method: 'DELETE', token: admin })).status, 204);
    const ok = await s.api('/v1/users', { method: 'POST', token: admin,
      body: { email: 'pending@acme.test', name: 'Pen Ding', role: 'user' } });
    assert.equal(ok.status, 201, JSON.stringify(ok.body));
  } finally {
    await s.stop();
  }
});

test('invitations and the audit trail are searched with q (any case and accents), pages by cursor', async () => {
  const s = await startServer();
  try {
    const admin = await s.login();
    await invite(s, admin, ['Jose.Nunez@plant.test', 'anna@office.test', 'mia@plant.test']);
    const q = async (path) => {
      const r = await s.api(path, { token: admin });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return r.body;
    };
    // One request: the same created_at, so the order is by id.
    const both = (await q('/v1/invites?q=PLANT')).items.map((i) => i.email);
    assert.deepEqual([...both].sort(), ['Jose.Nunez@plant.test', 'mia@plant.test']);
    assert.deepEqual((await q(`/v1/invites?q=${encodeURIComponent('núñez')}`)).items.map((i) => i.email), ['Jose.Nunez@plant.test']);
    const first = await q('/v1/invites?q=plant&limit=1');
    assert.deepEqual(first.items.map((i) => i.email), [both[0]]);
    const next = await q(`/v1/invites?q=plant&limit=1&cursor=${encodeURIComponent(first.next_cursor)}`);
    assert.deepEqual(next.items.map((i) => i.email), [both[1]]);
    assert.deepEqual((await q('/v1/invites?q=nobody')).items, []);
    // The audit trail: by action, newest first, and by the target's name.
    const sent = await q('/v1/audit?q=INVITE.SENT');
    assert.ok(sent.items.length >= 3 && sent.items.every((e) => e.action === 'invite.sent'), JSON.stringify(sent.items));
    const seqs = sent.items.map((e) => e.at);
    assert.deepEqual(seqs, [...seqs].sort().reverse());
    const page = await q('/v1/audit?q=invite.sent&limit=1');
    assert.equal(page.items.length, 1);
    const rest = await q(`/v1/audit?q=invite.sent&cursor=${page.next_cursor}`);
    assert.equal(rest.items.length, sent.items.length - 1);
    assert.ok(!rest.items.some((e) => e.id === page.items[0].id));
    // A term over the limit is refused, and changes nothing.
    await assertProblem(await s.api(`/v1/invites?q=${'x'.repeat(201)}`, { token: admin }), 400, 'invalid_filter');
    await assertProblem(await s.api(`/v1/audit?q=${'x'.repeat(201)}`, { token: admin }), 400, 'invalid_filter');
  } finally {
    await s.stop();
  }
});
