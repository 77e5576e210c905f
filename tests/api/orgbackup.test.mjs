// Issue 21 item 6: the encrypted backup of one organization. POST /v1/backup
// (it.operations) streams org A only; `gatehouse org import` restores it into
// an empty database (then served, and an exported user signs in with their
// password) or as a new org; a wrong passphrase, a changed byte, a taken slug
// and a colliding id are refused with nothing written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, PASSWORD, assertProblem, freePort, startServer } from './lib.mjs';

const PASS = 'a long backup passphrase';
const gh = (args) => spawnSync(BIN, args, { encoding: 'utf8', timeout: 120000 });

async function exportOrg(s, token, passphrase = PASS) {
  const r = await fetch(`${s.url}/v1/backup`, {
    method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ passphrase }),
  });
  const buf = Buffer.from(await r.arrayBuffer());
  return { status: r.status, buf, headers: r.headers };
}

function importInto(dir, db, file, passphrase = PASS, extra = []) {
  const pf = join(dir, `pass-${Math.random().toString(36).slice(2)}`);
  writeFileSync(pf, `${passphrase}\n`, { mode: 0o600 });
  return gh(['org', 'import', '--db', db, '--from', file, '--passphrase-file', pf, ...extra]);
}

/** Every table's rows of a database, through the sqlite3 CLI when present, else via `org list`. */
function orgList(db) {
  const r = gh(['org', 'list', '--db', db]);
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim().split('\n').filter(Boolean).map((l) => l.split('\t')[0]);
}

test('org backup: exports org A only, round trip into an empty server where an exported user signs in', { timeout: 180000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gh-orgbk-'));
  const s = await startServer();
  let p = null;
  try {
    const admin = await s.login();
    const worker = await s.makeUser(admin, 'worker@acme.test', 'user', 'Walter Worker');
    const g = await s.api('/v1/groups', { method: 'POST', token: admin, body: { name: 'Night shift' } });
    assert.equal(g.status, 201, JSON.stringify(g.body));
    // shop floor, views and invitations too (parents load before children)
    const t = await s.api('/v1/tasks', { method: 'POST', token: admin, body: { ref: 'OP-1', title: 'Cut' } });
    assert.equal(t.status, 201, JSON.stringify(t.body));
    const sc = await s.api('/v1/screens', { method: 'POST', token: admin, body: { name: 'Bay 1' } });
    assert.equal(sc.status, 201, JSON.stringify(sc.body));
    for (const path of [`/v1/tasks/${t.body.id}/assignees/${worker.id}`, `/v1/screens/${sc.body.id}/tasks/${t.body.id}`,
      `/v1/screens/${sc.body.id}/members/${worker.id}`])
      assert.equal((await s.api(path, { method: 'PUT', token: admin })).status, 204, path);
    assert.equal((await s.api('/v1/views', { method: 'POST', token: admin,
      body: { name: 'OEE board', kind: 'dashboard', config: { widgets: [{ type: 'oee', machine: 'M1' }] } } })).status, 201);
    assert.equal((await s.api('/v1/invites', { method: 'POST', token: admin, body: { emails: ['newcomer@acme.test'], role: 'user' } })).status, 200);
    const betaAdmin = await s.otherOrg('beta');
    const bu = await s.api('/v1/users', { method: 'POST', token: betaAdmin,
      body: { email: 'secret-beta-person@beta.test', name: 'Bertha Beta', role: 'user' } });
    assert.equal(bu.status, 201, JSON.stringify(bu.body));
    await s.api('/v1/groups', { method: 'POST', token: betaAdmin, body: { name: 'Beta only group' } });

    const e = await exportOrg(s, admin);
    assert.equal(e.status, 200, e.buf.toString());
    assert.equal(e.headers.get('content-type'), 'application/octet-stream');
    assert.match(e.headers.get('content-disposition'), /attachment; filename="gatehouse-acme\.ghbackup"/);
    assert.equal(e.buf.subarray(0, 8).toString(), 'GHORGBAK');
    // encrypted: no plaintext of org A in the file
    assert.ok(!e.buf.includes('worker@acme.test'));
    const file = join(dir, 'acme.ghbackup');
    writeFileSync(file, e.buf);
    // audited
    const audit = await s.api('/v1/audit?action=org.backup_exported', { token: admin });
    assert.equal(audit.status, 200);
    assert.ok(JSON.stringify(audit.body).includes('org.backup_exported'));

    // decrypt into a fresh database with the CLI, then compare
    const fresh = join(dir, 'fresh', 'g.db');
    const r = importInto(dir, fresh, file);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /imported organization acme \(.+\): 2 users, \d+ roles, 1 groups, \d+ audit events/);
    assert.deepEqual(orgList(fresh), ['acme']);
    const dump = spawnSync('sqlite3', [fresh, '.dump'], { encoding: 'utf8' });
    if (dump.status === 0) {
      assert.ok(!dump.stdout.includes('beta.test'), 'no row of beta');
      assert.ok(!dump.stdout.includes('Bertha'));
      assert.ok(!dump.stdout.includes('Beta only group'));
      assert.ok(!dump.stdout.includes('secret-beta-person'));
      for (const x of ['Night shift', 'OP-1', 'Bay 1', 'OEE board', 'newcomer@acme.test'])
        assert.ok(dump.stdout.includes(x), x);
      for (const x of ['INSERT INTO sessions', 'INSERT INTO tokens', 'INSERT INTO outbox'])
        assert.ok(!dump.stdout.includes(x), `not exported: ${x}`);
    }

    // serve the imported database and sign in as the exported user with their password
    const port = await freePort();
    p = spawn(BIN, ['serve', '--db', fresh, '--listen', `127.0.0.1:${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stderr.on('data', (d) => { out += d; });
    const exited = new Promise((res) => p.on('exit', (code) => res(code)));
    for (let i = 0; ; i++) {
      try { if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) break; } catch { /* not yet */ }
      assert.ok(i < 400 && p.exitCode === null, `did not start: ${out}`);
      await new Promise((res) => setTimeout(res, 50));
    }
    const login = await fetch(`http://127.0.0.1:${port}/v1/auth/login`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ email: 'worker@acme.test', password: PASSWORD }),
    });
    const lt = await login.text();
    assert.equal(login.status, 200, lt);
    const me = await fetch(`http://127.0.0.1:${port}/v1/me`, { headers: { Authorization: `Bearer ${JSON.parse(lt).token}` } });
    const mj = await me.json();
    assert.equal(mj.id ?? mj.user?.id, worker.id);
    const bl = await fetch(`http://127.0.0.1:${port}/v1/auth/login`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ email: 'secret-beta-person@beta.test', password: PASSWORD }),
    });
    assert.notEqual(bl.status, 200);
    p.kill('SIGTERM');
    assert.equal(await exited, 0, out);
    assert.doesNotMatch(out, /ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:/);

    // into the same server again: the slug is taken, then the ids collide; nothing written
    const again = importInto(dir, s.db, file);
    assert.equal(again.status, 1);
    assert.match(again.stderr, /import refused, nothing written: .*slug acme exists already.*--as-slug/);
    const renamed = importInto(dir, s.db, file, PASS, ['--as-slug', 'acme2']);
    assert.equal(renamed.status, 1);
    assert.match(renamed.stderr, /import refused, nothing written: organization id \S+ exists already/);
    assert.deepEqual(orgList(s.db).sort(), ['acme', 'beta']);
    // a fresh database takes it under a new slug
    const other = join(dir, 'other.db');
    const o = importInto(dir, other, file, PASS, ['--as-slug', 'acme-copy']);
    assert.equal(o.status, 0, o.stderr);
    assert.deepEqual(orgList(other), ['acme-copy']);
  } finally {
    if (p && p.exitCode === null) p.kill('SIGKILL');
    await s.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('org backup: wrong passphrase and a changed byte are refused, nothing written', { timeout: 180000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gh-orgbk-'));
  const s = await startServer();
  try {
    const admin = await s.login();
    const e = await exportOrg(s, admin);
    assert.equal(e.status, 200);
    const file = join(dir, 'acme.ghbackup');
    writeFileSync(file, e.buf);

    const wrong = importInto(dir, join(dir, 'w.db'), file, 'not the passphrase at all');
    assert.equal(wrong.status, 1);
    assert.match(wrong.stderr, /import refused, nothing written: wrong passphrase, or the file is damaged/);
    assert.deepEqual(orgList(join(dir, 'w.db')), []);

    for (const at of [40, e.buf.length - 5, Math.floor(e.buf.length / 2)]) {
      const t = Buffer.from(e.buf);
      t[at] ^= 0x01;
      const tf = join(dir, `t${at}.ghbackup`);
      writeFileSync(tf, t);
      const db = join(dir, `t${at}.db`);
      const r = importInto(dir, db, tf);
      assert.equal(r.status, 1, `byte ${at}: ${r.stdout}`);
      assert.match(r.stderr, /import refused, nothing written/);
      assert.deepEqual(orgList(db), [], `byte ${at}`);
    }
    // truncated (the final chunk missing) and trailing bytes
    const cut = join(dir, 'cut.ghbackup');
    writeFileSync(cut, e.buf.subarray(0, e.buf.length - 20));
    assert.match(importInto(dir, join(dir, 'c.db'), cut).stderr, /import refused/);
    const tail = join(dir, 'tail.ghbackup');
    writeFileSync(tail, Buffer.concat([e.buf, Buffer.from('x')]));
    assert.match(importInto(dir, join(dir, 'x.db'), tail).stderr, /import refused.*after its final chunk/);
    // the untouched file still imports
    assert.equal(importInto(dir, join(dir, 'ok.db'), file).status, 0);
    // usage
    const u = gh(['org', 'import', '--db', join(dir, 'u.db'), '--from', file]);
    assert.equal(u.status, 2);
    assert.match(u.stderr, /--passphrase-file/);
  } finally {
    await s.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('POST /v1/backup: it.operations only, passphrase required and long enough', async () => {
  const s = await startServer();
  try {
    const admin = await s.login();
    const user = await s.makeUser(admin, 'plain@acme.test', 'user');
    const denied = await s.api('/v1/backup', { method: 'POST', token: user.token, body: { passphrase: PASS } });
    assertProblem(denied, 403, 'permission_denied');
    assert.equal((await s.api('/v1/backup', { method: 'POST', body: { passphrase: PASS } })).status, 401);
    assertProblem(await s.api('/v1/backup', { method: 'POST', token: admin, body: { passphrase: 'short' } }), 400,
      'weak_passphrase', 'passphrase');
    assert.equal((await s.api('/v1/backup', { method: 'POST', token: admin, body: {} })).status, 400);
    assert.equal((await s.api('/v1/backup', { method: 'POST', token: admin, body: { passphrase: PASS, x: 1 } })).status, 400);
    // refused exports are not audited
    const audit = await s.api('/v1/audit?action=org.backup_exported', { token: admin });
    assert.ok(!JSON.stringify(audit.body).includes('org.backup_exported'));
  } finally {
    await s.stop();
  }
});

test('org import: a role permission this server\'s catalog lacks is refused, nothing written', { timeout: 120000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gh-orgbk-'));
  const s = await startServer();
  try {
    const admin = await s.login();
    const roles = (await s.api('/v1/roles', { token: admin })).body;
    const held = new Set((roles.items || roles).flatMap((r) => r.permissions || []));
    const cat = JSON.parse(readFileSync(new URL('../../catalog/default.json', import.meta.url), 'utf8'));
    // a permission a role holds that the server itself does not check (removable from a valid catalog)
    const serverChecked = new Set(['it.operations', 'users.manage', 'users.view', 'tasks.assign', 'settings.manage']);
    const gone = cat.permissions.map((p) => p.key).find((k) => held.has(k) && !serverChecked.has(k));
    assert.ok(gone, 'a removable permission');
    const strip = (v) => (Array.isArray(v) ? v.filter((x) => x !== gone && !(x && x.key === gone)).map(strip)
      : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, strip(x)])) : v);
    const catFile = join(dir, 'lacking.json');
    writeFileSync(catFile, JSON.stringify(strip(cat)));
    const e = await exportOrg(s, admin);
    assert.equal(e.status, 200);
    const file = join(dir, 'b.ghbackup');
    writeFileSync(file, e.buf);
    const db = join(dir, 'n.db');
    const r = importInto(dir, db, file, PASS, ['--catalog', catFile]);
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stderr, new RegExp(`import refused, nothing written: .*${gone.replace('.', '\\.')}`));
    assert.deepEqual(orgList(db), []);
  } finally {
    await s.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
