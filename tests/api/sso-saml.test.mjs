// Company sign-in with SAML 2.0 (issue 16), end to end against an identity
// provider built on npm samlify: gatehouse's per-org SP metadata, a signed
// AuthnRequest by HTTP-Redirect (the IdP verifies its signature), the
// response by HTTP-POST to the ACS; linking by (entity id, NameID), JIT,
// group -> role mapping; and each refusal: a tampered signature, a wrong
// audience, an expired assertion, a replayed assertion, an unsigned
// response, an unsolicited one. Each is 401 sso_failed with a reason,
// audited auth.sso_failed, and opens no session.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PASSWORD, startServer, assertProblem } from './lib.mjs';
import { samlIdp, keyPair, postAcs, startSaml } from './samllib.mjs';

const configure = (s, token, body) => s.api('/v1/org/sso', { method: 'PUT', token, body });

async function spMetadata(s, org = 'acme') {
  const r = await fetch(`${s.url}/v1/auth/sso/${org}/saml/metadata`);
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /samlmetadata\+xml/);
  return r.text();
}

async function signIn(s, idp, user, change = {}) {
  const st = await startSaml(s.url, 'acme');
  assert.equal(st.status, 302, JSON.stringify(st.body));
  const md = await spMetadata(s);
  const ans = await idp.answer(md, st.location, user, change);
  return { ...(await postAcs(s.url, 'acme', ans)), answer: ans };
}

test('SAML sign-in against a samlify IdP: metadata, signed request, link, JIT, groups', async () => {
  const s = await startServer();
  const idp = samlIdp();
  try {
    const admin = await s.login();
    // No SAML configuration: no metadata.
    assertProblem(await s.api('/v1/auth/sso/acme/saml/metadata'), 404, 'sso_not_configured');
    const worker = await s.makeUser(admin, 'worker@acme.test', 'user');
    const cfg = { protocol: 'saml', display_name: 'Acme IdP', idp_metadata_xml: idp.metadata, groups_claim: 'groups',
      role_map: { Admins: 'admin' }, jit: { enabled: true, default_role: 'user', domains: ['acme.test'] } };
    const put = await configure(s, admin, cfg);
    assert.equal(put.status, 200, JSON.stringify(put.body));

    // The SP metadata: per-org entity id, ACS, a signing certificate; stable.
    const md = await spMetadata(s);
    assert.ok(md.includes(`entityID="${s.url}/v1/auth/sso/acme/saml/metadata"`), md);
    assert.ok(md.includes(`Location="${s.url}/v1/auth/sso/acme/saml/acs"`));
    assert.match(md, /<ds:X509Certificate>[A-Za-z0-9+/=]{200,}<\/ds:X509Certificate>/);
    assert.equal(await spMetadata(s), md);
    assert.ok(!/PRIVATE KEY/.test(md));

    // Test connection checks the IdP metadata.
    const t = await s.api('/v1/org/sso/test', { method: 'POST', token: admin });
    assert.equal(t.status, 200);
    assert.equal(t.body.ok, true, JSON.stringify(t.body));

    // An existing person, linked by the NameID e-mail the first time.
    const first = await signIn(s, idp, { email: 'worker@acme.test' });
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.equal(first.body.user.id, worker.id);
    assert.equal(first.answer.request.forceAuthn, false);
    const me = await s.api('/v1/me', { token: first.body.token });
    assert.equal(me.status, 200);
    assert.equal(me.body.email, 'worker@acme.test');
    const logins = (await s.api('/v1/audit?action=auth.login', { token: admin })).body.items;
    assert.deepEqual(logins[0].detail, { method: 'sso', idp: 'Acme IdP', issuer: idp.entityID });
    const linked = (await s.api('/v1/audit?action=identity.linked', { token: admin })).body.items;
    assert.equal(linked.length, 1);
    assert.equal(linked[0].detail.kind, 'saml');
    assert.equal(linked[0].detail.subject, 'worker@acme.test');

    // JIT: a new person from an allowed domain, with the group mapping.
    const pat = await signIn(s, idp, { email: 'pat@acme.test', attributes: { groups: ['Staff', 'Admins'] } });
    assert.equal(pat.status, 200, JSON.stringify(pat.body));
    assert.equal(pat.body.user.email, 'pat@acme.test');
    assert.equal(pat.body.user.role, 'admin');
    // ... but not from another domain.
    const eve = await signIn(s, idp, { email: 'eve@evil.test' });
    assert.equal(eve.status, 401);
    assert.equal(eve.body.reason, 'domain_not_allowed');

    // The e-mail from an attribute instead of the NameID.
    assert.equal((await configure(s, admin, { ...cfg, email_claim: 'mail' })).status, 200);
    const byAttr = await signIn(s, idp, { email: 'opaque-id-77', attributes: { mail: 'pat@acme.test' } });
    assert.equal(byAttr.status, 200, JSON.stringify(byAttr.body));
    assert.equal(byAttr.body.user.id, pat.body.user.id);
    const noMail = await signIn(s, idp, { email: 'opaque-id-78' });
    assert.equal(noMail.status, 401);
    assert.equal(noMail.body.reason, 'email_missing');
  } finally {
    await s.stop();
  }
});

test('SAML refusals: tampered, wrong audience, expired, replayed, unsigned, unsolicited, wrong IdP key', async () => {
  const s = await startServer();
  const idp = samlIdp();
  try {
    const admin = await s.login();
    await s.makeUser(admin, 'worker@acme.test', 'user');
    const put = await configure(s, admin, { protocol: 'saml', display_name: 'Acme IdP', idp_metadata_xml: idp.metadata });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    const user = { email: 'worker@acme.test' };
    const now = Date.now();
    const cases = [
      ['tampered signature', { tamper: 'admin@acme.test' }, 'signature_invalid'],
      ['wrong audience', { audience: 'https://other.example/sp' }, 'audience_mismatch'],
      ['expired assertion', { notBefore: now - 1_200_000, notOnOrAfter: now - 600_000 }, 'assertion_expired'],
      ['not yet valid', { notBefore: now + 900_000, notOnOrAfter: now + 1_200_000 }, 'clock_skew'],
      ['unsigned response', { unsigned: true }, 'unsigned'],
      ['wrong recipient', { recipient: 'https://elsewhere.example/acs' }, 'recipient_mismatch'],
      ['answer to another request', { inResponseTo: '_not-our-request' }, 'in_response_to_mismatch'],
    ];
    for (const [name, change, reason] of cases) {
      const r = await signIn(s, idp, user, change);
      assert.equal(r.status, 401, `${name}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.code, 'sso_failed', name);
      assert.equal(r.body.reason, reason, `${name}: ${JSON.stringify(r.body)}`);
      assert.ok(!r.body.token, name);
      assert.ok(!(r.headers.getSetCookie() || []).some((c) => /gh_session=[^;]/.test(c)), name);
    }

    // A replayed assertion: accepted once, refused the second time.
    const ok = await signIn(s, idp, user);
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    const again = await postAcs(s.url, 'acme', ok.answer);
    assert.equal(again.status, 401);
    assert.equal(again.body.reason, 'assertion_replayed');
    // ... also with a fresh sign-in's RelayState (the assertion id is what counts).
    const st = await startSaml(s.url, 'acme');
    const fresh = new URL(st.location).searchParams.get('RelayState');
    const again2 = await postAcs(s.url, 'acme', { SAMLResponse: ok.answer.SAMLResponse, RelayState: fresh });
    assert.equal(again2.status, 401);
    assert.ok(['assertion_replayed', 'in_response_to_mismatch'].includes(again2.body.reason), again2.body.reason);

    // Unsolicited (no RelayState), garbage, and another IdP's key.
    const unsolicited = await postAcs(s.url, 'acme', { SAMLResponse: ok.answer.SAMLResponse });
    assert.equal(unsolicited.status, 401);
    assert.equal(unsolicited.body.reason, 'unsolicited_response');
    const st2 = await startSaml(s.url, 'acme');
    const garbage = await postAcs(s.url, 'acme', { SAMLResponse: 'bm90IHhtbA==',
      RelayState: new URL(st2.location).searchParams.get('RelayState') });
    assert.equal(garbage.status, 401);
    assert.equal(garbage.body.reason, 'response_invalid');
    const impostor = samlIdp({ entityID: idp.entityID, keys: keyPair('impostor') });
    const forged = await signIn(s, impostor, user);
    assert.equal(forged.status, 401);
    assert.equal(forged.body.reason, 'signature_invalid');

    // A browser is sent back to the sign-in page with the reason.
    const st3 = await startSaml(s.url, 'acme');
    const ans = await idp.answer(await spMetadata(s), st3.location, user, { audience: 'https://other.example/sp' });
    const br = await postAcs(s.url, 'acme', ans, 'text/html');
    assert.equal(br.status, 302);
    assert.match(br.headers.get('location'), /^\/console\/sign-in\?sso_error=audience_mismatch&org=acme$/);

    // Each refusal audited with its reason; no 5xx anywhere.
    const reasons = (await s.api('/v1/audit?action=auth.sso_failed&limit=100', { token: admin })).body.items
      .map((e) => e.detail.reason);
    for (const [, , reason] of cases) assert.ok(reasons.includes(reason), `${reason} audited`);
    for (const reason of ['assertion_replayed', 'unsolicited_response', 'response_invalid'])
      assert.ok(reasons.includes(reason), `${reason} audited`);
    // Only the one good sign-in opened a session.
    const logins = (await s.api('/v1/audit?action=auth.login&limit=100', { token: admin })).body.items
      .filter((e) => e.detail?.method === 'sso');
    assert.equal(logins.length, 1);
  } finally {
    await s.stop();
  }
});

test('SAML re-authentication asks for ForceAuthn and proves the same person', async () => {
  const s = await startServer();
  const idp = samlIdp();
  try {
    const admin = await s.login();
    await s.makeUser(admin, 'worker@acme.test', 'user');
    assert.equal((await configure(s, admin, { protocol: 'saml', display_name: 'Acme IdP', idp_metadata_xml: idp.metadata })).status, 200);
    const signed = await signIn(s, idp, { email: 'worker@acme.test' });
    assert.equal(signed.status, 200, JSON.stringify(signed.body));
    const r = await s.api('/v1/me/reauth/sso', { method: 'POST', token: signed.body.token, body: { purpose: 'e_signature' } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const md = await spMetadata(s);
    // An old AuthnInstant is not a re-authentication.
    const stale = await idp.answer(md, r.body.authorization_url, { email: 'worker@acme.test' }, { authnInstant: Date.now() - 3_600_000 });
    assert.equal(stale.request.forceAuthn, true);
    const sr = await postAcs(s.url, 'acme', stale);
    assert.equal(sr.status, 401);
    assert.equal(sr.body.reason, 'reauth_not_fresh');
    const r2 = await s.api('/v1/me/reauth/sso', { method: 'POST', token: signed.body.token, body: { purpose: 'e_signature' } });
    const ans = await idp.answer(md, r2.body.authorization_url, { email: 'worker@acme.test' });
    const done = await postAcs(s.url, 'acme', ans);
    assert.equal(done.status, 200, JSON.stringify(done.body));
    assert.equal(done.body.reauthenticated, true);
    assert.ok(!done.body.token);
  } finally {
    await s.stop();
  }
});

test('required SSO: an invitation cannot be accepted with a password', async () => {
  const s = await startServer();
  const idp = samlIdp();
  try {
    const admin = await s.login();
    const adminId = (await s.api('/v1/me', { token: admin })).body.id;
    const r = await configure(s, admin, { protocol: 'saml', display_name: 'Acme IdP', idp_metadata_xml: idp.metadata,
      required: true, break_glass: [adminId], jit: { enabled: true, default_role: 'user', domains: ['acme.test'] } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const inv = await s.api('/v1/invites', { method: 'POST', token: admin, body: { emails: ['casey@acme.test'], role: 'user' } });
    assert.equal(inv.status, 200, JSON.stringify(inv.body));
    const token = s.lastToken('casey@acme.test', 'invite');
    const before = (await s.api('/v1/users', { token: admin })).body.items.length;
    const acc = await s.api('/v1/invites/accept', { method: 'POST',
      body: { token, name: 'Casey', password: 'a long enough passphrase 42' } });
    assertProblem(acc, 403, 'sso_required');
    assert.equal(acc.body.sso_start_url, '/v1/auth/sso/start?org=acme');
    assert.equal((await s.api('/v1/users', { token: admin })).body.items.length, before, 'nothing created');
    // A break-glass account is an existing person: password sign-in still works for it.
    assert.equal((await s.api('/v1/auth/login', { method: 'POST',
      body: { email: 'admin@acme.test', password: PASSWORD } })).status, 200);
    // Without required SSO, the same kind of invitation is accepted with a password.
    assert.equal((await configure(s, admin, { protocol: 'saml', display_name: 'Acme IdP', idp_metadata_xml: idp.metadata })).status, 200);
    await s.api('/v1/invites', { method: 'POST', token: admin, body: { emails: ['dana@acme.test'], role: 'user' } });
    const ok = await s.api('/v1/invites/accept', { method: 'POST',
      body: { token: s.lastToken('dana@acme.test', 'invite'), name: 'Dana', password: 'a long enough passphrase 42' } });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
  } finally {
    await s.stop();
  }
});
