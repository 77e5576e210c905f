// `gatehouse sso show|set|delete|test` (issue 16): the operator configures an
// organization's company sign-in from the command line, with the same checks
// and audit as GET/PUT/DELETE /v1/org/sso and POST /v1/org/sso/test. The
// client secret is sealed with the server's secret box key (a sign-in through
// the IdP works with it) and never printed; bad input changes nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, startServer } from './lib.mjs';
import { CLIENT_ID, CLIENT_SECRET, realOp, signInVia } from './ssolib.mjs';

const SANITIZER = /ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:/;

/** The CLI run without blocking this process (the IdP answering it lives here). */
function ghAsync(db, args, input) {
  return new Promise((resolve, reject) => {
    const p = spawn(BIN, [...args, '--db', db], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    p.stdout.on('data', (d) => { stdout += d; });
    p.stderr.on('data', (d) => { stderr += d; });
    p.on('error', reject);
    p.on('close', (status) => {
      assert.doesNotMatch(stderr, SANITIZER, stderr);
      resolve({ status, stdout, stderr });
    });
    p.stdin.end(input || '');
  });
}

test('gatehouse sso: show, set (file or stdin), test, delete; audited; secret never printed', async () => {
  const s = await startServer();
  const op = await realOp(s.url, { 'sub-worker': { email: 'worker@acme.test', email_verified: true, name: 'Walt' } });
  try {
    const admin = await s.login();
    const worker = await s.makeUser(admin, 'worker@acme.test', 'user');
    const sso = (args, input) => ghAsync(s.db, ['sso', ...args], input);
    const cfg = { protocol: 'oidc', display_name: 'Acme OP', issuer: op.issuer, client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET, domains: ['acme.test'] };

    // Nothing configured yet.
    const none = await sso(['show', '--org', 'acme']);
    assert.equal(none.status, 1, none.stderr);
    assert.match(none.stderr, /sso_not_configured/);
    // Bad questions: exit 2 (usage) or 1 (refused), and nothing is stored.
    assert.equal((await sso(['frobnicate', '--org', 'acme'])).status, 2);
    assert.equal((await sso(['show'])).status, 2, 'needs --org');
    assert.equal((await sso(['show', 'extra', '--org', 'acme'])).status, 2);
    const noOrg = await sso(['show', '--org', 'nope']);
    assert.equal(noOrg.status, 1);
    assert.match(noOrg.stderr, /org_not_found|not_found/);
    const notJson = await sso(['set', '--org', 'acme'], '{"protocol": ');
    assert.equal(notJson.status, 1);
    assert.match(notJson.stderr, /standard input is not JSON/);
    const notObject = await sso(['set', '--org', 'acme'], '[1]');
    assert.equal(notObject.status, 1);
    assert.match(notObject.stderr, /JSON object/);
    const unknown = await sso(['set', '--org', 'acme'], JSON.stringify({ ...cfg, colour: 'red' }));
    assert.equal(unknown.status, 1);
    assert.match(unknown.stderr, /unknown_field/);
    assert.match(unknown.stderr, /colour/);
    const badJit = await sso(['set', '--org', 'acme'], JSON.stringify({ ...cfg, jit: { enabled: 'yes' } }));
    assert.equal(badJit.status, 1);
    assert.match(badJit.stderr, /jit\.enabled/);
    const badDomain = await sso(['set', '--org', 'acme'], JSON.stringify({ ...cfg, domains: ['ACME.test'] }));
    assert.equal(badDomain.status, 1);
    assert.match(badDomain.stderr, /invalid_domain/);
    const badRole = await sso(['set', '--org', 'acme'], JSON.stringify({ ...cfg, jit: { enabled: true, default_role: 'nope', domains: ['acme.test'] } }));
    assert.equal(badRole.status, 1);
    assert.match(badRole.stderr, /unknown_role/);
    // Never a new key: a secret sealed under it would not open on the server.
    const noKey = await sso(['set', '--org', 'acme', '--secret-key-file', join(s.dir, 'other.key')], JSON.stringify(cfg));
    assert.equal(noKey.status, 1);
    assert.match(noKey.stderr, /secret key file .*other\.key does not exist/);
    assert.ok(!existsSync(join(s.dir, 'other.key')), 'no key file is made');
    const missingFile = await sso(['set', join(s.dir, 'missing.json'), '--org', 'acme']);
    assert.equal(missingFile.status, 1);
    assert.match(missingFile.stderr, /cannot read/);
    assert.equal((await s.api('/v1/org/sso', { token: admin })).status, 404, 'nothing of the refused writes stays');
    assert.equal((await s.api('/v1/audit?action=sso.configured', { token: admin })).body.items.length, 0);

    // Set from standard input: the configuration as the API shows it, no secret.
    const set = await sso(['set', '-', '--org', 'acme'], JSON.stringify(cfg));
    assert.equal(set.status, 0, set.stderr);
    assert.ok(!set.stdout.includes(CLIENT_SECRET), 'the secret is never printed');
    const shown = JSON.parse(set.stdout);
    assert.equal(shown.client_secret_set, true);
    assert.equal(shown.display_name, 'Acme OP');
    assert.deepEqual(shown.domains, ['acme.test']);
    const viaApi = await s.api('/v1/org/sso', { token: admin });
    assert.equal(viaApi.status, 200);
    assert.equal(viaApi.body.issuer, op.issuer);
    const audit = (await s.api('/v1/audit?action=sso.configured', { token: admin })).body.items;
    assert.equal(audit.length, 1);
    assert.equal(audit[0].actor_type, 'system');
    assert.equal(audit[0].detail.secret_changed, true);
    assert.ok(!JSON.stringify(audit).includes(CLIENT_SECRET));

    // show prints the same, again without the secret.
    const show = await sso(['show', '--org', 'acme']);
    assert.equal(show.status, 0, show.stderr);
    assert.ok(!show.stdout.includes(CLIENT_SECRET));
    assert.equal(JSON.parse(show.stdout).client_secret_set, true);

    // test calls the IdP: discovery and keys.
    const t = await sso(['test', '--org', 'acme']);
    assert.equal(t.status, 0, t.stdout + t.stderr);
    const tr = JSON.parse(t.stdout);
    assert.equal(tr.ok, true, t.stdout);
    assert.ok(tr.checks.length > 1);
    assert.equal((await s.api('/v1/audit?action=sso.tested', { token: admin })).body.items.length, 1);

    // The secret sealed by the CLI is the one the server sends: sign-in works.
    const signed = await signInVia(s.url, 'acme', 'sub-worker');
    assert.equal(signed.status, 200, JSON.stringify(signed.body));
    assert.equal(signed.body.user.id, worker.id);

    // Set from a file, without the secret (same issuer: the sealed one stays).
    const file = join(s.dir, 'sso.json');
    writeFileSync(file, JSON.stringify({ ...cfg, client_secret: undefined, display_name: 'Acme SSO' }));
    const upd = await sso(['set', file, '--org', 'acme']);
    assert.equal(upd.status, 0, upd.stderr);
    assert.equal(JSON.parse(upd.stdout).display_name, 'Acme SSO');
    const updAudit = (await s.api('/v1/audit?action=sso.updated', { token: admin })).body.items;
    assert.equal(updAudit.length, 1);
    assert.equal(updAudit[0].detail.secret_changed, false);

    // A test that fails answers ok false, exit 5, and records the error.
    op.close();
    const failed = await sso(['test', '--org', 'acme']);
    assert.equal(failed.status, 5, failed.stdout + failed.stderr);
    assert.equal(JSON.parse(failed.stdout).ok, false);
    assert.ok((await s.api('/v1/org/sso', { token: admin })).body.last_error);

    // delete removes it, audited; a second delete says there is none.
    const del = await sso(['delete', '--org', 'acme']);
    assert.equal(del.status, 0, del.stderr);
    assert.match(del.stdout, /company sign-in of acme removed/);
    assert.equal((await s.api('/v1/org/sso', { token: admin })).status, 404);
    assert.equal((await s.api('/v1/audit?action=sso.removed', { token: admin })).body.items.length, 1);
    const again = await sso(['delete', '--org', 'acme']);
    assert.equal(again.status, 1);
    assert.match(again.stderr, /sso_not_configured/);
  } finally {
    op.close();
    await s.stop();
  }
});
