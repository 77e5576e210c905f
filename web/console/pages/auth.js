// Pages reached without a session: sign-in, forgot password, the links mailed
// to people (reset password, verify email, accept invitation) and first-run
// setup. Each renders into the centred card `main`.
import { api } from '/console/api.js';
import { h, field, showError, clearErrors, busy } from '/console/dom.js';
import { state, loadMe } from '/console/state.js';

function form(onSubmit, ...children) {
  const f = h('form', { novalidate: true }, children);
  f.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(f);
    const btn = f.querySelector('button[type=submit]');
    try { await busy(btn, () => onSubmit(f)); } catch (err) { showError(f, err); }
  });
  return f;
}

function safeNext(next) {
  return next && next.startsWith('/console/') && !next.startsWith('//') && !next.includes('/sign-in') ? next : '/console/';
}

const SSO_ERRORS = {
  no_account: 'Your company account has no gatehouse account here yet. Ask an administrator to invite you.',
  domain_not_allowed: 'Accounts from your e-mail domain are not created automatically here. Ask an administrator.',
  account_locked: 'This account is locked. Ask an administrator.',
  ip_not_allowed: 'Sign-in is not allowed from this network.',
  state_replayed: 'That sign-in was already used. Start again.',
  state_expired: 'That sign-in took too long. Start again.',
  state_cookie_mismatch: 'That sign-in was started in another browser. Start again.',
};
function ssoErrorText(reason) {
  return SSO_ERRORS[reason] || `Company sign-in failed (${reason}). An administrator can see the details in the audit log.`;
}

export async function signIn({ main, query, navigate }) {
  const email = field({ label: 'Email', name: 'email', type: 'email', required: true, attrs: { autocomplete: 'username', autofocus: true } });
  const password = field({ label: 'Password', name: 'password', type: 'password', required: true, attrs: { autocomplete: 'current-password' } });
  const org = field({ label: 'Organization', name: 'org', hint: 'The short name of your organization, e.g. acme.', attrs: { autocomplete: 'organization' } });
  if (query.org) org.input.value = query.org;
  else org.hidden = true;
  const f = form(async () => {
    const body = { email: email.input.value.trim(), password: password.input.value };
    if (org.input.value.trim()) body.org = org.input.value.trim();
    let r;
    try {
      r = await api('/v1/auth/login', { method: 'POST', body, quiet401: true });
    } catch (e) {
      if (e.code === 'org_required') org.hidden = false;
      if (e.code === 'invalid_credentials') password.input.value = '';
      throw e;
    }
    if (r.mfa_pending) { // a code, or setting up an app, comes first
      navigate(`/second-step?next=${encodeURIComponent(safeNext(query.next))}`, { replace: true });
      return;
    }
    await loadMe();
    navigate(safeNext(query.next), { replace: true });
  },
  h('h1', null, 'Sign in'),
  query.reset === '1' ? h('div', { class: 'notice ok', role: 'status' }, 'Your password was changed. Sign in with the new one.') : null,
  query.verified === '1' ? h('div', { class: 'notice ok', role: 'status' }, 'Your email is confirmed. Sign in to continue.') : null,
  email, password, org,
  h('button', { type: 'submit', class: 'btn primary' }, 'Sign in'));
  main.append(f,
    h('div', { class: 'auth-links' },
      h('a', { href: '/console/forgot-password' }, 'Forgot your password?')),
    h('p', { class: 'muted small' }, 'Shop-floor workers sign in at the kiosk with their badge and PIN.'));
  // Company sign-in (issue 16): "Sign in with <IdP>" for the organization
  // named in the address (?org=slug), or the only one.
  if (query.sso_error) {
    main.prepend(h('div', { class: 'form-error', role: 'alert' }, ssoErrorText(query.sso_error)));
  }
  let bySlug = false;
  try {
    const sso = await api('/v1/auth/sso/discover', { query: { org: query.org }, quiet401: true });
    main.prepend(h('div', { class: 'sso-signin' },
      h('a', { class: 'btn primary block', href: sso.start_url }, `Sign in with ${sso.display_name}`),
      h('p', { class: 'muted small' }, `or with your ${sso.org_name} password:`)));
    bySlug = true;
  } catch { /* no company sign-in named by the address: perhaps by the e-mail's domain */ }
  if (!bySlug) {
    // The organization whose company sign-in declared the e-mail's domain
    // offers its IdP as soon as the address is typed.
    const box = h('div', { class: 'sso-signin', hidden: true, 'aria-live': 'polite' });
    email.after(box);
    let asked = '';
    let timer;
    const look = async () => {
      const addr = email.input.value.trim();
      if (addr === asked) return;
      asked = addr;
      let sso = null;
      if (/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(addr)) {
        try { sso = await api('/v1/auth/sso/discover', { query: { email: addr }, quiet401: true }); } catch { sso = null; }
      }
      if (asked !== addr) return; // a newer address is being looked up
      box.replaceChildren(...(sso ? [
        h('a', { class: 'btn primary block', href: sso.start_url }, `Sign in with ${sso.display_name}`),
        h('p', { class: 'muted small' }, 'or with your password:')] : []));
      box.hidden = !sso;
    };
    email.input.addEventListener('change', look);
    email.input.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(look, 400); });
  }
  if (state.me) {
    main.prepend(h('div', { class: 'notice', role: 'status' }, `You are signed in as ${state.me.email}. `,
      h('a', { href: '/console/' }, 'Go to the console')));
  }
}

export async function forgotPassword({ main }) {
  const email = field({ label: 'Email', name: 'email', type: 'email', required: true, attrs: { autocomplete: 'username' } });
  const org = field({ label: 'Organization (if you belong to several)', name: 'org', attrs: { autocomplete: 'organization' } });
  const done = h('div', { class: 'notice ok', role: 'status', hidden: true });
  const f = form(async () => {
    const body = { email: email.input.value.trim() };
    if (org.input.value.trim()) body.org = org.input.value.trim();
    const r = await api('/v1/auth/password-reset', { method: 'POST', body });
    done.textContent = `${r.status[0].toUpperCase()}${r.status.slice(1)}. Check your inbox.`;
    done.hidden = false;
    f.querySelector('button[type=submit]').textContent = 'Send again';
  },
  h('h1', null, 'Forgot your password?'),
  h('p', { class: 'muted' }, 'Enter your email and we will send you a link to choose a new password.'),
  done, email, org,
  h('button', { type: 'submit', class: 'btn primary' }, 'Send reset link'));
  main.append(f, h('div', { class: 'auth-links' }, h('a', { href: '/console/sign-in' }, 'Back to sign in')));
}

function badLink(main, e, what) {
  const msgs = {
    token_expired: `This ${what} link has expired.`,
    token_used: `This ${what} link was already used.`,
    token_invalid: `This ${what} link is not valid.`,
  };
  main.append(h('h1', null, 'Link not valid'),
    h('div', { class: 'form-error', role: 'alert' }, msgs[e.code] || e.detail),
    h('p', null, what === 'password reset'
      ? h('a', { href: '/console/forgot-password' }, 'Request a new reset link')
      : 'Ask your administrator to send you a new link.'),
    h('div', { class: 'auth-links' }, h('a', { href: '/console/sign-in' }, 'Go to sign in')));
}

function newPasswordFields() {
  const pw = field({ label: 'New password', name: 'password', type: 'password', required: true,
    hint: 'At least 8 characters; a long phrase is best. Common passwords are refused.', attrs: { autocomplete: 'new-password', minlength: '8' } });
  const pw2 = field({ label: 'Repeat the new password', name: 'password2', type: 'password', required: true, attrs: { autocomplete: 'new-password' } });
  const check = () => {
    if (pw.input.value !== pw2.input.value) {
      const e = new Error('The two passwords differ.');
      e.detail = e.message; e.field = 'password2';
      throw e;
    }
    return pw.input.value;
  };
  return { pw, pw2, check };
}

export async function resetPassword({ main, query, navigate }) {
  const token = query.token || '';
  let info;
  try { info = await api('/v1/auth/link', { query: { purpose: 'reset', token } }); } catch (e) { badLink(main, e, 'password reset'); return; }
  const { pw, pw2, check } = newPasswordFields();
  const f = form(async () => {
    await api('/v1/auth/password-reset/confirm', { method: 'POST', body: { token, password: check() } });
    navigate('/sign-in?reset=1', { replace: true });
  },
  h('h1', null, 'Choose a new password'),
  h('p', { class: 'muted' }, `For ${info.name} (${info.email}). Signing in with the new password ends your other sessions.`),
  h('input', { type: 'text', name: 'username', value: info.email, autocomplete: 'username', hidden: true, readOnly: true }),
  pw, pw2, h('button', { type: 'submit', class: 'btn primary' }, 'Save password'));
  main.append(f);
}

export async function verifyEmail({ main, query, navigate }) {
  const token = query.token || '';
  let info;
  try { info = await api('/v1/auth/link', { query: { purpose: 'verify', token } }); } catch (e) { badLink(main, e, 'confirmation'); return; }
  const parts = [h('h1', null, 'Confirm your email'),
    h('p', { class: 'muted' }, `Hello ${info.name}. Confirm ${info.email}${info.has_password ? '' : ' and choose a password'} to finish setting up your account.`),
    h('input', { type: 'text', name: 'username', value: info.email, autocomplete: 'username', hidden: true, readOnly: true })];
  let pwf = null;
  if (!info.has_password) { pwf = newPasswordFields(); parts.push(pwf.pw, pwf.pw2); }
  parts.push(h('button', { type: 'submit', class: 'btn primary' }, info.has_password ? 'Confirm email' : 'Confirm and save password'));
  const f = form(async () => {
    const body = { token };
    if (pwf) body.password = pwf.check();
    await api('/v1/auth/verify-email', { method: 'POST', body });
    navigate('/sign-in?verified=1', { replace: true });
  }, parts);
  main.append(f);
}

export async function acceptInvite({ main, query, navigate }) {
  const token = query.token || '';
  let info;
  try { info = await api('/v1/invites/lookup', { query: { token } }); } catch (e) {
    const msgs = {
      invite_cancelled: 'This invitation was cancelled.',
      invite_used: 'This invitation was already accepted. Sign in instead.',
      token_invalid: 'This invitation link is not valid. It may have been replaced by a newer one: check your latest mail.',
    };
    main.append(h('h1', null, 'Invitation not valid'), h('div', { class: 'form-error', role: 'alert' }, msgs[e.code] || e.detail),
      h('p', null, 'Ask the person who invited you to send a new invitation.'),
      h('div', { class: 'auth-links' }, h('a', { href: '/console/sign-in' }, 'Go to sign in')));
    return;
  }
  if (info.expired) {
    main.append(h('h1', null, 'Invitation expired'),
      h('div', { class: 'form-error', role: 'alert' }, `This invitation to ${info.org.name} expired on ${new Date(info.expires_at).toLocaleDateString()}.`),
      h('p', null, `Ask ${info.invited_by || 'the person who invited you'} to send it again.`));
    return;
  }
  const name = field({ label: 'Your name', name: 'name', required: true, attrs: { autocomplete: 'name', autofocus: true } });
  const { pw, pw2, check } = newPasswordFields();
  const f = form(async () => {
    await api('/v1/invites/accept', { method: 'POST', quiet401: true, body: { token, name: name.input.value.trim(), password: check() } });
    await loadMe();
    navigate('/', { replace: true });
  },
  h('h1', null, `Join ${info.org.name}`),
  h('p', { class: 'muted' }, `${info.invited_by ? `${info.invited_by} invited you` : 'You were invited'} as ${info.email}, with the role ${info.role.name}. Choose your name and a password.`),
  h('input', { type: 'text', name: 'username', value: info.email, autocomplete: 'username', hidden: true, readOnly: true }),
  name, pw, pw2, h('button', { type: 'submit', class: 'btn primary' }, 'Create my account'));
  main.append(f);
}

export async function setup({ main, query, navigate }) {
  const token = field({ label: 'Setup token', name: 'token', required: true, value: query.token || '',
    hint: 'Printed by gatehouse on its first start.' });
  if (query.token) token.hidden = true;
  const orgName = field({ label: 'Organization name', name: 'org.name', required: true, attrs: { autocomplete: 'organization' } });
  const slug = field({ label: 'Short name', name: 'org.slug', required: true,
    hint: 'Lowercase letters, digits and dashes; used in kiosk links (/kiosk/short-name/).' });
  let slugTouched = false;
  slug.input.addEventListener('input', () => { slugTouched = true; });
  orgName.input.addEventListener('input', () => {
    if (!slugTouched) slug.input.value = orgName.input.value.toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40);
  });
  const template = field({ label: 'Starting roles', name: 'template', type: 'select', value: 'plant', options: [
    { value: 'plant', label: 'Plant: users and admins (default)' },
    { value: 'quality', label: 'Quality: read-only, user, editor, admin' },
    { value: 'monitoring', label: 'Machine monitoring: executive, manager, IT admin, supervisor, kiosk' },
    { value: 'oee', label: 'OEE: admin, manager, staff, read-only' },
  ], hint: 'You can edit these roles and add your own later.' });
  const name = field({ label: 'Your name', name: 'admin.name', required: true, attrs: { autocomplete: 'name' } });
  const email = field({ label: 'Your email', name: 'admin.email', type: 'email', required: true, attrs: { autocomplete: 'username' } });
  const { pw, pw2, check } = newPasswordFields();
  pw.dataset.field = 'admin.password';
  const f = form(async () => {
    const password = check();
    await api('/v1/setup', { method: 'POST', body: {
      token: token.input.value.trim(), template: template.input.value,
      org: { name: orgName.input.value.trim(), slug: slug.input.value.trim() },
      admin: { name: name.input.value.trim(), email: email.input.value.trim(), password },
    } }).catch((e) => { if (e.field === 'token' || e.code?.startsWith('setup_token')) token.hidden = false; throw e; });
    await api('/v1/auth/login', { method: 'POST', body: { org: slug.input.value.trim(), email: email.input.value.trim(), password } });
    await loadMe();
    navigate('/users', { replace: true });
  },
  h('h1', null, 'Set up gatehouse'),
  h('p', { class: 'muted' }, 'Create your organization and its first administrator.'),
  token, orgName, slug, template, name, email, pw, pw2,
  h('button', { type: 'submit', class: 'btn primary' }, 'Create organization'));
  main.append(f);
}
