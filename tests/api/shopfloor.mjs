// Helpers shared by the shop-floor API tests (kiosk, check-in, timesheet,
// activity): factory workers, PINs, kiosk sign-in, API keys, tasks.
import assert from 'node:assert/strict';

// PINs that pass the policy (not repeated, sequential or common).
export const GOOD_PINS = ['583920', '702615', '948136', '261957', '830472'];

/** Creates a factory-only worker (no email) with `badge`; returns the user. */
export async function makeWorker(s, admin, badge, { role = 'user', name = `Worker ${badge}`, ...extra } = {}) {
  const r = await s.api('/v1/users', {
    method: 'POST', token: admin, body: { name, badge, factory_access: true, role, ...extra },
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body;
}

/** Issues a temporary PIN; returns the answer ({pin, kiosk_url, ...}). */
export async function issuePin(s, admin, userId) {
  const r = await s.api(`/v1/users/${userId}/pin`, { method: 'POST', token: admin });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body;
}

export function kioskLogin(s, badge, pin, extra = {}, org = s.org) {
  return s.api(`/v1/kiosk/${org}/login`, { method: 'POST', body: { badge, pin, ...extra } });
}

/**
 * A worker ready at the kiosk: created, temporary PIN issued, signed in and
 * PIN changed to `pin`. Returns {id, badge, pin, token}.
 */
export async function kioskWorker(s, admin, badge, pin = GOOD_PINS[0], opts = {}) {
  const u = await makeWorker(s, admin, badge, opts);
  const temp = await issuePin(s, admin, u.id);
  const l = await kioskLogin(s, badge, temp.pin);
  assert.equal(l.status, 200, JSON.stringify(l.body));
  const c = await s.api('/v1/kiosk/pin', {
    method: 'POST', token: l.body.token, body: { current_pin: temp.pin, new_pin: pin },
  });
  assert.equal(c.status, 200, JSON.stringify(c.body));
  return { id: u.id, badge, pin, token: l.body.token };
}

// The embedding product's key: tasks and orders, activity, reading people.
export async function apiKey(s, admin, name = 'erp', scopes = ['tasks.write', 'activity.write', 'users.view', 'authz.check']) {
  const r = await s.api('/v1/api-keys', { method: 'POST', token: admin, body: { name, scopes } });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body.key;
}

export async function makeTask(s, token, ref, extra = {}) {
  const r = await s.api('/v1/tasks', { method: 'POST', token, body: { ref, title: `Task ${ref}`, ...extra } });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body;
}

export async function assign(s, token, taskId, userId) {
  const r = await s.api(`/v1/tasks/${taskId}/assignees/${userId}`, { method: 'PUT', token });
  assert.equal(r.status, 204, JSON.stringify(r.body));
}

export async function setOrg(s, admin, body) {
  const r = await s.api('/v1/org', { method: 'PATCH', token: admin, body });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body;
}

/** The server's current time (unix seconds), without moving the clock. */
export async function serverNow(s) {
  const r = await s.api('/v1/test/clock', { method: 'POST', body: { advance_s: 0 } });
  assert.equal(r.status, 200);
  return Date.parse(r.body.now) / 1000;
}

export async function auditActions(s, admin, action) {
  const r = await s.api(`/v1/audit?action=${encodeURIComponent(action)}&limit=500`, { token: admin });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.items;
}
