// The Users page (003): seats, the users table with search and filters, the
// invitations table with resend and cancel, and the Invite and Add dialogs.
import { api } from '/console/api.js';
import { h, clear, field, showError, clearErrors, openDialog, confirmDialog, toast, badge, fmtTime, table, debounce, tabs, busy, copyText } from '/console/dom.js';
import { can, roles, org } from '/console/state.js';
import { hasFeature } from '/console/app.js';
import { t as tr } from '/console/i18n.js';

export function statusBadge(u) {
  if (u.expired) return badge(tr('users.expired'), 'danger');
  if (u.status === 'locked') return badge(tr('users.locked'), 'danger');
  if (u.status === 'active' && u.office_access && !u.email_verified && !u.has_password) return badge(tr('users.notConfirmed'), 'warn');
  return badge(u.status === 'active' ? tr('users.active') : u.status, u.status === 'active' ? 'ok' : '');
}

/** Whether a mail went out (issue 15): `mail` of an invitation or an unconfirmed user. */
export function mailBadge(mail, configured) {
  if (!mail) return null;
  const err = mail.last_error ? ` (${mail.last_error})` : '';
  switch (mail.status) {
    case 'sent': return badge(tr('users.mailSent'), 'ok');
    case 'queued': case 'sending': return badge(tr('users.mailBeingSent'), 'outline');
    case 'deferred': return h('span', { title: tr('users.willRetryErr', { err }) }, badge(tr('users.mailDelayedErr', { err }), 'warn'));
    case 'failed': return h('span', { title: mail.last_error || '' }, badge(tr('users.mailFailedErr', { err }), 'danger'));
    case 'logged': return badge(configured ? tr('users.mailNotSent') : tr('users.mailNotSentMailIs'), 'warn');
    default: return badge(mail.status);
  }
}

export function accessBadges(u) {
  const b = [];
  if (u.office_access) b.push(badge(tr('users.office'), 'accent'));
  if (u.factory_access) b.push(badge(u.kiosk_pin_blocked ? tr('users.factoryPinBlocked') : tr('users.factory'), u.kiosk_pin_blocked ? 'danger' : 'outline'));
  if (!b.length) b.push(badge(tr('users.noAccess')));
  return h('span', { class: 'badges' }, b);
}

export function seatStats(o) {
  const stat = (label, s) => {
    const full = s.limit !== null && s.available !== null && s.available <= 0;
    return h('div', { class: `stat${full ? ' full' : ''}` },
      h('span', { class: 'label' }, label),
      h('span', { class: 'value' }, s.limit === null ? tr('users.usedUnlimited', { used: s.used }) : tr('users.usedOf', { used: s.used, limit: s.limit })),
      s.limit !== null ? h('span', { class: 'sub muted small' }, tr('users.availableAvailable', { available: Math.max(0, s.available) })) : null);
  };
  return h('div', { class: 'stats', role: 'group', 'aria-label': tr('users.seats') },
    stat(tr('users.officeSeats'), o.seats.office), stat(tr('users.factorySeats'), o.seats.factory));
}

export async function render({ main, query, navigate }) {
  const manage = can('users.manage');
  const invitesOn = hasFeature('/v1/invites');
  const importOn = hasFeature('/v1/users/import');
  const [r, o] = await Promise.all([roles(true), org(true)]);
  const mailOn = o.mail_configured !== false;
  const roleName = (k) => r.items.find((x) => x.key === k)?.name || k;

  const actions = h('div', { class: 'actions' });
  if (manage && importOn) actions.append(h('a', { class: 'btn', href: '/console/users/import' }, tr('users.importCsv')));
  if (manage) actions.append(h('button', { type: 'button', class: 'btn', onclick: () => addUser(r, navigate) }, tr('users.addStaffMember')));
  if (manage && invitesOn) actions.append(h('button', { type: 'button', class: 'btn primary', onclick: () => invite(r, reloadAll) }, tr('users.inviteOthers')));

  const stats = h('div', null, seatStats(o));
  main.append(h('div', { class: 'page-head' },
    h('div', null, h('h1', null, tr('users.users')), h('p', { class: 'sub' }, tr('users.everyoneWhoCanSignIn'))),
    actions), stats);

  /* ---- users table ---- */
  const q = field({ label: tr('users.search'), name: 'q', type: 'search', value: query.q || '', attrs: { placeholder: tr('users.nameOrEmail'), autocomplete: 'off' } });
  q.classList.add('grow');
  const role = field({ label: tr('users.role'), name: 'role', type: 'select', value: query.role || '',
    options: [{ value: '', label: tr('users.allRoles') }, ...r.items.map((x) => ({ value: x.key, label: x.name }))] });
  const status = field({ label: tr('users.status'), name: 'status', type: 'select', value: query.status || '',
    options: [{ value: '', label: tr('users.anyStatus') }, { value: 'active', label: tr('users.active') }, { value: 'locked', label: tr('users.locked') }] });
  const access = field({ label: tr('users.access'), name: 'access', type: 'select', value: query.access || '',
    options: [{ value: '', label: tr('users.anyAccess') }, { value: 'office', label: tr('users.office') }, { value: 'factory', label: tr('users.factory') }] });
  const filters = h('form', { class: 'filters', role: 'search', 'aria-label': tr('users.filterUsers'), onsubmit: (e) => { e.preventDefault(); load(); } }, q, role, status, access);
  const tableHost = h('div');
  const foot = h('div', { class: 'table-foot' });
  let cursor = null, rows = [];

  /* ---- bulk actions: a selection of the rows shown, each person through the same rules ---- */
  const bulkOn = manage && hasFeature('/v1/users/bulk');
  const selected = new Set();
  const bulkBar = h('div', { class: 'bulk-bar', role: 'region', 'aria-label': tr('users.bulkActions'), hidden: true });
  const bulkResults = h('div', { 'aria-live': 'polite' });
  const drawBulk = () => {
    bulkBar.hidden = selected.size === 0;
    if (!selected.size) { clear(bulkBar); return; }
    const expiry = field({ label: tr('users.accountExpires'), name: 'bulk_expires_at', type: 'datetime-local', value: '' });
    const roleSel = field({ label: tr('users.newRole'), name: 'bulk_role', type: 'select', value: '',
      options: [{ value: '', label: tr('users.chooseARole') }, ...r.items.map((x) => ({ value: x.key, label: x.device ? tr('users.sharedDisplayShort', { name: x.name }) : x.name }))] });
    clear(bulkBar,
      h('span', { role: 'status', class: 'bulk-count' }, tr('users.selectedN', { count: selected.size })),
      h('button', { type: 'button', class: 'btn small', onclick: (e) => bulk(e.target, 'lock') }, tr('users.lock')),
      h('button', { type: 'button', class: 'btn small', onclick: (e) => bulk(e.target, 'unlock') }, tr('users.unlock')),
      roleSel,
      h('button', { type: 'button', class: 'btn small', onclick: (e) => {
        if (!roleSel.input.value) { toast(tr('users.chooseTheNewRoleFirst'), 'error'); roleSel.input.focus(); return; }
        bulk(e.target, 'set_role', roleSel.input.value);
      } }, tr('users.changeRole')),
      expiry,
      h('button', { type: 'button', class: 'btn small', onclick: (e) => {
        if (!expiry.input.value) { toast(tr('users.chooseTheExpiryDateFirst'), 'error'); expiry.input.focus(); return; }
        bulk(e.target, 'schedule', null, { expires_at: new Date(expiry.input.value).toISOString() });
      } }, tr('users.setExpiry')),
      h('button', { type: 'button', class: 'btn small danger', onclick: (e) => bulk(e.target, 'delete') }, tr('users.delete')),
      h('button', { type: 'button', class: 'btn small', onclick: () => { selected.clear(); tableHost.querySelectorAll('input[name=pick]').forEach((c) => { c.checked = false; }); drawBulk(); } }, tr('users.clearSelection')));
  };
  const VERB = { lock: 'users.verb.lock', unlock: 'users.verb.unlock', set_role: 'users.verb.set_role', delete: 'users.verb.delete', schedule: 'users.verb.schedule' };
  async function bulk(btn, action, newRole, dates) {
    const ids = [...selected];
    const names = new Map(rows.map((u) => [u.id, u.name || u.email || u.id]));
    if (action === 'delete') {
      const ok = await confirmDialog({ title: tr('users.deleteUsersQ', { count: ids.length }),
        message: tr('users.deleteUsersText', { who: ids.length === 1 ? names.get(ids[0]) : tr('users.peopleN', { count: ids.length }) }),
        confirmLabel: tr('users.deleteIdscount', { idsCount: ids.length }), danger: true });
      if (!ok) return;
    }
    await busy(btn, async () => {
      try {
        const out = await api('/v1/users/bulk', { method: 'POST', body: { action, ids, ...(newRole ? { role: newRole } : {}), ...(dates || {}) } });
        const failed = out.results.filter((x) => !x.ok);
        clear(bulkResults, h('div', { class: failed.length ? 'notice warn' : 'notice ok', role: 'status' },
          tr(VERB[action], { done: out.done, total: ids.length }),
          failed.length ? h('ul', { class: 'plain' }, failed.map((x) => h('li', null, `${names.get(x.id) || x.id}: ${x.detail}`))) : null));
        selected.clear();
        failed.forEach((x) => selected.add(x.id));
        await load();
      } catch (err) { toast(err.detail, 'error'); }
    });
  }

  const columns = [...(bulkOn ? [{ label: h('span', { class: 'visually-hidden' }, tr('users.select')) }] : []),
    { label: tr('users.name') }, { label: tr('users.email') }, { label: tr('users.mobile') }, { label: tr('users.role') }, { label: tr('users.status') }, { label: tr('users.access') }, { label: tr('users.lastSignIn') }];
  const rowOf = (u) => h('tr', { 'data-user': u.id },
    bulkOn ? h('td', { class: 'pick' }, h('input', { type: 'checkbox', name: 'pick', value: u.id, checked: selected.has(u.id),
      'aria-label': tr('users.selectEmail', { email: u.name || u.email }), onchange: (e) => { if (e.target.checked) selected.add(u.id); else selected.delete(u.id); drawBulk(); } })) : null,
    h('td', null, h('a', { href: `/console/users/${encodeURIComponent(u.id)}` }, u.name || tr('users.noName')), u.badge ? h('span', { class: 'sub' }, tr('users.badgeBadge', { badge: u.badge })) : null),
    h('td', null, u.email || h('span', { class: 'muted' }, '—')),
    h('td', { class: 'phone' }, u.mobile || h('span', { class: 'muted' }, '—')),
    h('td', null, roleName(u.role)),
    h('td', null, statusBadge(u), u.mail !== undefined && !u.email_verified ? h('span', { class: 'sub' }, mailBadge(u.mail, mailOn),
      manage && u.office_access ? h('button', { type: 'button', class: 'btn small', 'aria-label': tr('users.resendVerificationMailToEmail', { email: u.email }), onclick: async (e) => {
        await busy(e.target, async () => {
          try { await api(`/v1/users/${encodeURIComponent(u.id)}/resend-verification`, { method: 'POST' }); toast(tr('users.verificationMailQueuedAgainFor', { email: u.email })); await load(); } catch (err) { toast(err.detail, 'error'); }
        });
      } }, tr('users.resend')) : null) : null),
    h('td', null, accessBadges(u)),
    h('td', { class: 'small' }, fmtTime(u.last_login_at)));

  /* Answers can arrive out of order (a slow search, then a fast one): only
     the newest request may fill the table. */
  let seq = 0;
  async function load(more = false) {
    const mine = ++seq;
    const params = { q: q.input.value.trim(), role: role.input.value, status: status.input.value, access: access.input.value };
    if (!more) {
      const sp = new URLSearchParams(Object.entries(params).filter(([, v]) => v));
      history.replaceState(null, '', `/console/users${sp.toString() ? `?${sp}` : ''}`);
    }
    const page = await api('/v1/users', { query: { ...params, limit: 50, cursor: more ? cursor : undefined } });
    if (mine !== seq) return;
    rows = more ? rows.concat(page.items) : page.items;
    cursor = page.next_cursor;
    for (const id of [...selected]) if (!rows.some((u) => u.id === id)) selected.delete(id);
    drawBulk();
    clear(tableHost, table({ columns, rows: rows.map(rowOf), caption: tr('users.users'),
      empty: q.input.value.trim() || role.input.value || status.input.value || access.input.value
        ? tr('users.noUsersMatchTheseFilters')
        : (manage ? tr('users.nobodyHereYetAddA') : tr('users.nobodyHereYet')) }));
    clear(foot, h('span', { role: 'status' }, tr('users.shown', { count: rows.length })),
      cursor ? h('button', { type: 'button', class: 'btn small', onclick: (e) => busy(e.target, () => load(true)) }, tr('users.loadMore')) : null);
  }
  const reload = debounce(() => load().catch((e) => toast(e.detail, 'error')), 250);
  q.input.addEventListener('input', reload);
  [role, status, access].forEach((f) => f.input.addEventListener('change', reload));
  const usersPanel = h('div', null, filters, bulkResults, bulkBar, tableHost, foot);

  /* ---- invitations table ---- */
  const invHost = h('div');
  async function loadInvites() {
    if (!invitesOn) return;
    const page = await api('/v1/invites', { query: { limit: 200 } });
    const items = page.items || [];
    const irow = (inv) => h('tr', { 'data-invite': inv.id },
      h('td', null, inv.email, (inv.invited_by?.name || inv.invited_by_name) ? h('span', { class: 'sub' }, tr('users.invitedBy', { name: inv.invited_by?.name || inv.invited_by_name })) : null),
      h('td', null, roleName(inv.role)),
      h('td', { class: 'small' }, fmtTime(inv.sent_at || inv.created_at)),
      h('td', null, mailBadge(inv.mail, mailOn)),
      h('td', { class: 'small' }, inv.expired ? badge(tr('users.expired'), 'warn') : fmtTime(inv.expires_at)),
      h('td', null, manage ? h('span', { class: 'row' },
        h('button', { type: 'button', class: 'btn small', 'aria-label': tr('users.resendInvitationToEmail', { email: inv.email }), onclick: async (e) => {
          await busy(e.target, async () => {
            try {
              const again = await api(`/v1/invites/${encodeURIComponent(inv.id)}/resend`, { method: 'POST' });
              // Issue 15: without mail the server hands the new link to copy instead.
              if (again.link) await showInviteLink(inv.email, again.link);
              else toast(tr('users.invitationSentAgainToEmail', { email: inv.email }));
              await loadInvites();
            } catch (err) { toast(err.detail, 'error'); }
          });
        } }, tr('users.resend')),
        h('button', { type: 'button', class: 'btn small danger', 'aria-label': tr('users.cancelInvitationToEmail', { email: inv.email }), onclick: async () => {
          const ok = await confirmDialog({ title: tr('users.cancelInvitation'), message: tr('users.cancelTheInvitationToEmail', { email: inv.email }),
            confirmLabel: tr('users.cancelInvitation'), danger: true,
            action: () => api(`/v1/invites/${encodeURIComponent(inv.id)}`, { method: 'DELETE' }) });
          if (ok) { toast(tr('users.invitationToEmailCancelled', { email: inv.email })); await reloadAll(); }
        } }, tr('common.cancel'))) : null));
    clear(invHost, table({
      columns: [{ label: tr('users.email') }, { label: tr('users.role') }, { label: tr('users.invited') }, { label: tr('users.mail') }, { label: tr('users.expires') }, { label: tr('users.actions') }],
      rows: items.map(irow), caption: tr('users.pendingInvitations'), empty: tr('users.noInvitationsAreWaiting'),
    }), manage ? h('div', { class: 'table-foot' }, h('span', { class: 'spacer' }),
      h('button', { type: 'button', class: 'btn primary', onclick: () => invite(r, reloadAll) }, tr('users.inviteOthers'))) : null);
    if (tabsEl) tabsEl.querySelector('[data-count=invites]').textContent = String(items.length);
  }

  async function reloadAll() {
    const o2 = await org(true);
    clear(stats, seatStats(o2));
    await Promise.all([load(), loadInvites()]);
  }

  let tabsEl = null;
  if (invitesOn) {
    tabsEl = tabs([
      { id: 'users', label: h('span', null, tr('users.users')), panel: usersPanel },
      { id: 'invites', label: h('span', null, tr('users.invitations'), h('span', { class: 'badge count', 'data-count': 'invites' }, '…')), panel: invHost },
    ], query.tab === 'invites' ? 'invites' : 'users');
    main.append(tabsEl);
  } else {
    main.append(usersPanel);
  }
  await Promise.all([load(), loadInvites()]);
}

/** "Invite others" (003): one email per line, one role for all. */
export async function invite(r, after) {
  const emails = field({ label: tr('users.emailAddresses'), name: 'emails', type: 'textarea', required: true,
    hint: tr('users.oneEmailAddressPerLine'), attrs: { autocomplete: 'off', spellcheck: 'false' } });
  const assignable = r.items;
  const role = field({ label: tr('users.role'), name: 'role', type: 'select', required: true,
    value: assignable.find((x) => !x.permissions.includes('users.manage') && !x.device)?.key || assignable[0]?.key,
    options: assignable.map((x) => ({ value: x.key, label: x.device ? tr('users.sharedDisplay', { name: x.name }) : x.name })) });
  const results = h('div', { 'aria-live': 'polite' });
  const form = h('form', { id: 'invite-form', novalidate: true }, emails, role, results);
  let sent = false;
  await openDialog({
    title: tr('users.inviteOthers'), body: form, label: tr('users.inviteOthers'),
    actions: [
      { label: tr('users.close'), value: null },
      { label: tr('users.sendInvitations'), kind: 'primary', submit: true, form: 'invite-form' },
    ],
    onOpen: (dlg) => {
      emails.input.focus();
      form.addEventListener('submit', async (e) => {
        e.preventDefault();
        clearErrors(form);
        const list = emails.input.value.split(/[\n,;]+/).map((s) => s.trim()).filter(Boolean);
        if (!list.length) { showError(form, { field: 'emails', detail: tr('users.enterAtLeastOneEmail') }); return; }
        const btn = dlg.querySelector('button[type=submit]');
        await busy(btn, async () => {
          try {
            const out = await api('/v1/invites', { method: 'POST', body: { emails: list, role: role.input.value } });
            sent = true;
            await showInviteResults(results, out, emails);
          } catch (err) { showError(form, err); }
        });
      });
    },
  });
  if (sent) await after?.();
}

const REASONS = {
  get invalid_email() { return tr('users.reason.invalidEmail'); }, get malformed() { return tr('users.reason.invalidEmail'); },
  get already_member() { return tr('users.reason.alreadyMember'); }, get already_invited() { return tr('users.reason.alreadyInvited'); },
  get duplicate() { return tr('users.reason.duplicate'); }, get seat_limit_reached() { return tr('users.reason.noSeat'); },
};

/** An invitation link to copy (issue 15: only offered when mail is not configured). */
function inviteLinkBox(email, link) {
  const el = h('code', { class: 'secret' }, link);
  return h('div', { 'data-invite-link': email }, h('p', { class: 'small' }, tr('users.mailIsNotConfiguredCopy', { email })), el,
    h('div', { class: 'row mt' }, h('button', { type: 'button', class: 'btn small', 'aria-label': tr('users.copyTheInvitationLinkFor', { email }), onclick: () => copyText(link, el) }, tr('users.copy'))));
}

async function showInviteLink(email, link) {
  await openDialog({
    title: tr('users.copyTheInvitationLink'), body: inviteLinkBox(email, link),
    actions: [{ label: tr('common.done'), kind: 'primary' }],
  });
}

async function showInviteResults(host, out, emailsField) {
  const items = out.results || out.items || [];
  const ok = items.filter((x) => x.status === 'invited' || x.invited === true);
  const rows = items.map((x) => {
    const good = x.status === 'invited' || x.invited === true;
    return h('tr', { class: good ? '' : 'row-error' },
      h('td', null, x.email),
      h('td', null, good ? badge(tr('users.invited'), 'ok') : badge(tr('users.notInvited'), 'danger')),
      h('td', { class: 'small wrap' }, good ? (x.link ? inviteLinkBox(x.email, x.link) : '') : (x.detail || REASONS[x.code || x.status] || x.code || x.status)));
  });
  // Issue 15: "sent" only when mail can leave; otherwise say plainly that it cannot.
  const mailOn = (await org()).mail_configured !== false;
  clear(host,
    h('div', { class: ok.length === items.length ? 'notice ok' : 'notice warn', role: 'status' },
      tr(mailOn ? 'users.invitesQueued' : 'users.invitesCreated', { ok: ok.length, count: items.length })),
    table({ columns: [{ label: tr('users.email') }, { label: tr('users.result') }, { label: mailOn ? tr('users.whyNot') : tr('users.linkOrWhyNot') }], rows, caption: tr('users.invitationResults') }));
  // Leave only the addresses that failed, to fix and send again.
  emailsField.input.value = items.filter((x) => !(x.status === 'invited' || x.invited === true)).map((x) => x.email).join('\n');
}

/** Adds one staff member: an office user (mailed a confirmation link) or, with factory access, a worker with a badge. */
async function addUser(r, navigate) {
  const factoryOn = hasFeature('/v1/users/{id}/pin');
  const name = field({ label: tr('users.name'), name: 'name', required: true, attrs: { autocomplete: 'off' } });
  const email = field({ label: tr('users.email'), name: 'email', type: 'email', hint: tr('users.theyGetALinkTo'), attrs: { autocomplete: 'off' } });
  const role = field({ label: tr('users.role'), name: 'role', type: 'select', value: r.items.find((x) => !x.permissions.includes('users.manage'))?.key,
    options: r.items.filter((x) => !x.device).map((x) => ({ value: x.key, label: x.name })) });
  const kind = factoryOn ? field({ label: tr('users.access'), name: 'kind', type: 'select', value: 'office', options: [
    { value: 'office', label: tr('users.officeSignsInWithEmail') },
    { value: 'factory', label: tr('users.factorySignsInAtThe') },
  ] }) : null;
  const badgeF = field({ label: tr('users.badgeOrEmployeeCode'), name: 'badge', hint: tr('users.typedOrScannedAtThe'), attrs: { autocomplete: 'off' } });
  badgeF.hidden = true;
  if (kind) kind.input.addEventListener('change', () => {
    const f = kind.input.value === 'factory';
    badgeF.hidden = !f; email.hidden = f;
  });
  const expires = field({ label: tr('users.accountExpiresOptional'), name: 'expires_at', type: 'datetime-local',
    hint: tr('users.forTemporaryAndSeasonalWorkers') });
  const form = h('form', { id: 'add-user-form', novalidate: true }, name, kind, email, badgeF, role, expires);
  await openDialog({
    title: tr('users.addStaffMember'), body: form,
    actions: [{ label: tr('common.cancel') }, { label: tr('users.add'), kind: 'primary', submit: true, form: 'add-user-form' }],
    onOpen: (dlg) => {
      name.input.focus();
      form.addEventListener('submit', async (e) => {
        e.preventDefault();
        clearErrors(form);
        const factory = kind?.input.value === 'factory';
        const body = { name: name.input.value.trim(), role: role.input.value };
        if (factory) { body.badge = badgeF.input.value.trim(); body.factory_access = true; } else body.email = email.input.value.trim();
        if (expires.input.value) body.expires_at = new Date(expires.input.value).toISOString();
        await busy(dlg.querySelector('button[type=submit]'), async () => {
          try {
            const u = await api('/v1/users', { method: 'POST', body });
            dlg.finish(u);
            toast(factory ? tr('users.addedWorker', { name: u.name }) : tr('users.addedOffice', { name: u.name, email: u.email }));
            navigate(`/users/${encodeURIComponent(u.id)}`);
          } catch (err) { showError(form, err); }
        });
      });
    },
  });
}
