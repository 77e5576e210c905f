// Side by side with Glewlwyd (issue 17): the same user-administration work
// against gatehouse and Debian's glewlwyd (SQLite backend, its own admin
// API), in one run on the same machine, printed as ratios. Run through
// bench/peers.sh; not part of `make test`.
//
//   node bench/peers.mjs [BIN] [PEOPLE] [SECONDS]    e.g. node bench/peers.mjs build/gatehouse 10000 5
//
// Both servers start on a fresh database holding PEOPLE people (gatehouse
// through its CSV import, Glewlwyd by SQL into its g_user table, since its
// API has no bulk import), then each is measured with the same client, wrk
// (so the client's own cost does not flatten the ratios), SECONDS per step,
// each step on one server and then the other:
//   - create: one connection creating people one after another (a name and
//     a badge or e-mail each; no password, no mail), then a check that
//     every answer was a success;
//   - list 100: the first page of 100 people, 4 connections;
//   - get one: one person by id (gatehouse) or username (Glewlwyd),
//     4 connections;
//   - RSS of the server process at the end.
// The ratios are gatehouse / Glewlwyd for throughput and Glewlwyd /
// gatehouse for RSS (both: higher is better for gatehouse).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';

const BIN = process.argv[2] || 'build/gatehouse';
const PEOPLE = Number(process.argv[3] || 10000);
const SECS = Number(process.argv[4] || 5);
const PASSWORD = 'bench password 1234';
const GLW_BIN = process.env.GLEWLWYD || '/usr/bin/glewlwyd';
const GLW_CONF = process.env.GLEWLWYD_CONF || '/etc/glewlwyd/glewlwyd.conf';
const GLW_SCHEMA = process.env.GLEWLWYD_SCHEMA || '/usr/share/dbconfig-common/data/glewlwyd/install/sqlite3';

const freePort = () => new Promise((res) => {
  const s = net.createServer();
  s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => res(port)); });
});
const ms = () => Number(process.hrtime.bigint()) / 1e6;
const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(s.length * p))]; };
const rss = (pid) => {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
};
const sleep = (t) => new Promise((r) => setTimeout(r, t));

async function waitReady(url, proc, what) {
  // Readiness, with a generous ceiling (a loaded machine starts slowly).
  for (let i = 0; i < 1200; i++) {
    if (proc.exitCode !== null) throw new Error(`${what} exited (${proc.exitCode})`);
    try { await fetch(url); return; } catch { /* not yet */ }
    await sleep(50);
  }
  throw new Error(`${what} did not start`);
}

async function call(url, { method = 'GET', body, headers = {}, raw, type } = {}) {
  const h = { ...headers };
  let payload;
  if (raw !== undefined) { payload = raw; h['Content-Type'] = type || 'text/csv'; }
  else if (body !== undefined) { payload = JSON.stringify(body); h['Content-Type'] = 'application/json'; }
  const r = await fetch(url, { method, headers: h, body: payload });
  const text = await r.text();
  if (r.status >= 400) throw new Error(`${method} ${url}: ${r.status} ${text.slice(0, 300)}`);
  return { r, json: text ? JSON.parse(text) : null };
}

/** wrk for SECS on one URL: requests per second, p99 (ms), non-2xx answers.
 * lua: a script that sets the method, headers and body (per request). */
function wrk(url, conns, lua, dir) {
  const script = join(dir, `wrk-${Math.random().toString(36).slice(2)}.lua`);
  writeFileSync(script, lua);
  const r = spawnSync('wrk', ['-t1', `-c${conns}`, `-d${SECS}s`, '--latency', '-s', script, url], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`wrk: ${r.stderr}`);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(r.stdout)[1]);
  const [, v, u] = /99%\s+([\d.]+)(us|ms|s)/.exec(r.stdout);
  const bad = /Non-2xx or 3xx responses: (\d+)/.exec(r.stdout);
  const requests = Number(/(\d+) requests in/.exec(r.stdout)[1]);
  return { rps: +rps.toFixed(1), p99_ms: +(u === 'us' ? v / 1000 : u === 's' ? v * 1000 : Number(v)).toFixed(2),
    requests, non_2xx: bad ? Number(bad[1]) : 0 };
}

const luaStr = (x) => JSON.stringify(String(x)); // a Lua string literal for plain ASCII
const luaHeaders = (h) => Object.entries(h).map(([k, v]) => `wrk.headers[${luaStr(k)}] = ${luaStr(v)}\n`).join('');
/** A fixed request. */
const luaFixed = (method, headers, body) =>
  `wrk.method = ${luaStr(method)}\n${luaHeaders(headers)}${body ? `wrk.body = ${luaStr(body)}\n` : ''}`;
/** POSTs whose body has a fresh number each time: body(n) is written with
 * %d where the number goes, e.g. '{"name":"New %d"}'. */
const luaCreate = (headers, bodyFormat, start) =>
  `${luaHeaders(headers)}local n = ${start}\nrequest = function()\n  n = n + 1\n` +
  `  return wrk.format("POST", nil, nil, string.format(${luaStr(bodyFormat)}, n, n, n))\nend\n`;

const name = (i) => `Person ${i} Example`;

async function gatehouse(dir) {
  const db = join(dir, 'gh.db');
  const init = spawnSync(BIN, ['init', '--db', db, '--org', 'bench', '--org-name', 'Bench Plant', '--admin-email', 'admin@bench.test'],
    { env: { ...process.env, GATEHOUSE_ADMIN_PASSWORD: PASSWORD }, encoding: 'utf8' });
  if (init.status !== 0) throw new Error(init.stderr);
  const port = await freePort();
  const proc = spawn(BIN, ['serve', '--db', db, '--listen', `127.0.0.1:${port}`, '--quiet'], { stdio: ['ignore', 'ignore', 'inherit'] });
  procs.push(proc);
  const url = `http://127.0.0.1:${port}`;
  await waitReady(`${url}/healthz`, proc, 'gatehouse');
  const token = (await call(`${url}/v1/auth/login`, { method: 'POST', body: { email: 'admin@bench.test', password: PASSWORD } })).json.token;
  const auth = { Authorization: `Bearer ${token}` };
  for (let base = 0; base < PEOPLE; base += 10000) {
    const rows = ['name,email,badge,role'];
    for (let i = base; i < Math.min(PEOPLE, base + 10000); i++) rows.push(`${name(i)},,B${i},user`);
    const { json } = await call(`${url}/v1/users/import`, { method: 'POST', headers: auth, raw: rows.join('\n') + '\n' });
    if (json.summary.error) throw new Error('gatehouse import had errors');
  }
  const ids = (await call(`${url}/v1/users?limit=100`, { headers: auth })).json.items.map((u) => u.id);
  const json = { 'Content-Type': 'application/json' };
  return {
    name: 'gatehouse', proc,
    create: () => wrk(`${url}/v1/users`, 1, luaCreate({ ...auth, ...json }, '{"name":"New Person %d","badge":"NEW%d","factory_access":true,"role":"user"}', 0), dir),
    list: () => wrk(`${url}/v1/users?limit=100`, 4, luaFixed('GET', auth), dir),
    get: () => wrk(`${url}/v1/users/${ids[1]}`, 4, luaFixed('GET', auth), dir),
  };
}

async function glewlwyd(dir) {
  const db = join(dir, 'glewlwyd.db');
  const schema = readFileSync(GLW_SCHEMA, 'utf8');
  // The same people, by SQL (Glewlwyd has no bulk import), with the
  // g_profile scope its API gives a new user.
  const fill = [schema, 'BEGIN;'];
  for (let i = 0; i < PEOPLE; i++) fill.push(`INSERT INTO g_user (gu_username, gu_name, gu_email, gu_enabled) VALUES ('p${i}', '${name(i)}', 'p${i}@bench.test', 1);`);
  fill.push(`INSERT INTO g_user_scope_user (gu_id, gus_id) SELECT gu_id, (SELECT gus_id FROM g_user_scope WHERE gus_name = 'g_profile') FROM g_user WHERE gu_username <> 'admin';`);
  fill.push('COMMIT;');
  const sq = spawnSync('sqlite3', [db], { input: fill.join('\n'), encoding: 'utf8', maxBuffer: 1 << 26 });
  if (sq.status !== 0) throw new Error(`sqlite3: ${sq.stderr}`);
  const port = await freePort();
  // The Debian configuration with its port, URL, log and database replaced.
  const conf = readFileSync(GLW_CONF, 'utf8')
    .replace(/^port=.*$/m, `port=${port}`)
    .replace(/^external_url=.*$/m, `external_url="http://127.0.0.1:${port}/"`)
    .replace(/^log_mode=.*$/m, 'log_mode="console"')
    .replace(/^log_level=.*$/m, 'log_level="ERROR"')
    .replace(/^@include.*glewlwyd-db\.conf.*$/m, `database = { type = "sqlite3"\n  path = "${db}" };`);
  if (!conf.includes(db)) throw new Error(`cannot point ${GLW_CONF} at the bench database`);
  writeFileSync(join(dir, 'glewlwyd.conf'), conf);
  const proc = spawn(GLW_BIN, ['-c', join(dir, 'glewlwyd.conf')], { stdio: ['ignore', 'ignore', 'inherit'] });
  procs.push(proc);
  const url = `http://127.0.0.1:${port}/api`;
  await waitReady(`${url}/`, proc, 'glewlwyd');
  // The package's default administrator (admin / password); the session
  // cookie is the admin API's credential.
  const { r } = await call(`${url}/auth/`, { method: 'POST', body: { username: 'admin', password: 'password' } });
  const cookie = (r.headers.getSetCookie ? r.headers.getSetCookie() : [r.headers.get('set-cookie')]).map((c) => c.split(';')[0]).join('; ');
  if (!cookie) throw new Error('glewlwyd gave no session cookie');
  const auth = { Cookie: cookie };
  const json = { 'Content-Type': 'application/json' };
  return {
    name: 'glewlwyd', proc,
    create: () => wrk(`${url}/user/`, 1, luaCreate({ ...auth, ...json }, '{"username":"new%d","name":"New Person %d","email":"new%d@bench.test","scope":["g_profile"],"enabled":true}', 0), dir),
    list: () => wrk(`${url}/user/?offset=0&limit=100`, 4, luaFixed('GET', auth), dir),
    get: () => wrk(`${url}/user/p1`, 4, luaFixed('GET', auth), dir),
  };
}

/** Each step on one server and then the other, so that a change in the
 * machine's load falls on both. The first page and the person read are
 * checked once with fetch beforehand (wrk only counts non-2xx answers). */
async function measure(srvs) {
  const outs = srvs.map((s) => ({ server: s.name }));
  for (const key of ['create', 'list', 'get'])
    for (let i = 0; i < srvs.length; i++) {
      const r = srvs[i][key]();
      if (r.non_2xx > 0) throw new Error(`${srvs[i].name} ${key}: ${r.non_2xx} answers were not 2xx`);
      outs[i][key] = r;
    }
  srvs.forEach((s, i) => { outs[i].rss_mb = +(rss(s.proc.pid) / 1048576).toFixed(1); });
  return outs;
}

async function stop(proc) {
  if (proc.exitCode !== null) return;
  const done = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGTERM');
  const t = setTimeout(() => proc.kill('SIGKILL'), 10000);
  await done;
  clearTimeout(t);
}

const dir = mkdtempSync(join(tmpdir(), 'gh-peers-'));
const procs = [];
try {
  const load0 = loadavg()[0];
  const gh = await gatehouse(dir);
  const gw = await glewlwyd(dir);
  const [g, w] = await measure([gh, gw]);
  const ratio = (a, b) => +(a / b).toFixed(1);
  const res = {
    bench: 'peers', people: PEOPLE, seconds: SECS, load_average: [+load0.toFixed(1), +loadavg()[0].toFixed(1)],
    gatehouse: g, glewlwyd: w,
    ratio: {
      create: ratio(g.create.rps, w.create.rps),
      list100: ratio(g.list.rps, w.list.rps),
      get_one: ratio(g.get.rps, w.get.rps),
      rss: ratio(w.rss_mb, g.rss_mb),
    },
  };
  console.log(JSON.stringify(res));
  const row = (label, f, unit) => console.log(`${label.padEnd(20)} ${String(f(g)).padStart(10)} ${String(f(w)).padStart(10)}   ${unit}`);
  console.log(`\n${PEOPLE} people; load average ${res.load_average.join(' -> ')}`);
  console.log(`${''.padEnd(20)} ${'gatehouse'.padStart(10)} ${'glewlwyd'.padStart(10)}   ratio`);
  row('create (/s)', (x) => x.create.rps, `${res.ratio.create}x`);
  row('create p99 (ms)', (x) => x.create.p99_ms, '');
  row('list 100 (req/s)', (x) => x.list.rps, `${res.ratio.list100}x`);
  row('list 100 p99 (ms)', (x) => x.list.p99_ms, '');
  row('get one (req/s)', (x) => x.get.rps, `${res.ratio.get_one}x`);
  row('get one p99 (ms)', (x) => x.get.p99_ms, '');
  row('RSS (MiB)', (x) => x.rss_mb, `${res.ratio.rss}x smaller`);
} finally {
  for (const p of procs) await stop(p);
  rmSync(dir, { recursive: true, force: true });
}
