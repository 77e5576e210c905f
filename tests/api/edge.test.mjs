// Refusing at the edge (issue 12, items 3 and 6): an over-limit
// Content-Length, a missing or insufficient authentication and a spent
// budget for unauthenticated bodies are answered on the headers alone, before
// any body byte is sent; one address cannot hold more than its share of
// connections, and a connection that keeps trickling its headers is closed
// at the absolute request deadline while other clients are answered.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib.mjs';
import { open, readResponse, send } from './raw.mjs';

const portOf = (s) => Number(new URL(s.url).port);
const json = (r) => JSON.parse(r.body);

test('413 and 401 arrive before the body is sent', { timeout: 60000 }, async (t) => {
  const s = await startServer();
  try {
    const port = portOf(s);
    const admin = await s.login();
    const worker = await s.makeUser(admin, 'wanda@acme.test', 'user');

    await t.test('an over-limit Content-Length: 413 on the headers, for a signed-in caller', async () => {
      const r = await send(port, 'POST /v1/users/import HTTP/1.1\r\nHost: t\r\nContent-Type: text/csv\r\n'
        + `Authorization: Bearer ${admin}\r\nContent-Length: 100000000\r\n\r\n`);
      assert.equal(r.status, 413);
      assert.equal(json(r).code, 'body_too_large');
      assert.match(r.headers['content-type'], /application\/problem\+json/);
    });

    await t.test('an over-limit Content-Length on a public route: 413 as well', async () => {
      const r = await send(port, 'POST /v1/auth/login HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n'
        + 'Content-Length: 2000000\r\n\r\n');
      assert.equal(r.status, 413);
      assert.equal(json(r).code, 'body_too_large');
    });

    await t.test('an unauthenticated 16 MiB import: 401 before reading it', async () => {
      const r = await send(port, 'POST /v1/users/import HTTP/1.1\r\nHost: t\r\nContent-Type: text/csv\r\n'
        + `Content-Length: ${16 << 20}\r\n\r\n`);
      assert.equal(r.status, 401);
      assert.equal(json(r).code, 'unauthenticated');
    });

    await t.test('an unknown token: 401 before reading the body', async () => {
      const r = await send(port, 'POST /v1/users/import HTTP/1.1\r\nHost: t\r\nContent-Type: text/csv\r\n'
        + `Authorization: Bearer ${'x'.repeat(43)}\r\nContent-Length: ${1 << 20}\r\n\r\n`);
      assert.equal(r.status, 401);
    });

    await t.test('a signed-in caller without the permission: 403 before reading the body', async () => {
      const r = await send(port, 'POST /v1/users/import HTTP/1.1\r\nHost: t\r\nContent-Type: text/csv\r\n'
        + `Authorization: Bearer ${worker.token}\r\nContent-Length: ${1 << 20}\r\n\r\n`);
      assert.equal(r.status, 403);
      assert.equal(json(r).code, 'permission_denied');
    });

    await t.test('a permitted upload is still read and handled', async () => {
      const csv = 'email,name,role\r\nimp@acme.test,Imp,user\r\n';
      const r = await s.api('/v1/users/import', { method: 'POST', token: admin, raw: csv, headers: { 'Content-Type': 'text/csv' } });
      assert.ok(r.status < 300, JSON.stringify(r.body));
    });
  } finally {
    await s.stop();
  }
});

test('unauthenticated bodies share a bounded budget', { timeout: 60000 }, async () => {
  const s = await startServer();
  try {
    const port = portOf(s);
    // 32 public requests announcing 1 MiB each take the whole 32 MiB budget
    // and send nothing more; the next one is refused at once.
    const holders = [];
    for (let i = 0; i < 32; i++) {
      const sock = await open(port);
      sock.on('error', () => {});
      sock.write('POST /v1/auth/login HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n'
        + `Content-Length: ${1 << 20}\r\n\r\n{`);
      holders.push(sock);
    }
    // A probe sends a whole 1 MiB body: admitted (while some holders' headers
    // are still unread) it is answered 400, refused it is answered 503
    // on its headers.
    const body = `{"x":"${'a'.repeat((1 << 20) - 8)}"}`;
    let refused;
    for (let i = 0; i < 50 && !refused; i++) {
      const r = await send(port, 'POST /v1/auth/login HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n'
        + `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
      if (r.status === 503) refused = r;
      else assert.ok(r.status === 400, `probe answered ${r.status}`);
    }
    assert.ok(refused, 'a request beyond the budget is refused on its headers');
    assert.equal(json(refused).code, 'server_busy');
    assert.equal(refused.headers['retry-after'], '1');
    // A small sign-in fits what is left only after the holders go away.
    for (const h of holders) h.destroy();
    let ok = false;
    for (let i = 0; i < 200 && !ok; i++) {
      const r = await s.api('/v1/auth/login', { method: 'POST', body: { email: 'admin@acme.test', password: 'wrong password here' } });
      ok = r.status === 401;
      if (!ok) await new Promise((res) => setTimeout(res, 25));
    }
    assert.ok(ok, 'the budget is given back when the connections close');
  } finally {
    await s.stop();
  }
});

test('slow senders: a per-address connection limit and an absolute deadline; others are still answered', { timeout: 120000 }, async () => {
  const s = await startServer({ args: ['--per-ip-connections', '16', '--request-deadline', '2'] });
  try {
    const port = portOf(s);
    const N = 40;
    let closed = 0;
    const waiters = [];
    const onClose = () => { closed++; for (const w of waiters.splice(0)) w(); };
    const closedAtLeast = async (n) => { while (closed < n) await new Promise((res) => waiters.push(res)); };
    const socks = [];
    for (let i = 0; i < N; i++) {
      const sock = await open(port);
      sock.on('error', () => {});
      sock.on('close', onClose);
      sock.write('GET /healthz HTTP/1.1\r\nHost: t\r\n');
      socks.push(sock);
    }
    // Each sends one more header byte every 200 ms and never finishes.
    const trickle = setInterval(() => { for (const k of socks) if (!k.destroyed) k.write('X'); }, 200);
    try {
      // Connections beyond the per-address limit are closed at once ...
      await closedAtLeast(N - 16);
      // ... and a client from another address is answered meanwhile.
      const other = await send(port, 'GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n', { localAddress: '127.0.0.2' });
      assert.equal(other.status, 200);
      // The others are closed by the deadline although they keep sending.
      await closedAtLeast(N);
    } finally {
      clearInterval(trickle);
      for (const k of socks) k.destroy();
    }
    // The reaper logs after it has closed them; the line may still be in the pipe.
    while (!/closed connections past the request deadline/.test(s.log())) await new Promise((res) => setTimeout(res, 50));
    // The address is served again once its slow connections are gone.
    assert.equal((await s.api('/healthz')).status, 200);
  } finally {
    await s.stop();
  }
});
