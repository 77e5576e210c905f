// Company sign-in in a browser (issue 16): the sign-in page offers "Sign in
// with <IdP>", the person goes through the real OpenID Provider's login and
// consent pages (npm oidc-provider) and lands in the console signed in; a
// refused sign-in comes back to the sign-in page with a clear message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../api/lib.mjs';
import { CLIENT_ID, CLIENT_SECRET, realOp } from '../api/ssolib.mjs';
import { launch, newPage } from './lib.mjs';

test('sign in with the company IdP through its login page', async () => {
  const s = await startServer();
  const op = await realOp(s.url, {
    'sub-worker': { email: 'worker@acme.test', email_verified: true, name: 'Walt Worker' },
    'sub-stranger': { email: 'stranger@acme.test', email_verified: true, name: 'Stranger' },
  });
  const browser = await launch();
  try {
    const admin = await s.login();
    await s.makeUser(admin, 'worker@acme.test', 'user', 'Walt Worker');
    const put = await s.api('/v1/org/sso', { method: 'PUT', token: admin, body: {
      protocol: 'oidc', display_name: 'Acme Identity', issuer: op.issuer, client_id: CLIENT_ID, client_secret: CLIENT_SECRET } });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    const page = await newPage(browser);

    const through = async (login) => {
      await page.goto(`${s.url}/console/sign-in`);
      await page.getByRole('link', { name: 'Sign in with Acme Identity' }).click();
      await page.locator('input[name=login]').fill(login);
      await page.locator('input[name=password]').fill('anything');
      await page.getByRole('button', { name: 'Sign-in' }).click();
      await page.getByRole('button', { name: 'Continue' }).click();
    };
    await through('sub-worker');
    await page.waitForURL(`${s.url}/console/**`);
    assert.ok(!page.url().includes('sign-in'), page.url());
    const me = await page.evaluate(async () => (await fetch('/v1/me')).json());
    assert.equal(me.email, 'worker@acme.test');
    await page.screenshot({ path: `${import.meta.dirname}/screenshots/sso-02-signed-in.png` });

    // Signing out goes through the IdP's sign-out page and back to the sign-in page.
    await page.getByRole('button', { name: /Sign out/ }).first().click();
    await page.waitForURL((u) => u.origin === new URL(op.issuer).origin);
    await page.getByRole('button', { name: /sign me out/i }).click(); // the IdP's confirmation
    await page.waitForURL(`${s.url}/console/sign-in**`);
    assert.equal((await page.evaluate(async () => (await fetch('/v1/me')).status)), 401);

    // Signed out, a stranger is refused and told why on the sign-in page.
    await page.context().clearCookies();
    await through('sub-stranger');
    await page.waitForURL(/sso_error=no_account/);
    await page.getByRole('alert').filter({ hasText: 'has no gatehouse account here yet' }).waitFor();
    await page.screenshot({ path: `${import.meta.dirname}/screenshots/sso-03-refused.png` });
  } finally {
    await browser.close();
    op.close();
    await s.stop();
  }
});

test('the sign-in page finds the company IdP from the e-mail address', async () => {
  const s = await startServer();
  const op = await realOp(s.url, { 'sub-worker': { email: 'worker@acme.test', email_verified: true, name: 'Walt Worker' } });
  const browser = await launch();
  try {
    const admin = await s.login();
    await s.makeUser(admin, 'worker@acme.test', 'user', 'Walt Worker');
    await s.otherOrg('beta'); // two organizations: the page cannot guess which one
    const put = await s.api('/v1/org/sso', { method: 'PUT', token: admin, body: {
      protocol: 'oidc', display_name: 'Acme Identity', issuer: op.issuer, client_id: CLIENT_ID, client_secret: CLIENT_SECRET,
      domains: ['acme.test'] } });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    const page = await newPage(browser);
    await page.goto(`${s.url}/console/sign-in`);
    const button = page.getByRole('link', { name: 'Sign in with Acme Identity' });
    await page.getByLabel('Email').fill('someone@beta.test');
    await page.getByLabel('Password').focus(); // change: looked up, nothing offered
    await page.waitForFunction(() => !document.querySelector('.sso-signin:not([hidden])'));
    assert.equal(await button.count(), 0);
    await page.getByLabel('Email').fill('worker@acme.test');
    await page.getByLabel('Password').focus();
    await button.waitFor();
    await page.screenshot({ path: `${import.meta.dirname}/screenshots/sso-04-by-email.png` });
    await button.click();
    await page.locator('input[name=login]').fill('sub-worker');
    await page.locator('input[name=password]').fill('anything');
    await page.getByRole('button', { name: 'Sign-in' }).click();
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL((u) => u.pathname.startsWith('/console') && !u.pathname.includes('sign-in'));
    const me = await page.evaluate(async () => (await fetch('/v1/me')).json());
    assert.equal(me.email, 'worker@acme.test');
  } finally {
    await browser.close();
    op.close();
    await s.stop();
  }
});
