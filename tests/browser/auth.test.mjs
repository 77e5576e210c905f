// The console pages reached without a session, in a real browser: forgot
// password and the mailed reset link (the answer never tells whether an
// account exists; the link works once and ends the person's sessions), the
// confirmation link of an office user added in the console, and the clear
// error an expired, used or mangled link shows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, PASSWORD } from '../api/lib.mjs';
import { launch, newPage, signIn } from './lib.mjs';

const NEW_PASSWORD = 'purple elephant under the bridge';

/** Fills the two password fields of a mailed-link page. */
async function choosePassword(page, password, repeat = password) {
  await page.getByLabel('New password', { exact: true }).fill(password);
  await page.getByLabel('Repeat the new password').fill(repeat);
}

/** Submits the sign-in form and waits for the refusal. */
async function refusedSignIn(page, url, email, password) {
  await page.goto(`${url}/console/sign-in`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('alert').filter({ hasText: /password/i }).waitFor();
  assert.match(page.url(), /\/console\/sign-in/);
  assert.equal(await page.locator('nav#sidebar').count(), 0);
}

test('forgot password: same answer for any email, the mailed link sets a new password once', async () => {
  const s = await startServer();
  const browser = await launch();
  try {
    const admin = await s.login();
    const bob = await s.makeUser(admin, 'bob@acme.test', 'user', 'Bob Builder');
    const page = await newPage(browser);

    await page.goto(`${s.url}/console/sign-in`);
    await page.getByRole('link', { name: 'Forgot your password?' }).click();
    await page.getByRole('heading', { name: 'Forgot your password?', level: 1 }).waitFor();
    const confirmation = page.getByRole('main').getByRole('status');

    // An address nobody has gets the same answer as a real one, and no mail.
    await page.getByLabel('Email').fill('nobody@acme.test');
    await page.getByRole('button', { name: 'Send reset link' }).click();
    await confirmation.filter({ hasText: 'Check your inbox' }).waitFor();
    const unknownAnswer = await confirmation.textContent();
    assert.equal(unknownAnswer, 'If the account exists, a reset link was sent. Check your inbox.');
    assert.equal(s.outbox().filter((m) => m.to === 'nobody@acme.test').length, 0);
    await page.shot('auth-01-forgot-password-sent');

    await page.reload();
    await page.getByLabel('Email').fill('bob@acme.test');
    await page.getByRole('button', { name: 'Send reset link' }).click();
    await confirmation.filter({ hasText: 'Check your inbox' }).waitFor();
    assert.equal(await confirmation.textContent(), unknownAnswer);
    await page.getByRole('button', { name: 'Send again' }).waitFor();
    await s.waitMail('bob@acme.test', 'password_reset', 1); // mailed after the answer (issue 12)
    const token = s.lastToken('bob@acme.test', 'password_reset');

    // The mailed link names the account; the two passwords must match.
    const link = `${s.url}/console/reset-password?token=${encodeURIComponent(token)}`;
    await page.goto(link);
    await page.getByRole('heading', { name: 'Choose a new password', level: 1 }).waitFor();
    await page.getByText('For Bob Builder (bob@acme.test).').waitFor();
    await choosePassword(page, NEW_PASSWORD, `${NEW_PASSWORD}!`);
    await page.getByRole('button', { name: 'Save password' }).click();
    await page.locator('.field[data-field=password2] .error', { hasText: 'The two passwords differ.' }).waitFor();
    assert.equal(await page.getByLabel('Repeat the new password').getAttribute('aria-invalid'), 'true');
    // A weak password is refused by the server, next to its field.
    await choosePassword(page, 'short');
    await page.getByRole('button', { name: 'Save password' }).click();
    await page.locator('.field[data-field=password] .error:not([hidden])').waitFor();
    assert.equal(await page.getByLabel('New password', { exact: true }).getAttribute('aria-invalid'), 'true');

    await choosePassword(page, NEW_PASSWORD);
    await page.getByRole('button', { name: 'Save password' }).click();
    await page.waitForURL(/\/console\/sign-in\?reset=1$/);
    await page.getByRole('status').filter({ hasText: 'Your password was changed. Sign in with the new one.' }).waitFor();
    await page.shot('auth-02-password-changed');
    // Bob's existing session ended with the reset.
    assert.equal((await s.api('/v1/me', { token: bob.token })).status, 401);

    // The old password is refused; the new one works.
    await refusedSignIn(page, s.url, 'bob@acme.test', PASSWORD);
    await signIn(page, s.url, 'bob@acme.test', NEW_PASSWORD);
    await page.getByRole('heading', { name: 'My profile', level: 1 }).waitFor();

    // The link works once.
    const again = await newPage(browser);
    await again.goto(link);
    await again.getByRole('heading', { name: 'Link not valid', level: 1 }).waitFor();
    assert.equal(await again.getByRole('alert').textContent(), 'This password reset link was already used.');
    assert.equal(await again.getByRole('textbox').count(), 0);
    // ... and it offers a way on.
    await again.getByRole('link', { name: 'Request a new reset link' }).click();
    await again.getByRole('heading', { name: 'Forgot your password?', level: 1 }).waitFor();
    await again.shot('auth-03-reset-link-used');

    page.assertClean();
    again.assertClean();
  } finally {
    await browser.close();
    await s.stop();
  }
});

test('verify email: an office user added in the console confirms the address and chooses a password', async () => {
  const s = await startServer();
  const browser = await launch();
  try {
    const adminToken = await s.login();
    const admin = await newPage(browser);
    await signIn(admin, s.url, 'admin@acme.test', PASSWORD);
    await admin.getByRole('button', { name: 'Add staff member' }).click();
    const dlg = admin.getByRole('dialog', { name: 'Add staff member' });
    await dlg.getByLabel('Name').fill('Vera Vance');
    await dlg.getByLabel('Access').selectOption('office');
    await dlg.getByLabel('Email').fill('vera@acme.test');
    await dlg.getByLabel('Role').selectOption({ label: 'User' });
    await dlg.getByRole('button', { name: 'Add' }).click();
    await admin.getByRole('heading', { name: 'Vera Vance', level: 1 }).waitFor();
    await admin.locator('.page-head .badge', { hasText: 'Not confirmed' }).waitFor();
    await admin.getByText('Not confirmed yet.').waitFor();
    const vera = (await s.api('/v1/users?q=vera', { token: adminToken })).body.items[0];
    assert.equal(vera.email_verified, false);

    // Vera cannot sign in before confirming: she has no password yet.
    const page = await newPage(browser);
    await refusedSignIn(page, s.url, 'vera@acme.test', PASSWORD);

    const link = `${s.url}/console/verify-email?token=${encodeURIComponent(s.lastToken('vera@acme.test', 'verify_email'))}`;
    await page.goto(link);
    await page.getByRole('heading', { name: 'Confirm your email', level: 1 }).waitFor();
    await page.getByText('Hello Vera Vance. Confirm vera@acme.test and choose a password to finish setting up your account.').waitFor();
    await page.shot('auth-04-verify-email');
    await choosePassword(page, NEW_PASSWORD);
    await page.getByRole('button', { name: 'Confirm and save password' }).click();
    await page.waitForURL(/\/console\/sign-in\?verified=1$/);
    await page.getByRole('status').filter({ hasText: 'Your email is confirmed. Sign in to continue.' }).waitFor();
    await signIn(page, s.url, 'vera@acme.test', NEW_PASSWORD);
    await page.getByRole('heading', { name: 'My profile', level: 1 }).waitFor();
    await page.getByText('vera@acme.test · Acme Plant').waitFor();

    // The administrator sees her confirmed.
    await admin.reload();
    await admin.getByRole('heading', { name: 'Vera Vance', level: 1 }).waitFor();
    await admin.locator('.page-head .badge', { hasText: 'Active' }).waitFor();
    assert.equal(await admin.getByText('Not confirmed yet.').count(), 0);
    assert.equal((await s.api(`/v1/users/${vera.id}`, { token: adminToken })).body.email_verified, true);

    // The confirmation link works once.
    const again = await newPage(browser);
    await again.goto(link);
    await again.getByRole('heading', { name: 'Link not valid', level: 1 }).waitFor();
    assert.equal(await again.getByRole('alert').textContent(), 'This confirmation link was already used.');
    await again.getByText('Ask your administrator to send you a new link.').waitFor();

    admin.assertClean();
    page.assertClean();
    again.assertClean();
  } finally {
    await browser.close();
    await s.stop();
  }
});

test('expired and mangled links say so and change nothing', async () => {
  const s = await startServer();
  const browser = await launch();
  try {
    const adminToken = await s.login();
    await s.makeUser(adminToken, 'bob@acme.test', 'user', 'Bob Builder');
    const c = await s.api('/v1/users', { method: 'POST', token: adminToken, body: { email: 'vera@acme.test', name: 'Vera Vance', role: 'user' } });
    assert.equal(c.status, 201, JSON.stringify(c.body));
    assert.equal((await s.api('/v1/auth/password-reset', { method: 'POST', body: { email: 'bob@acme.test' } })).status, 202);
    await s.waitMail('bob@acme.test', 'password_reset', 1);
    const resetLink = `${s.url}/console/reset-password?token=${encodeURIComponent(s.lastToken('bob@acme.test', 'password_reset'))}`;
    const verifyLink = `${s.url}/console/verify-email?token=${encodeURIComponent(s.lastToken('vera@acme.test', 'verify_email'))}`;
    const page = await newPage(browser);

    // A mangled link.
    await page.goto(`${s.url}/console/reset-password?token=not-a-real-token`);
    await page.getByRole('heading', { name: 'Link not valid', level: 1 }).waitFor();
    assert.equal(await page.getByRole('alert').textContent(), 'This password reset link is not valid.');
    await page.goto(`${s.url}/console/verify-email`);
    await page.getByRole('heading', { name: 'Link not valid', level: 1 }).waitFor();
    assert.equal(await page.getByRole('alert').textContent(), 'This confirmation link is not valid.');

    // Reset links last an hour.
    await s.advance(3601);
    await page.goto(resetLink);
    await page.getByRole('heading', { name: 'Link not valid', level: 1 }).waitFor();
    assert.equal(await page.getByRole('alert').textContent(), 'This password reset link has expired.');
    assert.equal(await page.getByLabel('New password', { exact: true }).count(), 0);
    await page.shot('auth-05-reset-link-expired');
    await page.getByRole('link', { name: 'Go to sign in' }).click();
    await signIn(page, s.url, 'bob@acme.test', PASSWORD); // the password did not change

    // Confirmation links last three days.
    await s.advance(72 * 3600);
    const other = await newPage(browser);
    await other.goto(verifyLink);
    await other.getByRole('heading', { name: 'Link not valid', level: 1 }).waitFor();
    assert.equal(await other.getByRole('alert').textContent(), 'This confirmation link has expired.');
    await other.getByText('Ask your administrator to send you a new link.').waitFor();
    assert.equal((await s.api('/v1/users?q=vera', { token: await s.login() })).body.items[0].email_verified, false);

    page.assertClean();
    other.assertClean();
  } finally {
    await browser.close();
    await s.stop();
  }
});
