// "Test connection" (issue 16): POST /v1/org/sso/test fetches the IdP's
// discovery document and JWKS (OIDC) or metadata (SAML) off the HTTP
// threads and answers what works and what does not, in words an IT
// administrator can act on; the outcome is kept (last_test_at, last_error)
// and audited. A failing IdP is an answer (ok: false), never a 5xx.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { startServer, assertProblem } from './lib.mjs';
import { keyPair } from './samllib.mjs';

// A real certificate: Test connection has lasso read the metadata.
const IDP_CERT = keyPair('test idp').cert.replace(/-----[A-Z ]+-----|\s/g, '');

// A small IdP on loopback: each first path segment is a variant.
function fakeIdp() {
  const srv = createServer((req, res) => {
    const [, variant, ...rest] = req.url.split('/');
    const base = `http://127.0.0.1:${srv.address().port}/${variant}`;
    const json = (code, v) => { res.writeHead(code, { 'Content-Type': 'application/json' }); res.end(JSON.stringify(v)); };
    const tail = rest.join('/');
    if (tail === '.well-known/openid-configuration') {
      if (variant === 'missing') return json(404, { error: 'not found' });
      if (variant === 'redirect') { res.writeHead(302, { Location: 'http://127.0.0.1:1/' }); return res.end(); }
      if (variant === 'notjson') { res.writeHead(200); return res.end('<html>login</html>'); }
      if (variant === 'huge') { res.writeHead(200); return res.end(`{"x":"${'a'.repeat(2 * 1024 * 1024)}"}`); }
      const doc = {
        issuer: variant === 'wrongiss' ? 'https://elsewhere.example.com' : base,
        authorization_endpoint: `${base}/auth`, token_endpoint: `${base}/token`, jwks_uri: `${base}/jwks`,
        response_types_supported: ['code'], code_challenge_methods_supported: ['S256'],
        id_token_signing_alg_values_supported: ['RS256'], token_endpoint_auth_methods_supported: ['client_secret_basic'],
      };
      if (variant === 'plain') doc.code_challenge_methods_supported = ['plain'];
      if (variant === 'hmac') doc.id_token_signing_alg_values_supported = ['HS256', 'none'];
      if (variant === 'remote') doc.token_endpoint = 'http://idp.example.com/token';
      return json(200, doc);
    }
    if (tail === 'jwks') {
      if (variant === 'nokeys') return json(200, { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] });
      return json(200, { keys: [{ kty: 'RSA', use: 'sig', kid: 'k1', n: 'AQAB', e: 'AQAB' }] });
    }
    if (tail === 'saml-metadata') {
      res.writeHead(200, { 'Content-Type': 'application/samlmetadata+xml' });
      // samlnopse: no protocolSupportEnumeration, which crashes lasso 2.8
      // (it must be refused before lasso reads it, on any thread).
      const pse = variant === 'samlnopse' ? '' : ' protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"';
      return res.end(variant === 'samlbad' ? '<html/>'
        : `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp"><md:IDPSSODescriptor${pse}>`
          + `<md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>${IDP_CERT}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>`
          + '<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp/sso"/></md:IDPSSODescriptor></md:EntityDescriptor>');
    }
    res.writeHead(404);
    res.end();
  });
  return new Promise((res) => srv.listen(0, '127.0.0.1', () => res(srv)));
}

test('Test connection: OIDC discovery and JWKS, each failure named', async () => {
  const idp = await fakeIdp();
  const s = await startServer();
  try {
    const admin = await s.login();
    const worker = await s.makeUser(admin, 'worker@acme.test', 'user');
    const base = `http://127.0.0.1:${idp.address().port}`;
    assertProblem(await s.api('/v1/org/sso/test', { method: 'POST', token: admin }), 404, 'sso_not_configured');
    const configure = async (variant) => {
      const r = await s.api('/v1/org/sso', {
        method: 'PUT', token: admin,
        body: { protocol: 'oidc', display_name: 'Test IdP', issuer: `${base}/${variant}`, client_id: 'gh', client_secret: 'x' },
      });
      assert.equal(r.status, 200, JSON.stringify(r.body));
    };
    const run = () => s.api('/v1/org/sso/test', { method: 'POST', token: admin });

    await configure('good');
    assertProblem(await s.api('/v1/org/sso/test', { method: 'POST', token: worker.token }), 403, 'permission_denied');
    const ok = await run();
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal(ok.body.ok, true, JSON.stringify(ok.body));
    assert.equal(ok.body.error, null);
    assert.deepEqual(ok.body.checks.map((c) => c.name),
      ['discovery', 'issuer', 'authorization_endpoint', 'token_endpoint', 'jwks_uri', 'code_flow', 'pkce_s256', 'signing_alg', 'client_auth', 'jwks']);
    let cfg = (await s.api('/v1/org/sso', { token: admin })).body;
    assert.ok(cfg.last_test_at);
    assert.equal(cfg.last_error, null);

    const failures = [
      ['missing', 'discovery', /answered HTTP 404/],
      ['redirect', 'discovery', /answered HTTP 302/],
      ['notjson', 'discovery', /did not answer a JSON object/],
      ['huge', 'discovery', /more than 1048576 bytes/],
      ['wrongiss', 'issuer', /names itself "https:\/\/elsewhere\.example\.com"/],
      ['plain', 'pkce_s256', /lacks S256/],
      ['hmac', 'signing_alg', /none of RS256, ES256, PS256/],
      ['remote', 'token_endpoint', /plain http is allowed only to a loopback address/],
      ['nokeys', 'jwks', /0 signing keys/],
    ];
    for (const [variant, name, why] of failures) {
      await configure(variant);
      const r = await run();
      assert.equal(r.status, 200, `${variant}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.ok, false, variant);
      const failed = r.body.checks.find((c) => !c.ok);
      assert.equal(failed.name, name, `${variant}: ${JSON.stringify(r.body.checks)}`);
      assert.match(r.body.error, why, variant);
      cfg = (await s.api('/v1/org/sso', { token: admin })).body;
      assert.equal(cfg.last_error, r.body.error, 'the last error is kept for the console');
    }
    // Nobody listening: a clear network error, still not a 5xx.
    const closed = await s.api('/v1/org/sso', {
      method: 'PUT', token: admin,
      body: { protocol: 'oidc', display_name: 'Gone', issuer: 'http://127.0.0.1:1/x', client_id: 'gh', client_secret: 'x' },
    });
    assert.equal(closed.status, 200);
    const gone = await run();
    assert.equal(gone.status, 200);
    assert.equal(gone.body.ok, false);
    assert.match(gone.body.error, /127\.0\.0\.1:1/);

    const audit = (await s.api('/v1/audit?action=sso.tested&limit=100', { token: admin })).body.items;
    assert.equal(audit.length, failures.length + 2);
    assert.equal(audit.at(-1).detail.ok, true);
    assert.equal(audit[0].detail.ok, false);
    assert.match(audit[0].detail.error, /127\.0\.0\.1:1/);
  } finally {
    await s.stop();
    idp.close();
  }
});

test('Test connection: SAML metadata from a URL', async () => {
  const idp = await fakeIdp();
  const s = await startServer();
  try {
    const admin = await s.login();
    const base = `http://127.0.0.1:${idp.address().port}`;
    for (const [variant, ok] of [['samlgood', true], ['samlbad', false], ['samlnopse', false], ['samlgood', true]]) {
      const r = await s.api('/v1/org/sso', {
        method: 'PUT', token: admin,
        body: { protocol: 'saml', display_name: 'ADFS', idp_metadata_url: `${base}/${variant}/saml-metadata` },
      });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      const t = await s.api('/v1/org/sso/test', { method: 'POST', token: admin });
      assert.equal(t.status, 200);
      assert.equal(t.body.ok, ok, JSON.stringify(t.body));
      if (variant === 'samlgood') {
        const lasso = t.body.checks.find((c) => c.name === 'lasso');
        assert.equal(lasso?.ok, true, JSON.stringify(t.body));
        assert.match(lasso.detail, /https:\/\/idp, single sign-on at https:\/\/idp\/sso/);
      }
      if (variant === 'samlnopse') assert.match(t.body.error, /IDPSSODescriptor has no protocolSupportEnumeration/);
    }
    // The same metadata pasted inline is refused when saved, naming the field.
    const xml = await (await fetch(`${base}/samlnopse/saml-metadata`)).text();
    const bad = await s.api('/v1/org/sso', { method: 'PUT', token: admin,
      body: { protocol: 'saml', display_name: 'ADFS', idp_metadata_xml: xml } });
    assertProblem(bad, 400, 'invalid_idp_metadata');
    assert.equal(bad.body.errors[0].field, 'idp_metadata_xml');
    assert.match(bad.body.errors[0].detail, /^The metadata's IDPSSODescriptor has no protocolSupportEnumeration/);
    assert.equal((await s.api('/v1/org/sso', { token: admin })).body.idp_metadata_url, `${base}/samlgood/saml-metadata`);
  } finally {
    await s.stop();
    idp.close();
  }
});
