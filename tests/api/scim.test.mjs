// SCIM 2.0 (RFC 7643/7644, issue 19): the request shapes of RFC 7644's
// examples and of Entra ID and Okta against /scim/v2/, with an API key that
// carries the scim scope. Every refusal is a SCIM Error message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { startServer, PASSWORD } from './lib.mjs';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const ENT = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const GH = 'urn:gatehouse:params:scim:schemas:extension:2.0:User';
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const BULK = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';
const LIST = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';

// The permissions of the plant template's "user" role and the modules it
// comes with: a key must hold
// them to give that role (no escalation).
const USER_ROLE = ['orders.enter', 'documents.upload', 'tasks.work', 'production_data.enter', 'quality_data.enter',
  'dashboards.view', 'reports.view'];
const ALL_PERMS = JSON.parse(readFileSync(resolve(import.meta.dirname, '../../catalog/default.json'), 'utf8'))
  .permissions.map((p) => p.key);

async function makeKey(s, admin, scopes) {
  const r = await s.api('/v1/api-keys', { method: 'POST', token: admin, body: { name: `k${Math.random()}`, scopes } });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body.key;
}

function scimClient(s, key) {
  return (path, { method = 'GET', body, headers = {}, raw } = {}) => s.api(`/scim/v2${path}`, {
    method, token: key, headers: { 'Content-Type': 'application/scim+json', ...headers },
    raw: raw ?? (body === undefined ? undefined : JSON.stringify(body)),
  });
}

function assertScimError(r, status, scimType, code) {
  assert.equal(r.status, status, `expected ${status}, got ${r.status} ${r.text}`);
  assert.match(r.headers.get('content-type'), /^application\/scim\+json/);
  assert.deepEqual(r.body.schemas, [ERROR]);
  assert.equal(r.body.status, String(status));
  if (scimType !== undefined) assert.equal(r.body.scimType, scimType, r.text);
  if (code) assert.equal(r.body.code, code, r.text);
}

const newUser = (email, extra = {}) => ({
  schemas: [USER, ENT], userName: email, externalId: `ext-${email}`,
  name: { givenName: 'Barbara', familyName: 'Jensen' }, displayName: `Babs ${email.split('@')[0]}`,
  emails: [{ value: email, type: 'work', primary: true }], phoneNumbers: [{ value: '+4512345678', type: 'mobile' }],
  active: true, title: 'Tour Guide', [ENT]: { employeeNumber: '701984', department: 'Tour Operations' }, ...extra,
});

async function audit(s, admin, action) {
  const r = await s.api(`/v1/audit?action=${action}&limit=200`, { token: admin });
  assert.equal(r.status, 200);
  return r.body.items.filter((e) => e.action === action);
}

test('discovery documents; keys without the scim scope or the permission are refused as SCIM errors', async () => {
  const s = await startServer();
  try {
    const admin = await s.login();
    const key = await makeKey(s, admin, ['scim', 'users.manage', 'groups.manage', ...USER_ROLE]);
    const scim = scimClient(s, key);
    const spc = await scim('/ServiceProviderConfig');
    assert.equal(spc.status, 200);
    assert.match(spc.headers.get('content-type'), /^application\/scim\+json/);
    assert.equal(spc.body.patch.supported, true);
    assert.equal(spc.body.bulk.maxOperations, 1000);
    assert.equal(spc.body.etag.supported, true);
    const rt = await scim('/ResourceTypes');
    assert.deepEqual(rt.body.Resources.map((r) => r.id), ['User', 'Group']);
    assert.equal((await scim('/ResourceTypes/User')).body.schemaExtensions.length, 2);
    const sc = await scim('/Schemas');
    assert.deepEqual(sc.body.Resources.map((r) => r.id), [USER, GROUP, ENT, GH]);
    assert.equal((await scim(`/Schemas/${GH}`)).body.name, 'GatehouseUser');
    assertScimError(await scim('/Schemas/urn:nope'), 404, undefined, 'not_found');
    // Nobody: 401, SCIM-shaped.
    assertScimError(await s.api('/scim/v2/Users'), 401, undefined, 'unauthenticated');
    // A person's session: SCIM is for keys.
    assertScimError(await s.api('/scim/v2/Users', { token: admin }), 403, undefined, 'api_key_required');
    // A key without the scim scope.
    const plain = await makeKey(s, admin, ['users.manage', ...USER_ROLE]);
    const noScope = await s.api('/scim/v2/Users', { token: plain });
    assertScimError(noScope, 403, undefined, 'scope_missing');
    assert.equal(noScope.body.scope, 'scim');
    assert.equal(noScope.body.permanent, true);
    assertScimError(await s.api('/scim/v2/Users', { method: 'POST', token: plain, body: newUser('x@acme.test') }), 403,
      undefined, 'scope_missing');
    // The scim scope alone reads nothing and changes nothing.
    const bare = scimClient(s, await makeKey(s, admin, ['scim']));
    assertScimError(await bare('/Users'), 403, undefined, 'permission_denied');
    assertScimError(await bare('/Users', { method: 'POST', body: newUser('y@acme.test') }), 403, undefined,
      'permission_denied');
    assertScimError(await bare('/Groups'), 403, undefined, 'permission_denied');
    assert.equal((await scim('/Users?filter=userName eq "y@acme.test"')).body.totalResults, 0);
    // Unknown query parameters are refused like everywhere else.
    assertScimError(await scim('/Users?colour=red'), 400, 'invalidValue', 'unknown_parameter');
  } finally {
    await s.stop();
  }
});

test('users: create, read, duplicate, filter, paginate, sort, attributes', async () => {
  const s = await startServer();
  try {
    const admin = await s.login();
    const key = await makeKey(s, admin, ['scim', 'users.manage', ...USER_ROLE]);
    const scim = scimClient(s, key);
    // Entra ID looks the person up before every create.
    const look = await scim(`/Users?filter=${encodeURIComponent('userName eq "bjensen@acme.test"')}`);
    assert.equal(look.status, 200);
    assert.deepEqual(look.body.schemas, [LIST]);
    assert.equal(look.body.totalResults, 0);
    const c = await scim('/Users', { method: 'POST', body: newUser('bjensen@acme.test') });
    assert.equal(c.status, 201, c.text);
    const u = c.body;
    assert.match(c.headers.get('location'), new RegExp(`/scim/v2/Users/${u.id}$`));
    assert.equal(c.headers.get('etag'), u.meta.version);
    assert.match(u.meta.version, /^W\/"[0-9a-f]+"$/);
    assert.equal(u.userName, 'bjensen@acme.test');
    assert.equal(u.displayName, 'Babs bjensen');
    assert.deepEqual(u.name, { formatted: 'Babs bjensen', givenName: 'Barbara', familyName: 'Jensen' });
    assert.equal(u.externalId, 'ext-bjensen@acme.test');
    assert.equal(u.title, 'Tour Guide');
    assert.equal(u.active, true);
    assert.deepEqual(u.phoneNumbers, [{ value: '+4512345678', type: 'mobile' }]);
    assert.deepEqual(u[ENT], { employeeNumber: '701984', department: 'Tour Operations' });
    assert.equal(u[GH].role, 'user');
    assert.equal(u[GH].officeAccess, true);
    assert.equal(u.meta.resourceType, 'User');
    // The person is a gatehouse user without a password, invited by mail to set one.
    const g = await s.api(`/v1/users/${u.id}`, { token: admin });
    assert.equal(g.body.has_password, false);
    assert.equal(g.body.email, 'bjensen@acme.test');
    assert.ok(s.lastToken('bjensen@acme.test', 'verify_email'));
    // Audited as made by the key.
    const created = (await audit(s, admin, 'user.created')).find((e) => e.target_id === u.id);
    assert.equal(created.actor_type, 'api_key');
    // Read back.
    const r = await scim(`/Users/${u.id}`);
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, u);
    assertScimError(await scim('/Users/usr_nope'), 404, undefined, 'user_not_found');
    const nm = await scim(`/Users/${u.id}`, { headers: { 'If-None-Match': u.meta.version } });
    assert.equal(nm.status, 304);
    assert.equal(nm.headers.get('etag'), u.meta.version);
    // Duplicate userName (any case): 409 uniqueness, nothing made.
    const dup = await scim('/Users', { method: 'POST', body: newUser('BJensen@acme.test') });
    assertScimError(dup, 409, 'uniqueness', 'email_taken');
    assert.equal(dup.body.permanent, true);
    // Bad input: invalidValue, nothing made.
    assertScimError(await scim('/Users', { method: 'POST', body: { schemas: [USER] } }), 400, 'invalidValue', 'missing_field');
    assertScimError(await scim('/Users', { method: 'POST', body: newUser('not-an-address') }), 400, 'invalidValue');
    assertScimError(await scim('/Users', { method: 'POST', body: newUser('z@acme.test', { active: 'maybe' }) }), 400, 'invalidValue');
    assertScimError(await scim('/Users', { method: 'POST', raw: '{' }), 400, 'invalidSyntax');
    // More people for filters and pages.
    for (const [n, extra] of [['alice', { title: 'Welder' }], ['bob', { title: 'Fitter', externalId: 'ABC-1' }],
      ['carol', { title: 'Welder', active: false }], ['dave', {}]]) {
      const m = await scim('/Users', { method: 'POST', body: newUser(`${n}@acme.test`, { displayName: n, ...extra }) });
      assert.equal(m.status, 201, m.text);
    }
    const q = async (filter, extra = '') => {
      const res = await scim(`/Users?filter=${encodeURIComponent(filter)}${extra}`);
      assert.equal(res.status, 200, `${filter}: ${res.text}`);
      return res.body.Resources.map((x) => x.userName).sort();
    };
    assert.deepEqual(await q('userName eq "ALICE@acme.test"'), ['alice@acme.test']); // caseExact false
    assert.deepEqual(await q('externalId eq "ABC-1"'), ['bob@acme.test']);
    assert.deepEqual(await q('externalId eq "abc-1"'), []); // externalId is caseExact
    assert.deepEqual(await q('title eq "welder"'), ['alice@acme.test', 'carol@acme.test']);
    assert.deepEqual(await q('title ne "Welder" and title pr'), ['bjensen@acme.test', 'bob@acme.test', 'dave@acme.test']);
    assert.deepEqual(await q('userName sw "b"'), ['bjensen@acme.test', 'bob@acme.test']);
    assert.deepEqual(await q('userName ew "ol@acme.test"'), ['carol@acme.test']);
    assert.deepEqual(await q('displayName co "AV"'), ['dave@acme.test']);
    assert.deepEqual(await q('active eq false'), ['carol@acme.test']);
    assert.deepEqual(await q('not (active eq true) or userName eq "dave@acme.test"'), ['carol@acme.test', 'dave@acme.test']);
    assert.deepEqual(await q('(title eq "Welder" or title eq "Fitter") and not (active eq false)'), ['alice@acme.test', 'bob@acme.test']);
    assert.deepEqual(await q('emails[type eq "work" and value co "alice"]'), ['alice@acme.test']);
    assert.deepEqual(await q('emails.value sw "dave"'), ['dave@acme.test']);
    assert.deepEqual(await q(`${ENT}:department eq "Tour Operations" and userName sw "a"`), ['alice@acme.test']);
    assert.deepEqual(await q(`${GH}:role eq "admin"`), ['admin@acme.test']);
    assert.deepEqual(await q('meta.created gt "1970-01-01T00:00:00Z" and userName eq "bob@acme.test"'), ['bob@acme.test']);
    assert.deepEqual(await q('meta.lastModified lt "1970-01-01T00:00:00Z"'), []);
    assert.equal((await q('userName pr')).length, 6);
    // Malformed filters: 400 invalidFilter.
    for (const bad of ['userName eq', 'userName zz "x"', '(userName eq "x"', 'userName eq "x" and', 'emails[type eq "w"',
      'userName eq "unterminated', 'not userName eq "x"', '"x" eq userName']) {
      assertScimError(await scim(`/Users?filter=${encodeURIComponent(bad)}`), 400, 'invalidFilter', 'invalid_filter');
    }
    // Okta's paging shape, and pages that add up.
    const p1 = await scim('/Users?startIndex=1&count=2&sortBy=userName');
    assert.equal(p1.body.totalResults, 6);
    assert.equal(p1.body.itemsPerPage, 2);
    assert.equal(p1.body.startIndex, 1);
    assert.deepEqual(p1.body.Resources.map((x) => x.userName), ['admin@acme.test', 'alice@acme.test']);
    const p3 = await scim('/Users?startIndex=5&count=2&sortBy=userName');
    assert.deepEqual(p3.body.Resources.map((x) => x.userName), ['carol@acme.test', 'dave@acme.test']);
    const past = await scim('/Users?startIndex=50&count=10');
    assert.equal(past.body.totalResults, 6);
    assert.deepEqual(past.body.Resources, []);
    const zero = await scim('/Users?count=0');
    assert.equal(zero.body.totalResults, 6);
    assert.deepEqual(zero.body.Resources, []);
    const desc = await scim('/Users?sortBy=userName&sortOrder=descending&count=1');
    assert.equal(desc.body.Resources[0].userName, 'dave@acme.test');
    const okta = await scim(`/Users?filter=${encodeURIComponent('userName eq "carol@acme.test"')}&startIndex=1&count=100`);
    assert.equal(okta.body.totalResults, 1);
    assertScimError(await scim('/Users?count=many'), 400, 'invalidValue');
    // attributes / excludedAttributes
    const a = await scim(`/Users/${u.id}?attributes=userName,${ENT}:department`);
    assert.deepEqual(Object.keys(a.body).sort(), ['id', 'meta', 'schemas', 'userName', ENT].sort());
    const e = await scim(`/Users?filter=${encodeURIComponent('userName eq "bob@acme.test"')}&excludedAttributes=emails,phoneNumbers,${GH}`);
    const bob = e.body.Resources[0];
    assert.equal(bob.emails, undefined);
    assert.equal(bob[GH], undefined);
    assert.equal(bob.userName, 'bob@acme.test');
  } finally {
    await s.stop();
  }
});

test('PATCH: every op with and without path, value filters, Entra and Okta shapes, ETags', async () => {
  const s = await startServer();
  try {
    const admin = await s.login();
    const key = await makeKey(s, admin, ['scim', 'users.manage', ...USER_ROLE]);
    const scim = scimClient(s, key);
    const u = (await scim('/Users', { method: 'POST', body: newUser('pat@acme.test') })).body;
    const patch = (ops, headers) => scim(`/Users/${u.id}`, { method: 'PATCH', body: { schemas: [PATCH], Operations: ops }, headers });
    // Entra ID: capitalised op, path forms.
    let r = await patch([{ op: 'Replace', path: 'title', value: 'Shift Lead' },
      { op: 'Replace', path: 'name.givenName', value: 'Patricia' },
      { op: 'Add', path: `${ENT}:department`, value: 'Welding' },
      { op: 'Replace', path: 'displayName', value: 'Pat Smith' }]);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.title, 'Shift Lead');
    assert.equal(r.body.name.givenName, 'Patricia');
    assert.equal(r.body[ENT].department, 'Welding');
    assert.equal(r.body.displayName, 'Pat Smith');
    // The name is the person's own in gatehouse (003) but a provisioning client keeps it in step.
    assert.equal((await s.api(`/v1/users/${u.id}`, { token: admin })).body.name, 'Pat Smith');
    const upd = (await audit(s, admin, 'user.updated')).filter((e) => e.target_id === u.id);
    assert.ok(upd.length >= 1);
    assert.ok(upd.every((e) => e.actor_type === 'api_key'));
    // Without a path: an object of attributes (Okta and Entra).
    r = await patch([{ op: 'replace', value: { title: 'Supervisor', [`${ENT}:employeeNumber`]: '42', 'name.familyName': 'Smith' } }]);
    assert.equal(r.body.title, 'Supervisor');
    assert.equal(r.body[ENT].employeeNumber, '42');
    assert.equal(r.body.name.familyName, 'Smith');
    r = await patch([{ op: 'add', value: { [ENT]: { department: 'Assembly' }, externalId: 'E-9' } }]);
    assert.equal(r.body[ENT].department, 'Assembly');
    assert.equal(r.body[ENT].employeeNumber, '42');
    assert.equal(r.body.externalId, 'E-9');
    // Value filters: the work e-mail and the mobile number.
    r = await patch([{ op: 'replace', path: 'emails[type eq "work"].value', value: 'pat.smith@acme.test' }]);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.userName, 'pat@acme.test'); // userName is the e-mail: emails follow it, not lead it
    assertScimError(await patch([{ op: 'replace', path: 'userName', value: 'admin@acme.test' }]), 409, 'uniqueness', 'email_taken');
    r = await patch([{ op: 'replace', path: 'userName', value: 'pat.smith@acme.test' }]);
    assert.equal(r.body.userName, 'pat.smith@acme.test');
    assert.equal(r.body.emails[0].value, 'pat.smith@acme.test');
    r = await patch([{ op: 'replace', path: 'phoneNumbers[type eq "mobile"].value', value: '+4587654321' }]);
    assert.deepEqual(r.body.phoneNumbers, [{ value: '+4587654321', type: 'mobile' }]);
    // remove
    r = await patch([{ op: 'remove', path: 'title' }, { op: 'remove', path: `${ENT}:employeeNumber` }]);
    assert.equal(r.body.title, undefined);
    assert.equal(r.body[ENT].employeeNumber, undefined);
    assert.equal(r.body[ENT].department, 'Assembly');
    // Manager by id (enterprise extension), checked to be a user of the org.
    const boss = (await scim('/Users', { method: 'POST', body: newUser('boss@acme.test') })).body;
    r = await patch([{ op: 'add', path: `${ENT}:manager`, value: { value: boss.id } }]);
    assert.equal(r.body[ENT].manager.value, boss.id);
    assertScimError(await patch([{ op: 'add', path: `${ENT}:manager`, value: { value: 'usr_nobody' } }]), 400, 'invalidValue');
    // The gatehouse extension: modules and badge.
    r = await patch([{ op: 'replace', path: `${GH}:badge`, value: 'B-77' }]);
    assert.equal(r.body[GH].badge, 'B-77');
    // Errors change nothing.
    const before = (await scim(`/Users/${u.id}`)).body;
    assertScimError(await patch([{ op: 'replace', path: 'emails[type eq', value: 'x' }]), 400, 'invalidPath');
    assertScimError(await patch([{ op: 'replace', path: 'urn:nope:User:title', value: 'x' }]), 400, 'invalidPath');
    assertScimError(await patch([{ op: 'remove' }]), 400, 'noTarget');
    assertScimError(await patch([{ op: 'replace', path: 'id', value: 'x' }]), 400, 'mutability');
    assertScimError(await patch([{ op: 'move', path: 'title', value: 'x' }]), 400, 'invalidSyntax');
    assertScimError(await patch([{ op: 'replace', path: 'title', value: 'ok' }, { op: 'replace', path: 'active', value: 'perhaps' }]), 400, 'invalidValue');
    assertScimError(await scim(`/Users/${u.id}`, { method: 'PATCH', body: { schemas: [PATCH] } }), 400, 'invalidSyntax');
    assert.deepEqual((await scim(`/Users/${u.id}`)).body, before);
    // ETags: a stale If-Match is 412 and changes nothing; the current one passes.
    const stale = before.meta.version;
    r = await patch([{ op: 'replace', path: 'title', value: 'Now' }], { 'If-Match': stale });
    assert.equal(r.status, 200);
    assert.notEqual(r.body.meta.version, stale);
    const again = await patch([{ op: 'replace', path: 'title', value: 'Later' }], { 'If-Match': stale });
    assertScimError(again, 412, undefined, 'version_mismatch');
    assert.equal((await scim(`/Users/${u.id}`)).body.title, 'Now');
    assertScimError(await scim(`/Users/${u.id}`, { method: 'PUT', body: newUser('pat.smith@acme.test'), headers: { 'If-Match': stale } }), 412);
    assertScimError(await scim(`/Users/${u.id}`, { method: 'DELETE', headers: { 'If-Match': stale } }), 412);
    const cur = (await scim(`/Users/${u.id}`)).headers.get('etag');
    assert.equal((await patch([{ op: 'replace', path: 'title', value: 'Later' }], { 'If-Match': cur })).status, 200);
    assert.equal((await patch([{ op: 'replace', path: 'title', value: 'Any' }], { 'If-Match': '*' })).status, 200);
  } finally {
    await s.stop();
  }
});

test('deactivation (Entra "False", Okta active:false) locks the person and ends their sessions; PUT replaces', async () => {
  const s = await startServer();
  try {
    const admin = await s.login();
    const key = await makeKey(s, admin, ['scim', 'users.manage', ...USER_ROLE]);
    const scim = scimClient(s, key);
    const worker = await s.makeUser(admin, 'worker@acme.test', 'user');
    assert.equal((await s.api('/v1/me', { token: worker.token })).status, 200);
    // Entra ID: active as the string "False".
    let r = await scim(`/Users/${worker.id}`, { method: 'PATCH', body: { schemas: [PATCH], Operations: [{ op: 'Replace', path: 'active', value: 'False' }] } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.active, false);
    assert.equal((await s.api('/v1/me', { token: worker.token })).status, 401);
    assert.equal((await s.api(`/v1/users/${worker.id}`, { token: admin })).body.status, 'locked');
    const locked = (await audit(s, admin, 'user.locked')).find((e) => e.target_id === worker.id);
    assert.equal(locked.actor_type, 'api_key');
    // Okta: no path, a boolean.
    r = await scim(`/Users/${worker.id}`, { method: 'PATCH', body: { schemas: [PATCH], Operations: [{ op: 'replace', value: { active: true } }] } });
    assert.equal(r.body.active, true);
    assert.equal((await s.api(`/v1/users/${worker.id}`, { token: admin })).body.status, 'active');
    // Okta's PUT-for-everything: the whole user, name and phone included
    // (owner-only in gatehouse for office users, allowed to provisioning).
    const full = { ...r.body, displayName: 'Walter Worker', phoneNumbers: [{ value: '+4511111111', type: 'mobile' }],
      title: 'Operator', active: false, password: 'ignored-Passw0rd!' };
    delete full[ENT];
    r = await scim(`/Users/${worker.id}`, { method: 'PUT', body: full });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.displayName, 'Walter Worker');
    assert.equal(r.body.title, 'Operator');
    assert.equal(r.body.active, false);
    assert.deepEqual(r.body[ENT], {});
    const g = (await s.api(`/v1/users/${worker.id}`, { token: admin })).body;
    assert.equal(g.mobile, '+4511111111');
    assert.equal(g.status, 'locked');
    // A person's own administrator still may not change their name (003).
    const adm = await s.api(`/v1/users/${worker.id}`, { method: 'PATCH', token: admin, body: { name: 'X' } });
    assert.equal(adm.status, 403);
    // DELETE
    assert.equal((await scim(`/Users/${worker.id}`, { method: 'DELETE' })).status, 204);
    assertScimError(await scim(`/Users/${worker.id}`), 404);
    assertScimError(await scim(`/Users/${worker.id}`, { method: 'DELETE' }), 404);
  } finally {
    await s.stop();
  }
});

test('groups: members mapped to gatehouse groups; PATCH member add and remove as Entra and Okta send them', async () => {
  const s = await startServer();
  try {
    const admin = await s.login();
    const key = await makeKey(s, admin, ['scim', 'users.manage', 'groups.manage', ...USER_ROLE]);
    const scim = scimClient(s, key);
    const ids = [];
    for (const n of ['g1', 'g2', 'g3']) ids.push((await scim('/Users', { method: 'POST', body: newUser(`${n}@acme.test`) })).body.id);
    const c = await scim('/Groups', { method: 'POST', body: { schemas: [GROUP], displayName: 'Welders', members: [{ value: ids[0] }] } });
    assert.equal(c.status, 201, c.text);
    const gid = c.body.id;
    assert.deepEqual(c.body.members.map((m) => m.value), [ids[0]]);
    assert.equal(c.headers.get('etag'), c.body.meta.version);
    // The gatehouse group.
    const gh = await s.api(`/v1/groups/${gid}`, { token: admin });
    assert.equal(gh.body.name, 'Welders');
    assert.deepEqual(gh.body.members.map((m) => m.id), [ids[0]]);
    assertScimError(await scim('/Groups', { method: 'POST', body: { schemas: [GROUP], displayName: 'Welders' } }), 409, 'uniqueness');
    assertScimError(await scim('/Groups', { method: 'POST', body: { schemas: [GROUP], displayName: 'Ghosts', members: [{ value: 'usr_nobody' }] } }), 400, 'invalidValue');
    assert.equal((await scim(`/Groups?filter=${encodeURIComponent('displayName eq "Ghosts"')}`)).body.totalResults, 0);
    const patch = (ops) => scim(`/Groups/${gid}`, { method: 'PATCH', body: { schemas: [PATCH], Operations: ops } });
    // Entra ID: Add members with a list of values.
    let r = await patch([{ op: 'Add', path: 'members', value: [{ value: ids[1] }, { value: ids[2] }] }]);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body.members.map((m) => m.value).sort(), [...ids].sort());
    // Entra ID: Remove by value list; Okta: remove by filter.
    r = await patch([{ op: 'Remove', path: 'members', value: [{ value: ids[0] }] }]);
    assert.deepEqual(r.body.members.map((m) => m.value).sort(), [ids[1], ids[2]].sort());
    r = await patch([{ op: 'remove', path: `members[value eq "${ids[1]}"]` }]);
    assert.deepEqual(r.body.members.map((m) => m.value), [ids[2]]);
    // Okta: replace the members and rename.
    r = await patch([{ op: 'replace', value: { id: gid, displayName: 'Senior Welders' } }, { op: 'replace', path: 'members', value: [{ value: ids[0] }] }]);
    assert.equal(r.body.displayName, 'Senior Welders');
    assert.deepEqual(r.body.members.map((m) => m.value), [ids[0]]);
    const added = (await audit(s, admin, 'group.member_added')).filter((e) => e.target_id === gid || e.detail?.group_name);
    assert.ok(added.length >= 3);
    assert.ok(added.every((e) => e.actor_type === 'api_key'));
    // Filters and the list.
    const l = await scim(`/Groups?filter=${encodeURIComponent('displayName eq "senior welders"')}&excludedAttributes=members`);
    assert.equal(l.body.totalResults, 1);
    assert.equal(l.body.Resources[0].members, undefined);
    const byMember = await scim(`/Groups?filter=${encodeURIComponent(`members[value eq "${ids[0]}"]`)}`);
    assert.equal(byMember.body.totalResults, 1);
    // PUT replaces members; a stale ETag is 412.
    const cur = await scim(`/Groups/${gid}`);
    r = await scim(`/Groups/${gid}`, { method: 'PUT', body: { schemas: [GROUP], displayName: 'Senior Welders', members: [{ value: ids[1] }, { value: ids[2] }] }, headers: { 'If-Match': cur.body.meta.version } });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body.members.map((m) => m.value).sort(), [ids[1], ids[2]].sort());
    assertScimError(await scim(`/Groups/${gid}`, { method: 'PUT', body: { schemas: [GROUP], displayName: 'X' }, headers: { 'If-Match': cur.body.meta.version } }), 412);
    assert.equal((await scim(`/Groups/${gid}`, { method: 'DELETE' })).status, 204);
    assertScimError(await scim(`/Groups/${gid}`), 404);
  } finally {
    await s.stop();
  }
});

test("gatehouse's refusals are SCIM errors that say they are permanent", async () => {
  const s = await startServer();
  try {
    const admin = await s.login();
    const key = await makeKey(s, admin, ['scim', 'users.manage', ...USER_ROLE]);
    const scim = scimClient(s, key);
    // escalation: the key does not hold what the admin role gives.
    const esc = await scim('/Users', { method: 'POST', body: newUser('esc@acme.test', { [GH]: { role: 'admin' } }) });
    assertScimError(esc, 403, undefined, 'escalation');
    assert.equal(esc.body.permanent, true);
    assert.match(esc.body.detail, /permanent/);
    assert.equal((await scim(`/Users?filter=${encodeURIComponent('userName eq "esc@acme.test"')}`)).body.totalResults, 0);
    const adminId = (await s.api('/v1/me', { token: admin })).body.id;
    // Acting on someone above the key: escalation too.
    assertScimError(await scim(`/Users/${adminId}`, { method: 'PATCH', body: { schemas: [PATCH], Operations: [{ op: 'replace', path: 'title', value: 'x' }] } }), 403, undefined, 'escalation');
    // last_admin: a key holding everything still cannot lock the last administrator.
    const full = scimClient(s, await makeKey(s, admin, ['scim', ...ALL_PERMS]));
    const last = await full(`/Users/${adminId}`, { method: 'PATCH', body: { schemas: [PATCH], Operations: [{ op: 'replace', path: 'active', value: false }] } });
    assertScimError(last, 409, undefined, 'last_admin');
    assert.equal(last.body.permanent, true);
    assertScimError(await full(`/Users/${adminId}`, { method: 'DELETE' }), 409, undefined, 'last_admin');
    assert.equal((await s.api('/v1/me', { token: admin })).status, 200);
    // seat_limit_reached: the org's office seats are all taken.
    const held = (await scim('/Users', { method: 'POST', body: newUser('held@acme.test', { active: false, title: 'Before' }) })).body;
    assert.equal(held.active, false);
    const used = (await s.api('/v1/users?status=active', { token: admin })).body.items.length;
    const seats = s.cli(['org', 'seats', '--org', 'acme', '--office', String(used)]);
    assert.equal(seats.status, 0, seats.stderr);
    const seat = await scim('/Users', { method: 'POST', body: newUser('seat@acme.test') });
    assertScimError(seat, 409, undefined, 'seat_limit_reached');
    assert.equal(seat.body.permanent, true);
    assert.equal((await s.api('/v1/users?status=active', { token: admin })).body.items.length, used);
    // Reactivating needs a seat too; the attributes of the same change stay as they were (one transaction).
    const back = await scim(`/Users/${held.id}`, { method: 'PATCH', body: { schemas: [PATCH], Operations: [
      { op: 'replace', path: 'title', value: 'After' }, { op: 'replace', path: 'active', value: true }] } });
    assertScimError(back, 409, undefined, 'seat_limit_reached');
    const still = (await scim(`/Users/${held.id}`)).body;
    assert.equal(still.title, 'Before');
    assert.equal(still.active, false);
  } finally {
    await s.stop();
  }
});

test('provisioned people have no password; under required SSO no invitation mail is sent', async () => {
  const s = await startServer();
  try {
    const admin = await s.login();
    const adminId = (await s.api('/v1/me', { token: admin })).body.id;
    const scim = scimClient(s, await makeKey(s, admin, ['scim', 'users.manage', ...USER_ROLE]));
    const a = await scim('/Users', { method: 'POST', body: newUser('invited@acme.test') });
    assert.equal(a.status, 201, a.text);
    assert.equal(s.outbox().filter((m) => m.to === 'invited@acme.test' && m.kind === 'verify_email').length, 1);
    const sso = await s.api('/v1/org/sso', { method: 'PUT', token: admin, body: { protocol: 'oidc', display_name: 'Entra ID',
      issuer: 'http://127.0.0.1:9/tenant', client_id: 'gatehouse', client_secret: 'very-secret-client-value-4711',
      required: true, break_glass: [adminId] } });
    assert.equal(sso.status, 200, sso.text);
    const b = await scim('/Users', { method: 'POST', body: newUser('sso@acme.test') });
    assert.equal(b.status, 201, b.text);
    assert.equal(s.outbox().filter((m) => m.to === 'sso@acme.test').length, 0);
    const g = (await s.api(`/v1/users/${b.body.id}`, { token: admin })).body;
    assert.equal(g.has_password, false);
    assert.equal(g.email_verified, true);
  } finally {
    await s.stop();
  }
});

test('odd PATCH operations, bodies and filters are 4xx SCIM errors or successes, never a 5xx', async () => {
  const s = await startServer();
  try {
    const admin = await s.login();
    const scim = scimClient(s, await makeKey(s, admin, ['scim', 'users.manage', 'groups.manage', ...USER_ROLE]));
    const u = (await scim('/Users', { method: 'POST', body: newUser('odd@acme.test') })).body;
    const g = (await scim('/Groups', { method: 'POST', body: { schemas: [GROUP], displayName: 'Odd', members: [{ value: u.id }] } })).body;
    const ops = [
      [1], ['x'], [null], [{ op: 1 }], [{ op: 'add', path: 7, value: 1 }], [{ op: 'add', path: 'title' }],
      [{ op: 'add', value: 'x' }], [{ op: 'add', value: [] }], [{ op: 'replace', path: 'emails', value: 'x' }],
      [{ op: 'replace', path: 'emails[type eq "work"]', value: 'x' }], [{ op: 'add', path: 'emails[type eq "x"].value', value: { a: 1 } }],
      [{ op: 'replace', path: 'name', value: 5 }], [{ op: 'replace', path: 'name.givenName', value: { deep: [1] } }],
      [{ op: 'replace', path: 'title[value eq 1]', value: 'x' }], [{ op: 'remove', path: 'emails[value pr]' }],
      [{ op: 'replace', path: 'emails[not (type eq "work")].value', value: 'y' }], [{ op: 'add', path: 'phoneNumbers', value: [{ value: 5 }] }],
      [{ op: 'replace', path: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User', value: 'flat' }],
      [{ op: 'replace', path: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager', value: [1, 2] }],
      [{ op: 'replace', path: 'urn:gatehouse:params:scim:schemas:extension:2.0:User:modules', value: 'all' }],
      [{ op: 'replace', path: 'urn:gatehouse:params:scim:schemas:extension:2.0:User:role', value: 'no-such-role' }],
      [{ op: 'replace', path: 'urn:gatehouse:params:scim:schemas:extension:2.0:User:officeAccess', value: 'False' }],
      [{ op: 'replace', path: 'userName', value: null }], [{ op: 'remove', path: 'userName' }],
      [{ op: 'replace', path: 'displayName', value: 'x'.repeat(5000) }], [{ op: 'replace', path: 'members', value: 'x' }],
      [{ op: 'add', path: 'members', value: [{ value: 5 }] }], [{ op: 'remove', path: 'members', value: 'x' }],
      [{ op: 'replace', value: { displayName: null } }], [{ op: 'add', path: 'a'.repeat(300), value: 1 }],
    ];
    const bad = [];
    for (const o of ops) {
      for (const path of [`/Users/${u.id}`, `/Groups/${g.id}`]) {
        const r = await scim(path, { method: 'PATCH', body: { schemas: [PATCH], Operations: o } });
        if (r.status >= 500 || (r.status >= 400 && r.body?.schemas?.[0] !== ERROR)) bad.push(`${path} ${JSON.stringify(o)}: ${r.status} ${r.text.slice(0, 120)}`);
      }
    }
    for (const b of [[], 'x', 5, { userName: 5 }, { userName: 'a@b.test', name: 'flat' }, { userName: 'a@b.test', emails: 'x' },
      { userName: 'a@b.test', phoneNumbers: [1] }, { userName: 'a@b.test', [ENT]: [] }, { userName: 'a@b.test', [GH]: { modules: 5 } },
      { displayName: 5 }, { displayName: 'x', members: {} }]) {
      for (const [m, path] of [['POST', '/Users'], ['PUT', `/Users/${u.id}`], ['POST', '/Groups'], ['PUT', `/Groups/${g.id}`]]) {
        const r = await scim(path, { method: m, raw: JSON.stringify(b) });
        if (r.status >= 500 || (r.status >= 400 && r.body?.schemas?.[0] !== ERROR)) bad.push(`${m} ${path} ${JSON.stringify(b)}: ${r.status} ${r.text.slice(0, 120)}`);
      }
    }
    for (const f of ['a eq "' + 'x'.repeat(5000) + '"', '('.repeat(100) + 'a pr' + ')'.repeat(100), 'emails[emails[a pr]]',
      'a eq 1e999', 'a eq "\\ud800"', 'urn:x eq 1', 'a.b.c.d.e eq 1', 'meta eq "x"', 'emails[value pr] or name[x pr]']) {
      for (const kind of ['Users', 'Groups']) {
        const r = await scim(`/${kind}?filter=${encodeURIComponent(f)}`);
        if (r.status >= 500 || (r.status >= 400 && r.body?.schemas?.[0] !== ERROR)) bad.push(`filter ${f.slice(0, 40)}: ${r.status}`);
      }
    }
    assert.deepEqual(bad, []);
    // Still the same person and group.
    assert.equal((await scim(`/Users/${u.id}`)).status, 200);
    assert.equal((await scim(`/Groups/${g.id}`)).status, 200);
  } finally {
    await s.stop();
  }
});

test('parallel creates of the same userName: exactly one wins, the others are 409 uniqueness', async () => {
  const s = await startServer();
  try {
    const admin = await s.login();
    const scim = scimClient(s, await makeKey(s, admin, ['scim', 'users.manage', ...USER_ROLE]));
    const rs = await Promise.all(Array.from({ length: 8 }, () => scim('/Users', { method: 'POST', body: newUser('race@acme.test') })));
    const statuses = rs.map((r) => r.status).sort();
    assert.deepEqual(statuses, [201, 409, 409, 409, 409, 409, 409, 409], rs.map((r) => r.text).join('\n'));
    for (const r of rs.filter((x) => x.status === 409)) assertScimError(r, 409, 'uniqueness');
    assert.equal((await scim(`/Users?filter=${encodeURIComponent('userName eq "race@acme.test"')}`)).body.totalResults, 1);
  } finally {
    await s.stop();
  }
});

test('parallel writes with the same If-Match: exactly one succeeds, the others are 412 and change nothing', async () => {
  const s = await startServer();
  try {
    const admin = await s.login();
    const scim = scimClient(s, await makeKey(s, admin, ['scim', 'users.manage', 'groups.manage', ...USER_ROLE]));
    const u = (await scim('/Users', { method: 'POST', body: newUser('tag@acme.test') })).body;
    const tag = u.meta.version;
    // Eight PATCHes, each setting its own title, all carrying the tag they read.
    const rs = await Promise.all(Array.from({ length: 8 }, (_, i) => scim(`/Users/${u.id}`, { method: 'PATCH',
      body: { schemas: [PATCH], Operations: [{ op: 'replace', path: 'title', value: `T${i}` }] }, headers: { 'If-Match': tag } })));
    const won = rs.filter((r) => r.status === 200);
    assert.equal(won.length, 1, rs.map((r) => `${r.status} ${r.text}`).join('\n'));
    for (const r of rs.filter((x) => x.status !== 200)) assertScimError(r, 412, undefined, 'version_mismatch');
    const now = (await scim(`/Users/${u.id}`)).body;
    assert.equal(now.title, won[0].body.title, 'the stored title is the winner\'s');
    // Groups the same way (PUT renames).
    const g = (await scim('/Groups', { method: 'POST', body: { schemas: [GROUP], displayName: 'Race' } })).body;
    const gs = await Promise.all(Array.from({ length: 6 }, (_, i) => scim(`/Groups/${g.id}`, { method: 'PUT',
      body: { schemas: [GROUP], displayName: `Race ${i}` }, headers: { 'If-Match': g.meta.version } })));
    assert.equal(gs.filter((r) => r.status === 200).length, 1, gs.map((r) => `${r.status} ${r.text}`).join('\n'));
    for (const r of gs.filter((x) => x.status !== 200)) assertScimError(r, 412, undefined, 'version_mismatch');
  } finally {
    await s.stop();
  }
});

test('Bulk: bulkId references, failOnErrors, the 1,000-operation limit', async () => {
  const s = await startServer();
  try {
    const admin = await s.login();
    const scim = scimClient(s, await makeKey(s, admin, ['scim', 'users.manage', 'groups.manage', ...USER_ROLE]));
    const r = await scim('/Bulk', { method: 'POST', body: { schemas: [BULK], failOnErrors: 5, Operations: [
      { method: 'POST', path: '/Users', bulkId: 'qwerty', data: newUser('bulk1@acme.test') },
      { method: 'POST', path: '/Groups', bulkId: 'ytrewq', data: { schemas: [GROUP], displayName: 'Bulk group', members: [{ type: 'User', value: 'bulkId:qwerty' }] } },
      { method: 'PATCH', path: '/Users/bulkId:qwerty', data: { schemas: [PATCH], Operations: [{ op: 'replace', path: 'title', value: 'Bulk' }] } },
      { method: 'POST', path: '/Users', bulkId: 'dup', data: newUser('bulk1@acme.test') },
    ] } });
    assert.equal(r.status, 200, r.text);
    const ops = r.body.Operations;
    assert.deepEqual(ops.map((o) => o.status), ['201', '201', '200', '409']);
    assert.equal(ops[3].response.scimType, 'uniqueness');
    const uid = ops[0].location.split('/').pop();
    const g = await scim(`/Groups/${ops[1].location.split('/').pop()}`);
    assert.deepEqual(g.body.members.map((m) => m.value), [uid]);
    assert.equal((await scim(`/Users/${uid}`)).body.title, 'Bulk');
    // failOnErrors: 1 stops after the first error.
    const f = await scim('/Bulk', { method: 'POST', body: { schemas: [BULK], failOnErrors: 1, Operations: [
      { method: 'POST', path: '/Users', bulkId: 'a', data: newUser('bulk1@acme.test') },
      { method: 'POST', path: '/Users', bulkId: 'b', data: newUser('bulk2@acme.test') },
    ] } });
    assert.deepEqual(f.body.Operations.map((o) => o.status), ['409']);
    assert.equal((await scim(`/Users?filter=${encodeURIComponent('userName eq "bulk2@acme.test"')}`)).body.totalResults, 0);
    // An unknown bulkId, and operations that are not well formed.
    const bad = await scim('/Bulk', { method: 'POST', body: { schemas: [BULK], Operations: [
      { method: 'PATCH', path: '/Users/bulkId:nope', data: { schemas: [PATCH], Operations: [] } },
      { method: 'POST', path: '/Widgets', bulkId: 'w', data: {} },
      { method: 'GET', path: `/Users/${uid}` },
    ] } });
    assert.deepEqual(bad.body.Operations.map((o) => o.status), ['409', '400', '400']);
    // Over 1,000 operations: refused whole.
    const many = Array.from({ length: 1001 }, (_, i) => ({ method: 'DELETE', path: `/Users/usr_${i}` }));
    assertScimError(await scim('/Bulk', { method: 'POST', body: { schemas: [BULK], Operations: many } }), 413, 'tooMany');
  } finally {
    await s.stop();
  }
});

void PASSWORD;
