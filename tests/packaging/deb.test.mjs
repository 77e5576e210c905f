// The Debian package (issue 21, item 7), as CI does it (make deb-test):
// installs GATEHOUSE_DEB with dpkg -i, checks its files, the unit's
// hardening and readiness (systemd-analyze verify when there is one), runs
// the installed binary against a temporary database, then removes it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const DEB = process.env.GATEHOUSE_DEB;
const root = process.getuid && process.getuid() === 0;
const run = (cmd, args, opts = {}) => spawnSync(cmd, args, { encoding: 'utf8', timeout: 120000, ...opts });
const freePort = () => new Promise((res) => { const s = createServer(); s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => res(port)); }); });

test('dpkg -i installs gatehouse: files, unit, and a working binary', {
  skip: (!DEB && 'set GATEHOUSE_DEB (make deb-test)') || (!root && 'needs root for dpkg -i'), timeout: 300000,
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gh-deb-'));
  try {
    const info = run('dpkg-deb', ['--info', DEB]);
    assert.equal(info.status, 0, info.stderr);
    assert.match(info.stdout, /Package: gatehouse/);
    assert.match(info.stdout, /Depends: .*libmicrohttpd/);
    const inst = run('dpkg', ['-i', DEB]);
    assert.equal(inst.status, 0, inst.stderr + inst.stdout);
    const files = run('dpkg', ['-L', 'gatehouse']).stdout;
    for (const f of ['/usr/sbin/gatehouse', '/usr/share/man/man8/gatehouse.8.gz', '/lib/systemd/system/gatehouse.service',
      '/etc/gatehouse/gatehouse.conf', '/usr/share/doc/gatehouse/prometheus-alerts.yml', '/usr/share/doc/gatehouse/grafana-dashboard.json']) {
      assert.ok(files.split('\n').includes(f), `${f} in the package`);
      assert.ok(existsSync(f), `${f} installed`);
    }
    assert.match(run('dpkg-query', ['-W', '-f=${Conffiles}', 'gatehouse']).stdout, /\/etc\/gatehouse\/gatehouse\.conf/);
    assert.equal((statSync('/usr/sbin/gatehouse').mode & 0o777).toString(8), '755');

    // the unit: a dynamic unprivileged user, hardening, readiness through sd_notify
    const unit = readFileSync('/lib/systemd/system/gatehouse.service', 'utf8');
    for (const line of ['Type=notify', 'DynamicUser=yes', 'StateDirectory=gatehouse', 'ProtectSystem=strict', 'NoNewPrivileges=yes',
      'CapabilityBoundingSet=', 'UMask=0077', 'StandardError=journal', 'ExecReload=/bin/kill -HUP $MAINPID'])
      assert.ok(unit.split('\n').includes(line), `unit has ${line}`);
    assert.match(run('ldd', ['/usr/sbin/gatehouse']).stdout, /libsystemd\.so/);
    if (run('systemd-analyze', ['--version']).status === 0) {
      const v = run('systemd-analyze', ['verify', '/lib/systemd/system/gatehouse.service']);
      // Without a running systemd (containers) verify cannot load units; only unit-file errors count.
      const problems = `${v.stdout}${v.stderr}`.split('\n').filter((l) => /gatehouse\.service:\d+:|Unknown key|Invalid|Failed to parse/.test(l));
      assert.deepEqual(problems, [], 'systemd-analyze verify');
    }
    // the man page
    assert.match(run('sh', ['-c', 'zcat /usr/share/man/man8/gatehouse.8.gz']).stdout, /\.TH "gatehouse" "8"/);

    // the installed binary reads /etc/gatehouse/gatehouse.conf by default
    const bin = '/usr/sbin/gatehouse';
    assert.match(run(bin, ['--version']).stdout, /^gatehouse \d/);
    const dflt = run(bin, ['org', 'list']);
    assert.equal(dflt.status, 1);
    assert.match(dflt.stderr, /\/var\/lib\/gatehouse\/gatehouse\.db does not exist/, 'db from the packaged configuration');
    // against a temporary database
    const db = join(dir, 'g.db');
    const init = run(bin, ['init', '--db', db, '--org', 'acme', '--org-name', 'Acme', '--admin-email', 'a@acme.test'],
      { env: { ...process.env, GATEHOUSE_ADMIN_PASSWORD: 'correct horse battery staple' } });
    assert.equal(init.status, 0, init.stderr);
    const port = await freePort();
    const p = spawn(bin, ['serve', '--db', db, '--listen', `127.0.0.1:${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stderr.on('data', (d) => { out += d; });
    const exited = new Promise((r) => p.on('exit', (code) => r(code)));
    for (let i = 0; ; i++) {
      try { if ((await fetch(`http://127.0.0.1:${port}/readyz`)).ok) break; } catch { /* not yet */ }
      assert.ok(i < 400 && p.exitCode === null, `did not start: ${out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const login = await fetch(`http://127.0.0.1:${port}/v1/auth/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ email: 'a@acme.test', password: 'correct horse battery staple' }) });
    assert.equal(login.status, 200);
    p.kill('SIGTERM');
    assert.equal(await exited, 0, out);
  } finally {
    run('dpkg', ['--purge', 'gatehouse']);
    rmSync(dir, { recursive: true, force: true });
  }
});
