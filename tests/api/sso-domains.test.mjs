// Company sign-in found by e-mail address (issue 16): an organization's SSO
// configuration declares the e-mail domains of its people (`domains`); a
// domain belongs to one organization at most (409 domain_taken), and
// /v1/auth/sso/start?email= and /v1/auth/sso/discover?email= find the IdP
// from an address. An unknown domain gets the same answer as an
// organization without SSO, and discovery by e-mail names the IdP only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, assertProblem } from './lib.mjs';
import { CLIENT_ID, CLIENT_SECRET, realOp, signInVia } from './ssolib.mjs';

test('e-mail domains: declared once, found by address, no enumeration', async () => {
  const s = await startServer();
  const op = await realOp(s.url, { 'sub-worker': { email: 'worker@acme.test', email_verified: true, name: 'Walt' } });
  try {
    const admin = await s.login();
    const worker = await s.makeUser(admin, 'worker@acme.test', 'user');
    const base = { protocol: 'oidc', display_name: 'Acme OP', issuer: op.issuer, client_id: CLIENT_ID, client_secret: CLIENT_SECRET };
    const put = (token, body) => s.api('/v1/org/sso', { method: 'PUT', token, body });

    // Validation: lowercase domain names, each once; nothing is stored.
    assertProblem(await put(admin, { ...base, domains: ['ACME.test'] }), 400, 'invalid_domain');
    const twice = await put(admin, { ...base, domains: ['acme.test', 'acme.test'] });
    assertProblem(twice, 400, 'invalid_domain');
    assert.equal(twice.body.errors[0].field, 'domains');
    assert.match(twice.body.errors[0].detail, /listed twice/);
    assertProblem(await put(admin, { ...base, domains: 'acme.test' }), 400, 'invalid_type');
    assert.equal((await s.api('/v1/org/sso', { token: admin })).status, 404);

    const ok = await put(admin, { ...base, domains: ['acme.test', 'acme-corp.test'] });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.deepEqual(ok.body.domains, ['acme.test', 'acme-corp.test']);
    const audit = (await s.api('/v1/audit?action=sso.configured', { token: admin })).body.items;
    assert.deepEqual(audit[0].detail.domains, ['acme.test', 'acme-corp.test']);

    // Discovery by address: the button's name and where it goes, not the org.
    const d = await s.api('/v1/auth/sso/discover?email=Walt%40ACME.test');
    assert.equal(d.status, 200, JSON.stringify(d.body));
    assert.deepEqual(d.body, { display_name: 'Acme OP', start_url: '/v1/auth/sso/start?email=Walt%40ACME.test' });

    // The domain is found whatever its case (domains are case-insensitive),
    // and the address is passed on as typed.
    for (const addr of ['x@ACME.TEST', 'X@Acme.Test', 'walt@acme-CORP.test']) {
      const u = await s.api(`/v1/auth/sso/discover?email=${encodeURIComponent(addr)}`);
      assert.equal(u.status, 200, `${addr}: ${JSON.stringify(u.body)}`);
      assert.equal(u.body.display_name, 'Acme OP');
      assert.equal(u.body.start_url, `/v1/auth/sso/start?email=${encodeURIComponent(addr)}`);
      const st = await fetch(`${s.url}/v1/auth/sso/start?email=${encodeURIComponent(addr)}`, { redirect: 'manual' });
      assert.equal(st.status, 302, addr);
      assert.ok(st.headers.get('location').startsWith(`${op.issuer}/`), `${addr} goes to Acme's IdP`);
    }
    // Case does not make an unknown domain known.
    assertProblem(await s.api('/v1/auth/sso/discover?email=x%40NOWHERE.test'), 404, 'sso_not_configured');
    assertProblem(await s.api('/v1/auth/sso/start?email=x%40NOWHERE.test'), 404, 'sso_not_configured');

    // An unknown domain answers exactly like an organization without SSO.
    const beta = await s.otherOrg('beta');
    const unknown = await s.api('/v1/auth/sso/discover?email=someone%40nowhere.test');
    const noSso = await s.api('/v1/auth/sso/discover?org=beta');
    assertProblem(unknown, 404, 'sso_not_configured');
    assert.deepEqual({ ...unknown.body, request_id: 0 }, { ...noSso.body, request_id: 0 });
    assertProblem(await s.api('/v1/auth/sso/start?email=someone%40nowhere.test'), 404, 'sso_not_configured');
    // Bad questions.
    assertProblem(await s.api('/v1/auth/sso/discover?email=not-an-address'), 400, 'invalid_email');
    assertProblem(await s.api('/v1/auth/sso/start?email=not-an-address'), 400, 'invalid_email');
    assertProblem(await s.api('/v1/auth/sso/start?email=worker%40acme.test&org=acme'), 400, 'invalid_query');

    // Sign-in started from the address lands in the right org.
    const signed = await signInVia(s.url, 'worker@acme.test', 'sub-worker');
    assert.equal(signed.status, 200, JSON.stringify(signed.body));
    assert.equal(signed.body.user.id, worker.id);
    // The same from an address typed with capitals.
    const upper = await signInVia(s.url, 'Worker@ACME.Test', 'sub-worker');
    assert.equal(upper.status, 200, JSON.stringify(upper.body));
    assert.equal(upper.body.user.id, worker.id);

    // Another organization cannot declare a domain that is taken.
    const betaBase = { ...base, display_name: 'Beta OP' };
    const taken = await put(beta, { ...betaBase, domains: ['beta.test', 'acme.test'] });
    assertProblem(taken, 409, 'domain_taken');
    assert.match(taken.body.detail, /acme\.test is already declared by another organization/);
    assert.equal((await s.api('/v1/org/sso', { token: beta })).status, 404, 'nothing of the refused write stays');
    assert.equal((await put(beta, { ...betaBase, domains: ['beta.test'] })).status, 200);
    assert.equal((await s.api('/v1/auth/sso/discover?email=x%40beta.test')).body.display_name, 'Beta OP');

    // Acme gives up a domain (or its SSO): beta may take it.
    assert.equal((await put(admin, { ...base, client_secret: undefined, domains: ['acme.test'] })).status, 200);
    assertProblem(await s.api('/v1/auth/sso/discover?email=x%40acme-corp.test'), 404, 'sso_not_configured');
    assert.equal((await s.api('/v1/org/sso', { method: 'DELETE', token: admin })).status, 204);
    assertProblem(await s.api('/v1/auth/sso/discover?email=x%40acme.test'), 404, 'sso_not_configured');
    assert.equal((await put(beta, { ...betaBase, client_secret: undefined, domains: ['beta.test', 'acme.test'] })).status, 200);
    assert.equal((await s.api('/v1/auth/sso/discover?email=x%40acme.test')).body.display_name, 'Beta OP');
  } finally {
    op.close();
    await s.stop();
  }
});
