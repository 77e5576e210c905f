// Takes the screenshots in docs/screenshots/ from the demo plant
// (`gatehouse serve --demo`), at 1024x768. Run by hand after changing the
// pages (not part of `make test`):
//
//   GATEHOUSE_BIN=$PWD/build-test/gatehouse node tests/browser/screenshots.mjs
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startServer } from '../api/lib.mjs';
import { launch, newPage, signIn } from './lib.mjs';

const OUT = join(import.meta.dirname, '../../docs/screenshots');
const PASSWORD = 'demo-plant-password';

const s = await startServer({ init: false, args: ['--demo'] });
const browser = await launch();
const shot = async (page, name) => {
  await page.waitForTimeout(250); // let fonts and focus settle
  await page.screenshot({ path: join(OUT, `${name}.png`) });
  console.log(`docs/screenshots/${name}.png`);
};
try {
  mkdirSync(OUT, { recursive: true });
  const out = s.log();
  const badge = (name) => out.match(new RegExp(`badge (\\S+)\\s+PIN (\\d+)\\s+${name}`));
  const page = await newPage(browser);
  await page.goto(`${s.url}/console/sign-in`);
  await page.getByLabel('Email').fill('ada@riverside.example');
  await shot(page, 'sign-in');
  await signIn(page, s.url, 'ada@riverside.example', PASSWORD);
  await page.getByRole('link', { name: 'Wanda Kowalski' }).waitFor();
  await shot(page, 'users');

  await page.getByRole('button', { name: 'Invite others' }).first().click();
  const dlg = page.getByRole('dialog', { name: 'Invite others' });
  await dlg.getByLabel('Email addresses').fill('lena@riverside.example\nmarco@riverside.example\nnot-an-address');
  await dlg.getByLabel('Role').selectOption({ label: 'Shift supervisor' });
  await dlg.getByRole('button', { name: 'Send invitations' }).click();
  await dlg.getByText(/of 3 invitations (created|queued)/).waitFor();
  await shot(page, 'invite-dialog');
  await dlg.getByRole('button', { name: 'Close' }).click();

  // Quinn has only the QC, QMS and gages modules: why can't she see Orders?
  await page.getByRole('link', { name: 'Quinn Okafor' }).click();
  await page.getByRole('heading', { name: 'Quinn Okafor', level: 1 }).waitFor();
  await page.getByLabel(/Why can or can't Quinn Okafor/).selectOption({ label: 'see the Orders tab (hidden)' });
  await page.locator('#why').scrollIntoViewIfNeeded();
  await page.evaluate(() => document.getElementById('why').scrollIntoView({ block: 'start' }));
  await shot(page, 'user-explained');

  await page.goto(`${s.url}/console/users?q=wanda`);
  await page.getByRole('link', { name: 'Wanda Kowalski' }).click();
  await page.getByRole('heading', { name: 'Wanda Kowalski', level: 1 }).waitFor();
  await page.locator('.chart').waitFor();
  await page.evaluate(() => document.getElementById('act-h').scrollIntoView({ block: 'start' }));
  await shot(page, 'user-activity');

  await page.goto(`${s.url}/console/roles`);
  await page.locator('#roles-matrix').waitFor();
  await shot(page, 'roles-matrix');

  await page.goto(`${s.url}/console/groups`);
  await page.getByRole('link', { name: 'Line 1 leads' }).click();
  await page.getByRole('heading', { name: 'Line 1 leads' }).waitFor();
  await shot(page, 'group');

  await page.goto(`${s.url}/console/views`);
  await page.getByRole('row', { name: /Line 1 output/ }).waitFor();
  await shot(page, 'views');

  await page.goto(`${s.url}/console/settings`);
  await page.getByRole('heading', { name: 'General' }).waitFor();
  await shot(page, 'settings');

  await page.goto(`${s.url}/console/audit`);
  await page.getByRole('region', { name: 'Audit events' }).waitFor();
  await shot(page, 'audit');

  await page.goto(`${s.url}/console/tasks`);
  await page.getByRole('region', { name: 'Tasks', exact: true }).getByRole('row', { name: /T-2042/ }).waitFor();
  await shot(page, 'tasks');

  await page.goto(`${s.url}/console/orders?ref=SO-1041`);
  await page.getByRole('region', { name: 'People assigned to the order' }).getByText('Priya Raman').waitFor();
  await shot(page, 'order');

  await page.goto(`${s.url}/console/users/import`);
  await page.getByLabel('Or paste the rows').fill('name,email,role,badge\nLena Berg,lena.b@riverside.example,supervisor,\nKarl Stein,,operator,1010\nMo Ali,mo@riverside,operator,\nAda Admin,ada@riverside.example,admin,\n');
  await page.getByRole('button', { name: 'Preview' }).click();
  await page.getByText(/Preview of 4 rows/).waitFor();
  await page.evaluate(() => document.querySelector('.import-summary').scrollIntoView({ block: 'center' }));
  await shot(page, 'import-preview');

  // The kiosk, on a tablet.
  const [, wBadge, wPin] = badge('Wanda Kowalski');
  const kiosk = await newPage(browser);
  await kiosk.goto(`${s.url}/kiosk/riverside/`);
  await kiosk.getByLabel('Badge or employee code').fill(wBadge);
  await kiosk.keyboard.press('Enter');
  await kiosk.getByRole('heading', { name: 'Enter your PIN' }).waitFor();
  await kiosk.keyboard.type(wPin.slice(0, 2));
  await kiosk.locator('body').click({ position: { x: 5, y: 740 } });
  await shot(kiosk, 'kiosk-pin-pad');
  await kiosk.keyboard.type(wPin.slice(2));
  await kiosk.keyboard.press('Enter');
  await kiosk.getByRole('heading', { name: /Hello, Wanda/ }).waitFor();
  await kiosk.mouse.click(5, 740);
  await shot(kiosk, 'kiosk-tasks');
  await kiosk.getByRole('button', { name: /Check in: Drill|Check in: Final/ }).first().click();
  await kiosk.getByRole('dialog', { name: 'Finish your other task first' }).waitFor();
  await shot(kiosk, 'kiosk-single-task');

  // The kiosk in each language (issue 22): Wanda's own language setting
  // decides once she is signed in; before, the browser's.
  const admin = await s.login('ada@riverside.example', PASSWORD);
  const wanda = (await s.api('/v1/users?q=Wanda', { token: admin })).body.items[0];
  const words = { es: ['Iniciar sesión', 'Introduce tu PIN', /Hola, Wanda/], de: ['Anmelden', 'PIN eingeben', /Hallo, Wanda/] };
  for (const [lang, [signInTitle, pinTitle, hello]] of Object.entries(words)) {
    const r = await s.api(`/v1/users/${wanda.id}`, { method: 'PATCH', token: admin, body: { language: lang } });
    if (r.status !== 200) throw new Error(`language ${lang}: ${JSON.stringify(r.body)}`);
    const k = await newPage(browser, { context: { locale: lang } });
    await k.goto(`${s.url}/kiosk/riverside/`);
    await k.getByRole('heading', { name: signInTitle, level: 1 }).waitFor();
    await shot(k, `kiosk-sign-in-${lang}`);
    await k.locator('#k-badge').fill(wBadge);
    await k.keyboard.press('Enter');
    await k.getByRole('heading', { name: pinTitle }).waitFor();
    await k.keyboard.type(wPin);
    await k.keyboard.press('Enter');
    await k.getByRole('heading', { name: hello }).waitFor();
    await k.mouse.click(5, 740);
    await shot(k, `kiosk-tasks-${lang}`);
    k.assertClean();
  }
  await s.api(`/v1/users/${wanda.id}`, { method: 'PATCH', token: admin, body: { language: null } });

  // The newcomer with a temporary PIN must choose his own.
  const [, jBadge, jPin] = badge('Jonas Keller');
  const k2 = await newPage(browser, { viewport: { width: 375, height: 740 } });
  await k2.goto(`${s.url}/kiosk/riverside/?badge=${jBadge}`);
  await k2.getByRole('heading', { name: 'Enter your PIN' }).waitFor();
  await k2.keyboard.type(jPin);
  await k2.keyboard.press('Enter');
  await k2.getByRole('heading', { name: 'Choose your own PIN' }).waitFor();
  await k2.mouse.click(5, 720);
  await k2.screenshot({ path: join(OUT, 'kiosk-phone-new-pin.png') });
  console.log('docs/screenshots/kiosk-phone-new-pin.png');

  page.assertClean();
  kiosk.assertClean();
  k2.assertClean();
} finally {
  await browser.close();
  await s.stop();
}
