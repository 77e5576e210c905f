// Operations (issue 21): the command line (help for every command listing
// every option of the parser's table, unknown options named, --version, the
// README's command list), the configuration file and environment with their
// precedence, file modes, a port already in use, a missing database, HEAD,
// and whole-database backup and restore (with a drill under write load).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { BIN, PASSWORD, cli, freePort, startServer } from './lib.mjs';

const SANITIZER = /ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:/;
const gh = (args, opts = {}) => spawnSync(BIN, args, { encoding: 'utf8', timeout: 60000, ...opts });
const tmp = () => mkdtempSync(join(tmpdir(), 'gh-ops-'));

/** The parser's table: [{cmd, flag, env, key}]. */
function optionTable() {
  const r = gh(['options']);
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim().split('\n').map((l) => { const [cmd, flag, env, key] = l.split('\t'); return { cmd, flag, env, key }; });
}

function commands() {
  const r = gh(['help']);
  assert.equal(r.status, 0, r.stderr);
  return [...r.stdout.matchAll(/^gatehouse ([a-z-]+)/gm)].map((m) => m[1]);
}

test('CLI: every command has --help listing every option it accepts, and help COMMAND says the same', () => {
  const cmds = commands();
  for (const c of ['serve', 'init', 'org', 'outbox', 'check', 'backup', 'restore', 'routes', 'options', 'version', 'help'])
    assert.ok(cmds.includes(c), `gatehouse help lists ${c}`);
  const table = optionTable();
  assert.ok(table.length > 20);
  for (const c of cmds) {
    const h = gh([c, '--help']);
    assert.equal(h.status, 0, `${c} --help: ${h.stderr}`);
    assert.equal(h.stderr, '');
    assert.match(h.stdout, new RegExp(`^usage: gatehouse ${c}`));
    for (const o of table.filter((t) => t.cmd === c)) {
      assert.match(h.stdout, new RegExp(`^  ${o.flag}\\b`, 'm'), `${c} --help lists ${o.flag}`);
      assert.ok(h.stdout.includes(o.env), `${c} --help names ${o.env}`);
    }
    // Options of other commands are not listed as this command's.
    const listed = [...h.stdout.matchAll(/^  (--[a-z-]+)/gm)].map((m) => m[1]).filter((f) => f !== '--help');
    assert.deepEqual(listed.sort(), table.filter((t) => t.cmd === c).map((t) => t.flag).sort(), c);
    assert.equal(gh(['help', c]).stdout, h.stdout, `help ${c} is ${c} --help`);
    assert.equal(gh([c, '-h']).stdout, h.stdout);
  }
  for (const a of [['--help'], ['help'], ['-h']]) {
    const r = gh(a);
    assert.equal(r.status, 0, a.join(' '));
    assert.match(r.stdout, /^usage: gatehouse COMMAND/);
  }
  assert.match(gh(['--version']).stdout, /^gatehouse \d+\.\d+\.\d+\n$/);
  assert.equal(gh(['--version']).status, 0);
});

test('CLI: unknown options, commands and values exit 2 naming them; nothing is created', () => {
  const dir = tmp();
  try {
    const db = join(dir, 'x.db');
    const cases = [
      [['serve', '--db', db, '--nope'], /unknown option --nope/],
      [['backup', '--db', db, '--listen', 'x'], /unknown option --listen/], // another command's option
      [['init', '--db', db, '--org'], /value is missing for option --org/],
      [['serve', '--db', db, '--threads', '0'], /--threads takes a number from 1 to 256/],
      [['frobnicate'], /unknown command 'frobnicate'/],
      [['help', 'frobnicate'], /unknown command 'frobnicate'/],
      [['outbox', '--db', db, 'extra'], /unexpected argument 'extra'/],
    ];
    for (const [args, msg] of cases) {
      const r = gh(args);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, msg, args.join(' '));
    }
    assert.ok(!existsSync(db));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the README lists exactly the commands of gatehouse help', () => {
  const readme = readFileSync(resolve(import.meta.dirname, '../../README.md'), 'utf8');
  const section = readme.split(/^## CLI$/m)[1].split(/^## /m)[0];
  const inReadme = new Set([...section.matchAll(/^gatehouse ([a-z-]+)/gm)].map((m) => m[1]));
  assert.deepEqual([...inReadme].sort(), commands().sort());
});

test('configuration file: every option is a key; flag > environment > file; unknown keys name the line', async () => {
  const dir = tmp();
  try {
    const db = join(dir, 'g.db');
    const pwFile = join(dir, 'pw');
    writeFileSync(pwFile, `${PASSWORD}\n`);
    const conf = join(dir, 'gatehouse.conf');
    // init from a file alone, the password from a *_FILE secret.
    writeFileSync(conf, `# gatehouse\ndb = ${db}\norg = acme\norg_name = "Acme Plant"\nadmin-email = admin@acme.test\n` +
      `admin-password-file = ${pwFile}\n\n# serve\nlisten = 127.0.0.1:1\nquiet = yes\n`);
    const env = { ...process.env };
    for (const k of Object.keys(env)) if (k.startsWith('GATEHOUSE_') && k !== 'GATEHOUSE_BIN') delete env[k];
    const init = gh(['init', '--config', conf], { env });
    assert.equal(init.status, 0, init.stderr);
    assert.match(init.stdout, /created organization acme/);
    // the environment's db wins over the file's, the flag over the environment's
    const other = join(dir, 'other.db');
    const viaEnv = gh(['org', 'list', '--config', conf], { env: { ...env, GATEHOUSE_DB: other } });
    assert.equal(viaEnv.status, 1);
    assert.match(viaEnv.stderr, /other\.db does not exist/);
    const viaFlag = gh(['org', 'list', '--config', conf, '--db', db], { env: { ...env, GATEHOUSE_DB: other } });
    assert.equal(viaFlag.status, 0, viaFlag.stderr);
    assert.match(viaFlag.stdout, /^acme\t/);
    // serve reads the file too; the flag's port beats the file's port 1
    const port = await freePort();
    const p = spawn(BIN, ['serve', '--config', conf, '--listen', `127.0.0.1:${port}`], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stderr.on('data', (d) => { out += d; });
    const exited = new Promise((r) => p.on('exit', (code) => r(code)));
    for (let i = 0; ; i++) {
      try { if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) break; } catch { /* not yet */ }
      assert.ok(i < 400 && p.exitCode === null, `did not start: ${out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    p.kill('SIGTERM');
    assert.equal(await exited, 0, out);
    assert.doesNotMatch(out, /"msg":"listening"/, 'quiet = yes from the file');
    assert.doesNotMatch(out, SANITIZER);
    // errors name FILE:LINE
    const bad = [
      ['db = x\nlisten = 1:2\nlisen = 127.0.0.1:9\n', /gatehouse\.conf:3: unknown key 'lisen'/],
      ['just words\n', /gatehouse\.conf:1: expected key = value/],
      [`db = ${db}\nthreads = many\n`, /gatehouse\.conf:2: threads takes a number from 1 to 256/],
      [`db = ${db}\nquiet = perhaps\n`, /gatehouse\.conf:2: quiet takes 1\/0/],
      ['config = /etc/x\n', /gatehouse\.conf:1: unknown key 'config'/],
    ];
    for (const [text, msg] of bad) {
      writeFileSync(conf, text);
      const r = gh(['serve', '--config', conf], { env });
      assert.equal(r.status, 2, `${text}: ${r.stderr}`);
      assert.match(r.stderr, msg);
    }
    const missing = gh(['serve', '--config', join(dir, 'none.conf')], { env });
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /cannot read the configuration file .*none\.conf/);
    // GATEHOUSE_CONFIG names the file too
    writeFileSync(conf, `db = ${db}\n`);
    assert.equal(gh(['org', 'list'], { env: { ...env, GATEHOUSE_CONFIG: conf } }).status, 0);
    // a secret file that cannot be read stops init
    const nopw = gh(['init', '--db', join(dir, 'n.db'), '--org', 'nn', '--org-name', 'N', '--admin-email', 'a@nn.test',
      '--admin-password-file', join(dir, 'nothing')], { env });
    assert.equal(nopw.status, 1);
    assert.match(nopw.stderr, /cannot read .*nothing/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('files: database, WAL and backups are 0600, created folders 0700', async () => {
  const dir = tmp();
  const s = await startServer({ init: false, args: [] });
  try {
    const db = join(dir, 'deep', 'er', 'g.db');
    const r = cli(db, ['init', '--org', 'acme', '--org-name', 'Acme', '--admin-email', 'a@acme.test'], { GATEHOUSE_ADMIN_PASSWORD: PASSWORD });
    assert.equal(r.status, 0, r.stderr);
    const mode = (p) => statSync(p).mode & 0o777;
    assert.equal(mode(db).toString(8), '600');
    assert.equal(mode(join(dir, 'deep')).toString(8), '700');
    assert.equal(mode(join(dir, 'deep', 'er')).toString(8), '700');
    // the running server's own database and WAL
    assert.equal(mode(s.db).toString(8), '600');
    assert.ok(existsSync(`${s.db}-wal`));
    assert.equal(mode(`${s.db}-wal`).toString(8), '600');
    const to = join(dir, 'backup.db');
    const b = cli(db, ['backup', '--to', to]);
    assert.equal(b.status, 0, b.stderr);
    assert.equal(mode(to).toString(8), '600');
    // a backup never overwrites
    const again = cli(db, ['backup', '--to', to]);
    assert.equal(again.status, 1);
    assert.match(again.stderr, /exists already/);
  } finally {
    await s.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a port in use: the second server refuses to start', async () => {
  const s = await startServer();
  try {
    const port = new URL(s.url).port;
    const r = gh(['serve', '--db', s.db, '--listen', `127.0.0.1:${port}`]);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}`));
    assert.equal((await s.api('/healthz')).status, 200, 'the first one still serves');
  } finally {
    await s.stop();
  }
});

test('serve refuses a database that does not exist unless --create', () => {
  const dir = tmp();
  try {
    const db = join(dir, 'typo.db');
    const r = gh(['serve', '--db', db, '--listen', '127.0.0.1:0']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /typo\.db does not exist \(serve --create makes a new one/);
    assert.ok(!existsSync(db), 'nothing created');
    for (const c of [['org', 'list'], ['outbox'], ['backup', '--to', join(dir, 'b.db')]]) {
      const o = cli(db, c);
      assert.equal(o.status, 1, c.join(' '));
      assert.match(o.stderr, /does not exist/);
    }
    assert.ok(!existsSync(db), 'nothing created');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('HEAD is answered wherever GET is, without a body', async () => {
  const s = await startServer();
  try {
    const token = await s.login();
    for (const path of ['/healthz', '/readyz', '/v1/users', '/v1/me', '/console/']) {
      const get = await fetch(s.url + path, { headers: { Authorization: `Bearer ${token}` } });
      const head = await fetch(s.url + path, { method: 'HEAD', headers: { Authorization: `Bearer ${token}` } });
      assert.equal(head.status, get.status, path);
      assert.equal(await head.text(), '', path);
      assert.equal(head.headers.get('content-type'), get.headers.get('content-type'), path);
    }
    // without a session HEAD is refused like GET
    assert.equal((await fetch(`${s.url}/v1/users`, { method: 'HEAD' })).status, 401);
    // Allow names HEAD beside GET
    const del = await fetch(`${s.url}/v1/users`, { method: 'DELETE', headers: { Authorization: `Bearer ${token}` } });
    assert.equal(del.status, 405);
    assert.match(del.headers.get('allow'), /GET, HEAD/);
  } finally {
    await s.stop();
  }
});

test('restore: checks the backup, refuses to overwrite without --force, says what it restored', async () => {
  const dir = tmp();
  const s = await startServer();
  try {
    const admin = await s.login();
    for (let i = 0; i < 3; i++)
      assert.equal((await s.api('/v1/users', { method: 'POST', token: admin, body: { email: `u${i}@acme.test`, name: `U ${i}`, role: 'user' } })).status, 201);
    const backup = join(dir, 'b.db');
    assert.equal(s.cli(['backup', '--to', backup]).status, 0);
    const target = join(dir, 'restored.db');
    const r = gh(['restore', '--from', backup, '--db', target]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /restored .*b\.db to .*restored\.db: schema version \d+ \(now \d+\), 1 organization, 4 users, \d+ audit events/);
    assert.equal((statSync(target).mode & 0o777).toString(8), '600');
    const again = gh(['restore', '--from', backup, '--db', target]);
    assert.equal(again.status, 1);
    assert.match(again.stderr, /restored\.db exists .*--force/);
    assert.equal(gh(['restore', '--from', backup, '--db', target, '--force']).status, 0);
    // not a database, a damaged one, a missing file
    const junk = join(dir, 'junk.db');
    writeFileSync(junk, 'this is not sqlite'.repeat(300));
    const j = gh(['restore', '--from', junk, '--db', join(dir, 'j.db')]);
    assert.equal(j.status, 1);
    assert.match(j.stderr, /restore refused: .*junk\.db/);
    assert.ok(!existsSync(join(dir, 'j.db')));
    const damaged = join(dir, 'damaged.db');
    const bytes = readFileSync(backup);
    for (let off = 4096 * 2; off < bytes.length; off += 4096) bytes.fill(0x5a, off + 100, off + 600);
    writeFileSync(damaged, bytes);
    const d = gh(['restore', '--from', damaged, '--db', join(dir, 'd.db')]);
    assert.equal(d.status, 1, d.stdout);
    assert.match(d.stderr, /restore refused/);
    const none = gh(['restore', '--from', join(dir, 'none.db'), '--db', join(dir, 'n.db')]);
    assert.equal(none.status, 1);
    assert.match(none.stderr, /cannot read .*none\.db/);
    // a backup from a newer gatehouse
    const newer = join(dir, 'newer.db');
    assert.equal(gh(['restore', '--from', backup, '--db', newer]).status, 0);
    if (spawnSync('sqlite3', ['-version']).status === 0) {
      assert.equal(spawnSync('sqlite3', [newer, "UPDATE meta SET value = value + 7 WHERE key = 'schema_version'"]).status, 0);
      const n = gh(['restore', '--from', newer, '--db', join(dir, 'n2.db')]);
      assert.equal(n.status, 1);
      assert.match(n.stderr, /newer than this gatehouse/);
    }
  } finally {
    await s.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('restore drill: back up a live server under write load, restore to a new path, serve it, sign in', { timeout: 120000 }, async () => {
  const dir = tmp();
  const s = await startServer();
  let s2 = null;
  try {
    const admin = await s.login();
    let n = 0;
    let writing = true;
    const load = (async () => {
      while (writing) {
        const r = await s.api('/v1/users', { method: 'POST', token: admin, body: { email: `w${n}@acme.test`, name: `W ${n}`, role: 'user' } });
        assert.equal(r.status, 201, JSON.stringify(r.body));
        n++;
      }
    })();
    while (n < 5) await new Promise((r) => setTimeout(r, 20));
    const backup = join(dir, 'live.db');
    const b = s.cli(['backup', '--to', backup]);
    assert.equal(b.status, 0, b.stderr);
    const during = n;
    while (n < during + 3) await new Promise((r) => setTimeout(r, 20));
    writing = false;
    await load;
    const target = join(dir, 'new', 'restored.db');
    spawnSync('mkdir', ['-p', join(dir, 'new')]);
    const r = gh(['restore', '--from', backup, '--db', target]);
    assert.equal(r.status, 0, r.stderr);
    const users = Number(r.stdout.match(/(\d+) users/)[1]);
    assert.ok(users >= 1 + 5 && users <= 1 + n, `${users} users restored of ${1 + n}`);
    // serve the restored database (no --create: it exists) and sign in
    const port = await freePort();
    const p = spawn(BIN, ['serve', '--db', target, '--listen', `127.0.0.1:${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stderr.on('data', (d) => { out += d; });
    s2 = { p, exited: new Promise((res) => p.on('exit', (code) => res(code))) };
    for (let i = 0; ; i++) {
      try { if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) break; } catch { /* not yet */ }
      assert.ok(i < 400 && p.exitCode === null, `did not start: ${out}`);
      await new Promise((res) => setTimeout(res, 50));
    }
    const login = await fetch(`http://127.0.0.1:${port}/v1/auth/login`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ email: 'admin@acme.test', password: PASSWORD }),
    });
    const lt = await login.text();
    assert.equal(login.status, 200, lt);
    const list = await fetch(`http://127.0.0.1:${port}/v1/users?limit=200`, { headers: { Authorization: `Bearer ${JSON.parse(lt).token}` } });
    assert.equal(list.status, 200);
    assert.equal((await list.json()).items.length, users);
    p.kill('SIGTERM');
    assert.equal(await s2.exited, 0, out);
    assert.doesNotMatch(out, SANITIZER);
  } finally {
    if (s2 && s2.p.exitCode === null) s2.p.kill('SIGKILL');
    await s.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('gatehouse(8) is built by the build and names every command and option of the table', () => {
  const man = join(resolve(BIN, '..'), 'gatehouse.8');
  assert.ok(existsSync(man), `${man} is built (scdoc)`);
  const text = readFileSync(man, 'utf8');
  assert.match(text, /^\.TH "gatehouse" "8"/m);
  const plain = text.replace(/\\f[BIRP]/g, '').replace(/\\-/g, '-').replace(/\\&/g, '');
  for (const c of commands()) assert.match(plain, new RegExp(`^${c}\\b`, 'm'), `command ${c}`);
  for (const flag of new Set(optionTable().map((o) => o.flag))) assert.ok(plain.includes(flag), `option ${flag}`);
});

test('scheduled backups: every interval into --backup-dir, 0600, the oldest beyond --backup-keep deleted, restorable', { timeout: 120000 }, async () => {
  const dir = tmp();
  const bdir = join(dir, 'backups');
  const s = await startServer({ args: ['--backup-dir', bdir, '--backup-every', '1s', '--backup-keep', '2'] });
  try {
    const written = () => (s.log().match(/scheduled backup written to/g) || []).length;
    while (written() < 3) {
      assert.doesNotMatch(s.log(), /scheduled backup to .* failed/);
      await new Promise((r) => setTimeout(r, 100));
    }
    while (!/scheduled backup .* deleted \(keeping 2\)/.test(s.log())) await new Promise((r) => setTimeout(r, 100));
    const files = readdirSync(bdir).filter((f) => /^gatehouse-\d{8}T\d{6}Z\.db$/.test(f));
    assert.ok(files.length <= 3 && files.length >= 2, files.join(' '));
    assert.equal((statSync(bdir).mode & 0o777).toString(8), '700');
    const newest = join(bdir, files.sort().at(-1));
    assert.equal((statSync(newest).mode & 0o777).toString(8), '600');
    const r = gh(['restore', '--from', newest, '--db', join(dir, 'r.db')]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /1 organization, 1 user/);
  } finally {
    await s.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  for (const args of [['--backup-dir', '/tmp/x'], ['--backup-every', '1h'], ['--backup-dir', '/tmp/x', '--backup-every', 'soon'],
    ['--backup-dir', '/tmp/x', '--backup-every', '0s']]) {
    const r = gh(['serve', '--db', '/nonexistent/x.db', ...args]);
    assert.equal(r.status, 2, args.join(' '));
    assert.match(r.stderr, /--backup-dir DIR and --backup-every DURATION/);
  }
});
