// The settings page's company sign-in section (issue 16): the OIDC settings
// are saved (the client secret is write-only), errors are shown on the field
// they concern, "Test connection" reports what works and what does not, and
// removing the configuration brings passwords back for everyone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { startServer, PASSWORD } from '../api/lib.mjs';
import { launch, newPage, signIn } from './lib.mjs';

function fakeIdp() {
  const srv = createServer((req, res) => {
    const base = `http://127.0.0.1:${srv.address().port}`;
    const json = (v) => { res.writeHead(200, { 'Content-Type': 'application/json' }); res.end(JSON.stringify(v)); };
    if (req.url === '/.well-known/openid-configuration') {
      return json({ issuer: base, authorization_endpoint: `${base}/auth`, token_endpoint: `${base}/token`, jwks_uri: `${base}/jwks`,
        response_types_supported: ['code'], id_token_signing_alg_values_supported: ['RS256'] });
    }
    if (req.url === '/jwks') return json({ keys: [{ kty: 'RSA', use: 'sig', kid: 'k1', n: 'AQAB', e: 'AQAB' }] });
    res.writeHead(404);
    res.end();
  });
  return new Promise((r) => srv.listen(0, '127.0.0.1', () => r(srv)));
}

test('settings: company sign-in (SSO) section with Test connection', async () => {
  const idp = await fakeIdp();
  const s = await startServer();
  const browser = await launch();
  try {
    const admin = await s.login();
    const page = await newPage(browser);
    await signIn(page, s.url, 'admin@acme.test', PASSWORD);
    await page.goto(`${s.url}/console/settings`);
    const sec = page.getByRole('region', { name: 'Company sign-in (SSO)' });
    await sec.getByText('Company sign-in is not configured').waitFor();
    assert.equal(await sec.getByRole('button', { name: 'Test connection' }).isDisabled(), true);

    await sec.getByLabel('Name on the sign-in button').fill('Acme Keycloak');
    await sec.getByLabel('Issuer URL').fill('http://idp.example.com/realms/acme');
    await sec.getByLabel('Client id').fill('gatehouse');
    await sec.getByRole('button', { name: 'Save' }).click();
    await sec.locator('.field[data-field=issuer] .error').filter({ hasText: 'plain http is allowed only to a loopback address' }).waitFor();

    await sec.getByLabel('Issuer URL').fill(`http://127.0.0.1:${idp.address().port}`);
    await sec.getByRole('button', { name: 'Save' }).click();
    await sec.locator('.field[data-field=client_secret] .error').filter({ hasText: 'client_secret is required' }).waitFor();
    await sec.getByLabel('Client secret').fill('s3cret-from-keycloak');
    await sec.getByLabel('Sign-in domains').fill('ACME.test');
    await sec.getByRole('button', { name: 'Save' }).click();
    await sec.locator('.field[data-field=domains] .error').filter({ hasText: "'ACME.test' is not a domain name" }).waitFor();
    await sec.getByLabel('Sign-in domains').fill('acme.test');
    await sec.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Company sign-in saved.').waitFor();
    assert.equal(await sec.getByLabel('Client secret').inputValue(), '', 'the secret is not shown back');
    await sec.getByText('Not tested yet').waitFor();
    await sec.getByText(`${s.url}/v1/auth/sso/oidc/callback`).waitFor();
    const stored = (await s.api('/v1/org/sso', { token: admin })).body;
    assert.equal(stored.display_name, 'Acme Keycloak');
    assert.equal(stored.client_secret_set, true);
    assert.deepEqual(stored.domains, ['acme.test']);

    await sec.getByRole('button', { name: 'Test connection' }).click();
    await page.getByText('The connection works.').waitFor();
    await sec.getByText('Last test passed').waitFor();

    // Point it at an IdP that is not there: the failure is named.
    await sec.getByLabel('Issuer URL').fill('http://127.0.0.1:1');
    await sec.getByLabel('Client secret').fill('again');
    await sec.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Company sign-in saved.').first().waitFor();
    await sec.getByRole('button', { name: 'Test connection' }).click();
    await sec.getByText('Last test failed').waitFor();
    await page.screenshot({ path: `${import.meta.dirname}/screenshots/sso-01-test-failed.png` });

    await sec.getByRole('button', { name: 'Remove' }).click();
    await sec.getByText('Company sign-in is not configured').waitFor();
    assert.equal((await s.api('/v1/org/sso', { token: admin })).status, 404);
  } finally {
    await browser.close();
    await s.stop();
    idp.close();
  }
});
