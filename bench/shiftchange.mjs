// Shift-change load test (issue 22): WORKERS people sign in with their PIN
// at once across KIOSKS enrolled tablets, each then loads their task list
// (what the kiosk shows next). Reports every answer's status, the time from
// PIN submit to task list (p50, p99, max), and the hand-over on a shared
// tablet: the previous worker signs out, the next one signs in and sees
// their tasks. Real hashing costs (release build, no test flags). Not part
// of `make test`. Sign-in answers are counted by status; a task list that
// answers 401 because the next worker on the same tablet already signed in
// (quick switching) is counted apart.
//
//   node bench/shiftchange.mjs [BIN] [WORKERS] [KIOSKS]
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import os from 'node:os';

const BIN = process.argv[2] || 'build/gatehouse';
const WORKERS = Number(process.argv[3] || 100);
const KIOSKS = Number(process.argv[4] || 5);
const PASSWORD = 'bench password 1234';
const PINS = ['583920', '702615', '948136', '261957', '830472'];

const freePort = () => new Promise((res) => {
  const s = net.createServer();
  s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => res(port)); });
});
const ms = () => Number(process.hrtime.bigint()) / 1e6;
const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(s.length * p))]; };

const dir = mkdtempSync(join(tmpdir(), 'gh-shift-'));
const db = join(dir, 'gh.db');
const init = spawnSync(BIN, ['init', '--db', db, '--org', 'plant', '--org-name', 'Plant', '--admin-email', 'admin@plant.test'],
  { env: { ...process.env, GATEHOUSE_ADMIN_PASSWORD: PASSWORD }, encoding: 'utf8' });
if (init.status !== 0) throw new Error(init.stderr);
const port = await freePort();
const proc = spawn(BIN, ['serve', '--db', db, '--listen', `127.0.0.1:${port}`, '--quiet'], { stdio: ['ignore', 'ignore', 'inherit'] });
const url = `http://127.0.0.1:${port}`;
for (let i = 0; i < 200; i++) {
  try { if ((await fetch(`${url}/healthz`)).ok) break; } catch { /* not yet */ }
  await new Promise((r) => setTimeout(r, 50));
}

async function api(path, { method = 'GET', body, token } = {}) {
  const h = {};
  if (token) h.Authorization = `Bearer ${token}`;
  if (body !== undefined) h['Content-Type'] = 'application/json';
  const r = await fetch(url + path, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : null };
}
const must = async (p, o, want = 200) => {
  const r = await api(p, o);
  if (r.status !== want) throw new Error(`${o?.method || 'GET'} ${p}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
};

try {
  const admin = (await must('/v1/auth/login', { method: 'POST', body: { email: 'admin@plant.test', password: PASSWORD } })).token;
  const key = (await must('/v1/api-keys', { method: 'POST', token: admin, body: { name: 'mes', scopes: ['tasks.write', 'users.view'] } }, 201)).key;
  const workers = [];
  for (let i = 0; i < WORKERS; i++) {
    const badge = `W-${1000 + i}`;
    const u = await must('/v1/users', { method: 'POST', token: admin, body: { name: `Worker ${i}`, badge, factory_access: true, role: 'user' } }, 201);
    const temp = (await must(`/v1/users/${u.id}/pin`, { method: 'POST', token: admin })).pin;
    const l = await must(`/v1/kiosk/plant/login`, { method: 'POST', body: { badge, pin: temp } });
    const pin = PINS[i % PINS.length];
    await must('/v1/kiosk/pin', { method: 'POST', token: l.token, body: { current_pin: temp, new_pin: pin } });
    await must('/v1/auth/logout', { method: 'POST', token: l.token }, 204).catch(() => {});
    const t = await must('/v1/tasks', { method: 'POST', token: key, body: { ref: `T-${i}`, title: `Station ${i}` } }, 201);
    await api(`/v1/tasks/${t.id}/assignees/${u.id}`, { method: 'PUT', token: key });
    workers.push({ badge, pin, id: u.id });
  }
  const devices = [];
  for (let d = 0; d < KIOSKS; d++) devices.push((await must('/v1/kiosk-devices', { method: 'POST', token: admin, body: { name: `Gate ${d}` } }, 201)).token);

  // Everyone at once.
  const t0 = ms();
  const results = await Promise.all(workers.map(async (w, i) => {
    const t = ms();
    const l = await api('/v1/kiosk/plant/login', { method: 'POST', body: { badge: w.badge, pin: w.pin, device_token: devices[i % KIOSKS] } });
    if (l.status !== 200) return { status: l.status, ms: ms() - t };
    const signedIn = ms() - t;
    // On a shared tablet the next sign-in signs the previous worker out
    // (quick switching): their task list may then answer 401, counted apart.
    const tasks = await api('/v1/me/tasks', { token: l.body.token });
    return { status: 200, tasks: tasks.status, ms: ms() - t, signin: signedIn, list: ms() - t - signedIn };
  }));
  const wall = ms() - t0;
  const lat = results.map((r) => r.ms);
  const statuses = {};
  for (const r of results) statuses[r.status] = (statuses[r.status] || 0) + 1;
  const replaced = results.filter((r) => r.tasks === 401).length;

  // Hand-over on one tablet: sign out, the next worker signs in and sees tasks.
  const hand = [];
  let prev = (await must('/v1/kiosk/plant/login', { method: 'POST', body: { badge: workers[0].badge, pin: workers[0].pin, device_token: devices[0] } })).token;
  for (let i = 1; i <= 20; i++) {
    const w = workers[i % workers.length];
    const t = ms();
    await api('/v1/auth/logout', { method: 'POST', token: prev });
    const l = await must('/v1/kiosk/plant/login', { method: 'POST', body: { badge: w.badge, pin: w.pin, device_token: devices[0] } });
    await must('/v1/me/tasks', { token: l.token });
    hand.push(ms() - t);
    prev = l.token;
  }
  const out = {
    workers: WORKERS, kiosks: KIOSKS, signin_statuses: statuses, signed_out_by_next_on_tablet: replaced, wall_s: +(wall / 1000).toFixed(2),
    submit_to_tasks_ms: { p50: Math.round(pct(lat, 0.5)), p99: Math.round(pct(lat, 0.99)), max: Math.round(Math.max(...lat)) },
    // Where the time goes: the sign-in answer, then the task list.
    signin_ms: { p50: Math.round(pct(results.map((r) => r.signin ?? r.ms), 0.5)), p99: Math.round(pct(results.map((r) => r.signin ?? r.ms), 0.99)) },
    task_list_ms: { p50: Math.round(pct(results.filter((r) => r.list !== undefined).map((r) => r.list), 0.5)),
      p99: Math.round(pct(results.filter((r) => r.list !== undefined).map((r) => r.list), 0.99)) },
    handover_ms: { p50: Math.round(pct(hand, 0.5)), max: Math.round(Math.max(...hand)) },
    loadavg: os.loadavg().map((x) => +x.toFixed(1)),
  };
  console.log(JSON.stringify(out));
} finally {
  proc.kill('SIGTERM');
  await new Promise((r) => proc.on('exit', r));
  rmSync(dir, { recursive: true, force: true });
}
