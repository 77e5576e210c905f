// Second factors (issue 20): the sign-in's second step (a code from the
// authenticator app or a recovery code), forced enrolment when the
// organization requires a factor, and the Security section of My profile.
import { api } from '/console/api.js';
import { h, clear, field, showError, clearErrors, busy, toast, badge, fmtTime, copyText } from '/console/dom.js';
import { state, loadMe, forget } from '/console/state.js';

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

const codeField = (label = 'Code from your authenticator app') => field({ label, name: 'code', required: true,
  attrs: { autocomplete: 'one-time-code', inputmode: 'numeric', pattern: '[0-9]{6}', maxlength: '6' } });

/** The recovery codes, shown once, with a copy button. */
function recoveryCodes(codes) {
  const list = h('ol', { class: 'recovery-codes', 'data-testid': 'recovery-codes' }, codes.map((c) => h('li', null, h('code', null, c))));
  const copy = h('button', { type: 'button', class: 'btn small' }, 'Copy codes');
  copy.addEventListener('click', () => copyText(codes.join('\n'), copy));
  return h('div', { class: 'notice', role: 'status' },
    h('p', null, h('strong', null, 'Your recovery codes. '), 'Each works once, instead of a code from the app, if you lose your phone. ',
      'Keep them somewhere safe: they are shown only now.'), list, copy);
}

/** Enrolment: QR code and secret, then a first code. done(result) gets the confirmation's answer. */
export async function enrolForm(host, done) {
  const e = await api('/v1/me/mfa/totp', { method: 'POST' });
  const qr = h('img', { class: 'qr', src: `data:image/svg+xml;base64,${btoa(e.qr_svg)}`, width: 216, height: 216,
    alt: 'QR code to scan with your authenticator app' });
  const code = codeField();
  const f = form(async () => {
    const r = await api('/v1/me/mfa/totp/confirm', { method: 'POST', body: { code: code.input.value.trim() } });
    await done(r);
  },
  h('ol', { class: 'steps' },
    h('li', null, 'Open your authenticator app (for example FreeOTP, Google Authenticator or Microsoft Authenticator) and scan this code:'),
    h('li', null, qr, h('p', { class: 'small' }, 'Cannot scan it? Enter this key instead: ', h('code', { 'data-testid': 'totp-secret' }, e.secret))),
    h('li', null, 'Enter the six-digit code the app shows.')),
  code, h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn primary' }, 'Confirm')));
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
  } }, 'Cancel and sign in as someone else'));
  if (pending === 'verify') {
    const code = codeField();
    const rec = field({ label: 'Recovery code', name: 'recovery_code', hint: 'One of the ten codes you saved when you set up the app.',
      attrs: { autocomplete: 'off' } });
    rec.hidden = true;
    const toggle = h('button', { type: 'button', class: 'btn link' }, 'Use a recovery code instead');
    toggle.addEventListener('click', () => {
      const useRec = rec.hidden;
      rec.hidden = !useRec; code.hidden = useRec;
      toggle.textContent = useRec ? 'Use the authenticator app instead' : 'Use a recovery code instead';
      (useRec ? rec : code).input.focus();
    });
    const f = form(async () => {
      const body = rec.hidden ? { code: code.input.value.trim() } : { recovery_code: rec.input.value.trim() };
      await api('/v1/auth/mfa', { method: 'POST', body });
      await loadMe();
      navigate(next, { replace: true });
    },
    h('h1', null, 'Second step'),
    h('p', { class: 'muted' }, `Signed in as ${state.me.email}. Enter the code your authenticator app shows for ${state.me.org?.name || 'gatehouse'}.`),
    code, rec, h('button', { type: 'submit', class: 'btn primary' }, 'Continue'), toggle);
    main.append(f, cancel);
    code.input.focus();
    return;
  }
  // enrol: the organization requires a second factor this person does not have yet.
  const host = h('div');
  main.append(h('h1', null, 'Set up a second factor'),
    h('p', { class: 'muted' }, `${state.me.org?.name || 'Your organization'} asks for a code from an authenticator app at every sign-in. Set one up to continue.`),
    host, cancel);
  await enrolForm(host, async (r) => {
    clear(host, recoveryCodes(r.recovery_codes),
      h('div', { class: 'form-actions' }, h('button', { type: 'button', class: 'btn primary', onclick: async () => {
        await loadMe();
        navigate(next, { replace: true });
      } }, 'I saved my codes, continue')));
  });
}

/** My profile -> Security. */
export async function securitySection(host) {
  const st = await api('/v1/me/mfa');
  const body = h('div');
  clear(host, h('h2', { id: 'sec-h' }, 'Security'), body);
  const status = h('p', null, 'Authenticator app: ', st.totp ? badge('set up', 'ok') : badge('not set up', 'outline'),
    st.required ? h('span', { class: 'sub' }, 'Your organization requires one.') : null);
  if (!st.totp) {
    const start = h('button', { type: 'button', class: 'btn primary' }, 'Set up an authenticator app');
    const area = h('div');
    start.addEventListener('click', () => busy(start, async () => {
      start.hidden = true;
      await enrolForm(area, async (r) => {
        toast('Authenticator app set up.');
        await securitySection(host);
        host.append(recoveryCodes(r.recovery_codes));
      });
    }));
    clear(body, status, h('p', { class: 'muted small' }, 'With an app on your phone, signing in needs your password and a six-digit code.'), start, area);
    return;
  }
  const used = st.factors.find((f) => f.kind === 'totp');
  const code = codeField('Current code from your app');
  const out = h('div');
  const f = h('form', { novalidate: true }, code,
    h('div', { class: 'form-actions' },
      h('button', { type: 'submit', class: 'btn', value: 'codes' }, 'New recovery codes'),
      h('button', { type: 'submit', class: 'btn danger', value: 'remove' }, 'Remove the app')));
  f.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(f);
    await busy(e.submitter, async () => {
      try {
        if (e.submitter.value === 'remove') {
          await api('/v1/me/mfa/totp', { method: 'DELETE', body: { code: code.input.value.trim() } });
          toast('Authenticator app removed.');
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
    h('p', { class: 'small' }, `Set up ${fmtTime(used?.created_at)}`, used?.last_used_at ? `; last used ${fmtTime(used.last_used_at)}` : '',
      `. ${st.recovery_codes_left} of 10 recovery codes left.`),
    f, out);
}
