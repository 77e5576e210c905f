// Issue 22 (shift change): many workers signing in at once wait in a fair
// line for the hashing threads instead of getting 503; PIN hashes mix in a
// server-side secret (a copy of the database without the key file cannot
// check PINs) and PINs hashed before that are upgraded at the next sign-in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, assertProblem } from './lib.mjs';
import { GOOD_PINS, kioskLogin, kioskWorker, makeWorker, issuePin, auditActions } from './shopfloor.mjs';

const sql = (db, q) => {
  const r = spawnSync('sqlite3', [db, q], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
};

/** Runs fn over items, n at a time. */
async function pool(items, n, fn) {
  const out = [];
  let i = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (i < items.length) { const k = i++; out[k] = await fn(items[k], k); }
  }));
  return out;
}

test('100 workers signing in at once across kiosks: nobody is refused, everyone gets in', async () => {
  // Real PIN cost: the hashing threads are the bottleneck, as at a plant.
  const s = await startServer({ realCost: true });
  try {
    const admin = await s.login();
    const badges = Array.from({ length: 100 }, (_, i) => `S-${1000 + i}`);
    const workers = await pool(badges, 8, (b, i) => kioskWorker(s, admin, b, GOOD_PINS[i % GOOD_PINS.length]));
    const devices = [];
    for (let d = 0; d < 4; d++) {
      const r = await s.api('/v1/kiosk-devices', { method: 'POST', token: admin, body: { name: `Gate ${d}` } });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      devices.push(r.body.token);
    }
    // 80 at four enrolled tablets, 20 at a browser kiosk without a device.
    const rs = await Promise.all(workers.map((w, i) =>
      kioskLogin(s, w.badge, w.pin, i < 80 ? { device_token: devices[i % 4] } : {})));
    const statuses = rs.map((r) => r.status);
    assert.deepEqual(statuses.filter((x) => x !== 200), [], `answers: ${statuses.join(',')}`);
    assert.equal(new Set(rs.map((r) => r.body.user.id)).size, 100);
    // The queue is empty again: a late worker gets in at once.
    const late = await kioskLogin(s, workers[0].badge, workers[0].pin, { device_token: devices[0] });
    assert.equal(late.status, 200);
  } finally {
    await s.stop();
  }
});

test('a wrong PIN in the crowd is still refused and counted, not waved through', async () => {
  const s = await startServer({ realCost: true });
  try {
    const admin = await s.login();
    const workers = await pool(Array.from({ length: 30 }, (_, i) => `T-${200 + i}`), 6,
      (b) => kioskWorker(s, admin, b, GOOD_PINS[0]));
    const rs = await Promise.all(workers.map((w, i) => kioskLogin(s, w.badge, i % 3 === 0 ? GOOD_PINS[1] : w.pin)));
    rs.forEach((r, i) => {
      if (i % 3 === 0) assertProblem(r, 401, 'invalid_credentials');
      else assert.equal(r.status, 200, JSON.stringify(r.body));
    });
    const failed = await auditActions(s, admin, 'kiosk.login_failed');
    assert.equal(failed.length, 10);
  } finally {
    await s.stop();
  }
});

test('PIN hashes are peppered; PINs hashed before the pepper are upgraded at the next sign-in', async () => {
  const s = await startServer();
  const dir = mkdtempSync(join(tmpdir(), 'gh-pepper-'));
  let copy;
  try {
    const admin = await s.login();
    const w = await kioskWorker(s, admin, 'P-100', GOOD_PINS[0]);
    const stored = sql(s.db, "SELECT pin_hash FROM users WHERE badge = 'P-100'");
    assert.match(stored, /^\$ghpin1\$[0-9a-f]{16}\$\$argon2id\$/);
    // A PIN from before the pepper: a plain argon2id hash of its digits
    // (made here the way passwords are hashed: an office user's password
    // that is all digits).
    const legacyPin = '48213957';
    const c = await s.api('/v1/users', { method: 'POST', token: admin, body: { email: 'old@acme.test', name: 'Old Hash', role: 'user' } });
    assert.equal(c.status, 201, JSON.stringify(c.body));
    const v = await s.api('/v1/auth/verify-email', { method: 'POST', body: { token: s.lastToken('old@acme.test', 'verify_email'), password: legacyPin } });
    assert.equal(v.status, 200, JSON.stringify(v.body));
    const legacy = sql(s.db, "SELECT password_hash FROM users WHERE email = 'old@acme.test'");
    assert.match(legacy, /^\$argon2id\$/);
    sql(s.db, `UPDATE users SET pin_hash = '${legacy}' WHERE badge = 'P-100'`);
    // A wrong PIN against the old hash: refused, nothing upgraded.
    assertProblem(await kioskLogin(s, 'P-100', GOOD_PINS[0]), 401, 'invalid_credentials');
    assert.equal(sql(s.db, "SELECT pin_hash FROM users WHERE badge = 'P-100'"), legacy);
    // The right one signs in and is stored again, peppered, in the same step.
    const l = await kioskLogin(s, 'P-100', legacyPin);
    assert.equal(l.status, 200, JSON.stringify(l.body));
    const upgraded = sql(s.db, "SELECT pin_hash FROM users WHERE badge = 'P-100'");
    assert.match(upgraded, /^\$ghpin1\$/);
    const logins = (await auditActions(s, admin, 'kiosk.login')).filter((e) => e.detail?.user_id === w.id);
    assert.ok(logins.some((e) => e.detail.pin_rehashed === true), JSON.stringify(logins));
    // It keeps working (and is not rehashed again).
    assert.equal((await kioskLogin(s, 'P-100', legacyPin)).status, 200);
    assert.equal(sql(s.db, "SELECT pin_hash FROM users WHERE badge = 'P-100'"), upgraded);
    assertProblem(await kioskLogin(s, 'P-100', GOOD_PINS[0]), 401, 'invalid_credentials');
    // A stolen copy of the database, served with another key: no PIN checks out.
    copy = join(dir, 'stolen.db');
    sql(s.db, `VACUUM INTO '${copy}'`);
  } finally {
    await s.stop();
  }
  try {
    const t = await startServer({ db: copy, args: ['--secret-key-file', join(dir, 'other.key')] });
    try {
      assertProblem(await kioskLogin(t, 'P-100', '48213957'), 401, 'invalid_credentials');
    } finally {
      await t.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
