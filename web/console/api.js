// The JSON API client for the console. The session lives in the HttpOnly
// gh_session cookie set at sign-in (__Host-gh_session over https); every unsafe request carries the
// X-CSRF-Token header with the value of the readable gh_csrf cookie. Errors
// are RFC 9457 problem+json documents, thrown as ApiError with their code,
// detail and field.

import { t } from '/console/i18n.js';

export class ApiError extends Error {
  constructor(status, body) {
    const p = body && typeof body === 'object' ? body : {};
    super(p.detail || p.title || `HTTP ${status}`);
    this.status = status;
    this.code = p.code || 'error';
    this.detail = p.detail || p.title || t('error.httpStatus', { status });
    this.field = p.field || null;
    this.body = p;
  }
}

export function cookie(name) {
  for (const part of document.cookie.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return '';
}

const listeners = new Set();
/** Called with the ApiError whenever the session is gone (401). */
export function onUnauthenticated(fn) { listeners.add(fn); }

/**
 * api('/v1/users', {query: {q}}) -> parsed JSON (null for 204).
 * opts: method, body (JSON), raw (string body), contentType, query, quiet401,
 * token (a bearer token instead of the cookies: the kiosk's sessions),
 * blob (answer a Blob instead of JSON: downloads).
 */
export async function api(path, opts = {}) {
  const method = opts.method || 'GET';
  const headers = { Accept: 'application/json' };
  let body;
  if (opts.raw !== undefined) { body = opts.raw; headers['Content-Type'] = opts.contentType || 'text/plain'; }
  else if (opts.body !== undefined) { body = JSON.stringify(opts.body); headers['Content-Type'] = 'application/json'; }
  if (opts.token) headers.Authorization = `Bearer ${opts.token}`;
  else if (!['GET', 'HEAD'].includes(method)) {
    const csrf = cookie('__Host-gh_csrf') || cookie('gh_csrf'); // __Host- when served over https
    if (csrf) headers['X-CSRF-Token'] = csrf;
  }
  let url = path;
  if (opts.query) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(opts.query)) if (v !== undefined && v !== null && v !== '') q.set(k, v);
    const s = q.toString();
    if (s) url += (url.includes('?') ? '&' : '?') + s;
  }
  let res;
  try {
    res = await fetch(url, { method, headers, body, credentials: opts.token ? 'omit' : 'same-origin' });
  } catch {
    throw new ApiError(0, { code: 'network', detail: t('error.network') });
  }
  if (opts.blob && res.ok) return res.blob(); // a download (the organization backup)
  const text = await res.text();
  let data = null;
  if (text) { try { data = JSON.parse(text); } catch { data = { detail: text }; } }
  if (!res.ok) {
    const err = new ApiError(res.status, data);
    if (res.status === 401 && !opts.quiet401) listeners.forEach((fn) => fn(err));
    throw err;
  }
  return data;
}

/** Follows next_cursor until done (or max items). */
export async function apiAll(path, query = {}, max = 2000) {
  const items = [];
  let cursor;
  do {
    const page = await api(path, { query: { ...query, cursor, limit: query.limit || 200 } });
    items.push(...(page.items || []));
    cursor = page.next_cursor;
  } while (cursor && items.length < max);
  return items;
}
