// API keys carry scopes (issue 11): service scopes (authz.check,
// activity.write, tasks.write, scim) and permission keys, a subset of what
// the creator holds. A key reaches a route only if its scopes hold the
// route's scope (403 scope_missing), and never passes a check its scopes do
// not name. Keys made before scopes existed keep working (migration 7).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { BIN, freePort, startServer, assertProblem } from './lib.mjs';

const makeKey = (s, token, body) => s.api('/v1/api-keys', { method: 'POST', token, body });

test('API key scopes: default, subset, escalation, refusals', async () => {
  const s = await startServer();
  try {
    const admin = await s.login();
    const worker = await s.makeUser(admin, 'worker@acme.test', 'user');

    // The default is authz.check: checks, and nothing else.
    const d = await makeKey(s, admin, { name: 'checker' });
    assert.equal(d.status, 201, JSON.stringify(d.body));
    assert.deepEqual(d.body.scopes, ['authz.check']);
    const check = await s.api('/v1/check', { method: 'POST', token: d.body.key, body: { user_id: worker.id, permission: 'orders.enter' } });
    assert.deepEqual(check.body, { allowed: true, reason: 'granted_by_role' }, 'authz.check: /v1/check works');
    const users = await s.api('/v1/users', { token: d.body.key });
    assertProblem(users, 403, 'scope_missing');
    assert.equal(users.body.scope, 'users.view');
    assert.match(users.body.detail, /lacks the 'users\.view' scope/);
    const act = await s.api('/v1/activity', { method: 'POST', token: d.body.key, body: { user_id: worker.id, type: 'order_event', ref: 'SO-1' } });
    assertProblem(act, 403, 'scope_missing');
    assert.equal(act.body.scope, 'activity.write');
    const tasks = await s.api('/v1/tasks', { method: 'POST', token: d.body.key, body: { ref: 'OP-1', title: 'Cut' } });
    assertProblem(tasks, 403, 'scope_missing');
    assert.equal(tasks.body.scope, 'tasks.write');
    assert.equal((await s.api('/v1/tasks', { token: admin })).body.items.length, 0, 'nothing was created');

    // A permission scope reaches the routes needing that permission, only those.
    const v = await makeKey(s, admin, { name: 'directory', scopes: ['users.view', 'users.view'] });
    assert.equal(v.status, 201, JSON.stringify(v.body));
    assert.deepEqual(v.body.scopes, ['users.view'], 'repeats are dropped');
    assert.equal((await s.api('/v1/users', { token: v.body.key })).status, 200);
    assertProblem(await s.api('/v1/check', { method: 'POST', token: v.body.key, body: { user_id: worker.id, permission: 'x' } }), 403, 'scope_missing');
    assertProblem(await s.api('/v1/tasks', { token: v.body.key }), 403, 'scope_missing');

    // tasks.write: tasks and orders, and acting as tasks.assign inside them.
    const t = await makeKey(s, admin, { name: 'mes', scopes: ['tasks.write'] });
    assert.equal(t.status, 201, JSON.stringify(t.body));
    const task = await s.api('/v1/tasks', { method: 'POST', token: t.body.key, body: { ref: 'OP-1', title: 'Cut' } });
    assert.equal(task.status, 201, JSON.stringify(task.body));
    assert.equal((await s.api(`/v1/tasks/${task.body.id}/assignees/${worker.id}`, { method: 'PUT', token: t.body.key })).status, 204);
    assertProblem(await s.api('/v1/users', { token: t.body.key }), 403, 'scope_missing');

    // Bad scopes: 400 naming them, nothing created.
    const before = (await s.api('/v1/api-keys', { token: admin })).body.items.length;
    const unk = await makeKey(s, admin, { name: 'x', scopes: ['authz.check', 'users.manag', 'everything'] });
    assertProblem(unk, 400, 'unknown_scopes', 'scopes');
    assert.deepEqual(unk.body.unknown, ['users.manag', 'everything']);
    assertProblem(await makeKey(s, admin, { name: 'x', scopes: [] }), 400, 'invalid_scopes', 'scopes');
    const long = await makeKey(s, admin, { name: 'x', scopes: ['é'.repeat(3000)] });
    assertProblem(long, 400, 'unknown_scopes', 'scopes');
    assert.equal(long.body.unknown[0], 'é'.repeat(40), 'named, cut to 80 bytes on a character boundary');
    assertProblem(await makeKey(s, admin, { name: 'x', scopes: [7] }), 400, 'invalid_scopes', 'scopes');
    assertProblem(await makeKey(s, admin, { name: 'x', scopes: 'authz.check' }), 400, 'invalid_type', 'scopes');
    assert.equal((await s.api('/v1/api-keys', { token: admin })).body.items.length, before);

    // Escalation: an IT operator without users.view or tasks.assign cannot
    // hand them to a key; they can create keys with what they hold.
    assert.equal((await s.api('/v1/roles', { method: 'POST', token: admin, body: { key: 'itops', name: 'IT', permissions: ['it.operations'] } })).status, 201);
    const it = await s.makeUser(admin, 'it@acme.test', 'itops');
    const esc = await makeKey(s, it.token, { name: 'sneaky', scopes: ['authz.check', 'users.view', 'users.manage'] });
    assertProblem(esc, 403, 'escalation');
    assert.deepEqual(esc.body.missing, ['users.view', 'users.manage']);
    const esc2 = await makeKey(s, it.token, { name: 'sneaky', scopes: ['tasks.write'] });
    assertProblem(esc2, 403, 'escalation');
    assert.deepEqual(esc2.body.missing, ['tasks.assign'], 'tasks.write acts as tasks.assign');
    assert.equal((await s.api('/v1/api-keys', { token: admin })).body.items.length, before, 'nothing created');
    const ok = await makeKey(s, it.token, { name: 'fine', scopes: ['authz.check', 'activity.write', 'it.operations', 'dashboards.view'] });
    assert.equal(ok.status, 201, JSON.stringify(ok.body));
    // Open permissions are held by everyone, so they may be conferred.
    assert.deepEqual(ok.body.scopes, ['authz.check', 'activity.write', 'it.operations', 'dashboards.view']);
    // scim is reserved: accepted, reaches nothing yet.
    const scim = await makeKey(s, admin, { name: 'idp', scopes: ['scim'] });
    assert.equal(scim.status, 201);
    assertProblem(await s.api('/v1/check', { method: 'POST', token: scim.body.key, body: { permission: 'x', user_id: worker.id } }), 403, 'scope_missing');

    // (In-handler checks follow the scopes too: tests/api/groups.test.mjs,
    // members of a group need users.view.)
    const audit = (await s.api('/v1/audit?action=api_key.created', { token: admin })).body.items;
    assert.ok(audit.some((e) => JSON.stringify(e).includes('"tasks.write"')), 'the audit trail records the scopes');
  } finally {
    await s.stop();
  }
});

const SCOPES_MIGRATION = 9;

// Winding the schema back to 8 must also undo the migrations after 9.
const BUMP = "UPDATE meta SET value = value + 1 WHERE key = 'generation';";
const UNDO_AFTER_9 = [
  // 28: list filters in name order, invitation and audit search
  'DROP TRIGGER invites_search_ins; DROP TRIGGER invites_search_upd; DROP TRIGGER invites_search_del;',
  'DROP TABLE invites_search; DROP TABLE invite_search_ids; DROP TABLE audit_search;',
  'DROP INDEX users_org_status_name; DROP INDEX users_org_role_name; DROP INDEX users_org_office_name; DROP INDEX users_org_factory_name;',
  'CREATE INDEX users_org_role ON users(org_id, role_key);',
  'DROP INDEX users_org_name; CREATE INDEX users_org_name ON users(org_id, name_sort, id);',
  // 27: languages
  'ALTER TABLE users DROP COLUMN language; ALTER TABLE kiosk_devices DROP COLUMN language;',
  // 26: RP-initiated logout data of SSO sessions; 25: the e-mail domains of company sign-in
  'DROP TABLE sso_sessions;',
  'DROP TABLE sso_domains;',
  // 24: account expiry and the scheduled lock/unlock
  'DROP INDEX users_expires; DROP INDEX users_lock_at; DROP INDEX users_unlock_at; DROP INDEX users_seats;',
  ...['expires_at', 'lock_at', 'unlock_at'].map((c) => `ALTER TABLE users DROP COLUMN ${c};`),
  // 23: the group order index and search index
  'DROP TRIGGER groups_search_ins; DROP TRIGGER groups_search_upd; DROP TRIGGER groups_search_del;',
  'DROP TABLE groups_search; DROP TABLE group_search_ids; DROP TRIGGER groups_sort_ins; DROP TRIGGER groups_sort_upd;',
  'DROP INDEX groups_org_order; ALTER TABLE groups DROP COLUMN name_sort;',
  // 22: the task search index
  'DROP TRIGGER tasks_search_ins; DROP TRIGGER tasks_search_upd; DROP TRIGGER tasks_search_del;',
  'DROP TABLE tasks_search; DROP TABLE task_search_ids;',
  // 21: whether an SSO re-authentication's MFA counted
  'ALTER TABLE sso_states DROP COLUMN proved_mfa;',
  // 20: the change log behind incremental snapshots; the triggers as 8 left them
  'DROP TRIGGER gen_users_i; DROP TRIGGER gen_users_u; DROP TRIGGER gen_users_d;',
  'DROP TRIGGER gen_roles_i; DROP TRIGGER gen_roles_u; DROP TRIGGER gen_roles_d;',
  'DROP TABLE authz_changes;',
  `CREATE TRIGGER gen_users_i AFTER INSERT ON users BEGIN ${BUMP} END;`,
  `CREATE TRIGGER gen_users_d AFTER DELETE ON users BEGIN ${BUMP} END;`,
  `CREATE TRIGGER gen_roles_i AFTER INSERT ON roles BEGIN ${BUMP} END;`,
  `CREATE TRIGGER gen_roles_d AFTER DELETE ON roles BEGIN ${BUMP} END;`,
  'CREATE TRIGGER gen_users_u AFTER UPDATE ON users WHEN' +
    ' OLD.org_id IS NOT NEW.org_id OR OLD.role_key IS NOT NEW.role_key OR OLD.status IS NOT NEW.status' +
    ' OR OLD.modules IS NOT NEW.modules OR OLD.grants IS NOT NEW.grants' +
    ' OR OLD.office_access IS NOT NEW.office_access OR OLD.factory_access IS NOT NEW.factory_access' +
    ` BEGIN ${BUMP} END;`,
  'CREATE TRIGGER gen_roles_u AFTER UPDATE ON roles WHEN' +
    ' OLD.org_id IS NOT NEW.org_id OR OLD.key IS NOT NEW.key OR OLD.permissions IS NOT NEW.permissions' +
    ` OR OLD.device IS NOT NEW.device BEGIN ${BUMP} END;`,
  // 12: second factors
  'ALTER TABLE sessions DROP COLUMN mfa_pending;',
  'DROP TABLE org_mfa; DROP TABLE mfa_recovery_codes; DROP INDEX mfa_factors_user; DROP TABLE mfa_factors;',
  // 13: SCIM attributes
  'DROP TABLE scim_users;',
  // 14: the user search index
  'DROP TRIGGER users_search_ins; DROP TRIGGER users_search_upd; DROP TRIGGER users_search_del;',
  'DROP TABLE users_search; DROP TABLE user_search_ids; ALTER TABLE users DROP COLUMN search_key;',
  // 15: the device session policy
  'ALTER TABLE sessions DROP COLUMN device; ALTER TABLE orgs DROP COLUMN device_idle_s; ALTER TABLE orgs DROP COLUMN device_session_s;',
  // 16: webhooks
  'DROP TABLE webhook_deliveries; DROP TABLE webhooks;',
  // 17: SAML service-provider keys and seen assertion ids
  'DROP TABLE saml_seen; DROP TABLE saml_sp_keys;',
  // 18: electronic signatures
  'DROP TABLE signature_heads; DROP INDEX signatures_ref; DROP TABLE signatures;',
  'DROP INDEX esign_accounts_org; DROP TABLE esign_accounts;',
  // 19: passkeys
  'DROP TABLE webauthn_challenges; DROP INDEX webauthn_credentials_user; DROP TABLE webauthn_credentials;',
  // 11 (issue 15): the delivery outbox's columns
  'DROP INDEX outbox_due;',
  ...['html', 'attempts', 'last_error', 'next_attempt_at', 'lease_until', 'link_expires_at', 'scrubbed']
    .map((c) => `ALTER TABLE outbox DROP COLUMN ${c};`),
  // 10 (issue 16): company sign-in
  'DROP TABLE sso_states; DROP TABLE identities; DROP TABLE org_sso;',
].join(' ');

test('keys made before scopes keep working (migration 9)', async () => {
  const s = await startServer();
  let proc;
  try {
    const admin = await s.login();
    const worker = await s.makeUser(admin, 'worker@acme.test', 'user');
    const key = (await makeKey(s, admin, { name: 'legacy' })).body.key;
    // Stop this server but keep its database; make it a database from before
    // the scopes migration (SCOPES_MIGRATION: every migration after it is
    // undone too).
    s.proc.kill('SIGTERM');
    await new Promise((res) => (s.proc.exitCode !== null ? res() : s.proc.on('exit', res)));
    const sql = spawnSync('sqlite3', [s.db, `ALTER TABLE api_keys DROP COLUMN scopes; ${UNDO_AFTER_9} UPDATE meta SET value = '${SCOPES_MIGRATION - 1}' WHERE key = 'schema_version';`], { encoding: 'utf8' });
    assert.equal(sql.status, 0, sql.stderr);
    const port = await freePort();
    proc = spawn(BIN, ['serve', '--db', s.db, '--listen', `127.0.0.1:${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    proc.stderr.on('data', (c) => { log += c; });
    const url = `http://127.0.0.1:${port}`;
    for (let i = 0; ; i++) {
      try { if ((await fetch(`${url}/healthz`)).ok) break; } catch { /* not yet */ }
      assert.ok(i < 400 && proc.exitCode === null, `server did not start: ${log}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const call = async (path, method = 'GET', body) => {
      const r = await fetch(url + path, { method, headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' }, body: body && JSON.stringify(body) });
      return { status: r.status, body: await r.json() };
    };
    assert.equal((await call('/v1/check', 'POST', { user_id: worker.id, permission: 'orders.enter' })).body.allowed, true);
    assert.equal((await call('/v1/users')).status, 200);
    assert.equal((await call('/v1/tasks', 'POST', { ref: 'OP-9', title: 'Weld' })).status, 201);
    assert.equal((await call('/v1/activity', 'POST', { user_id: worker.id, type: 'order_event', ref: 'SO-9' })).status, 201);
    const list = await fetch(`${url}/v1/auth/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ email: 'admin@acme.test', password: 'correct horse battery staple' }) });
    const tok = (await list.json()).token;
    const keys = await (await fetch(`${url}/v1/api-keys`, { headers: { Authorization: `Bearer ${tok}` } })).json();
    assert.deepEqual(keys.items[0].scopes, ['authz.check', 'activity.write', 'tasks.write', 'users.view']);
    proc.kill('SIGTERM');
    const code = await new Promise((res) => proc.on('exit', res));
    assert.equal(code, 0, log);
    assert.doesNotMatch(log, /AddressSanitizer|LeakSanitizer|runtime error/);
  } finally {
    if (proc && proc.exitCode === null) proc.kill('SIGKILL');
    rmSync(s.dir, { recursive: true, force: true });
  }
});
