// Sign-in under a flood of wrong guesses from many addresses (issue 12):
// does the owner of an account, signing in with the right password from
// the address they used before, still get in?
//
// Starts a server on a temporary database, signs the owner in once from
// 127.0.0.1 (so that address is known for the account), then runs, for each
// mode, CONC attacker loops for SECONDS seconds, each request from a random
// loopback address 127.0.1.x (Linux routes all of 127/8 to lo):
//   victim: wrong passwords for the owner's account;
//   spray:  wrong passwords for random accounts (fills the hashing queue).
// Meanwhile the owner signs in every 250 ms with the right password.
// Usage: node bench/flood.mjs [BIN] [SECONDS] [CONC]
// (BIN defaults to build/gatehouse, else build-test/gatehouse).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const BIN = process.argv[2] || [join(root, 'build/gatehouse'), join(root, 'build-test/gatehouse')].find(existsSync);
const SECONDS = Number(process.argv[3] || 8);
const CONC = Number(process.argv[4] || 48);
const PASSWORD = 'flood bench passphrase 42';

const freePort = () => new Promise((res) => {
  const s = createServer();
  s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => res(port)); });
});

const agent = new http.Agent({ keepAlive: false });
function post(port, path, body, localAddress) {
  return new Promise((res) => {
    const data = JSON.stringify(body);
    const t0 = performance.now();
    const req = http.request({ host: '127.0.0.1', port, path, method: 'POST', localAddress, agent,
      headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) } }, (r) => {
      r.resume();
      r.on('end', () => res({ status: r.statusCode, ms: performance.now() - t0 }));
    });
    req.on('error', () => res({ status: 0, ms: performance.now() - t0 }));
    req.end(data);
  });
}

const dir = mkdtempSync(join(tmpdir(), 'gh-flood-'));
const db = join(dir, 'gh.db');
const init = spawnSync(BIN, ['init', '--db', db, '--org', 'acme', '--org-name', 'Flood Test', '--admin-email',
  'owner@acme.test', '--admin-name', 'Olive Owner'], { env: { ...process.env, GATEHOUSE_ADMIN_PASSWORD: PASSWORD } });
if (init.status !== 0) throw new Error(String(init.stderr));
const port = await freePort();
const srv = spawn(BIN, ['serve', '--db', db, '--listen', `127.0.0.1:${port}`, '--quiet'], { stdio: 'ignore' });
try {
  for (let i = 0; ; i++) {
    const r = await post(port, '/v1/auth/login', { email: 'owner@acme.test', password: PASSWORD }, '127.0.0.1');
    if (r.status === 200) break;
    if (i > 200) throw new Error(`server not answering: ${r.status}`);
    await new Promise((res) => setTimeout(res, 50));
  }
  const results = { bin: BIN, seconds: SECONDS, concurrency: CONC };
  for (const mode of ['victim', 'spray']) {
    const end = performance.now() + SECONDS * 1000;
    const attacker = {};
    let n = 0;
    const loops = Array.from({ length: CONC }, async () => {
      while (performance.now() < end) {
        const ip = `127.0.1.${1 + Math.floor(Math.random() * 250)}`;
        const email = mode === 'victim' ? 'owner@acme.test' : `user${Math.floor(Math.random() * 1e9)}@acme.test`;
        const r = await post(port, '/v1/auth/login', { email, password: `guess ${n++}` }, ip);
        attacker[r.status] = (attacker[r.status] || 0) + 1;
      }
    });
    const owner = [];
    const ownerLoop = (async () => {
      await new Promise((res) => setTimeout(res, 500)); // let the flood build up
      while (performance.now() < end - 300) {
        owner.push(await post(port, '/v1/auth/login', { email: 'owner@acme.test', password: PASSWORD }, '127.0.0.1'));
        await new Promise((res) => setTimeout(res, 250));
      }
    })();
    await Promise.all([...loops, ownerLoop]);
    const ok = owner.filter((r) => r.status === 200);
    const ms = ok.map((r) => r.ms).sort((a, b) => a - b);
    results[mode] = {
      attacker_answers: attacker,
      owner_attempts: owner.length,
      owner_signed_in: ok.length,
      owner_statuses: owner.map((r) => r.status).join(' '),
      owner_median_ms: ms.length ? Math.round(ms[Math.floor(ms.length / 2)]) : null,
    };
    await new Promise((res) => setTimeout(res, 1000)); // drain
  }
  console.log(JSON.stringify(results, null, 2));
} finally {
  srv.kill('SIGTERM');
  await new Promise((res) => srv.on('exit', res));
  rmSync(dir, { recursive: true, force: true });
}
