// Languages (issue 22): `language` on users and kiosk devices, validated
// against the supported list (en, es, de); who may set it; the kiosk sign-in
// reporting the worker's and the device's; mail in the recipient's language.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { startServer, assertProblem, PASSWORD } from './lib.mjs';

const fieldError = (r, field, code) => {
  assert.ok(Array.isArray(r.body.errors), JSON.stringify(r.body));
  const e = r.body.errors.find((x) => x.field === field);
  assert.ok(e, `no error for ${field}: ${JSON.stringify(r.body)}`);
  assert.equal(e.code, code);
  assert.match(e.detail, /^[A-Z]/, 'a sentence-case detail');
};

test('language on the user: own profile, administrators for workers, validated, audited', async () => {
  const s = await startServer();
  try {
    const admin = await s.login();
    let me = await s.api('/v1/me', { token: admin });
    assert.equal(me.status, 200);
    assert.equal(me.body.language, null, 'no language until one is chosen');

    // An unsupported value is refused with a field error and changes nothing.
    for (const bad of ['fr', 'EN', 'es-ES', 'x'.repeat(40), '']) {
      if (bad === '') continue; // "" clears, tested below
      const r = await s.api('/v1/me', { method: 'PATCH', token: admin, body: { language: bad } });
      assertProblem(r, 400, 'unsupported_language');
      fieldError(r, 'language', 'unsupported_language');
    }
    const wrongType = await s.api('/v1/me', { method: 'PATCH', token: admin, body: { language: 7 } });
    assert.equal(wrongType.status, 400, JSON.stringify(wrongType.body));
    // Every invalid field at once: a bad mobile and a bad language.
    const two = await s.api('/v1/me', { method: 'PATCH', token: admin, body: { mobile: 'call me', language: 'klingon' } });
    assert.equal(two.status, 400);
    fieldError(two, 'language', 'unsupported_language');
    fieldError(two, 'mobile', 'invalid_mobile');
    me = await s.api('/v1/me', { token: admin });
    assert.equal(me.body.language, null);
    assert.equal(me.body.mobile, '');

    const es = await s.api('/v1/me', { method: 'PATCH', token: admin, body: { language: 'es' } });
    assert.equal(es.status, 200, JSON.stringify(es.body));
    assert.equal(es.body.language, 'es');
    assert.equal((await s.api('/v1/me', { token: admin })).body.language, 'es');
    const cleared = await s.api('/v1/me', { method: 'PATCH', token: admin, body: { language: null } });
    assert.equal(cleared.status, 200);
    assert.equal(cleared.body.language, null);
    assert.equal((await s.api('/v1/me', { method: 'PATCH', token: admin, body: { language: 'de' } })).body.language, 'de');
    assert.equal((await s.api('/v1/me', { method: 'PATCH', token: admin, body: { language: '' } })).body.language, null);

    const audit = await s.api('/v1/audit?action=user.updated', { token: admin });
    assert.ok(audit.body.items.some((a) => a.detail?.language?.to === 'es'), JSON.stringify(audit.body.items.map((a) => a.detail)));

    // users.manage sets a factory worker's language, at creation or later.
    const badNew = await s.api('/v1/users', { method: 'POST', token: admin, body: { name: 'Pia Press', role: 'user', badge: '2001', factory_access: true, language: 'pt' } });
    assertProblem(badNew, 400, 'unsupported_language');
    fieldError(badNew, 'language', 'unsupported_language');
    assert.equal((await s.api('/v1/users?q=Pia', { token: admin })).body.items.length, 0, 'nothing created');
    const w = await s.api('/v1/users', { method: 'POST', token: admin, body: { name: 'Pia Press', role: 'user', badge: '2001', factory_access: true, language: 'de' } });
    assert.equal(w.status, 201, JSON.stringify(w.body));
    assert.equal(w.body.language, 'de');
    const toEs = await s.api(`/v1/users/${w.body.id}`, { method: 'PATCH', token: admin, body: { language: 'es' } });
    assert.equal(toEs.status, 200, JSON.stringify(toEs.body));
    assert.equal(toEs.body.language, 'es');
    const badPatch = await s.api(`/v1/users/${w.body.id}`, { method: 'PATCH', token: admin, body: { language: 'it' } });
    assertProblem(badPatch, 400, 'unsupported_language');
    assert.equal((await s.api(`/v1/users/${w.body.id}`, { token: admin })).body.language, 'es');

    // An office user's language is theirs alone, like their name.
    const o = await s.api('/v1/users', { method: 'POST', token: admin, body: { email: 'olga@acme.test', name: 'Olga Office', role: 'user', office_access: true } });
    assert.equal(o.status, 201, JSON.stringify(o.body));
    const notYours = await s.api(`/v1/users/${o.body.id}`, { method: 'PATCH', token: admin, body: { language: 'de' } });
    assertProblem(notYours, 403, 'profile_owner_only', 'language');
    assert.equal((await s.api(`/v1/users/${o.body.id}`, { token: admin })).body.language, null);
  } finally { await s.stop(); }
});

test('language on kiosk devices, and the kiosk sign-in reports the worker\'s and the device\'s', async () => {
  const s = await startServer();
  try {
    const admin = await s.login();
    const bad = await s.api('/v1/kiosk-devices', { method: 'POST', token: admin, body: { name: 'Line 2 tablet', language: 'nl' } });
    assertProblem(bad, 400, 'unsupported_language');
    fieldError(bad, 'language', 'unsupported_language');
    assert.equal((await s.api('/v1/kiosk-devices', { token: admin })).body.items.length, 0, 'nothing enrolled');

    const d = await s.api('/v1/kiosk-devices', { method: 'POST', token: admin, body: { name: 'Line 2 tablet', language: 'de' } });
    assert.equal(d.status, 201, JSON.stringify(d.body));
    assert.equal(d.body.language, 'de');
    const badPatch = await s.api(`/v1/kiosk-devices/${d.body.id}`, { method: 'PATCH', token: admin, body: { language: 'DE' } });
    assertProblem(badPatch, 400, 'unsupported_language', 'language');
    const missing = await s.api('/v1/kiosk-devices/kdv_nope', { method: 'PATCH', token: admin, body: { language: 'es' } });
    assertProblem(missing, 404, 'device_not_found');
    const p = await s.api(`/v1/kiosk-devices/${d.body.id}`, { method: 'PATCH', token: admin, body: { language: 'es' } });
    assert.equal(p.status, 200, JSON.stringify(p.body));
    assert.equal(p.body.language, 'es');
    const listed = (await s.api('/v1/kiosk-devices', { token: admin })).body.items;
    assert.equal(listed[0].language, 'es');
    const audit = await s.api('/v1/audit?action=device.updated', { token: admin });
    assert.equal(audit.body.items.length, 1);
    assert.equal(audit.body.items[0].detail.language, 'es');

    const w = await s.api('/v1/users', { method: 'POST', token: admin, body: { name: 'Walt Weld', role: 'user', badge: '3001', factory_access: true } });
    const pin = await s.api(`/v1/users/${w.body.id}/pin`, { method: 'POST', token: admin, body: {} });
    assert.equal(pin.status, 200, JSON.stringify(pin.body));
    const login = (device_token) => s.api('/v1/kiosk/acme/login', { method: 'POST', body: { badge: '3001', pin: pin.body.pin, device_token } });
    let r = await login(d.body.token);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.device_language, 'es');
    assert.equal(r.body.user.language, null);
    r = await login(undefined);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.device_language, null, 'no device, no device language');
    await s.api(`/v1/users/${w.body.id}`, { method: 'PATCH', token: admin, body: { language: 'de' } });
    r = await login(d.body.token);
    assert.equal(r.body.user.language, 'de');
    assert.equal(r.body.device_language, 'es');
  } finally { await s.stop(); }
});

test('mail follows the recipient\'s language: Spanish and German templates, English otherwise', async () => {
  const s = await startServer();
  try {
    const admin = await s.login();
    const es = await s.api('/v1/users', { method: 'POST', token: admin, body: { email: 'elena@acme.test', name: 'Elena Soto', role: 'user', office_access: true, language: 'es' } });
    assert.equal(es.status, 201, JSON.stringify(es.body));
    const en = await s.api('/v1/users', { method: 'POST', token: admin, body: { email: 'emma@acme.test', name: 'Emma Jones', role: 'user', office_access: true } });
    assert.equal(en.status, 201, JSON.stringify(en.body));
    const mail = (to, kind) => {
      const m = s.outbox().filter((x) => x.to === to && x.kind === kind).pop();
      if (!m) return m;
      // The HTML part is not in the outbox listing; read it from the database.
      const q = spawnSync('sqlite3', [s.db, `SELECT html FROM outbox WHERE id = '${m.id.replace(/'/g, '')}'`], { encoding: 'utf8' });
      assert.equal(q.status, 0, q.stderr);
      return { ...m, html: q.stdout };
    };

    const v = mail('elena@acme.test', 'verify_email');
    assert.ok(v, 'a verification mail');
    assert.equal(v.subject, 'Confirma tu dirección de correo para Acme Plant');
    assert.match(v.body, /^Hola, Elena Soto:/);
    assert.match(v.body, /válido durante 72 horas/);
    assert.match(v.html, /<html lang="es">/);
    assert.match(v.html, /Este es un mensaje automático/);
    assert.doesNotMatch(v.body, /\{\{/);
    const ve = mail('emma@acme.test', 'verify_email');
    assert.equal(ve.subject, 'Confirm your email address for Acme Plant');
    assert.match(ve.html, /<html lang="en">/);

    // Elena sets her password through the link, switches to German, then
    // forgets it: the reset mail is German.
    const tok = s.lastToken('elena@acme.test', 'verify_email');
    const set = await s.api('/v1/auth/verify-email', { method: 'POST', body: { token: tok, password: PASSWORD } });
    assert.ok(set.status === 200 || set.status === 204, JSON.stringify(set.body));
    const elena = await s.login('elena@acme.test');
    assert.equal((await s.api('/v1/me', { method: 'PATCH', token: elena, body: { language: 'de' } })).status, 200);
    const f = await s.api('/v1/auth/password-reset', { method: 'POST', body: { email: 'elena@acme.test', org: 'acme' } });
    assert.ok(f.status === 202 || f.status === 204 || f.status === 200, JSON.stringify(f.body));
    await s.waitMail('elena@acme.test', 'password_reset');
    const reset = mail('elena@acme.test', 'password_reset');
    assert.equal(reset.subject, 'Passwort für Acme Plant zurücksetzen');
    assert.match(reset.body, /^Hallo Elena Soto,/);
    assert.match(reset.html, /<html lang="de">/);
  } finally { await s.stop(); }
});
