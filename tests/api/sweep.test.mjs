// A sweep over every route in the route table (`gatehouse routes`): junk path
// parameters, junk query strings and malformed or mistyped bodies, sent by an
// administrator, a plain user, an API key and nobody. Whatever the route,
// the answer is never a 5xx, a refusal is problem+json with a stable code
// (under /scim/, a SCIM Error message that keeps the code),
// and the server (under ASan/UBSan in `make test`) stays healthy and exits
// cleanly. The focused tests check each route's own codes; this one makes
// sure no route was forgotten.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, BIN, PASSWORD } from './lib.mjs';
import { spawnSync } from 'node:child_process';

function routes() {
  const r = spawnSync(BIN, ['routes'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim().split('\n').map((l) => {
    const [method, pattern, auth, perm, scope] = l.split('\t');
    return { method, pattern, auth, perm: perm === '-' ? null : perm, scope: scope === '-' ? null : scope };
  });
}

// Routes a sweep must not call: they end the caller's own session or serve
// files, not JSON (the file servers are covered by the browser tests).
const SKIP = new Set(['POST /v1/auth/logout', 'GET /console/*', 'GET /kiosk/*', 'GET /']);

const JUNK_PARAMS = ['nope', 'x'.repeat(300), '%FF%FE%00', '..%2F..%2Fetc', '0', '-1'];
const JUNK_QUERIES = ['', '?limit=-1', '?limit=abc&cursor=%%%', '?cursor=eyJub3RoaW5nIjoxfQ', '?from=yesterday&to=2026-13-45T99:00:00Z',
  '?status=zzz&role=%00&q=' + 'q'.repeat(2000), '?user_id=&explain=maybe&dry_run=2', '?token=&include_config=perhaps'];
const JUNK_BODIES = [
  'not json', '[]', '{', '{}', 'null', '"a string"', '123', '{"unknown_field_xyz": 1}',
  JSON.stringify({ name: 123, email: [], role: {}, user_id: true, permission: null, emails: 'x', task_id: 1.5, badge: [], pin: 123,
    password: 7, token: false, key: [], permissions: 'all', modules: 5, grants: {}, group_ids: 'g', config: [], status: 9, kind: 0,
    org: 1, new_pin: 1234, current_pin: [], at: 'soon', type: 7, ref: null, title: [], due: 'tomorrow' }),
  JSON.stringify({ name: 'n'.repeat(5000), email: 'e'.repeat(400) + '@x.test', role: 'r'.repeat(300), permission: 'p'.repeat(300),
    user_id: 'u'.repeat(300), task_id: 't'.repeat(300), emails: Array(200).fill('a@b.test'), permissions: Array(300).fill('x.y') }),
  JSON.stringify({ checks: Array(2000).fill({ user_id: 'x', permission: 'y' }) }),
];

function fill(pattern, value) {
  return pattern.replace(/\{[^}]+\}/g, value);
}

test('every route answers junk with a 4xx problem (or a success), never a 5xx', async (t) => {
  const s = await startServer();
  try {
    const admin = await s.login();
    const user = await s.makeUser(admin, 'plain@acme.test', 'user');
    const key = (await s.api('/v1/api-keys', { method: 'POST', token: admin, body: { name: 'sweep',
      scopes: ['authz.check', 'activity.write', 'tasks.write', 'users.view', 'it.operations'] } })).body.key;
    assert.ok(key, 'an API key for the sweep');
    const callers = [['admin', admin], ['user', user.token], ['api key', key], ['nobody', undefined]];
    // SCIM routes answer only keys with the scim scope: one more caller there.
    const scimKey = (await s.api('/v1/api-keys', { method: 'POST', token: admin, body: { name: 'sweep scim',
      scopes: ['scim', 'users.manage', 'groups.manage', 'users.view'] } })).body.key;
    assert.ok(scimKey, 'a SCIM key for the sweep');
    let calls = 0;
    const failures = [];
    const check = (what, r) => {
      calls++;
      if (r.status >= 500) failures.push(`${what}: ${r.status} ${r.text.slice(0, 200)}`);
      else if (r.status >= 400 && what.includes(' /scim/')) {
        const type = r.headers.get('content-type') || '';
        if (!type.startsWith('application/scim+json') || typeof r.body?.code !== 'string' || r.body.status !== String(r.status) ||
            r.body.schemas?.[0] !== 'urn:ietf:params:scim:api:messages:2.0:Error')
          failures.push(`${what}: ${r.status} is not a SCIM error with a code: ${type} ${r.text.slice(0, 200)}`);
      } else if (r.status >= 400) {
        const type = r.headers.get('content-type') || '';
        if (!type.startsWith('application/problem+json') || typeof r.body?.code !== 'string' || r.body.status !== r.status)
          failures.push(`${what}: ${r.status} is not a problem with a code: ${type} ${r.text.slice(0, 200)}`);
      }
    };
    for (const rt of routes()) {
      if (SKIP.has(`${rt.method} ${rt.pattern}`)) continue;
      const paths = rt.pattern.includes('{') ? JUNK_PARAMS.map((p) => fill(rt.pattern, p)) : [rt.pattern];
      const who_calls = rt.pattern.startsWith('/scim/') ? [...callers, ['scim key', scimKey]] : callers;
      for (const [who, token] of who_calls) {
        for (const path of paths) {
          if (rt.method === 'GET' || rt.method === 'DELETE') {
            for (const q of JUNK_QUERIES) {
              const what = `${who} ${rt.method} ${path.slice(0, 80)}${q.slice(0, 60)}`;
              check(what, await s.api(path + q, { method: rt.method, token }));
            }
          } else {
            for (const raw of JUNK_BODIES) {
              const what = `${who} ${rt.method} ${path.slice(0, 80)} ${raw.slice(0, 40)}`;
              check(what, await s.api(path, { method: rt.method, token, raw }));
            }
            // And the wrong content type.
            check(`${who} ${rt.method} ${path.slice(0, 80)} text/plain`,
              await s.api(path, { method: rt.method, token, raw: '{}', headers: { 'Content-Type': 'text/plain' } }));
          }
        }
      }
    }
    assert.deepEqual(failures, [], `${failures.length} of ${calls} answers were wrong:\n${failures.slice(0, 40).join('\n')}`);
    assert.ok(calls > 1000, `the sweep made ${calls} calls`);
    t.diagnostic(`${calls} calls`);
    // Still healthy, and the administrator still works.
    assert.equal((await s.api('/healthz')).status, 200);
    assert.equal((await s.api('/v1/me', { token: admin })).status, 200);
  } finally {
    await s.stop();
  }
});

// The refusals themselves (issue 11), for every route of the route table:
// nobody gets 401; a person without the route's permission gets 403; an API
// key without the route's scope gets 403 scope_missing (and a key is refused
// on routes for people); ids of another organization are 404. Each rule is
// read from the route table, so a new route is covered the day it is added.
const ANSWERS_ANONYMOUS = new Set(['none']);

/** Resources of one organization, by the path parameter that names them. */
async function resources(s, admin, tag, plainRole = 'user') {
  const ok = (r, what) => { assert.ok(r.status < 300, `${tag} ${what}: ${r.status} ${JSON.stringify(r.body)}`); return r.body; };
  // s.makeUser signs in without naming the org: fine while there is one.
  const email = `worker-${tag}@${tag}.test`;
  const c = ok(await s.api('/v1/users', { method: 'POST', token: admin, body: { email, name: `Worker ${tag}`, role: plainRole } }), 'user');
  ok(await s.api('/v1/auth/verify-email', { method: 'POST', body: { token: s.lastToken(email, 'verify_email'), password: PASSWORD } }), 'verify');
  const worker = { id: c.id, token: await s.login(email, PASSWORD, tag) };
  const role = ok(await s.api('/v1/roles', { method: 'POST', token: admin, body: { key: `only-${tag}`, name: `Only ${tag}`, permissions: [] } }), 'role');
  const group = ok(await s.api('/v1/groups', { method: 'POST', token: admin, body: { name: `G ${tag}` } }), 'group');
  const view = ok(await s.api('/v1/views', { method: 'POST', token: admin, body: { name: `V ${tag}`, kind: 'dashboard', config: {} } }), 'view');
  const task = ok(await s.api('/v1/tasks', { method: 'POST', token: admin, body: { ref: `OP-${tag}`, title: 'Cut' } }), 'task');
  const screen = ok(await s.api('/v1/screens', { method: 'POST', token: admin, body: { name: `S ${tag}` } }), 'screen');
  const key = ok(await s.api('/v1/api-keys', { method: 'POST', token: admin, body: { name: `k ${tag}` } }), 'api key');
  const device = ok(await s.api('/v1/kiosk-devices', { method: 'POST', token: admin, body: { name: `d ${tag}` } }), 'device');
  const webhook = ok(await s.api('/v1/webhooks', { method: 'POST', token: admin, body: { url: `https://${tag}.example/hook`, events: ['*'] } }), 'webhook');
  ok(await s.api('/v1/invites', { method: 'POST', token: admin, body: { emails: [`invited-${tag}@${tag}.test`], role: plainRole } }), 'invite');
  const invite = (await s.api('/v1/invites', { token: admin })).body.items[0];
  ok(await s.api(`/v1/tasks/${task.id}/assignees/${worker.id}`, { method: 'PUT', token: admin }), 'assign');
  const checkin = ok(await s.api('/v1/checkins', { method: 'POST', token: worker.token, body: { task_id: task.id } }), 'check-in');
  const session = (await s.api('/v1/me/sessions', { token: worker.token })).body.items[0];
  return {
    worker,
    ids: {
      '/v1/me/sessions/': session.id, '/v1/invites/': invite.id, '/v1/users/': worker.id, '/v1/roles/': role.key,
      '/v1/api-keys/': key.id, '/v1/groups/': group.id, '/v1/views/': view.id, '/v1/kiosk-devices/': device.id,
      '/v1/tasks/': task.id, '/v1/screens/': screen.id, '/v1/checkins/': checkin.id, '/v1/webhooks/': webhook.id,
      '/scim/v2/Users/': worker.id, '/scim/v2/Groups/': group.id,
      user_id: worker.id, task_id: task.id,
    },
  };
}

/** The route's path with each {param} from ids; `foreign` names the one taken from other. */
function pathWith(pattern, own, other, foreign) {
  let i = 0;
  return pattern.replace(/\{([^}]+)\}/g, (m, name, off) => {
    const which = i++ === foreign ? other : own;
    if (name === 'user_id' || name === 'task_id') return which[name];
    const prefix = Object.keys(which).find((p) => p.startsWith('/') && pattern.slice(0, off).endsWith(p.slice(0, -1) + '/'));
    return prefix ? which[prefix] : 'unknown-param';
  });
}

// Valid bodies for routes that check their body before finding the record,
// so that the cross-organization call reaches the lookup.
const BODIES = { 'PUT /v1/views/{id}/shares': { group_ids: [] }, 'PATCH /v1/screens/{id}': { name: 'x' },
  'POST /v1/checkins/{id}/checkout': { status: 'complete' }, 'PATCH /v1/me/mfa/webauthn/{id}': { name: 'x' },
  'PUT /v1/users/{id}/esignature': { enabled: true }, 'PATCH /v1/kiosk-devices/{id}': { language: 'es' } };

// Routes whose {param} is not an id of the organization's records.
const NOT_ORG_SCOPED = new Set(['POST /v1/kiosk/{org}/login', 'GET /scim/v2/ResourceTypes/{id}', 'GET /scim/v2/Schemas/{id}']);

test('every route refuses: 401 for nobody, 403 without the permission or the key scope, 404 for another organization', async () => {
  const s = await startServer();
  try {
    const admin = await s.login();
    // A person holding nothing but what every person holds.
    assert.equal((await s.api('/v1/roles', { method: 'POST', token: admin, body: { key: 'bare', name: 'Bare', permissions: [] } })).status, 201);
    const bare = await s.makeUser(admin, 'bare@acme.test', 'bare');
    const mine = await resources(s, admin, 'acme');
    const beta = await s.otherOrg('beta');
    const theirs = await resources(s, beta, 'beta');
    // A key holding only the reserved scim scope: no route's scope.
    const scimKey = (await s.api('/v1/api-keys', { method: 'POST', token: admin, body: { name: 'scim', scopes: ['scim'] } })).body.key;
    // A key holding every scope (to show the refusal is the scope's, not the key's).
    const allKey = (await s.api('/v1/api-keys', { method: 'POST', token: admin, body: { name: 'all',
      scopes: ['authz.check', 'activity.write', 'tasks.write', 'users.view', 'it.operations'] } })).body.key;
    // A key for the SCIM routes (whose scope is scim): it may read and change people and groups.
    const scimAllKey = (await s.api('/v1/api-keys', { method: 'POST', token: admin, body: { name: 'scim all',
      scopes: ['scim', 'users.manage', 'groups.manage'] } })).body.key;
    const failures = [];
    const expect = (what, r, status, code, extra) => {
      if (r.status !== status || (code && r.body?.code !== code) || (extra && !extra(r.body)))
        failures.push(`${what}: want ${status} ${code ?? ''}, got ${r.status} ${r.text.slice(0, 160)}`);
    };
    let counted = 0;
    for (const rt of routes()) {
      const id = `${rt.method} ${rt.pattern}`;
      if (SKIP.has(id) || rt.auth === 'none') continue;
      counted++;
      const path = pathWith(rt.pattern, mine.ids, theirs.ids, -1);
      const call = (token) => s.api(path, { method: rt.method, token, raw: rt.method === 'GET' ? undefined : '{}' });
      // 1. nobody
      expect(`nobody ${id}`, await call(undefined), 401, 'unauthenticated');
      // 2. a person without the route's permission
      if (rt.perm) {
        const r = await call(bare.token);
        const code = rt.auth === 'api_key' ? 'api_key_required' : undefined;
        expect(`bare user ${id}`, r, 403, code, (b) => code || b.code === 'permission_denied' || b.code === 'kiosk_only');
        if (!code && r.body?.code === 'permission_denied' && r.body.permission !== rt.perm)
          failures.push(`bare user ${id}: names ${r.body.permission}, not ${rt.perm}`);
      }
      // 3. an API key without the route's scope; on routes for people, any key
      // (For the SCIM routes, whose scope is scim, the keys swap roles.)
      const scim = rt.scope === 'scim';
      const k = await call(scim ? allKey : scimKey);
      if (rt.scope) expect(`${scim ? 'all-scope' : 'scim'} key ${id}`, k, 403, 'scope_missing', (b) => b.scope === rt.scope);
      else expect(`key ${id}`, k, 403, rt.auth === 'user' ? 'user_session_required' : undefined);
      if (rt.scope) {
        const a = await call(scim ? scimAllKey : allKey);
        if (a.body?.code === 'scope_missing') failures.push(`${scim ? 'scim' : 'all-scope'} key ${id}: refused for its scope`);
      }
      // 4. another organization's ids: 404 (for each parameter in turn)
      const nparams = (rt.pattern.match(/\{/g) || []).length;
      if (NOT_ORG_SCOPED.has(id)) continue;
      for (let i = 0; i < nparams; i++) {
        const foreign = pathWith(rt.pattern, mine.ids, theirs.ids, i);
        const people = rt.auth === 'api_key' ? [] : [['admin', admin]];
        for (const [who, token] of [...people, ...(rt.scope ? [['key', rt.scope === 'scim' ? scimAllKey : allKey]] : [])]) {
          const tok = rt.pattern.startsWith('/v1/me/sessions') ? mine.worker.token
            : rt.pattern === '/v1/checkins/{id}/checkout' ? mine.worker.token : token;
          const raw = rt.method === 'GET' ? undefined : JSON.stringify(BODIES[id] ?? {});
          const r = await s.api(foreign, { method: rt.method, token: tok, raw });
          expect(`${who} ${id} with beta's {param ${i}}`, r, 404);
        }
      }
    }
    assert.deepEqual(failures, [], `${failures.length} wrong refusals:\n${failures.slice(0, 60).join('\n')}`);
    assert.ok(counted > 60, `${counted} routes`);
    // Nothing of beta's changed: its worker, task and group are still there.
    assert.equal((await s.api(`/v1/users/${theirs.ids['/v1/users/']}`, { token: beta })).status, 200);
    assert.equal((await s.api(`/v1/tasks/${theirs.ids['/v1/tasks/']}`, { token: beta })).status, 200);
    assert.equal((await s.api(`/v1/groups/${theirs.ids['/v1/groups/']}`, { token: beta })).status, 200);
  } finally {
    await s.stop();
  }
});
