// Pages reached without a session: sign-in, forgot password, the links mailed
// to people (reset password, verify email, accept invitation) and first-run
// setup. Each renders into the centred card `main`.
import { api } from '/console/api.js';
import { h, field, showError, clearErrors, busy } from '/console/dom.js';
import { state, loadMe } from '/console/state.js';
import { t as tr, language } from '/console/i18n.js';

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
  get no_account() { return tr('auth.yourCompanyAccountHasNo'); },
  get domain_not_allowed() { return tr('auth.accountsFromYourEMail'); },
  get account_locked() { return tr('auth.thisAccountIsLockedAsk'); },
  get ip_not_allowed() { return tr('auth.signInIsNotAllowed'); },
  get state_replayed() { return tr('auth.thatSignInWasAlready'); },
  get state_expired() { return tr('auth.thatSignInTookToo'); },
  get state_cookie_mismatch() { return tr('auth.thatSignInWasStarted'); },
};
function ssoErrorText(reason) {
  return SSO_ERRORS[reason] || tr('auth.ssoFailed', { reason });
}

export async function signIn({ main, query, navigate }) {
  const email = field({ label: tr('auth.email'), name: 'email', type: 'email', required: true, attrs: { autocomplete: 'username', autofocus: true } });
  const password = field({ label: tr('auth.password'), name: 'password', type: 'password', required: true, attrs: { autocomplete: 'current-password' } });
  const org = field({ label: tr('auth.organization'), name: 'org', hint: tr('auth.theShortNameOfYour'), attrs: { autocomplete: 'organization' } });
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
  h('h1', null, tr('auth.signIn')),
  query.reset === '1' ? h('div', { class: 'notice ok', role: 'status' }, tr('auth.yourPasswordWasChangedSign')) : null,
  query.verified === '1' ? h('div', { class: 'notice ok', role: 'status' }, tr('auth.yourEmailIsConfirmedSign')) : null,
  email, password, org,
  h('button', { type: 'submit', class: 'btn primary' }, tr('auth.signIn')));
  main.append(f,
    h('div', { class: 'auth-links' },
      h('a', { href: '/console/forgot-password' }, tr('auth.forgotYourPassword'))),
    h('p', { class: 'muted small' }, tr('auth.shopFloorWorkersSignIn')));
  // Company sign-in (issue 16): "Sign in with <IdP>" for the organization
  // named in the address (?org=slug), or the only one.
  if (query.sso_error) {
    main.prepend(h('div', { class: 'form-error', role: 'alert' }, ssoErrorText(query.sso_error)));
  }
  let bySlug = false;
  try {
    const sso = await api('/v1/auth/sso/discover', { query: { org: query.org }, quiet401: true });
    main.prepend(h('div', { class: 'sso-signin' },
      h('a', { class: 'btn primary block', href: sso.start_url }, tr('auth.signInWithDisplayName', { display_name: sso.display_name })),
      h('p', { class: 'muted small' }, tr('auth.orWithYourOrgName', { org_name: sso.org_name }))));
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
        h('a', { class: 'btn primary block', href: sso.start_url }, tr('auth.signInWithDisplayName', { display_name: sso.display_name })),
        h('p', { class: 'muted small' }, tr('auth.orWithYourPassword'))] : []));
      box.hidden = !sso;
    };
    email.input.addEventListener('change', look);
    email.input.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(look, 400); });
  }
  if (state.me) {
    main.prepend(h('div', { class: 'notice', role: 'status' }, tr('auth.youAreSignedInAs', { email: state.me.email }),
      h('a', { href: '/console/' }, tr('auth.goToTheConsole'))));
  }
}

export async function forgotPassword({ main }) {
  const email = field({ label: tr('auth.email'), name: 'email', type: 'email', required: true, attrs: { autocomplete: 'username' } });
  const org = field({ label: tr('auth.organizationIfYouBelongTo'), name: 'org', attrs: { autocomplete: 'organization' } });
  const done = h('div', { class: 'notice ok', role: 'status', hidden: true });
  const f = form(async () => {
    const body = { email: email.input.value.trim() };
    if (org.input.value.trim()) body.org = org.input.value.trim();
    // The answer is the same whether or not the account exists.
    await api('/v1/auth/password-reset', { method: 'POST', body });
    done.textContent = tr('auth.resetSent');
    done.hidden = false;
    f.querySelector('button[type=submit]').textContent = tr('auth.sendAgain');
  },
  h('h1', null, tr('auth.forgotYourPassword')),
  h('p', { class: 'muted' }, tr('auth.enterYourEmailAndWe')),
  done, email, org,
  h('button', { type: 'submit', class: 'btn primary' }, tr('auth.sendResetLink')));
  main.append(f, h('div', { class: 'auth-links' }, h('a', { href: '/console/sign-in' }, tr('auth.backToSignIn'))));
}

/* kind: 'reset' (a password reset link) or 'confirm' (an e-mail confirmation link). */
function badLink(main, e, kind) {
  const msgs = {
    token_expired: tr(`auth.link.${kind}.expired`),
    token_used: tr(`auth.link.${kind}.used`),
    token_invalid: tr(`auth.link.${kind}.invalid`),
  };
  main.append(h('h1', null, tr('auth.linkNotValid')),
    h('div', { class: 'form-error', role: 'alert' }, msgs[e.code] || e.detail),
    h('p', null, kind === 'reset'
      ? h('a', { href: '/console/forgot-password' }, tr('auth.requestANewResetLink'))
      : tr('auth.askYourAdministratorToSend')),
    h('div', { class: 'auth-links' }, h('a', { href: '/console/sign-in' }, tr('auth.goToSignIn'))));
}

function newPasswordFields() {
  const pw = field({ label: tr('auth.newPassword'), name: 'password', type: 'password', required: true,
    hint: tr('auth.atLeast8CharactersA'), attrs: { autocomplete: 'new-password', minlength: '8' } });
  const pw2 = field({ label: tr('auth.repeatTheNewPassword'), name: 'password2', type: 'password', required: true, attrs: { autocomplete: 'new-password' } });
  const check = () => {
    if (pw.input.value !== pw2.input.value) {
      const e = new Error(tr('auth.theTwoPasswordsDiffer'));
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
  try { info = await api('/v1/auth/link', { query: { purpose: 'reset', token } }); } catch (e) { badLink(main, e, 'reset'); return; }
  const { pw, pw2, check } = newPasswordFields();
  const f = form(async () => {
    await api('/v1/auth/password-reset/confirm', { method: 'POST', body: { token, password: check() } });
    navigate('/sign-in?reset=1', { replace: true });
  },
  h('h1', null, tr('auth.chooseANewPassword')),
  h('p', { class: 'muted' }, tr('auth.forNameEmailSigningIn', { name: info.name, email: info.email })),
  h('input', { type: 'text', name: 'username', value: info.email, autocomplete: 'username', hidden: true, readOnly: true }),
  pw, pw2, h('button', { type: 'submit', class: 'btn primary' }, tr('auth.savePassword')));
  main.append(f);
}

export async function verifyEmail({ main, query, navigate }) {
  const token = query.token || '';
  let info;
  try { info = await api('/v1/auth/link', { query: { purpose: 'verify', token } }); } catch (e) { badLink(main, e, 'confirm'); return; }
  const parts = [h('h1', null, tr('auth.confirmYourEmail')),
    h('p', { class: 'muted' }, tr(info.has_password ? 'auth.helloConfirm' : 'auth.helloConfirmPassword', { name: info.name, email: info.email })),
    h('input', { type: 'text', name: 'username', value: info.email, autocomplete: 'username', hidden: true, readOnly: true })];
  let pwf = null;
  if (!info.has_password) { pwf = newPasswordFields(); parts.push(pwf.pw, pwf.pw2); }
  parts.push(h('button', { type: 'submit', class: 'btn primary' }, info.has_password ? tr('auth.confirmEmail') : tr('auth.confirmAndSavePassword')));
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
      invite_cancelled: tr('auth.thisInvitationWasCancelled'),
      invite_used: tr('auth.thisInvitationWasAlreadyAccepted'),
      token_invalid: tr('auth.thisInvitationLinkIsNot'),
    };
    main.append(h('h1', null, tr('auth.invitationNotValid')), h('div', { class: 'form-error', role: 'alert' }, msgs[e.code] || e.detail),
      h('p', null, tr('auth.askThePersonWhoInvited')),
      h('div', { class: 'auth-links' }, h('a', { href: '/console/sign-in' }, tr('auth.goToSignIn'))));
    return;
  }
  if (info.expired) {
    main.append(h('h1', null, tr('auth.invitationExpired')),
      h('div', { class: 'form-error', role: 'alert' }, tr('auth.thisInvitationToNameExpired', { name: info.org.name, date: new Date(info.expires_at).toLocaleDateString(language()) })),
      h('p', null, info.invited_by ? tr('auth.askToResend', { name: info.invited_by }) : tr('auth.askInviterToResend')));
    return;
  }
  const name = field({ label: tr('auth.yourName'), name: 'name', required: true, attrs: { autocomplete: 'name', autofocus: true } });
  const { pw, pw2, check } = newPasswordFields();
  const f = form(async () => {
    await api('/v1/invites/accept', { method: 'POST', quiet401: true, body: { token, name: name.input.value.trim(), password: check() } });
    await loadMe();
    navigate('/', { replace: true });
  },
  h('h1', null, tr('auth.joinName', { name: info.org.name })),
  h('p', { class: 'muted' }, tr(info.invited_by ? 'auth.invitedBy' : 'auth.invited', { name: info.invited_by, email: info.email, role: info.role.name })),
  h('input', { type: 'text', name: 'username', value: info.email, autocomplete: 'username', hidden: true, readOnly: true }),
  name, pw, pw2, h('button', { type: 'submit', class: 'btn primary' }, tr('auth.createMyAccount')));
  main.append(f);
}

export async function setup({ main, query, navigate }) {
  const token = field({ label: tr('auth.setupToken'), name: 'token', required: true, value: query.token || '',
    hint: tr('auth.printedByGatehouseOnIts') });
  if (query.token) token.hidden = true;
  const orgName = field({ label: tr('auth.organizationName'), name: 'org.name', required: true, attrs: { autocomplete: 'organization' } });
  const slug = field({ label: tr('auth.shortName'), name: 'org.slug', required: true,
    hint: tr('auth.lowercaseLettersDigitsAndDashes') });
  let slugTouched = false;
  slug.input.addEventListener('input', () => { slugTouched = true; });
  orgName.input.addEventListener('input', () => {
    if (!slugTouched) slug.input.value = orgName.input.value.toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40);
  });
  const template = field({ label: tr('auth.startingRoles'), name: 'template', type: 'select', value: 'plant', options: [
    { value: 'plant', label: tr('auth.plantUsersAndAdminsDefault') },
    { value: 'quality', label: tr('auth.qualityReadOnlyUserEditor') },
    { value: 'monitoring', label: tr('auth.machineMonitoringExecutiveManagerIt') },
    { value: 'oee', label: tr('auth.oeeAdminManagerStaffRead') },
  ], hint: tr('auth.youCanEditTheseRoles') });
  const name = field({ label: tr('auth.yourName'), name: 'admin.name', required: true, attrs: { autocomplete: 'name' } });
  const email = field({ label: tr('auth.yourEmail'), name: 'admin.email', type: 'email', required: true, attrs: { autocomplete: 'username' } });
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
  h('h1', null, tr('auth.setUpGatehouse')),
  h('p', { class: 'muted' }, tr('auth.createYourOrganizationAndIts')),
  token, orgName, slug, template, name, email, pw, pw2,
  h('button', { type: 'submit', class: 'btn primary' }, tr('auth.createOrganization')));
  main.append(f);
}
