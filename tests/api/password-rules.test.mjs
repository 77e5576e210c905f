// Issue 12: passwords are NFKC-normalised before checking and hashing, and
// refuse the person's own e-mail or name, the org's name, one repeated
// character and runs of consecutive characters, wherever they are chosen.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, assertProblem, PASSWORD } from './lib.mjs';

test('password rules: NFKC, repetition, sequences, e-mail, name and org', async () => {
  const s = await startServer();
  try {
    const admin = await s.login();
    await s.makeUser(admin, 'grace.hopper@acme.test', 'user', 'Grace Hopper');
    const tok = await s.login('grace.hopper@acme.test');
    const change = (pw) => s.api('/v1/me/password', { method: 'POST', token: tok,
      body: { current_password: PASSWORD, new_password: pw } });
    const cases = [
      ['aaaaaaaa', 'password_repetitive'],
      ['        ', 'password_repetitive'],
      ['12345678', 'password_common'],
      ['23456789', 'password_sequential'],
      ['ｐａｓｓｗｏｒｄ', 'password_common'], // full-width: NFKC makes it "password"
      ['grace.hopper@acme.test', 'password_contains_email'],
      ['I am GRACE.HOPPER!', 'password_contains_email'],
      ['xx grace hopper xx', 'password_contains_name'],
      ['Acme Plant forever', 'password_contains_org'],
    ];
    for (const [pw, code] of cases) assertProblem(await change(pw), 400, code, 'new_password');
    // Nothing changed, and none of these cost a guess: the right password still works.
    assert.equal((await s.api('/v1/auth/login', { method: 'POST', body: { email: 'grace.hopper@acme.test', password: PASSWORD } })).status, 200);
    // A compatibility form signs in as the same password (NFKC on both sides).
    const ok = await change('Ｃompiler nanoseconds ⅰⅱ');
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    const again = await s.api('/v1/auth/login', { method: 'POST',
      body: { email: 'grace.hopper@acme.test', password: 'Compiler nanoseconds iii' } });
    assert.equal(again.status, 200, JSON.stringify(again.body));

    // A new user's first password (verify-email link) follows the same rules.
    const c = await s.api('/v1/users', { method: 'POST', token: admin, body: { email: 'alan.turing@acme.test', name: 'Alan Turing', role: 'user' } });
    assert.equal(c.status, 201);
    const link = s.lastToken('alan.turing@acme.test', 'verify_email');
    assertProblem(await s.api('/v1/auth/verify-email', { method: 'POST', body: { token: link, password: 'alan turing 1912' } }),
      400, 'password_contains_name', 'password');
    assert.equal((await s.api('/v1/auth/verify-email', { method: 'POST', body: { token: link, password: PASSWORD } })).status, 200);
  } finally {
    await s.stop();
  }
});
