// Second factors (issue 20): the sign-in's second step (a code from the
// authenticator app or a recovery code), forced enrolment when the
// organization requires a factor, and the Security section of My profile.
import { api } from '/console/api.js';
import { h, clear, field, showError, clearErrors, busy, toast, badge, fmtTime, copyText } from '/console/dom.js';
import { state, loadMe, forget } from '/console/state.js';
import { t as tr } from '/console/i18n.js';

function safeNext(next) {
  return next && next.startsWith('/console/') && !next.startsWith('//') && !next.includes('/sign-in') ? next : '/console/';
}

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

const codeField = (label = tr('mfa.codeLabel')) => field({ label, name: 'code', required: true,
  attrs: { autocomplete: 'one-time-code', inputmode: 'numeric', pattern: '[0-9]{6}', maxlength: '6' } });

/** The recovery codes, shown once, with a copy button. */
function recoveryCodes(codes) {
  const list = h('ol', { class: 'recovery-codes', 'data-testid': 'recovery-codes' }, codes.map((c) => h('li', null, h('code', null, c))));
  const copy = h('button', { type: 'button', class: 'btn small' }, tr('mfa.copyCodes'));
  copy.addEventListener('click', () => copyText(codes.join('\n'), copy));
  return h('div', { class: 'notice', role: 'status' },
    h('p', null, h('strong', null, tr('mfa.yourRecoveryCodes')), tr('mfa.eachWorksOnceInsteadOf')), list, copy);
}

/* ---- passkeys and security keys (WebAuthn) ---- */
const b64u = {
  enc: (buf) => btoa(String.fromCharCode(...new Uint8Array(buf))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, ''),
  dec: (s) => Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((s.length + 3) % 4)), (c) => c.charCodeAt(0)),
};

/** Registers a new passkey or security key for the signed-in person. */
export async function addPasskey(name) {
  const { publicKey: o } = await api('/v1/me/mfa/webauthn/options', { method: 'POST' });
  const cred = await navigator.credentials.create({ publicKey: {
    ...o, challenge: b64u.dec(o.challenge), user: { ...o.user, id: b64u.dec(o.user.id) },
    excludeCredentials: o.excludeCredentials.map((c) => ({ ...c, id: b64u.dec(c.id) })) } });
  return api('/v1/me/mfa/webauthn', { method: 'POST', body: { name,
    client_data: b64u.enc(cred.response.clientDataJSON), attestation_object: b64u.enc(cred.response.attestationObject) } });
}

/** A passkey assertion over the challenge of optionsPath, as the API takes it. */
export async function passkeyAssertion(optionsPath) {
  const { publicKey: o } = await api(optionsPath, { method: 'POST' });
  const a = await navigator.credentials.get({ publicKey: {
    ...o, challenge: b64u.dec(o.challenge), allowCredentials: o.allowCredentials.map((c) => ({ ...c, id: b64u.dec(c.id) })) } });
  return { id: a.id, client_data: b64u.enc(a.response.clientDataJSON),
    authenticator_data: b64u.enc(a.response.authenticatorData), signature: b64u.enc(a.response.signature) };
}

/** The second step with a passkey: an assertion over the server's challenge. */
async function usePasskey() {
  return api('/v1/auth/mfa/webauthn', { method: 'POST', body: await passkeyAssertion('/v1/auth/mfa/webauthn/options') });
}

/** Enrolment: QR code and secret, then a first code. done(result) gets the confirmation's answer. */
export async function enrolForm(host, done) {
  const e = await api('/v1/me/mfa/totp', { method: 'POST' });
  const qr = h('img', { class: 'qr', src: `data:image/svg+xml;base64,${btoa(e.qr_svg)}`, width: 216, height: 216,
    alt: tr('mfa.qrCodeToScanWith') });
  const code = codeField();
  const f = form(async () => {
    const r = await api('/v1/me/mfa/totp/confirm', { method: 'POST', body: { code: code.input.value.trim() } });
    await done(r);
  },
  h('ol', { class: 'steps' },
    h('li', null, tr('mfa.openYourAuthenticatorAppFor')),
    h('li', null, qr, h('p', { class: 'small' }, tr('mfa.cannotScanItEnterThis'), h('code', { 'data-testid': 'totp-secret' }, e.secret))),
    h('li', null, tr('mfa.enterTheSixDigitCode'))),
  code, h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn primary' }, tr('common.confirm'))));
  clear(host, f);
}

/** /console/second-step: what a pending sign-in must still do. */
export async function secondStep({ main, query, navigate }) {
  try { await loadMe(); } catch { navigate('/sign-in', { replace: true }); return; }
  const pending = state.me.session?.mfa_pending;
  const next = safeNext(query.next);
  if (!pending) { navigate(next, { replace: true }); return; }
  const cancel = h('div', { class: 'auth-links' }, h('a', { href: '/console/sign-in', onclick: async (ev) => {
    ev.preventDefault();
    try { await api('/v1/auth/logout', { method: 'POST', quiet401: true }); } catch { /* gone */ }
    forget();
    navigate('/sign-in', { replace: true });
  } }, tr('mfa.cancelAndSignInAs')));
  if (pending === 'verify') {
    const code = codeField();
    const rec = field({ label: tr('mfa.recoveryCode'), name: 'recovery_code', hint: tr('mfa.oneOfTheTenCodes'),
      attrs: { autocomplete: 'off' } });
    rec.hidden = true;
    const toggle = h('button', { type: 'button', class: 'btn link' }, tr('mfa.useARecoveryCodeInstead'));
    toggle.addEventListener('click', () => {
      const useRec = rec.hidden;
      rec.hidden = !useRec; code.hidden = useRec;
      toggle.textContent = useRec ? tr('mfa.useTheAuthenticatorAppInstead') : tr('mfa.useARecoveryCodeInstead');
      (useRec ? rec : code).input.focus();
    });
    const f = form(async () => {
      const body = rec.hidden ? { code: code.input.value.trim() } : { recovery_code: rec.input.value.trim() };
      await api('/v1/auth/mfa', { method: 'POST', body });
      await loadMe();
      navigate(next, { replace: true });
    },
    h('h1', null, tr('mfa.secondStep')),
    h('p', { class: 'muted' }, tr('mfa.signedInAs', { email: state.me.email, org: state.me.org?.name || 'gatehouse' })),
    code, rec, h('button', { type: 'submit', class: 'btn primary' }, tr('mfa.continue')), toggle);
    main.append(f, cancel);
    let st = null;
    try { st = await api('/v1/me/mfa'); } catch { /* the code form still works */ }
    if (st?.passkeys > 0 && window.PublicKeyCredential) {
      const pk = h('button', { type: 'button', class: 'btn primary' }, tr('mfa.useAPasskeyOrSecurity'));
      const pkForm = h('div', { class: 'passkey-step' }, pk);
      pk.addEventListener('click', () => busy(pk, async () => {
        clearErrors(f);
        try {
          await usePasskey();
          await loadMe();
          navigate(next, { replace: true });
        } catch (err) { showError(f, err.name === 'NotAllowedError' ? { detail: tr('mfa.thePasskeyWasNotUsed') } : err); }
      }));
      f.querySelector('h1').after(pkForm);
      if (!st.totp) { // no app: the passkey, or a recovery code
        const submit = f.querySelector('button[type=submit]');
        code.hidden = true;
        submit.hidden = true;
        f.querySelector('p.muted').textContent = tr('mfa.signedInAsEmailConfirm', { email: state.me.email });
        toggle.addEventListener('click', () => { submit.hidden = rec.hidden; code.hidden = true; });
      }
      pk.focus();
    } else {
      code.input.focus();
    }
    return;
  }
  // enrol: the organization requires a second factor this person does not have yet.
  const host = h('div');
  const saved = (r) => clear(host, r.recovery_codes ? recoveryCodes(r.recovery_codes) : null,
    h('div', { class: 'form-actions' }, h('button', { type: 'button', class: 'btn primary', onclick: async () => {
      await loadMe();
      navigate(next, { replace: true });
    } }, r.recovery_codes ? tr('mfa.iSavedMyCodesContinue') : tr('mfa.continue'))));
  // Instead of an authenticator app: a passkey or security key (it completes the enrolment too).
  const pkErr = h('div');
  const pkBtn = h('button', { type: 'button', class: 'btn' }, tr('mfa.useAPasskeyOrSecurity2'));
  pkBtn.addEventListener('click', () => busy(pkBtn, async () => {
    clear(pkErr);
    try {
      saved(await addPasskey('Passkey'));
    } catch (err) {
      clear(pkErr, h('div', { class: 'error', role: 'alert' }, err.name === 'NotAllowedError' ? tr('mfa.thePasskeyWasNotCreated') : (err.detail || String(err))));
    }
  }));
  main.append(h('h1', null, tr('mfa.setUpASecondFactor')),
    h('p', { class: 'muted' }, state.me.org?.name ? tr('mfa.orgAsks', { org: state.me.org.name }) : tr('mfa.yourOrgAsks')),
    host, h('div', { class: 'form-actions' }, pkBtn), pkErr, cancel);
  await enrolForm(host, saved);
}

/** The person's passkeys: list, rename, remove, add. */
async function passkeySection(host, redraw) {
  const { items } = await api('/v1/me/mfa/webauthn');
  const name = field({ label: tr('mfa.nameOfTheNewPasskey'), name: 'name', value: tr('mfa.passkey'), attrs: { maxlength: '100' } });
  const add = h('button', { type: 'submit', class: 'btn' }, tr('mfa.addAPasskeyOrSecurity'));
  const f = h('form', { novalidate: true }, name, h('div', { class: 'form-actions' }, add));
  f.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(f);
    await busy(add, async () => {
      try {
        await addPasskey(name.input.value.trim() || tr('mfa.passkey'));
        toast(tr('mfa.passkeyAdded'));
        await redraw();
      } catch (err) { showError(f, err.name === 'NotAllowedError' ? { detail: tr('mfa.thePasskeyWasNotCreated') } : err); }
    });
  });
  const rows = items.map((k) => h('li', { 'data-testid': 'passkey' }, h('strong', null, k.name),
    h('span', { class: 'sub' }, tr('mfa.addedCreatedAt', { created_at: fmtTime(k.created_at) }), k.last_used_at ? tr('mfa.lastUsedSuffix', { time: fmtTime(k.last_used_at) }) : ''),
    h('button', { type: 'button', class: 'btn small', 'aria-label': tr('mfa.renameName', { name: k.name }), onclick: async (ev) => {
      const n = prompt(tr('mfa.newName'), k.name);
      if (!n) return;
      await busy(ev.currentTarget, async () => {
        try { await api(`/v1/me/mfa/webauthn/${encodeURIComponent(k.id)}`, { method: 'PATCH', body: { name: n } }); await redraw(); }
        catch (err) { toast(err.detail || err.message, 'error'); }
      });
    } }, tr('mfa.rename')),
    h('button', { type: 'button', class: 'btn small danger', 'aria-label': tr('mfa.removeName', { name: k.name }), onclick: async (ev) => {
      await busy(ev.currentTarget, async () => {
        try { await api(`/v1/me/mfa/webauthn/${encodeURIComponent(k.id)}`, { method: 'DELETE' }); toast(tr('mfa.nameRemoved', { name: k.name })); await redraw(); }
        catch (err) { toast(err.detail || err.message, 'error'); }
      });
    } }, tr('mfa.remove'))));
  clear(host, h('h3', null, tr('mfa.passkeysAndSecurityKeys')),
    items.length ? h('ul', { class: 'plain' }, rows) : h('p', { class: 'muted small' }, tr('mfa.noneYetAPasskeyOn')),
    window.PublicKeyCredential ? f : h('p', { class: 'muted small' }, tr('mfa.thisBrowserCannotUsePasskeys')));
}

/** My profile -> Security. */
export async function securitySection(host) {
  const st = await api('/v1/me/mfa');
  const body = h('div');
  const keys = h('div', { 'data-testid': 'passkeys' });
  clear(host, h('h2', { id: 'sec-h' }, tr('mfa.security')), body, keys);
  await passkeySection(keys, () => securitySection(host));
  const status = h('p', null, tr('mfa.authenticatorApp'), st.totp ? badge(tr('mfa.setUp'), 'ok') : badge(tr('mfa.notSetUp'), 'outline'),
    st.required ? h('span', { class: 'sub' }, tr('mfa.yourOrganizationRequiresOne')) : null);
  if (!st.totp) {
    const start = h('button', { type: 'button', class: 'btn primary' }, tr('mfa.setUpAnAuthenticatorApp'));
    const area = h('div');
    start.addEventListener('click', () => busy(start, async () => {
      start.hidden = true;
      await enrolForm(area, async (r) => {
        toast(tr('mfa.authenticatorAppSetUp'));
        await securitySection(host);
        host.append(recoveryCodes(r.recovery_codes));
      });
    }));
    clear(body, status, h('p', { class: 'muted small' }, tr('mfa.withAnAppOnYour')), start, area);
    return;
  }
  const used = st.factors.find((f) => f.kind === 'totp');
  const code = codeField(tr('mfa.currentCodeFromYourApp'));
  const out = h('div');
  const f = h('form', { novalidate: true }, code,
    h('div', { class: 'form-actions' },
      h('button', { type: 'submit', class: 'btn', value: 'codes' }, tr('mfa.newRecoveryCodes')),
      h('button', { type: 'submit', class: 'btn danger', value: 'remove' }, tr('mfa.removeTheApp'))));
  f.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(f);
    await busy(e.submitter, async () => {
      try {
        if (e.submitter.value === 'remove') {
          await api('/v1/me/mfa/totp', { method: 'DELETE', body: { code: code.input.value.trim() } });
          toast(tr('mfa.authenticatorAppRemoved'));
          await securitySection(host);
        } else {
          const r = await api('/v1/me/mfa/recovery-codes', { method: 'POST', body: { code: code.input.value.trim() } });
          f.reset();
          clear(out, recoveryCodes(r.recovery_codes));
        }
      } catch (err) { showError(f, err); }
    });
  });
  clear(body, status,
    h('p', { class: 'small' }, tr('mfa.setUpAt', { time: fmtTime(used?.created_at) }), used?.last_used_at ? tr('mfa.lastUsedSuffix', { time: fmtTime(used.last_used_at) }) : '',
      tr('mfa.recoveryLeft', { n: st.recovery_codes_left })),
    f, out);
}
