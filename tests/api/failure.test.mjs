// Allocation and storage failure (issue 13): the test build's server fails
// its Nth allocation (GH_FAIL_ALLOC, tests/support/failalloc.h) or meets a
// full database (GH_TEST_MAX_PAGES: SQLITE_FULL). Whatever fails, it either
// refuses to start with a message, or answers each request as usual or with
// a clean 5xx problem; it exits cleanly (no leak under LeakSanitizer), and
// nothing is half-written: a user it created is there with its audit row,
// one it refused is not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { spawn } from 'node:child_process';
import { BIN, PASSWORD, freePort, startServer, waitReady } from './lib.mjs';

const sql = (db, q) => {
  const r = spawnSync('sqlite3', [db, q], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
};

/** Asserts r is `want` or a clean 5xx problem; returns true for `want`. */
function answered(r, want, what) {
  if (r.status === want) return true;
  assert.ok(r.status >= 500 && r.status < 600, `${what}: ${r.status} ${r.text}`);
  assert.equal(r.headers.get('content-type'), 'application/problem+json', `${what}: ${r.text}`);
  assert.ok(['internal', 'storage_full', 'database_busy'].includes(r.body.code), `${what}: ${r.text}`);
  return false;
}

/** The smoke run: sign in, read, create, list, update; checks as it goes. */
async function smoke(s, n) {
  let created = null;
  let updated = false;
  let createTried = false;
  const login = await s.api('/v1/auth/login', { method: 'POST', body: { email: 'admin@acme.test', password: PASSWORD } });
  if (answered(login, 200, `allocation ${n}: login`)) {
    const token = login.body.token;
    answered(await s.api('/v1/me', { token }), 200, `allocation ${n}: me`);
    createTried = true;
    const c = await s.api('/v1/users', { method: 'POST', token, body: { email: 'ola@acme.test', name: 'Ola', role: 'user' } });
    if (answered(c, 201, `allocation ${n}: create`)) created = c.body.id;
    answered(await s.api('/v1/users?limit=5', { token }), 200, `allocation ${n}: list`);
    if (created) {
      updated = answered(await s.api(`/v1/users/${created}`, { method: 'PATCH', token, body: { checkin_exempt: true } }),
        200, `allocation ${n}: update`);
    }
  }
  // Nothing half-written: what was acknowledged is there with its audit
  // row; what was refused left no trace.
  const users = sql(s.db, "SELECT id, checkin_exempt FROM users WHERE email = 'ola@acme.test'");
  const audits = (action, target) => Number(sql(s.db, `SELECT count(*) FROM audit WHERE action = '${action}' AND ${target}`));
  if (created) {
    const [id, exempt] = users.split('|');
    assert.equal(id, created, `allocation ${n}: the user as acknowledged`);
    assert.equal(audits('user.created', `target_id = '${created}'`), 1, `allocation ${n}: one user.created row`);
    // An update answered 200 is written with its audit row; one answered
    // 5xx is written with it or not at all.
    if (updated) assert.equal(exempt, '1', `allocation ${n}: an acknowledged update is missing`);
    assert.equal(audits('user.updated', `target_id = '${created}'`), Number(exempt), `allocation ${n}: user.updated rows`);
  } else if (createTried) {
    // A 5xx is a refusal or, when the answer could not be built after the
    // commit, an unknown outcome: either way all or nothing was written.
    assert.equal(audits('user.created', 'target_id NOT IN (SELECT id FROM users)'), 0,
      `allocation ${n}: a refused create left an audit row without its user`);
    if (users !== '') {
      const id = users.split('|')[0];
      assert.equal(audits('user.created', `target_id = '${id}'`), 1, `allocation ${n}: a user without its audit row`);
    }
  }
  assert.equal(sql(s.db, 'PRAGMA integrity_check'), 'ok');
}

test('the Nth allocation fails: clean start-up error or clean answers, no leak, nothing half-written', { timeout: 600000 }, async () => {
  // A run without failure counts the allocations of start, smoke and stop.
  const base = await startServer({ env: { GH_FAIL_ALLOC_COUNT: '1' } });
  await smoke(base, 0);
  await base.stop();
  const total = Number(/failalloc: (\d+) allocations/.exec(base.log())?.[1]);
  assert.ok(total > 1000, `allocations counted: ${base.log().slice(-500)}`);
  // Every one of the first 64, then evenly spaced over the whole run
  // (GH_FAIL_ALLOC_STEPS sets how many; the default keeps make test short).
  const steps = Number(process.env.GH_FAIL_ALLOC_STEPS) || 36;
  const ns = new Set();
  for (let n = 1; n <= 8; n++) ns.add(n);
  for (let i = 0; i < steps; i++) ns.add(Math.round(9 + ((total - 9) * i) / (steps - 1)));
  let started = 0, refused = 0, hits = 0;
  for (const n of [...ns].sort((a, b) => a - b)) {
    let s;
    try {
      s = await startServer({ env: { GH_FAIL_ALLOC: String(n) } });
    } catch (e) {
      // Refused to start: with a message, and no sanitizer report.
      assert.match(e.message, /server exited before it was ready/, `allocation ${n}: ${e.message}`);
      // A "gatehouse: ..." line or an error-level log line says why.
      assert.match(e.message, /\ngatehouse: |"level":"error"/, `allocation ${n}: no start-up message: ${e.message}`);
      assert.doesNotMatch(e.message, /AddressSanitizer|LeakSanitizer|runtime error:/, `allocation ${n}`);
      refused++;
      continue;
    }
    started++;
    try {
      await smoke(s, n).catch((e) => { throw new Error(`allocation ${n}: ${e.message}\n${s.log().slice(-1500)}`, { cause: e }); });
    } finally {
      await s.stop(); // exit code 0, no sanitizer report (leaks included)
    }
    if (/failalloc: the armed allocation failed/.test(s.log())) hits++;
  }
  assert.ok(refused > 0 && started > 0 && hits > started / 2, `refused ${refused}, started ${started}, failed inside ${hits}`);
});

test('a full database (SQLITE_FULL): a clean 500 storage_full, nothing half-written, reads go on', async () => {
  const s = await startServer();
  let full;
  try {
    // A second server on the same file, capped a few pages above its size.
    const pages = Number(sql(s.db, 'PRAGMA page_count'));
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    full = spawn(BIN, ['serve', '--db', s.db, '--listen', `127.0.0.1:${port}`, '--test-clock', '--test-cost'], {
      stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, GH_TEST_MAX_PAGES: String(pages + 2) },
    });
    let log = '';
    full.stderr.on('data', (d) => { log += d; });
    full.stdout.on('data', (d) => { log += d; });
    const exited = new Promise((res) => full.on('exit', (code, signal) => res({ code, signal })));
    await waitReady(full, url, () => log);
    const call = async (path, opts = {}) => {
      const r = await fetch(url + path, { method: opts.method || 'GET', headers: { 'Content-Type': 'application/json', ...(opts.token ? { Authorization: `Bearer ${opts.token}` } : {}) },
        body: opts.body ? JSON.stringify(opts.body) : undefined });
      const text = await r.text();
      return { status: r.status, headers: r.headers, text, body: text ? JSON.parse(text) : null };
    };
    const token = (await call('/v1/auth/login', { method: 'POST', body: { email: 'admin@acme.test', password: PASSWORD } })).body.token;
    assert.ok(token, 'the capped server signs in while it has room');
    let refused = null;
    for (let i = 0; i < 400 && !refused; i++) {
      const email = `filler${i}@acme.test`;
      const r = await call('/v1/users', { method: 'POST', token, body: { email, name: `Filler ${i} ${'x'.repeat(150)}`, role: 'user' } });
      if (r.status === 201) continue;
      assert.equal(r.status, 500, r.text);
      assert.equal(r.headers.get('content-type'), 'application/problem+json');
      assert.equal(r.body.code, 'storage_full', r.text);
      refused = email;
    }
    assert.ok(refused, 'the capped database never filled');
    assert.equal(sql(s.db, `SELECT count(*) FROM users WHERE email = '${refused}'`), '0');
    assert.equal(sql(s.db, "SELECT count(*) FROM audit WHERE action = 'user.created' AND target_id NOT IN (SELECT id FROM users)"), '0');
    assert.equal((await call('/v1/users?limit=5', { token })).status, 200, 'reads go on');
    assert.equal(sql(s.db, 'PRAGMA integrity_check'), 'ok');
    full.kill('SIGTERM');
    const { code } = await exited;
    assert.doesNotMatch(log, /AddressSanitizer|LeakSanitizer|runtime error:/);
    assert.equal(code, 0, log.slice(-2000));
  } finally {
    if (full && full.exitCode === null) full.kill('SIGKILL');
    await s.stop();
  }
});
