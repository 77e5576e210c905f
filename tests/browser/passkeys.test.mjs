// Passkeys and security keys as the second factor, with Chromium's virtual
// authenticator (DevTools protocol: WebAuthn.enable,
// WebAuthn.addVirtualAuthenticator), served on http://localhost:PORT (an IP
// address is not a valid relying-party id): register under My profile ->
// Security, sign in with it, a sign counter set back is refused and audited,
// rename and remove, an administrator's reset removes passkeys too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { startServer, freePort, PASSWORD } from '../api/lib.mjs';
import { launch, newPage } from './lib.mjs';

const sql = (s, q) => {
  const r = spawnSync('sqlite3', [s.db, q], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
};

async function signInAt(page, base, email) {
  await page.goto(`${base}/console/sign-in`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

test('console: register a passkey, sign in with it, counter regression refused, reset removes it', async () => {
  const port = await freePort();
  const base = `http://localhost:${port}`;
  const s = await startServer({ port, args: ['--base-url', base] });
  const browser = await launch();
  try {
    const admin = await s.login();
    const other = await s.makeUser(admin, 'ida@acme.test', 'admin', 'Ida Admin');
    const page = await newPage(browser);
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', { options: {
      protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true,
      isUserVerified: true, automaticPresenceSimulation: true } });

    await signInAt(page, base, 'admin@acme.test');
    await page.locator('nav#sidebar').waitFor({ state: 'attached' });
    await page.goto(`${base}/console/profile`);
    const keys = page.getByTestId('passkeys');
    await keys.getByText('None yet').waitFor();
    await keys.getByLabel('Name of the new passkey').fill('Laptop');
    await keys.getByRole('button', { name: 'Add a passkey or security key' }).click();
    await keys.getByTestId('passkey').first().waitFor();
    assert.match(await keys.getByTestId('passkey').first().textContent(), /Laptop/);
    await page.shot('passkey-01-registered');
    assert.equal(sql(s, 'SELECT count(*) FROM webauthn_credentials'), '1');
    assert.match(sql(s, "SELECT detail FROM audit WHERE action = 'mfa.webauthn_added'"), /Laptop/);
    // The challenge was single use: none is left behind.
    assert.equal(sql(s, 'SELECT count(*) FROM webauthn_challenges'), '0');

    // Sign out and in: the second step asks for the passkey.
    await page.locator('header.topbar').getByRole('button', { name: 'Sign out' }).click();
    await signInAt(page, base, 'admin@acme.test');
    await page.getByRole('heading', { name: 'Second step' }).waitFor();
    await page.getByRole('button', { name: 'Use a passkey or security key' }).click();
    await page.locator('nav#sidebar').waitFor({ state: 'attached' });
    assert.doesNotMatch(page.url(), /second-step/);
    const count1 = Number(sql(s, 'SELECT sign_count FROM webauthn_credentials'));
    assert.ok(count1 > 0, 'the counter moved');
    assert.equal(sql(s, "SELECT count(*) FROM audit WHERE action = 'auth.mfa_verified' AND detail LIKE '%webauthn%'"), '1');

    // The authenticator's counter set back (a cloned key): refused and audited.
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    assert.equal(credentials.length, 1);
    const c = credentials[0];
    await cdp.send('WebAuthn.removeCredential', { authenticatorId, credentialId: c.credentialId });
    await cdp.send('WebAuthn.addCredential', { authenticatorId, credential: { ...c, signCount: 0 } });
    await page.locator('header.topbar').getByRole('button', { name: 'Sign out' }).click();
    await signInAt(page, base, 'admin@acme.test');
    await page.getByRole('heading', { name: 'Second step' }).waitFor();
    await page.getByRole('button', { name: 'Use a passkey or security key' }).click();
    await page.getByText('counter went backwards').waitFor();
    assert.match(page.url(), /second-step/);
    await page.shot('passkey-02-regression');
    assert.equal(Number(sql(s, 'SELECT sign_count FROM webauthn_credentials')), count1);
    assert.equal(sql(s, "SELECT count(*) FROM audit WHERE action = 'auth.mfa_failed' AND detail LIKE '%webauthn_counter_regression%'"), '1');

    // Another administrator sees that the person has one, and a reset removes
    // it; sign-in is a single step again.
    const adminId = sql(s, "SELECT id FROM users WHERE email = 'admin@acme.test'");
    const st = await s.api(`/v1/users/${adminId}/mfa`, { token: other.token });
    assert.equal(st.body.passkeys, 1);
    const reset = await s.api(`/v1/users/${adminId}/mfa/reset`, { method: 'POST', token: other.token });
    assert.equal(reset.status, 204, JSON.stringify(reset.body));
    assert.equal(sql(s, 'SELECT count(*) FROM webauthn_credentials'), '0');
    const again = await s.api('/v1/auth/login', { method: 'POST', body: { email: 'admin@acme.test', password: PASSWORD } });
    assert.equal(again.body.mfa_pending, null);
    page.assertClean();
  } finally {
    await browser.close();
    await s.stop();
  }
});

test('console: forced enrolment with a passkey instead of an app; signing with password and passkey', async () => {
  const port = await freePort();
  const base = `http://localhost:${port}`;
  const s = await startServer({ port, args: ['--base-url', base] });
  const browser = await launch();
  try {
    const admin = await s.login();
    const uma = await s.makeUser(admin, 'uma@acme.test', 'user', 'Uma Signer');
    assert.equal((await s.api(`/v1/users/${uma.id}/esignature`, { method: 'PUT', token: admin, body: { enabled: true } })).status, 200);
    assert.equal((await s.api('/v1/org/mfa', { method: 'PUT', token: admin, body: { policy: 'all' } })).status, 200);
    const page = await newPage(browser);
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    await cdp.send('WebAuthn.addVirtualAuthenticator', { options: {
      protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true,
      isUserVerified: true, automaticPresenceSimulation: true } });

    // Sign-in must enrol: a passkey does, and brings recovery codes.
    await signInAt(page, base, 'uma@acme.test');
    await page.getByRole('heading', { name: 'Set up a second factor' }).waitFor();
    await page.getByRole('button', { name: 'Use a passkey or security key instead' }).click();
    await page.getByTestId('recovery-codes').waitFor();
    assert.equal(await page.getByTestId('recovery-codes').getByRole('listitem').count(), 10);
    await page.shot('passkey-03-forced-enrolment');
    await page.getByRole('button', { name: 'I saved my codes, continue' }).click();
    await page.locator('nav#sidebar').waitFor({ state: 'attached' });
    assert.equal(sql(s, 'SELECT count(*) FROM webauthn_credentials'), '1');
    assert.equal(sql(s, "SELECT count(*) FROM sessions WHERE mfa_pending != ''"), '0');

    // The signature dialog: password and passkey.
    await page.goto(`${base}/console/signatures`);
    await page.getByLabel('Record reference').fill('INS-9');
    await page.getByRole('button', { name: 'Sign this record' }).click();
    const dlg = page.getByRole('dialog', { name: 'Sign electronically' });
    await dlg.getByLabel('Your password').fill(PASSWORD);
    await dlg.getByRole('button', { name: 'Sign' }).click();
    await dlg.getByText('Give your passkey or security key with it').waitFor();
    await dlg.getByLabel('Your password').fill(PASSWORD);
    await dlg.getByLabel('Confirm with my passkey or security key').check();
    await dlg.getByRole('button', { name: 'Sign' }).click();
    await dlg.waitFor({ state: 'detached' });
    const row = page.getByTestId('signature-row');
    await row.first().waitFor();
    assert.match(await row.first().textContent(), /Password and passkey/);
    const items = (await s.api('/v1/signatures?record_ref=INS-9', { token: admin })).body.items;
    assert.deepEqual(items.map((x) => [x.signer.id, x.method]), [[uma.id, 'password+passkey']]);

    // Changing one's password: the passkey is the second factor there too.
    await page.goto(`${base}/console/profile`);
    const pw = page.getByRole('region', { name: 'Password' });
    const NEW = 'seven blue lanterns at dawn';
    await pw.getByLabel('Current password').fill(PASSWORD);
    await pw.getByLabel('New password', { exact: true }).fill(NEW);
    await pw.getByLabel('Repeat the new password').fill(NEW);
    await pw.getByRole('button', { name: 'Change password' }).click();
    await pw.locator('.field[data-field=webauthn] .error', { hasText: 'Give your passkey or security key with it' }).waitFor();
    await pw.getByLabel('Confirm with my passkey or security key').check();
    await pw.getByRole('button', { name: 'Change password' }).click();
    await page.getByText('Password changed.').waitFor();
    assert.equal((await s.api('/v1/auth/login', { method: 'POST', body: { email: 'uma@acme.test', password: NEW } })).status, 200);
    page.assertClean();
  } finally {
    await browser.close();
    await s.stop();
  }
});
