// The user page shows how a person signs in (issue 16): the password's
// state and the company sign-in identities (issuer, subject, linked, last
// used); an administrator unlinks one after confirming.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, PASSWORD } from '../api/lib.mjs';
import { CLIENT_ID, CLIENT_SECRET, realOp, signInVia } from '../api/ssolib.mjs';
import { launch, newPage, signIn } from './lib.mjs';

test('user page: sign-in methods and unlinking an identity', async () => {
  const s = await startServer();
  const op = await realOp(s.url, { 'sub-worker': { email: 'worker@acme.test', email_verified: true, name: 'Walt' } });
  const browser = await launch();
  try {
    const admin = await s.login();
    const worker = await s.makeUser(admin, 'worker@acme.test', 'user', 'Walt Worker');
    assert.equal((await s.api('/v1/org/sso', { method: 'PUT', token: admin, body: {
      protocol: 'oidc', display_name: 'Acme OP', issuer: op.issuer, client_id: CLIENT_ID, client_secret: CLIENT_SECRET } })).status, 200);
    assert.equal((await signInVia(s.url, 'acme', 'sub-worker')).status, 200);

    const page = await newPage(browser);
    await signIn(page, s.url, 'admin@acme.test', PASSWORD);
    await page.goto(`${s.url}/console/users/${worker.id}`);
    const card = page.getByTestId('user-signin-methods');
    await card.getByText('Password: set.').waitFor();
    const row = card.locator('tr[data-identity]');
    await row.getByText('sub-worker').waitFor();
    assert.match(await row.innerText(), /OpenID Connect/);
    assert.ok((await row.innerText()).includes(op.issuer));
    assert.ok(!(await row.innerText()).includes('Never'), 'the sign-in was recorded as the last use');
    await page.screenshot({ path: `${import.meta.dirname}/screenshots/sso-05-user-signin-methods.png`, fullPage: true });

    await card.getByRole('button', { name: 'Unlink sub-worker' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Unlink' }).click();
    await page.getByText('Identity unlinked.').waitFor();
    await card.getByText('has not signed in with the company IdP yet').waitFor();
    assert.deepEqual((await s.api(`/v1/users/${worker.id}/sign-in-methods`, { token: admin })).body.identities, []);
  } finally {
    await browser.close();
    op.close();
    await s.stop();
  }
});
