// The OpenAPI document is complete and current: every route of the binary is
// described with its method, auth and permission, and docs/openapi.json is
// what tools/openapi-merge.mjs builds from the fragments.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { BIN } from './lib.mjs';
import { lint, merged, operationIdOf } from '../../tools/openapi-merge.mjs';

const docPath = resolve(import.meta.dirname, '../../docs/openapi.json');

test('docs/openapi.json is built from the fragments', () => {
  assert.equal(readFileSync(docPath, 'utf8'), merged(), 'run: node tools/openapi-merge.mjs');
});

test('lint: every operation has a unique operationId and a security entry', () => {
  const doc = JSON.parse(readFileSync(docPath, 'utf8'));
  assert.deepEqual(lint(doc), []);
  let n = 0;
  for (const ops of Object.values(doc.paths)) for (const op of Object.values(ops)) if (op.responses) n++;
  assert.ok(n > 100, `${n} operations`);
  // the lint finds what it is for
  const bad = { paths: { '/a': { get: { operationId: 'x', responses: {} }, post: { operationId: 'x', security: [], responses: {} } }, '/b': { get: { security: [] } } } };
  assert.deepEqual(lint(bad), [
    'GET /a: no security entry ([] when open to anyone)',
    "POST /a: operationId x is also GET /a's",
    'GET /b: no operationId',
  ]);
  assert.equal(operationIdOf('get', '/v1/users/{id}/permissions'), 'getUsersByIdPermissions');
  assert.equal(operationIdOf('delete', '/v1/groups/{id}/members/{user_id}'), 'deleteGroupsByIdMembersByUserId');
});

test('every route is documented with its auth and permission', () => {
  const doc = JSON.parse(readFileSync(docPath, 'utf8'));
  const r = spawnSync(BIN, ['routes'], { encoding: 'utf8' });
  assert.equal(r.status, 0);
  const routes = r.stdout.trim().split('\n').map((l) => l.split('\t'));
  assert.ok(routes.length > 20);
  const internal = new Set(['/', '/console/*', '/kiosk/*', '/v1/test/clock', '/v1/test/io-fault']);
  for (const [method, path, auth, perm, , alt, query] of routes) {
    if (internal.has(path)) continue;
    const op = doc.paths[path]?.[method.toLowerCase()];
    assert.ok(op, `${method} ${path} is not in docs/openapi.json`);
    assert.ok(op.summary, `${method} ${path} has no summary`);
    assert.ok(op.responses, `${method} ${path} has no responses`);
    assert.equal(op['x-auth'], auth, `${method} ${path}: x-auth`);
    assert.equal(op['x-permission'] ?? '-', perm, `${method} ${path}: x-permission`);
    assert.equal(op['x-permission-alternative'] ?? '-', alt, `${method} ${path}: x-permission-alternative`);
    // The query parameters the server accepts (others: 400 unknown_parameter) are the documented ones.
    const documented = (op.parameters ?? []).map((p) => (p.$ref ? doc.components.parameters[p.$ref.split('/').pop()] : p))
      .filter((p) => p.in === 'query').map((p) => p.name).sort();
    assert.deepEqual(query === '-' ? [] : query.split(' ').sort(), documented, `${method} ${path}: query parameters`);
  }
});

test('every route an API key can call names its scope, in the operation and in the table', () => {
  const doc = JSON.parse(readFileSync(docPath, 'utf8'));
  const r = spawnSync(BIN, ['routes'], { encoding: 'utf8' });
  assert.equal(r.status, 0);
  const routes = r.stdout.trim().split('\n').map((l) => l.split('\t'));
  const table = new Set(doc.info.description.split('\n').filter((l) => /^\| [A-Z]+ \| `/.test(l)));
  let keyRoutes = 0;
  for (const [method, path, auth, , scope] of routes) {
    assert.ok(scope, `${method} ${path}: gatehouse routes prints no scope column`);
    const keyCalls = auth.split(',').includes('api_key');
    assert.equal(scope !== '-', keyCalls, `${method} ${path}: a scope exactly when an API key may call it`);
    const op = doc.paths[path]?.[method.toLowerCase()];
    if (!op) continue; /* internal routes: the test above */
    assert.equal(op['x-gatehouse-scope'] ?? '-', scope, `${method} ${path}: x-gatehouse-scope`);
    if (scope === '-') continue;
    keyRoutes++;
    assert.ok(table.has(`| ${method} | \`${path}\` | \`${scope}\` |`), `${method} ${path}: missing from the table of scopes`);
    assert.match(op.description, new RegExp(`scope \`${scope.replace('.', '\\.')}\``), `${method} ${path}: description names the scope`);
  }
  assert.equal(table.size, keyRoutes, 'the table lists exactly the routes a key can call');
  assert.ok(keyRoutes >= 30);
});

test('every $ref resolves and every operation says what it answers', () => {
  const doc = JSON.parse(readFileSync(docPath, 'utf8'));
  const refs = [];
  (function walk(o) {
    if (!o || typeof o !== 'object') return;
    for (const [k, v] of Object.entries(o)) k === '$ref' ? refs.push(v) : walk(v);
  })(doc);
  for (const r of refs) {
    const target = r.replace(/^#\//, '').split('/').reduce((o, k) => o?.[k], doc);
    assert.ok(target, `unresolved ${r}`);
  }
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      assert.ok(op.description, `${method.toUpperCase()} ${path} has no description`);
      assert.ok(Object.keys(op.responses).some((s) => s.startsWith('2')), `${method.toUpperCase()} ${path} has no success answer`);
    }
  }
});
