// GET /metrics (issue 21, item 5): the Prometheus text format, parsed
// strictly (./prom.mjs), with the metrics the issue lists moving as requests
// are made: requests by route and status with latency histograms, checks
// allowed/denied, sign-ins by outcome, throttled attempts, the hashing queue,
// the snapshot, the mail backlog, database errors and open sessions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BIN, freePort, startServer } from './lib.mjs';
import { parsePrometheus, sample } from './prom.mjs';

async function scrape(s) {
  const r = await fetch(`${s.url}/metrics`);
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
  return parsePrometheus(await r.text());
}

test('metrics: the text format, and counters move as requests are made', async () => {
  const s = await startServer();
  try {
    const before = await scrape(s);
    for (const name of ['gatehouse_http_requests_total', 'gatehouse_http_request_duration_seconds', 'gatehouse_hash_queue_depth',
      'gatehouse_hash_queue_wait_seconds', 'gatehouse_snapshot_generation', 'gatehouse_snapshot_rebuild_seconds',
      'gatehouse_sessions_open', 'gatehouse_mail_backlog', 'gatehouse_throttled_total', 'gatehouse_draining',
      'gatehouse_webhook_backlog']) {
      assert.ok(before.has(name), `${name} is exposed`);
    }
    for (const name of before.keys()) assert.match(name, /^gatehouse_/);
    assert.equal(before.get('gatehouse_http_request_duration_seconds').type, 'histogram');
    const usersOk = (f) => sample(f, 'gatehouse_http_requests_total', 'gatehouse_http_requests_total', { route: '/v1/users', method: 'GET', status: '200' });
    const signins = (f, outcome) => sample(f, 'gatehouse_signins_total', 'gatehouse_signins_total', { outcome });
    const checks = (f, result) => sample(f, 'gatehouse_checks_total', 'gatehouse_checks_total', { result });

    const admin = await s.login();
    const bad = await s.api('/v1/auth/login', { method: 'POST', body: { email: 'admin@acme.test', password: 'wrong wrong wrong' } });
    assert.equal(bad.status, 401);
    for (let i = 0; i < 3; i++) assert.equal((await s.api('/v1/users', { token: admin })).status, 200);
    const yes = await s.api('/v1/check', { method: 'POST', token: admin, body: { permission: 'users.manage' } });
    assert.equal(yes.body.allowed, true, JSON.stringify(yes.body));
    const no = await s.api('/v1/check', { method: 'POST', token: admin, body: { permission: 'no.such' } });
    assert.equal(no.status, 200, JSON.stringify(no.body));
    assert.equal(no.body.allowed, false);
    const u = await s.api('/v1/users', { method: 'POST', token: admin, body: { email: 'm@acme.test', name: 'M', role: 'user' } });
    assert.equal(u.status, 201);

    const after = await scrape(s);
    assert.equal(usersOk(after) - usersOk(before), 3, 'GET /v1/users 200 counted three times');
    assert.equal(signins(after, 'success') - signins(before, 'success'), 1);
    assert.equal(signins(after, 'invalid_credentials') - signins(before, 'invalid_credentials'), 1);
    assert.equal(checks(after, 'allowed') - checks(before, 'allowed'), 1);
    assert.equal(checks(after, 'denied') - checks(before, 'denied'), 1);
    const lat = (f) => sample(f, 'gatehouse_http_request_duration_seconds', 'gatehouse_http_request_duration_seconds_count', { route: '/v1/users', method: 'GET' });
    assert.equal(lat(after) - lat(before), 3);
    const waits = (f) => sample(f, 'gatehouse_hash_queue_wait_seconds', 'gatehouse_hash_queue_wait_seconds_count');
    assert.ok(waits(after) - waits(before) >= 2, 'two sign-ins went through the hashing queue');
    assert.ok(sample(after, 'gatehouse_sessions_open', 'gatehouse_sessions_open') >= 1);
    assert.ok(sample(after, 'gatehouse_snapshot_generation', 'gatehouse_snapshot_generation') >= 1);
    assert.ok(sample(after, 'gatehouse_snapshot_rebuild_seconds', 'gatehouse_snapshot_rebuild_seconds_count') >= 1);
    assert.ok(sample(after, 'gatehouse_mail_backlog', 'gatehouse_mail_backlog') >= 0);
    // the create was applied to the snapshot incrementally, not rebuilt
    const updates = (f, kind) => sample(f, 'gatehouse_snapshot_updates_total', 'gatehouse_snapshot_updates_total', { kind });
    assert.ok(updates(after, 'incremental') >= 1, 'the new user was applied incrementally');
    assert.ok(sample(after, 'gatehouse_snapshot_bytes', 'gatehouse_snapshot_bytes') > 0);
    assert.ok(sample(after, 'gatehouse_snapshot_users', 'gatehouse_snapshot_users') >= 2);
    // paths are counted under their route, never raw (bounded labels)
    await s.api(`/v1/users/${u.body.id}`, { token: admin });
    await s.api('/v1/no/such/path/123');
    const last = await scrape(s);
    const routes = new Set(last.get('gatehouse_http_requests_total').samples.map((x) => x.labels.route));
    assert.ok(routes.has('/v1/users/{id}'));
    assert.ok(routes.has('(unmatched)'));
    assert.ok(![...routes].some((r) => r.includes(u.body.id)));
  } finally {
    await s.stop();
  }
});

test('metrics: throttled sign-ins are counted', async () => {
  const s = await startServer();
  try {
    let throttled = 0;
    for (let i = 0; i < 40 && throttled === 0; i++) {
      const r = await s.api('/v1/auth/login', { method: 'POST', body: { email: 'admin@acme.test', password: `wrong ${i} wrong wrong` } });
      if (r.status === 429) throttled++;
    }
    assert.ok(throttled > 0, 'the throttle answered 429');
    const f = await scrape(s);
    assert.ok(sample(f, 'gatehouse_throttled_total', 'gatehouse_throttled_total', { route: '/v1/auth/login' }) >= 1);
    assert.ok(sample(f, 'gatehouse_signins_total', 'gatehouse_signins_total', { outcome: 'too_many_attempts' }) >= 1);
  } finally {
    await s.stop();
  }
});

test('--metrics-listen: /metrics on its own address only', async () => {
  const mport = await freePort();
  const s = await startServer({ args: ['--metrics-listen', `127.0.0.1:${mport}`] });
  try {
    const m = `http://127.0.0.1:${mport}`;
    assert.equal((await s.api('/healthz')).status, 200);
    const main = await s.api('/metrics');
    assert.equal(main.status, 404, 'not on the main address');
    assert.equal(main.body.code, 'not_found');
    const r = await fetch(`${m}/metrics`);
    assert.equal(r.status, 200);
    const f = parsePrometheus(await r.text());
    assert.ok(sample(f, 'gatehouse_http_requests_total', 'gatehouse_http_requests_total', { route: '/healthz', status: '200' }) >= 1,
      'the main address\'s requests are counted');
    assert.equal((await fetch(`${m}/healthz`)).status, 200);
    assert.equal((await fetch(`${m}/v1/users`)).status, 404, 'nothing else there');
    assert.equal((await fetch(`${m}/metrics`, { method: 'POST', body: 'x' })).status, 404);
    const head = await fetch(`${m}/metrics`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(await head.text(), '');
  } finally {
    await s.stop();
  }
  // a metrics address in use stops the server
  const s2 = await startServer();
  try {
    const busy = new URL(s2.url).port;
    const r = spawnSync(BIN, ['serve', '--db', s2.db, '--listen', '127.0.0.1:0', '--metrics-listen', `127.0.0.1:${busy}`], { encoding: 'utf8', timeout: 20000 });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /for metrics: the address is in use/);
    const bad = spawnSync(BIN, ['serve', '--db', s2.db, '--metrics-listen', 'nonsense'], { encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--metrics-listen takes HOST:PORT/);
  } finally {
    await s2.stop();
  }
});

test('the sample alerts and the Grafana dashboard use only metrics the server exposes', async () => {
  const dir = resolve(import.meta.dirname, '../../packaging');
  const alerts = readFileSync(join(dir, 'prometheus-alerts.yml'), 'utf8');
  const dash = JSON.parse(readFileSync(join(dir, 'grafana-dashboard.json'), 'utf8'));
  const s = await startServer();
  try {
    const f = await scrape(s);
    const used = new Set([...`${alerts}\n${JSON.stringify(dash)}`.matchAll(/gatehouse_[a-z_]+/g)]
      .map((m) => m[0].replace(/_(bucket|sum|count)$/, '')));
    assert.ok(used.size >= 8);
    for (const name of used) assert.ok(f.has(name), `${name} (used by packaging/) is not exposed`);
    for (const p of dash.panels) assert.ok(p.targets.length > 0 && p.title, 'every panel has a query');
  } finally {
    await s.stop();
  }
});
