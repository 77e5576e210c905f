// Issue 15: mail that reaches people. A real SMTP server (npm smtp-server)
// with STARTTLS on a self-signed certificate (trusted through
// --smtp-ca-file) and AUTH receives what gatehouse sends; npm mailparser
// reads it. Waits are for events (a mail arriving, a status changing), never
// for a wall-clock deadline; the test's own timeout catches a hang.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { simpleParser } from 'mailparser';
import { startServer, freePort, BIN, PASSWORD } from './lib.mjs';
import { parsePrometheus, sample } from './prom.mjs';

const ORG_NAME = 'Zoë\'s Fräswerk';
const SMTP_USER = 'gatehouse';
const SMTP_PASSWORD = 'relay secret';

const certDir = mkdtempSync(join(tmpdir(), 'gh-smtp-'));
execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
  '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
  '-keyout', join(certDir, 'key.pem'), '-out', join(certDir, 'cert.pem')], { stdio: 'ignore' });
const KEY = readFileSync(join(certDir, 'key.pem'));
const CERT = readFileSync(join(certDir, 'cert.pem'));
process.on('exit', () => rmSync(certDir, { recursive: true, force: true }));

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(what, fn, dbg) {
  for (let i = 0; ; i++) {
    if (process.env.GH_DEBUG && dbg && i % 20 === 0) console.error(what, dbg());
    const v = await fn();
    if (v) return v;
    await sleep(50);
  }
}

/**
 * An SMTP server on `port` (a free one by default). `behaviour(session)`
 * picks what DATA does: 'ok' (accept), 'hold' (never answer). Mails accepted
 * are in `received` as {raw, parsed, to}.
 */
async function smtp({ port, behaviour = () => 'ok' } = {}) {
  port = port || await freePort();
  const received = [];
  const held = [];
  const events = [];
  const server = new SMTPServer({
    key: KEY, cert: CERT, logger: false, authMethods: ['PLAIN', 'LOGIN'],
    onAuth(auth, session, cb) {
      if (auth.username === SMTP_USER && auth.password === SMTP_PASSWORD) return cb(null, { user: auth.username });
      return cb(new Error('Invalid username or password'));
    },
    onRcptTo(address, session, cb) {
      if (address.address.startsWith('bounce')) {
        const e = new Error('mailbox unavailable');
        e.responseCode = 550;
        return cb(e);
      }
      return cb();
    },
    onData(stream, session, cb) {
      const chunks = [];
      stream.on('data', (c) => chunks.push(c));
      stream.on('end', async () => {
        const raw = Buffer.concat(chunks);
        const mode = behaviour(session);
        events.push({ mode, secure: session.secure, user: session.user });
        if (mode === 'hold') { held.push(cb); return; }
        received.push({ raw: raw.toString('utf8'), parsed: await simpleParser(raw), to: session.envelope.rcptTo.map((r) => r.address), secure: session.secure, user: session.user });
        cb();
      });
    },
  });
  server.on('error', () => {});
  await new Promise((res) => server.listen(port, '127.0.0.1', res));
  return {
    port, received, held, events,
    url: `smtp://127.0.0.1:${port}`,
    to: (addr) => received.filter((m) => m.to.includes(addr)),
    close: () => new Promise((res) => { for (const cb of held) cb(new Error('closing')); server.close(res); }),
  };
}

const mailEnv = (relay) => ({
  GATEHOUSE_SMTP_URL: relay.url ?? relay,
  GATEHOUSE_SMTP_USER: SMTP_USER,
  GATEHOUSE_SMTP_PASSWORD: SMTP_PASSWORD,
  GATEHOUSE_MAIL_FROM: `${ORG_NAME} Zugang <gatehouse@plant.test>`,
  GATEHOUSE_SMTP_CA_FILE: join(certDir, 'cert.pem'),
});

/* The CLI, without blocking this process's event loop (the SMTP server runs in it). */
function cliAsync(db, args, env = {}) {
  return new Promise((res) => {
    const p = spawn(BIN, [...args, '--db', db], { env: { ...process.env, ...env } });
    let stdout = '', stderr = '';
    p.stdout.on('data', (d) => { stdout += d; });
    p.stderr.on('data', (d) => { stderr += d; });
    p.on('exit', (status) => res({ status, stdout, stderr }));
  });
}

const statusOf = (s, to, kind) => s.outbox().filter((m) => m.to === to && (!kind || m.kind === kind)).pop();
/* The same, without blocking this process's event loop while the CLI runs:
 * the SMTP relays live in it, and a loaded machine makes each CLI call take
 * seconds, long enough to stall a delivery in progress. Used while polling. */
async function outboxAsync(s) {
  const r = await cliAsync(s.db, ['outbox', '--json']);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}
const statusOfAsync = async (s, to, kind) => (await outboxAsync(s)).filter((m) => m.to === to && (!kind || m.kind === kind)).pop();
const tokenOf = (text) => new URL(text.match(/https?:\/\/\S+token=\S+/)[0]).searchParams.get('token');

test('invitation, verification, admin reset and e-mail-change notice arrive once, intact, over STARTTLS with AUTH', { timeout: 300000 }, async () => {
  const relay = await smtp();
  const s = await startServer({ env: mailEnv(relay), orgName: ORG_NAME });
  try {
    const admin = await s.login();
    const org = await s.api('/v1/org', { token: admin });
    assert.equal(org.body.mail_configured, true);

    const inv = await s.api('/v1/invites', { method: 'POST', token: admin, body: { emails: ['ines@plant.test'], role: 'user' } });
    assert.ok(inv.status === 200 || inv.status === 201, JSON.stringify(inv.body));
    assert.ok(!('link' in inv.body.results[0]), 'with mail configured no link is offered');
    const bob = await s.api('/v1/users', { method: 'POST', token: admin, body: { email: 'bob@plant.test', name: 'Bob Brücke', role: 'user', office_access: true } });
    assert.equal(bob.status, 201, JSON.stringify(bob.body));
    await until('verification', () => relay.to('bob@plant.test').length >= 1);
    const reset = await s.api(`/v1/users/${bob.body.id}/password-reset`, { method: 'POST', token: admin });
    assert.equal(reset.status, 202);
    await until('reset', () => relay.to('bob@plant.test').length >= 2);
    // The reset link works (until the address changes, which ends it).
    const resetMail = relay.to('bob@plant.test').find((m) => m.parsed.subject.startsWith('Reset your password'));
    const rt = tokenOf(resetMail.parsed.text);
    assert.equal((await s.api(`/v1/auth/link?purpose=reset&token=${rt}`)).status, 200);
    const moved = await s.api(`/v1/users/${bob.body.id}`, { method: 'PATCH', token: admin, body: { email: 'robert@plant.test' } });
    assert.equal(moved.status, 200, JSON.stringify(moved.body));
    await until('all', () => relay.to('ines@plant.test').length >= 1 && relay.to('bob@plant.test').length >= 3 && relay.to('robert@plant.test').length >= 1);
    await until('sent', async () => (await outboxAsync(s)).every((m) => m.status === 'sent'));

    const [invite] = relay.to('ines@plant.test');
    const bobs = relay.to('bob@plant.test');
    const verify = bobs.find((m) => m.parsed.subject.startsWith('Confirm your email address'));
    const notice = bobs.find((m) => m.parsed.subject.includes('was changed'));
    for (const m of [invite, verify, resetMail, notice]) {
      assert.ok(m, 'each kind arrived');
      assert.ok(m.secure, 'sent after STARTTLS');
      assert.equal(m.user, SMTP_USER, 'sent after AUTH');
      assert.ok(m.parsed.subject.includes(ORG_NAME), `UTF-8 subject intact: ${m.parsed.subject}`);
      assert.match(m.raw, /^Subject: =\?UTF-8\?B\?/m, 'RFC 2047 encoded subject');
      assert.equal(m.parsed.from.value[0].name, `${ORG_NAME} Zugang`);
      assert.equal(m.parsed.from.value[0].address, 'gatehouse@plant.test');
      assert.ok(m.parsed.text.includes(ORG_NAME), 'org name in the text part');
      assert.ok(m.parsed.html.includes('Zoë&#39;s Fräswerk') || m.parsed.html.includes(ORG_NAME), 'org name in the HTML part');
      assert.match(m.raw, /Content-Type: multipart\/alternative/);
      assert.match(m.raw, /Content-Type: text\/plain; charset=UTF-8/);
      assert.match(m.raw, /Content-Type: text\/html; charset=UTF-8/);
      assert.ok(m.parsed.date instanceof Date && !Number.isNaN(m.parsed.date.getTime()), 'Date header');
      assert.match(m.parsed.messageId, /^<[^@]+@plant\.test>$/);
      assert.equal(m.parsed.headers.get('auto-submitted'), 'auto-generated');
    }
    assert.equal(relay.to('ines@plant.test').length, 1, 'the invitation arrived once');
    assert.equal(bobs.length, 3, 'verification, reset and notice arrived once each');
    assert.equal(relay.to('robert@plant.test').length, 1, 'the new address gets one verification mail');
    assert.ok(notice.parsed.text.includes('robert@plant.test'), 'the notice names the new address');

    // The links work.
    const it = tokenOf(invite.parsed.text);
    assert.ok(invite.parsed.html.includes(it), 'the HTML part carries the same link');
    assert.equal((await s.api(`/v1/invites/lookup?token=${it}`)).status, 200);
    const vt = tokenOf(relay.to('robert@plant.test')[0].parsed.text);
    assert.equal((await s.api(`/v1/auth/link?purpose=verify&token=${vt}`)).status, 200);

    // Once sent, no raw token is left in the database.
    const dump = spawnSync('sqlite3', [s.db, '.dump'], { encoding: 'utf8', maxBuffer: 64 << 20 });
    assert.equal(dump.status, 0, dump.stderr);
    for (const t of [it, rt, vt, tokenOf(verify.parsed.text)]) assert.ok(!dump.stdout.includes(t), 'no raw token in the database');
    assert.ok(s.outbox().filter((m) => m.link).every((m) => m.link.includes('[removed]')));

    // GET /v1/outbox shows status and attempts to it.operations.
    const ob = await s.api('/v1/outbox', { token: admin });
    assert.equal(ob.status, 200, JSON.stringify(ob.body));
    assert.ok(ob.body.items.length >= 5);
    for (const m of ob.body.items) {
      assert.equal(m.status, 'sent');
      assert.equal(m.attempts, 1);
      assert.ok(!('body' in m) && !JSON.stringify(m).includes(it), 'the API shows metadata only');
    }
  } finally {
    await s.stop();
    await relay.close();
  }
});

test('server down, then up: deferred with the error, then delivered once', { timeout: 300000 }, async () => {
  const port = await freePort();
  const s = await startServer({ env: mailEnv(`smtp://127.0.0.1:${port}`) });
  let relay;
  try {
    const admin = await s.login();
    await s.api('/v1/invites', { method: 'POST', token: admin, body: { emails: ['late@acme.test'], role: 'user' } });
    const d = await until('deferred', async () => { const m = await statusOfAsync(s, 'late@acme.test'); return m && m.status === 'deferred' && m; });
    assert.equal(d.attempts, 1);
    assert.ok(d.last_error && d.last_error.length > 0, 'the last error is shown');
    assert.ok(d.next_attempt_at, 'the next attempt is shown');
    // The link is still needed: not scrubbed while deferred.
    assert.ok(!d.link.includes('[removed]'));
    relay = await smtp({ port });
    await s.api('/v1/test/clock', { method: 'POST', body: { advance_s: 3600 } });
    await until('sent', async () => (await statusOfAsync(s, 'late@acme.test')).status === 'sent');
    assert.equal(relay.to('late@acme.test').length, 1);
    assert.equal(statusOf(s, 'late@acme.test').attempts, 2);
  } finally {
    await s.stop();
    if (relay) await relay.close();
  }
});

test('550: failed with the server reply, visible, not retried', { timeout: 300000 }, async () => {
  const relay = await smtp();
  const s = await startServer({ env: mailEnv(relay) });
  try {
    const admin = await s.login();
    await s.api('/v1/invites', { method: 'POST', token: admin, body: { emails: ['bounce@acme.test'], role: 'user' } });
    const f = await until('failed', async () => { const m = await statusOfAsync(s, 'bounce@acme.test'); return m && m.status === 'failed' && m; });
    assert.match(f.last_error, /550/);
    assert.equal(f.attempts, 1);
    await s.api('/v1/test/clock', { method: 'POST', body: { advance_s: 86400 } });
    // A mail queued after the clock moved is delivered: the loop ran past the failed one.
    const again = await s.login(); // the first session idled out
    const r = await s.api('/v1/invites', { method: 'POST', token: again, body: { emails: ['after@acme.test'], role: 'user' } });
    assert.ok(r.status < 300, JSON.stringify(r.body));
    await until('after', () => relay.to('after@acme.test').length === 1, () => JSON.stringify(s.outbox().map((m) => [m.to, m.status, m.last_error])));
    assert.equal(statusOf(s, 'bounce@acme.test').attempts, 1, 'not retried');
    assert.equal(statusOf(s, 'bounce@acme.test').status, 'failed');
    // The outcomes are counted for monitoring (issue 21's mail failures metric).
    const m = parsePrometheus(await (await fetch(`${s.url}/metrics`)).text());
    const n = (result) => sample(m, 'gatehouse_mail_deliveries_total', 'gatehouse_mail_deliveries_total', { result });
    assert.equal(n('failed'), 1);
    assert.ok(n('sent') >= 1, 'the mail after it was sent');
  } finally {
    await s.stop();
    await relay.close();
  }
});

test('a slow mail server delays neither checks nor sign-ins', { timeout: 300000 }, async () => {
  const relay = await smtp({ behaviour: () => 'hold' });
  const s = await startServer({ env: mailEnv(relay) });
  try {
    const admin = await s.login();
    for (let i = 0; i < 6; i++) {
      await s.api('/v1/invites', { method: 'POST', token: admin, body: { emails: [`slow${i}@acme.test`], role: 'user' } });
    }
    await until('held', () => { if (process.env.GH_DEBUG) console.error('held', relay.held.length, relay.events.length, s.outbox().map((m) => m.status).join()); return relay.held.length >= 4; });
    // Every outbound worker is now stuck in DATA; the rest of the server is not.
    for (let i = 0; i < 5; i++) {
      const c = await s.api('/v1/check', { method: 'POST', token: admin, body: { permission: 'users.view' } });
      assert.equal(c.status, 200);
      assert.equal(c.body.allowed, true);
      await s.login();
    }
    assert.ok(s.outbox().some((m) => m.status === 'sending'), 'the mails are still being sent');
    if (process.env.GH_DEBUG) console.error('checks done');
  } finally {
    await s.stop();
    if (process.env.GH_DEBUG) console.error('stopped');
    await relay.close();
    if (process.env.GH_DEBUG) console.error('closed');
  }
});

test('two processes on one database deliver each mail exactly once', { timeout: 300000 }, async () => {
  const relay = await smtp();
  const a = await startServer({ env: mailEnv(relay) });
  const b = await startServer({ env: mailEnv(relay), db: a.db });
  try {
    const admin = await a.login();
    const emails = Array.from({ length: 8 }, (_, i) => `twice${i}@acme.test`);
    const r = await a.api('/v1/invites', { method: 'POST', token: admin, body: { emails, role: 'user' } });
    assert.ok(r.status < 300, JSON.stringify(r.body));
    await until('all sent', async () => { const o = await outboxAsync(a); return emails.every((e) => o.filter((m) => m.to === e).pop()?.status === 'sent'); });
    for (const e of emails) assert.equal(relay.to(e).length, 1, `${e} once`);
    assert.equal(relay.received.length, emails.length);
  } finally {
    await b.stop();
    await a.stop();
    await relay.close();
  }
});

test('kill -9 during delivery: delivered after restart (once here; at most twice in general)', { timeout: 300000 }, async () => {
  const relay = await smtp({ behaviour: (session) => (relay.events.length === 0 ? 'hold' : 'ok') });
  const dir = mkdtempSync(join(tmpdir(), 'gh-kill-'));
  const first = await startServer({ env: mailEnv(relay) });
  let second;
  try {
    const admin = await first.login();
    await first.api('/v1/invites', { method: 'POST', token: admin, body: { emails: ['crash@acme.test'], role: 'user' } });
    await until('held', () => relay.held.length === 1);
    const gone = new Promise((res) => first.proc.on('exit', res));
    first.proc.kill('SIGKILL');
    await gone;
    assert.equal(statusOf(first, 'crash@acme.test').status, 'sending', 'the killed process left its lease');
    second = await startServer({ env: mailEnv(relay), db: first.db });
    // The lease (send timeout + 2 min) runs out; the mail is claimed again.
    await second.api('/v1/test/clock', { method: 'POST', body: { advance_s: 600 } });
    await until('sent', async () => (await statusOfAsync(second, 'crash@acme.test'))?.status === 'sent');
    assert.equal(relay.to('crash@acme.test').length, 1, 'the held transaction never completed, so once');
    assert.equal(statusOf(second, 'crash@acme.test').attempts, 2);
  } finally {
    if (second) await second.stop();
    rmSync(first.dir, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
    await relay.close();
  }
});

test('without SMTP the console says so; mail test reports the server answer; bad settings are refused', { timeout: 300000 }, async () => {
  const s = await startServer();
  const relay = await smtp();
  try {
    const admin = await s.login();
    assert.equal((await s.api('/v1/org', { token: admin })).body.mail_configured, false);
    const env = mailEnv(relay);
    const ok = await cliAsync(s.db, ['mail', 'test', '--to', 'probe@acme.test'], env);
    assert.equal(ok.status, 0, ok.stderr + ok.stdout);
    assert.match(ok.stdout, /^sent: 250/m);
    await until('probe', () => relay.to('probe@acme.test').length === 1);
    assert.ok(relay.to('probe@acme.test')[0].parsed.subject.includes('test'));
    const bad = await cliAsync(s.db, ['mail', 'test', '--to', 'bounce@acme.test'], env);
    assert.equal(bad.status, 1);
    assert.match(bad.stdout, /not sent: .*550/);
    const untrusted = await cliAsync(s.db, ['mail', 'test', '--to', 'probe@acme.test'], { ...env, GATEHOUSE_SMTP_CA_FILE: '' });
    assert.equal(untrusted.status, 1, 'the self-signed certificate is not trusted without --smtp-ca-file');
    const noFrom = await cliAsync(s.db, ['mail', 'test', '--to', 'probe@acme.test'], { ...env, GATEHOUSE_MAIL_FROM: 'nobody' });
    assert.equal(noFrom.status, 2);
    assert.match(noFrom.stderr, /mail-from/);
    const http = await cliAsync(s.db, ['mail', 'test', '--to', 'probe@acme.test'], { ...env, GATEHOUSE_SMTP_URL: 'http://127.0.0.1:1' });
    assert.equal(http.status, 2);
  } finally {
    await s.stop();
    await relay.close();
  }
});

test('"password changed" notice after a reset by link and after verify-email replaces a password, once, in the same step', { timeout: 300000 }, async () => {
  const s = await startServer();
  try {
    const admin = await s.login();
    const notices = (to) => s.outbox().filter((m) => m.to === to && m.kind === 'password_changed');
    const bob = await s.api('/v1/users', { method: 'POST', token: admin, body: { email: 'bob@acme.test', name: 'Bob', role: 'user', office_access: true } });
    assert.equal(bob.status, 201, JSON.stringify(bob.body));
    // The first password, chosen through the verification link, is no change: no notice.
    const v = await s.api('/v1/auth/verify-email', { method: 'POST', body: { token: s.lastToken('bob@acme.test', 'verify_email'), password: PASSWORD } });
    assert.ok(v.status < 300, JSON.stringify(v.body));
    assert.equal(notices('bob@acme.test').length, 0);
    // A refused reset (bad token) sends nothing.
    const bad = await s.api('/v1/auth/password-reset/confirm', { method: 'POST', body: { token: 'x'.repeat(43), password: `${PASSWORD}-2` } });
    assert.ok(bad.status >= 400);
    assert.equal(notices('bob@acme.test').length, 0);
    // Reset by link: one notice.
    assert.equal((await s.api(`/v1/users/${bob.body.id}/password-reset`, { method: 'POST', token: admin })).status, 202);
    const r = await s.api('/v1/auth/password-reset/confirm', { method: 'POST', body: { token: s.lastToken('bob@acme.test', 'password_reset'), password: `${PASSWORD}-2` } });
    assert.ok(r.status < 300, JSON.stringify(r.body));
    assert.equal(notices('bob@acme.test').length, 1, 'the reset is announced once');
    // The address changes; verifying the new one without a password: no notice.
    const admin2 = await s.login();
    assert.equal((await s.api(`/v1/users/${bob.body.id}`, { method: 'PATCH', token: admin2, body: { email: 'robert@acme.test' } })).status, 200);
    const v2 = await s.api('/v1/auth/verify-email', { method: 'POST', body: { token: s.lastToken('robert@acme.test', 'verify_email') } });
    assert.ok(v2.status < 300, JSON.stringify(v2.body));
    assert.equal(notices('robert@acme.test').length, 0);
    // Again, now verify-email replaces the existing password: one notice.
    assert.equal((await s.api(`/v1/users/${bob.body.id}`, { method: 'PATCH', token: admin2, body: { email: 'rob@acme.test' } })).status, 200);
    const v3 = await s.api('/v1/auth/verify-email', { method: 'POST', body: { token: s.lastToken('rob@acme.test', 'verify_email'), password: `${PASSWORD}-3` } });
    assert.ok(v3.status < 300, JSON.stringify(v3.body));
    assert.equal(notices('rob@acme.test').length, 1, 'the replaced password is announced once');
    assert.equal(notices('bob@acme.test').length, 1);
  } finally {
    await s.stop();
  }
});

test('invitation links are offered to the inviter only when mail is not configured; audited without the token', { timeout: 300000 }, async () => {
  const relay = await smtp();
  const withMail = await startServer({ env: mailEnv(relay) });
  try {
    const admin = await withMail.login();
    const inv = await withMail.api('/v1/invites', { method: 'POST', token: admin, body: { emails: ['kai@acme.test'], role: 'user' } });
    assert.equal(inv.status, 200, JSON.stringify(inv.body));
    assert.ok(!('link' in inv.body.results[0]), 'with mail configured no link is offered');
    const rs = await withMail.api(`/v1/invites/${inv.body.results[0].invite_id}/resend`, { method: 'POST', token: admin });
    assert.equal(rs.status, 200, JSON.stringify(rs.body));
    assert.ok(!('link' in rs.body), 'nor on resend');
  } finally {
    await withMail.stop();
    await relay.close();
  }
  const s = await startServer();
  try {
    const admin = await s.login();
    const inv = await s.api('/v1/invites', { method: 'POST', token: admin, body: { emails: ['kai@acme.test', 'bad', 'lu@acme.test'], role: 'user' } });
    assert.equal(inv.status, 200, JSON.stringify(inv.body));
    const [kai, bad, lu] = inv.body.results;
    assert.ok(!('link' in bad), 'no link for a skipped address');
    assert.equal(kai.link, s.outbox().filter((m) => m.to === 'kai@acme.test').pop().link);
    assert.equal(lu.link, s.outbox().filter((m) => m.to === 'lu@acme.test').pop().link);
    assert.notEqual(kai.link, lu.link);
    // Resend: a fresh link is offered; the old one stops working.
    const rs = await s.api(`/v1/invites/${kai.invite_id}/resend`, { method: 'POST', token: admin });
    assert.equal(rs.status, 200, JSON.stringify(rs.body));
    assert.ok(rs.body.link && rs.body.link !== kai.link);
    const tok = (l) => new URL(l).searchParams.get('token');
    assert.equal((await s.api(`/v1/invites/lookup?token=${tok(rs.body.link)}`)).status, 200, 'the offered link works');
    assert.notEqual((await s.api(`/v1/invites/lookup?token=${tok(kai.link)}`)).status, 200);
    // A refused resend offers nothing.
    const gone = await s.api('/v1/invites/inv_nope/resend', { method: 'POST', token: admin });
    assert.equal(gone.status, 404);
    assert.ok(!('link' in gone.body));
    // The audit trail says the link was shown, never the token.
    const audit = await s.api('/v1/audit?limit=50', { token: admin });
    assert.equal(audit.status, 200, JSON.stringify(audit.body));
    const evs = audit.body.items.filter((e) => e.action === 'invite.sent' || e.action === 'invite.resent');
    assert.equal(evs.length, 3);
    for (const e of evs) assert.equal(e.detail.link_shown, true, JSON.stringify(e));
    const all = JSON.stringify(audit.body);
    for (const l of [kai.link, lu.link, rs.body.link]) assert.ok(!all.includes(tok(l)), 'no token in the audit trail');
  } finally {
    await s.stop();
  }
});
