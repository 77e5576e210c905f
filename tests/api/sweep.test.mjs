// A sweep over every route in the route table (`gatehouse routes`): junk path
// parameters, junk query strings and malformed or mistyped bodies, sent by an
// administrator, a plain user, an API key and nobody. Whatever the route,
// the answer is never a 5xx, a refusal is problem+json with a stable code,
// and the server (under ASan/UBSan in `make test`) stays healthy and exits
// cleanly. The focused tests check each route's own codes; this one makes
// sure no route was forgotten.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, BIN } from './lib.mjs';
import { spawnSync } from 'node:child_process';

function routes() {
  const r = spawnSync(BIN, ['routes'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim().split('\n').map((l) => {
    const [method, pattern, auth] = l.split('\t');
    return { method, pattern, auth };
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
    const key = (await s.api('/v1/api-keys', { method: 'POST', token: admin, body: { name: 'sweep' } })).body.key;
    assert.ok(key, 'an API key for the sweep');
    const callers = [['admin', admin], ['user', user.token], ['api key', key], ['nobody', undefined]];
    let calls = 0;
    const failures = [];
    const check = (what, r) => {
      calls++;
      if (r.status >= 500) failures.push(`${what}: ${r.status} ${r.text.slice(0, 200)}`);
      else if (r.status >= 400) {
        const type = r.headers.get('content-type') || '';
        if (!type.startsWith('application/problem+json') || typeof r.body?.code !== 'string' || r.body.status !== r.status)
          failures.push(`${what}: ${r.status} is not a problem with a code: ${type} ${r.text.slice(0, 200)}`);
      }
    };
    for (const rt of routes()) {
      if (SKIP.has(`${rt.method} ${rt.pattern}`)) continue;
      const paths = rt.pattern.includes('{') ? JUNK_PARAMS.map((p) => fill(rt.pattern, p)) : [rt.pattern];
      for (const [who, token] of callers) {
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
