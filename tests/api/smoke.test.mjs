// Smoke: the server starts, answers health, serves the OpenAPI document, and
// stops cleanly on SIGTERM.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, assertProblem } from './lib.mjs';

test('health, openapi, unknown route, wrong method', async () => {
  const s = await startServer();
  try {
    const h = await s.api('/healthz');
    assert.equal(h.status, 200);
    assert.equal(h.body.status, 'ok');
    assert.equal(h.body.set_up, true);
    assert.ok(h.headers.get('x-request-id').startsWith('req_'));
    const o = await s.api('/v1/openapi.json');
    assert.equal(o.status, 200);
    assert.equal(o.body.openapi, '3.1.0');
    assertProblem(await s.api('/v1/nope'), 404, 'not_found');
    const m = await s.api('/v1/users', { method: 'PUT' });
    assertProblem(m, 405, 'method_not_allowed');
    assert.match(m.headers.get('allow'), /GET/);
  } finally {
    await s.stop();
  }
});
