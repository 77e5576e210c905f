// The settings page's company sign-in section (issue 16): the OIDC settings
// are saved (the client secret is write-only), errors are shown on the field
// they concern, "Test connection" reports what works and what does not, and
// removing the configuration brings passwords back for everyone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { startServer, PASSWORD } from '../api/lib.mjs';
import { samlIdp } from '../api/samllib.mjs';
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

test('settings: a SAML configuration from the IdP metadata, with Test connection', async () => {
  const idp = samlIdp();
  const meta = createServer((req, res) => {
    if (req.url !== '/metadata') { res.writeHead(404); return res.end(); }
    res.writeHead(200, { 'Content-Type': 'application/samlmetadata+xml' });
    res.end(idp.metadata);
  });
  await new Promise((r) => meta.listen(0, '127.0.0.1', r));
  const s = await startServer();
  const browser = await launch();
  try {
    const admin = await s.login();
    const page = await newPage(browser);
    await signIn(page, s.url, 'admin@acme.test', PASSWORD);
    await page.goto(`${s.url}/console/settings`);
    const sec = page.getByRole('region', { name: 'Company sign-in (SSO)' });
    await sec.getByText('Company sign-in is not configured').waitFor();
    // The protocol choice shows its own fields.
    assert.equal(await sec.getByLabel('IdP metadata URL').isVisible(), false);
    await sec.getByLabel('Protocol').selectOption('saml');
    await sec.getByLabel('IdP metadata URL').waitFor();
    assert.equal(await sec.getByLabel('Issuer URL').isVisible(), false);
    assert.equal(await sec.getByLabel('Client secret').isVisible(), false);

    await sec.getByLabel('Name on the sign-in button').fill('Acme ADFS');
    await sec.getByLabel('Claim with the e-mail address').fill('');
    // Pasted metadata that is not an IdP's is refused on its field; nothing is stored.
    await sec.getByLabel('IdP metadata XML').fill('<html>not metadata</html>');
    await sec.getByRole('button', { name: 'Save' }).click();
    await sec.locator('.field[data-field=idp_metadata_xml] .error').waitFor();
    assert.equal((await s.api('/v1/org/sso', { token: admin })).status, 404);

    // The pasted XML of the IdP is accepted.
    await sec.getByLabel('IdP metadata XML').fill(idp.metadata);
    await sec.getByLabel('Sign-in domains').fill('acme.test');
    await sec.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Company sign-in saved.').waitFor();
    let stored = (await s.api('/v1/org/sso', { token: admin })).body;
    assert.equal(stored.protocol, 'saml');
    assert.equal(stored.display_name, 'Acme ADFS');
    assert.ok(stored.idp_metadata_xml.includes(idp.entityID));
    assert.deepEqual(stored.domains, ['acme.test']);
    assert.equal(stored.email_claim ?? null, null, 'empty: the NameID');
    await sec.getByText(`${s.url}/v1/auth/sso/acme/saml/acs`).waitFor();
    await sec.getByText('SAML 2.0: Acme ADFS').waitFor();

    // Then by URL (the URL wins over pasted XML), and the test fetches it.
    await sec.getByLabel('IdP metadata URL').fill(`http://127.0.0.1:${meta.address().port}/metadata`);
    await sec.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Company sign-in saved.').first().waitFor();
    stored = (await s.api('/v1/org/sso', { token: admin })).body;
    assert.equal(stored.idp_metadata_url, `http://127.0.0.1:${meta.address().port}/metadata`);
    assert.equal(stored.idp_metadata_xml, undefined);
    await sec.getByRole('button', { name: 'Test connection' }).click();
    await page.getByText('The connection works.').waitFor();
    await sec.getByText('Last test passed').waitFor();

    // A URL that answers nothing useful: the test fails and says so.
    await sec.getByLabel('IdP metadata URL').fill(`http://127.0.0.1:${meta.address().port}/gone`);
    await sec.getByRole('button', { name: 'Save' }).click();
    // Saved once the API answers the new URL (no fixed wait).
    for (let i = 0; ; i++) {
      const now = (await s.api('/v1/org/sso', { token: admin })).body.idp_metadata_url;
      if (now.endsWith('/gone')) break;
      assert.ok(i < 600, `the new URL was never saved (${now})`);
      await new Promise((r) => setTimeout(r, 100));
    }
    await sec.getByRole('button', { name: 'Test connection' }).click();
    await sec.getByText('Last test failed').waitFor();
    await page.screenshot({ path: `${import.meta.dirname}/screenshots/sso-02-saml.png` });

    // Reloaded, the page shows the SAML fields of the stored configuration.
    await page.reload();
    await sec.getByLabel('IdP metadata URL').waitFor();
    assert.equal(await sec.getByLabel('Protocol').inputValue(), 'saml');
    assert.equal(await sec.getByLabel('IdP metadata URL').inputValue(), `http://127.0.0.1:${meta.address().port}/gone`);
  } finally {
    await browser.close();
    await s.stop();
    meta.close();
  }
});
