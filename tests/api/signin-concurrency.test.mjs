// Issue 12: sign-in and re-authentication hold under concurrency. Guesses
// are reserved before their hash runs, so concurrent wrong passwords (and
// PINs) verify no more than the throttle allows; the current-password check
// is throttled like sign-in; a lock that commits while a sign-in is being
// verified wins; an administrator's unlock or reset clears the throttle;
// known and unknown badges answer alike.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, assertProblem, PASSWORD } from './lib.mjs';
import { GOOD_PINS, kioskLogin, kioskWorker, auditActions } from './shopfloor.mjs';

const login = (s, email, password) => s.api('/v1/auth/login', { method: 'POST', body: { email, password } });
const count = (rs, status) => rs.filter((r) => r.status === status).length;

test('30 concurrent wrong passwords verify no more than the throttle allows', async () => {
  const s = await startServer({ realCost: true });
  try {
    const admin = await s.login();
    const victim = await s.makeUser(admin, 'victim@acme.test', 'user');
    const rs = await Promise.all(Array.from({ length: 30 }, (_, i) => login(s, 'victim@acme.test', `wrong guess ${i}`)));
    for (const r of rs) assert.ok(r.status === 401 || r.status === 429, `status ${r.status}`);
    for (const r of rs.filter((x) => x.status === 429)) {
      assertProblem(r, 429, 'too_many_attempts');
      assert.ok(Number(r.headers.get('retry-after')) >= 1);
    }
    // Each verification is audited: count them, not the answers.
    const verified = (await auditActions(s, admin, 'auth.login_failed')).filter((e) => e.target_id === victim.id);
    assert.equal(verified.length, count(rs, 401));
    assert.ok(count(rs, 401) <= 6, `verified ${count(rs, 401)} of 30 (${rs.map((r) => r.status)})`);
    assert.ok(count(rs, 429) >= 24);
    // The same for an account that does not exist.
    const ru = await Promise.all(Array.from({ length: 30 }, (_, i) => login(s, 'nobody@acme.test', `wrong guess ${i}`)));
    assert.ok(count(ru, 401) <= 6, `verified ${count(ru, 401)} of 30`);
    for (const r of ru) assert.ok(r.status === 401 || r.status === 429);
  } finally {
    await s.stop();
  }
});

test('30 concurrent wrong PINs for one badge verify no more than the throttle allows; unknown badges alike', async () => {
  const s = await startServer({ realCost: true });
  try {
    const admin = await s.login();
    const w = await kioskWorker(s, admin, 'B-100', GOOD_PINS[0]);
    const bad = GOOD_PINS[2];
    const rs = await Promise.all(Array.from({ length: 30 }, () => kioskLogin(s, 'B-100', bad)));
    for (const r of rs) assert.ok(r.status === 401 || r.status === 429, `status ${r.status}`);
    const verified = (await auditActions(s, admin, 'kiosk.login_failed')).filter((e) => e.target_id === w.id);
    assert.equal(verified.length, count(rs, 401));
    assert.ok(count(rs, 401) <= 3, `verified ${count(rs, 401)} of 30 (${rs.map((r) => r.status)})`);
    // An unknown badge: the same answers, in the same proportions.
    const ru = await Promise.all(Array.from({ length: 30 }, () => kioskLogin(s, 'B-999', bad)));
    assert.ok(count(ru, 401) <= 3, `verified ${count(ru, 401)} of 30`);
    const shape = (r) => { const { request_id: _r, ...rest } = r.body; return { status: r.status, body: rest }; };
    assert.deepEqual(shape(rs.find((r) => r.status === 401)), shape(ru.find((r) => r.status === 401)));
    assert.deepEqual(shape(rs.find((r) => r.status === 429)).body.code, shape(ru.find((r) => r.status === 429)).body.code);
    // Never a permanent block that anyone could trigger.
    for (let i = 0; i < 3; i++) {
      await s.advance(1000);
      assertProblem(await kioskLogin(s, 'B-100', bad), 401, 'invalid_credentials');
    }
    await s.advance(1000);
    assert.equal((await kioskLogin(s, 'B-100', GOOD_PINS[0])).status, 200);
  } finally {
    await s.stop();
  }
});

test('the current-password check is throttled and audited like sign-in', async () => {
  const s = await startServer({ realCost: true });
  try {
    const admin = await s.login();
    await s.makeUser(admin, 'eve@acme.test', 'user');
    const tok = await s.login('eve@acme.test');
    const change = (current) => s.api('/v1/me/password', { method: 'POST', token: tok,
      body: { current_password: current, new_password: 'a brand new passphrase' } });
    // Concurrent guesses: one at a time.
    const rs = await Promise.all(Array.from({ length: 20 }, (_, i) => change(`guess number ${i}`)));
    for (const r of rs) assert.ok(r.status === 403 || r.status === 429, `status ${r.status}`);
    assert.ok(count(rs, 403) <= 6, `verified ${count(rs, 403)} of 20`);
    for (const r of rs.filter((x) => x.status === 403)) assertProblem(r, 403, 'invalid_current_password', 'current_password');
    // One after another: 429 after a few.
    let r;
    for (let i = 0; i < 10; i++) {
      r = await change(`sequential guess ${i}`);
      if (r.status === 429) break;
    }
    assertProblem(r, 429, 'too_many_attempts');
    // Sign-in for the same account shares the count.
    const shared = await login(s, 'eve@acme.test', PASSWORD);
    assertProblem(shared, 429, 'too_many_attempts');
    const failed = await auditActions(s, admin, 'auth.reauth_failed');
    assert.ok(failed.length >= 1 && failed.length <= 12, `audited ${failed.length}`);
    assert.deepEqual(failed[0].detail, { purpose: 'password_change', reason: 'invalid_password' });
    // After the pause, the right current password works.
    await s.advance(Number(shared.headers.get('retry-after')) + 1);
    const ok = await change(PASSWORD);
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
  } finally {
    await s.stop();
  }
});

test('a lock committed while a sign-in is verified wins, and unlock does not revive a session', async () => {
  const s = await startServer({ realCost: true });
  try {
    const admin = await s.login();
    const u = await s.makeUser(admin, 'racer@acme.test', 'user');
    let raced = 0;
    for (let round = 0; round < 12; round++) {
      const signin = login(s, 'racer@acme.test', PASSWORD);
      // The lock is quick; the argon2id verification takes tens of ms.
      await new Promise((res) => setTimeout(res, 2 + (round % 4) * 3));
      const lock = await s.api(`/v1/users/${u.id}/lock`, { method: 'POST', token: admin });
      assert.equal(lock.status, 200, JSON.stringify(lock.body));
      const r = await signin;
      if (r.status !== 200) {
        raced++;
        assert.ok([401, 403].includes(r.status), `status ${r.status}`);
      }
      assert.equal((await s.api(`/v1/users/${u.id}/unlock`, { method: 'POST', token: admin })).status, 200);
      // Whatever the answer, no session of the locked account survives the lock.
      if (r.status === 200) {
        const me = await s.api('/v1/me', { token: r.body.token });
        assertProblem(me, 401, 'unauthenticated');
      }
    }
    assert.ok(raced > 0, 'the lock never landed during a verification');
  } finally {
    await s.stop();
  }
});

test('unlock and an administrator\'s reset clear the sign-in throttle', async () => {
  const s = await startServer({ realCost: true });
  try {
    const admin = await s.login();
    const u = await s.makeUser(admin, 'stuck@acme.test', 'user');
    const throttle = async () => {
      let r;
      for (let i = 0; i < 10; i++) {
        r = await login(s, 'stuck@acme.test', `typo ${i}`);
        if (r.status === 429) break;
      }
      assertProblem(r, 429, 'too_many_attempts');
      assertProblem(await login(s, 'stuck@acme.test', PASSWORD), 429, 'too_many_attempts');
    };
    await throttle();
    assert.equal((await s.api(`/v1/users/${u.id}/unlock`, { method: 'POST', token: admin })).status, 200);
    assert.equal((await login(s, 'stuck@acme.test', PASSWORD)).status, 200);
    await throttle();
    const reset = await s.api(`/v1/users/${u.id}/password-reset`, { method: 'POST', token: admin });
    assert.ok(reset.status < 300, JSON.stringify(reset.body));
    assert.equal((await login(s, 'stuck@acme.test', PASSWORD)).status, 200);
  } finally {
    await s.stop();
  }
});

test('forgot-password answers take the same time for known and unknown accounts', async () => {
  const s = await startServer({ realCost: true });
  try {
    const admin = await s.login();
    const N = 25;
    for (let i = 0; i < N; i++) {
      const c = await s.api('/v1/users', { method: 'POST', token: admin, body: { email: `known${i}@acme.test`, name: `Known ${i}`, role: 'user' } });
      assert.equal(c.status, 201, JSON.stringify(c.body));
    }
    const timed = async (email) => {
      const t0 = performance.now();
      const r = await s.api('/v1/auth/password-reset', { method: 'POST', body: { email } });
      const ms = performance.now() - t0;
      assert.equal(r.status, 202);
      return { ms, body: r.body };
    };
    // Warm up both paths, then interleave in a random order, with a pause
    // for the queued work of the previous request, so that whatever runs
    // after one answer falls on either kind alike.
    await timed('warmup@acme.test');
    const known = [], unknown = [];
    const pause = () => new Promise((res) => setTimeout(res, 15));
    for (let i = 0; i < N; i++) {
      const pair = [[`known${i}@acme.test`, known], [`unknown${i}@acme.test`, unknown]];
      if (Math.random() < 0.5) pair.reverse();
      const bodies = [];
      for (const [email, into] of pair) {
        await pause();
        const t = await timed(email);
        into.push(t.ms);
        bodies.push(t.body);
      }
      assert.deepEqual(bodies[0], bodies[1]);
    }
    const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
    const ratio = median(known) / median(unknown);
    if (process.env.GH_SHOW_RATIO) console.log(`RATIO ${ratio.toFixed(2)} known ${median(known).toFixed(2)} unknown ${median(unknown).toFixed(2)}`);
    assert.ok(ratio > 0.5 && ratio < 2, `known ${median(known).toFixed(2)} ms vs unknown ${median(unknown).toFixed(2)} ms`);
    // The work still happens, after the answer.
    await s.waitMail(`known${N - 1}@acme.test`, 'password_reset', 1);
    assert.equal(s.outbox().filter((m) => m.kind === 'password_reset' && m.to.startsWith('unknown')).length, 0);
  } finally {
    await s.stop();
  }
});

test('over https the cookies carry the __Host- prefix, and only those count', async () => {
  const s = await startServer({ realCost: true, args: ['--base-url', 'https://gatehouse.example.test'] });
  try {
    await s.login();
    const r = await fetch(`${s.url}/v1/auth/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ email: 'admin@acme.test', password: PASSWORD }) });
    assert.equal(r.status, 200);
    const body = await r.json();
    const set = r.headers.getSetCookie();
    const session = set.find((c) => c.startsWith('__Host-gh_session='));
    const csrf = set.find((c) => c.startsWith('__Host-gh_csrf='));
    assert.ok(session && csrf, set.join(' | '));
    for (const c of [session, csrf]) {
      assert.match(c, /; Secure/);
      assert.match(c, /; Path=\//);
      assert.doesNotMatch(c, /Domain=/i);
    }
    const me = (cookie) => s.api('/v1/me', { headers: { Cookie: cookie } });
    assert.equal((await me(`__Host-gh_session=${body.token}`)).status, 200);
    // A cookie without the prefix (which a sibling subdomain could set) is not read.
    assertProblem(await me(`gh_session=${body.token}`), 401, 'unauthenticated');
  } finally {
    await s.stop();
  }
});
