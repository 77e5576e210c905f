// `gatehouse serve` and the operator's CLI: configuration from the
// environment, structured JSON logs with request ids, graceful shutdown,
// migrations and the refusal of a database newer than the binary, Secure
// cookies behind https, and the outbox, check, backup and version commands.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, PASSWORD, cli, freePort, startServer } from './lib.mjs';

async function waitUp(url, proc, out) {
  for (let i = 0; i < 400; i++) {
    if (proc.exitCode !== null) throw new Error(`exited early:\n${out()}`);
    try { if ((await fetch(`${url}/healthz`)).ok) return; } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`did not start:\n${out()}`);
}

const hasSqlite = spawnSync('sqlite3', ['-version']).status === 0;

test('environment configuration, JSON logs, graceful shutdown on SIGINT', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gh-serve-'));
  try {
    const db = join(dir, 'sub', 'dir', 'g.db'); // folders are created
    const port = await freePort();
    const env = { ...process.env, GATEHOUSE_DB: db, GATEHOUSE_LISTEN: `127.0.0.1:${port}`, GATEHOUSE_BASE_URL: 'https://gate.example.com/' };
    const proc = spawn(BIN, ['serve', '--test-clock', '--create'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stderr.on('data', (d) => { out += d; });
    proc.stdout.on('data', (d) => { out += d; });
    const exited = new Promise((r) => proc.on('exit', (code, signal) => r({ code, signal })));
    await waitUp(`http://127.0.0.1:${port}`, proc, () => out);
    assert.ok(existsSync(db), 'the database was created where GATEHOUSE_DB says');
    const token = out.match(/https:\/\/gate\.example\.com\/console\/setup\?token=([A-Za-z0-9_-]+)/);
    assert.ok(token, `the setup link uses the base URL:\n${out}`);
    const setup = await fetch(`http://127.0.0.1:${port}/v1/setup`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ token: token[1], org: { name: 'Acme', slug: 'acme' }, admin: { email: 'a@acme.test', name: 'A', password: PASSWORD } }),
    });
    assert.equal(setup.status, 201);
    const login = await fetch(`http://127.0.0.1:${port}/v1/auth/login`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ email: 'a@acme.test', password: PASSWORD }),
    });
    assert.equal(login.status, 200);
    const rid = login.headers.get('x-request-id');
    assert.ok(login.headers.getSetCookie().every((c) => /; Secure/.test(c)), 'https base URL: Secure cookies');
    proc.kill('SIGINT');
    const { code, signal } = await exited;
    assert.equal(code, 0, `exit ${code} ${signal}\n${out.slice(-2000)}`);
    assert.doesNotMatch(out, /AddressSanitizer|LeakSanitizer|runtime error/);
    const lines = out.split('\n').filter((l) => l.startsWith('{'));
    const logs = lines.map((l) => JSON.parse(l));
    assert.ok(logs.length >= 4);
    for (const l of logs) {
      assert.ok(l.ts && l.level && typeof l.msg === 'string', JSON.stringify(l));
    }
    const req = logs.find((l) => l.msg === 'request' && l.request_id === rid);
    assert.ok(req, 'the sign-in request is logged with its id');
    assert.equal(req.method, 'POST');
    assert.equal(req.path, '/v1/auth/login');
    assert.equal(req.status, 200);
    assert.ok(!out.includes(PASSWORD), 'a password reached the log');
    assert.ok(logs.some((l) => l.msg === 'shutting down'));
    assert.ok(logs.some((l) => /applied schema migration 1/.test(l.msg)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a database newer than the binary is refused with a clear message', { skip: !hasSqlite && 'no sqlite3 CLI' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'gh-newer-'));
  try {
    const db = join(dir, 'g.db');
    assert.equal(cli(db, ['init', '--org', 'acme', '--org-name', 'Acme', '--admin-email', 'a@acme.test'], { GATEHOUSE_ADMIN_PASSWORD: PASSWORD }).status, 0);
    const v = spawnSync('sqlite3', [db, "SELECT value FROM meta WHERE key = 'schema_version'"], { encoding: 'utf8' });
    const current = Number(v.stdout.trim());
    assert.ok(current >= 1);
    assert.equal(spawnSync('sqlite3', [db, `UPDATE meta SET value = ${current + 5} WHERE key = 'schema_version'`]).status, 0);
    const r = spawnSync(BIN, ['serve', '--db', db, '--listen', '127.0.0.1:0'], { encoding: 'utf8', timeout: 20000 });
    assert.equal(r.status, 1);
    assert.match(r.stderr, new RegExp(`schema version ${current + 5} is newer than this gatehouse \\(${current}\\)`));
    const o = cli(db, ['org', 'list']);
    assert.notEqual(o.status, 0, 'the CLI refuses it too');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('operator commands: outbox, check, backup, routes, version, usage', async () => {
  const s = await startServer();
  try {
    const admin = await s.login();
    const u = await s.api('/v1/users', { method: 'POST', token: admin, body: { email: 'mail@acme.test', name: 'Mae', role: 'user' } });
    assert.equal(u.status, 201);
    const text = s.cli(['outbox']);
    assert.equal(text.status, 0);
    assert.match(text.stdout, /to mail@acme\.test/);
    assert.match(text.stdout, /Subject: Confirm your email address/);
    const json = s.outbox();
    assert.deepEqual(Object.keys(json[0]).sort(), ['attempts', 'body', 'created_at', 'id', 'kind', 'last_error', 'link', 'next_attempt_at', 'org_id', 'sent_at', 'status', 'subject', 'to']);
    // The background loop logs pending mails and marks them.
    const t0 = Date.now();
    while (Date.now() - t0 < 3000 && s.outbox()[0].status === 'queued') await new Promise((r) => setTimeout(r, 100));
    assert.equal(s.outbox()[0].status, 'logged');
    await new Promise((r) => setTimeout(r, 200)); // let the server's output arrive
    assert.match(s.log(), /mail queued.*"to":"mail@acme\.test"/);
    const yes = s.cli(['check', '--org', 'acme', '--user', 'admin@acme.test', '--permission', 'users.manage']);
    assert.equal(yes.status, 0);
    assert.equal(yes.stdout, 'allowed\tgranted_by_role\n');
    const no = s.cli(['check', '--org', 'acme', '--user', u.body.id, '--permission', 'users.manage']);
    assert.equal(no.status, 3);
    assert.equal(no.stdout, 'denied\tnot_granted\n');
    const unknown = s.cli(['check', '--org', 'acme', '--user', 'ghost@acme.test', '--permission', 'users.manage']);
    assert.equal(unknown.status, 3);
    assert.equal(unknown.stdout, 'denied\tdenied\n');
    const to = join(s.dir, 'backup.db');
    const b = s.cli(['backup', '--to', to]);
    assert.equal(b.status, 0, b.stderr);
    assert.equal(cli(to, ['org', 'list']).stdout.split('\t')[0], 'acme', 'the backup is a usable database');
    const routes = spawnSync(BIN, ['routes'], { encoding: 'utf8' });
    assert.equal(routes.status, 0);
    // method, path, auth, permission, API key scope, alternative permission, query parameters
    assert.match(routes.stdout, /^POST\t\/v1\/check\tuser,api_key\t-\tauthz\.check\t-\t-$/m);
    assert.match(routes.stdout, /^GET\t\/v1\/users\tuser,api_key\tusers\.view\tusers\.view\tusers\.manage\tlimit cursor status q role access$/m);
    assert.match(spawnSync(BIN, ['version'], { encoding: 'utf8' }).stdout, /^gatehouse \d+\.\d+\.\d+/);
    assert.equal(spawnSync(BIN, ['frobnicate'], { encoding: 'utf8' }).status, 2);
    assert.equal(spawnSync(BIN, ['serve', '--nope'], { encoding: 'utf8' }).status, 2);
    assert.equal(spawnSync(BIN, ['serve', '--listen', 'nonsense', '--db', join(s.dir, 'y.db')], { encoding: 'utf8' }).status, 2);
  } finally {
    await s.stop();
  }
});
