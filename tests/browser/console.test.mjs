// Scenario 1, in a real browser: an administrator signs in to the console,
// invites two people, one accepts through the mailed link, the administrator
// changes a role in the matrix and that user's tabs change, then locks a user
// who is then refused sign-in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, PASSWORD } from '../api/lib.mjs';
import { launch, newPage, signIn, navLabels } from './lib.mjs';

test('admin: invitations, role matrix changes a user\'s tabs, a locked user is refused', async () => {
  const s = await startServer();
  const browser = await launch();
  try {
    const adminToken = await s.login();

    // A wrong password is shown to the person, and nothing else happens.
    const admin = await newPage(browser);
    await admin.goto(`${s.url}/console/sign-in`);
    await admin.getByLabel('Email').fill('admin@acme.test');
    await admin.getByLabel('Password', { exact: true }).fill('not the password');
    await admin.getByRole('button', { name: 'Sign in' }).click();
    await admin.getByRole('alert').filter({ hasText: /password/i }).waitFor();
    await admin.shot('console-01-signin-error');

    await signIn(admin, s.url, 'admin@acme.test', PASSWORD);
    assert.deepEqual(await navLabels(admin),
      ['Users', 'Roles', 'Groups', 'Views & dashboards', 'Tasks', 'Agenda screens', 'Settings', 'Kiosk devices', 'API keys', 'Audit log', 'Signatures', 'My profile']);
    await admin.getByRole('heading', { name: 'Users', level: 1 }).waitFor();

    const bobPage = await newPage(browser);
    // "Invite others" (003): one email per line, one role; per-email results.
    await admin.getByRole('button', { name: 'Invite others' }).first().click();
    const inviteDlg = admin.getByRole('dialog', { name: 'Invite others' });
    await inviteDlg.getByLabel('Email addresses').fill('bob@acme.test\nnot-an-email\ncarl@acme.test\nadmin@acme.test');
    await inviteDlg.getByLabel('Role').selectOption({ label: 'User' });
    await inviteDlg.getByRole('button', { name: 'Send invitations' }).click();
    await inviteDlg.getByText(/2 of 4 invitations created. Mail is not configured/).waitFor();
    const results = inviteDlg.getByRole('region', { name: 'Invitation results' });
    assert.match(await results.getByRole('row', { name: /not-an-email/ }).textContent(), /Not invited/);
    assert.match(await results.getByRole('row', { name: /admin@acme\.test/ }).textContent(), /Not invited/);
    assert.match(await results.getByRole('row', { name: /carl@acme\.test/ }).textContent(), /Invited/);
    // Mail is not configured: each invitation's link is offered to copy (issue 15).
    const carlRow = results.getByRole('row', { name: /carl@acme\.test/ });
    assert.match(await carlRow.textContent(), /Mail is not configured: copy this link and send it to carl@acme\.test\./);
    assert.ok((await carlRow.textContent()).includes(`token=${s.lastToken('carl@acme.test', 'invite')}`), 'the link is shown');
    await carlRow.getByRole('button', { name: 'Copy the invitation link for carl@acme.test' }).waitFor();
    assert.doesNotMatch(await results.getByRole('row', { name: /admin@acme\.test/ }).textContent(), /token=/);
    // Only the addresses that failed stay in the box, to fix and send again.
    assert.equal(await inviteDlg.getByLabel('Email addresses').inputValue(), 'not-an-email\nadmin@acme.test');
    await admin.shot('console-02-invite-results');
    await inviteDlg.getByRole('button', { name: 'Close' }).click();
    await admin.getByRole('tab', { name: /Invitations/ }).click();
    const invTable = admin.getByRole('region', { name: 'Pending invitations' });
    await invTable.getByRole('row', { name: /carl@acme\.test/ }).waitFor();
    await invTable.getByRole('row', { name: /bob@acme\.test/ }).waitFor();
    await admin.shot('console-03-invitations');

    // Bob accepts through the mailed link and is signed in.
    await bobPage.goto(`${s.url}/console/accept-invite?token=${encodeURIComponent(s.lastToken('bob@acme.test', 'invite'))}`);
    await bobPage.getByRole('heading', { name: 'Join Acme Plant' }).waitFor();
    await bobPage.getByLabel('Your name').fill('Bob Builder');
    await bobPage.getByLabel('New password', { exact: true }).fill(PASSWORD);
    await bobPage.getByLabel('Repeat the new password').fill(PASSWORD);
    await bobPage.getByRole('button', { name: 'Create my account' }).click();
    await bobPage.locator('nav#sidebar').waitFor({ state: 'attached' });
    // The link works once.
    const again = await newPage(browser);
    await again.goto(`${s.url}/console/accept-invite?token=${encodeURIComponent(s.lastToken('bob@acme.test', 'invite'))}`);
    await again.getByText('This invitation was already accepted. Sign in instead.').waitFor();
    await again.context().close();
    // Bob's invitation leaves the table; Carl's stays.
    await admin.reload();
    await admin.getByRole('tab', { name: /Invitations/ }).click();
    await invTable.getByRole('row', { name: /carl@acme\.test/ }).waitFor();
    assert.equal(await invTable.getByRole('row', { name: /bob@acme\.test/ }).count(), 0);
    await admin.getByRole('tab', { name: /Users/ }).click();
    const bob = (await s.api('/v1/users?q=bob', { token: adminToken })).body.items[0];
    assert.equal(bob.name, 'Bob Builder');
    await admin.getByRole('link', { name: 'Bob Builder' }).waitFor();
    await admin.shot('console-04-users');

    // Bob, a plain user, sees no Users tab.
    assert.deepEqual(await navLabels(bobPage), ['Views & dashboards', 'Signatures', 'My profile']);
    await bobPage.goto(`${s.url}/console/profile`);
    const tabs = bobPage.getByTestId('my-tabs');
    await tabs.waitFor();
    assert.doesNotMatch(await tabs.textContent(), /Users/);

    // The administrator opens Bob's page; the explanation says why the Users tab is hidden.
    await admin.getByRole('link', { name: 'Bob Builder' }).click();
    await admin.getByRole('heading', { name: 'Bob Builder', level: 1 }).waitFor();
    await admin.getByLabel(/Why can or can't Bob Builder/).selectOption({ label: 'see the Users tab (hidden)' });
    const why = admin.getByTestId('why-answer');
    assert.match(await why.textContent(), /^No\. The Users tab shows only to people with “View user management page” or “Manage users”; the role User/);
    await admin.shot('console-05-user-explained');

    // Roles matrix: give the User role "View user management page".
    await admin.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Roles' }).click();
    const box = admin.getByRole('checkbox', { name: 'View user management page: User' });
    assert.equal(await box.isChecked(), false);
    await box.check();
    await admin.locator('#matrix-status').filter({ hasText: 'Saved: User now includes “View user management page”' }).waitFor();
    await admin.shot('console-06-roles-matrix');
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
    assert.deepEqual(await navLabels(bobPage), ['Users', 'Roles', 'Views & dashboards', 'Tasks', 'Audit log', 'Signatures', 'My profile']);
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
    await admin.shot('console-07-lock-confirm');
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
    await bobPage.shot('console-08-locked-refused');
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
    await page.shot('console-09-self-delete-refused');
    await dlg.getByRole('button', { name: 'Cancel' }).click();
    await dlg.waitFor({ state: 'detached' });

    // Changing one's own email asks for the current password (a stolen session cannot move the account).
    await page.getByRole('textbox', { name: 'Email' }).fill('ada2@acme.test');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.locator('.field[data-field=current_password] .error', { hasText: 'current password' }).waitFor();
    assert.equal((await s.api('/v1/me', { token: adminToken })).body.email, 'admin@acme.test');
    await page.getByLabel('Current password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('Changes saved.').waitFor();
    assert.equal((await s.api('/v1/me', { token: adminToken })).body.email, 'ada2@acme.test');
    page.assertClean();
  } finally {
    await browser.close();
    await s.stop();
  }
});
