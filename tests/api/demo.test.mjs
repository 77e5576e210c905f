// `gatehouse serve --demo`: a demo plant in a throw-away database, with
// printed sign-in instructions that work, removed when the server stops.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { startServer, assertProblem } from './lib.mjs';

const DEMO_PASSWORD = 'demo-plant-password';

test('serve --demo loads a plant, prints how to sign in, and cleans up', async () => {
  const s = await startServer({ init: false, args: ['--demo'] });
  let dir;
  try {
    const out = s.log();
    dir = out.match(/throw-away database in (\S+),/)?.[1];
    assert.ok(dir && existsSync(dir), `the demo names its folder:\n${out}`);
    assert.ok(!dir.startsWith(s.dir), '--db is ignored');
    assert.match(out, /Console {2}http:\/\/127\.0\.0\.1:\d+\/console\//);
    assert.match(out, new RegExp(`password: ${DEMO_PASSWORD}`));

    // Every printed office account signs in with the printed password, except the locked one.
    const emails = [...out.matchAll(/^ {4}(\S+@riverside\.example)\s+(\S+)/gm)].map((m) => ({ email: m[1], role: m[2] }));
    assert.ok(emails.length >= 6, out);
    const roles = new Set(emails.map((e) => e.role));
    assert.ok(roles.size >= 5, 'office users of several roles');
    for (const { email } of emails) {
      const r = await s.api('/v1/auth/login', { method: 'POST', body: { email, password: DEMO_PASSWORD } });
      if (email.startsWith('lars@')) assertProblem(r, 403, 'account_locked');
      else assert.equal(r.status, 200, `${email}: ${JSON.stringify(r.body)}`);
    }

    const admin = (await s.api('/v1/auth/login', { method: 'POST', body: { email: 'ada@riverside.example', password: DEMO_PASSWORD } })).body.token;
    const org = await s.api('/v1/org', { token: admin });
    assert.equal(org.body.slug, 'riverside');
    assert.equal(org.body.settings.single_task_checkin, true);
    const rl = await s.api('/v1/roles', { token: admin });
    assert.ok(rl.body.items.some((r) => r.key === 'display' && r.device), 'a shared display role');
    assert.ok(rl.body.items.some((r) => !r.from_template), 'custom roles');

    // Quinn has only some modules, so the explanation has something to say.
    const users = await s.api('/v1/users', { token: admin, query: undefined });
    const quinn = users.body.items.find((u) => u.email === 'quinn@riverside.example');
    assert.deepEqual(quinn.modules.sort(), ['gages', 'qc', 'qms']);
    const ex = await s.api(`/v1/users/${quinn.id}/permissions?explain=1`, { token: admin });
    assert.equal(ex.body.tabs.find((t) => t.key === 'orders').reason, 'module_disabled_for_user');

    // The printed API key works.
    const key = out.match(/API key {2}(ghk_\S+)/)[1];
    assert.equal((await s.api('/v1/users', { token: key })).status, 200);

    // The display account can read but not change anything.
    const display = (await s.api('/v1/auth/login', { method: 'POST', body: { email: 'display-line1@riverside.example', password: DEMO_PASSWORD } })).body.token;
    assertProblem(await s.api('/v1/me', { method: 'PATCH', token: display, body: { name: 'x' } }), 403, 'device_read_only');
  } finally {
    await s.stop();
  }
  assert.ok(!existsSync(dir), 'the demo database is deleted when the server stops');
});
