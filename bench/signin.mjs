// Sign-in throughput and checks under sign-in load (issue 17), in one run:
//  1. bare libsodium argon2id hashes/s (bench/pwhash_rate.c, one thread per core);
//  2. password sign-ins/s against gatehouse at the same cost, as a ratio to
//     1: CLIENTS clients (default 4, the per-address share of the hashing
//     queue), each signing in its own account (the administrator of its own
//     organization), so that the per-account limit of one attempt in flight
//     is not what is measured;
//  3. POST /v1/check with wrk (-t2 -c16), unloaded, then while 2 runs: the
//     ratio and p99. Release build, no test flags. Not part of `make test`.
//
//   node bench/signin.mjs [BIN] [SECONDS] [CLIENTS]
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';

const BIN = process.argv[2] || 'build/gatehouse';
const SECS = Number(process.argv[3] || 10);
const CLIENTS = Number(process.argv[4] || 4);
const PASSWORD = 'bench password 1234';
const dir = mkdtempSync(join(tmpdir(), 'gh-signin-'));
const freePort = () => new Promise((res) => {
  const s = net.createServer();
  s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => res(port)); });
});

const cc = spawnSync('cc', ['-O2', 'bench/pwhash_rate.c', '-o', join(dir, 'pwhash_rate'), '-lsodium', '-lpthread'], { encoding: 'utf8' });
if (cc.status !== 0) throw new Error(cc.stderr);
const cores = cpus().length;
const bare = JSON.parse(spawnSync(join(dir, 'pwhash_rate'), [String(cores), String(SECS)], { encoding: 'utf8' }).stdout);

const db = join(dir, 'gh.db');
// One organization per client; client i signs in as admin@bench<i>.test.
const email = (i) => `admin@bench${i}.test`;
for (let i = 0; i < CLIENTS; i++) {
  const init = spawnSync(BIN, ['init', '--db', db, '--org', `bench${i}`, '--org-name', `Plant ${i}`, '--admin-email', email(i)],
    { env: { ...process.env, GATEHOUSE_ADMIN_PASSWORD: PASSWORD }, encoding: 'utf8' });
  if (init.status !== 0) throw new Error(init.stderr);
}
const port = await freePort();
const proc = spawn(BIN, ['serve', '--db', db, '--listen', `127.0.0.1:${port}`, '--quiet'], { stdio: ['ignore', 'ignore', 'inherit'] });
const url = `http://127.0.0.1:${port}`;
for (let i = 0; i < 200; i++) {
  try { if ((await fetch(`${url}/healthz`)).ok) break; } catch { /* not yet */ }
  await new Promise((r) => setTimeout(r, 50));
}
const post = async (path, body, token) => {
  const h = { 'Content-Type': 'application/json' };
  if (token) h.Authorization = `Bearer ${token}`;
  const r = await fetch(url + path, { method: 'POST', headers: h, body: JSON.stringify(body) });
  return { status: r.status, body: await r.json().catch(() => null) };
};

const wrk = (lua) => {
  const r = spawnSync('wrk', ['-t2', '-c16', `-d${SECS}s`, '--latency', '-s', lua, `${url}/v1/check`], { encoding: 'utf8' });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(r.stdout)[1]);
  const [, v, u] = /99%\s+([\d.]+)(us|ms|s)/.exec(r.stdout);
  return { rps: Math.round(rps), p99_ms: +(u === 'us' ? v / 1000 : u === 's' ? v * 1000 : Number(v)).toFixed(3) };
};

const refusals = {}; // status -> count, reported
/** Password sign-ins until stopAt with c clients, each its own account. */
async function signins(c, stopAt) {
  let ok = 0, other = 0;
  await Promise.all(Array.from({ length: c }, async (_, i) => {
    while (Date.now() < stopAt) {
      const r = await post('/v1/auth/login', { org: `bench${i}`, email: email(i), password: PASSWORD });
      if (r.status === 200) ok++;
      else { other++; refusals[r.status] = (refusals[r.status] || 0) + 1; }
    }
  }));
  return { ok, other };
}

try {
  const first = await post('/v1/auth/login', { org: 'bench0', email: email(0), password: PASSWORD });
  if (first.status !== 200) throw new Error(`sign-in: ${first.status} ${JSON.stringify(first.body)}`);
  const admin = first.body.token;
  const key = (await post('/v1/api-keys', { name: 'bench' }, admin)).body.key;
  const me = await (await fetch(`${url}/v1/me`, { headers: { Authorization: `Bearer ${admin}` } })).json();
  const lua = join(dir, 'post.lua');
  writeFileSync(lua, `wrk.method = "POST"\nwrk.body = '{"user_id":"${me.id}","permission":"users.manage"}'\n` +
    `wrk.headers["Content-Type"] = "application/json"\nwrk.headers["Authorization"] = "Bearer ${key}"\n`);

  let t0 = Date.now();
  const s = await signins(CLIENTS, t0 + SECS * 1000);
  const signinRate = s.ok / ((Date.now() - t0) / 1000);
  const idle = wrk(lua);
  t0 = Date.now();
  const bg = signins(CLIENTS, t0 + SECS * 1000 + 1500);
  await new Promise((r) => setTimeout(r, 500));
  const loaded = wrk(lua);
  const bgr = await bg;
  const out = {
    cores, clients: CLIENTS, load_average: loadavg().map((x) => +x.toFixed(1)), bare_hashes_per_s: +bare.per_second.toFixed(2), signins_per_s: +signinRate.toFixed(2),
    signin_ratio: +(signinRate / bare.per_second).toFixed(2), signin_refused: s.other, refusals,
    checks_unloaded: idle, checks_during_signins: loaded, checks_ratio: +(loaded.rps / idle.rps).toFixed(2),
    signins_during_checks: bgr.ok,
  };
  console.log(JSON.stringify(out));
} finally {
  proc.kill('SIGTERM');
  await new Promise((r) => proc.on('exit', r));
  rmSync(dir, { recursive: true, force: true });
}
