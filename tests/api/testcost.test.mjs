// --test-cost: argon2id at its minimum so the suite does not spend minutes
// hashing; refused without --test-clock (no production server runs with it),
// and the servers that do not ask for it hash at the real cost.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, PASSWORD, cli, startServer } from './lib.mjs';

const hashOf = (db, email) => spawnSync('sqlite3', [db, `SELECT password_hash FROM users WHERE email = '${email}'`],
  { encoding: 'utf8' }).stdout.trim();

test('--test-cost without --test-clock is refused, for serve and for init', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gh-cost-'));
  try {
    const db = join(dir, 'g.db');
    const serve = spawnSync(BIN, ['serve', '--db', db, '--listen', '127.0.0.1:0', '--test-cost'], { encoding: 'utf8', timeout: 60000 });
    assert.equal(serve.status, 2, serve.stderr);
    assert.match(serve.stderr, /--test-cost is for tests only and needs --test-clock/);
    const init = cli(db, ['init', '--org', 'acme', '--org-name', 'Acme', '--admin-email', 'a@acme.test', '--test-cost'],
      { GATEHOUSE_ADMIN_PASSWORD: PASSWORD });
    assert.equal(init.status, 2, init.stderr);
    assert.match(init.stderr, /needs --test-clock/);
    // Nothing was created by the refused init.
    assert.equal(cli(db, ['org', 'list']).stdout.includes('acme'), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('with --test-clock, --test-cost hashes at the minimum; without it, at the real cost', async () => {
  const cheap = await startServer();
  const real = await startServer({ realCost: true });
  try {
    for (const [s, want] of [[cheap, /^\$argon2id\$v=19\$m=8,t=1,/], [real, /^\$argon2id\$v=19\$m=65536,t=2,/]]) {
      assert.match(hashOf(s.db, 'admin@acme.test'), want, 'the administrator made by init');
      const admin = await s.login();
      await s.makeUser(admin, 'ola@acme.test', 'user');
      assert.match(hashOf(s.db, 'ola@acme.test'), want, 'a password set through the server');
    }
  } finally {
    await cheap.stop();
    await real.stop();
  }
});
