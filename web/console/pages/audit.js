// The audit log: every change and sign-in, newest first, filtered by who,
// what, which target and when.
import { api, apiAll } from '/console/api.js';
import { h, clear, field, busy, fmtTime, table, toast } from '/console/dom.js';
import { t as tr, has } from '/console/i18n.js';

const ACTIONS = {
  get 'auth.login'() { return tr('audit.signedIn'); }, get 'auth.login_failed'() { return tr('audit.signInFailed'); }, get 'auth.logout'() { return tr('audit.signedOut'); },
  get 'auth.password_reset_requested'() { return tr('audit.askedForAPasswordReset'); }, get 'session.ended'() { return tr('audit.endedASession'); },
  get 'user.created'() { return tr('audit.createdAUser'); }, get 'user.updated'() { return tr('audit.changedAUser'); }, get 'user.deleted'() { return tr('audit.deletedAUser'); },
  get 'user.locked'() { return tr('audit.lockedAUser'); }, get 'user.unlocked'() { return tr('audit.unlockedAUser'); }, get 'user.email_verified'() { return tr('audit.confirmedAnEmail'); },
  get 'user.password_changed'() { return tr('audit.changedAPassword'); }, get 'user.password_reset'() { return tr('audit.resetAPassword'); },
  get 'user.password_reset_sent'() { return tr('audit.sentAPasswordResetLink'); }, get 'user.sessions_revoked'() { return tr('audit.revokedSessions'); },
  get 'role.created'() { return tr('audit.createdARole'); }, get 'role.updated'() { return tr('audit.changedARole'); }, get 'role.deleted'() { return tr('audit.deletedARole'); },
  get 'org.created'() { return tr('audit.createdTheOrganization'); }, get 'org.settings_changed'() { return tr('audit.changedSettings'); }, get 'org.modules_set'() { return tr('audit.setModules'); },
  get 'org.addons_set'() { return tr('audit.setAddOns'); }, get 'org.seats_set'() { return tr('audit.setSeats'); },
  get 'api_key.created'() { return tr('audit.createdAnApiKey'); }, get 'api_key.revoked'() { return tr('audit.deletedAnApiKey'); },
  get 'invite.sent'() { return tr('audit.sentAnInvitation'); }, get 'invite.resent'() { return tr('audit.resentAnInvitation'); }, get 'invite.cancelled'() { return tr('audit.cancelledAnInvitation'); },
  get 'invite.accepted'() { return tr('audit.acceptedAnInvitation'); }, get 'invite.expired_use'() { return tr('audit.usedAnExpiredInvitation'); },
  get 'group.created'() { return tr('audit.createdAGroup'); }, get 'group.updated'() { return tr('audit.changedAGroup'); }, get 'group.deleted'() { return tr('audit.deletedAGroup'); },
  get 'group.member_added'() { return tr('audit.addedAGroupMember'); }, get 'group.member_removed'() { return tr('audit.removedAGroupMember'); },
  get 'view.shared'() { return tr('audit.sharedAView'); }, get 'view.created'() { return tr('audit.createdAView'); }, get 'view.deleted'() { return tr('audit.deletedAView'); },
  get 'kiosk.login'() { return tr('audit.signedInAtTheKiosk'); }, get 'kiosk.login_failed'() { return tr('audit.kioskSignInFailed'); },
  get 'kiosk.pin_set'() { return tr('audit.setATemporaryKioskPin'); }, get 'kiosk.pin_revoked'() { return tr('audit.revokedAKioskPin'); }, get 'kiosk.pin_changed'() { return tr('audit.choseANewKioskPin'); },
  get 'kiosk.pin_blocked'() { return tr('audit.kioskPinBlocked'); }, get 'device.enrolled'() { return tr('audit.enrolledAKioskDevice'); }, get 'device.revoked'() { return tr('audit.revokedAKioskDevice'); },
  get 'task.created'() { return tr('audit.createdATask'); }, get 'task.completed'() { return tr('audit.completedATask'); }, get 'task.assigned'() { return tr('audit.assignedATask'); }, get 'task.unassigned'() { return tr('audit.unassignedATask'); },
  get 'screen.created'() { return tr('audit.createdAnAgendaScreen'); }, get 'users.imported'() { return tr('audit.importedUsers'); }, get 'view.updated'() { return tr('audit.changedAView'); },
  get 'checkin.opened'() { return tr('audit.checkedIn'); }, get 'checkin.closed'() { return tr('audit.checkedOut'); },
  get 'access.denied'() { return tr('audit.wasRefused'); },
  get 'auth.reauthenticated'() { return tr('audit.confirmedTheirIdentity'); }, get 'auth.sso_failed'() { return tr('audit.companySignInFailed'); }, get 'identity.linked'() { return tr('audit.linkedACompanyAccount'); },
  get 'org.backup_exported'() { return tr('audit.downloadedABackup'); }, get 'org.backup_imported'() { return tr('audit.restoredABackup'); }, get 'org.ip_allowlist_set'() { return tr('audit.setTheAllowedNetworks'); },
  get 'sso.updated'() { return tr('audit.changedCompanySignIn'); }, get 'sso.removed'() { return tr('audit.removedCompanySignIn'); }, get 'sso.tested'() { return tr('audit.testedCompanySignIn'); },
  get 'task.updated'() { return tr('audit.changedATask'); }, get 'task.deleted'() { return tr('audit.deletedATask'); }, get 'order.assigned'() { return tr('audit.assignedAnOrder'); },
  get 'screen.renamed'() { return tr('audit.renamedAnAgendaScreen'); }, get 'screen.deleted'() { return tr('audit.deletedAnAgendaScreen'); },
  get 'webhook.created'() { return tr('audit.addedAWebhook'); }, get 'webhook.updated'() { return tr('audit.changedAWebhook'); }, get 'webhook.deleted'() { return tr('audit.deletedAWebhook'); },
  get 'webhook.tested'() { return tr('audit.sentAWebhookTestEvent'); },
  get 'signature.created'() { return tr('audit.signedElectronically'); }, get 'user.esign_enabled'() { return tr('audit.enabledAnESignature'); },
  get 'user.esign_disabled'() { return tr('audit.disabledAnESignature'); }, get 'auth.reauth_failed'() { return tr('audit.gaveAWrongPassword'); },
  get 'user.expired'() { return tr('audit.lockedAnExpiredAccount'); }, get 'user.schedule_skipped'() { return tr('audit.skippedAScheduledLockOrUnlock'); },
  get 'demo.generated'() { return tr('audit.generatedDemoWorkersAndTasks'); },
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
