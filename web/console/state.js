// Who is signed in and what they may see, plus caches of slow-changing
// reference data (catalog, roles, org). Pages ask here instead of guessing.
import { api } from '/console/api.js';

export const state = { me: null, catalog: null, roles: null, org: null };

export async function loadMe() {
  state.me = await api('/v1/me', { quiet401: true });
  return state.me;
}

export function forget() {
  state.me = null; state.catalog = null; state.roles = null; state.org = null;
}

/** Does the signed-in user hold this permission? */
export function can(perm) {
  return !!state.me?.access?.permissions?.includes(perm);
}

/** Is this client tab (catalog tab key) visible to the signed-in user? */
export function hasTab(key) {
  return !!state.me?.access?.tabs?.some((t) => t.key === key);
}

export async function catalog() {
  if (!state.catalog) state.catalog = await api('/v1/catalog');
  return state.catalog;
}

export async function roles(force = false) {
  if (!state.roles || force) state.roles = await api('/v1/roles');
  return state.roles;
}

export async function org(force = false) {
  if (!state.org || force) state.org = await api('/v1/org');
  return state.org;
}

/** Human names for catalog keys. */
export function permName(cat, key) {
  return cat.permissions.find((p) => p.key === key)?.name || key;
}
export function moduleName(cat, key) {
  return cat.modules.find((m) => m.key === key)?.name || key;
}
export function addonName(cat, key) {
  return cat.addons.find((a) => a.key === key)?.name || key;
}
export function tabName(cat, moduleKey, key) {
  const m = cat.modules.find((x) => x.key === moduleKey);
  const t = m?.tabs.find((x) => x.key === key);
  return t ? `${t.name}${key === 'analytics' ? ` (${m.name})` : ''}` : key;
}
