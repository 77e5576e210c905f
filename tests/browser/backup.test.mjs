// Settings > Backup (issue 21 item 6): the passphrase is asked twice (a
// mismatch is named and nothing is downloaded), then the encrypted backup of
// this organization downloads and `gatehouse org import` restores it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, startServer, PASSWORD } from '../api/lib.mjs';
import { launch, newPage, signIn } from './lib.mjs';

test('settings: Download backup asks the passphrase twice and downloads an importable file', { timeout: 120000 }, async () => {
  const s = await startServer();
  const browser = await launch();
  const dir = mkdtempSync(join(tmpdir(), 'gh-bk-'));
  try {
    const page = await newPage(browser);
    await signIn(page, s.url, 'admin@acme.test', PASSWORD);
    await page.goto(`${s.url}/console/settings`);
    const card = page.getByRole('region', { name: 'Backup' });
    let posts = 0;
    page.on('request', (r) => { if (r.url().endsWith('/v1/backup')) posts++; });
    await card.getByLabel('Backup passphrase').fill('pass phrase number one');
    await card.getByLabel('Repeat the passphrase').fill('pass phrase number two');
    await card.getByRole('button', { name: 'Download backup' }).click();
    await card.getByText('The two passphrases differ.').waitFor();
    assert.equal(posts, 0);
    // too short: the server's message is shown on the field
    await card.getByLabel('Backup passphrase').fill('short');
    await card.getByLabel('Repeat the passphrase').fill('short');
    await card.getByRole('button', { name: 'Download backup' }).click();
    await card.getByText(/A backup passphrase is 12 to 1024 characters/).waitFor();

    await card.getByLabel('Backup passphrase').fill('pass phrase number one');
    await card.getByLabel('Repeat the passphrase').fill('pass phrase number one');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      card.getByRole('button', { name: 'Download backup' }).click(),
    ]);
    assert.equal(download.suggestedFilename(), 'gatehouse-acme.ghbackup');
    const file = join(dir, 'b.ghbackup');
    await download.saveAs(file);
    await page.getByText('Backup downloaded.').waitFor();
    assert.equal(await card.getByLabel('Backup passphrase').inputValue(), '');
    assert.equal(readFileSync(file).subarray(0, 8).toString(), 'GHORGBAK');
    const pf = join(dir, 'pass');
    writeFileSync(pf, 'pass phrase number one\n');
    const r = spawnSync(BIN, ['org', 'import', '--db', join(dir, 'n.db'), '--from', file, '--passphrase-file', pf], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /imported organization acme/);
    page.assertClean();
  } finally {
    await browser.close();
    await s.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
