// Second factors in the console (issue 20): setting up an authenticator app
// under My profile -> Security (QR code, key as text, first code, recovery
// codes shown once), signing in with a code (computed here with node:crypto),
// forced enrolment when the organization requires a factor, and an
// administrator's view and reset on a user's page.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, PASSWORD } from '../api/lib.mjs';
import { totp, serverNow } from '../api/totp.mjs';
import { launch, newPage, signIn } from './lib.mjs';

/** Moves the server's clock to 1 s into a step at least `min` seconds on; returns the step. */
async function freshStep(s, min = 0) {
  const now = (await serverNow(s)) + min;
  await s.advance(min + ((31 - (now % 30)) % 30));
  return Math.floor((await serverNow(s)) / 30);
}

test('console: enrol an authenticator app, sign in with a code, forced enrolment, reset', async () => {
  const s = await startServer();
  const browser = await launch();
  try {
    const admin = await s.login();
    const user = await s.makeUser(admin, 'uma@acme.test', 'user', 'Uma User');
    const page = await newPage(browser);
    await signIn(page, s.url, 'admin@acme.test', PASSWORD);

    // My profile -> Security: set up.
    await page.goto(`${s.url}/console/profile`);
    const sec = page.getByRole('region', { name: 'Security' });
    await sec.getByRole('button', { name: 'Set up an authenticator app' }).click();
    const qr = sec.getByRole('img', { name: 'QR code to scan with your authenticator app' });
    await qr.waitFor();
    assert.match(await qr.getAttribute('src'), /^data:image\/svg\+xml;base64,/);
    assert.ok(await qr.evaluate((img) => img.complete && img.naturalWidth > 0), 'the QR code renders');
    const secret = (await sec.getByTestId('totp-secret').textContent()).trim();
    assert.match(secret, /^[A-Z2-7]{32}$/);
    await page.shot('mfa-01-enrol');
    let step = await freshStep(s);
    await sec.getByLabel('Code from your authenticator app').fill('000000');
    await sec.getByRole('button', { name: 'Confirm' }).click();
    await sec.getByText('the code is not correct').waitFor();
    await sec.getByLabel('Code from your authenticator app').fill(totp(secret, step));
    await sec.getByRole('button', { name: 'Confirm' }).click();
    const codes = page.getByTestId('recovery-codes').locator('li');
    await codes.first().waitFor();
    assert.equal(await codes.count(), 10);
    await sec.getByText('set up', { exact: true }).waitFor();
    await page.shot('mfa-02-recovery-codes');

    // Sign out and in again: the second step.
    await page.locator('header.topbar').getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Email').fill('admin@acme.test');
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Second step' }).waitFor();
    assert.match(page.url(), /\/console\/second-step/);
    // Nothing else opens meanwhile: the console sends the person back here.
    await page.goto(`${s.url}/console/users`);
    await page.getByRole('heading', { name: 'Second step' }).waitFor();
    step = await freshStep(s, 30);
    await page.getByLabel('Code from your authenticator app').fill(totp(secret, step));
    await page.shot('mfa-03-second-step');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.locator('nav#sidebar').waitFor({ state: 'attached' });
    assert.match(page.url(), /\/console\/users$/);

    // Everyone must use a second factor: settings.
    await page.goto(`${s.url}/console/settings`);
    const pol = page.getByRole('region', { name: 'Second factor' });
    await pol.getByLabel('Second factor at sign-in').selectOption('all');
    await pol.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Second-factor policy saved.').waitFor();
    assert.equal((await s.api('/v1/org/mfa', { token: admin })).body.policy, 'all');

    // The user is led through enrolment at sign-in.
    const up = await newPage(browser);
    await up.goto(`${s.url}/console/sign-in`);
    await up.getByLabel('Email').fill('uma@acme.test');
    await up.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await up.getByRole('button', { name: 'Sign in' }).click();
    await up.getByRole('heading', { name: 'Set up a second factor' }).waitFor();
    const usecret = (await up.getByTestId('totp-secret').textContent()).trim();
    step = await freshStep(s);
    await up.getByLabel('Code from your authenticator app').fill(totp(usecret, step));
    await up.getByRole('button', { name: 'Confirm' }).click();
    await up.getByTestId('recovery-codes').waitFor();
    await up.shot('mfa-04-forced-enrolment');
    await up.getByRole('button', { name: 'I saved my codes, continue' }).click();
    await up.locator('nav#sidebar').waitFor({ state: 'attached' });
    assert.equal((await s.api('/v1/me/mfa', { token: (await s.api('/v1/auth/login', { method: 'POST',
      body: { email: 'uma@acme.test', password: PASSWORD } })).body.token })).body.mfa_pending, 'verify');

    // The administrator sees that Uma has an app (never the app) and resets it.
    await page.goto(`${s.url}/console/users/${user.id}`);
    const card = page.getByTestId('user-mfa');
    await card.getByText('set up', { exact: true }).waitFor();
    assert.ok(!(await card.textContent()).includes(usecret));
    await card.getByRole('button', { name: 'Reset second factor' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Reset' }).click();
    await page.getByText("Uma User's second factor was reset.").waitFor();
    assert.equal((await s.api(`/v1/users/${user.id}/mfa`, { token: admin })).body.totp, false);
    page.assertClean();
    up.assertClean();
  } finally {
    await browser.close();
    await s.stop();
  }
});
