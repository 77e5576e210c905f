// My profile (003): one's own name and mobile number, password, sessions,
// and what one's role and modules give.
import { api } from '/console/api.js';
import { h, clear, field, showError, clearErrors, busy, toast, badge, fmtTime, table, confirmDialog } from '/console/dom.js';
import { state, catalog, roles, tabName, moduleName } from '/console/state.js';
import { refreshMe } from '/console/app.js';
import { securitySection, passkeyAssertion } from '/console/pages/mfa.js';

export async function render(ctx) {
  const { main } = ctx;
  const me = state.me;
  const [cat, r] = await Promise.all([catalog(), roles()]);
  main.append(h('div', { class: 'page-head' }, h('div', null, h('h1', null, 'My profile'),
    h('p', { class: 'sub' }, `${me.email} · ${me.org.name}`))));

  /* name and mobile */
  const name = field({ label: 'Name', name: 'name', value: me.name, required: true, attrs: { autocomplete: 'name' } });
  const mobile = field({ label: 'Mobile number', name: 'mobile', type: 'tel', value: me.mobile || '', attrs: { autocomplete: 'tel' },
    hint: 'Optional. International format, e.g. +44 7700 900123.' });
  const pf = h('form', { novalidate: true }, name, mobile, h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn primary' }, 'Save')));
  pf.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(pf);
    await busy(e.submitter, async () => {
      try {
        await api('/v1/me', { method: 'PATCH', body: { name: name.input.value.trim(), mobile: mobile.input.value.trim() } });
        await refreshMe();
        document.querySelector('.whoami').textContent = state.me.name;
        toast('Profile saved.');
      } catch (err) { showError(pf, err); }
    });
  });

  /* password */
  const cur = field({ label: 'Current password', name: 'current_password', type: 'password', required: true, attrs: { autocomplete: 'current-password' } });
  const nw = field({ label: 'New password', name: 'new_password', type: 'password', required: true, hint: 'At least 8 characters; a long phrase is best. Common passwords are refused.', attrs: { autocomplete: 'new-password' } });
  const nw2 = field({ label: 'Repeat the new password', name: 'new_password2', type: 'password', required: true, attrs: { autocomplete: 'new-password' } });
  const otp = field({ label: 'Code from your authenticator app', name: 'otp', hint: 'Only if you set one up (Security, below). With a passkey or security key, tick the box below instead.',
    attrs: { autocomplete: 'one-time-code', inputmode: 'numeric', maxlength: '6' } });
  const withKey = h('input', { type: 'checkbox', name: 'with_passkey', id: 'pw-with-passkey', 'aria-describedby': 'pw-with-passkey-error' });
  const keyRow = h('div', { class: 'field', 'data-field': 'webauthn' },
    h('label', { for: 'pw-with-passkey' }, withKey, ' Confirm with my passkey or security key'),
    h('div', { class: 'error', id: 'pw-with-passkey-error', hidden: true }));
  const pwf = h('form', { novalidate: true }, h('input', { type: 'text', name: 'username', value: me.email, autocomplete: 'username', hidden: true, readOnly: true }),
    cur, nw, nw2, otp, keyRow, h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn primary' }, 'Change password')));
  pwf.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(pwf);
    if (nw.input.value !== nw2.input.value) { showError(pwf, { field: 'new_password2', detail: 'The two passwords differ.' }); return; }
    await busy(e.submitter, async () => {
      try {
        const body = { current_password: cur.input.value, new_password: nw.input.value };
        if (otp.input.value.trim()) body.otp = otp.input.value.trim();
        if (withKey.checked) {
          try {
            body.webauthn = await passkeyAssertion('/v1/me/reauth/webauthn/options');
          } catch (err) {
            showError(pwf, err.name === 'NotAllowedError' ? { field: 'webauthn', detail: 'The passkey was not used.' } : err);
            return;
          }
        }
        await api('/v1/me/password', { method: 'POST', body });
        pwf.reset();
        toast('Password changed. Your other sessions were signed out.');
        await loadSessions();
      } catch (err) { showError(pwf, err); }
    });
  });

  main.append(h('div', { class: 'grid-2' },
    h('section', { class: 'card', 'aria-labelledby': 'p-h' }, h('h2', { id: 'p-h' }, 'Your details'),
      h('p', { class: 'muted small' }, 'Only you can change your name and mobile number.'), pf),
    h('section', { class: 'card', 'aria-labelledby': 'pw-h' }, h('h2', { id: 'pw-h' }, 'Password'), pwf)));

  /* second factors */
  const secHost = h('section', { class: 'card', 'aria-labelledby': 'sec-h', 'data-testid': 'security' });
  main.append(secHost);
  await securitySection(secHost);

  /* sessions */
  const sessHost = h('div');
  main.append(h('section', { class: 'card', 'aria-labelledby': 's-h' }, h('h2', { id: 's-h' }, 'Where you are signed in'), sessHost));
  async function loadSessions() {
    const { items } = await api('/v1/me/sessions');
    clear(sessHost, table({ caption: 'Your sessions', empty: 'No sessions.',
      columns: [{ label: 'Device and address' }, { label: 'Signed in' }, { label: 'Last seen' }, { label: '' }],
      rows: items.map((s) => h('tr', null,
        h('td', null, describeAgent(s.user_agent), ' ', s.current ? badge('This browser', 'accent') : null, s.kind !== 'office' ? badge(s.kind, 'outline') : null,
          h('span', { class: 'sub' }, s.ip || 'address unknown')),
        h('td', { class: 'small' }, fmtTime(s.created_at), h('span', { class: 'sub' }, `ends by ${fmtTime(s.expires_at)}`)),
        h('td', { class: 'small' }, fmtTime(s.last_seen_at)),
        h('td', null, h('button', { type: 'button', class: 'btn small', 'aria-label': s.current ? 'Sign out of this browser' : `End the session from ${describeAgent(s.user_agent)}`,
          onclick: async () => {
            const ok = await confirmDialog({ title: s.current ? 'Sign out here?' : 'End this session?',
              message: s.current ? 'You will be signed out of this browser.' : 'That browser or device will be signed out.',
              confirmLabel: s.current ? 'Sign out' : 'End session',
              action: () => api(`/v1/me/sessions/${encodeURIComponent(s.id)}`, { method: 'DELETE' }) });
            if (!ok) return;
            if (s.current) location.assign('/console/sign-in'); else { toast('Session ended.'); await loadSessions(); }
          } }, s.current ? 'Sign out' : 'End')))) }));
  }
  await loadSessions();

  /* access summary */
  const a = me.access;
  main.append(h('section', { class: 'card', 'aria-labelledby': 'a-h' }, h('h2', { id: 'a-h' }, 'Your access'),
    h('dl', { class: 'dl' },
      h('dt', null, 'Role'), h('dd', null, r.items.find((x) => x.key === a.role)?.name || a.role || '—'),
      h('dt', null, 'Modules'), h('dd', null, a.modules.map((m) => moduleName(cat, m)).join(', ')),
      h('dt', null, 'Tabs'), h('dd', { 'data-testid': 'my-tabs' }, h('span', { class: 'badges' }, a.tabs.map((t) => badge(tabName(cat, t.module, t.key), 'outline')))),
      h('dt', null, 'Permissions'), h('dd', null, `${a.permissions.length} of ${cat.permissions.length}`),
      Array.isArray(me.groups) ? [h('dt', null, 'Groups'), h('dd', null, me.groups.length ? me.groups.map((g) => g.name).join(', ') : 'None')] : null)));
}

function describeAgent(ua) {
  if (!ua) return 'Unknown device';
  const browser = /Edg\//.test(ua) ? 'Edge' : /Chrome\//.test(ua) ? 'Chrome' : /Firefox\//.test(ua) ? 'Firefox' : /Safari\//.test(ua) ? 'Safari' : null;
  const os = /Windows/.test(ua) ? 'Windows' : /Android/.test(ua) ? 'Android' : /iPhone|iPad/.test(ua) ? 'iOS' : /Mac OS X/.test(ua) ? 'macOS' : /Linux/.test(ua) ? 'Linux' : null;
  if (browser || os) return [browser, os].filter(Boolean).join(' on ');
  return ua.length > 40 ? `${ua.slice(0, 40)}…` : ua;
}
