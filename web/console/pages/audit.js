// The audit log: every change and sign-in, newest first, filtered by who,
// what, which target and when.
import { api, apiAll } from '/console/api.js';
import { h, clear, field, busy, fmtTime, table, toast } from '/console/dom.js';
import { t as tr, has } from '/console/i18n.js';

const ACTIONS = {
  'auth.login': 'Signed in', 'auth.login_failed': 'Sign-in failed', 'auth.logout': 'Signed out',
  'auth.password_reset_requested': 'Asked for a password reset', 'session.ended': 'Ended a session',
  'user.created': 'Created a user', 'user.updated': 'Changed a user', 'user.deleted': 'Deleted a user',
  'user.locked': 'Locked a user', 'user.unlocked': 'Unlocked a user', 'user.email_verified': 'Confirmed an email',
  'user.expired': 'Locked an expired account', 'user.schedule_skipped': 'Skipped a scheduled lock or unlock',
  'demo.generated': 'Generated demo workers and tasks',
  'user.password_changed': 'Changed a password', 'user.password_reset': 'Reset a password',
  'user.password_reset_sent': 'Sent a password reset link', 'user.sessions_revoked': 'Revoked sessions',
  'role.created': 'Created a role', 'role.updated': 'Changed a role', 'role.deleted': 'Deleted a role',
  'org.created': 'Created the organization', 'org.settings_changed': 'Changed settings', 'org.modules_set': 'Set modules',
  'org.addons_set': 'Set add-ons', 'org.seats_set': 'Set seats',
  'api_key.created': 'Created an API key', 'api_key.revoked': 'Deleted an API key',
  'invite.sent': 'Sent an invitation', 'invite.resent': 'Resent an invitation', 'invite.cancelled': 'Cancelled an invitation',
  'invite.accepted': 'Accepted an invitation', 'invite.expired_use': 'Used an expired invitation',
  'group.created': 'Created a group', 'group.updated': 'Changed a group', 'group.deleted': 'Deleted a group',
  'group.member_added': 'Added a group member', 'group.member_removed': 'Removed a group member',
  'view.shared': 'Shared a view', 'view.created': 'Created a view', 'view.deleted': 'Deleted a view',
  'kiosk.login': 'Signed in at the kiosk', 'kiosk.login_failed': 'Kiosk sign-in failed',
  'kiosk.pin_set': 'Set a temporary kiosk PIN', 'kiosk.pin_revoked': 'Revoked a kiosk PIN', 'kiosk.pin_changed': 'Chose a new kiosk PIN',
  'kiosk.pin_blocked': 'Kiosk PIN blocked', 'device.enrolled': 'Enrolled a kiosk device', 'device.revoked': 'Revoked a kiosk device',
  'task.created': 'Created a task', 'task.completed': 'Completed a task', 'task.assigned': 'Assigned a task', 'task.unassigned': 'Unassigned a task',
  'screen.created': 'Created an agenda screen', 'users.imported': 'Imported users', 'view.updated': 'Changed a view',
  'checkin.opened': 'Checked in', 'checkin.closed': 'Checked out',
  'access.denied': 'Was refused',
  'auth.reauthenticated': 'Confirmed their identity', 'auth.sso_failed': 'Company sign-in failed', 'identity.linked': 'Linked a company account',
  'org.backup_exported': 'Downloaded a backup', 'org.backup_imported': 'Restored a backup', 'org.ip_allowlist_set': 'Set the allowed networks',
  'sso.updated': 'Changed company sign-in', 'sso.removed': 'Removed company sign-in', 'sso.tested': 'Tested company sign-in',
  'task.updated': 'Changed a task', 'task.deleted': 'Deleted a task', 'order.assigned': 'Assigned an order',
  'screen.renamed': 'Renamed an agenda screen', 'screen.deleted': 'Deleted an agenda screen',
  'webhook.created': 'Added a webhook', 'webhook.updated': 'Changed a webhook', 'webhook.deleted': 'Deleted a webhook',
  'webhook.tested': 'Sent a webhook test event',
  'signature.created': 'Signed electronically', 'user.esign_enabled': 'Enabled an e-signature',
  'user.esign_disabled': 'Disabled an e-signature', 'auth.reauth_failed': 'Gave a wrong password',
};
/** A readable label for any action key, also one this page does not know yet. */
export function actionLabel(key) {
  if (ACTIONS[key]) return ACTIONS[key];
  const [area, what = ''] = String(key).split('.');
  const words = what.replace(/_/g, ' ');
  return `${area.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase())}: ${words}`;
}
const AREAS = [
  { value: '', get label() { return tr('audit.anyAction'); } }, { value: 'auth', get label() { return tr('audit.signInAndSignOut'); } }, { value: 'user', get label() { return tr('audit.users'); } },
  { value: 'invite', get label() { return tr('audit.invitations'); } }, { value: 'role', get label() { return tr('audit.roles'); } }, { value: 'group', get label() { return tr('audit.groups'); } },
  { value: 'view', get label() { return tr('audit.viewsAndDashboards'); } }, { value: 'org', get label() { return tr('audit.organization'); } }, { value: 'api_key', get label() { return tr('audit.apiKeys'); } },
  { value: 'session', get label() { return tr('audit.sessions'); } }, { value: 'kiosk', get label() { return tr('audit.kiosk'); } }, { value: 'device', get label() { return tr('audit.kioskDevices'); } },
  { value: 'task', get label() { return tr('audit.tasks'); } }, { value: 'checkin', get label() { return tr('audit.checkins'); } },
  { value: 'access', get label() { return tr('audit.refusalsNoPermission'); } }, { value: 'signature', get label() { return tr('audit.electronicSignatures'); } },
];

/** An event's detail as "key: value" lines. */
function detailList(d) {
  if (!d || typeof d !== 'object' || !Object.keys(d).length) return '';
  const val = (v) => (Array.isArray(v) ? v.join(', ') || '(none)' : v && typeof v === 'object' ? JSON.stringify(v) : String(v));
  return h('div', { class: 'kv' }, Object.entries(d).map(([k, v]) => {
    const text = `${k.replace(/_/g, ' ')}: ${val(v)}`;
    return h('span', { title: text }, h('b', null, `${k.replace(/_/g, ' ')}: `), val(v));
  }));
}

export async function render({ main, query }) {
  let users = [];
  try { users = await apiAll('/v1/users', {}, 1000); } catch { /* names are a nicety */ }
  const names = new Map(users.map((u) => [u.id, u.name || u.email]));
  main.append(h('div', { class: 'page-head' }, h('div', null, h('h1', null, tr('audit.auditLog')),
    h('p', { class: 'sub' }, tr('audit.everyChangeAndSignIn')))));

  const actor = field({ label: tr('audit.who'), name: 'actor', type: 'select', value: query.actor || '',
    options: [{ value: '', label: tr('audit.anyone') }, ...users.map((u) => ({ value: u.id, label: u.name || u.email }))] });
  const action = field({ label: tr('audit.action'), name: 'action', type: 'select', value: query.action || '', options: AREAS });
  const target = field({ label: tr('audit.targetId'), name: 'target', value: query.target || '', attrs: { placeholder: tr('audit.usr'), autocomplete: 'off' } });
  const from = field({ label: tr('audit.from'), name: 'from', type: 'date', value: query.from || '' });
  const to = field({ label: tr('audit.to'), name: 'to', type: 'date', value: query.to || '' });
  const form = h('form', { class: 'filters', role: 'search', 'aria-label': tr('audit.filterTheAuditLog') }, actor, action, target, from, to,
    h('button', { type: 'submit', class: 'btn primary' }, tr('audit.filter')));
  const host = h('div');
  const foot = h('div', { class: 'table-foot' });
  // Download: the server streams the whole filtered trail (GET /v1/audit/export).
  const exportHref = (format) => {
    const sp = new URLSearchParams(Object.entries({ format, actor: actor.input.value, action: action.input.value, target: target.input.value.trim(),
      from: from.input.value ? `${from.input.value}T00:00:00Z` : '', to: to.input.value ? `${to.input.value}T23:59:59Z` : '' }).filter(([, v]) => v));
    return `/v1/audit/export?${sp}`;
  };
  const csvLink = h('a', { class: 'btn', href: exportHref('csv'), download: 'audit.csv', 'data-testid': 'audit-download' }, tr('audit.downloadCsv'));
  const ndLink = h('a', { class: 'btn', href: exportHref('ndjson'), download: 'audit.ndjson' }, tr('audit.downloadNdjson'));
  const refreshLinks = () => { csvLink.href = exportHref('csv'); ndLink.href = exportHref('ndjson'); };
  [actor, action, target, from, to].forEach((f) => f.input.addEventListener('input', refreshLinks));
  [actor, action, from, to].forEach((f) => f.input.addEventListener('change', refreshLinks));
  main.append(form, h('div', { class: 'row', role: 'group', 'aria-label': tr('audit.downloadTheAuditLog') }, csvLink, ndLink), host, foot);
  let cursor = null, rows = [];

  // Names come from the server (actor_name, target_name); ids stay in the tooltip.
  const who = (e) => {
    if (e.actor_type === 'system') return tr('audit.system');
    if (e.actor_type === 'anonymous' || !e.actor_id) return tr('audit.anonymous');
    const name = e.actor_name || names.get(e.actor_id);
    return h('span', { title: e.actor_id }, e.actor_type === 'api_key' ? (name ? tr('audit.apiKeyNamed', { name }) : tr('audit.apiKeyDeleted')) : name || tr('audit.deletedPerson'));
  };
  const targetCell = (e) => {
    if (!e.target_id) return '—';
    const name = e.target_name || (e.target_type === 'user' ? names.get(e.target_id) : null);
    const kind = e.target_type ? `${has(`audit.type.${e.target_type}`) ? tr(`audit.type.${e.target_type}`) : e.target_type.replace(/_/g, ' ')} ` : '';
    if (e.target_type === 'user') return h('a', { href: `/console/users/${encodeURIComponent(e.target_id)}`, title: e.target_id }, name || tr('audit.deletedPerson'));
    if (name) return h('span', { title: e.target_id }, kind, name);
    const short = e.target_id.length > 14 ? `${e.target_id.slice(0, 12)}…` : e.target_id;
    return h('span', { title: e.target_id }, kind, h('code', null, short));
  };
  const rowOf = (e) => h('tr', null,
    h('td', { class: 'small' }, fmtTime(e.at)),
    h('td', null, who(e)),
    h('td', { title: e.action }, actionLabel(e.action)),
    h('td', null, targetCell(e)),
    h('td', { class: 'wrap' }, detailList(e.detail)),
    h('td', { class: 'small' }, e.ip || ''));

  /* Answers can arrive out of order (a slow search, then a fast one): only
     the newest request may fill the table. */
  let seq = 0;
  async function load(more = false) {
    const mine = ++seq;
    const q = { actor: actor.input.value, action: action.input.value, target: target.input.value.trim(),
      from: from.input.value ? `${from.input.value}T00:00:00Z` : '', to: to.input.value ? `${to.input.value}T23:59:59Z` : '' };
    if (!more) {
      const sp = new URLSearchParams(Object.entries({ actor: q.actor, action: q.action, target: q.target, from: from.input.value, to: to.input.value }).filter(([, v]) => v));
      history.replaceState(null, '', `/console/audit${sp.toString() ? `?${sp}` : ''}`);
    }
    const page = await api('/v1/audit', { query: { ...q, limit: 100, cursor: more ? cursor : undefined } });
    if (mine !== seq) return;
    rows = more ? rows.concat(page.items) : page.items;
    cursor = page.next_cursor;
    clear(host, table({ caption: tr('audit.auditEvents'), empty: tr('audit.noEventsMatchTheseFilters'),
      columns: [{ label: tr('audit.when') }, { label: tr('audit.who') }, { label: tr('audit.action') }, { label: tr('audit.target') }, { label: tr('audit.details') }, { label: tr('audit.address') }],
      rows: rows.map(rowOf) }));
    clear(foot, h('span', { role: 'status' }, tr('audit.shown', { count: rows.length })),
      cursor ? h('button', { type: 'button', class: 'btn small', onclick: (ev) => busy(ev.target, () => load(true)) }, tr('audit.loadMore')) : null);
  }
  form.addEventListener('submit', (e) => { e.preventDefault(); busy(e.submitter, () => load().catch((err) => toast(err.detail, 'error'))); });
  [actor, action].forEach((f) => f.input.addEventListener('change', () => load().catch((err) => toast(err.detail, 'error'))));
  await load();
}
