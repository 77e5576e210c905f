// The organization's IP allowlist on the settings page: entries are checked
// (the offending one is named next to the box), the administrator cannot lock
// themselves out, the saved list comes back canonical, and clearing it
// allows any address again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, PASSWORD } from '../api/lib.mjs';
import { launch, newPage, signIn } from './lib.mjs';

test('settings: network access (IP allowlist)', async () => {
  const s = await startServer();
  const browser = await launch();
  try {
    const admin = await s.login();
    const page = await newPage(browser);
    await signIn(page, s.url, 'admin@acme.test', PASSWORD);
    await page.goto(`${s.url}/console/settings`);
    const net = page.getByRole('region', { name: 'Network access' });
    const box = net.getByLabel('Allowed networks');
    assert.equal(await box.inputValue(), '');
    const error = net.locator('.field[data-field=ip_allowlist] .error');

    // A malformed entry is named; nothing is saved.
    await box.fill('127.0.0.1\nintranet');
    await net.getByRole('button', { name: 'Save' }).click();
    await error.filter({ hasText: "'intranet' is not an IPv4 or IPv6 address or network" }).waitFor();
    assert.equal(await box.getAttribute('aria-invalid'), 'true');
    // A list without one's own address would lock one out.
    await box.fill('10.0.0.0/8');
    await net.getByRole('button', { name: 'Save' }).click();
    await error.filter({ hasText: 'your own address (127.0.0.1) is not in the list' }).waitFor();
    assert.deepEqual((await s.api('/v1/org', { token: admin })).body.settings.ip_allowlist, []);
    await page.screenshot({ path: `${import.meta.dirname}/screenshots/network-01-lockout.png` });

    await box.fill('  127.0.0.1  \n\n10.9.8.7/8\n2001:DB8::/32\n');
    await net.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Network access saved.').waitFor();
    assert.equal(await box.inputValue(), '127.0.0.1/32\n10.0.0.0/8\n2001:db8::/32', 'shown as stored');
    await page.reload();
    await net.waitFor();
    assert.equal(await box.inputValue(), '127.0.0.1/32\n10.0.0.0/8\n2001:db8::/32');
    assert.deepEqual((await s.api('/v1/org', { token: admin })).body.settings.ip_allowlist, ['127.0.0.1/32', '10.0.0.0/8', '2001:db8::/32']);

    await box.fill('');
    const [saved] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/v1/org') && r.request().method() === 'PATCH'),
      net.getByRole('button', { name: 'Save' }).click(),
    ]);
    assert.equal(saved.status(), 200);
    assert.deepEqual((await s.api('/v1/org', { token: admin })).body.settings.ip_allowlist, []);
    page.assertClean();
  } finally {
    await browser.close();
    await s.stop();
  }
});
