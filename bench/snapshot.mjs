// Incremental snapshot updates (issue 17, item 1): for each size, one
// organization of N people (bulk-inserted with SQL, so the trigger-written
// change log and the search index are filled as by any write), then against
// the release build: creating 40 people one by one (median ms per create),
// 40 one-user grant changes, and from the metrics the snapshot update time
// per commit (read the change log and the changed rows, derive the new
// snapshot), how many full rebuilds happened meanwhile (should be none),
// and the snapshot's bytes per user. Not part of `make test`.
//
//   node bench/snapshot.mjs [BIN] [SIZES]     e.g. node bench/snapshot.mjs build/gatehouse 100,100000
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';

const BIN = process.argv[2] || 'build/gatehouse';
const SIZES = (process.argv[3] || '100,100000').split(',').map(Number);
const PASSWORD = 'snapshot password 1234';
const freePort = () => new Promise((res) => {
  const s = net.createServer();
  s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => res(port)); });
});
const ms = () => Number(process.hrtime.bigint()) / 1e6;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function metrics(url) {
  const t = await (await fetch(`${url}/metrics`)).text();
  const one = (re) => { const m = re.exec(t); return m ? Number(m[1]) : 0; };
  return {
    updSum: one(/^gatehouse_snapshot_update_seconds_sum (\S+)/m),
    updCount: one(/^gatehouse_snapshot_update_seconds_count (\S+)/m),
    full: one(/^gatehouse_snapshot_updates_total\{kind="full"\} (\S+)/m),
    bytes: one(/^gatehouse_snapshot_bytes (\S+)/m),
    users: one(/^gatehouse_snapshot_users (\S+)/m),
  };
}

async function api(url, path, { method = 'GET', body, token } = {}) {
  const h = { 'Content-Type': 'application/json' };
  if (token) h.Authorization = `Bearer ${token}`;
  const r = await fetch(url + path, { method, headers: h, body: body ? JSON.stringify(body) : undefined });
  const j = await r.json().catch(() => null);
  if (r.status >= 400) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(j)}`);
  return j;
}

async function runSize(n) {
  const dir = mkdtempSync(join(tmpdir(), 'gh-snap-'));
  const db = join(dir, 'gh.db');
  let proc;
  try {
    const init = spawnSync(BIN, ['init', '--db', db, '--org', 'plant', '--org-name', 'Plant', '--admin-email', 'admin@plant.test'],
      { env: { ...process.env, GATEHOUSE_ADMIN_PASSWORD: PASSWORD }, encoding: 'utf8' });
    if (init.status !== 0) throw new Error(init.stderr);
    const sql = `WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < ${n - 1})
      INSERT INTO users (id, org_id, name, role_key, office_access, factory_access, badge, badge_norm, created_at, updated_at, name_sort, search_key)
      SELECT 'usr_bulk' || i, (SELECT id FROM orgs), 'Bulk Person ' || i, 'user', 0, 1, 'B' || i, 'b' || i, 1, 1, 'bulk person ' || i, 'bulk person ' || i || ' b' || i FROM k;`;
    const t0 = ms();
    const ins = spawnSync('sqlite3', [db, sql], { encoding: 'utf8' });
    if (ins.status !== 0) throw new Error(ins.stderr);
    const insertS = (ms() - t0) / 1000;
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    proc = spawn(BIN, ['serve', '--db', db, '--listen', `127.0.0.1:${port}`, '--quiet'], { stdio: 'ignore' });
    for (let i = 0; i < 600; i++) {
      try { if ((await fetch(`${url}/readyz`)).ok) break; } catch { /* not yet */ }
      await new Promise((r) => setTimeout(r, 100));
    }
    const admin = (await api(url, '/v1/auth/login', { method: 'POST', body: { email: 'admin@plant.test', password: PASSWORD } })).token;
    const m0 = await metrics(url);
    const creates = [];
    const ids = [];
    for (let k = 0; k < 40; k++) {
      const t = ms();
      ids.push((await api(url, '/v1/users', { method: 'POST', token: admin, body: { name: `New ${k}`, badge: `NEW${k}`, factory_access: true, office_access: false, role: 'user' } })).id);
      creates.push(ms() - t);
    }
    const m1 = await metrics(url);
    const changes = [];
    for (let k = 0; k < 40; k++) {
      const t = ms();
      await api(url, `/v1/users/${ids[k]}`, { method: 'PATCH', token: admin, body: { grants: k % 2 ? ['gages.use'] : [] } });
      changes.push(ms() - t);
    }
    const m2 = await metrics(url);
    const per = (a, b) => (b.updCount > a.updCount ? +(((b.updSum - a.updSum) / (b.updCount - a.updCount)) * 1000).toFixed(3) : null);
    return {
      people: n, bulk_insert_s: +insertS.toFixed(1),
      create_median_ms: +median(creates).toFixed(2), change_median_ms: +median(changes).toFixed(2),
      snapshot_update_ms_create: per(m0, m1), snapshot_update_ms_change: per(m1, m2),
      full_rebuilds_meanwhile: m2.full - m0.full,
      snapshot_bytes_per_user: m2.users ? Math.round(m2.bytes / m2.users) : null,
    };
  } finally {
    if (proc) { proc.kill('SIGTERM'); await new Promise((r) => proc.on('exit', r)); }
    rmSync(dir, { recursive: true, force: true });
  }
}

const results = [];
for (const n of SIZES) {
  const r = await runSize(n);
  console.log(JSON.stringify(r));
  results.push(r);
}
if (results.length > 1) {
  const a = results[0], b = results[results.length - 1];
  console.log(`create one: ${b.people} vs ${a.people} people: ${(b.create_median_ms / a.create_median_ms).toFixed(2)}x`);
  console.log(`change one (PATCH grants): ${b.people} vs ${a.people} people: ${(b.change_median_ms / a.change_median_ms).toFixed(2)}x`);
}
