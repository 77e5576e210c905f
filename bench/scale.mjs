// Scale benchmark (issue 17): one organization of N people (roles, grants,
// groups, tasks) per size, every figure measured in the same run against
// the release build. Run through bench/scale.sh; prints one JSON object per
// size and a table. Not part of `make test`.
//
//   node bench/scale.mjs [BIN] [SIZES]     e.g. node bench/scale.mjs build/gatehouse 1000,10000
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';

const BIN = process.argv[2] || 'build/gatehouse';
const SIZES = (process.argv[3] || '1000,10000,100000').split(',').map(Number);
const PASSWORD = 'bench password 1234';

const freePort = () => new Promise((res) => {
  const s = net.createServer();
  s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => res(port)); });
});
const ms = () => Number(process.hrtime.bigint()) / 1e6;
const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(s.length * p))]; };

async function start(dir) {
  const db = join(dir, 'gh.db');
  const init = spawnSync(BIN, ['init', '--db', db, '--org', 'bench', '--org-name', 'Bench Plant', '--admin-email', 'admin@bench.test'],
    { env: { ...process.env, GATEHOUSE_ADMIN_PASSWORD: PASSWORD }, encoding: 'utf8' });
  if (init.status !== 0) throw new Error(init.stderr);
  const port = await freePort();
  const proc = spawn(BIN, ['serve', '--db', db, '--listen', `127.0.0.1:${port}`, '--quiet'], { stdio: ['ignore', 'ignore', 'pipe'] });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    try { if ((await fetch(`${url}/healthz`)).ok) break; } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { url, db, proc, port };
}

let retries503 = 0;
async function api(s, path, { method = 'GET', body, token, raw, type } = {}) {
  const h = {};
  if (token) h.Authorization = `Bearer ${token}`;
  let payload;
  if (raw !== undefined) { payload = raw; h['Content-Type'] = type || 'text/csv'; }
  else if (body !== undefined) { payload = JSON.stringify(body); h['Content-Type'] = 'application/json'; }
  let r, text;
  for (let attempt = 0; ; attempt++) {
    r = await fetch(s.url + path, { method, headers: h, body: payload });
    text = await r.text();
    if (r.status !== 503 || attempt === 5) break;
    retries503++; // database_busy: counted and reported, then retried as its Retry-After says
    await new Promise((res) => setTimeout(res, 1000 * Number(r.headers.get('retry-after') || 1)));
  }
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { json = text; }
  if (r.status >= 400) throw new Error(`${method} ${path}: ${r.status} ${text.slice(0, 300)}`);
  return json;
}

/** n requests, c at a time: latencies (ms) and requests per second. */
async function load(n, c, fn) {
  const lat = [];
  let i = 0;
  const t0 = ms();
  await Promise.all(Array.from({ length: c }, async () => {
    while (i < n) { const k = i++; const t = ms(); await fn(k); lat.push(ms() - t); }
  }));
  const secs = (ms() - t0) / 1000;
  return { rps: Math.round(n / secs), p50: +pct(lat, 0.5).toFixed(2), p99: +pct(lat, 0.99).toFixed(2) };
}

const rss = (pid) => {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
};

async function gauge(s, name) {
  const t = await (await fetch(`${s.url}/metrics`)).text();
  const m = new RegExp(`^${name} ([\\d.e+-]+)`, 'm').exec(t);
  return m ? Number(m[1]) : null;
}

async function metric(s, name) {
  const t = await (await fetch(`${s.url}/metrics`)).text();
  const sum = new RegExp(`^${name}_sum\\S* ([\\d.e+-]+)`, 'm').exec(t);
  const count = new RegExp(`^${name}_count\\S* ([\\d.e+-]+)`, 'm').exec(t);
  return sum && count ? { sum: Number(sum[1]), count: Number(count[1]) } : null;
}

const FIRST = ['Émile', 'José', 'Zoë', 'Anna', 'Jürgen', 'Łukasz', 'Mia', 'Noah', 'Ines', 'Omar', 'Chloé', 'Sven'];
const LAST = ['Zola', 'Núñez', 'Schmidt', 'Müller', 'Kowalski', 'Rossi', 'Dubois', 'Smith', 'Novák', 'García'];
const person = (i) => `${FIRST[i % FIRST.length]} ${LAST[Math.floor(i / FIRST.length) % LAST.length]} ${i}`;

async function runSize(n) {
  const dir = mkdtempSync(join(tmpdir(), 'gh-scale-'));
  const s = await start(dir);
  const out = { people: n };
  try {
    const admin = (await api(s, '/v1/auth/login', { method: 'POST', body: { email: 'admin@bench.test', password: PASSWORD } })).token;
    const key = (await api(s, '/v1/api-keys', { method: 'POST', token: admin, body: { name: 'bench', scopes: ['tasks.write', 'users.view', 'authz.check'] } })).key;
    // People: CSV imports of up to 10,000 rows (the API's maximum), one
    // transaction each; a tenth office users with e-mail, the rest workers.
    let importMs = 0;
    for (let base = 0; base < n; base += 10000) {
      const rows = ['name,email,badge,role'];
      for (let i = base; i < Math.min(n, base + 10000); i++)
        rows.push(i % 10 === 0 ? `${person(i)},p${i}@bench.test,,user` : `${person(i)},,B${i},${i % 50 === 1 ? 'admin' : 'user'}`);
      const t = ms();
      const r = await api(s, '/v1/users/import', { method: 'POST', token: admin, raw: rows.join('\n') + '\n' });
      importMs = ms() - t;
      if (r.summary.error) throw new Error(`import errors: ${JSON.stringify(r.rows.find((x) => x.action === 'error'))}`);
    }
    out.import_last_chunk_s = +(importMs / 1000).toFixed(2);
    const page = await api(s, '/v1/users?limit=100', { token: admin });
    const ids = page.items.map((u) => u.id);
    // Grants, groups and tasks.
    for (let i = 0; i < 20; i++)
      await api(s, `/v1/users/${ids[i + 1]}`, { method: 'PATCH', token: admin, body: { grants: ['audit.view'] } }).catch(() => {});
    for (let g = 0; g < 10; g++) {
      const grp = await api(s, '/v1/groups', { method: 'POST', token: admin, body: { name: `Line ${g}` } });
      for (let m = 0; m < 10; m++) await api(s, `/v1/groups/${grp.id}/members/${ids[(g * 10 + m) % ids.length]}`, { method: 'PUT', token: admin }).catch(() => {});
    }
    for (let t = 0; t < 200; t++) await api(s, '/v1/tasks', { method: 'POST', token: key, body: { ref: `T${t}`, title: `Task ${t}` } }).catch(() => {});

    const reb0 = await metric(s, 'gatehouse_snapshot_rebuild_seconds');
    const upd0 = await metric(s, 'gatehouse_snapshot_update_seconds');
    // Creating people one by one (each commit applies one user to the snapshot).
    const create = await load(40, 1, (k) => api(s, '/v1/users', { method: 'POST', token: admin, body: { name: `New Person ${k}`, badge: `NEW${k}`, factory_access: true, role: 'user' } }));
    out.create_per_s = +(1000 / create.p50).toFixed(1);
    out.create_p99_ms = create.p99;
    const reb1 = await metric(s, 'gatehouse_snapshot_rebuild_seconds');
    if (reb0 && reb1 && reb1.count > reb0.count)
      out.snapshot_rebuild_ms = +(((reb1.sum - reb0.sum) / (reb1.count - reb0.count)) * 1000).toFixed(1);
    const upd1 = await metric(s, 'gatehouse_snapshot_update_seconds');
    if (upd1 && upd1.count > (upd0 ? upd0.count : 0))
      out.snapshot_update_ms = +(((upd1.sum - (upd0 ? upd0.sum : 0)) / (upd1.count - (upd0 ? upd0.count : 0))) * 1000).toFixed(3);
    const snapBytes = await gauge(s, 'gatehouse_snapshot_bytes');
    const snapUsers = await gauge(s, 'gatehouse_snapshot_users');
    if (snapBytes && snapUsers) out.snapshot_bytes_per_user = Math.round(snapBytes / snapUsers);
    let cursor = null;
    const list = await load(300, 4, async () => {
      const r = await api(s, `/v1/users?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { token: admin });
      cursor = r.next_cursor || null;
    });
    out.list100 = list;
    const terms = ['zola', 'NUNEZ', 'jurgen', 'ines novak', 'b12', 'p10', 'chloé d', '99'];
    out.search = await load(300, 4, (k) => api(s, `/v1/users?limit=100&q=${encodeURIComponent(terms[k % terms.length])}`, { token: admin }));
    out.get_one = await load(500, 4, (k) => api(s, `/v1/users/${ids[k % ids.length]}`, { token: admin }));
    out.rss_mb = +(rss(s.proc.pid) / 1048576).toFixed(1);
    out.rss_bytes_per_person = Math.round(rss(s.proc.pid) / n);
    out.retried_503 = retries503;
    retries503 = 0;
  } finally {
    s.proc.kill('SIGTERM');
    await new Promise((r) => s.proc.on('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

const results = [];
for (const n of SIZES) {
  const r = await runSize(n);
  console.log(JSON.stringify(r));
  results.push(r);
}
const row = (label, f) => console.log(label.padEnd(28) + results.map((r) => String(f(r)).padStart(14)).join(''));
console.log('\n' + 'people'.padEnd(28) + results.map((r) => String(r.people).padStart(14)).join(''));
row('import 10k rows (s)', (r) => r.import_last_chunk_s);
row('create one by one (/s)', (r) => r.create_per_s);
row('snapshot rebuild (ms)', (r) => r.snapshot_rebuild_ms ?? '-');
row('snapshot update (ms)', (r) => r.snapshot_update_ms ?? '-');
row('snapshot bytes per user', (r) => r.snapshot_bytes_per_user ?? '-');
row('list 100 (req/s)', (r) => r.list100.rps);
row('list 100 p99 (ms)', (r) => r.list100.p99);
row('search (req/s)', (r) => r.search.rps);
row('search p99 (ms)', (r) => r.search.p99);
row('get one (req/s)', (r) => r.get_one.rps);
row('get one p99 (ms)', (r) => r.get_one.p99);
row('RSS (MiB)', (r) => r.rss_mb);
row('RSS per person (bytes)', (r) => r.rss_bytes_per_person);
writeFileSync('bench/scale-results.json', JSON.stringify(results, null, 2) + '\n');
