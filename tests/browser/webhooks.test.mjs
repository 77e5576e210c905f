// Issue 19 in the console: the audit page shows names and readable actions
// (from the server: actor_name, target_name) and downloads the trail as a
// file; Settings > Webhooks creates an endpoint (its secret shown once),
// sends a test event that a receiver started here gets, signed, and shows
// the delivery.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, PASSWORD } from '../api/lib.mjs';
import { launch, newPage, signIn } from './lib.mjs';

test('audit page: names instead of ids, readable actions, Download CSV', { timeout: 120000 }, async () => {
  const s = await startServer();
  const browser = await launch();
  const dir = mkdtempSync(join(tmpdir(), 'gh-audit-'));
  try {
    const admin = await s.login();
    const u = await s.api('/v1/users', { method: 'POST', token: admin, body: { email: 'eve@acme.test', name: '=Eve Formula', role: 'user' } });
    assert.equal(u.status, 201);
    const g = await s.api('/v1/groups', { method: 'POST', token: admin, body: { name: 'Night shift' } });
    assert.equal(g.status, 201);
    const page = await newPage(browser);
    await signIn(page, s.url, 'admin@acme.test', PASSWORD);
    await page.goto(`${s.url}/console/audit`);
    const tbl = page.getByRole('table', { name: 'Audit events' });
    const created = tbl.getByRole('row').filter({ hasText: 'Created a user' }).filter({ hasText: '=Eve Formula' });
    await created.first().waitFor();
    assert.match(await created.first().innerText(), /Ada Admin/);
    const grp = tbl.getByRole('row').filter({ hasText: 'Created a group' });
    assert.match(await grp.first().innerText(), /Night shift/);
    const text = await tbl.innerText();
    assert.ok(!/usr_|grp_/.test(text), 'no raw ids in the table');
    assert.ok(!/user\.created|group\.created/.test(text), 'no raw action keys in the table');

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Download CSV' }).click(),
    ]);
    assert.equal(download.suggestedFilename(), 'audit.csv');
    const file = join(dir, 'audit.csv');
    await download.saveAs(file);
    const csv = readFileSync(file, 'utf8');
    assert.match(csv, /^"?id"?,"?at"?,/);
    assert.ok(csv.includes(`"${u.body.id}","'=Eve Formula"`), 'the name beside the id, neutralised');
    assert.ok(csv.includes('"Ada Admin"'));

    // The filter carries into the download.
    await page.getByLabel('Action').selectOption('group');
    const href = await page.getByRole('link', { name: 'Download CSV' }).getAttribute('href');
    assert.match(href, /action=group/);
    page.assertClean();
  } finally {
    await browser.close();
    await s.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('settings: a webhook is created, sends a test event and shows its delivery', { timeout: 120000 }, async () => {
  const got = [];
  const rx = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => { got.push({ headers: req.headers, body }); res.end('thanks'); });
  });
  await new Promise((res) => rx.listen(0, '127.0.0.1', res));
  const s = await startServer();
  const browser = await launch();
  try {
    const page = await newPage(browser);
    await signIn(page, s.url, 'admin@acme.test', PASSWORD);
    await page.goto(`${s.url}/console/settings`);
    const card = page.getByRole('region', { name: 'Webhooks' });
    await card.getByText('No webhooks yet.').waitFor();
    await card.getByRole('button', { name: 'New webhook' }).click();
    const dlg = page.getByRole('dialog', { name: 'New webhook' });
    // Plain http to another host is refused, with the server's reason on the field.
    await dlg.getByLabel('Endpoint URL').fill('http://example.com/hook');
    await dlg.getByRole('button', { name: 'Create webhook' }).click();
    await dlg.getByText(/use https/).waitFor();
    await dlg.getByLabel('Endpoint URL').fill(`http://127.0.0.1:${rx.address().port}/hook`);
    await dlg.getByLabel('Description').fill('ERP');
    await dlg.getByRole('button', { name: 'Create webhook' }).click();
    const sec = page.getByTestId('webhook-secret');
    const secret = await sec.innerText();
    assert.match(secret, /^whsec_/);
    await page.getByRole('dialog', { name: 'Copy the signing secret now' }).getByRole('button', { name: 'Done' }).click();
    const row = card.getByRole('row').filter({ hasText: 'ERP' });
    await row.getByText('All events').waitFor();

    await row.getByRole('button', { name: /Send a test event/ }).click();
    await page.getByText('Test event queued.').waitFor();
    for (let i = 0; got.length === 0; i++) {
      assert.ok(i < 400, 'the test event did not arrive');
      await new Promise((res) => setTimeout(res, 50));
    }
    const r = got[0];
    const key = Buffer.from(secret.slice(6), 'base64');
    const sig = createHmac('sha256', key).update(`${r.headers['webhook-id']}.${r.headers['webhook-timestamp']}.${r.body}`).digest('base64');
    assert.equal(r.headers['webhook-signature'], `v1,${sig}`);
    assert.equal(JSON.parse(r.body).type, 'webhook.test');

    await row.getByRole('button', { name: 'Deliveries' }).click();
    const log = page.getByRole('dialog', { name: /Deliveries/ });
    for (let i = 0; ; i++) {
      if (await log.getByText('Delivered').count()) break;
      assert.ok(i < 100, 'the delivery is not shown as delivered');
      await log.getByRole('button', { name: 'Refresh' }).click();
      await new Promise((res) => setTimeout(res, 100));
    }
    assert.match(await log.innerText(), /webhook\.test[\s\S]*HTTP 200/);
    page.assertClean();
  } finally {
    await browser.close();
    await s.stop();
    await new Promise((res) => rx.close(res));
  }
});
