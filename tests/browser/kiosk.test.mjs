// Scenario 2, in a real browser: a worker signs in at the kiosk with a
// temporary PIN, sets a new one, checks into a task, is stopped by the
// single-task limit, completes the first task. Plus sign-out, a wrong PIN,
// and the idle sign-out that leaves nothing behind for the next worker.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, PASSWORD } from '../api/lib.mjs';
import { launch, newPage } from './lib.mjs';

async function plant(s) {
  const admin = await s.login();
  const w = await s.api('/v1/users', { method: 'POST', token: admin, body: { name: 'Wanda Weld', role: 'user', badge: '1001', factory_access: true } });
  assert.equal(w.status, 201, JSON.stringify(w.body));
  const pin = await s.api(`/v1/users/${w.body.id}/pin`, { method: 'POST', token: admin, body: {} });
  assert.equal(pin.status, 200, JSON.stringify(pin.body));
  const tasks = [];
  for (const [ref, title] of [['T-100', 'Cut steel plates'], ['T-101', 'Weld frame']]) {
    const t = await s.api('/v1/tasks', { method: 'POST', token: admin, body: { ref, title, order_ref: 'SO-7' } });
    assert.equal(t.status, 201, JSON.stringify(t.body));
    assert.equal((await s.api(`/v1/tasks/${t.body.id}/assignees/${w.body.id}`, { method: 'PUT', token: admin })).status, 204);
    tasks.push(t.body);
  }
  // A third task reaches Wanda through its order, not by itself.
  const paint = await s.api('/v1/tasks', { method: 'POST', token: admin, body: { ref: 'T-102', title: 'Paint frame', order_ref: 'SO-8' } });
  assert.equal(paint.status, 201, JSON.stringify(paint.body));
  assert.equal((await s.api('/v1/orders/assignees', { method: 'PUT', token: admin, body: { order_ref: 'SO-8', user_id: w.body.id } })).status, 204);
  return { admin, worker: w.body, tempPin: pin.body.pin, tasks };
}

async function typeBadge(page, url, badge) {
  await page.goto(`${url}/kiosk/acme/`);
  await page.getByLabel('Badge or employee code').fill(badge);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Enter your PIN' }).waitFor();
}

/** The kiosk session's token, as the page keeps it for this tab. */
async function kioskToken(page) {
  const t = await page.evaluate(() => sessionStorage.getItem('gh_kiosk_session:acme'));
  assert.ok(t, 'the kiosk holds a session token');
  return t;
}

async function pressPin(page, pin) {
  const pad = page.getByRole('group', { name: 'PIN pad' });
  for (const d of pin) await pad.getByRole('button', { name: d, exact: true }).click();
}

test('kiosk: temporary PIN, new PIN, check in, single-task limit, complete', async () => {
  const s = await startServer();
  const browser = await launch();
  try {
    const { admin, worker, tempPin, tasks } = await plant(s);
    const page = await newPage(browser, { viewport: { width: 1024, height: 768 } });

    // A wrong PIN is refused with a message, and the pad stays.
    await typeBadge(page, s.url, '1001');
    await page.shot('kiosk-01-pin-pad');
    await page.keyboard.type('999999');
    await page.keyboard.press('Enter');
    await page.getByRole('alert').filter({ hasText: 'That badge and PIN do not match' }).waitFor();

    // The temporary PIN, on the pad's buttons, leads to the forced PIN change.
    await pressPin(page, tempPin);
    await page.getByRole('group', { name: 'PIN pad' }).getByRole('button', { name: 'OK' }).click();
    await page.getByRole('heading', { name: 'Choose your own PIN' }).waitFor();
    await page.shot('kiosk-02-choose-pin');
    // Nothing else is allowed with a temporary PIN (428 from the API).
    // Kiosk sessions are bearer tokens held by the page, never cookies.
    assert.equal((await page.context().cookies()).find((c) => c.name === 'gh_session'), undefined);
    const cookie = await kioskToken(page);
    const blocked = await s.api('/v1/me/tasks', { token: cookie });
    assert.equal(blocked.status, 428);
    assert.equal(blocked.body.code, 'pin_change_required');

    // A trivial PIN is refused; typing digits on the keyboard works too.
    await page.keyboard.type('123456');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Repeat your new PIN' }).waitFor();
    await page.keyboard.type('123456');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Choose your own PIN' }).waitFor();
    await page.getByRole('alert').first().waitFor();
    // Two different entries start again.
    await page.keyboard.type('274916');
    await page.keyboard.press('Enter');
    await page.keyboard.type('274917');
    await page.keyboard.press('Enter');
    await page.getByRole('alert').filter({ hasText: 'The two PINs were different' }).waitFor();
    await page.keyboard.type('274916');
    await page.keyboard.press('Enter');
    await page.keyboard.type('274916');
    await page.keyboard.press('Enter');

    // Home: tasks and today's time.
    await page.getByRole('heading', { name: 'Hello, Wanda' }).waitFor();
    await page.getByText('Your new PIN is saved').waitFor();
    assert.equal(await page.getByTestId('today').textContent(), '0 min');
    const myTasks = page.getByRole('list', { name: 'My tasks' });
    assert.match(await myTasks.getByRole('listitem').filter({ hasText: 'Paint frame' }).textContent(), /Your order SO-8/);
    assert.match(await myTasks.getByRole('listitem').filter({ hasText: 'Weld frame' }).textContent(), /Assigned to you/);
    await page.getByRole('button', { name: 'Check in: Cut steel plates' }).click();
    await page.getByTestId('current').filter({ hasText: 'Cut steel plates' }).waitFor();
    await page.shot('kiosk-03-tasks');

    // The single-task limit stops the second check-in and asks to resolve the first.
    await page.getByRole('button', { name: 'Check in: Weld frame' }).click();
    const dlg = page.getByRole('dialog', { name: 'Finish your other task first' });
    await dlg.waitFor();
    await page.shot('kiosk-04-single-task');
    await dlg.getByRole('button', { name: 'Complete “Cut steel plates”' }).click();
    await page.getByTestId('current').filter({ hasText: 'Weld frame' }).waitFor();
    await page.getByText('Checked in: Weld frame').waitFor();
    await page.shot('kiosk-05-second-task');

    const first = await s.api(`/v1/tasks/${tasks[0].id}`, { token: admin });
    assert.equal(first.body.status, 'done', 'the first task is complete');
    const open = await s.api(`/v1/checkins?user_id=${worker.id}&open=1`, { token: admin });
    assert.deepEqual(open.body.items.map((c) => c.task.ref), ['T-101']);
    const closed = await s.api(`/v1/checkins?user_id=${worker.id}`, { token: admin });
    assert.ok(closed.body.items.some((c) => c.task.ref === 'T-100' && c.status === 'complete'));

    // Pause the second one; it stays on the list to check into again.
    await page.getByTestId('current').getByRole('button', { name: 'Pause' }).click();
    await page.getByText('Paused: Weld frame').waitFor();
    assert.equal(await page.getByTestId('current').count(), 0);
    assert.equal(await page.getByRole('button', { name: 'Check in: Cut steel plates' }).count(), 0, 'a completed task leaves the list');
    await page.getByRole('button', { name: 'Check in: Weld frame' }).waitFor();

    // Sign out: the session is gone, and the new PIN works for the next sign-in.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Badge or employee code').waitFor();
    assert.equal((await s.api('/v1/me', { token: cookie })).status, 401);
    await typeBadge(page, s.url, '1001');
    await page.keyboard.type('274916');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Hello, Wanda' }).waitFor();
    page.assertClean();
  } finally {
    await browser.close();
    await s.stop();
  }
});

test('kiosk: idle sign-out leaves nothing for the next worker; phone width', async () => {
  const s = await startServer();
  const browser = await launch();
  try {
    const { admin, tempPin } = await plant(s);
    const r = await s.api('/v1/org', { method: 'PATCH', token: admin, body: { kiosk_idle_timeout_s: 15 } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const page = await newPage(browser, { viewport: { width: 375, height: 740 } });
    await page.goto(`${s.url}/kiosk/acme/?badge=1001`); // the personal kiosk link
    await page.getByRole('heading', { name: 'Enter your PIN' }).waitFor();
    await page.shot('kiosk-06-phone-pin');
    await page.keyboard.type(tempPin);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Choose your own PIN' }).waitFor();
    await page.keyboard.type('582039');
    await page.keyboard.press('Enter');
    await page.keyboard.type('582039');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Hello, Wanda' }).waitFor();
    await page.shot('kiosk-07-phone-tasks');
    const cookie = await kioskToken(page);

    // The warning, then the sign-out, with no touch for the idle time.
    await page.getByRole('alert').filter({ hasText: /Signing out in \d+ s/ }).waitFor({ timeout: 20000 });
    await page.getByText('You were signed out after a while without activity.').waitFor({ timeout: 20000 });
    assert.equal(await page.getByText('Wanda').count(), 0, 'no trace of the previous worker');
    assert.equal(await page.getByLabel('Badge or employee code').inputValue(), '');
    assert.equal((await s.api('/v1/me', { token: cookie })).status, 401, 'the session ended on the server');

    // A reload does not resume anyone's session either.
    await page.reload();
    await page.getByLabel('Badge or employee code').waitFor();
    page.assertClean();
  } finally {
    await browser.close();
    await s.stop();
  }
});

test('kiosk: a sign-in in the same browser leaves its console session alone; a reload ends the kiosk session', async () => {
  const s = await startServer();
  const browser = await launch();
  try {
    const { admin } = await plant(s);
    const page = await newPage(browser);
    // The administrator is signed in to the console in this browser...
    await page.goto(`${s.url}/console/sign-in`);
    await page.getByLabel('Email').fill('admin@acme.test');
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('nav#sidebar').waitFor({ state: 'attached' });
    const consoleCookie = (await page.context().cookies()).find((c) => c.name === 'gh_session').value;
    // ...and tries the kiosk with a worker's PIN in another tab.
    const w = await s.api('/v1/users', { method: 'POST', token: admin, body: { name: 'Kai Kiosk', role: 'user', badge: '2002', factory_access: true } });
    const temp = (await s.api(`/v1/users/${w.body.id}/pin`, { method: 'POST', token: admin, body: {} })).body.pin;
    const kiosk = await page.context().newPage();
    await kiosk.goto(`${s.url}/kiosk/acme/?badge=2002`);
    await kiosk.getByRole('heading', { name: 'Enter your PIN' }).waitFor();
    await kiosk.keyboard.type(temp);
    await kiosk.keyboard.press('Enter');
    await kiosk.getByRole('heading', { name: 'Choose your own PIN' }).waitFor();
    const kioskSession = await kioskToken(kiosk);
    assert.equal((await s.api('/v1/me', { token: kioskSession })).body.session.kiosk, true);
    // The console still answers as the administrator.
    assert.equal((await page.context().cookies()).find((c) => c.name === 'gh_session').value, consoleCookie);
    await page.reload();
    await page.locator('nav#sidebar').waitFor({ state: 'attached' });
    assert.equal((await s.api('/v1/me', { token: consoleCookie })).body.email, 'admin@acme.test');
    // Reloading the kiosk ends its session on the server; the console's stays.
    await kiosk.reload();
    await kiosk.getByLabel('Badge or employee code').waitFor();
    for (let i = 0; i < 50 && (await s.api('/v1/me', { token: kioskSession })).status !== 401; i++) await kiosk.waitForTimeout(100);
    assert.equal((await s.api('/v1/me', { token: kioskSession })).status, 401);
    assert.equal((await s.api('/v1/me', { token: consoleCookie })).status, 200);
    page.assertClean();
  } finally {
    await browser.close();
    await s.stop();
  }
});

test('kiosk: complete a task with an electronic signature (badge and PIN again) at an enrolled device', async () => {
  const s = await startServer();
  const browser = await launch();
  try {
    const { admin, worker, tempPin, tasks } = await plant(s);
    const PIN = '274916';
    // The worker's own PIN, the e-signature enabled, a check-in open, the device enrolled.
    const l = await s.api('/v1/kiosk/acme/login', { method: 'POST', body: { badge: '1001', pin: tempPin } });
    assert.equal(l.status, 200, JSON.stringify(l.body));
    assert.equal((await s.api('/v1/kiosk/pin', { method: 'POST', token: l.body.token, body: { current_pin: tempPin, new_pin: PIN } })).status, 200);
    assert.equal((await s.api('/v1/checkins', { method: 'POST', token: l.body.token, body: { task_id: tasks[0].id } })).status, 201);
    assert.equal((await s.api(`/v1/users/${worker.id}/esignature`, { method: 'PUT', token: admin, body: { enabled: true } })).status, 200);
    const d = await s.api('/v1/kiosk-devices', { method: 'POST', token: admin, body: { name: 'Line 1 tablet' } });
    assert.equal(d.status, 201, JSON.stringify(d.body));

    const page = await newPage(browser, { viewport: { width: 1024, height: 768 } });
    // Without an enrolled device there is no signing.
    await typeBadge(page, s.url, '1001');
    await page.keyboard.type(PIN);
    await page.keyboard.press('Enter');
    await page.getByTestId('current').filter({ hasText: 'Cut steel plates' }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Complete and sign' }).count(), 0);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Badge or employee code').waitFor();

    // The enrolment link makes this browser a kiosk device.
    await page.goto(`${s.url}/kiosk/acme/#device=${d.body.token}`);
    await typeBadge(page, s.url, '1001');
    await page.keyboard.type(PIN);
    await page.keyboard.press('Enter');
    await page.getByTestId('current').getByRole('button', { name: 'Complete and sign' }).click();
    await page.getByRole('heading', { name: 'Sign “Cut steel plates” as performed' }).waitFor();
    await page.shot('kiosk-06-sign');
    // A wrong PIN signs nothing and completes nothing.
    await page.keyboard.type('999999');
    await page.keyboard.press('Enter');
    await page.getByRole('alert').filter({ hasText: 'That PIN is not correct' }).waitFor();
    assert.equal((await s.api('/v1/signatures?record_ref=T-100', { token: admin })).body.items.length, 0);
    await page.keyboard.type(PIN);
    await page.keyboard.press('Enter');
    await page.getByText('Completed and signed: Cut steel plates (performed, Wanda Weld').waitFor();

    const sigs = (await s.api('/v1/signatures?record_ref=T-100', { token: admin })).body.items;
    assert.equal(sigs.length, 1);
    assert.deepEqual([sigs[0].signer.id, sigs[0].method, sigs[0].meaning, sigs[0].record_type], [worker.id, 'badge+pin', 'performed', 'task']);
    assert.equal((await s.api(`/v1/tasks/${tasks[0].id}`, { token: admin })).body.status, 'done');
    page.assertClean();
  } finally {
    await browser.close();
    await s.stop();
  }
});
