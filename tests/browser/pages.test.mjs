// The console's administration pages in a real browser: the users table and
// invitations, a user's page (role, modules, direct grants and the "why"
// explanation; password reset, revoking sessions, activity), roles, groups,
// dashboards shared with a group, settings, API keys, the audit log, and
// one's own profile.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, PASSWORD } from '../api/lib.mjs';
import { apiKey } from '../api/shopfloor.mjs';
import { launch, newPage, signIn, navLabels } from './lib.mjs';

const mainNav = (page) => page.getByRole('navigation', { name: 'Main' });

/** Runs action and waits for a new toast saying text (toasts stay a few seconds, so older ones are marked first). */
async function expectToast(page, text, action) {
  await page.evaluate(() => document.querySelectorAll('#toasts .toast').forEach((t) => { t.dataset.seen = '1'; }));
  await action();
  await page.locator('#toasts .toast:not([data-seen])').getByText(text, { exact: true }).waitFor();
}

test('users: search and status filter, seats, invitations resent and cancelled', async () => {
  const s = await startServer();
  const browser = await launch();
  try {
    const admin = await s.login();
    assert.equal(s.cli(['org', 'seats', '--org', 'acme', '--office', '5', '--factory', '3']).status, 0);
    await s.makeUser(admin, 'alice@acme.test', 'user', 'Alice Archer');
    const bruno = await s.makeUser(admin, 'bruno@acme.test', 'user', 'Bruno Brand');
    assert.equal((await s.api(`/v1/users/${bruno.id}/lock`, { method: 'POST', token: admin })).status, 200);
    const f = await s.api('/v1/users', { method: 'POST', token: admin, body: { name: 'Frank Floor', role: 'user', badge: '2001', factory_access: true } });
    assert.equal(f.status, 201, JSON.stringify(f.body));
    const inv = await s.api('/v1/invites', { method: 'POST', token: admin, body: { emails: ['ina@acme.test', 'ivo@acme.test'], role: 'user' } });
    assert.equal(inv.status, 200, JSON.stringify(inv.body));

    const page = await newPage(browser);
    await signIn(page, s.url, 'admin@acme.test', PASSWORD);
    await page.getByRole('heading', { name: 'Users', level: 1 }).waitFor();

    // Seats: Ada, Alice and two pending invitations hold office seats (a locked user does not); Frank a factory seat.
    const seats = page.getByRole('group', { name: 'Seats' });
    assert.equal(await seats.locator('.stat').nth(0).textContent(), 'Office seats4 of 5 used 1 available');
    assert.equal(await seats.locator('.stat').nth(1).textContent(), 'Factory seats1 of 3 used 2 available');

    // Search by name.
    const users = page.getByRole('region', { name: 'Users', exact: true });
    const shown = page.getByRole('tabpanel', { name: 'Users' }).getByRole('status');
    await shown.filter({ hasText: '4 users shown' }).waitFor();
    await page.getByLabel('Search').fill('ali');
    await shown.filter({ hasText: '1 user shown' }).waitFor();
    assert.equal(await users.getByRole('row').count(), 2);
    await users.getByRole('row', { name: /Alice Archer/ }).waitFor();
    await page.shot('pages-01-users-search');
    // Nobody matches: the table says so.
    await page.getByLabel('Search').fill('zzz');
    await users.getByText('No users match these filters.').waitFor();
    await shown.filter({ hasText: '0 users shown' }).waitFor();

    // Filter by status; the filter is kept in the address and survives a reload.
    await page.getByLabel('Search').fill('');
    await page.getByLabel('Status', { exact: true }).selectOption({ label: 'Locked' });
    await shown.filter({ hasText: '1 user shown' }).waitFor();
    const locked = users.getByRole('row', { name: /Bruno Brand/ });
    assert.match(await locked.textContent(), /Locked/);
    assert.match(page.url(), /\/console\/users\?status=locked$/);
    await page.reload();
    await shown.filter({ hasText: '1 user shown' }).waitFor();
    assert.equal(await page.getByLabel('Status', { exact: true }).inputValue(), 'locked');
    await users.getByRole('row', { name: /Bruno Brand/ }).waitFor();
    await page.getByLabel('Status', { exact: true }).selectOption({ label: 'Active' });
    await shown.filter({ hasText: '3 users shown' }).waitFor();
    assert.equal(await users.getByRole('row', { name: /Bruno Brand/ }).count(), 0);

    // Invitations: resend makes a fresh link and the old one stops working.
    // Mail is not configured here, so the new link is offered to copy (issue 15).
    await page.getByRole('tab', { name: /Invitations/ }).click();
    assert.match(await page.getByRole('tab', { name: /Invitations/ }).textContent(), /Invitations2/);
    const invites = page.getByRole('region', { name: 'Pending invitations' });
    const oldToken = s.lastToken('ina@acme.test', 'invite');
    await invites.getByRole('button', { name: 'Resend invitation to ina@acme.test' }).click();
    const linkDlg = page.getByRole('dialog', { name: 'Copy the invitation link' });
    await linkDlg.getByText('Mail is not configured: copy this link and send it to ina@acme.test.').waitFor();
    assert.equal(s.outbox().filter((m) => m.to === 'ina@acme.test' && m.kind === 'invite').length, 2);
    const newToken = s.lastToken('ina@acme.test', 'invite');
    assert.notEqual(newToken, oldToken);
    assert.match(await linkDlg.textContent(), new RegExp(`token=${newToken}`), 'the new link is shown');
    await linkDlg.getByRole('button', { name: 'Copy the invitation link for ina@acme.test' }).waitFor();
    await linkDlg.getByRole('button', { name: 'Done' }).click();
    await linkDlg.waitFor({ state: 'detached' });
    const ina = await newPage(browser);
    await ina.goto(`${s.url}/console/accept-invite?token=${encodeURIComponent(oldToken)}`);
    await ina.getByRole('alert').filter({ hasText: 'This invitation link is not valid.' }).waitFor();
    await ina.goto(`${s.url}/console/accept-invite?token=${encodeURIComponent(newToken)}`);
    await ina.getByRole('heading', { name: 'Join Acme Plant' }).waitFor();

    // Cancel asks first; cancelling the confirmation keeps the invitation.
    const ivoToken = s.lastToken('ivo@acme.test', 'invite');
    await invites.getByRole('button', { name: 'Cancel invitation to ivo@acme.test' }).click();
    let dlg = page.getByRole('dialog', { name: 'Cancel invitation' });
    assert.match(await dlg.textContent(), /Cancel the invitation to ivo@acme\.test\? The link in their mail stops working\./);
    await page.shot('pages-02-cancel-invitation');
    await dlg.getByRole('button', { name: 'Cancel', exact: true }).click();
    await dlg.waitFor({ state: 'detached' });
    await invites.getByRole('row', { name: /ivo@acme\.test/ }).waitFor();
    await invites.getByRole('button', { name: 'Cancel invitation to ivo@acme.test' }).click();
    dlg = page.getByRole('dialog', { name: 'Cancel invitation' });
    await expectToast(page, 'Invitation to ivo@acme.test cancelled', () => dlg.getByRole('button', { name: 'Cancel invitation' }).click());
    await invites.getByRole('row', { name: /ivo@acme\.test/ }).waitFor({ state: 'detached' });
    await invites.getByRole('row', { name: /ina@acme\.test/ }).waitFor();
    assert.match(await page.getByRole('tab', { name: /Invitations/ }).textContent(), /Invitations1/);
    // The seat is free again, and the mailed link says the invitation was cancelled.
    assert.equal(await seats.locator('.stat').nth(0).textContent(), 'Office seats3 of 5 used 2 available');
    await ina.goto(`${s.url}/console/accept-invite?token=${encodeURIComponent(ivoToken)}`);
    await ina.getByRole('alert').filter({ hasText: 'This invitation was cancelled.' }).waitFor();
    assert.deepEqual((await s.api('/v1/invites', { token: admin })).body.items.map((i) => i.email), ['ina@acme.test']);

    page.assertClean();
    ina.assertClean();
  } finally {
    await browser.close();
    await s.stop();
  }
});

test('user page: role, modules and a direct grant, explained; reset link; revoked sessions; activity per day', async () => {
  const s = await startServer();
  const browser = await launch();
  try {
    const admin = await s.login();
    const uma = await s.makeUser(admin, 'uma@acme.test', 'user', 'Uma Ulm');
    // Activity reported by an integration: two forms today, an order event yesterday.
    const key = await apiKey(s, admin);
    const now = Date.now();
    const day = (t) => new Date(t).toISOString().slice(0, 10);
    const at = (t) => new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z');
    for (const [type, ref, t] of [['form_submission', 'QC-1', now - 2000], ['form_submission', 'QC-2', now - 1000], ['order_event', 'SO-9', now - 86400000]]) {
      const r = await s.api('/v1/activity', { method: 'POST', token: key, body: { user_id: uma.id, type, ref, at: at(t) } });
      assert.equal(r.status, 201, JSON.stringify(r.body));
    }

    const umaPage = await newPage(browser);
    await signIn(umaPage, s.url, 'uma@acme.test', PASSWORD);
    const page = await newPage(browser);
    await signIn(page, s.url, 'admin@acme.test', PASSWORD);
    await page.getByRole('link', { name: 'Uma Ulm' }).click();
    await page.getByRole('heading', { name: 'Uma Ulm', level: 1 }).waitFor();
    const why = page.getByLabel('Why can or can\'t Uma Ulm…');
    const answer = page.getByTestId('why-answer');
    const grant = page.getByRole('checkbox', { name: 'Manage inspections' });
    const saveAccess = page.getByRole('button', { name: 'Save access' });

    await why.selectOption({ label: 'do: Manage inspections (not allowed)' });
    assert.equal(await answer.textContent(), 'No. The role User does not include “Manage inspections”, and Uma Ulm has no direct grant for it. Add it to the role on the Roles page, or give a direct grant on this page.');
    // Open permissions (issue 11): held by everyone, whatever the role.
    await why.selectOption({ label: 'do: View dashboards' });
    assert.equal(await answer.textContent(), 'Yes. “View dashboards” is open to everyone in the organization: every active person has it, whatever their role.');

    // A direct grant.
    await page.getByText('No direct grants: show all permissions').click();
    await grant.check();
    await expectToast(page, 'Access saved.', () => saveAccess.click());
    await page.getByText('1 direct grant', { exact: true }).waitFor();
    await why.selectOption({ label: 'do: Manage inspections' });
    assert.equal(await answer.textContent(), 'Yes. The role User does not include “Manage inspections”, but a direct grant to Uma Ulm gives it.');
    assert.deepEqual((await s.api(`/v1/users/${uma.id}`, { token: admin })).body.grants, ['qc.inspections.manage']);

    // Modules: the QC module turned off for Uma withholds the granted permission and the QC tabs.
    await page.getByLabel('Only these modules:').check();
    await page.getByRole('checkbox', { name: /^QC/ }).uncheck();
    await expectToast(page, 'Access saved.', () => saveAccess.click());
    await why.selectOption({ label: 'do: Manage inspections (not allowed)' });
    assert.equal(await answer.textContent(), 'No. “Manage inspections” belongs to the QC module, which is turned off for Uma Ulm. Turn the module on under Modules.');
    await why.selectOption({ label: 'see the Manufacturing tab (hidden)' });
    assert.equal(await answer.textContent(), 'No. The Manufacturing tab belongs to the QC module, which is turned off for Uma Ulm. Turn it on under Modules.');
    assert.equal(await page.getByRole('checkbox', { name: /^QC/ }).isChecked(), false);
    const stored = (await s.api(`/v1/users/${uma.id}`, { token: admin })).body;
    assert.ok(Array.isArray(stored.modules) && !stored.modules.includes('qc') && stored.modules.includes('production'), JSON.stringify(stored.modules));
    await page.shot('pages-03-user-explained');

    // Role: Admin gives the Users tab, but not what the module withholds.
    await page.getByRole('combobox', { name: 'Role' }).selectOption({ label: 'Admin' });
    await expectToast(page, 'Changes saved.', () => page.getByRole('button', { name: 'Save changes' }).click());
    await page.getByText('uma@acme.test · Admin').waitFor();
    await why.selectOption({ label: 'see the Users tab' });
    assert.match(await answer.textContent(), /^Yes\. The Users tab comes with the Core module, which Uma Ulm has, and Uma Ulm holds “View user management page” and “Manage users”\.$/);
    await why.selectOption({ label: 'do: Manage inspections (not allowed)' });
    assert.match(await answer.textContent(), /^No\. “Manage inspections” belongs to the QC module, which is turned off for Uma Ulm\./);
    assert.equal((await s.api(`/v1/users/${uma.id}`, { token: admin })).body.role, 'admin');
    // Uma's console follows on her next page load.
    await umaPage.reload();
    await mainNav(umaPage).waitFor();
    assert.ok((await navLabels(umaPage)).includes('Users'));

    // Reset password mails a working link.
    await expectToast(page, 'A password reset link was mailed to uma@acme.test.', () => page.getByRole('button', { name: 'Send reset link' }).click());
    const link = await s.api(`/v1/auth/link?purpose=reset&token=${encodeURIComponent(s.lastToken('uma@acme.test', 'password_reset'))}`);
    assert.equal(link.status, 200, JSON.stringify(link.body));
    assert.equal(link.body.email, 'uma@acme.test');

    // Revoking her sessions signs out her browser (and her API session).
    await expectToast(page, '2 sessions ended.', () => page.getByRole('button', { name: 'Revoke sessions' }).click());
    assert.equal((await s.api('/v1/me', { token: uma.token })).status, 401);
    await mainNav(umaPage).getByRole('link', { name: 'My profile' }).click();
    await umaPage.waitForURL(/\/console\/sign-in\?next=/);
    await umaPage.getByRole('heading', { name: 'Sign in', level: 1 }).waitFor();
    // Signing in again takes her back where she was going.
    await umaPage.getByLabel('Email').fill('uma@acme.test');
    await umaPage.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await umaPage.getByRole('button', { name: 'Sign in' }).click();
    await umaPage.getByRole('heading', { name: 'My profile', level: 1 }).waitFor();
    assert.match(umaPage.url(), /\/console\/profile$/);
    // ... and the administrator's own session is untouched.
    await page.reload();
    await page.getByRole('heading', { name: 'Uma Ulm', level: 1 }).waitFor();

    // Activity per day: a chart with a bar per reported day and the numbers in a table.
    const activity = page.getByRole('region', { name: 'Activity', exact: true });
    const chart = activity.getByRole('img', { name: 'Activity per day (the table below has the numbers)' });
    await chart.waitFor();
    assert.deepEqual(await chart.locator('rect title').allTextContents(),
      [`${day(now - 86400000)}: 1 order event`, `${day(now)}: 2 forms`]);
    const stat = async (label) => (await activity.locator('.stat', { hasText: label }).locator('.value').textContent());
    assert.equal(await stat('Forms'), '2');
    assert.equal(await stat('Order events'), '1');
    assert.equal(await stat('Asset events'), '0');
    await activity.getByText('Numbers per day').click();
    const perDay = activity.getByRole('region', { name: 'Activity per day' });
    assert.equal(await perDay.getByRole('row').count(), 15); // header and 14 days
    assert.deepEqual(await perDay.getByRole('row', { name: day(now) }).getByRole('cell').allTextContents(), ['0', '2', '0', '0']);
    await activity.getByText('Latest events (3)').click();
    await activity.getByRole('region', { name: 'Latest events' }).getByRole('row', { name: /QC-2/ }).waitFor();
    await activity.scrollIntoViewIfNeeded();
    await page.shot('pages-04-user-activity');

    page.assertClean();
    umaPage.assertClean();
  } finally {
    await browser.close();
    await s.stop();
  }
});

test('roles: create, rename and delete a role; a role still assigned is not deleted', async () => {
  const s = await startServer();
  const browser = await launch();
  try {
    const admin = await s.login();
    const page = await newPage(browser);
    await signIn(page, s.url, 'admin@acme.test', PASSWORD);
    await mainNav(page).getByRole('link', { name: 'Roles' }).click();
    await page.getByRole('heading', { name: 'Roles', level: 1 }).waitFor();
    const matrix = page.getByRole('region', { name: 'Role permissions matrix' });

    // Create: the key follows the name unless typed.
    await page.getByRole('button', { name: 'New role' }).click();
    let dlg = page.getByRole('dialog', { name: 'New role' });
    await dlg.getByLabel('Name').fill('Line lead');
    assert.equal(await dlg.getByLabel('Key').inputValue(), 'line-lead');
    await dlg.getByLabel('Description').fill('Runs a line for a shift.');
    await dlg.getByLabel('Start with the permissions of').selectOption({ label: 'User' });
    await expectToast(page, 'Role Line lead created.', () => dlg.getByRole('button', { name: 'Create role' }).click());
    const head = matrix.getByRole('columnheader', { name: /^Line lead/ });
    assert.match(await head.textContent(), /custom/);
    assert.equal(await matrix.getByRole('checkbox', { name: 'Work on tasks: Line lead' }).isChecked(), true);
    assert.equal(await matrix.getByRole('checkbox', { name: 'Manage users: Line lead' }).isChecked(), false);
    const made = await s.api('/v1/roles/line-lead', { token: admin });
    assert.equal(made.status, 200);
    assert.equal(made.body.name, 'Line lead');
    assert.deepEqual([...made.body.permissions].sort(), (await s.api('/v1/roles/user', { token: admin })).body.permissions.sort());
    // The same key twice is refused, next to the field.
    await page.getByRole('button', { name: 'New role' }).click();
    dlg = page.getByRole('dialog', { name: 'New role' });
    await dlg.getByLabel('Name').fill('Line lead');
    await dlg.getByRole('button', { name: 'Create role' }).click();
    await dlg.locator('.field[data-field=key] .error:not([hidden])').waitFor();
    assert.equal(await dlg.getByLabel('Key').getAttribute('aria-invalid'), 'true');
    await dlg.getByRole('button', { name: 'Cancel' }).click();
    await dlg.waitFor({ state: 'detached' });

    // Rename: the key stays.
    await matrix.getByRole('button', { name: 'Rename role Line lead' }).click();
    dlg = page.getByRole('dialog', { name: 'Rename Line lead' });
    await dlg.getByText('Key: line-lead (does not change)').waitFor();
    await dlg.getByLabel('Name').fill('Shift lead');
    await expectToast(page, 'Role saved.', () => dlg.getByRole('button', { name: 'Save' }).click());
    await matrix.getByRole('columnheader', { name: /^Shift lead/ }).waitFor();
    assert.equal(await matrix.getByRole('columnheader', { name: /^Line lead/ }).count(), 0);
    assert.equal((await s.api('/v1/roles/line-lead', { token: admin })).body.name, 'Shift lead');
    await page.shot('pages-05-roles');

    // Delete a role nobody has.
    await matrix.getByRole('button', { name: 'Delete role Shift lead' }).click();
    dlg = page.getByRole('dialog', { name: 'Delete the role Shift lead?' });
    assert.match(await dlg.textContent(), /Nobody has the role Shift lead\. Deleting it cannot be undone\./);
    await expectToast(page, 'Role Shift lead deleted.', () => dlg.getByRole('button', { name: 'Delete Shift lead' }).click());
    await matrix.getByRole('columnheader', { name: /^Shift lead/ }).waitFor({ state: 'detached' });
    assert.equal((await s.api('/v1/roles/line-lead', { token: admin })).status, 404);

    // A role someone still has stays, and the dialog says why.
    assert.equal((await s.api('/v1/roles', { method: 'POST', token: admin, body: { key: 'inspector', name: 'Inspector', permissions: [] } })).status, 201);
    await s.makeUser(admin, 'ivan@acme.test', 'inspector', 'Ivan Inspector');
    await page.reload();
    await matrix.getByRole('button', { name: 'Delete role Inspector' }).click();
    dlg = page.getByRole('dialog', { name: 'Delete the role Inspector?' });
    assert.match(await dlg.textContent(), /1 user has this role; give them another role first\./);
    await dlg.getByRole('button', { name: 'Delete Inspector' }).click();
    await dlg.getByRole('alert').filter({ hasText: 'the role is assigned to 1 user(s)' }).waitFor();
    await page.shot('pages-06-role-in-use');
    await dlg.getByRole('button', { name: 'Cancel' }).click();
    await dlg.waitFor({ state: 'detached' });
    await matrix.getByRole('columnheader', { name: /^Inspector/ }).waitFor();
    assert.equal((await s.api('/v1/roles/inspector', { token: admin })).status, 200);

    page.assertClean();
  } finally {
    await browser.close();
    await s.stop();
  }
});

test('groups and dashboards: members added and removed; a dashboard shared with a group is read-only to its members', async () => {
  const s = await startServer();
  const browser = await launch();
  try {
    const admin = await s.login();
    await s.makeUser(admin, 'gina@acme.test', 'user', 'Gina Green');
    const hank = await s.makeUser(admin, 'hank@acme.test', 'user', 'Hank Hill');
    const page = await newPage(browser);
    await signIn(page, s.url, 'admin@acme.test', PASSWORD);

    await mainNav(page).getByRole('link', { name: 'Groups' }).click();
    await page.getByRole('region', { name: 'Groups' }).getByText('No groups yet.', { exact: false }).waitFor();
    await page.getByRole('button', { name: 'New group' }).click();
    const dlg = page.getByRole('dialog', { name: 'New group' });
    await dlg.getByLabel('Name').fill('Night shift');
    await dlg.getByLabel('Description').fill('Everyone on nights');
    await expectToast(page, 'Group Night shift created.', () => dlg.getByRole('button', { name: 'Create group' }).click());
    await page.getByRole('heading', { name: 'Night shift', level: 1 }).waitFor();
    assert.match(page.url(), /\/console\/groups\/[^/]+$/);
    const groupId = decodeURIComponent(page.url().split('/').pop());

    const members = page.getByRole('region', { name: 'Members' });
    await members.getByText('Nobody is in this group yet.').waitFor();
    for (const who of ['Gina Green (gina@acme.test)', 'Hank Hill (hank@acme.test)', 'Ada Admin (admin@acme.test)']) {
      await page.getByLabel('Add a person').selectOption({ label: who });
      await expectToast(page, 'Added to the group.', () => page.getByRole('button', { name: 'Add to group' }).click());
      await members.getByRole('row', { name: new RegExp(who.split(' (')[0]) }).waitFor();
    }
    await page.getByText('3 members').waitFor();
    // Nobody is offered twice.
    assert.deepEqual(await page.getByLabel('Add a person').locator('option').allTextContents(), ['Everyone is already a member']);

    await members.getByRole('button', { name: 'Remove Hank Hill from Night shift' }).click();
    const rm = page.getByRole('dialog', { name: 'Remove Hank Hill?' });
    await expectToast(page, 'Hank Hill removed.', () => rm.getByRole('button', { name: 'Remove' }).click());
    await page.getByText('2 members').waitFor();
    assert.equal(await members.getByRole('row', { name: /Hank Hill/ }).count(), 0);
    const g = (await s.api(`/v1/groups/${groupId}`, { token: admin })).body;
    assert.deepEqual(g.members.map((m) => m.name).sort(), ['Ada Admin', 'Gina Green']);
    await page.shot('pages-07-group');

    // A dashboard, shared with the group.
    await mainNav(page).getByRole('link', { name: 'Views & dashboards' }).click();
    await page.getByRole('button', { name: 'New view' }).click();
    const nv = page.getByRole('dialog', { name: 'New view' });
    await nv.getByLabel('Name').fill('Line 3 OEE');
    assert.equal(await nv.getByLabel('Kind').inputValue(), 'dashboard');
    // The configuration is a form (issue 22): a widget, its type and its settings.
    await nv.getByRole('button', { name: 'Add widget' }).click();
    await nv.getByLabel('Widget 1: type').fill('oee');
    await nv.getByLabel('Widget 1: settings').fill('line = 3');
    await expectToast(page, 'Line 3 OEE created.', () => nv.getByRole('button', { name: 'Create' }).click());
    const made = (await s.api('/v1/views?include_config=true', { token: admin })).body.items.find((x) => x.name === 'Line 3 OEE');
    assert.deepEqual(made.config, { widgets: [{ type: 'oee', line: 3 }] });
    const views = page.getByRole('region', { name: 'Views and dashboards' });
    const row = views.getByRole('row', { name: /Line 3 OEE/ });
    assert.match(await row.textContent(), /Dashboard.*Ada Admin.*Personal.*Owner/);
    await row.getByRole('button', { name: 'Share Line 3 OEE' }).click();
    const share = page.getByRole('dialog', { name: 'Share Line 3 OEE' });
    await share.getByRole('checkbox', { name: /Night shift/ }).check();
    await expectToast(page, 'Sharing saved.', () => share.getByRole('button', { name: 'Save sharing' }).click());
    await row.filter({ hasText: 'Night shift' }).waitFor();
    await page.shot('pages-08-dashboard-shared');

    // Gina, a member, sees it read-only; Hank, removed from the group, does not see it.
    const gina = await newPage(browser);
    await signIn(gina, s.url, 'gina@acme.test', PASSWORD);
    await mainNav(gina).getByRole('link', { name: 'Views & dashboards' }).click();
    const ginaRow = gina.getByRole('region', { name: 'Views and dashboards' }).getByRole('row', { name: /Line 3 OEE/ });
    assert.match(await ginaRow.textContent(), /Ada Admin.*Night shift.*Read-only/);
    assert.equal(await ginaRow.getByRole('button').count(), 0);
    await gina.shot('pages-09-dashboard-read-only');
    const hankPage = await newPage(browser);
    await signIn(hankPage, s.url, 'hank@acme.test', PASSWORD);
    await mainNav(hankPage).getByRole('link', { name: 'Views & dashboards' }).click();
    await hankPage.getByRole('region', { name: 'Views and dashboards' }).getByText(/^No views yet\./).waitFor();
    // 004: without dashboards.manage the console offers no way to create one (issue 11).
    assert.equal(await hankPage.getByRole('button', { name: 'New view' }).count(), 0);
    // The server agrees: Gina can read it and not change it.
    const list = (await s.api('/v1/views', { token: (await s.login('gina@acme.test')) })).body.items;
    assert.equal(list.length, 1);
    assert.equal(list[0].access.editable, false);
    assert.equal((await s.api('/v1/views', { token: hank.token })).body.items.length, 0);

    // The group's page lists what is shared with it.
    await page.goto(`${s.url}/console/groups/${encodeURIComponent(groupId)}`);
    await page.getByRole('region', { name: 'Shared with this group' }).getByText('Line 3 OEE').waitFor();

    page.assertClean();
    gina.assertClean();
    hankPage.assertClean();
  } finally {
    await browser.close();
    await s.stop();
  }
});

test('settings persist; an API key is shown once and deleted; the audit log filters by action', async () => {
  const s = await startServer();
  const browser = await launch();
  try {
    const admin = await s.login();
    const page = await newPage(browser);
    await signIn(page, s.url, 'admin@acme.test', PASSWORD);

    // Settings: single-task check-in and invitation expiry.
    await mainNav(page).getByRole('link', { name: 'Settings' }).click();
    const general = page.getByRole('region', { name: 'General' });
    const single = general.getByLabel('Single-task check-in limit');
    const ttl = general.getByLabel('Invitation links expire after (days)');
    assert.equal(await single.isChecked(), true);
    assert.equal(await ttl.inputValue(), '7');
    // Out of range: refused next to the field, nothing saved.
    await ttl.fill('365');
    await general.getByRole('button', { name: 'Save' }).click();
    // (in the unit the person typed, not the API's seconds)
    await general.locator('.field[data-field=invite_ttl_s] .error', { hasText: 'Enter a number from 0.042 to 90 days.' }).waitFor();
    assert.equal(await ttl.getAttribute('aria-invalid'), 'true');
    assert.equal((await s.api('/v1/org', { token: admin })).body.settings.invite_ttl_s, 7 * 86400);
    const security = page.getByRole('region', { name: 'Sessions and kiosk security' });
    await security.getByLabel('Kiosk signs a worker out after inactivity of (seconds)').fill('5');
    await security.getByRole('button', { name: 'Save' }).click();
    await security.locator('.field[data-field=kiosk_idle_timeout_s] .error', { hasText: 'Enter a number from 15 to 3600 seconds.' }).waitFor();
    await single.uncheck();
    await ttl.fill('3');
    const erase = general.getByLabel('Erase the names of deleted people');
    assert.equal(await erase.isChecked(), false);
    await erase.check();
    await expectToast(page, 'Settings saved.', () => general.getByRole('button', { name: 'Save' }).click());
    await page.reload();
    await general.waitFor();
    assert.equal(await single.isChecked(), false);
    assert.equal(await ttl.inputValue(), '3');
    const settings = (await s.api('/v1/org', { token: admin })).body.settings;
    assert.equal(settings.single_task_checkin, false);
    assert.equal(settings.invite_ttl_s, 3 * 86400);
    assert.equal(settings.erase_deleted_names, true);
    assert.equal(await erase.isChecked(), true);
    // New invitations expire after three days.
    const inv = await s.api('/v1/invites', { method: 'POST', token: admin, body: { emails: ['new@acme.test'], role: 'user' } });
    assert.equal(inv.status, 200, JSON.stringify(inv.body));
    const pending = (await s.api('/v1/invites', { token: admin })).body.items[0];
    assert.equal(Date.parse(pending.expires_at) - Date.parse(pending.sent_at || pending.created_at), 3 * 86400 * 1000);

    // API keys: the key is shown once, works, and stops working when deleted.
    await mainNav(page).getByRole('link', { name: 'API keys' }).click();
    await page.getByRole('region', { name: 'API keys' }).getByText('No API keys yet.').waitFor();
    await page.getByRole('button', { name: 'New API key' }).click();
    const nk = page.getByRole('dialog', { name: 'New API key' });
    await nk.getByLabel('Name', { exact: true }).fill('ERP sync');
    // Scopes: checking permissions is the default; this key also records
    // activity and reads people (users.view), which its creator holds.
    assert.equal(await nk.getByRole('checkbox', { name: /Check permissions/ }).isChecked(), true);
    await nk.getByRole('checkbox', { name: /Record activity/ }).check();
    await nk.getByText('Permissions (as a person holding them)').click();
    await nk.getByRole('checkbox', { name: /users\.view/ }).check();
    await nk.getByRole('button', { name: 'Create key' }).click();
    const shown = page.getByRole('dialog', { name: 'Copy the new key now' });
    const key = (await shown.getByTestId('api-key').textContent()).trim();
    assert.match(key, /^ghk_/);
    assert.match(await shown.textContent(), /This is the only time the key “ERP sync” is shown\./);
    await page.shot('pages-10-api-key-shown');
    const me = (await s.api('/v1/me', { token: admin })).body;
    assert.equal((await s.api(`/v1/users/${me.id}/activity`, { token: key })).status, 200);
    await shown.getByRole('button', { name: 'Done' }).click();
    const keys = page.getByRole('region', { name: 'API keys' });
    const keyRow = keys.getByRole('row', { name: /ERP sync/ });
    assert.match(await keyRow.textContent(), new RegExp(`ERP sync${key.slice(0, 12)}…Check permissions, Record activity, View user management page`));
    assert.equal((await s.api('/v1/tasks', { token: key })).status, 403, 'no tasks.write: refused');
    assert.ok(!(await page.locator('body').textContent()).includes(key), 'the key is not shown again');
    await page.reload();
    await keyRow.waitFor();
    assert.ok(!(await page.locator('body').textContent()).includes(key), 'the key is not shown again');
    await keyRow.getByRole('button', { name: 'Delete API key ERP sync' }).click();
    const del = page.getByRole('dialog', { name: 'Delete the API key ERP sync?' });
    await expectToast(page, 'API key ERP sync deleted.', () => del.getByRole('button', { name: 'Delete key' }).click());
    await keys.getByText('No API keys yet.').waitFor();
    assert.equal((await s.api(`/v1/users/${me.id}/activity`, { token: key })).status, 401);

    // Audit log: only the API key events under "API keys", newest first.
    await mainNav(page).getByRole('link', { name: 'Audit log' }).click();
    const events = page.getByRole('region', { name: 'Audit events' });
    const count = page.getByRole('main').getByRole('status');
    await events.getByRole('row').filter({ hasText: 'Changed settings' }).first().waitFor();
    await page.getByLabel('Action').selectOption({ label: 'API keys' });
    await count.filter({ hasText: '2 events shown' }).waitFor();
    const rows = events.getByRole('row');
    assert.equal(await rows.count(), 3);
    // Readable labels, the raw action key in the cell's title.
    assert.match(await rows.nth(1).textContent(), /Ada Admin.*Deleted an API key/);
    assert.match(await rows.nth(2).textContent(), /Ada Admin.*Created an API key/);
    assert.equal(await rows.nth(1).locator('td[title="api_key.revoked"]').count(), 1);
    assert.equal(await rows.nth(2).locator('td[title="api_key.created"]').count(), 1);
    assert.match(page.url(), /\/console\/audit\?action=api_key$/);
    await page.shot('pages-11-audit-filtered');
    // Another area: the settings change, with what changed.
    await page.getByLabel('Action').selectOption({ label: 'Organization' });
    await count.filter({ hasText: /^\d+ events? shown$/ }).waitFor();
    const orgRows = events.getByRole('row').filter({ hasText: 'Changed settings' });
    await orgRows.first().waitFor();
    assert.equal(await events.getByRole('row').filter({ hasText: /an API key/ }).count(), 0);
    const change = await orgRows.first().textContent();
    assert.match(change, /single task checkin: false/);
    assert.match(change, /invite ttl s: 259200/);

    page.assertClean();
  } finally {
    await browser.close();
    await s.stop();
  }
});

test('my profile: name and mobile, password change needs the current one, sessions ended', async () => {
  const s = await startServer();
  const browser = await launch();
  try {
    const admin = await s.login();
    const uma = await s.makeUser(admin, 'uma@acme.test', 'user', 'Uma Ulm');
    const page = await newPage(browser);
    await signIn(page, s.url, 'uma@acme.test', PASSWORD);
    // A second browser, on another device.
    const other = await newPage(browser, { context: { userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.0.0' } });
    await signIn(other, s.url, 'uma@acme.test', PASSWORD);

    await mainNav(page).getByRole('link', { name: 'My profile' }).click();
    await page.getByRole('heading', { name: 'My profile', level: 1 }).waitFor();
    const details = page.getByRole('region', { name: 'Your details' });

    // Name and mobile.
    await details.getByLabel('Mobile number').fill('call me maybe');
    await details.getByRole('button', { name: 'Save' }).click();
    await details.locator('.field[data-field=mobile] .error:not([hidden])').waitFor();
    assert.equal(await details.getByLabel('Mobile number').getAttribute('aria-invalid'), 'true');
    await details.getByLabel('Name').fill('Uma Ulm-Ross');
    await details.getByLabel('Mobile number').fill('+44 7700 900123');
    await expectToast(page, 'Profile saved.', () => details.getByRole('button', { name: 'Save' }).click());
    assert.equal(await page.locator('header .whoami').textContent(), 'Uma Ulm-Ross');
    await page.reload();
    await page.getByRole('heading', { name: 'My profile', level: 1 }).waitFor();
    assert.equal(await details.getByLabel('Name').inputValue(), 'Uma Ulm-Ross');
    assert.equal(await details.getByLabel('Mobile number').inputValue(), '+44 7700 900123');
    const u = (await s.api(`/v1/users/${uma.id}`, { token: admin })).body;
    assert.equal(u.name, 'Uma Ulm-Ross');
    assert.equal(u.mobile, '+44 7700 900123');

    // Sessions: this browser, the other one and the API session; end the other browser's.
    const sessions = page.getByRole('region', { name: 'Your sessions' });
    assert.equal(await sessions.getByRole('row').count(), 4);
    await sessions.getByRole('row', { name: /This browser/ }).getByRole('button', { name: 'Sign out of this browser' }).waitFor();
    await sessions.getByRole('button', { name: 'End the session from Edge on Windows' }).click();
    const end = page.getByRole('dialog', { name: 'End this session?' });
    await expectToast(page, 'Session ended.', () => end.getByRole('button', { name: 'End session' }).click());
    await sessions.getByRole('button', { name: 'End the session from Edge on Windows' }).waitFor({ state: 'detached' });
    assert.equal(await sessions.getByRole('row').count(), 3);
    await page.shot('pages-12-profile-sessions');
    await mainNav(other).getByRole('link', { name: 'Views & dashboards' }).click();
    await other.waitForURL(/\/console\/sign-in/);
    assert.equal((await s.api('/v1/me', { token: uma.token })).status, 200, 'only the chosen session ended');

    // Password: the current one is required and checked.
    const pw = page.getByRole('region', { name: 'Password' });
    const NEW = 'seven blue lanterns at dawn';
    await pw.getByLabel('Current password').fill('not my password');
    await pw.getByLabel('New password', { exact: true }).fill(NEW);
    await pw.getByLabel('Repeat the new password').fill(NEW);
    await pw.getByRole('button', { name: 'Change password' }).click();
    await pw.locator('.field[data-field=current_password] .error', { hasText: 'the current password is not correct' }).waitFor();
    assert.equal(await pw.getByLabel('Current password').getAttribute('aria-invalid'), 'true');
    await pw.getByLabel('Current password').fill(PASSWORD);
    await pw.getByLabel('Repeat the new password').fill(`${NEW}.`);
    await pw.getByRole('button', { name: 'Change password' }).click();
    await pw.locator('.field[data-field=new_password2] .error', { hasText: 'The two passwords differ.' }).waitFor();
    await pw.getByLabel('Repeat the new password').fill(NEW);
    await expectToast(page, 'Password changed. Your other sessions were signed out.',
      () => pw.getByRole('button', { name: 'Change password' }).click());
    assert.equal(await pw.getByLabel('Current password').inputValue(), '');
    // Only this browser is left signed in.
    await sessions.getByRole('row').nth(2).waitFor({ state: 'detached' });
    assert.equal(await sessions.getByRole('row').count(), 2);
    assert.equal((await s.api('/v1/me', { token: uma.token })).status, 401);
    await page.reload();
    await page.getByRole('heading', { name: 'My profile', level: 1 }).waitFor();

    // The old password no longer signs in; the new one does.
    assert.equal((await s.api('/v1/auth/login', { method: 'POST', body: { email: 'uma@acme.test', password: PASSWORD } })).status, 401);
    await signIn(other, s.url, 'uma@acme.test', NEW);

    page.assertClean();
    other.assertClean();
  } finally {
    await browser.close();
    await s.stop();
  }
});
