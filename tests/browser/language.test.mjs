// Languages in a real browser (issue 22): the console follows the person's
// setting, else the browser's language, else English; field errors show in
// the person's language; the kiosk follows the worker's setting, then the
// enrolled device's, then the browser's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../api/lib.mjs';
import { launch, newPage, signIn, navLabels } from './lib.mjs';
import { PASSWORD } from '../api/lib.mjs';

test('console: My profile switches the language; field errors and navigation follow; the browser\'s language otherwise', async () => {
  const s = await startServer();
  const browser = await launch();
  try {
    const page = await newPage(browser, { context: { locale: 'en-US' } });
    await signIn(page, s.url, 'admin@acme.test', PASSWORD);
    assert.ok((await navLabels(page)).includes('Users'), 'English by default');
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'en');

    await page.goto(`${s.url}/console/profile`);
    await page.getByRole('heading', { name: 'My profile', level: 1 }).waitFor();
    await page.getByLabel('Language').selectOption('es');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByRole('heading', { name: 'Mi perfil', level: 1 }).waitFor();
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'es');
    const nav = await navLabels(page);
    for (const l of ['Usuarios', 'Roles', 'Ajustes', 'Registro de auditoría', 'Mi perfil']) assert.ok(nav.includes(l), `${l} in ${nav}`);
    assert.ok(!nav.includes('Users'));
    await page.getByRole('button', { name: 'Cerrar sesión' }).first().waitFor();
    assert.match(await page.title(), /^Mi perfil · gatehouse$/);

    // A field error from the server (English detail, stable code) in Spanish, beside its field.
    await page.getByLabel('Número de móvil').fill('call me maybe');
    await page.getByRole('button', { name: 'Guardar', exact: true }).click();
    const err = page.locator('.field[data-field="mobile"] .error');
    await err.waitFor({ state: 'visible' });
    assert.equal(await err.textContent(), 'Un número de móvil tiene hasta 40 dígitos, espacios y + - ( ) .');
    assert.equal(await page.getByLabel('Número de móvil').getAttribute('aria-invalid'), 'true');

    // It stays after a reload, and in a browser that asks for German.
    await page.reload();
    await page.getByRole('heading', { name: 'Mi perfil', level: 1 }).waitFor();
    const state = await page.context().storageState();
    const de = await newPage(browser, { context: { locale: 'de-DE', storageState: state } });
    await de.goto(`${s.url}/console/profile`);
    await de.getByRole('heading', { name: 'Mi perfil', level: 1 }).waitFor();

    // Back to "the browser's language": this one asks for German.
    await de.getByLabel('Idioma').selectOption('');
    await de.getByRole('button', { name: 'Guardar', exact: true }).click();
    await de.getByRole('heading', { name: 'Mein Profil', level: 1 }).waitFor();
    assert.ok((await navLabels(de)).includes('Benutzer'));
    assert.equal(await de.evaluate(() => document.documentElement.lang), 'de');
    // ... and the English browser is English again.
    await page.reload();
    await page.getByRole('heading', { name: 'My profile', level: 1 }).waitFor();
    assert.ok((await navLabels(page)).includes('Users'));

    // German: the kiosk devices page and its language column.
    await de.goto(`${s.url}/console/kiosk-devices`);
    await de.getByRole('heading', { name: 'Kiosk-Geräte', level: 1 }).waitFor();
    await de.getByRole('button', { name: 'Gerät registrieren' }).click();
    const dlg = de.getByRole('dialog', { name: 'Kiosk-Gerät registrieren' });
    await dlg.getByLabel('Gerätename').fill('Tablet Linie 2');
    await dlg.getByLabel('Sprache').selectOption('es');
    await dlg.getByRole('button', { name: 'Registrieren' }).click();
    const link = await de.locator('dialog code.secret').textContent();
    assert.match(link, /#device=[a-z]+_[A-Za-z0-9_-]+&lang=es$/);
    await de.getByRole('button', { name: 'Fertig' }).click();
    await de.getByRole('combobox', { name: 'Sprache von Tablet Linie 2' }).waitFor();
    assert.equal(await de.getByRole('combobox', { name: 'Sprache von Tablet Linie 2' }).inputValue(), 'es');

    page.assertClean();
    de.assertClean();
  } finally {
    await browser.close();
    await s.stop();
  }
});

test('kiosk: the worker\'s language, then the device\'s, then the browser\'s', async () => {
  const s = await startServer();
  const browser = await launch();
  try {
    const admin = await s.login();
    const worker = async (name, badge, language) => {
      const w = await s.api('/v1/users', { method: 'POST', token: admin, body: { name, role: 'user', badge, factory_access: true, language } });
      assert.equal(w.status, 201, JSON.stringify(w.body));
      const p = await s.api(`/v1/users/${w.body.id}/pin`, { method: 'POST', token: admin, body: {} });
      assert.equal(p.status, 200, JSON.stringify(p.body));
      return p.body.pin;
    };
    const pins = { 4001: await worker('Wanda Weld', '4001'), 4002: await worker('Dieter Dreher', '4002', 'de') };
    const dev = await s.api('/v1/kiosk-devices', { method: 'POST', token: admin, body: { name: 'Line 2 tablet', language: 'es' } });
    assert.equal(dev.status, 201, JSON.stringify(dev.body));

    // An English browser, no device: English.
    const en = await newPage(browser, { context: { locale: 'en-US' } });
    await en.goto(`${s.url}/kiosk/acme/`);
    await en.getByRole('heading', { name: 'Sign in', level: 1 }).waitFor();
    await en.getByLabel('Badge or employee code').waitFor();

    // A German browser, no device: German.
    const de = await newPage(browser, { context: { locale: 'de-DE' } });
    await de.goto(`${s.url}/kiosk/acme/`);
    await de.getByRole('heading', { name: 'Anmelden', level: 1 }).waitFor();
    assert.equal(await de.evaluate(() => document.documentElement.lang), 'de');

    // The Spanish device in an English browser: Spanish before anyone signs in.
    const k = await newPage(browser, { context: { locale: 'en-US' } });
    await k.goto(`${s.url}/kiosk/acme/#device=${dev.body.token}&lang=es`);
    await k.getByRole('heading', { name: 'Iniciar sesión', level: 1 }).waitFor();
    assert.equal(await k.evaluate(() => location.hash), '', 'the credential leaves the address');
    const signInAs = async (badge) => {
      await k.getByLabel('Tarjeta o número de empleado').fill(badge);
      await k.keyboard.press('Enter');
      await k.getByRole('heading', { name: 'Introduce tu PIN' }).waitFor();
      await k.keyboard.type(pins[badge]);
      await k.keyboard.press('Enter');
    };
    // Wanda has no language of her own: the device's.
    await signInAs('4001');
    await k.getByRole('heading', { name: 'Elige tu propio PIN' }).waitFor();
    await k.getByRole('button', { name: 'Cancelar y cerrar sesión' }).click();
    await k.getByText('Has cerrado la sesión.').waitFor();
    // Dieter's own language wins over the device's, and the device's comes back after him.
    await signInAs('4002');
    await k.getByRole('heading', { name: 'Eigene PIN wählen' }).waitFor();
    assert.equal(await k.evaluate(() => document.documentElement.lang), 'de');
    assert.equal(await k.locator('#k-signout').textContent(), 'Abmelden');
    await k.keyboard.type('582914');
    await k.keyboard.press('Enter');
    await k.getByRole('heading', { name: 'Neue PIN wiederholen' }).waitFor();
    await k.keyboard.type('582914');
    await k.keyboard.press('Enter');
    await k.getByRole('heading', { name: 'Hallo, Dieter' }).waitFor();
    await k.getByText('Ihre neue PIN ist gespeichert. Verwenden Sie sie beim nächsten Mal.').waitFor();
    await k.getByRole('heading', { name: 'Meine Aufgaben' }).waitFor();
    await k.getByRole('button', { name: 'Abmelden' }).click();
    await k.getByRole('heading', { name: 'Iniciar sesión', level: 1 }).waitFor();
    await k.getByText('Has cerrado la sesión.').waitFor();
    assert.equal(await k.evaluate(() => document.documentElement.lang), 'es');

    // The administrator sets the device to German: the next sign-in on it
    // brings the new language, which stays for the sign-in screen.
    assert.equal((await s.api(`/v1/kiosk-devices/${dev.body.id}`, { method: 'PATCH', token: admin, body: { language: 'de' } })).status, 200);
    pins[4001] = (await s.api(`/v1/users/${(await s.api('/v1/users?q=Wanda', { token: admin })).body.items[0].id}/pin`, { method: 'POST', token: admin, body: {} })).body.pin;
    await signInAs('4001');
    await k.getByRole('heading', { name: 'Eigene PIN wählen' }).waitFor();
    await k.getByRole('button', { name: 'Abbrechen und abmelden' }).click();
    await k.getByRole('heading', { name: 'Anmelden', level: 1 }).waitFor();

    en.assertClean();
    de.assertClean();
    k.assertClean();
  } finally {
    await browser.close();
    await s.stop();
  }
});

test('console: an administrator sets a factory worker\'s language on their page; office users choose their own', async () => {
  const s = await startServer();
  const browser = await launch();
  try {
    const admin = await s.login();
    const w = await s.api('/v1/users', { method: 'POST', token: admin, body: { name: 'Wanda Weld', role: 'user', badge: '5001', factory_access: true } });
    assert.equal(w.status, 201, JSON.stringify(w.body));
    assert.equal(w.body.language, null);
    const olga = await s.makeUser(admin, 'olga@acme.test', 'user', 'Olga Office');

    const page = await newPage(browser, { context: { locale: 'en-US' } });
    await signIn(page, s.url, 'admin@acme.test', PASSWORD);
    await page.goto(`${s.url}/console/users/${w.body.id}`);
    await page.getByRole('heading', { name: 'Wanda Weld', level: 1 }).waitFor();
    const card = page.getByRole('region', { name: 'Factory access' });
    const lang = card.getByLabel('Language');
    assert.equal(await lang.inputValue(), '', 'no language of her own yet');
    await lang.selectOption('es');
    await card.getByRole('button', { name: 'Save factory access' }).click();
    await page.locator('#toasts .toast').getByText('Factory access saved.', { exact: true }).waitFor();
    const got = async () => (await s.api(`/v1/users/${w.body.id}`, { token: admin })).body.language;
    assert.equal(await got(), 'es');
    // The page drew again with her language; the console itself stays English.
    assert.equal(await page.getByRole('region', { name: 'Factory access' }).getByLabel('Language').inputValue(), 'es');
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'en');

    // Back to the kiosk's or the browser's language: null on the server.
    await page.getByRole('region', { name: 'Factory access' }).getByLabel('Language').selectOption('');
    await page.evaluate(() => document.querySelectorAll('#toasts .toast').forEach((t) => t.remove()));
    await page.getByRole('region', { name: 'Factory access' }).getByRole('button', { name: 'Save factory access' }).click();
    await page.locator('#toasts .toast').getByText('Factory access saved.', { exact: true }).waitFor();
    assert.equal(await got(), null);

    // An office user's page offers no language: she chooses it in her profile.
    await page.goto(`${s.url}/console/users/${olga.id}`);
    await page.getByRole('heading', { name: 'Olga Office', level: 1 }).waitFor();
    const olgaCard = page.getByRole('region', { name: 'Factory access' });
    await olgaCard.getByLabel('Badge or employee code').waitFor();
    assert.equal(await olgaCard.getByLabel('Language').count(), 0);
    assert.equal(await page.getByLabel('Language').count(), 0);
  } finally {
    await browser.close();
    await s.stop();
  }
});
