// Sign-in throttling: failures are throttled per account and per client
// address with growing delays, and an unknown email answers exactly like a
// wrong password, in about the same time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, assertProblem, PASSWORD } from './lib.mjs';

const login = (s, email, password) => s.api('/v1/auth/login', { method: 'POST', body: { email, password } });

/** The parts of a problem that must not differ between two accounts. */
const shape = (r) => {
  const { request_id: _r, ...rest } = r.body;
  return { status: r.status, retry: r.headers.get('retry-after') !== null, body: rest };
};

async function timed(fn) {
  const t0 = performance.now();
  const r = await fn();
  return { r, ms: performance.now() - t0 };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

test('sign-in throttling', async () => {
  const s = await startServer({ realCost: true });
  try {
    const admin = await s.login();
    const victim = await s.makeUser(admin, 'victim@acme.test', 'user');
    // The server's clock stands still but for s.advance: a pause of a second
    // or two does not run out while a slow hash (a loaded machine) is
    // verified, so what is throttled does not depend on how fast it runs.
    assert.equal((await s.api('/v1/test/clock', { method: 'POST', body: { advance_s: 0, freeze: true } })).status, 200);

    await test('unknown email and wrong password: same answer, about the same time', async () => {
      const known = [], unknown = [];
      for (let i = 0; i < 5; i++) {
        const a = await timed(() => login(s, 'victim@acme.test', `wrong password ${i}`));
        const b = await timed(() => login(s, 'nobody@acme.test', `wrong password ${i}`));
        assertProblem(a.r, 401, 'invalid_credentials');
        assertProblem(b.r, 401, 'invalid_credentials');
        assert.deepEqual(shape(a.r), shape(b.r));
        known.push(a.ms);
        unknown.push(b.ms);
      }
      // Both verify an argon2id hash; skipping it would be ~50x faster.
      const ratio = median(unknown) / median(known);
      assert.ok(ratio > 0.25 && ratio < 4, `unknown ${median(unknown)} ms vs known ${median(known)} ms`);
    });

    await test('per account: a few free failures, then 429 with growing Retry-After', async () => {
      const seq = async (email) => {
        const out = [];
        for (let i = 0; i < 15; i++) {
          const r = await login(s, email, 'still not the password');
          out.push(r);
          if (r.status === 429) break;
        }
        return out;
      };
      // Five failures each so far, all free; the sixth starts a pause of a
      // second, and the next attempt falls inside it (the clock stands still).
      const a = await seq('victim@acme.test');
      const b = await seq('nobody@acme.test');
      for (const x of [a, b]) {
        assert.equal(x.at(-1).status, 429, `never throttled: ${x.map((r) => r.status)}`);
        assert.ok(x.slice(0, -1).every((r) => r.status === 401));
        assert.equal(x.length, 2, `throttled late: ${x.map((r) => r.status)}`);
      }
      assert.deepEqual(shape(a[0]), shape(b[0]), 'known and unknown accounts fail alike');
      assert.deepEqual(shape(a.at(-1)), shape(b.at(-1)), 'known and unknown accounts are throttled alike');
      assertProblem(a.at(-1), 429, 'too_many_attempts');
      // Each further failure doubles the pause.
      const waits = [];
      let retry = Number(a.at(-1).headers.get('retry-after'));
      assert.ok(retry >= 1);
      for (let i = 0; i < 6; i++) {
        await s.advance(retry + 1);
        assertProblem(await login(s, 'victim@acme.test', 'wrong again!'), 401, 'invalid_credentials');
        const r = await login(s, 'victim@acme.test', 'wrong again!');
        if (r.status === 429) {
          retry = Number(r.headers.get('retry-after'));
          waits.push(retry);
        } else {
          assertProblem(r, 401, 'invalid_credentials'); // the short pause was over: one more failure
          retry = 0;
        }
      }
      assert.ok(waits.length >= 3, `pauses: ${waits}`);
      for (let i = 1; i < waits.length; i++) assert.ok(waits[i] > waits[i - 1], `pauses do not grow: ${waits}`);
      assert.ok(waits.at(-1) >= 32, `pauses: ${waits}`);
      // The right password is refused too while the pause lasts.
      assertProblem(await login(s, 'victim@acme.test', PASSWORD), 429, 'too_many_attempts');
      // Another account from the same address is not affected (yet).
      assert.ok((await s.login()).length === 43);
      // After the pause, the right password works and resets the account.
      await s.advance(retry + 1);
      const ok = await login(s, 'victim@acme.test', PASSWORD);
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      for (let i = 0; i < 5; i++) assertProblem(await login(s, 'victim@acme.test', 'wrong once more'), 401, 'invalid_credentials');
    });

    await test('per client address: many accounts guessed from one address', async () => {
      await s.advance(3600);
      let r;
      let n = 0;
      for (; n < 40; n++) {
        r = await login(s, `spray${n}@acme.test`, 'Summer2024!');
        if (r.status === 429) break;
      }
      assertProblem(r, 429, 'too_many_attempts');
      assert.ok(n >= 5 && n < 40, `throttled after ${n} different accounts`);
      // The address is paused for every account, including real ones.
      assertProblem(await login(s, 'admin@acme.test', PASSWORD), 429, 'too_many_attempts');
      await s.advance(Number(r.headers.get('retry-after')) + 1);
      assert.equal((await login(s, 'admin@acme.test', PASSWORD)).status, 200);
    });

    await test('failures are audited without the password', async () => {
      const t = await s.login();
      const a = await s.api('/v1/audit?action=auth.login_failed&limit=500', { token: t });
      assert.equal(a.status, 200);
      assert.ok(a.body.items.length >= 20);
      const forVictim = a.body.items.filter((e) => e.target_id === victim.id);
      assert.ok(forVictim.length >= 5);
      assert.deepEqual(forVictim[0].detail, { reason: 'invalid_credentials' });
      const text = JSON.stringify(a.body);
      for (const secret of ['still not the password', 'wrong again!', 'Summer2024!', PASSWORD]) assert.ok(!text.includes(secret));
    });
  } finally {
    await s.stop();
  }
});
