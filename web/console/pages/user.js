// A user's page (003): email, role, modules and direct grants; lock/unlock,
// password reset, revoke sessions, delete; factory access (002: kiosk PIN
// shown once with the kiosk link, revoke); groups; the access explanation;
// the person's activity per day (000) and their time records (check-ins per
// day and task, 000).
import { api } from '/console/api.js';
import { h, clear, append, field, checkbox, showError, clearErrors, busy, openDialog, confirmDialog, toast, badge, copyText, table, fmtTime, fmtDuration } from '/console/dom.js';
import { state, can, catalog, roles, org } from '/console/state.js';
import { hasFeature, refreshMe } from '/console/app.js';
import { statusBadge, accessBadges } from '/console/pages/users.js';
import { explainCard } from '/console/pages/explain.js';
import { activityCard } from '/console/pages/activity.js';
import { t as tr, LANGUAGES } from '/console/i18n.js';

export async function render(ctx) {
  const { main, params, navigate } = ctx;
  const id = params.id;
  const [u, cat, r, o] = await Promise.all([api(`/v1/users/${encodeURIComponent(id)}`), catalog(), roles(true), org(true)]);
  const manage = can('users.manage');
  const self = u.id === state.me.id;
  const roleName = (k) => r.items.find((x) => x.key === k)?.name || k || '(none)';
  const who = u.name || u.email || tr('user.thisPerson');
  const redraw = () => { clear(main); return render(ctx); };

  main.append(
    h('nav', { class: 'crumbs', 'aria-label': tr('user.breadcrumb') }, h('a', { href: '/console/users' }, tr('user.users')), ' / ', u.name),
    h('div', { class: 'page-head' },
      h('div', null,
        h('h1', null, u.name || u.email),
        h('p', { class: 'sub' }, [u.email, roleName(u.role)].filter(Boolean).join(' · ')),
        h('div', { class: 'badges' }, statusBadge(u), accessBadges(u), self ? badge(tr('user.you'), 'outline') : null)),
      manage ? h('div', { class: 'actions' }, u.status === 'locked'
        ? h('button', { type: 'button', class: 'btn', onclick: (e) => act(e.target, 'unlock', tr('user.canSignInAgain', { who })) }, tr('user.unlock'))
        : h('button', { type: 'button', class: 'btn', onclick: () => lockUser() }, tr('user.lock'))) : null));

  async function act(btn, verb, msg) {
    await busy(btn, async () => {
      try { await api(`/v1/users/${encodeURIComponent(u.id)}/${verb}`, { method: 'POST' }); toast(msg); await redraw(); } catch (e) { toast(e.detail, 'error'); }
    });
  }
  async function lockUser() {
    const ok = await confirmDialog({
      title: tr('user.lockWho', { who }),
      message: tr('user.whoIsSignedOutEverywhere', { who }),
      confirmLabel: tr('user.lockAccount'), danger: true,
      action: () => api(`/v1/users/${encodeURIComponent(u.id)}/lock`, { method: 'POST' }),
    });
    if (ok) { toast(tr('user.whoIsLocked', { who })); await redraw(); }
  }

  /* ---- second factors: which ones, and a reset (never the factors themselves) ---- */
  if (u.office_access && hasFeature('/v1/users/{id}/mfa')) {
    const mfaHost = h('section', { class: 'card', 'aria-labelledby': 'mfa-h', 'data-testid': 'user-mfa' });
    main.append(mfaHost);
    try {
      const m = await api(`/v1/users/${encodeURIComponent(u.id)}/mfa`);
      const reset = manage && !self && (m.totp || m.recovery_codes_left > 0 || m.passkeys > 0)
        ? h('button', { type: 'button', class: 'btn danger', onclick: async () => {
          const ok = await confirmDialog({ title: tr('user.resetWhoSSecondFactor', { who }),
            message: tr('user.whoSAuthenticatorAppPasskeys', { who }),
            confirmLabel: tr('user.reset'), danger: true,
            action: () => api(`/v1/users/${encodeURIComponent(u.id)}/mfa/reset`, { method: 'POST' }) });
          if (ok) { toast(tr('user.whoSSecondFactorWas', { who })); await redraw(); }
        } }, tr('user.resetSecondFactor')) : null;
      mfaHost.append(h('h2', { id: 'mfa-h' }, tr('user.secondFactor')),
        h('p', null, tr('user.authenticatorApp'), m.totp ? badge(tr('user.setUp'), 'ok') : badge(tr('user.none'), 'outline'),
          m.totp ? tr('user.recoveryLeft', { n: m.recovery_codes_left }) : '',
          tr('user.passkeysLabel'), m.passkeys > 0 ? badge(String(m.passkeys), 'ok') : badge(tr('user.none'), 'outline'),
          m.required && !m.totp ? h('span', { class: 'sub' }, tr('user.requiredByTheOrganizationSet')) : null),
        ...(reset ? [reset] : [])); /* the DOM's append writes null as text */
    } catch (e) { mfaHost.append(h('p', { class: 'muted' }, e.detail || tr('user.notAvailable'))); }
  }

  /* ---- electronic signature: whether the person may sign (users.manage turns it on and off) ---- */
  if (u.office_access && hasFeature('/v1/users/{id}/esignature')) {
    const esHost = h('section', { class: 'card', 'aria-labelledby': 'esig-h', 'data-testid': 'user-esignature' });
    main.append(esHost);
    try {
      const es = await api(`/v1/users/${encodeURIComponent(u.id)}/esignature`);
      const toggle = manage ? h('button', { type: 'button', class: es.enabled ? 'btn danger' : 'btn', onclick: () => busy(toggle, async () => {
        try {
          await api(`/v1/users/${encodeURIComponent(u.id)}/esignature`, { method: 'PUT', body: { enabled: !es.enabled } });
          toast(tr(es.enabled ? 'user.esignOff' : 'user.esignOn', { who }));
          await redraw();
        } catch (err) { toast(err.detail || err.message, 'error'); }
      }) }, es.enabled ? tr('user.disableESignature') : tr('user.enableESignature')) : null;
      esHost.append(h('h2', { id: 'esig-h' }, tr('user.electronicSignature')),
        h('p', null, tr('user.eSignature'), es.enabled ? badge(tr('user.enabled'), 'ok') : badge(tr('user.notEnabled'), 'outline'),
          h('span', { class: 'sub' }, tr('user.signsRecordsWithTheirOwn'))),
        ...(toggle ? [toggle] : []));
    } catch (e) { esHost.append(h('p', { class: 'muted' }, e.detail || tr('user.notAvailable'))); }
  }

  /* ---- account details ---- */
  const email = field({ label: tr('user.email'), name: 'email', type: 'email', value: u.email || '', disabled: !manage,
    hint: u.office_access && !u.email_verified ? tr('user.notConfirmedYet') : undefined });
  // A factory worker without office access has no profile: users.manage corrects their name here.
  const nameEditable = manage && !self && !u.office_access;
  const name = field({ label: tr('user.name'), name: 'name', value: u.name || '', readonly: !nameEditable,
    hint: self ? tr('user.changeItInMyProfile') : nameEditable ? tr('user.factoryWorkersHaveNoProfile') : tr('user.onlyTheyCanChangeIt') });
  const mobile = field({ label: tr('user.mobile'), name: 'mobile', value: u.mobile || '', readonly: true, hint: self ? tr('user.changeItInMyProfile') : tr('user.onlyTheyCanChangeIt') });
  const role = field({ label: tr('user.role'), name: 'role', type: 'select', value: u.role, disabled: !manage,
    options: r.items.map((x) => ({ value: x.key, label: x.device ? tr('user.sharedDisplay', { name: x.name }) : x.name })) });
  const office = checkbox({ label: tr('user.officeAccess'), name: 'office_access', checked: u.office_access, disabled: !manage,
    desc: tr('user.signsInToTheConsole') });
  const exempt = checkbox({ label: tr('user.exemptFromTheSingleTask'), name: 'checkin_exempt', checked: u.checkin_exempt, disabled: !manage,
    desc: tr('user.forPeopleWhoRunBatch') });
  // Changing one's own e-mail address re-authenticates (the server asks for the password).
  const current = self && manage ? field({ label: tr('user.currentPassword'), name: 'current_password', type: 'password',
    hint: tr('user.neededOnlyToChangeYour'), attrs: { autocomplete: 'current-password' } }) : null;
  const accountForm = h('form', { novalidate: true, 'aria-labelledby': 'acct-h' },
    h('div', { class: 'grid-2' }, name, mobile, email, role, current),
    h('div', { class: 'field', 'data-field': 'office_access' }, office, h('div', { class: 'error', hidden: true })),
    h('div', { class: 'field', 'data-field': 'checkin_exempt' }, exempt, h('div', { class: 'error', hidden: true })),
    manage ? h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn primary' }, tr('user.saveChanges'))) : null);
  accountForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(accountForm);
    const body = {};
    if (nameEditable && name.input.value.trim() !== (u.name || '')) body.name = name.input.value.trim();
    if ((email.input.value.trim() || '') !== (u.email || '')) body.email = email.input.value.trim();
    if (body.email !== undefined && current && current.input.value) body.current_password = current.input.value;
    if (role.input.value !== u.role) body.role = role.input.value;
    if (office.input.checked !== u.office_access) body.office_access = office.input.checked;
    if (exempt.input.checked !== u.checkin_exempt) body.checkin_exempt = exempt.input.checked;
    if (!Object.keys(body).length) { toast(tr('user.nothingChanged')); return; }
    await busy(e.submitter, async () => {
      try {
        await api(`/v1/users/${encodeURIComponent(u.id)}`, { method: 'PATCH', body });
        if (current) current.input.value = '';
        toast(tr('user.changesSaved'));
        if (self) await refreshMe();
        await redraw();
      } catch (err) { showError(accountForm, err); }
    });
  });
  main.append(h('section', { class: 'card', 'aria-labelledby': 'acct-h' }, h('h2', { id: 'acct-h' }, tr('user.account')), accountForm));

  /* ---- explanation ---- */
  try {
    const ex = await api(`/v1/users/${encodeURIComponent(u.id)}/permissions`, { query: { explain: 1 } });
    main.append(explainCard(ex, cat, roleName, who));
  } catch (e) { main.append(h('section', { class: 'card' }, h('h2', null, tr('user.accessExplained')), h('p', { class: 'form-error' }, e.detail))); }

  /* ---- modules and direct grants ---- */
  const orgModules = o.modules;
  const allMods = h('input', { type: 'radio', name: 'modmode', id: 'mods-all', value: 'all', checked: u.modules === null, disabled: !manage });
  const someMods = h('input', { type: 'radio', name: 'modmode', id: 'mods-some', value: 'some', checked: u.modules !== null, disabled: !manage });
  const modBoxes = cat.modules.filter((m) => orgModules.includes(m.key)).map((m) => checkbox({
    label: m.name, name: 'module', value: m.key, desc: m.always_on ? tr('user.alwaysOn') : m.tabs.map((t) => t.name).join(', '),
    checked: m.always_on || u.modules === null || u.modules.includes(m.key), disabled: !manage || m.always_on || u.modules === null,
  }));
  const syncMods = () => modBoxes.forEach((b) => {
    const m = cat.modules.find((x) => x.key === b.input.value);
    b.input.disabled = !manage || m.always_on || allMods.checked;
    if (allMods.checked) b.input.checked = true;
  });
  allMods.addEventListener('change', syncMods);
  someMods.addEventListener('change', syncMods);
  const notInOrg = cat.modules.filter((m) => !orgModules.includes(m.key)).map((m) => m.name);

  const rolePerms = new Set(r.items.find((x) => x.key === u.role)?.permissions || []);
  const grantBoxes = [];
  const grantGroups = cat.modules.map((m) => {
    const perms = cat.permissions.filter((p) => p.module === m.key);
    if (!perms.length) return null;
    return h('fieldset', null, h('legend', null, m.name),
      h('div', { class: 'checks-grid' }, perms.map((p) => {
        const b = checkbox({ label: p.name, name: 'grant', value: p.key, checked: u.grants.includes(p.key), disabled: !manage,
          desc: rolePerms.has(p.key) ? tr('user.alreadyInTheRoleRole', { role: roleName(u.role) }) : (p.addon ? tr('user.needsAddon', { addon: cat.addons.find((a) => a.key === p.addon)?.name || p.addon }) : null) });
        grantBoxes.push(b);
        return b;
      })));
  });
  const accessForm = h('form', { novalidate: true },
    h('fieldset', { class: 'field', 'data-field': 'modules' },
      h('legend', null, tr('user.modules')),
      h('p', { class: 'muted small' }, tr('user.onlyTheTabsOfThese')),
      h('label', { class: 'check', for: 'mods-all' }, allMods, h('span', null, tr('user.allTheOrganizationSModules'))),
      h('label', { class: 'check', for: 'mods-some' }, someMods, h('span', null, tr('user.onlyTheseModules'))),
      h('div', { class: 'checks-grid' }, modBoxes),
      notInOrg.length ? h('p', { class: 'muted small' }, tr('user.notInSubscription', { modules: notInOrg.join(', ') })) : null,
      h('div', { class: 'error', hidden: true })),
    h('div', { class: 'field', 'data-field': 'grants' },
      h('div', { class: 'label' }, tr('user.directGrants')),
      h('p', { class: 'muted small' }, tr('user.permissionsGivenToWhoOn', { who })),
      h('details', { open: u.grants.length > 0 },
        h('summary', null, u.grants.length ? tr('user.directGrantsN', { count: u.grants.length }) : tr('user.noDirectGrantsShowAll')),
        grantGroups),
      h('div', { class: 'error', hidden: true })),
    manage ? h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn primary' }, tr('user.saveAccess'))) : null);
  accessForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(accessForm);
    const body = {
      modules: allMods.checked ? null : modBoxes.filter((b) => b.input.checked).map((b) => b.input.value),
      grants: grantBoxes.filter((b) => b.input.checked).map((b) => b.input.value),
    };
    await busy(e.submitter, async () => {
      try {
        await api(`/v1/users/${encodeURIComponent(u.id)}`, { method: 'PATCH', body });
        toast(tr('user.accessSaved'));
        if (self) await refreshMe();
        await redraw();
      } catch (err) { showError(accessForm, err); }
    });
  });
  main.append(h('section', { class: 'card', 'aria-labelledby': 'access-h' }, h('h2', { id: 'access-h' }, tr('user.modulesAndDirectGrants')), accessForm));

  /* ---- factory access (kiosk PIN) ---- */
  if (hasFeature('/v1/users/{id}/pin')) main.append(factoryCard(u, o, manage, who, redraw));

  /* ---- groups ---- */
  if (Array.isArray(u.groups)) {
    main.append(h('section', { class: 'card', 'aria-labelledby': 'groups-h' },
      h('div', { class: 'card-head' }, h('h2', { id: 'groups-h' }, tr('user.groups')),
        can('groups.manage') ? h('div', { class: 'actions' }, h('a', { class: 'btn small', href: '/console/groups' }, tr('user.manageGroups'))) : null),
      u.groups.length ? h('ul', { class: 'badges plain' }, u.groups.map((g) => h('li', null,
        can('groups.manage') ? h('a', { class: 'badge accent', href: `/console/groups/${encodeURIComponent(g.id)}` }, g.name) : badge(g.name, 'accent'))))
        : h('p', { class: 'muted' }, tr('user.whoIsInNoGroup', { who }))));
  }

  /* ---- activity ---- */
  if (hasFeature('/v1/users/{id}/activity')) {
    const card = h('section', { class: 'card', 'aria-labelledby': 'act-h' }, h('h2', { id: 'act-h' }, tr('user.activity')));
    main.append(card);
    activityCard(card, u).catch((e) => card.append(h('p', { class: 'form-error' }, e.detail || e.message)));
  }

  /* ---- time records (check-ins) ---- */
  if (hasFeature('/v1/timesheets') && (can('tasks.assign') || can('users.view'))) {
    const card = h('section', { class: 'card', 'aria-labelledby': 'time-h' }, h('h2', { id: 'time-h' }, tr('user.timeRecords')));
    main.append(card);
    timeCard(card, u, who).catch((e) => card.append(h('p', { class: 'form-error' }, e.detail || e.message)));
  }

  /* ---- how the person signs in: password, company sign-in identities (issue 16) ---- */
  if ((can('users.view') || manage) && hasFeature('/v1/users/{id}/sign-in-methods')) {
    const card = h('section', { class: 'card', 'aria-labelledby': 'signin-h', 'data-testid': 'user-signin-methods' },
      h('h2', { id: 'signin-h' }, tr('user.howTheySignIn')));
    main.append(card);
    signInMethodsCard(card, u, who, manage).catch((e) => card.append(h('p', { class: 'form-error' }, e.detail || e.message)));
  }

  /* ---- open sessions, ended one by one (a display account has one per screen) ---- */
  if (manage && !self && hasFeature('/v1/users/{id}/sessions')) {
    const card = h('section', { class: 'card', 'aria-labelledby': 'sess-h' }, h('h2', { id: 'sess-h' }, tr('user.openSessions')));
    main.append(card);
    sessionsCard(card, u, who, r).catch((e) => card.append(h('p', { class: 'form-error' }, e.detail || e.message)));
  }

  /* ---- temporary and seasonal workers (003): expiry date, scheduled lock and unlock ---- */
  if (manage && !self && 'expires_at' in u) main.append(scheduleCard(u, who, redraw));

  /* ---- account actions ---- */
  if (manage) {
    const actions = h('section', { class: 'card', 'aria-labelledby': 'danger-h' },
      h('h2', { id: 'danger-h' }, tr('user.signInAndAccount')),
      h('div', { class: 'stack' },
        actionRow(tr('user.resetPassword'), tr('user.mailsResetLink', { email: u.email || tr('user.thePerson') }),
          h('button', { type: 'button', class: 'btn', disabled: !u.email, onclick: (e) => act(e.target, 'password-reset', tr('user.aPasswordResetLinkWas', { email: u.email })) }, tr('user.sendResetLink'))),
        actionRow(tr('user.revokeAllSessions'), tr('user.signsWhoOutOfEvery', { who }),
          h('button', { type: 'button', class: 'btn', onclick: async (e) => {
            await busy(e.target, async () => {
              try {
                const res = await api(`/v1/users/${encodeURIComponent(u.id)}/revoke-sessions`, { method: 'POST' });
                toast(tr('user.sessionsEnded', { count: res.sessions_revoked }));
                if (self) location.assign('/console/sign-in');
              } catch (err) { toast(err.detail, 'error'); }
            });
          } }, tr('user.revokeSessions'))),
        u.status === 'locked'
          ? actionRow(tr('user.unlockAccount'), tr('user.canSignInAgain', { who }), h('button', { type: 'button', class: 'btn', onclick: (e) => act(e.target, 'unlock', tr('user.canSignInAgain', { who })) }, tr('user.unlock')))
          : actionRow(tr('user.lockAccount'), tr('user.forTemporaryOrSeasonalWorkers'),
            h('button', { type: 'button', class: 'btn', onclick: () => lockUser() }, tr('user.lock'))),
        actionRow(tr('user.deleteUser'), tr('user.removesTheAccountForGood'),
          h('button', { type: 'button', class: 'btn danger', onclick: () => deleteUser() }, tr('user.deleteUser2')))));
    main.append(actions);
  }

  async function deleteUser() {
    const ok = await confirmDialog({
      title: tr('user.deleteWho', { who }),
      message: [h('p', null, tr('user.thisPermanentlyDeletes'), h('strong', null, who), u.email ? ` (${u.email})` : '', '. It cannot be undone.'),
        h('p', { class: 'muted' }, tr('user.theirAuditTrailStaysTo'))],
      confirmLabel: tr('user.deleteWho2', { who }), danger: true,
      action: () => api(`/v1/users/${encodeURIComponent(u.id)}`, { method: 'DELETE' }),
    });
    if (ok) { toast(tr('user.whoWasDeleted', { who })); navigate('/users'); }
  }
}

/** Time checked in per UTC day and task over the last 7 days (the server's default range), and any open check-in. */
async function timeCard(card, u, who) {
  const [ts, open] = await Promise.all([
    api('/v1/timesheets', { query: { user_id: u.id } }),
    api('/v1/checkins', { query: { user_id: u.id, open: 1, limit: 20 } }).catch(() => ({ items: [] })),
  ]);
  const taskLink = (t) => h('a', { href: `/console/tasks/${encodeURIComponent(t.task_id || t.id)}` }, t.ref);
  // dom.js append skips what is absent (the DOM's own append would write "null").
  append(card, [
    h('p', { class: 'muted' }, tr('user.closedCheckInsOfWho', { who })),
    h('div', { class: 'stats' }, h('div', { class: 'stat' }, h('span', { class: 'label' }, tr('user.last7Days')), h('span', { class: 'value' }, fmtDuration(ts.total_s)))),
    open.items.length ? h('p', { class: 'notice', 'data-testid': 'open-checkins' }, tr('user.checkedInNow'),
      open.items.map((c, i) => [i ? ', ' : '', taskLink(c.task), ` ${c.task.title} since ${fmtTime(c.started_at)}`])) : null,
    table({
      caption: tr('user.timeRecords'), empty: tr('user.noTimeRecordedInThe'),
      columns: [{ label: tr('user.dayUtc') }, { label: tr('user.tasks') }, { label: tr('user.total'), class: 'num' }],
      rows: (ts.days || []).map((d) => h('tr', null,
        h('th', { scope: 'row', class: 'nowrap' }, d.date),
        h('td', { class: 'wrap' }, h('ul', { class: 'plain' }, d.tasks.map((t) => h('li', null, taskLink(t), ` ${t.title}: ${fmtDuration(t.seconds)}`)))),
        h('td', { class: 'num nowrap' }, fmtDuration(d.total_s)))),
    })]);
}

/** The person's (or display account's) open sessions, each with its own end button. */
async function sessionsCard(card, u, who, r) {
  const device = !!r.items.find((x) => x.key === u.role)?.device;
  const host = h('div', { 'aria-busy': 'true' }, h('p', { class: 'muted' }, tr('user.loadingSessions')));
  card.append(h('p', { class: 'muted small' }, device
    ? tr('user.aDisplayAccountStaysSigned')
    : tr('user.endASessionToSign', { who })), host);
  const draw = async () => {
    const list = await api(`/v1/users/${encodeURIComponent(u.id)}/sessions`);
    host.removeAttribute('aria-busy');
    clear(host, table({
      caption: tr('user.openSessions'), empty: tr('user.whoIsNotSignedIn', { who }),
      columns: [{ label: tr('user.where') }, { label: tr('user.started') }, { label: tr('user.lastSeen') }, { label: tr('user.ends') }, { label: tr('user.actions') }],
      rows: list.items.map((x) => h('tr', { 'data-session': x.id },
        h('td', { class: 'wrap' }, x.kind === 'kiosk' ? tr('user.kiosk') : (x.device ? tr('user.display') : tr('user.console')), h('span', { class: 'sub' }, [x.ip, x.user_agent].filter(Boolean).join(' · '))),
        h('td', { class: 'small' }, fmtTime(x.created_at)),
        h('td', { class: 'small' }, fmtTime(x.last_seen_at)),
        h('td', { class: 'small' }, fmtTime(x.expires_at), x.idle_timeout_s === 0 ? h('span', { class: 'sub' }, tr('user.noIdleTimeout')) : null),
        h('td', null, h('button', { type: 'button', class: 'btn small danger', 'aria-label': tr('user.endTheSessionStartedCreated', { created_at: fmtTime(x.created_at) }), onclick: async (e) => {
          await busy(e.target, async () => {
            try { await api(`/v1/users/${encodeURIComponent(u.id)}/sessions/${encodeURIComponent(x.id)}`, { method: 'DELETE' }); toast(tr('user.sessionEnded')); await draw(); } catch (err) { toast(err.detail, 'error'); }
          });
        } }, tr('user.endSession'))))),
    }));
  };
  await draw();
}

/** Password and linked company sign-in identities; users.manage unlinks one. */
async function signInMethodsCard(card, u, who, manage) {
  const host = h('div', { 'aria-busy': 'true' }, h('p', { class: 'muted' }, tr('user.loading')));
  card.append(host);
  const draw = async () => {
    const m = await api(`/v1/users/${encodeURIComponent(u.id)}/sign-in-methods`);
    host.removeAttribute('aria-busy');
    const pw = !m.password ? tr('user.noPasswordSet')
      : m.password_allowed ? tr('user.passwordSet') : tr('user.passwordSetButNotUsable');
    clear(host, h('p', { 'data-testid': 'password-state' }, pw), table({
      caption: tr('user.companySignInIdentities'), empty: tr('user.whoHasNotSignedIn', { who }),
      columns: [{ label: tr('user.protocol') }, { label: tr('user.issuer') }, { label: tr('user.subject') }, { label: tr('user.linked') }, { label: tr('user.lastUsed') }, ...(manage ? [{ label: tr('user.actions') }] : [])],
      rows: m.identities.map((x) => h('tr', { 'data-identity': x.id },
        h('td', null, x.kind === 'oidc' ? 'OpenID Connect' : 'SAML'),
        h('td', { class: 'wrap' }, h('code', null, x.issuer)),
        h('td', { class: 'wrap' }, h('code', null, x.subject)),
        h('td', { class: 'small' }, fmtTime(x.created_at)),
        h('td', { class: 'small' }, x.last_used_at ? fmtTime(x.last_used_at) : tr('user.never')),
        manage ? h('td', null, h('button', { type: 'button', class: 'btn small danger', 'aria-label': tr('user.unlinkSubject', { subject: x.subject }), onclick: async () => {
          const ok = await confirmDialog({
            title: tr('user.unlinkThisIdentity'),
            message: tr('user.whoCanNoLongerSignAt', { who, subject: x.subject }),
            confirmLabel: tr('user.unlink'), danger: true,
            action: () => api(`/v1/users/${encodeURIComponent(u.id)}/identities/${encodeURIComponent(x.id)}`, { method: 'DELETE' }),
          });
          if (ok) { toast(tr('user.identityUnlinked')); await draw(); }
        } }, tr('user.unlink'))) : null)),
    }));
  };
  await draw();
}

function actionRow(title, text, button) {
  return h('div', { class: 'action-row' }, h('div', null, h('h3', null, title), h('p', { class: 'muted small' }, text)), button);
}

/** Factory access (002): badge and factory seat; a temporary kiosk PIN shown once with the kiosk link; revoke. */
function factoryCard(u, o, manage, who, redraw) {
  const kioskLink = `${location.origin}/kiosk/${encodeURIComponent(o.slug)}/`;
  const personal = u.badge ? `${kioskLink}?badge=${encodeURIComponent(u.badge)}` : kioskLink;
  const pinState = !u.factory_access ? tr('user.noFactoryAccess')
    : u.kiosk_pin_blocked ? tr('user.blockedAfterTooManyWrong')
      : u.kiosk_pin_set ? tr('user.set') : tr('user.notSetYetSetOne');
  const factory = checkbox({ label: tr('user.factoryAccess'), name: 'factory_access', checked: u.factory_access, disabled: !manage,
    desc: tr('user.signsInAtTheKiosk') });
  const badgeF = field({ label: tr('user.badgeOrEmployeeCode'), name: 'badge', value: u.badge || '', disabled: !manage,
    hint: tr('user.typedOrScannedAtThe'), attrs: { autocomplete: 'off' } });
  // A factory worker without office access has no profile page of their own:
  // users.manage sets their language (office users choose it themselves).
  const langF = u.office_access ? null : field({ label: tr('user.language'), name: 'language', type: 'select', value: u.language || '',
    disabled: !manage, hint: tr('user.languageHint'),
    options: [{ value: '', label: tr('user.languageDefault') }, ...LANGUAGES.map((l) => ({ value: l.code, label: l.name }))] });
  const form = h('form', { novalidate: true },
    h('div', { class: 'field', 'data-field': 'factory_access' }, factory, h('div', { class: 'error', hidden: true })), badgeF, langF,
    manage ? h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn' }, tr('user.saveFactoryAccess'))) : null);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    const body = {};
    if (factory.input.checked !== u.factory_access) body.factory_access = factory.input.checked;
    const b = badgeF.input.value.trim();
    if (b !== (u.badge || '')) body.badge = b || null;
    if (langF && langF.input.value !== (u.language || '')) body.language = langF.input.value || null;
    if (!Object.keys(body).length) { toast(tr('user.nothingChanged')); return; }
    await busy(e.submitter, async () => {
      try { await api(`/v1/users/${encodeURIComponent(u.id)}`, { method: 'PATCH', body }); toast(tr('user.factoryAccessSaved')); await redraw(); } catch (err) { showError(form, err); }
    });
  });
  const card = h('section', { class: 'card', 'aria-labelledby': 'factory-h' },
    h('div', { class: 'card-head' }, h('h2', { id: 'factory-h' }, tr('user.factoryAccess')),
      manage && u.factory_access ? h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'btn primary', onclick: setPin, disabled: !u.badge }, u.kiosk_pin_set ? tr('user.resetKioskPin') : tr('user.setKioskPin')),
        u.kiosk_pin_set ? h('button', { type: 'button', class: 'btn danger', onclick: revoke }, tr('user.revokePin')) : null) : null),
    h('div', { class: 'grid-2' },
      form,
      h('dl', { class: 'dl' },
        h('dt', null, tr('user.kioskPin')), h('dd', { 'data-testid': 'pin-state' }, pinState),
        h('dt', null, tr('user.kioskLink')), h('dd', null, h('a', { href: personal }, personal)))));
  async function setPin() {
    let result = null;
    const go = await openDialog({
      title: tr('user.setATemporaryKioskPin'),
      body: h('div', null, h('p', null, tr('user.gatehouseMakesATemporaryPin', { who })),
        u.kiosk_pin_set ? h('p', { class: 'notice warn' }, tr('user.theirCurrentPinStopsWorking')) : null),
      actions: [{ label: tr('common.cancel'), value: false }, { label: tr('user.createPin'), kind: 'primary', value: true, onClick: async (dlg) => {
        try { result = await api(`/v1/users/${encodeURIComponent(u.id)}/pin`, { method: 'POST', body: {} }); return true; } catch (e) {
          dlg.querySelector('.dlg-body').prepend(h('div', { class: 'form-error', role: 'alert' }, e.detail));
          return false;
        }
      } }],
    });
    if (!go || !result) return;
    const link = result.personal_kiosk_url || result.kiosk_url || personal;
    const pinEl = h('code', { class: 'secret big', 'data-testid': 'temp-pin' }, result.pin);
    const linkEl = h('code', { class: 'secret' }, link);
    await openDialog({
      title: tr('user.temporaryPin'),
      body: h('div', null,
        h('p', null, tr('user.giveWhoThisPinAnd', { who })),
        h('div', { class: 'field' }, h('div', { class: 'label' }, tr('user.temporaryPin')), pinEl),
        h('div', { class: 'field' }, h('div', { class: 'label' }, tr('user.kioskLink')), linkEl,
          h('p', { class: 'hint' }, tr('user.theySignInWithBadge', { badge: u.badge }))),
        h('div', { class: 'row' },
          h('button', { type: 'button', class: 'btn small', onclick: () => copyText(tr('user.kioskLinkNtemporaryPinPin', { link, pin: result.pin }), pinEl) }, tr('user.copyLinkAndPin')))),
      actions: [{ label: 'OK', kind: 'primary', value: true }],
    });
    await redraw();
  }
  async function revoke() {
    const ok = await confirmDialog({ title: tr('user.revokeTheKioskPinOf', { who }),
      message: tr('user.whoCanNoLongerSign', { who }),
      confirmLabel: tr('user.revokePin'), danger: true,
      action: () => api(`/v1/users/${encodeURIComponent(u.id)}/pin`, { method: 'DELETE' }) });
    if (ok) { toast(tr('user.kioskPinRevokedForWho', { who })); await redraw(); }
  }
  return card;
}

/** A datetime-local value (the browser's time zone) from an RFC 3339 time, and back. */
const pad2 = (n) => String(n).padStart(2, '0');
function localValue(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())}T${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
}
const isoValue = (v) => (v ? new Date(v).toISOString() : null);

/** The account's dates: when it expires, and a scheduled lock and unlock, applied by the server. */
function scheduleCard(u, who, redraw) {
  const expires = field({ label: tr('user.accountExpires'), name: 'expires_at', type: 'datetime-local', value: localValue(u.expires_at),
    hint: tr('user.afterThisDateThePerson') });
  const lockAt = field({ label: tr('user.lockOn'), name: 'lock_at', type: 'datetime-local', value: localValue(u.lock_at),
    hint: tr('user.forTheEndOfA') });
  const unlockAt = field({ label: tr('user.unlockOn'), name: 'unlock_at', type: 'datetime-local', value: localValue(u.unlock_at),
    hint: tr('user.forTheReturnTheAccount') });
  const status = u.expired
    ? h('p', { class: 'notice warn', 'data-testid': 'expired-notice' }, tr('user.whoSAccountExpiredOn', { who, expires_at: fmtTime(u.expires_at) }))
    : null;
  const form = h('form', { class: 'stack', novalidate: true, 'aria-labelledby': 'sched-h' }, expires, lockAt, unlockAt,
    h('div', { class: 'row' }, h('button', { type: 'submit', class: 'btn primary' }, tr('user.saveDates'))));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    const body = {};
    for (const [f, key] of [[expires, 'expires_at'], [lockAt, 'lock_at'], [unlockAt, 'unlock_at']]) {
      const was = localValue(u[key]);
      if (f.input.value !== was) body[key] = isoValue(f.input.value);
    }
    if (!Object.keys(body).length) { toast(tr('user.nothingChanged')); return; }
    await busy(form.querySelector('button[type=submit]'), async () => {
      try {
        await api(`/v1/users/${encodeURIComponent(u.id)}`, { method: 'PATCH', body });
        toast(tr('user.whoSDatesAreSaved', { who }));
        await redraw();
      } catch (err) { showError(form, err); }
    });
  });
  return h('section', { class: 'card', 'aria-labelledby': 'sched-h', 'data-testid': 'user-schedule' },
    h('h2', { id: 'sched-h' }, tr('user.temporaryAccess')),
    h('p', { class: 'muted' }, tr('user.forTemporaryAndSeasonalWorkers')),
    status, form);
}
