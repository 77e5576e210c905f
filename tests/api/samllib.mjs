// A SAML 2.0 identity provider for tests (issue 16), built on npm samlify:
// it reads gatehouse's SP metadata, verifies the signed AuthnRequest that
// gatehouse redirects to, and answers signed responses, optionally changed
// (wrong audience, expired, tampered after signing, or not signed at all)
// to test that gatehouse refuses each.
import { spawnSync } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import samlifyModule from 'samlify';
import * as validator from '@authenio/samlify-node-xmllint';

const samlify = samlifyModule;
samlify.setSchemaValidator(validator);

const REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';
const EMAIL_FORMAT = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';

/** A self-signed RSA key and certificate (PEM) from the openssl CLI. */
export function keyPair(cn = 'test idp') {
  const dir = mkdtempSync(join(tmpdir(), 'gh-saml-'));
  try {
    const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', `/CN=${cn}`,
      '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem')], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`openssl: ${r.stderr}`);
    return { key: readFileSync(join(dir, 'k.pem'), 'utf8'), cert: readFileSync(join(dir, 'c.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const iso = (ms) => new Date(ms).toISOString();

/** The test IdP. entityID is also its (unused) single sign-on host. */
export function samlIdp({ entityID = 'https://idp.acme.test/saml', keys = keyPair() } = {}) {
  const idp = samlify.IdentityProvider({
    entityID,
    privateKey: keys.key,
    signingCert: keys.cert,
    wantAuthnRequestsSigned: true,
    nameIDFormat: [EMAIL_FORMAT],
    singleSignOnService: [{ Binding: REDIRECT, Location: 'https://idp.acme.test/sso' }],
  });
  return {
    entityID,
    metadata: idp.getMetadata(),
    /**
     * Answers the AuthnRequest at `location` (gatehouse's redirect) for
     * user {email, attributes: {name: value | [values]}} with changes:
     * {audience, notOnOrAfter (ms), notBefore (ms), recipient, tamper
     * (replace the NameID after signing), unsigned}. Returns {SAMLResponse,
     * RelayState, request: {id, forceAuthn}}.
     */
    async answer(spMetadata, location, user, change = {}) {
      const sp = samlify.ServiceProvider({ metadata: spMetadata });
      const url = new URL(location);
      const raw = url.search.slice(1);
      const octetString = raw.split('&').filter((p) => !p.startsWith('Signature=')).join('&');
      const query = Object.fromEntries(url.searchParams);
      const parsed = await idp.parseLoginRequest(sp, 'redirect', { query, octetString });
      const requestXml = inflateRawSync(Buffer.from(query.SAMLRequest, 'base64')).toString('utf8');
      const request = { id: parsed.extract.request.id, forceAuthn: /ForceAuthn="true"/.test(requestXml), xml: requestXml };
      const now = Date.now();
      const acs = sp.entityMeta.getAssertionConsumerService('post');
      const attrs = Object.entries(user.attributes || {}).map(([name, v]) => `<saml:Attribute Name="${name}">`
        + [].concat(v).map((x) => `<saml:AttributeValue xsi:type="xs:string">${x}</saml:AttributeValue>`).join('')
        + '</saml:Attribute>').join('');
      const values = (id) => ({
        ID: id,
        AssertionID: change.assertionId || `_a${Math.random().toString(16).slice(2)}${now}`,
        Destination: acs,
        Audience: change.audience || sp.entityMeta.getEntityID(),
        SubjectRecipient: change.recipient || acs,
        Issuer: entityID,
        IssueInstant: iso(now),
        StatusCode: 'urn:oasis:names:tc:SAML:2.0:status:Success',
        ConditionsNotBefore: iso(change.notBefore ?? now - 1000),
        ConditionsNotOnOrAfter: iso(change.notOnOrAfter ?? now + 300_000),
        SubjectConfirmationDataNotOnOrAfter: iso(change.notOnOrAfter ?? now + 300_000),
        NameIDFormat: EMAIL_FORMAT,
        NameID: user.email,
        InResponseTo: change.inResponseTo ?? request.id,
        AuthnStatement: '@@AUTHN@@',
        AttributeStatement: '@@ATTRS@@',
      });
      // replaceTagsByValue escapes values: the statements go in afterwards.
      const authn = `<saml:AuthnStatement AuthnInstant="${iso(change.authnInstant ?? now)}"><saml:AuthnContext>`
          + '<saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:Password</saml:AuthnContextClassRef>'
          + '</saml:AuthnContext></saml:AuthnStatement>';
      const statements = (xml) => xml.replace('@@AUTHN@@', authn)
        .replace('@@ATTRS@@', attrs ? `<saml:AttributeStatement>${attrs}</saml:AttributeStatement>` : '');
      let SAMLResponse;
      if (change.unsigned) {
        const xml = statements(samlify.SamlLib.replaceTagsByValue(samlify.SamlLib.defaultLoginResponseTemplate.context,
          values(`_r${now}`)));
        SAMLResponse = Buffer.from(xml).toString('base64');
      } else {
        const res = await idp.createLoginResponse(sp, { extract: { request: { id: request.id } } }, 'post', user, (template) => {
          const id = `_r${Math.random().toString(16).slice(2)}`;
          return { id, context: statements(samlify.SamlLib.replaceTagsByValue(template, values(id))) };
        });
        SAMLResponse = res.context;
      }
      if (change.tamper) {
        const xml = Buffer.from(SAMLResponse, 'base64').toString('utf8');
        const changed = xml.replace(`>${user.email}</saml:NameID>`, `>${change.tamper}</saml:NameID>`);
        if (changed === xml) throw new Error('nothing to tamper with');
        SAMLResponse = Buffer.from(changed).toString('base64');
      }
      return { SAMLResponse, RelayState: query.RelayState, request };
    },
  };
}

/**
 * Posts a response to gatehouse's ACS as the browser would, on a new
 * connection (building a response can take longer than the server keeps an
 * idle keep-alive connection, and a reused one may be closed under us).
 */
export function postAcs(ghUrl, org, { SAMLResponse, RelayState }, accept = 'application/json') {
  const form = new URLSearchParams();
  if (SAMLResponse !== undefined) form.set('SAMLResponse', SAMLResponse);
  if (RelayState !== undefined) form.set('RelayState', RelayState);
  const body = Buffer.from(form.toString());
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${ghUrl}/v1/auth/sso/${org}/saml/acs`, {
      method: 'POST', agent: false,
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: accept, 'Content-Length': body.length },
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json = null;
        try { json = JSON.parse(text); } catch { json = text; }
        const raw = res.headers;
        const headers = { get: (k) => raw[k.toLowerCase()] ?? null, getSetCookie: () => [].concat(raw['set-cookie'] || []) };
        resolve({ status: res.statusCode, body: json, headers });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Starts a SAML sign-in at gatehouse: the IdP URL it redirects to. */
export async function startSaml(ghUrl, org) {
  const res = await fetch(`${ghUrl}/v1/auth/sso/start?org=${org}`, { redirect: 'manual' });
  if (res.status !== 302) return { status: res.status, body: await res.json().catch(() => null) };
  return { status: 302, location: res.headers.get('location') };
}
