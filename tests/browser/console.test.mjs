// Scenario 1, in a real browser: an administrator signs in to the console,
// invites two people, one accepts through the mailed link, the administrator
// changes a role in the matrix and that user's tabs change, then locks a user
// who is then refused sign-in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, PASSWORD } from '../api/lib.mjs';
import { launch, newPage, signIn, navLabels } from './lib.mjs';

test('admin: role matrix changes a user\'s tabs; a locked user is refused', async () => {
  const s = await startServer();
  const browser = await launch();
  try {
    const adminToken = await s.login();
    const bob = await s.makeUser(adminToken, 'bob@acme.test', 'user', 'Bob Builder');

    // A wrong password is shown to the person, and nothing else happens.
    const admin = await newPage(browser);
    await admin.goto(`${s.url}/console/sign-in`);
    await admin.getByLabel('Email').fill('admin@acme.test');
    await admin.getByLabel('Password', { exact: true }).fill('not the password');
    await admin.getByRole('button', { name: 'Sign in' }).click();
    await admin.getByRole('alert').filter({ hasText: /password/i }).waitFor();
    await admin.shot('console-01-signin-error');

    await signIn(admin, s.url, 'admin@acme.test', PASSWORD);
    assert.deepEqual(await navLabels(admin), ['Users', 'Roles', 'Settings', 'API keys', 'Audit log', 'My profile']);
    await admin.getByRole('heading', { name: 'Users', level: 1 }).waitFor();
    await admin.getByRole('link', { name: 'Bob Builder' }).waitFor();
    await admin.shot('console-02-users');

    // Bob, a plain user, sees no Users tab.
    const bobPage = await newPage(browser);
    await signIn(bobPage, s.url, 'bob@acme.test', PASSWORD);
    assert.deepEqual(await navLabels(bobPage), ['My profile']);
    const tabs = bobPage.getByTestId('my-tabs');
    await tabs.waitFor();
    assert.doesNotMatch(await tabs.textContent(), /Users/);

    // The administrator opens Bob's page; the explanation says why the Users tab is hidden.
    await admin.getByRole('link', { name: 'Bob Builder' }).click();
    await admin.getByRole('heading', { name: 'Bob Builder', level: 1 }).waitFor();
    await admin.getByLabel(/Why can or can't Bob Builder/).selectOption({ label: 'see the Users tab (hidden)' });
    const why = admin.getByTestId('why-answer');
    assert.match(await why.textContent(), /^No\. The Users tab shows only to people with “View user management page” or “Manage users”; the role User/);
    await admin.shot('console-03-user-explained');

    // Roles matrix: give the User role "View user management page".
    await admin.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Roles' }).click();
    const box = admin.getByRole('checkbox', { name: 'View user management page: User' });
    assert.equal(await box.isChecked(), false);
    await box.check();
    await admin.locator('#matrix-status').filter({ hasText: 'Saved: User now includes “View user management page”' }).waitFor();
    await admin.shot('console-04-roles-matrix');
    const role = await s.api('/v1/roles/user', { token: adminToken });
    assert.ok(role.body.permissions.includes('users.view'), 'the role was saved on the server');

    // Removing "Manage users" from one's own role is refused, and the box goes back.
    const own = admin.getByRole('checkbox', { name: 'Manage users: Admin' });
    await own.click(); // the server refuses and the page puts the tick back
    await admin.locator('#matrix-status').filter({ hasText: /^Not saved:/ }).waitFor();
    assert.equal(await own.isChecked(), true);

    // Bob's tabs change on his next page load.
    await bobPage.reload();
    await bobPage.getByRole('navigation', { name: 'Main' }).waitFor();
    assert.deepEqual(await navLabels(bobPage), ['Users', 'Roles', 'Audit log', 'My profile']);
    assert.match(await bobPage.getByTestId('my-tabs').textContent(), /Users/);
    // ... and he can look at users but not change them.
    await bobPage.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Users' }).click();
    await bobPage.getByRole('link', { name: 'Ada Admin' }).click();
    await bobPage.getByRole('heading', { name: 'Ada Admin', level: 1 }).waitFor();
    assert.equal(await bobPage.getByRole('button', { name: 'Lock' }).count(), 0);
    assert.equal(await bobPage.getByRole('textbox', { name: 'Email' }).isDisabled(), true);

    // The administrator locks Bob, naming him in the confirmation.
    await admin.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Users' }).click();
    await admin.getByLabel('Search').fill('bob');
    await admin.getByRole('link', { name: 'Bob Builder' }).click();
    await admin.getByRole('heading', { name: 'Bob Builder', level: 1 }).waitFor();
    await admin.getByRole('button', { name: 'Lock', exact: true }).first().click();
    const dlg = admin.getByRole('dialog', { name: 'Lock Bob Builder?' });
    await dlg.waitFor();
    await admin.shot('console-05-lock-confirm');
    await dlg.getByRole('button', { name: 'Lock account' }).click();
    await admin.locator('.page-head .badge', { hasText: 'Locked' }).waitFor();
    const u = await s.api(`/v1/users/${bob.id}`, { token: adminToken });
    assert.equal(u.body.status, 'locked');

    // Bob's session is gone: his next request sends him to sign-in, where he is refused.
    await bobPage.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'My profile' }).click();
    await bobPage.waitForURL(/\/console\/sign-in/);
    await bobPage.getByLabel('Email').fill('bob@acme.test');
    await bobPage.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await bobPage.getByRole('button', { name: 'Sign in' }).click();
    await bobPage.getByRole('alert').filter({ hasText: 'this account is locked; ask an administrator' }).waitFor();
    await bobPage.shot('console-06-locked-refused');
    assert.match(bobPage.url(), /\/console\/sign-in/);

    admin.assertClean();
    bobPage.assertClean();
  } finally {
    await browser.close();
    await s.stop();
  }
});

test('user page: errors land on their field; delete names the user', async () => {
  const s = await startServer();
  const browser = await launch();
  try {
    const adminToken = await s.login();
    const carol = await s.makeUser(adminToken, 'carol@acme.test', 'user', 'Carol Chen');
    const page = await newPage(browser);
    await signIn(page, s.url, 'admin@acme.test', PASSWORD);
    await page.goto(`${s.url}/console/users/${carol.id}`);
    await page.getByRole('heading', { name: 'Carol Chen', level: 1 }).waitFor();

    // A bad email is refused by the server and the detail shows next to the field.
    await page.getByRole('textbox', { name: 'Email' }).fill('not-an-email');
    await page.getByRole('button', { name: 'Save changes' }).click();
    const email = page.getByRole('textbox', { name: 'Email' });
    await page.locator('.field[data-field=email] .error', { hasText: 'not a valid email address' }).waitFor();
    assert.equal(await email.getAttribute('aria-invalid'), 'true');
    const still = await s.api(`/v1/users/${carol.id}`, { token: adminToken });
    assert.equal(still.body.email, 'carol@acme.test');

    // Name and mobile are read-only to administrators (003).
    assert.equal(await page.getByLabel('Name', { exact: true }).getAttribute('readonly'), '');

    // Cancelling the delete keeps the user; confirming deletes her.
    await page.getByRole('button', { name: 'Delete user…' }).click();
    let dlg = page.getByRole('dialog', { name: 'Delete Carol Chen?' });
    await dlg.waitFor();
    assert.match(await dlg.textContent(), /permanently deletes Carol Chen \(carol@acme\.test\)/);
    await dlg.getByRole('button', { name: 'Cancel' }).click();
    await dlg.waitFor({ state: 'detached' });
    assert.equal((await s.api(`/v1/users/${carol.id}`, { token: adminToken })).status, 200);
    await page.getByRole('button', { name: 'Delete user…' }).click();
    dlg = page.getByRole('dialog', { name: 'Delete Carol Chen?' });
    await dlg.getByRole('button', { name: 'Delete Carol Chen' }).click();
    await page.waitForURL(/\/console\/users$/);
    assert.equal((await s.api(`/v1/users/${carol.id}`, { token: adminToken })).status, 404);

    // An administrator cannot delete themselves: the server's detail is shown in the dialog.
    await page.getByRole('link', { name: 'Ada Admin' }).click();
    await page.getByRole('button', { name: 'Delete user…' }).click();
    dlg = page.getByRole('dialog', { name: 'Delete Ada Admin?' });
    await dlg.getByRole('button', { name: 'Delete Ada Admin' }).click();
    await dlg.getByRole('alert').waitFor();
    await page.shot('console-07-self-delete-refused');
    await dlg.getByRole('button', { name: 'Cancel' }).click();
    page.assertClean();
  } finally {
    await browser.close();
    await s.stop();
  }
});
