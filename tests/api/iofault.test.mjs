// Disk I/O failure (issue 13): with --test-io-faults the server's SQLite
// runs on a VFS shim (src/store/iofault.c) that POST /v1/test/io-fault arms
// to fail chosen reads, writes or fsyncs with SQLITE_IOERR. Every write
// then answers either as usual (the fault missed it) or a clean 503
// storage_error problem with Retry-After, and a refused write changed
// nothing; the server goes on when the fault clears, exits cleanly (no
// leak under LeakSanitizer) and the file passes PRAGMA integrity_check.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { BIN, assertProblem, startServer } from './lib.mjs';

const sql = (db, q) => {
  const r = spawnSync('sqlite3', [db, q], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
};

/**
 * The database's content, less what changes beside the request under
 * test: sessions (last use), the access.denied rows of the background
 * writer, and the delivery state of mails queued earlier (the outbox
 * worker's): of the outbox, only which mails exist counts.
 */
function snapshot(db) {
  const r = spawnSync('sqlite3', [db, '.dump'], { encoding: 'utf8', maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split('\n')
    .filter((l) => !/^INSERT INTO (sessions|"sessions")\b/.test(l) && !/'access\.denied'/.test(l))
    .map((l) => l.replace(/^(INSERT INTO outbox VALUES\('[^']*').*$/, '$1'))
    .join('\n');
}

function assertStorageError(r, what) {
  assert.equal(r.status, 503, `${what}: ${r.text}`);
  assert.equal(r.headers.get('content-type'), 'application/problem+json', `${what}: ${r.text}`);
  assert.equal(r.body.code, 'storage_error', `${what}: ${r.text}`);
  assert.ok(Number(r.headers.get('retry-after')) > 0, `${what}: Retry-After`);
}

const arm = async (s, body) => {
  const r = await s.api('/v1/test/io-fault', { method: 'POST', body });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.injected;
};

/**
 * The writes tried under each fault: each sends one change (unique by i),
 * with the given headers, and says whether it is in the database, with its
 * audit row.
 */
function writes(s, admin, ids) {
  const count = (q) => Number(sql(s.db, q));
  return [
    {
      name: 'create a user',
      send: (i, headers) => s.api('/v1/users', { method: 'POST', token: admin, headers, body: { email: `io${i}@acme.test`, name: `Io ${i}`, role: 'user' } }),
      ok: 201,
      present: (i) => count(`SELECT count(*) FROM users u JOIN audit a ON a.target_id = u.id AND a.action = 'user.created' WHERE u.email = 'io${i}@acme.test'`) === 1,
    },
    {
      name: 'update a user',
      // i differs from the last acknowledged one by one: the flag flips.
      send: (i, headers) => s.api(`/v1/users/${ids.user}`, { method: 'PATCH', token: admin, headers, body: { checkin_exempt: i % 2 === 1 } }),
      ok: 200,
      present: (i) => count(`SELECT count(*) FROM users WHERE id = '${ids.user}' AND checkin_exempt = ${i % 2}`) === 1,
    },
    {
      name: 'rename a group',
      send: (i, headers) => s.api(`/v1/groups/${ids.group}`, { method: 'PATCH', token: admin, headers, body: { name: `Renamed ${i}` } }),
      ok: 200,
      present: (i) => count(`SELECT count(*) FROM groups WHERE id = '${ids.group}' AND name = 'Renamed ${i}'`) === 1,
    },
    {
      name: 'create a group',
      send: (i, headers) => s.api('/v1/groups', { method: 'POST', token: admin, headers, body: { name: `Group ${i}` } }),
      ok: 201,
      present: (i) => count(`SELECT count(*) FROM groups WHERE name = 'Group ${i}'`) === 1,
    },
    {
      name: 'invite',
      send: (i, headers) => s.api('/v1/invites', { method: 'POST', token: admin, headers, body: { emails: [`inv${i}@acme.test`], role: 'user' } }),
      ok: 200,
      present: (i) => count(`SELECT count(*) FROM invites WHERE email = 'inv${i}@acme.test'`) === 1,
    },
    {
      name: 'create a role',
      send: (i, headers) => s.api('/v1/roles', { method: 'POST', token: admin, headers, body: { key: `io-role-${i}`, name: `Io role ${i}`, permissions: ['users.view'] } }),
      ok: 201,
      present: (i) => count(`SELECT count(*) FROM roles WHERE key = 'io-role-${i}'`) === 1,
    },
  ];
}

test('--test-io-faults is refused without --test-clock, and the route is absent without it', async () => {
  const r = spawnSync(BIN, ['serve', '--test-io-faults', '--db', '/nonexistent/x.db'], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--test-io-faults is for tests only and needs --test-clock/);
  const s = await startServer();
  try {
    assertProblem(await s.api('/v1/test/io-fault', { method: 'POST', body: { ops: ['write'] } }), 404, 'not_found');
  } finally {
    await s.stop();
  }
});

test('a failing disk: each write answers as usual or 503 storage_error and changes nothing; the server recovers', { timeout: 600000 }, async () => {
  const s = await startServer({ args: ['--test-io-faults'] });
  try {
    const admin = await s.login();
    const u = await s.api('/v1/users', { method: 'POST', token: admin, body: { email: 'base@acme.test', name: 'Base', role: 'user' } });
    assert.equal(u.status, 201, u.text);
    const g = await s.api('/v1/groups', { method: 'POST', token: admin, body: { name: 'Base group' } });
    assert.equal(g.status, 201, g.text);
    const ids = { user: u.body.id, group: g.body.id };
    assertProblem(await s.api('/v1/test/io-fault', { method: 'POST', body: { ops: ['disk'] } }), 400, 'invalid_value', 'ops');
    assertProblem(await s.api('/v1/test/io-fault', { method: 'POST', body: { ops: ['write'], count: -2 } }), 400, 'out_of_range');
    // Faults aimed at one request ("marked"): only the I/O of requests that
    // carry the header counts, so background writers (denials, mail,
    // sweeper, authz snapshot) neither use them up nor are hit.
    const MARK = { 'Gatehouse-Test-Io-Fault': '1' };
    const [probe] = writes(s, admin, ids);
    let injected = await arm(s, { ops: ['write', 'sync'], count: -1, marked: true });
    const unmarked = await probe.send(900);
    assert.equal(unmarked.status, probe.ok, unmarked.text);
    assert.ok(probe.present(900));
    assert.equal(await arm(s, { ops: ['write', 'sync'], count: -1, marked: true }), injected, 'an unmarked request was hit');
    assertStorageError(await probe.send(901, MARK), 'a marked request');
    injected = await arm(s, { ops: [] });
    assert.ok(!probe.present(901));
    assertProblem(await s.api('/v1/test/io-fault', { method: 'POST', body: { ops: ['write'], marked: 1 } }), 400, 'invalid_type');
    // Faults at chosen points: the first, second... write, fsync or read
    // of the request fails once.
    const faults = [];
    for (const op of ['write', 'sync']) for (const after of [0, 1, 2, 3, 5]) faults.push({ ops: [op], after, count: 1 });
    for (const after of [0, 1, 4]) faults.push({ ops: ['read'], after, count: 1 });
    let i = 0;
    for (const w of writes(s, admin, ids)) {
      let refused = 0;
      for (const f of faults) {
        i++;
        const before = snapshot(s.db);
        const injected = await arm(s, { ...f, marked: true });
        const r = await w.send(i, MARK);
        const hit = (await arm(s, { ops: [] })) - injected;
        const what = `${w.name} with ${JSON.stringify(f)}`;
        if (r.status === w.ok) {
          assert.ok(w.present(i), `${what}: acknowledged but not written`);
        } else {
          assertStorageError(r, what);
          assert.ok(hit > 0, `${what}: ${r.status} without a fault`);
          assert.equal(snapshot(s.db), before, `${what}: refused, yet the database changed`);
          assert.ok(!w.present(i), `${what}: refused, yet written`);
          refused++;
          // The fault cleared: the same write goes through.
          const again = await w.send(i);
          assert.equal(again.status, w.ok, `${what}, retried: ${again.text}`);
          assert.ok(w.present(i), `${what}, retried: not written`);
        }
      }
      assert.ok(refused >= 5, `${w.name}: only ${refused} of ${faults.length} faults refused it`);
    }
    // A disk that fails every write and sync until it is repaired, under
    // concurrent writes: all refused cleanly, none half-written; reads of
    // what is cached go on; then everything works again.
    const before = snapshot(s.db);
    await arm(s, { ops: ['write', 'sync'], count: -1 });
    const list = writes(s, admin, ids);
    const burst = await Promise.all(Array.from({ length: 10 }, (_, k) => list[k % list.length].send(1000 + k)));
    for (const r of burst) assertStorageError(r, 'during the outage');
    await arm(s, { ops: [] });
    assert.equal(snapshot(s.db), before, 'the outage changed the database');
    const after = await Promise.all(Array.from({ length: 10 }, (_, k) => list[k % list.length].send(2000 + k)));
    after.forEach((r, k) => assert.equal(r.status, list[k % list.length].ok, `after the outage: ${r.text}`));
    assert.equal((await s.api('/v1/users?limit=5', { token: admin })).status, 200);
    // Every user has its one user.created row; the file is sound.
    assert.equal(sql(s.db, "SELECT count(*) FROM users u WHERE (SELECT count(*) FROM audit a WHERE a.action = 'user.created' AND a.target_id = u.id) <> 1 AND u.email LIKE 'io%'"), '0');
    assert.equal(sql(s.db, "SELECT count(*) FROM audit WHERE action = 'user.created' AND target_id NOT IN (SELECT id FROM users)"), '0');
    assert.equal(sql(s.db, 'PRAGMA integrity_check'), 'ok');
  } finally {
    await s.stop(); // exit 0, no sanitizer report (leaks included)
  }
});
