// The shop floor in the console: an administrator creates tasks in an order,
// assigns a worker to the whole order, edits a task, marks it done and
// reopens it, is refused deleting a task with time records, runs an agenda
// screen (tasks, members, rename, delete) and reads the worker's time
// records on their user page. What the worker sees is checked through the
// API, as the kiosk would ask.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, PASSWORD } from '../api/lib.mjs';
import { kioskWorker, kioskLogin, serverNow } from '../api/shopfloor.mjs';
import { launch, newPage, signIn } from './lib.mjs';

const DAY = 86400;
const mainNav = (page) => page.getByRole('navigation', { name: 'Main' });

/** Runs action and waits for a new toast saying text. */
async function expectToast(page, text, action) {
  await page.evaluate(() => document.querySelectorAll('#toasts .toast').forEach((t) => { t.dataset.seen = '1'; }));
  await action();
  await page.locator('#toasts .toast:not([data-seen])').getByText(text, { exact: true }).waitFor();
}

async function agenda(s, token) {
  const r = await s.api('/v1/me/tasks', { token });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.items;
}

async function taskByRef(s, admin, ref) {
  const r = await s.api('/v1/tasks?status=open', { token: admin });
  const d = await s.api('/v1/tasks?status=done', { token: admin });
  return [...r.body.items, ...d.body.items].find((t) => t.ref === ref);
}

test('shop floor: tasks in an order, order assignees, edit, done and reopen, refused delete, agenda screens, time records', async () => {
  const s = await startServer();
  const browser = await launch();
  try {
    // Keep clear of midnight (UTC), where time records split into two days.
    const now = await serverNow(s);
    if (DAY - (now % DAY) < 3600) await s.advance(DAY - (now % DAY) + 60);
    const admin = await s.login();
    const walt = await kioskWorker(s, admin, '3001', undefined, { name: 'Walt Welder' });
    await kioskWorker(s, admin, '3002', '702615', { name: 'Wendy Welder' });
    const ORDER = 'SO-77/A'; // order references may hold '/'

    const page = await newPage(browser);
    await signIn(page, s.url, 'admin@acme.test', PASSWORD);
    await mainNav(page).getByRole('link', { name: 'Tasks' }).click();
    await page.getByRole('heading', { name: 'Tasks', level: 1 }).waitFor();
    const tasks = page.getByRole('region', { name: 'Tasks', exact: true });
    await tasks.getByText(/^No open tasks/).waitFor();

    // New task: a reference already taken is shown next to the Reference field.
    const taken = await s.api('/v1/tasks', { method: 'POST', token: admin, body: { ref: 'T-9', title: 'Taken' } });
    assert.equal(taken.status, 201);
    await page.getByRole('button', { name: 'New task' }).click();
    let dlg = page.getByRole('dialog', { name: 'New task' });
    await dlg.getByLabel('Reference', { exact: true }).fill('T-9');
    await dlg.getByLabel('Title').fill('Cut plates');
    await dlg.getByRole('button', { name: 'Create task' }).click();
    const refField = dlg.locator('.field[data-field="ref"]');
    await refField.locator('.error').getByText('the organization already has a task with this ref').waitFor();
    assert.equal(await dlg.getByLabel('Reference', { exact: true }).getAttribute('aria-invalid'), 'true');
    await dlg.getByLabel('Reference', { exact: true }).fill('T-1');
    await dlg.getByLabel('Order reference').fill(ORDER);
    await dlg.getByLabel('Due').fill('2031-05-06T14:30');
    await expectToast(page, 'Task T-1 created.', () => dlg.getByRole('button', { name: 'Create task' }).click());
    await page.getByRole('heading', { name: 'T-1: Cut plates', level: 1 }).waitFor();
    const t1 = await taskByRef(s, admin, 'T-1');
    assert.equal(t1.order_ref, ORDER);
    assert.equal(t1.due, new Date(2031, 4, 6, 14, 30).toISOString().replace('.000Z', 'Z'), 'the due time is the browser\'s local time');
    await page.shot('work-01-task');

    // The order's page: from the task, a second task in the same order, and the worker assigned to the whole order.
    await page.getByRole('link', { name: `Manage order ${ORDER}` }).click();
    await page.getByRole('heading', { name: `Order ${ORDER}`, level: 1 }).waitFor();
    assert.match(page.url(), /\/console\/orders\?ref=SO-77%2FA$/);
    await page.getByRole('button', { name: 'New task in this order' }).click();
    dlg = page.getByRole('dialog', { name: 'New task' });
    assert.equal(await dlg.getByLabel('Order reference').inputValue(), ORDER);
    await dlg.getByLabel('Reference', { exact: true }).fill('T-2');
    await dlg.getByLabel('Title').fill('Weld frame');
    await expectToast(page, 'Task T-2 created.', () => dlg.getByRole('button', { name: 'Create task' }).click());
    const orderTasks = page.getByRole('region', { name: 'Tasks of the order' });
    await orderTasks.getByRole('link', { name: 'T-2' }).waitFor();
    await orderTasks.getByRole('link', { name: 'T-1' }).waitFor();
    assert.equal(await agenda(s, walt.token).then((a) => a.length), 0, 'nothing on the worker\'s agenda yet');

    await page.getByLabel('Find a person').fill('walt');
    await page.getByLabel('Person', { exact: true }).selectOption({ label: 'Walt Welder (badge 3001)' });
    await expectToast(page, `Walt Welder (badge 3001) assigned to order ${ORDER}.`, () => page.getByRole('button', { name: 'Assign to order' }).click());
    const orderPeople = page.getByRole('region', { name: 'People assigned to the order' });
    await orderPeople.getByRole('row', { name: /Walt Welder/ }).waitFor();
    assert.equal(await orderPeople.getByRole('row', { name: /Wendy Welder/ }).count(), 0);
    // Someone assigned is no longer offered.
    assert.equal(await page.getByLabel('Person', { exact: true }).locator('option', { hasText: 'Walt Welder' }).count(), 0);
    await page.shot('work-02-order');

    // The worker sees both tasks, through the order.
    let mine = await agenda(s, walt.token);
    assert.deepEqual(mine.map((t) => [t.ref, t.order_assigned]).sort(), [['T-1', true], ['T-2', true]]);

    // The Tasks page: filters by order and status, links to the order.
    await mainNav(page).getByRole('link', { name: 'Tasks' }).click();
    await tasks.getByRole('link', { name: 'T-9' }).waitFor();
    const shown = page.locator('.table-foot [role=status]');
    await shown.filter({ hasText: '3 tasks shown' }).waitFor();
    await page.getByLabel('Order', { exact: true }).fill(ORDER);
    await shown.filter({ hasText: '2 tasks shown' }).waitFor();
    assert.equal(await tasks.getByRole('link', { name: 'T-9' }).count(), 0);
    assert.match(page.url(), /order_ref=SO-77%2FA/);

    // The task page: the worker shows as assigned through the order; edit it.
    await tasks.getByRole('link', { name: 'T-1' }).click();
    await page.getByRole('heading', { name: 'T-1: Cut plates', level: 1 }).waitFor();
    const via = page.getByRole('list', { name: `People assigned to order ${ORDER}` });
    assert.equal(await via.textContent(), 'Walt Welder');
    // A bad order reference is shown next to its field.
    await page.getByLabel('Order reference').fill('x'.repeat(129));
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.locator('.field[data-field="order_ref"] .error').getByText(/'order_ref' is longer than 128 bytes/).waitFor();
    await page.getByLabel('Order reference').fill(ORDER);
    await page.getByLabel('Title').fill('Cut plates, 8 mm');
    await page.getByLabel('Due').fill('');
    await expectToast(page, 'Task saved.', () => page.getByRole('button', { name: 'Save changes' }).click());
    await page.getByRole('heading', { name: 'T-1: Cut plates, 8 mm', level: 1 }).waitFor();
    let t = (await s.api(`/v1/tasks/${t1.id}`, { token: admin })).body;
    assert.equal(t.title, 'Cut plates, 8 mm');
    assert.equal(t.due, null);
    assert.equal(t.order_ref, ORDER);

    // Assign Wendy directly, then unassign her.
    await page.getByLabel('Find a person').fill('wendy');
    await page.getByLabel('Person', { exact: true }).selectOption({ label: 'Wendy Welder (badge 3002)' });
    await expectToast(page, 'Wendy Welder (badge 3002) assigned to T-1.', () => page.getByRole('button', { name: 'Assign', exact: true }).click());
    const direct = page.getByRole('region', { name: 'Assigned people' });
    await direct.getByRole('row', { name: /Wendy Welder/ }).waitFor();
    t = (await s.api(`/v1/tasks/${t1.id}`, { token: admin })).body;
    assert.deepEqual(t.assignees.map((a) => a.name), ['Wendy Welder']);
    await direct.getByRole('button', { name: 'Unassign Wendy Welder from T-1' }).click();
    await expectToast(page, 'Wendy Welder unassigned from T-1.', () => page.getByRole('dialog', { name: 'Unassign Wendy Welder?' }).getByRole('button', { name: 'Unassign' }).click());
    await direct.getByText('Nobody is assigned to this task directly.').waitFor();

    // Mark done, then reopen.
    await expectToast(page, 'T-1 marked done.', () => page.getByRole('button', { name: 'Mark done' }).click());
    await page.getByRole('button', { name: 'Reopen' }).waitFor();
    t = (await s.api(`/v1/tasks/${t1.id}`, { token: admin })).body;
    assert.equal(t.status, 'done');
    assert.ok(t.completed_at);
    await expectToast(page, 'T-1 reopened.', () => page.getByRole('button', { name: 'Reopen' }).click());
    await page.getByRole('button', { name: 'Mark done' }).waitFor();
    assert.equal((await s.api(`/v1/tasks/${t1.id}`, { token: admin })).body.status, 'open');

    // The worker checks in to T-1 for 20 minutes; the task cannot be deleted then.
    const ci = await s.api('/v1/checkins', { method: 'POST', token: walt.token, body: { task_id: t1.id } });
    assert.equal(ci.status, 201, JSON.stringify(ci.body));
    await s.advance(1200); // within the console's idle timeout; the kiosk session times out
    // (the kiosk session has timed out meanwhile: a supervisor checks him out)
    const co = await s.api(`/v1/checkins/${ci.body.id}/checkout`, { method: 'POST', token: admin, body: { status: 'paused' } });
    assert.equal(co.status, 200, JSON.stringify(co.body));
    const login = await kioskLogin(s, walt.badge, walt.pin);
    assert.equal(login.status, 200, JSON.stringify(login.body));
    walt.token = login.body.token;
    await page.getByRole('button', { name: 'Delete' }).click();
    dlg = page.getByRole('dialog', { name: 'Delete the task T-1?' });
    assert.match(await dlg.textContent(), /T-1 Cut plates, 8 mm/);
    await dlg.getByRole('button', { name: 'Delete T-1' }).click();
    await dlg.getByRole('alert').getByText('people have checked in to this task and their check-ins are time records: mark it done instead').waitFor();
    await page.shot('work-03-delete-refused');
    await dlg.getByRole('button', { name: 'Cancel' }).click();
    assert.equal((await s.api(`/v1/tasks/${t1.id}`, { token: admin })).status, 200, 'the task is still there');

    // A task nobody checked in to is deleted.
    const t9 = await taskByRef(s, admin, 'T-9');
    await page.goto(`${s.url}/console/tasks/${t9.id}`);
    await page.getByRole('heading', { name: 'T-9: Taken', level: 1 }).waitFor();
    await page.getByRole('button', { name: 'Delete' }).click();
    await expectToast(page, 'Task T-9 deleted.', () => page.getByRole('dialog', { name: 'Delete the task T-9?' }).getByRole('button', { name: 'Delete T-9' }).click());
    await page.getByRole('heading', { name: 'Tasks', level: 1 }).waitFor();
    assert.equal((await s.api(`/v1/tasks/${t9.id}`, { token: admin })).status, 404);

    // Agenda screens: create one, put T-2 and Wendy on it, rename it, delete it.
    await mainNav(page).getByRole('link', { name: 'Agenda screens' }).click();
    await page.getByRole('heading', { name: 'Agenda screens', level: 1 }).waitFor();
    await page.getByText('No agenda screens yet.', { exact: false }).waitFor();
    await page.getByRole('button', { name: 'New screen' }).click();
    dlg = page.getByRole('dialog', { name: 'New agenda screen' });
    await dlg.getByRole('button', { name: 'Create screen' }).click();
    await dlg.locator('.field[data-field="name"] .error').getByText(/'name' is (empty|required)/).waitFor();
    await dlg.getByLabel('Name').fill('Line 9');
    await expectToast(page, 'Agenda screen Line 9 created.', () => dlg.getByRole('button', { name: 'Create screen' }).click());
    await page.getByRole('heading', { name: 'Line 9', level: 1 }).waitFor();
    const t2 = await taskByRef(s, admin, 'T-2');
    await page.getByLabel('Task', { exact: true }).selectOption({ label: 'T-2: Weld frame' });
    await expectToast(page, 'T-2 is on Line 9.', () => page.getByRole('button', { name: 'Add task' }).click());
    await page.getByRole('region', { name: 'Tasks on this screen' }).getByRole('link', { name: 'T-2' }).waitFor();
    await page.getByLabel('Find a person').fill('wendy');
    await page.getByLabel('Person', { exact: true }).selectOption({ label: 'Wendy Welder (badge 3002)' });
    await expectToast(page, 'Wendy Welder (badge 3002) added to Line 9.', () => page.getByRole('button', { name: 'Add member' }).click());
    await page.getByRole('region', { name: 'Members' }).getByRole('row', { name: /Wendy Welder/ }).waitFor();
    const wendyToken = (await kioskLogin(s, '3002', '702615')).body.token;
    const wendyAgenda = await agenda(s, wendyToken);
    assert.deepEqual(wendyAgenda.map((x) => [x.ref, x.assigned, x.screens.map((y) => y.name)]), [['T-2', false, ['Line 9']]]);
    await page.shot('work-04-screen');

    await page.getByRole('button', { name: 'Rename' }).click();
    dlg = page.getByRole('dialog', { name: 'Rename Line 9' });
    await dlg.getByLabel('Name').fill('Line 10');
    await expectToast(page, 'Renamed to Line 10.', () => dlg.getByRole('button', { name: 'Rename' }).click());
    await page.getByRole('heading', { name: 'Line 10', level: 1 }).waitFor();
    // Take the task off and put it back.
    await page.getByRole('button', { name: 'Remove T-2 from Line 10' }).click();
    await expectToast(page, 'T-2 removed from Line 10.', () => page.getByRole('dialog', { name: 'Remove T-2 from Line 10?' }).getByRole('button', { name: 'Remove' }).click());
    assert.equal((await agenda(s, wendyToken)).length, 0);
    await page.getByLabel('Task', { exact: true }).selectOption({ label: 'T-2: Weld frame' });
    await expectToast(page, 'T-2 is on Line 10.', () => page.getByRole('button', { name: 'Add task' }).click());
    await page.getByRole('button', { name: 'Delete' }).click();
    dlg = page.getByRole('dialog', { name: 'Delete the agenda screen Line 10?' });
    assert.match(await dlg.textContent(), /It shows 1 task to 1 member/);
    await expectToast(page, 'Agenda screen Line 10 deleted.', () => dlg.getByRole('button', { name: 'Delete Line 10' }).click());
    await page.getByRole('heading', { name: 'Agenda screens', level: 1 }).waitFor();
    assert.deepEqual((await s.api('/v1/screens', { token: admin })).body.items, []);
    assert.equal((await agenda(s, wendyToken)).length, 0, 'the screen\'s tasks left its member\'s agenda');
    assert.equal((await s.api(`/v1/tasks/${t2.id}`, { token: admin })).status, 200, 'the task stays');

    // Walt's page: 20 minutes on T-1 today.
    await page.goto(`${s.url}/console/users/${walt.id}`);
    await page.getByRole('heading', { name: 'Walt Welder', level: 1 }).waitFor();
    const records = page.getByRole('region', { name: 'Time records' });
    const day = (await s.api(`/v1/timesheets?user_id=${walt.id}`, { token: admin })).body.days[0].date;
    const row = records.getByRole('row', { name: new RegExp(day) });
    await row.waitFor();
    assert.equal(await row.textContent(), `${day}T-1 Cut plates, 8 mm: 20 min20 min`);
    assert.match(await page.locator('section[aria-labelledby=time-h] .stat').textContent(), /^Last 7 days20 min$/);
    await records.getByRole('link', { name: 'T-1' }).waitFor();
    // An open check-in shows too.
    const ci2 = await s.api('/v1/checkins', { method: 'POST', token: walt.token, body: { task_id: t2.id } });
    assert.equal(ci2.status, 201, JSON.stringify(ci2.body));
    await page.reload();
    await page.getByTestId('open-checkins').getByText(/Checked in now: T-2 Weld frame since/).waitFor();
    await page.shot('work-05-time-records');

    // Unassigning Walt from the order takes its tasks off his agenda.
    await page.goto(`${s.url}/console/orders?ref=${encodeURIComponent(ORDER)}`);
    await page.getByRole('button', { name: `Unassign Walt Welder from order ${ORDER}` }).click();
    await expectToast(page, `Walt Welder unassigned from order ${ORDER}.`, () => page.getByRole('dialog', { name: `Unassign Walt Welder from order ${ORDER}?` }).getByRole('button', { name: 'Unassign' }).click());
    await page.getByText('Nobody is assigned to this order.').waitFor();
    mine = await agenda(s, walt.token);
    assert.deepEqual(mine.map((x) => x.ref), []);

    // At phone width the pages fit the screen.
    const narrow = await newPage(browser, { viewport: { width: 375, height: 740 } });
    await signIn(narrow, s.url, 'admin@acme.test', PASSWORD);
    for (const [path, heading] of [['tasks', 'Tasks'], [`tasks/${t1.id}`, 'T-1: Cut plates, 8 mm'], [`orders?ref=${encodeURIComponent(ORDER)}`, `Order ${ORDER}`], ['screens', 'Agenda screens'], [`users/${walt.id}`, 'Walt Welder']]) {
      await narrow.goto(`${s.url}/console/${path}`);
      await narrow.getByRole('heading', { name: heading, level: 1 }).waitFor();
      await narrow.waitForLoadState('networkidle');
      const width = await narrow.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(width <= 375, `${path} is ${width}px wide at 375`);
    }
    await narrow.shot('work-06-task-375');

    page.assertClean();
    narrow.assertClean();
  } finally {
    await browser.close();
    await s.stop();
  }
});

test('shop floor: someone who may only view users pages through tasks and reads orders, changes nothing', async () => {
  const s = await startServer();
  const browser = await launch();
  try {
    const admin = await s.login();
    const role = await s.api('/v1/roles', { method: 'POST', token: admin, body: { key: 'viewer', name: 'Viewer', permissions: ['users.view'] } });
    assert.equal(role.status, 201, JSON.stringify(role.body));
    await s.makeUser(admin, 'vera@acme.test', 'viewer', 'Vera Viewer');
    const t = await s.api('/v1/tasks', { method: 'POST', token: admin, body: { ref: 'T-5', title: 'Paint', order_ref: 'SO-5' } });
    assert.equal(t.status, 201);
    for (let i = 100; i < 152; i++) {
      assert.equal((await s.api('/v1/tasks', { method: 'POST', token: admin, body: { ref: `T-${i}`, title: `Batch ${i}` } })).status, 201);
    }

    const page = await newPage(browser);
    await signIn(page, s.url, 'vera@acme.test', PASSWORD);
    const labels = await mainNav(page).getByRole('link').allTextContents();
    assert.ok(labels.includes('Tasks'), labels.join(', '));
    assert.ok(!labels.includes('Agenda screens'), labels.join(', '));
    await mainNav(page).getByRole('link', { name: 'Tasks' }).click();
    await page.getByRole('heading', { name: 'Tasks', level: 1 }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'New task' }).count(), 0);
    // Pages of 50, with Load more.
    const shown = page.locator('.table-foot [role=status]');
    await shown.filter({ hasText: '50 tasks shown' }).waitFor();
    await page.getByRole('button', { name: 'Load more' }).click();
    await shown.filter({ hasText: '53 tasks shown' }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Load more' }).count(), 0);
    assert.equal(await page.getByRole('region', { name: 'Tasks' }).getByRole('row').count(), 54);
    await page.getByRole('link', { name: 'T-5' }).click();
    await page.getByRole('heading', { name: 'T-5: Paint', level: 1 }).waitFor();
    assert.equal(await page.getByLabel('Title').isDisabled(), true);
    for (const name of ['Mark done', 'Delete', 'Save changes', 'Assign']) assert.equal(await page.getByRole('button', { name, exact: true }).count(), 0, name);
    await page.getByRole('link', { name: 'Open order SO-5' }).click();
    await page.getByRole('heading', { name: 'Order SO-5', level: 1 }).waitFor();
    assert.equal(await page.getByLabel('Find a person').count(), 0);
    await page.goto(`${s.url}/console/screens`);
    await page.getByRole('heading', { name: 'Not available', level: 1 }).waitFor();
    page.assertClean();
  } finally {
    await browser.close();
    await s.stop();
  }
});
