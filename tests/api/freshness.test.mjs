// Checks never wait on disk, and changes that matter reach them at once
// (issue 12, item 4): POST /v1/check answers while another process holds the
// database write lock (the "last used" writes left the request thread); a
// revoked API key is refused by the very next request, however many requests
// were using it; a change that no check depends on (a mobile number) does not
// move the authorization generation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { startServer } from './lib.mjs';

const hasSqlite = spawnSync('sqlite3', ['-version']).status === 0;
const generation = (db) => Number(spawnSync('sqlite3', [db, "SELECT value FROM meta WHERE key = 'generation'"], { encoding: 'utf8' }).stdout.trim());

/** Holds the write lock from another process for `seconds`; resolves once held. */
function holdWriteLock(db, seconds) {
  const p = spawn('sqlite3', [db], { stdio: ['pipe', 'pipe', 'pipe'] });
  const state = { exited: false };
  state.done = new Promise((res) => p.on('exit', () => { state.exited = true; res(); }));
  state.held = new Promise((res, rej) => {
    let out = '';
    p.stdout.on('data', (d) => { out += d; if (out.includes('locked')) res(); });
    p.on('exit', () => rej(new Error(`sqlite3 exited before holding the lock: ${out}`)));
  });
  p.stdin.end(`.timeout 10000\nBEGIN IMMEDIATE;\nUPDATE meta SET value = value WHERE key = 'schema_version';\nSELECT 'locked';\n.shell sleep ${seconds}\nCOMMIT;\n`);
  return state;
}

test('/v1/check answers while another process holds the write lock', { skip: !hasSqlite && 'no sqlite3 CLI', timeout: 60000 }, async () => {
  const s = await startServer();
  try {
    const admin = await s.login();
    const me = (await s.api('/v1/me', { token: admin })).body;
    const key = (await s.api('/v1/api-keys', { method: 'POST', token: admin, body: { name: 'plc' } })).body.key;
    // Time passes, so both the session and the key are due for a "last used" write.
    await s.advance(120);
    const lock = holdWriteLock(s.db, 3);
    await lock.held;
    for (const token of [admin, key]) {
      const r = await s.api('/v1/check', { method: 'POST', token, body: { user_id: me.id, permission: 'users.view' } });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.allowed, true);
    }
    assert.equal(lock.exited, false, 'the checks were answered only after the other process released the lock');
    await lock.done;
    // Once the lock is free the background writer records the use.
    let used = null;
    for (let i = 0; i < 100 && !used; i++) {
      const keys = (await s.api('/v1/api-keys', { token: admin })).body;
      used = (keys.items ?? keys).find((k) => k.name === 'plc')?.last_used_at ?? null;
      if (!used) await new Promise((res) => setTimeout(res, 50));
    }
    assert.ok(used, 'last_used_at is written after the lock is released');
  } finally {
    await s.stop();
  }
});

test('a session in use does not expire while its touch waits to be written', { skip: !hasSqlite && 'no sqlite3 CLI', timeout: 60000 }, async () => {
  const s = await startServer();
  try {
    const admin = await s.login();
    const lock = holdWriteLock(s.db, 2);
    await lock.held;
    // Idle timeout 30 min: used every 20 min, the session stays open, though
    // none of those uses could be written yet.
    for (let i = 0; i < 3; i++) {
      await s.advance(20 * 60);
      assert.equal((await s.api('/v1/me', { token: admin })).status, 200, `use ${i + 1}`);
    }
    assert.equal(lock.exited, false);
    await lock.done;
  } finally {
    await s.stop();
  }
});

test('a revoked API key is refused at once, even while in heavy use', { timeout: 120000 }, async () => {
  const s = await startServer();
  try {
    const admin = await s.login();
    const me = (await s.api('/v1/me', { token: admin })).body;
    for (let round = 0; round < 8; round++) {
      const c = await s.api('/v1/api-keys', { method: 'POST', token: admin, body: { name: `k${round}` } });
      assert.equal(c.status, 201);
      let revoked = false;
      const late = [];
      const hammer = async () => {
        for (let n = 0; n < 400; n++) {
          const sentAfter = revoked;
          const r = await s.api('/v1/check', { method: 'POST', token: c.body.key, body: { user_id: me.id, permission: 'users.view' } });
          if (sentAfter && r.status !== 401) late.push(r.status);
          if (sentAfter && n > 20) return;
        }
      };
      const loops = Array.from({ length: 6 }, hammer);
      await new Promise((res) => setTimeout(res, 30 + round * 7));
      const d = await s.api(`/v1/api-keys/${c.body.id}`, { method: 'DELETE', token: admin });
      assert.equal(d.status, 204);
      revoked = true;
      await Promise.all(loops);
      assert.deepEqual(late, [], `round ${round}: requests sent after the revocation was answered were accepted`);
    }
  } finally {
    await s.stop();
  }
});

test('a change no check depends on does not rebuild the snapshot', { skip: !hasSqlite && 'no sqlite3 CLI' }, async () => {
  const s = await startServer();
  try {
    const admin = await s.login();
    const bob = await s.makeUser(admin, 'bob@acme.test', 'user');
    const g0 = generation(s.db);
    let r = await s.api('/v1/me', { method: 'PATCH', token: bob.token, body: { mobile: '+1 555 0199', name: 'Robert' } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(generation(s.db), g0, 'a mobile number or name change moved the generation');
    r = await s.api(`/v1/users/${bob.id}`, { method: 'PATCH', token: admin, body: { role: 'admin' } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.ok(generation(s.db) > g0, 'a role change moves the generation');
    const g1 = generation(s.db);
    r = await s.api(`/v1/users/${bob.id}/lock`, { method: 'POST', token: admin });
    assert.ok(r.status < 300, JSON.stringify(r.body));
    assert.ok(generation(s.db) > g1, 'a lock moves the generation');
  } finally {
    await s.stop();
  }
});
