// Native HTTPS (issue 21, item 4): --tls-cert/--tls-key through
// libmicrohttpd's GnuTLS, HSTS and Secure cookies, and SIGHUP reloading a
// second certificate while a client keeps its connection open.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request, Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, PASSWORD, cli, freePort } from './lib.mjs';

const hasOpenssl = spawnSync('openssl', ['version']).status === 0;

function makeCert(dir, name) {
  const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', join(dir, `${name}.key`), '-out', join(dir, `${name}.crt`), '-days', '2', '-subj', `/CN=${name}`,
    '-addext', 'subjectAltName=IP:127.0.0.1'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return { cert: readFileSync(join(dir, `${name}.crt`)), key: join(dir, `${name}.key`), crt: join(dir, `${name}.crt`) };
}

/** GET over https with agent; resolves {status, headers, body, cn, reused}. */
function get(url, agent, ca, { method = 'GET', body, headers = {} } = {}) {
  return new Promise((res, rej) => {
    const req = request(url, { agent, ca, method, headers }, (r) => {
      const cn = r.socket.getPeerCertificate().subject?.CN;
      let text = '';
      r.on('data', (d) => { text += d; });
      r.on('end', () => res({ status: r.statusCode, headers: r.headers, body: text,
        cn, reused: req.reusedSocket }));
    });
    req.on('error', rej);
    req.end(body);
  });
}

test('HTTPS with a test certificate, HSTS, Secure cookies; SIGHUP reloads a second one without dropping connections',
  { skip: !hasOpenssl && 'no openssl', timeout: 120000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gh-tls-'));
    let proc;
    try {
      const one = makeCert(dir, 'one');
      const two = makeCert(dir, 'two');
      const db = join(dir, 'g.db');
      assert.equal(cli(db, ['init', '--org', 'acme', '--org-name', 'Acme', '--admin-email', 'admin@acme.test'],
        { GATEHOUSE_ADMIN_PASSWORD: PASSWORD }).status, 0);
      const cert = join(dir, 'server.crt');
      const key = join(dir, 'server.key');
      copyFileSync(one.crt, cert);
      copyFileSync(one.key, key);
      const port = await freePort();
      proc = spawn(BIN, ['serve', '--db', db, '--listen', `127.0.0.1:${port}`, '--tls-cert', cert, '--tls-key', key],
        { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      proc.stderr.on('data', (d) => { out += d; });
      const exited = new Promise((r) => proc.on('exit', (code) => r(code)));
      const url = `https://127.0.0.1:${port}`;
      const ca = [one.cert, two.cert];
      const kept = new Agent({ keepAlive: true, maxSockets: 1 });
      let first;
      for (let i = 0; ; i++) {
        try { first = await get(`${url}/healthz`, kept, ca); break; } catch { /* not up yet */ }
        assert.ok(i < 400 && proc.exitCode === null, `did not start: ${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal(first.status, 200);
      assert.equal(first.cn, 'one');
      assert.equal(first.headers['strict-transport-security'], 'max-age=31536000');
      // plain http on the https port gets no answer
      await assert.rejects(fetch(`http://127.0.0.1:${port}/healthz`));
      // sign-in cookies are Secure
      const login = await get(`${url}/v1/auth/login`, kept, ca, { method: 'POST', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ email: 'admin@acme.test', password: PASSWORD }) });
      assert.equal(login.status, 200, login.body);
      const cookies = login.headers['set-cookie'] || [];
      assert.ok(cookies.length > 0);
      for (const c of cookies) assert.match(c, /; Secure/i, c);

      // SIGHUP with the second pair in place: the kept connection goes on,
      // new connections get the second certificate.
      copyFileSync(two.crt, cert);
      copyFileSync(two.key, key);
      proc.kill('SIGHUP');
      while (!/TLS certificate and key reloaded/.test(out)) {
        assert.equal(proc.exitCode, null, out);
        await new Promise((r) => setTimeout(r, 20));
      }
      const again = await get(`${url}/healthz`, kept, ca);
      assert.equal(again.status, 200);
      assert.equal(again.reused, true, 'the same connection');
      assert.equal(again.cn, 'one', 'it keeps its handshake');
      const fresh = await get(`${url}/healthz`, new Agent({ keepAlive: false }), ca);
      assert.equal(fresh.cn, 'two');

      // A key that does not belong to the certificate is refused; the second pair stays.
      copyFileSync(one.key, key);
      proc.kill('SIGHUP');
      while (!/TLS reload refused/.test(out)) {
        assert.equal(proc.exitCode, null, out);
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.match(out, /does not belong to the certificate/);
      assert.equal((await get(`${url}/healthz`, new Agent({ keepAlive: false }), ca)).cn, 'two');
      kept.destroy();
      proc.kill('SIGTERM');
      assert.equal(await exited, 0, out);
      assert.doesNotMatch(out, /ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:/);

      // Refusals at start: a missing half, a bad file.
      const half = spawnSync(BIN, ['serve', '--db', db, '--tls-cert', cert], { encoding: 'utf8' });
      assert.equal(half.status, 2);
      assert.match(half.stderr, /--tls-cert and --tls-key go together/);
      const bad = spawnSync(BIN, ['serve', '--db', db, '--listen', '127.0.0.1:0', '--tls-cert', db, '--tls-key', key], { encoding: 'utf8', timeout: 20000 });
      assert.equal(bad.status, 1);
      assert.match(bad.stderr, /cannot serve HTTPS: .*not a PEM certificate/);
    } finally {
      if (proc && proc.exitCode === null) proc.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
