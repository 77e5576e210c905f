// Onboarding staff in the console: a CSV import previewed row by row before
// anything changes, and a factory worker given a badge and a temporary kiosk
// PIN (shown once, with the kiosk link) who then signs in at the kiosk.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, PASSWORD } from '../api/lib.mjs';
import { launch, newPage, signIn } from './lib.mjs';

test('import: dry-run preview of every row, then apply', async () => {
  const s = await startServer();
  const browser = await launch();
  try {
    const admin = await s.login();
    const page = await newPage(browser);
    await signIn(page, s.url, 'admin@acme.test', PASSWORD);
    await page.getByRole('link', { name: 'Import CSV' }).click();
    await page.getByRole('heading', { name: 'Import users from CSV' }).waitFor();
    const csv = 'name,email,role,badge\n' +
      'Maria García,maria@acme.test,user,\n' +
      'Tomasz Nowak,,user,1042\n' +
      'No Role,nr@acme.test,wizard,\n' +
      'Ada Again,admin@acme.test,user,\n';
    await page.getByLabel('Or paste the rows').fill(csv);
    await page.getByRole('button', { name: 'Preview' }).click();
    await page.getByText('Preview of 4 rows: nothing has changed yet.').waitFor();
    const rows = page.getByRole('region', { name: 'Rows' }).getByRole('row');
    assert.equal(await rows.count(), 5);
    assert.match(await rows.nth(1).textContent(), /Maria García.*Invite/);
    assert.match(await rows.nth(2).textContent(), /Tomasz Nowak.*1042.*Create/);
    assert.match(await rows.nth(3).textContent(), /No Role.*Error.*role/);
    assert.match(await rows.nth(4).textContent(), /Ada Again.*Skip/);
    await page.shot('staff-01-import-preview');
    // Nothing changed yet.
    assert.equal((await s.api('/v1/users?q=Tomasz', { token: admin })).body.items.length, 0);

    await page.getByRole('button', { name: 'Import 2 rows' }).click();
    await page.getByText(/Imported: 1 invited, 1 created, 1 skipped, 1 with errors/).waitFor();
    assert.equal((await s.api('/v1/users?q=Tomasz', { token: admin })).body.items[0].badge, '1042');
    const inv = await s.api('/v1/invites', { token: admin });
    assert.deepEqual(inv.body.items.map((i) => i.email), ['maria@acme.test']);

    // A file-level fault (an unknown column) is shown, with nothing to import.
    await page.getByLabel('Or paste the rows').fill('name,role,shoe_size\nX,user,44\n');
    await page.getByRole('button', { name: 'Preview' }).click();
    await page.getByRole('alert').filter({ hasText: /shoe_size/ }).waitFor();
    assert.equal(await page.getByRole('button', { name: /^Import \d/ }).isHidden(), true);
    page.assertClean();
  } finally {
    await browser.close();
    await s.stop();
  }
});

test('factory worker: badge, temporary PIN shown once with the kiosk link, kiosk sign-in', async () => {
  const s = await startServer();
  const browser = await launch();
  try {
    const page = await newPage(browser);
    await signIn(page, s.url, 'admin@acme.test', PASSWORD);
    await page.getByRole('button', { name: 'Add staff member' }).click();
    const dlg = page.getByRole('dialog', { name: 'Add staff member' });
    await dlg.getByLabel('Name').fill('Frank Floor');
    await dlg.getByLabel('Access').selectOption('factory');
    await dlg.getByLabel('Badge or employee code').fill('2001');
    await dlg.getByRole('button', { name: 'Add' }).click();
    await page.getByRole('heading', { name: 'Frank Floor', level: 1 }).waitFor();
    assert.match(await page.getByTestId('pin-state').textContent(), /Not set yet/);

    await page.getByRole('button', { name: 'Set kiosk PIN' }).click();
    await page.getByRole('dialog', { name: 'Set a temporary kiosk PIN' }).getByRole('button', { name: 'Create PIN' }).click();
    const shown = page.getByRole('dialog', { name: 'Temporary PIN' });
    const pin = (await shown.getByTestId('temp-pin').textContent()).trim();
    assert.match(pin, /^\d{6,12}$/);
    assert.match(await shown.textContent(), new RegExp(`/kiosk/acme/\\?badge=2001`));
    await page.shot('staff-02-temporary-pin');
    await shown.getByRole('button', { name: 'OK' }).click();
    await page.getByTestId('pin-state').filter({ hasText: 'Set.' }).waitFor();

    const kiosk = await newPage(browser);
    await kiosk.goto(`${s.url}/kiosk/acme/?badge=2001`);
    await kiosk.getByRole('heading', { name: 'Enter your PIN' }).waitFor();
    await kiosk.keyboard.type(pin);
    await kiosk.keyboard.press('Enter');
    await kiosk.getByRole('heading', { name: 'Choose your own PIN' }).waitFor();
    page.assertClean();
    kiosk.assertClean();
  } finally {
    await browser.close();
    await s.stop();
  }
});

test('kiosk devices: enrolled-only sign-in refuses other devices until the enrolment link is opened', async () => {
  const s = await startServer();
  const browser = await launch();
  try {
    const admin = await s.login();
    const w = await s.api('/v1/users', { method: 'POST', token: admin, body: { name: 'Dora Drill', role: 'user', badge: '3001', factory_access: true } });
    const pin = (await s.api(`/v1/users/${w.body.id}/pin`, { method: 'POST', token: admin, body: {} })).body.pin;

    const page = await newPage(browser);
    await signIn(page, s.url, 'admin@acme.test', PASSWORD);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Kiosk devices' }).click();
    await page.getByRole('button', { name: 'Enrol a device' }).click();
    const dlg = page.getByRole('dialog', { name: 'Enrol a kiosk device' });
    await dlg.getByLabel('Device name').fill('Line 3 tablet');
    await dlg.getByRole('button', { name: 'Enrol' }).click();
    const shown = page.getByRole('dialog', { name: 'Enrol Line 3 tablet' });
    const link = (await shown.locator('code').textContent()).trim();
    assert.match(link, /\/kiosk\/acme\/#device=ghd_/);
    await shown.getByRole('button', { name: 'Done' }).click();
    await page.getByRole('cell', { name: 'Line 3 tablet', exact: true }).waitFor();

    // Only enrolled devices from now on (it.operations, in settings).
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
    await page.getByLabel('Kiosk sign-in only from enrolled devices').check();
    await page.getByRole('region', { name: 'Sessions and kiosk security' }).getByRole('button', { name: 'Save' }).click();
    await page.getByText('Security settings saved.').waitFor();
    assert.equal((await s.api('/v1/org', { token: admin })).body.settings.kiosk_enrolled_devices_only, true);

    const kiosk = await newPage(browser);
    await kiosk.goto(`${s.url}/kiosk/acme/?badge=3001`);
    await kiosk.getByRole('heading', { name: 'Enter your PIN' }).waitFor();
    await kiosk.keyboard.type(pin);
    await kiosk.keyboard.press('Enter');
    await kiosk.getByRole('alert').filter({ hasText: 'This device is not enrolled as a kiosk' }).waitFor();

    // Opening the enrolment link once makes this browser a kiosk; the secret leaves the address bar.
    await kiosk.goto('about:blank');
    await kiosk.goto(link);
    await kiosk.getByLabel('Badge or employee code').waitFor();
    assert.equal(new URL(kiosk.url()).hash, '');
    await kiosk.getByLabel('Badge or employee code').fill('3001');
    await kiosk.keyboard.press('Enter');
    await kiosk.getByRole('heading', { name: 'Enter your PIN' }).waitFor();
    await kiosk.keyboard.type(pin);
    await kiosk.keyboard.press('Enter');
    await kiosk.getByRole('heading', { name: 'Choose your own PIN' }).waitFor();
    page.assertClean();
    kiosk.assertClean();
  } finally {
    await browser.close();
    await s.stop();
  }
});
