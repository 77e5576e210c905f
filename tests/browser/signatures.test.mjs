// Electronic signatures in the console: an administrator enables a person's
// e-signature on their page; the person signs a record in the signature
// dialog (a wrong password is shown on the password field and nothing is
// signed), the signature list shows name, meaning and time; the
// administrator sees the chain head.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, PASSWORD } from '../api/lib.mjs';
import { launch, newPage, signIn } from './lib.mjs';

test('console: enable e-signature, sign in the dialog, list, chain head', async () => {
  const s = await startServer();
  const browser = await launch();
  try {
    const admin = await s.login();
    const user = await s.makeUser(admin, 'sam@acme.test', 'user', 'Sam Signer');
    const a = await newPage(browser);
    await signIn(a, s.url, 'admin@acme.test', PASSWORD);
    await a.goto(`${s.url}/console/users/${user.id}`);
    const card = a.getByTestId('user-esignature');
    await card.getByText('not enabled').waitFor();
    await card.getByRole('button', { name: 'Enable e-signature' }).click();
    await card.getByText('enabled', { exact: true }).waitFor();
    assert.equal((await s.api(`/v1/users/${user.id}/esignature`, { token: admin })).body.enabled, true);
    await a.shot('esign-01-user');

    const p = await newPage(browser);
    await signIn(p, s.url, 'sam@acme.test', PASSWORD);
    await p.locator('nav#sidebar').getByRole('link', { name: 'Signatures' }).click();
    await p.getByRole('heading', { name: 'Electronic signatures' }).waitFor();
    await p.getByLabel('Record reference').fill('INS-7');
    await p.getByRole('button', { name: 'Sign this record' }).click();
    const dlg = p.getByRole('dialog', { name: 'Sign electronically' });
    await dlg.getByText('Sam Signer (sam@acme.test)').waitFor();
    await dlg.getByLabel('Meaning of this signature').selectOption('reviewed');
    await dlg.getByLabel('Your password').fill('not my password at all');
    await dlg.getByRole('button', { name: 'Sign' }).click();
    await dlg.getByText('the current password is not correct').waitFor();
    assert.equal((await s.api('/v1/signatures', { token: admin })).body.items.length, 0);
    await p.shot('esign-02-dialog-error');
    await dlg.getByLabel('Your password').fill(PASSWORD);
    await dlg.getByRole('button', { name: 'Sign' }).click();
    await dlg.waitFor({ state: 'detached' });
    const row = p.getByTestId('signature-row');
    await row.first().waitFor();
    assert.equal(await row.count(), 1);
    const text = await row.first().textContent();
    assert.match(text, /Sam Signer/);
    assert.match(text, /Reviewed/);
    assert.match(text, /inspection INS-7/);
    await p.shot('esign-03-list');
    const items = (await s.api('/v1/signatures?record_ref=INS-7', { token: admin })).body.items;
    assert.deepEqual(items.map((x) => [x.signer.id, x.meaning]), [[user.id, 'reviewed']]);
    // Not an administrator: no chain head.
    assert.equal(await p.getByTestId('signature-chain').count(), 0);

    await a.goto(`${s.url}/console/signatures?record_ref=INS-7`);
    const chain = a.getByTestId('signature-chain');
    await chain.getByText('Intact').waitFor();
    assert.match(await chain.textContent(), new RegExp(`1 ${items[0].hash}`));
    await a.getByTestId('signature-row').first().waitFor();
    await a.shot('esign-04-admin');
    a.assertClean();
    p.assertClean();
  } finally {
    await browser.close();
    await s.stop();
  }
});
