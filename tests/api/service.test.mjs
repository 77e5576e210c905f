// Starting and stopping like a service (issue 12, item 5): any number of
// simultaneous starts on one new database succeed; SIGTERM lets every
// accepted request finish and /readyz says "draining" meanwhile; /healthz is
// liveness only; the server listens on IPv6, dual-stack, and sees IPv4
// clients as IPv4 (allowlist, audit, logs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, PASSWORD, cli, freePort, startServer } from './lib.mjs';
import { open, readResponse } from './raw.mjs';

const SANITIZER = /ERROR: (AddressSanitizer|LeakSanitizer|ThreadSanitizer)|WARNING: ThreadSanitizer|runtime error:/;

/** Spawns `gatehouse args`; resolves {code, out} at exit; `listening` resolves with the log once it listens. */
function run(args, env = {}) {
  const p = spawn(BIN, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let onListen;
  const listening = new Promise((res) => { onListen = res; });
  const collect = (d) => { out += d; if (/"msg":"listening"/.test(out)) onListen(out); };
  p.stdout.on('data', collect);
  p.stderr.on('data', collect);
  const exited = new Promise((res) => p.on('exit', (code, signal) => { onListen(null); res({ code, signal, out }); }));
  return { p, listening, exited, out: () => out };
}

test('ten simultaneous starts on one new database all succeed', { timeout: 120000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gh-starts-'));
  let serves = [];
  try {
    const db = join(dir, 'new.db');
    serves = Array.from({ length: 7 }, () => run(['serve', '--db', db, '--listen', '127.0.0.1:0', '--create']));
    const inits = Array.from({ length: 3 }, (_, i) => run(['init', '--db', db, '--org', `org${i}`, '--org-name', `Org ${i}`,
      '--admin-email', `admin@org${i}.test`], { GATEHOUSE_ADMIN_PASSWORD: PASSWORD }));
    for (const s of serves) {
      const log = await s.listening;
      assert.ok(log, `a server did not start:\n${s.out()}`);
    }
    for (const i of inits) {
      const r = await i.exited;
      assert.equal(r.code, 0, `init failed:\n${r.out}`);
    }
    for (const s of serves) s.p.kill('SIGTERM');
    for (const s of serves) {
      const r = await s.exited;
      assert.equal(r.code, 0, r.out);
      assert.doesNotMatch(r.out, SANITIZER);
    }
    const list = cli(db, ['org', 'list']);
    assert.equal(list.status, 0, list.stderr);
    assert.equal(list.stdout.trim().split('\n').length, 3);
  } finally {
    for (const s of serves) if (s.p.exitCode === null) s.p.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

test('SIGTERM: every accepted request is answered; /readyz says draining meanwhile', { timeout: 600000 } /* a hang ceiling */, async () => {
  // Sign-ins must still be hashing when the signal comes. The drain timeout
  // is a ceiling, not a deadline: twelve real-cost hashes on a loaded
  // machine can take longer than the default 30 s.
  const s = await startServer({ realCost: true, args: ['--drain-timeout', '600'] });
  const port = Number(new URL(s.url).port);
  const socks = [];
  try {
    // Sign-ins take an argon2id verification each on a two-thread pool: they
    // are still in flight when the signal comes. Twelve different people
    // from twelve addresses (one account verifies one guess at a time, and
    // one address holds a bounded share of the hashing queue: issue 12).
    const admin = await s.login();
    const emails = [];
    for (let i = 0; i < 12; i++) {
      emails.push(`drain${i}@acme.test`);
      await s.makeUser(admin, emails[i], 'user');
    }
    // A kept-alive connection, opened before the signal, asks /readyz after
    // it. Opened after the users are made: an idle connection closes after
    // 60 s, and making twelve users at the real cost can take that long on a
    // loaded machine.
    const probe = await open(port);
    probe.on('error', () => {});
    socks.push(probe);
    let answer = readResponse(probe);
    probe.write('GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n');
    assert.equal((await answer).status, 200);
    const answers = [];
    for (let i = 0; i < 12; i++) {
      const body = JSON.stringify({ email: emails[i], password: PASSWORD });
      const sock = await open(port, { localAddress: `127.0.0.${10 + i}` });
      sock.on('error', () => {});
      answers.push(readResponse(sock));
      sock.write(`POST /v1/auth/login HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
      socks.push(sock);
    }
    // Once one is answered, all twelve have been accepted and are being served.
    await Promise.race(answers);
    s.proc.kill('SIGTERM');
    while (!/"msg":"shutting down"/.test(s.log())) await new Promise((res) => setTimeout(res, 10));
    answer = readResponse(probe);
    probe.write('GET /readyz HTTP/1.1\r\nHost: t\r\n\r\n');
    const results = await Promise.all(answers);
    assert.deepEqual(results.map((r) => r.status), Array(12).fill(200), 'a request in flight was cut off');
    for (const r of results) assert.ok(JSON.parse(r.body).token);
    const ready = await answer;
    assert.equal(ready.status, 503);
    assert.equal(JSON.parse(ready.body).status, 'draining');
    assert.equal(ready.headers.connection, 'close');
    // A new connection is refused: the server no longer listens.
    await assert.rejects(open(port));
  } finally {
    for (const sock of socks) sock.destroy();
    await s.stop(); // exit code 0, no sanitizer report
  }
});

test('/healthz is liveness only; /readyz needs the database at this schema', async () => {
  const s = await startServer();
  try {
    const h = await s.api('/healthz');
    assert.equal(h.status, 200);
    assert.equal(h.body.status, 'ok');
    assert.equal(h.body.set_up, true);
    assert.equal(h.headers.get('cache-control'), 'no-store');
    const r = await s.api('/readyz');
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('cache-control'), 'no-store');
    // The database file's schema is moved from under the running server:
    // not ready (it must not get traffic), but alive.
    const v = cli(s.db, ['org', 'list']);
    assert.equal(v.status, 0);
    const { spawnSync } = await import('node:child_process');
    assert.equal(spawnSync('sqlite3', [s.db, "UPDATE meta SET value = value + 1 WHERE key = 'schema_version'"]).status, 0);
    const nr = await s.api('/readyz');
    assert.equal(nr.status, 503);
    assert.equal(nr.body.status, 'migrating');
    assert.equal((await s.api('/healthz')).status, 200);
    assert.equal(spawnSync('sqlite3', [s.db, "UPDATE meta SET value = value - 1 WHERE key = 'schema_version'"]).status, 0);
    assert.equal((await s.api('/readyz')).status, 200);
  } finally {
    await s.stop();
  }
});

test('IPv6: [::1] and dual-stack [::], IPv4 clients seen as IPv4', { timeout: 60000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gh-v6-'));
  try {
    const db = join(dir, 'g.db');
    assert.equal(cli(db, ['init', '--org', 'acme', '--org-name', 'Acme', '--admin-email', 'admin@acme.test'],
      { GATEHOUSE_ADMIN_PASSWORD: PASSWORD }).status, 0);

    await t.test('--listen [::1]:0 answers on IPv6 loopback', async () => {
      const s = run(['serve', '--db', db, '--listen', '[::1]:0']);
      const log = await s.listening;
      assert.ok(log, s.out());
      const port = Number(log.match(/"msg":"listening"[^\n]*"port":(\d+)/)[1]);
      const r = await fetch(`http://[::1]:${port}/healthz`);
      assert.equal(r.status, 200);
      s.p.kill('SIGTERM');
      const e = await s.exited;
      assert.equal(e.code, 0, e.out);
      assert.match(e.out, /"path":"\/healthz","status":200[^\n]*"ip":"::1"/);
    });

    await t.test('--listen [::]:PORT takes IPv4 too, and the allowlist sees 127.0.0.1', async () => {
      // Only 127.0.0.1 may sign in: a mapped ::ffff:127.0.0.1 that were not
      // normalised would be refused.
      assert.equal(cli(db, ['org', 'allow-ips', '--org', 'acme', '127.0.0.1/32']).status, 0);
      const port = await freePort();
      const s = run(['serve', '--db', db, '--listen', `[::]:${port}`]);
      assert.ok(await s.listening, s.out());
      const login = await fetch(`http://127.0.0.1:${port}/v1/auth/login`, {
        method: 'POST', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ email: 'admin@acme.test', password: PASSWORD }),
      });
      const lb = await login.text();
      assert.equal(login.status, 200, lb);
      const token = JSON.parse(lb).token;
      const audit = await fetch(`http://127.0.0.1:${port}/v1/audit?action=auth.login`, { headers: { Authorization: `Bearer ${token}` } });
      assert.equal(audit.status, 200);
      const text = await audit.text();
      assert.match(text, /"ip":"127\.0\.0\.1"/);
      assert.doesNotMatch(text, /ffff/);
      s.p.kill('SIGTERM');
      const e = await s.exited;
      assert.equal(e.code, 0, e.out);
      assert.match(e.out, /"path":"\/v1\/auth\/login","status":200[^\n]*"ip":"127\.0\.0\.1"/);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
