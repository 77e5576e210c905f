// Test harness for the API tests: starts the real gatehouse binary on a free
// port with a temporary database, talks to it with fetch, reads the outbox
// through the CLI, and stops it (checking that it exits cleanly, which under
// AddressSanitizer also means no leaks and no memory errors).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import assert from 'node:assert/strict';

export const BIN = process.env.GATEHOUSE_BIN || resolve(import.meta.dirname, '../../build-test/gatehouse');
export const PASSWORD = 'correct horse battery staple';

export function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.unref();
    s.on('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

/** Runs the CLI synchronously against db; returns {status, stdout, stderr}. */
export function cli(db, args, env = {}) {
  const r = spawnSync(BIN, [...args, '--db', db], {
    env: { ...process.env, ...env }, encoding: 'utf8', timeout: 60000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Waits until the server at url answers /healthz, or its process exits. The
 * ceiling (GH_TEST_START_S, default 300 s) only stops a hang: a loaded
 * machine may take long to start an ASan build, which is not a failure.
 */
export async function waitReady(proc, url, log = () => '') {
  const ceiling = (Number(process.env.GH_TEST_START_S) || 300) * 1000;
  const started = performance.now();
  for (;;) {
    if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`server exited before it was ready:\n${log()}`);
    try {
      const r = await fetch(`${url}/healthz`);
      if (r.ok) return;
    } catch { /* not listening yet */ }
    if (performance.now() - started > ceiling) {
      proc.kill('SIGKILL');
      throw new Error(`server not ready after ${ceiling / 1000} s (GH_TEST_START_S raises this ceiling):\n${log()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Starts a server. Options: init (default true) creates org `acme` with admin
 * admin@acme.test via `gatehouse init`; template picks the role set; args are
 * extra serve arguments; env adds environment variables; db serves an existing
 * database (init is then skipped); orgName names the organization. Passwords
 * are hashed at argon2id's minimum cost (--test-cost) unless realCost is
 * true: tests that measure hashing time (throttling, the hashing pool) ask
 * for the real parameters.
 */
export async function startServer(opts = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'gh-test-'));
  const db = opts.db || join(dir, 'gatehouse.db');
  const { init = !opts.db, template, args = [], org = 'acme', env = {}, orgName = 'Acme Plant', realCost = false } = opts;
  const cost = realCost ? [] : ['--test-clock', '--test-cost'];
  if (init) {
    const a = ['init', '--org', org, '--org-name', orgName, '--admin-email', `admin@${org}.test`,
      '--admin-name', 'Ada Admin', ...cost];
    if (template) a.push('--template', template);
    const r = cli(db, a, { GATEHOUSE_ADMIN_PASSWORD: PASSWORD });
    assert.equal(r.status, 0, `init failed: ${r.stderr}`);
  }
  const port = opts.port || await freePort(); // a given port: for --base-url in args
  const url = `http://127.0.0.1:${port}`;
  const create = init ? [] : ['--create']; // a new database only on purpose
  const proc = spawn(BIN, ['serve', '--db', db, '--listen', `127.0.0.1:${port}`, '--test-clock',
    ...(realCost ? [] : ['--test-cost']), ...create, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env },
  });
  let stderr = '';
  proc.stderr.on('data', (d) => { stderr += d; });
  proc.stdout.on('data', (d) => { stderr += d; });
  const exited = new Promise((res) => proc.on('exit', (code, signal) => res({ code, signal })));
  await waitReady(proc, url, () => stderr);
  const server = {
    url, db, dir, proc, org, cost,
    log: () => stderr,
    cli: (a, env) => cli(db, a, env),
    async stop() {
      if (proc.exitCode === null) proc.kill('SIGTERM');
      const { code, signal } = await exited;
      rmSync(dir, { recursive: true, force: true });
      assert.ok(!/ERROR: (AddressSanitizer|LeakSanitizer)|WARNING: ThreadSanitizer|runtime error:/.test(stderr),
        `sanitizer report in server output:\n${stderr.slice(-4000)}`);
      assert.equal(code, 0, `server exit code ${code} signal ${signal}\n${stderr.slice(-2000)}`);
    },
    /** fetch wrapper: returns {status, body, headers}. */
    async api(path, { method = 'GET', body, token, headers = {}, raw } = {}) {
      const h = { ...headers };
      if (token) h.Authorization = `Bearer ${token}`;
      let payload;
      if (raw !== undefined) {
        payload = raw; // JSON unless the caller names another Content-Type
        if (!Object.keys(h).some((k) => k.toLowerCase() === 'content-type')) h['Content-Type'] = 'application/json';
      }
      else if (body !== undefined) { payload = JSON.stringify(body); h['Content-Type'] = 'application/json'; }
      const r = await fetch(url + path, { method, headers: h, body: payload, redirect: 'manual' });
      const text = await r.text();
      let json = null;
      try { json = text ? JSON.parse(text) : null; } catch { json = text; }
      return { status: r.status, body: json, headers: r.headers, text };
    },
    async login(email = `admin@${org}.test`, password = PASSWORD, orgSlug) {
      const body = { email, password };
      if (orgSlug) body.org = orgSlug;
      const r = await server.api('/v1/auth/login', { method: 'POST', body });
      assert.equal(r.status, 200, `login ${email}: ${JSON.stringify(r.body)}`);
      return r.body.token;
    },
    outbox() {
      const r = cli(db, ['outbox', '--json']);
      assert.equal(r.status, 0, r.stderr);
      return JSON.parse(r.stdout);
    },
    /** Token of the newest mail to `to` (optionally of `kind`). */
    lastToken(to, kind) {
      const mails = server.outbox().filter((m) => m.to.toLowerCase() === to.toLowerCase() && (!kind || m.kind === kind));
      assert.ok(mails.length > 0, `no mail to ${to}${kind ? ` of kind ${kind}` : ''}`);
      return new URL(mails[mails.length - 1].link).searchParams.get('token');
    },
    /**
     * Waits until the outbox holds at least n mails to `to` (of `kind`): for
     * work done after the answer (a password-reset request answers 202 at
     * once and mails afterwards). Polls; the bound only stops a hang.
     */
    async waitMail(to, kind, n = 1) {
      for (let i = 0; ; i++) {
        const k = server.outbox().filter((m) => m.to.toLowerCase() === to.toLowerCase() && (!kind || m.kind === kind)).length;
        if (k >= n) return k;
        assert.ok(i < 600, `no ${kind || ''} mail to ${to} arrived`);
        await new Promise((res) => setTimeout(res, 50));
      }
    },
    async advance(seconds) {
      const r = await server.api('/v1/test/clock', { method: 'POST', body: { advance_s: seconds } });
      assert.equal(r.status, 200);
    },
    /** Creates an office user with role, verifies the email and sets the password; returns {id, token}. */
    /**
     * Creates another organization with the CLI (another process) and waits
     * until this server has picked it up; returns its administrator's token.
     */
    async otherOrg(slug = 'beta') {
      const r = cli(db, ['init', '--org', slug, '--org-name', slug, '--admin-email', `admin@${slug}.test`, ...cost],
        { GATEHOUSE_ADMIN_PASSWORD: PASSWORD });
      assert.equal(r.status, 0, r.stderr);
      for (let i = 0; i < 40; i++) {
        const l = await server.api('/v1/auth/login', { method: 'POST', body: { email: `admin@${slug}.test`, password: PASSWORD, org: slug } });
        if (l.status === 200 && (await server.api('/v1/me', { token: l.body.token })).status === 200) return l.body.token;
        await new Promise((res) => setTimeout(res, 100));
      }
      assert.fail(`the ${slug} administrator cannot sign in`);
    },
    async makeUser(adminToken, email, role, name = email.split('@')[0]) {
      const c = await server.api('/v1/users', { method: 'POST', token: adminToken, body: { email, name, role } });
      assert.equal(c.status, 201, JSON.stringify(c.body));
      const v = await server.api('/v1/auth/verify-email', {
        method: 'POST', body: { token: server.lastToken(email, 'verify_email'), password: PASSWORD },
      });
      assert.equal(v.status, 200, JSON.stringify(v.body));
      return { id: c.body.id, token: await server.login(email) };
    },
  };
  return server;
}

/** Asserts a problem+json answer with status and code (and field, if given). */
export function assertProblem(r, status, code, field) {
  assert.equal(r.status, status, `expected ${status} ${code}, got ${r.status} ${JSON.stringify(r.body)}`);
  assert.equal(r.headers.get('content-type'), 'application/problem+json');
  assert.equal(r.body.code, code, JSON.stringify(r.body));
  assert.equal(r.body.status, status);
  if (field !== undefined) assert.equal(r.body.field, field, JSON.stringify(r.body));
}
