// My profile (003): one's own name and mobile number, password, sessions,
// and what one's role and modules give.
import { api } from '/console/api.js';
import { h, clear, field, showError, clearErrors, busy, toast, badge, fmtTime, table, confirmDialog } from '/console/dom.js';
import { state, catalog, roles, tabName, moduleName } from '/console/state.js';
import { refreshMe } from '/console/app.js';
import { securitySection, passkeyAssertion } from '/console/pages/mfa.js';
import { t, LANGUAGES } from '/console/i18n.js';

export async function render(ctx) {
  const { main } = ctx;
  const me = state.me;
  const [cat, r] = await Promise.all([catalog(), roles()]);
  main.append(h('div', { class: 'page-head' }, h('div', null, h('h1', null, t('profile.title')),
    h('p', { class: 'sub' }, `${me.email} · ${me.org.name}`))));

  /* name and mobile */
  const name = field({ label: t('profile.name'), name: 'name', value: me.name, required: true, attrs: { autocomplete: 'name' } });
  const mobile = field({ label: t('profile.mobile'), name: 'mobile', type: 'tel', value: me.mobile || '', attrs: { autocomplete: 'tel' },
    hint: t('profile.mobileHint') });
  const lang = field({ label: t('profile.language'), name: 'language', type: 'select', value: me.language || '',
    hint: t('profile.languageHint'),
    options: [{ value: '', label: t('profile.languageBrowser') }, ...LANGUAGES.map((l) => ({ value: l.code, label: l.name }))] });
  lang.input.querySelectorAll('option').forEach((o) => { if (o.value) o.lang = o.value; });
  const pf = h('form', { novalidate: true }, name, mobile, lang, h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn primary' }, t('common.save'))));
  pf.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(pf);
    await busy(e.submitter, async () => {
      try {
        const language = lang.input.value || null;
        const changed = language !== (me.language || null);
        await api('/v1/me', { method: 'PATCH', body: { name: name.input.value.trim(), mobile: mobile.input.value.trim(), language } });
        await refreshMe();
        document.querySelector('.whoami').textContent = state.me.name;
        if (changed) { ctx.navigate('/profile', { replace: true }); toast(t('profile.saved')); return; }
        toast(t('profile.saved'));
      } catch (err) { showError(pf, err); }
    });
  });

  /* password */
  const cur = field({ label: t('profile.currentPassword'), name: 'current_password', type: 'password', required: true, attrs: { autocomplete: 'current-password' } });
  const nw = field({ label: t('profile.newPassword'), name: 'new_password', type: 'password', required: true, hint: t('profile.newPasswordHint'), attrs: { autocomplete: 'new-password' } });
  const nw2 = field({ label: t('profile.repeatPassword'), name: 'new_password2', type: 'password', required: true, attrs: { autocomplete: 'new-password' } });
  const otp = field({ label: t('profile.otp'), name: 'otp', hint: t('profile.onlyIfYouSetOne'),
    attrs: { autocomplete: 'one-time-code', inputmode: 'numeric', maxlength: '6' } });
  const withKey = h('input', { type: 'checkbox', name: 'with_passkey', id: 'pw-with-passkey', 'aria-describedby': 'pw-with-passkey-error' });
  const keyRow = h('div', { class: 'field', 'data-field': 'webauthn' },
    h('label', { for: 'pw-with-passkey' }, withKey, ' Confirm with my passkey or security key'),
    h('div', { class: 'error', id: 'pw-with-passkey-error', hidden: true }));
  const pwf = h('form', { novalidate: true }, h('input', { type: 'text', name: 'username', value: me.email, autocomplete: 'username', hidden: true, readOnly: true }),
    cur, nw, nw2, otp, keyRow, h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn primary' }, t('profile.changePassword'))));
  pwf.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(pwf);
    if (nw.input.value !== nw2.input.value) { showError(pwf, { field: 'new_password2', detail: t('profile.passwordsDiffer') }); return; }
    await busy(e.submitter, async () => {
      try {
        const body = { current_password: cur.input.value, new_password: nw.input.value };
        if (otp.input.value.trim()) body.otp = otp.input.value.trim();
        if (withKey.checked) {
          try {
            body.webauthn = await passkeyAssertion('/v1/me/reauth/webauthn/options');
          } catch (err) {
            showError(pwf, err.name === 'NotAllowedError' ? { field: 'webauthn', detail: t('profile.thePasskeyWasNotUsed') } : err);
            return;
          }
        }
        await api('/v1/me/password', { method: 'POST', body });
        pwf.reset();
        toast(t('profile.passwordChanged'));
        await loadSessions();
      } catch (err) { showError(pwf, err); }
    });
  });

  main.append(h('div', { class: 'grid-2' },
    h('section', { class: 'card', 'aria-labelledby': 'p-h' }, h('h2', { id: 'p-h' }, t('profile.details')),
      h('p', { class: 'muted small' }, t('profile.detailsNote')), pf),
    h('section', { class: 'card', 'aria-labelledby': 'pw-h' }, h('h2', { id: 'pw-h' }, t('profile.password')), pwf)));

  /* second factors */
  const secHost = h('section', { class: 'card', 'aria-labelledby': 'sec-h', 'data-testid': 'security' });
  main.append(secHost);
  await securitySection(secHost);

  /* sessions */
  const sessHost = h('div');
  main.append(h('section', { class: 'card', 'aria-labelledby': 's-h' }, h('h2', { id: 's-h' }, t('profile.sessions')), sessHost));
  async function loadSessions() {
    const { items } = await api('/v1/me/sessions');
    clear(sessHost, table({ caption: t('profile.sessionsCaption'), empty: t('profile.noSessions'),
      columns: [{ label: t('profile.deviceAddress') }, { label: t('profile.signedIn') }, { label: t('profile.lastSeen') }, { label: '' }],
      rows: items.map((s) => h('tr', null,
        h('td', null, describeAgent(s.user_agent), ' ', s.current ? badge(t('profile.thisBrowser'), 'accent') : null, s.kind !== 'office' ? badge(s.kind, 'outline') : null,
          h('span', { class: 'sub' }, s.ip || t('profile.addressUnknown'))),
        h('td', { class: 'small' }, fmtTime(s.created_at), h('span', { class: 'sub' }, t('profile.endsBy', { time: fmtTime(s.expires_at) }))),
        h('td', { class: 'small' }, fmtTime(s.last_seen_at)),
        h('td', null, h('button', { type: 'button', class: 'btn small', 'aria-label': s.current ? t('profile.signOutHere') : t('profile.endSessionFrom', { device: describeAgent(s.user_agent) }),
          onclick: async () => {
            const ok = await confirmDialog({ title: s.current ? t('profile.signOutHereQ') : t('profile.endSessionQ'),
              message: s.current ? t('profile.signOutHereText') : t('profile.endSessionText'),
              confirmLabel: s.current ? t('common.signOut') : t('profile.endSession'),
              action: () => api(`/v1/me/sessions/${encodeURIComponent(s.id)}`, { method: 'DELETE' }) });
            if (!ok) return;
            if (s.current) location.assign('/console/sign-in'); else { toast(t('profile.sessionEnded')); await loadSessions(); }
          } }, s.current ? t('common.signOut') : t('profile.end'))))) }));
  }
  await loadSessions();

  /* access summary */
  const a = me.access;
  main.append(h('section', { class: 'card', 'aria-labelledby': 'a-h' }, h('h2', { id: 'a-h' }, t('profile.access')),
    h('dl', { class: 'dl' },
      h('dt', null, t('profile.role')), h('dd', null, r.items.find((x) => x.key === a.role)?.name || a.role || '—'),
      h('dt', null, t('profile.modules')), h('dd', null, a.modules.map((m) => moduleName(cat, m)).join(', ')),
      h('dt', null, t('profile.tabs')), h('dd', { 'data-testid': 'my-tabs' }, h('span', { class: 'badges' }, a.tabs.map((x) => badge(tabName(cat, x.module, x.key), 'outline')))),
      h('dt', null, t('profile.permissions')), h('dd', null, t('profile.nOfM', { n: a.permissions.length, m: cat.permissions.length })),
      Array.isArray(me.groups) ? [h('dt', null, t('profile.groups')), h('dd', null, me.groups.length ? me.groups.map((g) => g.name).join(', ') : t('profile.none'))] : null)));
}

function describeAgent(ua) {
  if (!ua) return t('profile.unknownDevice');
  const browser = /Edg\//.test(ua) ? 'Edge' : /Chrome\//.test(ua) ? 'Chrome' : /Firefox\//.test(ua) ? 'Firefox' : /Safari\//.test(ua) ? 'Safari' : null;
  const os = /Windows/.test(ua) ? 'Windows' : /Android/.test(ua) ? 'Android' : /iPhone|iPad/.test(ua) ? 'iOS' : /Mac OS X/.test(ua) ? 'macOS' : /Linux/.test(ua) ? 'Linux' : null;
  if (browser && os) return t('profile.browserOnOs', { browser, os });
  if (browser || os) return browser || os;
  return ua.length > 40 ? `${ua.slice(0, 40)}…` : ua;
}
