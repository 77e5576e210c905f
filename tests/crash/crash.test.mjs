// Crash safety (issue 13): a mixed write load (users, role edits,
// invitations, check-ins and check-outs, each audited) while the server is
// killed with SIGKILL at random moments. After every kill, before the next
// start: every write that got a 2xx answer is there with its audit row, no
// invariant is broken (office seats within the limit, at most one open
// single-task check-in per worker, the administrator still holds
// users.manage) and PRAGMA integrity_check says ok. CRASH_CYCLES sets the
// number of cycles (make test: 30; make torture: 1,000).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN as BUILT, PASSWORD, freePort, waitReady } from '../api/lib.mjs';

const CYCLES = Number(process.env.CRASH_CYCLES) || 30;
const PROGRESS = process.env.CRASH_PROGRESS;
const OFFICE_SEATS = 60;
const COST = ['--test-clock', '--test-cost'];

function query(db, q) {
  const r = spawnSync('sqlite3', ['-json', db, q], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim() ? JSON.parse(r.stdout) : [];
}

// A copy of the binary: a long run (make torture) must not meet a rebuild.
let BIN = BUILT;
function cli(db, args, env = {}) {
  const r = spawnSync(BIN, [...args, '--db', db], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 60000 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

async function start(db) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const proc = spawn(BIN, ['serve', '--db', db, '--listen', `127.0.0.1:${port}`, '--quiet', ...COST], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  proc.stderr.on('data', (d) => { log += d; });
  proc.stdout.on('data', (d) => { log += d; });
  const exited = new Promise((res) => proc.on('exit', (code, signal) => res({ code, signal })));
  await waitReady(proc, url, () => log);
  const api = async (path, { method = 'GET', token, body } = {}) => {
    const headers = { 'Content-Type': 'application/json' };
    if (token) headers.Authorization = `Bearer ${token}`;
    const r = await fetch(url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await r.text();
    return { status: r.status, body: text ? JSON.parse(text) : null };
  };
  return { proc, exited, api, log: () => log };
}

const pick = (xs) => xs[Math.floor(Math.random() * xs.length)];

test(`crash: ${CYCLES} SIGKILL cycles under mixed writes lose no acknowledged write`, { timeout: CYCLES * 60000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gh-crash-'));
  const db = join(dir, 'gatehouse.db');
  BIN = join(dir, 'gatehouse');
  copyFileSync(BUILT, BIN);
  try {
    let r = cli(db, ['init', '--org', 'acme', '--org-name', 'Acme', '--admin-email', 'admin@acme.test', '--template', 'quality', ...COST],
      { GATEHOUSE_ADMIN_PASSWORD: PASSWORD });
    assert.equal(r.status, 0, r.stderr);
    r = cli(db, ['org', 'seats', '--org', 'acme', '--office', String(OFFICE_SEATS)]);
    assert.equal(r.status, 0, r.stderr);

    // What the server acknowledged; `maybe` holds what was in flight at a kill.
    const users = new Map();     // id -> { role, maybe: Set of roles sent since the last 2xx, edits }
    const invites = new Set();   // acknowledged invitation emails
    const checkins = new Map();  // id -> { ended: bool }
    let workers = [], tasks = [], token = null, seq = 0, acked = 0, killedMidRequest = 0;

    for (let cycle = 0; cycle < CYCLES; cycle++) {
      const s = await start(db);
      if (!token) {
        const l = await s.api('/v1/auth/login', { method: 'POST', body: { email: 'admin@acme.test', password: PASSWORD } });
        assert.equal(l.status, 200, JSON.stringify(l.body));
        token = l.body.token;
        for (let i = 0; i < 3; i++) {
          const t = await s.api('/v1/tasks', { method: 'POST', token, body: { ref: `OP-${i}`, title: `Task ${i}` } });
          assert.equal(t.status, 201, JSON.stringify(t.body));
          tasks.push(t.body.id);
        }
        for (let i = 0; i < 4; i++) {
          const w = await s.api('/v1/users', { method: 'POST', token, body: { name: `Worker ${i}`, badge: `W-${i}`, factory_access: true, role: 'user' } });
          assert.equal(w.status, 201, JSON.stringify(w.body));
          workers.push(w.body.id);
          for (const t of tasks) assert.equal((await s.api(`/v1/tasks/${t}/assignees/${w.body.id}`, { method: 'PUT', token })).status, 204);
        }
      }
      // The load: three clients until the kill.
      let killed = false;
      const op = async () => {
        const n = seq++;
        const roll = Math.random();
        if (roll < 0.35 || users.size === 0) {
          const email = `u${n}@acme.test`;
          const a = await s.api('/v1/users', { method: 'POST', token, body: { email, name: `User ${n}`, role: 'user' } });
          if (a.status === 201) { users.set(a.body.id, { role: 'user', maybe: new Set(), edits: 0 }); acked++; }
          else assert.equal(a.status, 409, JSON.stringify(a.body)); // seats full
        } else if (roll < 0.55) {
          // One edit at a time per user, so that each one is a change.
          const idle = [...users].filter(([, x]) => !x.busy).map(([id]) => id);
          if (!idle.length) return;
          const id = pick(idle);
          const u = users.get(id);
          const role = u.role === 'user' ? 'editor' : 'user';
          u.maybe.add(role);
          u.busy = true;
          const a = await s.api(`/v1/users/${id}`, { method: 'PATCH', token, body: { role } });
          assert.equal(a.status, 200, JSON.stringify(a.body));
          u.role = role; u.maybe.clear(); u.edits++; u.busy = false; acked++;
        } else if (roll < 0.7) {
          const email = `inv${n}@acme.test`;
          const a = await s.api('/v1/invites', { method: 'POST', token, body: { emails: [email], role: 'user' } });
          if (a.status >= 200 && a.status < 300) { invites.add(email); acked++; }
          else assert.equal(a.status, 409, JSON.stringify(a.body));
        } else {
          const open = [...checkins].filter(([, c]) => !c.ended).map(([id]) => id);
          if (open.length && Math.random() < 0.5) {
            const id = pick(open);
            const a = await s.api(`/v1/checkins/${id}/checkout`, { method: 'POST', token, body: { status: 'paused' } });
            assert.equal(a.status, 200, JSON.stringify(a.body));
            checkins.get(id).ended = true; acked++;
          } else {
            const a = await s.api('/v1/checkins', { method: 'POST', token, body: { task_id: pick(tasks), user_id: pick(workers) } });
            if (a.status === 201) { checkins.set(a.body.id, { ended: false }); acked++; }
            else assert.equal(a.status, 409, JSON.stringify(a.body)); // the worker is checked in already
          }
        }
      };
      let failure = null;
      const client = async () => {
        for (;;) {
          try { await op(); } catch (e) {
            if (killed) { if (!failure) killedMidRequest++; return; }
            failure = new Error(`cycle ${cycle}: ${e.message}\n${s.log().slice(-2000)}`, { cause: e });
            killed = true;
            s.proc.kill('SIGKILL');
            return;
          }
        }
      };
      const clients = [client(), client(), client()];
      // The kill: 20-320 ms into the load. On a loaded machine the first
      // answers can take longer than that, and a run whose kills all come
      // before any write is acknowledged proves nothing: so four cycles in
      // five count the delay from the first acknowledged write of the
      // cycle (waited for with a generous ceiling), the fifth from the start.
      if (Math.random() < 0.8) {
        const before = acked;
        for (let waited = 0; acked === before && !killed && waited < 120000; waited += 5) {
          await new Promise((res) => setTimeout(res, 5));
        }
      }
      await new Promise((res) => setTimeout(res, 20 + Math.random() * 300));
      killed = true;
      s.proc.kill('SIGKILL');
      await Promise.all(clients);
      if (failure) throw failure;
      const { signal } = await s.exited;
      assert.equal(signal, 'SIGKILL');

      // After the crash, from the file alone.
      assert.deepEqual(query(db, 'PRAGMA integrity_check'), [{ integrity_check: 'ok' }], `cycle ${cycle}`);
      const rows = new Map(query(db, `SELECT u.id, u.role_key, (SELECT count(*) FROM audit a WHERE a.target_id = u.id AND a.action = 'user.created') AS created,
        (SELECT count(*) FROM audit a WHERE a.target_id = u.id AND a.action = 'user.updated') AS updated FROM users u`).map((x) => [x.id, x]));
      for (const [id, u] of users) {
        const row = rows.get(id);
        assert.ok(row, `cycle ${cycle}: acknowledged user ${id} lost`);
        assert.ok(row.role_key === u.role || u.maybe.has(row.role_key), `cycle ${cycle}: ${id} has role ${row.role_key}, acknowledged ${u.role}`);
        assert.equal(row.created, 1, `cycle ${cycle}: ${id} has no user.created audit row`);
        assert.ok(row.updated >= u.edits, `cycle ${cycle}: ${id} has ${row.updated} user.updated rows for ${u.edits} acknowledged edits`);
        if (row.role_key !== u.role) { u.role = row.role_key; u.edits++; } // an unanswered edit that committed
        u.maybe.clear();
        u.busy = false;
      }
      const inv = new Set(query(db, "SELECT email FROM invites WHERE status = 'pending'").map((x) => x.email));
      for (const e of invites) assert.ok(inv.has(e), `cycle ${cycle}: acknowledged invitation ${e} lost`);
      const cis = new Map(query(db, 'SELECT id, ended_at FROM checkins').map((x) => [x.id, x]));
      for (const [id, c] of checkins) {
        assert.ok(cis.has(id), `cycle ${cycle}: acknowledged check-in ${id} lost`);
        if (c.ended) assert.notEqual(cis.get(id).ended_at, null, `cycle ${cycle}: acknowledged check-out of ${id} lost`);
      }
      // Invariants.
      const [{ used }] = query(db, `SELECT (SELECT count(*) FROM users WHERE status = 'active' AND office_access = 1)
        + (SELECT count(*) FROM invites WHERE status = 'pending') AS used`);
      assert.ok(used <= OFFICE_SEATS, `cycle ${cycle}: ${used} office seats used of ${OFFICE_SEATS}`);
      assert.deepEqual(query(db, 'SELECT user_id FROM checkins WHERE ended_at IS NULL AND single_task = 1 GROUP BY user_id HAVING count(*) > 1'), [],
        `cycle ${cycle}: a worker with two open check-ins`);
      const audited = query(db, `SELECT count(*) AS n FROM checkins c WHERE NOT EXISTS (SELECT 1 FROM audit a WHERE a.target_id = c.id)`);
      assert.equal(audited[0].n, 0, `cycle ${cycle}: a check-in without an audit row`);
      const chk = cli(db, ['check', '--org', 'acme', '--user', 'admin@acme.test', '--permission', 'users.manage']);
      assert.equal(chk.status, 0, `cycle ${cycle}: the administrator lost users.manage: ${chk.stdout}${chk.stderr}`);
      // A long run (make torture) reports as it goes: CRASH_PROGRESS=FILE.
      if (PROGRESS && ((cycle + 1) % 10 === 0 || cycle + 1 === CYCLES)) {
        appendFileSync(PROGRESS, `${new Date().toISOString()} cycle ${cycle + 1}: all checks passed, ${acked} acknowledged writes, 0 lost, ${killedMidRequest} requests cut by the kill\n`);
      }
    }
    console.log(`crash: ${CYCLES} cycles, ${acked} acknowledged writes, 0 lost, ${killedMidRequest} requests cut by the kill`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
