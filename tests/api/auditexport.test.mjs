// Audit export (issue 19 item 3): GET /v1/audit/export streams the trail as
// CSV or NDJSON with actor and target names beside the ids, honours the
// filters of GET /v1/audit, neutralises CSV cells a spreadsheet would read
// as formulas, and streams a large trail in bounded memory (the server's
// resident size is read from /proc before and after).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { startServer, assertProblem } from './lib.mjs';

/** RFC 4180 parser (quoted cells, doubled quotes, CRLF rows). */
function parseCsv(text) {
  const rows = [];
  let row = [], cell = '', q = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (q) {
      if (ch === '"' && text[i + 1] === '"') { cell += '"'; i++; }
      else if (ch === '"') q = false;
      else cell += ch;
    } else if (ch === '"') q = true;
    else if (ch === ',') { row.push(cell); cell = ''; }
    else if (ch === '\r' && text[i + 1] === '\n') { row.push(cell); rows.push(row); row = []; cell = ''; i++; }
    else cell += ch;
  }
  assert.equal(cell, '', 'the CSV ends with a full row');
  return rows;
}

const HEADER = ['id', 'at', 'actor_type', 'actor_id', 'actor_name', 'action', 'target_type', 'target_id', 'target_name', 'ip', 'request_id', 'detail'];

test('audit export: CSV and NDJSON, names, filters, formulas neutralised, refusals', async () => {
  const s = await startServer();
  try {
    const admin = await s.login();
    const adminId = (await s.api('/v1/me', { token: admin })).body.id;
    const names = ['=HYPERLINK("http://evil.test","x")', '+SUM(A1)', '-2+3', '@cmd', 'Plain "Quoted" Name'];
    const ids = [];
    for (const [i, name] of names.entries()) {
      const c = await s.api('/v1/users', { method: 'POST', token: admin, body: { email: `p${i}@acme.test`, name, role: 'user' } });
      assert.equal(c.status, 201, JSON.stringify(c.body));
      ids.push(c.body.id);
    }
    await s.advance(7200);
    const admin2 = await s.login();
    assert.equal((await s.api(`/v1/users/${ids[4]}/lock`, { method: 'POST', token: admin2 })).status, 200);

    const trail = (await s.api('/v1/audit?limit=500', { token: admin2 })).body.items.reverse();
    // GET /v1/audit names the actor and target too.
    const created = trail.filter((e) => e.action === 'user.created' && ids.includes(e.target_id));
    assert.deepEqual(created.map((e) => e.target_name), names);
    assert.ok(created.every((e) => e.actor_name === 'Ada Admin'));

    const csv = await s.api('/v1/audit/export?format=csv', { token: admin2 });
    assert.equal(csv.status, 200);
    assert.match(csv.headers.get('content-type'), /^text\/csv/);
    assert.match(csv.headers.get('content-disposition'), /attachment; filename="audit\.csv"/);
    const rows = parseCsv(csv.text);
    assert.deepEqual(rows[0], HEADER);
    const body = rows.slice(1).filter((r) => r[5] !== 'access.denied');
    assert.deepEqual(body.map((r) => r[0]), trail.filter((e) => e.action !== 'access.denied').map((e) => e.id), 'every event, oldest first');
    const byTarget = Object.fromEntries(body.filter((r) => r[5] === 'user.created').map((r) => [r[7], r]));
    assert.equal(byTarget[ids[0]][8], `'${names[0]}`);
    assert.equal(byTarget[ids[1]][8], `'${names[1]}`);
    assert.equal(byTarget[ids[2]][8], `'${names[2]}`);
    assert.equal(byTarget[ids[3]][8], `'${names[3]}`);
    assert.equal(byTarget[ids[4]][8], names[4], 'other cells are left alone');
    assert.equal(byTarget[ids[0]][4], 'Ada Admin');
    assert.equal(byTarget[ids[0]][3], adminId);
    for (const r of rows.slice(1)) for (const cell of r) assert.ok(!/^[=+\-@\t\r]/.test(cell), `unneutralised cell ${cell}`);

    const nd = await s.api('/v1/audit/export?format=ndjson', { token: admin2 });
    assert.equal(nd.status, 200);
    assert.equal(nd.headers.get('content-type'), 'application/x-ndjson');
    const lines = nd.text.trimEnd().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(lines.filter((e) => e.action !== 'access.denied').map((e) => e.id), body.map((r) => r[0]));
    const first = lines.find((e) => e.target_id === ids[0]);
    assert.equal(first.target_name, names[0], 'NDJSON keeps the text as it is');
    assert.equal(first.actor_name, 'Ada Admin');
    assert.equal(typeof first.detail, 'object');

    // Filters: action (prefix), actor, target, time.
    const only = parseCsv((await s.api('/v1/audit/export?action=user.created', { token: admin2 })).text).slice(1);
    assert.deepEqual(only.map((r) => r[7]), [adminId, ...ids]);
    const lock = parseCsv((await s.api(`/v1/audit/export?format=csv&action=user&target=${ids[4]}`, { token: admin2 })).text).slice(1);
    assert.deepEqual(lock.map((r) => r[5]), ['user.created', 'user.locked']);
    const late = trail.find((e) => e.action === 'user.locked').at;
    const after = (await s.api(`/v1/audit/export?format=ndjson&from=${encodeURIComponent(new Date(Date.parse(late) - 1000).toISOString())}`, { token: admin2 })).text.trimEnd().split('\n').map((l) => JSON.parse(l));
    assert.ok(after.every((e) => Date.parse(e.at) >= Date.parse(late) - 1000));
    assert.ok(after.some((e) => e.action === 'user.locked') && !after.some((e) => e.action === 'user.created'));
    const before = (await s.api(`/v1/audit/export?format=ndjson&to=${encodeURIComponent(late)}&actor=${adminId}`, { token: admin2 })).text.trimEnd().split('\n').map((l) => JSON.parse(l));
    assert.ok(before.length >= 5 && before.every((e) => e.actor_id === adminId && Date.parse(e.at) < Date.parse(late)));
    const none = await s.api('/v1/audit/export?format=csv&actor=usr_nobody', { token: admin2 });
    assert.deepEqual(parseCsv(none.text), [HEADER]);

    // Bad input changes nothing and is named.
    assertProblem(await s.api('/v1/audit/export?format=xlsx', { token: admin2 }), 400, 'invalid_format', 'format');
    assertProblem(await s.api('/v1/audit/export?from=yesterday', { token: admin2 }), 400, 'invalid_time', 'from');
    assertProblem(await s.api('/v1/audit/export?limit=5', { token: admin2 }), 400, 'unknown_parameter');
    // Permission and key scope, and the organization.
    const worker = await s.makeUser(admin2, 'worker@acme.test', 'user');
    assertProblem(await s.api('/v1/audit/export', { token: worker.token }), 403, 'permission_denied');
    const k = await s.api('/v1/api-keys', { method: 'POST', token: admin2, body: { name: 'checks' } });
    assertProblem(await s.api('/v1/audit/export', { token: k.body.key }), 403, 'scope_missing');
    const beta = await s.otherOrg('beta');
    const b = parseCsv((await s.api('/v1/audit/export', { token: beta })).text).slice(1);
    assert.ok(b.length > 0 && b.every((r) => !ids.includes(r[7]) && r[3] !== adminId), 'only the organization\'s own trail');
  } finally {
    await s.stop();
  }
});

function rssKiB(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m[1]);
}

test('a large trail streams in bounded memory', async () => {
  // AddressSanitizer holds freed memory in a quarantine (256 MiB by default)
  // that would show as growth although the server no longer uses it: this
  // server runs with a small one, so RSS measures the working set.
  const asan = [process.env.ASAN_OPTIONS, 'quarantine_size_mb=4', 'allocator_release_to_os_interval_ms=100'].filter(Boolean).join(':');
  const s = await startServer({ env: { ASAN_OPTIONS: asan } });
  try {
    const admin = await s.login();
    const orgId = (await s.api('/v1/org', { token: admin })).body.id;
    const N = 200000;
    // 200,000 events of about 1 KiB each (~200 MiB of CSV), written straight into the file.
    const sql = `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${N})
      INSERT INTO audit (id, org_id, at, actor_type, actor_id, action, target_type, target_id, ip, request_id, detail)
      SELECT 'evt_big' || i, '${orgId}', 1800000000 + i, 'system', NULL, 'bulk.test', 'user', 'usr_' || i, '127.0.0.1', 'req' || i,
             json_object('pad', printf('%.1000c', 'x'), 'i', i) FROM n;`;
    const r = spawnSync('sqlite3', ['-cmd', '.timeout 20000', s.db, sql], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);

    // Warm up (first statement preparation, page cache, thread), then measure.
    const warm = await fetch(`${s.url}/v1/audit/export?format=csv&action=user.created`, { headers: { Authorization: `Bearer ${admin}` } });
    await warm.text();
    const before = rssKiB(s.proc.pid);
    let peak = before;
    for (const format of ['csv', 'ndjson']) {
      const res = await fetch(`${s.url}/v1/audit/export?format=${format}&action=bulk.test`, { headers: { Authorization: `Bearer ${admin}` } });
      assert.equal(res.status, 200);
      const reader = res.body.getReader();
      let bytes = 0, lines = 0, chunks = 0, tail = '';
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        bytes += value.length;
        for (const b of value) if (b === 10) lines++;
        if (++chunks % 200 === 0) peak = Math.max(peak, rssKiB(s.proc.pid));
        tail = Buffer.from(value.subarray(Math.max(0, value.length - 200))).toString();
      }
      peak = Math.max(peak, rssKiB(s.proc.pid));
      assert.equal(lines, N + (format === 'csv' ? 1 : 0), `${format}: every row`);
      assert.ok(bytes > N * 1000, `${format}: ${bytes} bytes`);
      assert.ok(tail.includes(`:${N}}`), `ends with the last event: ${tail}`);
    }
    const after = rssKiB(s.proc.pid);
    console.log(`RSS before ${before} KiB, peak ${peak} KiB, after ${after} KiB`);
    // The exports were over 200 MiB each; the server grew by far less.
    assert.ok(peak - before < 64 * 1024, `RSS grew from ${before} to ${peak} KiB while streaming`);
    assert.ok(after - before < 64 * 1024, `RSS ${before} -> ${after} KiB`);
  } finally {
    await s.stop();
  }
});
