// Words a plant manager reads (issue 22 item 2): no page of the demo plant,
// console or kiosk, shows a programmer's value (`null`, `undefined`, `NaN`,
// `[object Object]`) or a requirement number such as "(000)" or "(003)" in
// its text, its labels, its titles or its placeholders. Every console page
// of the navigation, every user's and role's page, a task, an order, a group
// and an agenda screen, and every kiosk screen a worker reaches are read
// once they have finished loading.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../api/lib.mjs';
import { launch, newPage, signIn } from './lib.mjs';

const PASSWORD = 'demo-plant-password';
const BAD = /\bnull\b|\bundefined\b|\bNaN\b|\[object Object\]|\(00\d\)/;

/** The text of a page as people meet it: visible text plus labels, titles, placeholders and option texts. */
async function words(page) {
  // A page has loaded when no skeleton or busy region is left.
  await page.waitForFunction(() => !document.querySelector('[aria-busy="true"], .skeleton'), null, { timeout: 20000 }).catch(() => {});
  return page.evaluate(() => {
    const parts = [document.title, document.body.innerText];
    for (const el of document.querySelectorAll('[aria-label], [title], [placeholder], option, [aria-description]')) {
      for (const a of ['aria-label', 'title', 'placeholder', 'aria-description']) if (el.getAttribute(a)) parts.push(el.getAttribute(a));
      if (el.tagName === 'OPTION') parts.push(el.textContent);
    }
    return parts.join('\n');
  });
}

function scan(found, name, text) {
  for (const line of text.split('\n')) if (BAD.test(line)) found.push(`${name}: ${line.trim().slice(0, 160)}`);
}

test('no page of the demo shows null, undefined or a requirement number', async () => {
  const s = await startServer({ init: false, args: ['--demo'] });
  const browser = await launch();
  try {
    const found = [];
    const token = await s.login('ada@riverside.example', PASSWORD, 'riverside');
    const page = await newPage(browser);
    await signIn(page, s.url, 'ada@riverside.example', PASSWORD);
    await page.getByRole('link', { name: 'Wanda Kowalski' }).waitFor();

    // Every page of the navigation.
    const nav = await page.locator('nav#sidebar a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    assert.ok(nav.length >= 8, nav.join(' '));
    for (const href of nav) {
      await page.goto(`${s.url}${href}`);
      await page.locator('main h1').first().waitFor();
      await page.waitForLoadState('networkidle');
      scan(found, href, await words(page));
    }

    // Every user's page, and every role, group, task, order and agenda screen the demo has.
    const users = (await s.api('/v1/users?limit=200', { token })).body.items;
    assert.ok(users.length >= 8);
    for (const u of users) {
      await page.goto(`${s.url}/console/users/${u.id}`);
      await page.getByRole('heading', { name: u.name, level: 1 }).waitFor();
      await page.waitForLoadState('networkidle');
      scan(found, `user ${u.name}`, await words(page));
    }
    const extra = [];
    for (const g of (await s.api('/v1/groups', { token })).body.items) extra.push(`/console/groups/${g.id}`);
    const tasks = (await s.api('/v1/tasks?limit=200', { token })).body.items;
    for (const t of tasks.slice(0, 6)) extra.push(`/console/tasks/${t.id}`);
    for (const o of new Set(tasks.map((t) => t.order_ref).filter(Boolean))) extra.push(`/console/orders?ref=${encodeURIComponent(o)}`);
    for (const sc of (await s.api('/v1/screens', { token })).body.items) extra.push(`/console/screens/${sc.id}`);
    extra.push('/console/profile', '/console/users/import', '/console/users?tab=invites', '/console/roles');
    for (const path of extra) {
      await page.goto(`${s.url}${path}`);
      await page.locator('main h1').first().waitFor();
      await page.waitForLoadState('networkidle');
      scan(found, path, await words(page));
    }

    // The kiosk: badge, PIN, tasks, the worker's own week, the PIN change.
    const [, wBadge, wPin] = s.log().match(/badge (\S+)\s+PIN (\d+)\s+Wanda Kowalski/);
    const kiosk = await newPage(browser);
    await kiosk.goto(`${s.url}/kiosk/riverside/`);
    await kiosk.getByLabel('Badge or employee code').waitFor();
    scan(found, 'kiosk: badge', await words(kiosk));
    await kiosk.getByLabel('Badge or employee code').fill(wBadge);
    await kiosk.keyboard.press('Enter');
    await kiosk.getByRole('heading', { name: 'Enter your PIN' }).waitFor();
    scan(found, 'kiosk: PIN', await words(kiosk));
    await kiosk.keyboard.type(wPin);
    await kiosk.keyboard.press('Enter');
    await kiosk.getByRole('heading', { name: /Hello, Wanda/ }).waitFor();
    scan(found, 'kiosk: tasks', await words(kiosk));
    await kiosk.getByRole('button', { name: 'My time' }).click();
    await kiosk.getByRole('heading', { name: 'My time, last 7 days' }).waitFor();
    scan(found, 'kiosk: my time', await words(kiosk));
    await kiosk.getByRole('button', { name: 'Back to my tasks' }).click();
    await kiosk.getByRole('button', { name: 'Change PIN' }).click();
    await kiosk.getByRole('heading', { name: 'Change your PIN' }).waitFor();
    scan(found, 'kiosk: change PIN', await words(kiosk));

    assert.deepEqual(found, [], `words nobody should read:\n${found.join('\n')}`);
    page.assertClean();
    kiosk.assertClean();
  } finally {
    await browser.close();
    await s.stop();
  }
});
