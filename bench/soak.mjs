// The soak load (bench/soak.sh starts the server and runs this): measures
// capacity with a closed loop for CAP_S seconds, then offers half of it as
// an open-loop mix for DURATION_S seconds: permission checks (API key),
// sign-ins, writes (user updates) and kiosk check-ins/check-outs. Each
// minute: errors, p99 per operation, the server's RSS and open descriptors.
import { readFileSync, readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const [url, pid, password, bin, db] = process.argv.slice(2);
const DURATION_S = Number(process.env.DURATION_S || 600);
const CAP_S = Number(process.env.CAP_S || 10);
const FRACTION = Number(process.env.FRACTION || 0.5);

async function api(path, { method = 'GET', token, body } = {}) {
  const headers = { 'Content-Type': 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  const r = await fetch(url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : null };
}
const must = (r, status, what) => { if (r.status !== status) throw new Error(`${what}: ${r.status} ${JSON.stringify(r.body)}`); return r.body; };

// Set-up: an API key, people to update and sign in, kiosk workers on a task.
const admin = must(await api('/v1/auth/login', { method: 'POST', body: { email: 'admin@soak.test', password } }), 200, 'login').token;
const key = must(await api('/v1/api-keys', { method: 'POST', token: admin, body: { name: 'soak', scopes: ['authz.check', 'tasks.write'] } }), 201, 'key').key;
const me = must(await api('/v1/me', { token: admin }), 200, 'me');
const people = [];
for (let i = 0; i < 20; i++) people.push(must(await api('/v1/users', { method: 'POST', token: admin, body: { email: `p${i}@soak.test`, name: `Person ${i}`, role: 'user' } }), 201, 'user').id);
const task = must(await api('/v1/tasks', { method: 'POST', token: key, body: { ref: 'SOAK-1', title: 'Soak' } }), 201, 'task').id;
// Eight people who sign in with a password (one sign-in per account at a
// time: the server verifies one guess per account at once, by design).
const signers = [];
for (let i = 0; i < 8; i++) {
  const email = `s${i}@soak.test`;
  must(await api('/v1/users', { method: 'POST', token: admin, body: { email, name: `Signer ${i}`, role: 'user' } }), 201, 'signer');
  const out = JSON.parse(spawnSync(bin, ['outbox', '--json', '--db', db], { encoding: 'utf8' }).stdout);
  const mail = out.filter((m) => m.to === email && m.kind === 'verify_email').pop();
  const token = new URL(mail.link).searchParams.get('token');
  must(await api('/v1/auth/verify-email', { method: 'POST', body: { token, password } }), 200, 'verify');
  signers.push({ email, busy: false });
}
const PINS = ['583920', '702615', '948136', '261957', '830472', '416293', '357184', '629047'];
const workers = [];
for (let i = 0; i < PINS.length; i++) {
  const w = must(await api('/v1/users', { method: 'POST', token: admin, body: { name: `Worker ${i}`, badge: `S-${i}`, factory_access: true, role: 'user' } }), 201, 'worker');
  must(await api(`/v1/tasks/${task}/assignees/${w.id}`, { method: 'PUT', token: admin }), 204, 'assign');
  const temp = must(await api(`/v1/users/${w.id}/pin`, { method: 'POST', token: admin }), 200, 'pin').pin;
  const l = must(await api('/v1/kiosk/soak/login', { method: 'POST', body: { badge: `S-${i}`, pin: temp } }), 200, 'kiosk login');
  must(await api('/v1/kiosk/pin', { method: 'POST', token: l.token, body: { current_pin: temp, new_pin: PINS[i] } }), 200, 'pin change');
  workers.push({ badge: `S-${i}`, pin: PINS[i], busy: false, token: l.token });
}
const why = (r) => `${r.status} ${r.body?.code || ''}`;
let n = 0;
const ops = {
  check: () => api('/v1/check', { method: 'POST', token: key, body: { user_id: me.id, permission: 'users.manage' } }).then((r) => r.status === 200 || why(r)),
  signin: async () => {
    const p = signers.find((x) => !x.busy);
    if (!p) return true; // all eight busy: the open loop's burst, not an error
    p.busy = true;
    try {
      const r = await api('/v1/auth/login', { method: 'POST', body: { email: p.email, password } });
      if (r.status !== 200) return why(r);
      const out = await api('/v1/auth/logout', { method: 'POST', token: r.body.token });
      return out.status < 300 || why(out);
    } finally { p.busy = false; }
  },
  write: () => api(`/v1/users/${people[n++ % people.length]}`, { method: 'PATCH', token: admin, body: { checkin_exempt: n % 2 === 0 } }).then((r) => r.status === 200 || why(r)),
  kiosk: async () => {
    const w = workers.find((x) => !x.busy);
    if (!w) return true;
    w.busy = true;
    try {
      // A worker at the kiosk: a PIN sign-in when the session has ended
      // (idle or maximum time), then a check-in and a check-out.
      let c = w.token ? await api('/v1/checkins', { method: 'POST', token: w.token, body: { task_id: task } }) : { status: 401 };
      if (c.status === 401) {
        const l = await api('/v1/kiosk/soak/login', { method: 'POST', body: { badge: w.badge, pin: w.pin } });
        if (l.status !== 200) return why(l);
        w.token = l.body.token;
        c = await api('/v1/checkins', { method: 'POST', token: w.token, body: { task_id: task } });
      }
      if (c.status !== 201) return why(c);
      const o = await api(`/v1/checkins/${c.body.id}/checkout`, { method: 'POST', token: w.token, body: { status: 'paused' } });
      return o.status === 200 || why(o);
    } finally { w.busy = false; }
  },
};
// The mix, per 100 operations.
const MIX = [['check', 75], ['write', 15], ['kiosk', 8], ['signin', 2]];
const choose = (i) => { let k = i % 100; for (const [op, w] of MIX) { if (k < w) return op; k -= w; } return 'check'; };

function server() {
  const st = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rss = Number(/VmRSS:\s+(\d+)/.exec(st)[1]);
  return { rss_mb: Math.round(rss / 102.4) / 10, fds: readdirSync(`/proc/${pid}/fd`).length };
}
const p99 = (xs) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.99))] : 0);

// 1. Capacity: 16 clients in a closed loop.
let done = 0, i = 0;
const capEnd = performance.now() + CAP_S * 1000;
await Promise.all(Array.from({ length: 16 }, async () => {
  while (performance.now() < capEnd) { await ops[choose(i++)](); done++; }
}));
const capacity = done / CAP_S;
const rate = capacity * FRACTION;
console.log(JSON.stringify({ capacity_ops_s: Math.round(capacity), offered_ops_s: Math.round(rate), mix: Object.fromEntries(MIX) }));

// 2. The soak: open loop at `rate`, reported each minute.
let stats = { errors: 0, ok: 0, lat: {}, why: {} };
const started = performance.now();
const inflight = new Set();
let minute = 1;
const report = () => {
  const line = { minute, ok: stats.ok, errors: stats.errors, ...server() };
  for (const [op, xs] of Object.entries(stats.lat)) line[`p99_${op}_ms`] = Math.round(p99(xs) * 10) / 10;
  if (stats.errors) line.error_kinds = stats.why;
  console.log(JSON.stringify(line));
  stats = { errors: 0, ok: 0, lat: {}, why: {} };
  minute++;
};
let next = started;
for (let k = 0; performance.now() - started < DURATION_S * 1000; k++) {
  next += 1000 / rate;
  const wait = next - performance.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  const op = choose(k);
  const t0 = performance.now();
  const p = ops[op]().catch((e) => e.message).then((ok) => {
    (stats.lat[op] ||= []).push(performance.now() - t0);
    if (ok === true) stats.ok++;
    else { stats.errors++; const k = `${op}: ${ok}`; stats.why[k] = (stats.why[k] || 0) + 1; }
    inflight.delete(p);
  });
  inflight.add(p);
  if (performance.now() - started >= minute * 60000) report();
}
await Promise.all(inflight);
report();
