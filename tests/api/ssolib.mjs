// Test identity providers for company sign-in (issue 16):
// - realOp(): the npm oidc-provider package, a certified OpenID Provider,
//   on loopback (plain http is allowed for loopback issuers), with a test
//   client and accounts; signInVia() clicks through its login and consent
//   pages with fetch, as a browser would.
// - forgeOp(): a small OP whose token endpoint returns ID tokens we forge
//   (wrong aud, expired, alg none, tampered, unknown kid...), to test that
//   gatehouse refuses each one.
import { createServer } from 'node:http';
import { generateKeyPairSync, createSign, randomBytes } from 'node:crypto';
import Provider from 'oidc-provider';

export const CLIENT_ID = 'gatehouse';
export const CLIENT_SECRET = 'op-client-secret-7f3a';

const listen = (srv) => new Promise((res) => srv.listen(0, '127.0.0.1', () => res(srv.address().port)));

function rsaJwk(kid) {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { privateKey, jwk: { ...privateKey.export({ format: 'jwk' }), kid, use: 'sig', alg: 'RS256' } };
}

/** accounts: {sub: {email, email_verified, name, groups}} (mutable: tests change them). */
export async function realOp(ghUrl, accounts) {
  const srv = createServer();
  const port = await listen(srv);
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: [{
      client_id: CLIENT_ID, client_secret: CLIENT_SECRET, redirect_uris: [`${ghUrl}/v1/auth/sso/oidc/callback`],
      post_logout_redirect_uris: [`${ghUrl}/console/sign-in`],
      grant_types: ['authorization_code'], response_types: ['code'], token_endpoint_auth_method: 'client_secret_basic',
    }],
    jwks: { keys: [rsaJwk('op-key-1').jwk] },
    findAccount: (ctx, id) => (accounts[id] ? { accountId: id, claims: () => ({ sub: id, ...accounts[id] }) } : undefined),
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'], groups: ['groups'] },
    scopes: ['openid', 'email', 'profile', 'groups'],
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: true } },
  });
  provider.on('server_error', (ctx, err) => { console.error('oidc-provider:', err); });
  srv.on('request', provider.callback());
  return { issuer, provider, close: () => srv.close() };
}

// A per-origin cookie jar and a redirect walker.
function jar() {
  const cookies = new Map();
  return {
    header(url) {
      const o = new URL(url).origin;
      const m = cookies.get(o);
      return m ? [...m].map(([k, v]) => `${k}=${v}`).join('; ') : '';
    },
    take(url, res) {
      const o = new URL(url).origin;
      if (!cookies.has(o)) cookies.set(o, new Map());
      for (const c of res.headers.getSetCookie()) {
        const [pair] = c.split(';');
        const i = pair.indexOf('=');
        const k = pair.slice(0, i).trim(), v = pair.slice(i + 1).trim();
        if (/max-age=0/i.test(c) || v === '') cookies.get(o).delete(k); else cookies.get(o).set(k, v);
      }
    },
  };
}

/**
 * Starts a company sign-in at gatehouse for org and walks it through the OP
 * as login (the OP's account id), posting its login and consent forms.
 * Returns the callback's answer {status, body, url} (and replay(), which
 * sends the same callback request again).
 */
export async function signInVia(ghUrl, org, login, { accept = 'application/json', otherBrowser = false, reauth } = {}) {
  const j = jar();
  const go = async (url, init = {}) => {
    const headers = { ...(init.headers || {}), Cookie: j.header(url) };
    const res = await fetch(url, { ...init, headers, redirect: 'manual' });
    j.take(url, res);
    return res;
  };
  let res, url;
  if (reauth) {
    // reauth: {token, purpose}: a signed-in person asks to prove themselves again.
    res = await go(`${ghUrl}/v1/me/reauth/sso`, { method: 'POST', headers: { Authorization: `Bearer ${reauth.token}`,
      'Content-Type': 'application/json' }, body: JSON.stringify({ purpose: reauth.purpose }) });
    const b = await res.json().catch(() => null);
    if (res.status !== 200) return { status: res.status, body: b };
    url = b.authorization_url;
  } else {
    // org: a slug, or an e-mail address (the org that declared its domain)
    const q = org.includes('@') ? `email=${encodeURIComponent(org)}` : `org=${org}`;
    res = await go(`${ghUrl}/v1/auth/sso/start?${q}`);
    if (res.status !== 302) return { status: res.status, body: await res.json().catch(() => null) };
    url = new URL(res.headers.get('location'), ghUrl).href;
  }
  const authUrl = url;
  for (let i = 0; i < 20; i++) {
    if (url.startsWith(`${ghUrl}/v1/auth/sso/oidc/callback`)) {
      // otherBrowser: the callback arrives without the state cookie set at start.
      const send = () => (otherBrowser ? fetch(url, { headers: { Accept: accept }, redirect: 'manual' })
        : go(url, { headers: { Accept: accept } }));
      const cb = await send();
      const text = await cb.text();
      let body = null;
      try { body = JSON.parse(text); } catch { body = text; }
      return {
        status: cb.status, body, headers: cb.headers, url, authUrl,
        replay: async () => { const r = await send(); return { status: r.status, body: await r.json().catch(() => null) }; },
      };
    }
    res = await go(url);
    if (res.status >= 300 && res.status < 400) { url = new URL(res.headers.get('location'), url).href; continue; }
    const html = await res.text();
    const form = html.match(/<form[^>]*action="([^"]+)"/);
    if (res.status !== 200 || !form) throw new Error(`unexpected answer ${res.status} at ${url}: ${html.slice(0, 300)}`);
    const fields = new URLSearchParams();
    for (const [tag] of html.matchAll(/<input[^>]*>/g)) {
      const name = tag.match(/name="([^"]+)"/)?.[1];
      if (name) fields.set(name, tag.match(/value="([^"]*)"/)?.[1] ?? '');
    }
    if (fields.has('login')) { fields.set('login', login); fields.set('password', 'any'); }
    const action = new URL(form[1].replaceAll('&amp;', '&'), url).href;
    res = await go(action, { method: 'POST', body: fields, headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
    if (res.status >= 300 && res.status < 400) { url = new URL(res.headers.get('location'), action).href; continue; }
    throw new Error(`form post answered ${res.status} at ${action}`);
  }
  throw new Error('too many redirects');
}

const b64u = (v) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

/**
 * An OP whose ID tokens are forged: mode(claims, header) may change them;
 * set op.mode before a sign-in. Its /auth redirects straight back with a
 * code; its token endpoint checks client_secret_basic and the PKCE verifier.
 */
export async function forgeOp(ghUrl) {
  const key = rsaJwk('forge-1');
  const srv = createServer();
  const port = await listen(srv);
  const issuer = `http://127.0.0.1:${port}`;
  const codes = new Map();
  const op = { issuer, mode: null, secret: CLIENT_SECRET, close: () => srv.close() };
  srv.on('request', async (req, res) => {
    const u = new URL(req.url, issuer);
    const json = (code, v) => { res.writeHead(code, { 'Content-Type': 'application/json' }); res.end(JSON.stringify(v)); };
    if (u.pathname === '/.well-known/openid-configuration') {
      return json(200, { issuer, authorization_endpoint: `${issuer}/auth`, token_endpoint: `${issuer}/token`, jwks_uri: `${issuer}/jwks`,
        response_types_supported: ['code'], id_token_signing_alg_values_supported: ['RS256'], code_challenge_methods_supported: ['S256'] });
    }
    if (u.pathname === '/jwks') {
      const { d, p, q, dp, dq, qi, ...pub } = key.jwk;
      return json(200, { keys: [pub] });
    }
    if (u.pathname === '/auth') {
      const code = randomBytes(16).toString('hex');
      codes.set(code, { nonce: u.searchParams.get('nonce'), challenge: u.searchParams.get('code_challenge') });
      const back = new URL(u.searchParams.get('redirect_uri'));
      back.searchParams.set('code', code);
      back.searchParams.set('state', u.searchParams.get('state'));
      res.writeHead(302, { Location: back.href });
      return res.end();
    }
    if (u.pathname === '/token') {
      let body = '';
      for await (const chunk of req) body += chunk;
      const form = new URLSearchParams(body);
      const auth = Buffer.from((req.headers.authorization || '').replace(/^Basic /, ''), 'base64').toString();
      if (auth !== `${CLIENT_ID}:${op.secret}`) return json(401, { error: 'invalid_client' });
      const c = codes.get(form.get('code'));
      codes.delete(form.get('code'));
      if (!c) return json(400, { error: 'invalid_grant' });
      const { createHash } = await import('node:crypto');
      if (createHash('sha256').update(form.get('code_verifier') || '').digest('base64url') !== c.challenge) return json(400, { error: 'invalid_grant', error_description: 'PKCE' });
      const now = Math.floor(Date.now() / 1000);
      let claims = { iss: issuer, sub: 'forged-sub', aud: CLIENT_ID, exp: now + 300, iat: now, nonce: c.nonce, email: 'forge@acme.test', email_verified: true };
      let header = { alg: 'RS256', kid: 'forge-1', typ: 'JWT' };
      let tamper = null;
      if (op.mode) ({ claims = claims, header = header, tamper = null } = op.mode(claims, header) || {});
      let token;
      if (header.alg === 'none') token = `${b64u(header)}.${b64u(claims)}.`;
      else if (header.alg === 'HS256') {
        const { createHmac } = await import('node:crypto');
        const pub = JSON.stringify((({ d, p, q, dp, dq, qi, ...x }) => x)(key.jwk));
        const input = `${b64u(header)}.${b64u(claims)}`;
        token = `${input}.${createHmac('sha256', pub).update(input).digest('base64url')}`;
      } else {
        const input = `${b64u(header)}.${b64u(claims)}`;
        token = `${input}.${createSign('RSA-SHA256').update(input).sign(key.privateKey).toString('base64url')}`;
      }
      if (tamper) token = tamper(token);
      return json(200, { access_token: 'at', token_type: 'Bearer', id_token: token });
    }
    res.writeHead(404);
    res.end();
  });
  return op;
}
