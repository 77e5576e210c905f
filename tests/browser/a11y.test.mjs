// Accessibility, checked by a machine: axe-core's WCAG 2.1 A and AA rules
// (form labels, accessible names, roles, contrast, landmarks, ...) on every
// console page and every kiosk screen of the demo plant, at tablet width,
// with dialogs open where a page has one. Keyboard use and focus are checked
// by the scenario tests; this catches what a person reviewing pages misses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../api/lib.mjs';
import { launch, newPage, signIn, axeViolations } from './lib.mjs';

const PASSWORD = 'demo-plant-password';

test('console and kiosk pages have no WCAG 2.1 A/AA violations that axe finds', async () => {
  const s = await startServer({ init: false, args: ['--demo'] });
  const browser = await launch();
  try {
    const found = [];
    const audit = async (page, name) => {
      await page.waitForTimeout(200);
      for (const v of await axeViolations(page)) found.push(`${name}: ${v}`);
    };
    const page = await newPage(browser, { context: { bypassCSP: true } });
    await page.goto(`${s.url}/console/sign-in`);
    await page.getByLabel('Email').waitFor();
    await audit(page, 'sign-in');
    await page.goto(`${s.url}/console/forgot-password`);
    await page.getByRole('heading', { level: 1 }).waitFor();
    await audit(page, 'forgot-password');

    await signIn(page, s.url, 'ada@riverside.example', PASSWORD);
    await page.getByRole('link', { name: 'Wanda Kowalski' }).waitFor();
    await audit(page, 'users');
    await page.getByRole('button', { name: 'Invite others' }).first().click();
    await page.getByRole('dialog', { name: 'Invite others' }).waitFor();
    await audit(page, 'users: invite dialog');
    await page.keyboard.press('Escape');
    await page.getByRole('checkbox', { name: 'Select Wanda Kowalski' }).check();
    await page.getByRole('region', { name: 'Bulk actions' }).getByText('1 selected').waitFor();
    await audit(page, 'users: bulk actions');
    await page.getByRole('checkbox', { name: 'Select Wanda Kowalski' }).uncheck();
    await page.getByRole('tab', { name: /Invitations/ }).click();
    await page.getByRole('region', { name: 'Pending invitations' }).waitFor();
    await audit(page, 'users: invitations');

    await page.goto(`${s.url}/console/users?q=wanda`);
    await page.getByRole('link', { name: 'Wanda Kowalski' }).click();
    await page.getByRole('heading', { name: 'Wanda Kowalski', level: 1 }).waitFor();
    await page.locator('.chart').waitFor();
    await page.getByRole('table', { name: 'Time records' }).waitFor();
    await page.getByRole('table', { name: 'Open sessions', exact: true }).waitFor();
    await audit(page, 'user page');

    const pages = [
      ['users/import', () => page.getByLabel('Or paste the rows').waitFor()],
      ['roles', () => page.locator('#roles-matrix').waitFor()],
      ['groups', () => page.getByRole('link', { name: 'Line 1 leads' }).waitFor()],
      ['views', () => page.getByRole('row', { name: /Line 1 output/ }).waitFor()],
      ['settings', () => page.getByRole('heading', { name: 'General' }).waitFor()],
      ['kiosk-devices', () => page.getByRole('heading', { level: 1 }).waitFor()],
      ['api-keys', () => page.getByRole('heading', { level: 1 }).waitFor()],
      ['audit', () => page.getByRole('region', { name: 'Audit events' }).waitFor()],
      ['profile', () => page.getByRole('region', { name: 'Your sessions' }).waitFor()],
      ['tasks', () => page.getByRole('link', { name: 'T-2042' }).waitFor()],
      ['orders?ref=SO-1041', () => page.getByRole('region', { name: 'People assigned to the order' }).getByText('Priya Raman').waitFor()],
      ['screens', () => page.getByRole('link', { name: 'Paint shop' }).waitFor()],
    ];
    for (const [path, ready] of pages) {
      await page.goto(`${s.url}/console/${path}`);
      await ready();
      await audit(page, path);
    }
    await page.goto(`${s.url}/console/groups`);
    await page.getByRole('link', { name: 'Line 1 leads' }).click();
    await page.getByRole('heading', { name: 'Line 1 leads' }).waitFor();
    await audit(page, 'group page');

    // The shop floor: a task (with its delete confirmation), the New task dialog, an agenda screen.
    await page.goto(`${s.url}/console/tasks`);
    await page.getByRole('button', { name: 'New task' }).click();
    await page.getByRole('dialog', { name: 'New task' }).waitFor();
    await audit(page, 'tasks: new task dialog');
    await page.keyboard.press('Escape');
    await page.getByRole('link', { name: 'T-2045' }).click();
    await page.getByRole('heading', { name: 'T-2045: Prime frame A', level: 1 }).waitFor();
    await page.getByRole('list', { name: 'People assigned to order SO-1041' }).waitFor();
    await audit(page, 'task page');
    // T-2042 has Wanda's open check-in: deleting it is refused.
    await page.goto(`${s.url}/console/tasks`);
    await page.getByRole('link', { name: 'T-2042' }).click();
    await page.getByRole('heading', { name: 'T-2042: Weld frame B', level: 1 }).waitFor();
    await page.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('dialog', { name: 'Delete the task T-2042?' }).getByRole('button', { name: 'Delete T-2042' }).click();
    await page.getByRole('dialog').getByRole('alert').waitFor();
    await audit(page, 'task page: delete refused');
    await page.keyboard.press('Escape');
    await page.goto(`${s.url}/console/screens`);
    await page.getByRole('link', { name: 'Line 1' }).click();
    await page.getByRole('heading', { name: 'Line 1', level: 1 }).waitFor();
    await page.getByRole('region', { name: 'Members' }).getByText('Wanda Kowalski').waitFor();
    await audit(page, 'agenda screen page');

    // The kiosk: badge entry, PIN pad, tasks, the single-task prompt.
    const out = s.log();
    const [, wBadge, wPin] = out.match(/badge (\S+)\s+PIN (\d+)\s+Wanda Kowalski/);
    const kiosk = await newPage(browser, { context: { bypassCSP: true } });
    await kiosk.goto(`${s.url}/kiosk/riverside/`);
    await kiosk.getByLabel('Badge or employee code').waitFor();
    await audit(kiosk, 'kiosk: badge');
    await kiosk.getByLabel('Badge or employee code').fill(wBadge);
    await kiosk.keyboard.press('Enter');
    await kiosk.getByRole('heading', { name: 'Enter your PIN' }).waitFor();
    await audit(kiosk, 'kiosk: PIN pad');
    await kiosk.keyboard.type(wPin);
    await kiosk.keyboard.press('Enter');
    await kiosk.getByRole('heading', { name: /Hello, Wanda/ }).waitFor();
    await audit(kiosk, 'kiosk: tasks');
    await kiosk.getByRole('button', { name: 'My time' }).click();
    await kiosk.getByRole('heading', { name: 'My time, last 7 days' }).waitFor();
    await audit(kiosk, 'kiosk: my time');
    await kiosk.getByRole('button', { name: 'Back to my tasks' }).click();
    await kiosk.getByRole('button', { name: 'Change PIN' }).click();
    await kiosk.getByRole('heading', { name: 'Change your PIN' }).waitFor();
    await audit(kiosk, 'kiosk: change PIN');
    await kiosk.getByRole('button', { name: 'Cancel' }).click();
    await kiosk.getByRole('heading', { name: /Hello, Wanda/ }).waitFor();
    await kiosk.getByRole('button', { name: /Check in: Drill|Check in: Final/ }).first().click();
    await kiosk.getByRole('dialog', { name: 'Finish your other task first' }).waitFor();
    await audit(kiosk, 'kiosk: single-task prompt');

    assert.deepEqual(found, [], `accessibility violations:\n${found.join('\n')}`);
    page.assertClean();
    kiosk.assertClean();
  } finally {
    await browser.close();
    await s.stop();
  }
});
