// Issue 22 in a real browser: pickers that search the server beyond 2,000
// people; an administrator correcting a factory worker's name; bulk lock and
// delete with per-person results; every invalid field shown beside its
// input; a view's configuration edited as a form and as checked JSON; the
// kiosk's own PIN change and the worker's last 7 days; display screens'
// session policy and ending one screen's session.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, PASSWORD } from '../api/lib.mjs';
import { kioskWorker, makeWorker, makeTask, assign, GOOD_PINS } from '../api/shopfloor.mjs';
import { launch, newPage, signIn } from './lib.mjs';

/** Runs action and waits for a new toast saying text. */
async function expectToast(page, text, action) {
  await page.evaluate(() => document.querySelectorAll('#toasts .toast').forEach((t) => { t.dataset.seen = '1'; }));
  await action();
  await page.locator('#toasts .toast:not([data-seen])').getByText(text, { exact: true }).waitFor();
}

test('a group\'s member picker finds people beyond the first 2,000 on the server', async () => {
  const s = await startServer();
  const browser = await launch();
  try {
    const admin = await s.login();
    assert.equal(s.cli(['org', 'seats', '--org', 'acme', '--factory', '3000']).status, 0);
    // 2,100 factory workers, named so that "Zora Zuniga" sorts after all of them.
    const rows = ['name,role,badge,factory_access'];
    for (let i = 0; i < 2100; i++) rows.push(`Worker ${String(i).padStart(4, '0')},user,W${i},true`);
    rows.push('Zora Zuniga,user,Z1,true');
    const imp = await s.api('/v1/users/import', { method: 'POST', token: admin, raw: `${rows.join('\n')}\n`, headers: { 'Content-Type': 'text/csv' } });
    assert.equal(imp.status, 200, JSON.stringify(imp.body).slice(0, 400));
    const g = await s.api('/v1/groups', { method: 'POST', token: admin, body: { name: 'Night shift' } });
    assert.equal(g.status, 201, JSON.stringify(g.body));

    const page = await newPage(browser);
    await signIn(page, s.url, 'admin@acme.test', PASSWORD);
    await page.goto(`${s.url}/console/groups/${g.body.id}`);
    await page.getByRole('heading', { name: 'Night shift', level: 1 }).waitFor();
    const form = page.getByRole('form', { name: 'Add people to Night shift' });
    // Unfiltered: 50 shown, and the page says there are more.
    await form.getByText('The first 50 matches are shown: type more to narrow them.').waitFor();
    assert.equal(await form.getByLabel('Add a person').locator('option').count(), 50);
    // Zora is far beyond the first 2,000: the server finds her.
    await form.getByLabel('Find a person').fill('zuniga');
    await form.getByText('1 found.').waitFor();
    assert.deepEqual(await form.getByLabel('Add a person').locator('option').allTextContents(), ['Zora Zuniga (badge Z1)']);
    await expectToast(page, 'Added to the group.', () => form.getByRole('button', { name: 'Add to group' }).click());
    await page.getByRole('region', { name: 'Members' }).getByRole('row', { name: /Zora Zuniga/ }).waitFor();
    await form.getByLabel('Find a person').fill('worker 2099');
    await form.getByText('1 found.').waitFor();
    assert.deepEqual(await form.getByLabel('Add a person').locator('option').allTextContents(), ['Worker 2099 (badge W2099)']);
    page.assertClean();
  } finally {
    await browser.close();
    await s.stop();
  }
});

test('workers: name corrected by an administrator, bulk lock and delete with results, every invalid field at once', async () => {
  const s = await startServer();
  const browser = await launch();
  try {
    const admin = await s.login();
    assert.equal(s.cli(['org', 'seats', '--org', 'acme', '--factory', '10']).status, 0);
    const w = await makeWorker(s, admin, 'B1', { name: 'Jon Smtih' });
    const w2 = await makeWorker(s, admin, 'B2', { name: 'Kim Kowal' });
    await s.makeUser(admin, 'olga@acme.test', 'user', 'Olga Office');

    const page = await newPage(browser);
    await signIn(page, s.url, 'admin@acme.test', PASSWORD);
    // The worker's name is a field the administrator edits; an office user's is not.
    await page.goto(`${s.url}/console/users/${w.id}`);
    await page.getByRole('heading', { name: 'Jon Smtih', level: 1 }).waitFor();
    const account = page.getByRole('region', { name: 'Account' });
    await account.getByLabel('Name').fill('   ');
    await account.getByRole('button', { name: 'Save changes' }).click();
    await account.locator('.field[data-field=name] .error:not([hidden])').filter({ hasText: /'name'/ }).waitFor();
    assert.equal(await account.getByLabel('Name').getAttribute('aria-invalid'), 'true');
    await account.getByLabel('Name').fill('Jon Smith');
    await expectToast(page, 'Changes saved.', () => account.getByRole('button', { name: 'Save changes' }).click());
    await page.getByRole('heading', { name: 'Jon Smith', level: 1 }).waitFor();
    assert.equal((await s.api(`/v1/users/${w.id}`, { token: admin })).body.name, 'Jon Smith');
    await page.goto(`${s.url}/console/users?q=olga`);
    await page.getByRole('link', { name: 'Olga Office' }).click();
    await page.getByRole('heading', { name: 'Olga Office', level: 1 }).waitFor();
    assert.equal(await page.getByRole('region', { name: 'Account' }).getByLabel('Name').getAttribute('readonly'), '');

    // Adding someone with several mistakes: each is shown beside its field.
    await page.goto(`${s.url}/console/users`);
    await page.getByRole('button', { name: 'Add staff member' }).click();
    const dlg = page.getByRole('dialog', { name: 'Add staff member' });
    await dlg.getByLabel('Name').fill(' ');
    await dlg.getByLabel('Email').fill('not-an-address');
    await dlg.getByRole('button', { name: 'Add' }).click();
    await dlg.locator('.field[data-field=email] .error').filter({ hasText: 'Not a valid email address.' }).waitFor();
    await dlg.locator('.field[data-field=name] .error:not([hidden])').filter({ hasText: /'name'/ }).waitFor();
    await page.keyboard.press('Escape');

    // Bulk: lock both workers, then delete them and oneself: oneself is refused, the others go.
    await page.getByRole('checkbox', { name: 'Select Jon Smith' }).check();
    await page.getByRole('checkbox', { name: 'Select Kim Kowal' }).check();
    const bar = page.getByRole('region', { name: 'Bulk actions' });
    await bar.getByText('2 selected').waitFor();
    await bar.getByRole('button', { name: 'Lock', exact: true }).click();
    await page.getByText('2 of 2 locked.').waitFor();
    for (const id of [w.id, w2.id]) assert.equal((await s.api(`/v1/users/${id}`, { token: admin })).body.status, 'locked');
    await page.getByRole('checkbox', { name: 'Select Jon Smith' }).check();
    await page.getByRole('checkbox', { name: 'Select Kim Kowal' }).check();
    await page.getByRole('checkbox', { name: 'Select Ada Admin' }).check();
    await bar.getByRole('button', { name: 'Delete…' }).click();
    await page.getByRole('dialog', { name: 'Delete 3 users?' }).getByRole('button', { name: 'Delete 3' }).click();
    await page.getByText('2 of 3 deleted.').waitFor();
    await page.getByText('Ada Admin: You cannot delete your own account.').waitFor();
    assert.equal((await s.api(`/v1/users/${w.id}`, { token: admin })).status, 404);
    assert.equal((await s.api(`/v1/users/${w2.id}`, { token: admin })).status, 404);
    // What failed stays selected.
    await bar.getByText('1 selected').waitFor();
    page.assertClean();
  } finally {
    await browser.close();
    await s.stop();
  }
});

test('views: configuration as a form, and as JSON with line-numbered errors', async () => {
  const s = await startServer();
  const browser = await launch();
  try {
    const admin = await s.login();
    const page = await newPage(browser);
    await signIn(page, s.url, 'admin@acme.test', PASSWORD);
    await page.goto(`${s.url}/console/views`);
    await page.getByRole('button', { name: 'New view' }).click();
    const nv = page.getByRole('dialog', { name: 'New view' });
    await nv.getByLabel('Name').fill('Open orders');
    await nv.getByLabel('Kind').selectOption('template');
    await nv.getByLabel('Columns').fill('order\ndue\nstatus');
    await nv.getByLabel('Filter').fill('late = true\nline = L1');
    // The advanced view shows the same configuration as JSON; a mistake names its line.
    await nv.getByLabel('Edit as JSON (advanced)').check();
    const json = nv.getByLabel('Configuration as JSON');
    assert.deepEqual(JSON.parse(await json.inputValue()), { columns: ['order', 'due', 'status'], filter: { late: true, line: 'L1' } });
    await json.fill('{\n  "columns": ["order", "due"],\n  "filter": {"late": true,}\n}');
    await nv.getByRole('button', { name: 'Create' }).click();
    await nv.locator('.field[data-field=config] .error').filter({ hasText: /^Not valid JSON at line 3/ }).waitFor();
    assert.equal((await s.api('/v1/views', { token: admin })).body.items.length, 0);
    await json.fill('{"columns": ["order", "due"], "filter": {"late": true}, "sort": "due"}');
    // Back to the form: the JSON's settings fill it, and the unknown "sort" is kept.
    await nv.getByLabel('Edit as JSON (advanced)').uncheck();
    assert.equal(await nv.getByLabel('Columns').inputValue(), 'order\ndue');
    await expectToast(page, 'Open orders created.', () => nv.getByRole('button', { name: 'Create' }).click());
    const v = (await s.api('/v1/views?include_config=true', { token: admin })).body.items[0];
    assert.deepEqual(v.config, { columns: ['order', 'due'], filter: { late: true }, sort: 'due' });
    assert.equal(v.kind, 'template');
    page.assertClean();
  } finally {
    await browser.close();
    await s.stop();
  }
});

test('kiosk: a worker changes their own PIN and sees their last 7 days', async () => {
  const s = await startServer();
  const browser = await launch();
  try {
    const admin = await s.login();
    assert.equal(s.cli(['org', 'seats', '--org', 'acme', '--factory', '5']).status, 0);
    const w = await kioskWorker(s, admin, '1001', GOOD_PINS[0], { name: 'Wanda Weld' });
    const t = await makeTask(s, admin, 'T-100', { title: 'Weld frame' });
    await assign(s, admin, t.id, w.id);
    const c = await s.api('/v1/checkins', { method: 'POST', token: w.token, body: { task_id: t.id } });
    assert.equal(c.status, 201, JSON.stringify(c.body));
    await s.advance(60);
    assert.equal((await s.api(`/v1/checkins/${c.body.id}/checkout`, { method: 'POST', token: w.token, body: { status: 'paused' } })).status, 200);

    const page = await newPage(browser);
    await page.goto(`${s.url}/kiosk/acme/`);
    await page.getByLabel('Badge or employee code').fill('1001');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Enter your PIN' }).waitFor();
    await page.keyboard.type(GOOD_PINS[0]);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: /Hello, Wanda/ }).waitFor();

    await page.getByRole('button', { name: 'My time' }).click();
    await page.getByRole('heading', { name: 'My time, last 7 days' }).waitFor();
    const days = page.getByRole('list', { name: 'My time per day' });
    await days.getByText('T-100 · Weld frame').waitFor();
    assert.match(await page.getByTestId('week-total').textContent(), /^1 min$/);
    await page.getByRole('button', { name: 'Back to my tasks' }).click();

    // A wrong current PIN starts over; then the new PIN is saved and works.
    await page.getByRole('button', { name: 'Change PIN' }).click();
    await page.getByRole('heading', { name: 'Change your PIN' }).waitFor();
    await page.keyboard.type('111111'); await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Choose a new PIN' }).waitFor();
    await page.keyboard.type(GOOD_PINS[1]); await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Repeat your new PIN' }).waitFor();
    await page.keyboard.type(GOOD_PINS[1]); await page.keyboard.press('Enter');
    await page.getByText('Your current PIN was not correct. Start again.').waitFor();
    await page.getByRole('heading', { name: 'Change your PIN' }).waitFor();
    await page.keyboard.type(GOOD_PINS[0]); await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Choose a new PIN' }).waitFor();
    await page.keyboard.type(GOOD_PINS[1]); await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Repeat your new PIN' }).waitFor();
    await page.keyboard.type(GOOD_PINS[2]); await page.keyboard.press('Enter');
    await page.getByText('The two PINs were different. Choose your new PIN again.').waitFor();
    await page.keyboard.type(GOOD_PINS[1]); await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Repeat your new PIN' }).waitFor();
    await page.keyboard.type(GOOD_PINS[1]); await page.keyboard.press('Enter');
    await page.getByText('Your new PIN is saved. Use it next time.').waitFor();
    const old = await s.api('/v1/kiosk/acme/login', { method: 'POST', body: { badge: '1001', pin: GOOD_PINS[0] } });
    assert.equal(old.status, 401);
    const now = await s.api('/v1/kiosk/acme/login', { method: 'POST', body: { badge: '1001', pin: GOOD_PINS[1] } });
    assert.equal(now.status, 200, JSON.stringify(now.body));
    page.assertClean();
  } finally {
    await browser.close();
    await s.stop();
  }
});

test('display screens: their own session policy, and one screen signed out at a time', async () => {
  const s = await startServer({ template: 'monitoring' });
  const browser = await launch();
  try {
    const admin = await s.login();
    const screen = await s.makeUser(admin, 'screen@acme.test', 'kiosk', 'Hall screen');
    const second = await s.login('screen@acme.test', PASSWORD);
    const page = await newPage(browser);
    await signIn(page, s.url, 'admin@acme.test', PASSWORD);
    await page.goto(`${s.url}/console/settings`);
    const card = page.getByRole('region', { name: 'Display screens' });
    assert.equal(await card.getByLabel('Sign a display screen out after inactivity of (minutes)').inputValue(), '0');
    assert.equal(await card.getByLabel('Display screen sessions last at most (days)').inputValue(), '30');
    await card.getByLabel('Display screen sessions last at most (days)').fill('400');
    await card.getByRole('button', { name: 'Save' }).click();
    await card.getByText('Enter a number from 1 to 365 days.').waitFor();
    await card.getByLabel('Display screen sessions last at most (days)').fill('90');
    await expectToast(page, 'Display screen sessions saved.', () => card.getByRole('button', { name: 'Save' }).click());
    assert.equal((await s.api('/v1/org', { token: admin })).body.settings.device_session_max_days, 90);

    // Two idle hours: both screens stay signed in; then one is signed out from its account's page.
    await s.advance(2 * 3600);
    assert.equal((await s.api('/v1/me', { token: screen.token })).status, 200);
    await signIn(page, s.url, 'admin@acme.test', PASSWORD);
    await page.goto(`${s.url}/console/users/${screen.id}`);
    const sessions = page.getByRole('region', { name: 'Open sessions' });
    await sessions.getByText(/A display account stays signed in/).waitFor();
    assert.equal(await sessions.getByRole('row').count(), 3);
    await sessions.getByText('No idle timeout').first().waitFor();
    await expectToast(page, 'Session ended.', () => sessions.getByRole('button', { name: /End the session/ }).first().click());
    await page.waitForFunction(() => document.querySelectorAll('[data-session]').length === 1);
    const alive = [await s.api('/v1/me', { token: screen.token }), await s.api('/v1/me', { token: second })].map((r) => r.status).sort();
    assert.deepEqual(alive, [200, 401]);
    page.assertClean();
  } finally {
    await browser.close();
    await s.stop();
  }
});

test('temporary workers: expiry date and scheduled lock on the user page, bulk expiry, expired shown', async () => {
  const s = await startServer();
  const browser = await launch();
  try {
    const admin = await s.login();
    assert.equal(s.cli(['org', 'seats', '--org', 'acme', '--factory', '10']).status, 0);
    const w = await makeWorker(s, admin, 'T1', { name: 'Tess Temp' });
    const w2 = await makeWorker(s, admin, 'T2', { name: 'Sam Season' });
    const pad = (n) => String(n).padStart(2, '0');
    // datetime-local values in the browser's (this machine's) time zone, whole minutes.
    const local = (ms) => { const d = new Date(ms); return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`; };
    const minute = (ms) => Math.floor(ms / 60000) * 60000;
    const page = await newPage(browser);
    await signIn(page, s.url, 'admin@acme.test', PASSWORD);
    await page.goto(`${s.url}/console/users/${w.id}`);
    await page.getByRole('heading', { name: 'Tess Temp', level: 1 }).waitFor();
    const card = page.getByRole('region', { name: 'Temporary access' });
    // A date in the past and an unlock after the expiry: each said beside its field.
    await card.getByLabel('Account expires').fill(local(Date.now() - 2 * 86400000));
    await card.getByRole('button', { name: 'Save dates' }).click();
    await card.locator('.field[data-field=expires_at] .error:not([hidden])').filter({ hasText: 'Choose a date and time in the future.' }).waitFor();
    const expires = minute(Date.now() + 4 * 60000);
    await card.getByLabel('Account expires').fill(local(expires));
    await card.getByLabel('Unlock on', { exact: true }).fill(local(Date.now() + 30 * 86400000));
    await card.getByRole('button', { name: 'Save dates' }).click();
    await card.locator('.field[data-field=unlock_at] .error:not([hidden])').filter({ hasText: 'The scheduled unlock must come before the account\'s expiry date.' }).waitFor();
    assert.equal((await s.api(`/v1/users/${w.id}`, { token: admin })).body.expires_at, null);
    await card.getByLabel('Unlock on', { exact: true }).fill('');
    const lockAt = minute(Date.now() + 2 * 86400000);
    await card.getByLabel('Lock on', { exact: true }).fill(local(lockAt));
    await expectToast(page, 'Tess Temp\'s dates are saved.', () => card.getByRole('button', { name: 'Save dates' }).click());
    let u = (await s.api(`/v1/users/${w.id}`, { token: admin })).body;
    assert.equal(Date.parse(u.expires_at), expires);
    assert.equal(Date.parse(u.lock_at), lockAt);
    assert.equal(u.unlock_at, null);

    // Bulk: one expiry date for both.
    await page.goto(`${s.url}/console/users`);
    await page.getByRole('checkbox', { name: 'Select Tess Temp' }).check();
    await page.getByRole('checkbox', { name: 'Select Sam Season' }).check();
    const bar = page.getByRole('region', { name: 'Bulk actions' });
    await bar.getByLabel('Account expires').fill(local(expires));
    await bar.getByRole('button', { name: 'Set expiry' }).click();
    await page.getByText('2 of 2 given the expiry date.').waitFor();
    assert.equal(Date.parse((await s.api(`/v1/users/${w2.id}`, { token: admin })).body.expires_at), expires);

    // After the date: the sweep locks both; the console says expired.
    await s.advance(5 * 60);
    for (let i = 0; ; i++) {
      u = (await s.api(`/v1/users/${w2.id}`, { token: admin })).body;
      if (u.status === 'locked') break;
      assert.ok(i < 600, 'the sweep did not lock the expired account');
      await new Promise((res) => setTimeout(res, 50));
    }
    await page.goto(`${s.url}/console/users/${w2.id}`);
    await page.getByRole('heading', { name: 'Sam Season', level: 1 }).waitFor();
    await page.getByTestId('expired-notice').waitFor();
    await page.locator('.page-head .badges').getByText('Expired').waitFor();
    await page.goto(`${s.url}/console/users?status=locked`);
    await page.locator(`tr[data-user="${w.id}"]`).getByText('Expired').waitFor();
    page.assertClean();
  } finally {
    await browser.close();
    await s.stop();
  }
});
