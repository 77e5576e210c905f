// The shop-floor kiosk at /kiosk/{org}/ (002, 000): a worker types or scans
// a badge, enters a PIN on a large pad (buttons or keyboard digits), must
// choose a new PIN after a temporary one, then sees their tasks and agenda,
// checks in, pauses, completes or reports an error, sees today's time, and
// signs out. The single-task limit asks them to resolve the open check-in
// first. After the org's idle timeout the kiosk signs out and forgets
// everything, so the next worker starts fresh.
import { api as apiCall, onUnauthenticated } from '/console/api.js';
import { h, clear } from '/console/dom.js';

const slug = decodeURIComponent(location.pathname.split('/')[2] || '');
const main = document.getElementById('k-main');
const whoEl = document.getElementById('k-who');
const orgEl = document.getElementById('k-org');
const signOutBtn = document.getElementById('k-signout');
const idleBar = document.getElementById('k-idle');
const DEVICE_KEY = `gh_kiosk_device:${slug}`;

/* Everything about the signed-in worker lives here and only here. */
let S = fresh();
function fresh() {
  return { badge: '', pin: '', user: null, token: '', orgName: '', idleS: 120, agenda: null, today: 0, todayAt: 0, timers: [], busy: false };
}

/* Kiosk sessions are bearer tokens, never cookies: a kiosk sign-in leaves
 * the browser's console session alone. The token is also kept in this tab's
 * sessionStorage for one purpose: a reload signs that session out. */
const TOKEN_KEY = `gh_kiosk_session:${slug}`;
function keepToken(t) {
  S.token = t;
  try { if (t) sessionStorage.setItem(TOKEN_KEY, t); else sessionStorage.removeItem(TOKEN_KEY); } catch { /* private mode */ }
}
const api = (path, opts = {}) => apiCall(path, { ...opts, token: opts.token ?? S.token });

/* ---- the clock in the header ---- */
const clockEl = document.getElementById('k-clock');
const tickClock = () => { clockEl.textContent = new Date().toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' }); };
tickClock();
setInterval(tickClock, 10000);

/* ---- device enrolment: /kiosk/{org}/#device=kdt_... is stored and removed from the address ---- */
function takeDeviceToken() {
  const m = location.hash.match(/device=([A-Za-z0-9_-]+)/);
  if (!m) return;
  try { localStorage.setItem(DEVICE_KEY, m[1]); } catch { /* private mode: sign-in works without */ }
  history.replaceState(null, '', location.pathname + location.search);
}
takeDeviceToken();
window.addEventListener('hashchange', takeDeviceToken);
function deviceToken() { try { return localStorage.getItem(DEVICE_KEY) || undefined; } catch { return undefined; } }

/* ---- idle sign-out ---- */
let idleTimer = null, warnTimer = null, countdown = null;
function armIdle() {
  clearTimeout(idleTimer); clearTimeout(warnTimer); clearInterval(countdown);
  idleBar.hidden = true;
  if (!S.user && !S.badge) return;
  const ms = Math.max(5, S.idleS) * 1000;
  const warn = Math.min(10000, ms / 3);
  warnTimer = setTimeout(() => {
    let left = Math.round(warn / 1000);
    idleBar.textContent = `Signing out in ${left} s. Touch the screen to stay.`;
    idleBar.hidden = false;
    countdown = setInterval(() => { left -= 1; idleBar.textContent = `Signing out in ${Math.max(0, left)} s. Touch the screen to stay.`; }, 1000);
  }, ms - warn);
  idleTimer = setTimeout(() => signOut('You were signed out after a while without activity.'), ms);
}
['pointerdown', 'keydown'].forEach((ev) => document.addEventListener(ev, () => { if (S.user || S.badge) armIdle(); }, { capture: true }));

/* ---- sign-out: the server session, then every trace on this page ---- */
async function signOut(message) {
  const hadSession = !!S.user;
  const token = S.token;
  S.timers.forEach(clearInterval);
  S = fresh();
  keepToken('');
  clearTimeout(idleTimer); clearTimeout(warnTimer); clearInterval(countdown);
  idleBar.hidden = true;
  document.querySelectorAll('dialog').forEach((d) => d.remove());
  whoEl.hidden = true; whoEl.textContent = '';
  document.body.classList.remove('signed-in');
  orgEl.textContent = slug ? `Kiosk · ${slug}` : 'Kiosk';
  signOutBtn.hidden = true;
  clear(main);
  if (hadSession && token) { try { await api('/v1/auth/logout', { method: 'POST', quiet401: true, token }); } catch { /* gone already */ } }
  badgeScreen(message);
}
signOutBtn.addEventListener('click', () => signOut('You are signed out.'));
onUnauthenticated(() => { if (S.user) signOut('Your session ended. Sign in again.'); });

function focusFirst(el) { requestAnimationFrame(() => el?.focus()); }

function errorBox(text) { return h('div', { class: 'k-error', role: 'alert' }, text); }

/* ---- 1. badge ---- */
function badgeScreen(message) {
  S.badge = ''; S.pin = '';
  armIdle();
  const input = h('input', { id: 'k-badge', name: 'badge', type: 'text', autocomplete: 'off', autocapitalize: 'off', spellcheck: 'false', inputmode: 'text', enterkeyhint: 'next', required: true });
  const err = h('div');
  const form = h('form', { class: 'k-card', novalidate: true },
    h('div', { class: 'k-field' }, h('label', { for: 'k-badge' }, 'Badge or employee code'), input),
    err,
    h('div', { class: 'k-actions' }, h('button', { type: 'submit', class: 'k-btn primary wide' }, 'Next')));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const b = input.value.trim();
    if (!b) { clear(err, errorBox('Scan or type your badge.')); input.setAttribute('aria-invalid', 'true'); input.focus(); return; }
    S.badge = b;
    pinScreen();
  });
  clear(main,
    h('div', { class: 'k-center' },
      h('h1', null, 'Sign in'),
      h('p', { class: 'muted' }, 'Scan your badge or type your code, then press Enter.'),
      message ? h('div', { class: 'k-note', role: 'status' }, message) : null,
      form));
  focusFirst(input);
}

/* ---- the PIN pad, shared by sign-in and the PIN change ---- */
function pinPad({ title, sub, submitLabel = 'OK', onSubmit, onBack, backLabel = 'Back', maxLen = 12 }) {
  let value = '';
  const dotsEl = h('div', { class: 'k-dots', 'aria-hidden': 'true' });
  const live = h('p', { class: 'visually-hidden', 'aria-live': 'polite' });
  const err = h('div');
  const draw = () => {
    clear(dotsEl, Array.from({ length: Math.max(4, value.length) }, (_, i) => h('span', { class: `k-dot${i < value.length ? ' filled' : ''}` })));
    live.textContent = `${value.length} digit${value.length === 1 ? '' : 's'} entered`;
  };
  const press = (d) => { if (value.length < maxLen) { value += d; draw(); } };
  const back = () => { value = value.slice(0, -1); draw(); };
  const reset = () => { value = ''; draw(); };
  let busy = false;
  const submit = async () => {
    if (busy) return;
    if (!value) { clear(err, errorBox('Enter your PIN.')); return; }
    busy = true;
    pad.querySelectorAll('button').forEach((b) => { b.disabled = true; });
    try {
      const v = value;
      reset();
      await onSubmit(v, (msg) => {
        clear(err, errorBox(msg));
        card.classList.remove('shake'); void card.offsetWidth; card.classList.add('shake');
      });
    } finally {
      busy = false;
      pad.querySelectorAll('button').forEach((b) => { b.disabled = false; });
    }
  };
  const key = (label, fn, cls = '', aria) => h('button', { type: 'button', class: `k-key ${cls}`, 'aria-label': aria || label, onclick: fn }, label);
  const pad = h('div', { class: 'k-pad', role: 'group', 'aria-label': 'PIN pad' },
    ['1', '2', '3', '4', '5', '6', '7', '8', '9'].map((d) => key(d, () => press(d))),
    key('Clear', reset, 'fn', 'Clear the PIN'), key('0', () => press('0')), key(submitLabel, submit, 'go'));
  const onKey = (e) => {
    if (!card.isConnected) { document.removeEventListener('keydown', onKey); return; }
    if (document.querySelector('dialog[open]')) return;
    if (/^[0-9]$/.test(e.key)) { e.preventDefault(); press(e.key); } else if (e.key === 'Backspace') { e.preventDefault(); back(); } else if (e.key === 'Enter') { e.preventDefault(); submit(); } else if (e.key === 'Escape' && onBack) { e.preventDefault(); onBack(); }
  };
  document.addEventListener('keydown', onKey);
  const card = h('section', { class: 'k-card', 'aria-labelledby': 'k-pin-title', 'data-testid': 'pin-pad' },
    h('h1', { id: 'k-pin-title', tabindex: '-1' }, title),
    sub ? h('p', { class: 'muted' }, sub) : null,
    dotsEl, live, err, pad,
    onBack ? h('div', { class: 'k-actions' }, h('button', { type: 'button', class: 'k-btn', onclick: onBack }, backLabel)) : null);
  draw();
  return card;
}

/* ---- 2. PIN ---- */
function pinScreen() {
  armIdle();
  const card = pinPad({
    title: 'Enter your PIN',
    sub: `Badge ${S.badge}. Type the digits or use the pad.`,
    onBack: () => badgeScreen(),
    backLabel: 'Not you? Change badge',
    onSubmit: async (pin, fail) => {
      try {
        const r = await api(`/v1/kiosk/${encodeURIComponent(slug)}/login`, { method: 'POST', quiet401: true,
          body: { badge: S.badge, pin, device_token: deviceToken() } });
        keepToken(r.token);
        S.user = r.user;
        S.idleS = r.idle_timeout_s || 120;
        showWho();
        if (r.pin_change_required) { S.pin = pin; newPinScreen(); } else { S.pin = ''; await homeScreen(); }
      } catch (e) {
        const msg = {
          invalid_credentials: 'That badge and PIN do not match. Try again.',
          pin_blocked: 'Your PIN is blocked after too many wrong attempts. Ask your supervisor for a new one.',
          too_many_attempts: 'Too many attempts. Wait a minute and try again.',
          account_locked: 'Your account is locked. Ask your supervisor.',
          account_expired: 'Your account has expired. Ask your supervisor.',
          device_not_enrolled: 'This device is not enrolled as a kiosk. Ask IT to enrol it.',
          no_factory_access: 'You do not have factory access. Ask your supervisor.',
        }[e.code] || e.detail;
        fail(msg);
      }
    },
  });
  clear(main, h('div', { class: 'k-center' }, card));
  focusFirst(card.querySelector('h1'));
}

function showWho() {
  whoEl.textContent = S.user?.name || '';
  whoEl.hidden = !S.user;
  signOutBtn.hidden = !S.user;
  document.body.classList.toggle('signed-in', !!S.user);
}

/* ---- 3. forced PIN change after a temporary PIN ---- */
function newPinScreen(first = '', message) {
  armIdle();
  const repeat = !!first;
  const card = pinPad({
    title: repeat ? 'Repeat your new PIN' : 'Choose your own PIN',
    sub: repeat ? 'Enter the same PIN again.' : 'Your PIN was temporary. Choose a new one that only you know: digits only, not easy to guess.',
    submitLabel: repeat ? 'Save' : 'Next',
    onBack: () => signOut('You are signed out.'),
    backLabel: 'Cancel and sign out',
    onSubmit: async (pin, fail) => {
      if (!repeat) { newPinScreen(pin); return; }
      if (pin !== first) { newPinScreen('', 'The two PINs were different. Start again.'); return; }
      try {
        await api('/v1/kiosk/pin', { method: 'POST', body: { current_pin: S.pin, new_pin: pin } });
        S.pin = '';
        await homeScreen('Your new PIN is saved. Use it next time.');
      } catch (e) {
        if (e.code === 'pin_too_weak' || e.code === 'pin_invalid') { newPinScreen('', e.detail); return; }
        fail(e.detail);
      }
    },
  });
  if (message) card.querySelector('.k-dots').before(errorBox(message));
  clear(main, h('div', { class: 'k-center' }, card));
  focusFirst(card.querySelector('h1'));
}

/* ---- 3b. a PIN change the worker asks for: current PIN, new PIN, the new PIN again ---- */
function changePinScreen(step = 'current', current = '', first = '', message) {
  armIdle();
  const text = {
    current: ['Change your PIN', 'First enter your current PIN.', 'Next'],
    new: ['Choose a new PIN', 'Digits only, not easy to guess, and not the one you have now.', 'Next'],
    repeat: ['Repeat your new PIN', 'Enter the same PIN again.', 'Save'],
  }[step];
  const card = pinPad({
    title: text[0], sub: text[1], submitLabel: text[2],
    onBack: () => homeScreen(), backLabel: 'Cancel',
    onSubmit: async (pin, fail) => {
      if (step === 'current') { changePinScreen('new', pin); return; }
      if (step === 'new') { changePinScreen('repeat', current, pin); return; }
      if (pin !== first) { changePinScreen('new', current, '', 'The two PINs were different. Choose your new PIN again.'); return; }
      try {
        await api('/v1/kiosk/pin', { method: 'POST', body: { current_pin: current, new_pin: pin } });
        await homeScreen('Your new PIN is saved. Use it next time.');
      } catch (e) {
        if (e.code === 'invalid_current_pin' || e.code === 'pin_changed') { changePinScreen('current', '', '', 'Your current PIN was not correct. Start again.'); return; }
        if (e.field === 'current_pin') { changePinScreen('current', '', '', e.detail); return; }
        if (e.code === 'pin_too_weak' || e.code === 'pin_invalid') { changePinScreen('new', current, '', e.detail); return; }
        fail(e.detail);
      }
    },
  });
  if (message) card.querySelector('.k-dots').before(errorBox(message));
  clear(main, h('div', { class: 'k-center' }, card));
  focusFirst(card.querySelector('h1'));
}

/* ---- 3c. the worker's own time records of the last 7 days ---- */
async function myTimeScreen() {
  armIdle();
  const sheet = await api('/v1/timesheets');
  if (!S.user) return;
  const days = (sheet.days || []).slice().reverse();
  clear(main,
    h('div', { class: 'k-head' },
      h('h1', { tabindex: '-1' }, 'My time, last 7 days'),
      h('div', { class: 'k-today' }, h('span', { class: 'label' }, 'Total'), h('span', { class: 'value', 'data-testid': 'week-total' }, fmtDur(sheet.total_s || 0)))),
    h('p', { class: 'muted' }, 'Finished check-ins per day (UTC). A task you are checked into counts once you pause or complete it.'),
    days.length ? h('ul', { class: 'k-days', 'aria-label': 'My time per day' }, days.map((d) => h('li', { class: 'k-day' },
      h('div', { class: 'k-day-head' }, h('span', { class: 'title' }, new Date(`${d.date}T00:00:00Z`).toLocaleDateString(undefined, { weekday: 'long', day: 'numeric', month: 'long', timeZone: 'UTC' })),
        h('span', { class: 'value' }, fmtDur(d.total_s))),
      h('ul', { class: 'k-day-tasks' }, d.tasks.map((t) => h('li', null, h('span', null, `${t.ref} · ${t.title}`), h('span', { class: 'value' }, fmtDur(t.seconds))))))))
      : h('p', { class: 'k-empty' }, 'No time recorded in the last 7 days. Check in to a task to start.'),
    h('div', { class: 'k-actions' }, h('button', { type: 'button', class: 'k-btn primary', onclick: () => homeScreen() }, 'Back to my tasks')));
  focusFirst(main.querySelector('h1'));
}

/* ---- 4. tasks, agenda, check-ins ---- */
const fmtDur = (s) => {
  s = Math.max(0, Math.floor(s));
  const hh = Math.floor(s / 3600), mm = Math.floor((s % 3600) / 60);
  return hh ? `${hh} h ${String(mm).padStart(2, '0')} min` : `${mm} min`;
};
const fmtClock = (s) => {
  s = Math.max(0, Math.floor(s));
  return `${Math.floor(s / 3600)}:${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
};
const todayUtc = () => new Date().toISOString().slice(0, 10);

async function load() {
  const [agenda, sheet] = await Promise.all([
    api('/v1/me/tasks'),
    api('/v1/timesheets', { query: { from: todayUtc(), to: todayUtc() } }).catch(() => ({ total_s: 0 })),
  ]);
  S.agenda = agenda;
  if (!S.orgName) {
    try { S.orgName = (await api('/v1/me')).org?.name; } catch { /* the slug will do */ }
    if (S.orgName) orgEl.textContent = S.orgName;
  }
  S.today = sheet.total_s || 0;
  S.todayAt = Date.now();
}

async function homeScreen(message) {
  armIdle();
  await load();
  if (!S.user) return;
  S.timers.forEach(clearInterval);
  S.timers = [];
  const open = S.agenda.open_checkin;
  const openStarted = open ? Date.parse(open.started_at) : 0;
  const todayValue = h('span', { class: 'value', 'data-testid': 'today' });
  const elapsed = open ? h('span', { class: 'elapsed' }) : null;
  const tick = () => {
    const running = open ? (Date.now() - openStarted) / 1000 : 0;
    todayValue.textContent = fmtDur(S.today + running);
    if (elapsed) elapsed.textContent = fmtClock(running);
  };
  tick();
  S.timers.push(setInterval(tick, 1000));

  const current = open ? h('section', { class: 'k-card k-current', 'aria-labelledby': 'k-cur-title', 'data-testid': 'current' },
    h('div', { class: 'status' }, 'Checked in'),
    h('div', { class: 'title', id: 'k-cur-title' }, open.task.title),
    h('div', { class: 'muted' }, `${open.task.ref} · since ${new Date(open.started_at).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })} · `, elapsed),
    h('div', { class: 'k-actions' },
      h('button', { type: 'button', class: 'k-btn', onclick: () => closeCheckin(open, 'paused') }, 'Pause'),
      h('button', { type: 'button', class: 'k-btn ok', onclick: () => closeCheckin(open, 'complete') }, 'Complete'),
      // Signing needs an enrolled kiosk device (its credential goes with the signature).
      deviceToken() ? h('button', { type: 'button', class: 'k-btn ok', onclick: () => signScreen(open) }, 'Complete and sign') : null,
      h('button', { type: 'button', class: 'k-btn danger', onclick: () => reportError(open) }, 'Error…'))) : null;

  const items = S.agenda.items || [];
  const list = items.length ? h('ul', { class: 'k-tasks', 'aria-label': 'My tasks' }, items.map((t) => {
    const isOpen = !!t.open_checkin_id;
    const where = [t.assigned ? h('span', { class: 'k-tag' }, t.order_assigned && t.order_ref ? `Your order ${t.order_ref}` : 'Assigned to you') : null,
      ...(t.screens || []).map((s) => h('span', { class: 'k-tag' }, s.name))];
    return h('li', { class: `k-task${isOpen ? ' active' : ''}`, 'data-task': t.ref },
      h('div', { class: 'info' },
        h('div', { class: 'title' }, t.title),
        h('div', { class: 'meta' }, [t.ref, t.order_ref ? `order ${t.order_ref}` : null, t.due ? `due ${new Date(t.due).toLocaleDateString()}` : null].filter(Boolean).join(' · ')),
        h('div', null, where)),
      isOpen ? h('span', { class: 'k-tag ok' }, 'Checked in')
        : h('button', { type: 'button', class: 'k-btn primary', 'aria-label': `Check in: ${t.title}`, onclick: () => checkIn(t) }, 'Check in'));
  })) : h('p', { class: 'k-empty' }, 'No tasks for you right now. Ask your supervisor.');

  clear(main,
    h('div', { class: 'k-head' },
      h('h1', { tabindex: '-1' }, `Hello, ${S.user.name.split(' ')[0]}`),
      h('div', { class: 'k-today' }, h('span', { class: 'label' }, 'Today'), todayValue)),
    message ? h('div', { class: 'k-note', role: 'status' }, message) : null,
    h('div', { id: 'k-msg' }),
    current,
    h('h2', null, 'My tasks'),
    list,
    h('div', { class: 'k-actions k-more' },
      h('button', { type: 'button', class: 'k-btn', onclick: () => guarded(myTimeScreen) }, 'My time'),
      h('button', { type: 'button', class: 'k-btn', onclick: () => changePinScreen() }, 'Change PIN')));
  focusFirst(main.querySelector('h1'));
}

function showError(e) {
  const slot = document.getElementById('k-msg');
  if (slot) clear(slot, errorBox(e.detail || String(e)));
}

async function guarded(fn) {
  if (S.busy) return;
  S.busy = true;
  try { await fn(); } catch (e) { if (e.status !== 401) showError(e); } finally { S.busy = false; }
}

function checkIn(task) {
  return guarded(async () => {
    try {
      await api('/v1/checkins', { method: 'POST', body: { task_id: task.id } });
    } catch (e) {
      if (e.code === 'checkin_limit' && e.body.open_checkin) { S.busy = false; await singleTaskPrompt(e.body.open_checkin, task); return; }
      throw e;
    }
    await homeScreen(`Checked in: ${task.title}`);
  });
}

function closeCheckin(open, status, note) {
  return guarded(async () => {
    await api(`/v1/checkins/${encodeURIComponent(open.id)}/checkout`, { method: 'POST', body: note ? { status, note } : { status } });
    const verb = { paused: 'Paused', complete: 'Completed', error: 'Reported an error on' }[status];
    await homeScreen(`${verb}: ${open.task.title}`);
  });
}

/* ---- 4b. complete a task with an electronic signature ("performed") ----
 * The worker proves themselves again with badge and PIN at the moment of
 * signing (never the kiosk session alone), on an enrolled device whose
 * credential goes with the request. The task is completed only once the
 * signature is recorded. */
function signScreen(open) {
  armIdle();
  const card = pinPad({
    title: `Sign “${open.task.title}” as performed`,
    sub: `Task ${open.task.ref}. Your name, the time and the meaning “performed” are recorded with your electronic signature. Enter your PIN to sign.`,
    submitLabel: 'Sign',
    onBack: () => homeScreen(),
    backLabel: 'Cancel',
    onSubmit: async (pin, fail) => {
      let signed;
      try {
        signed = await api(`/v1/kiosk/${encodeURIComponent(slug)}/signatures`, { method: 'POST', quiet401: true, token: '',
          body: { device_token: deviceToken(), record_type: 'task', record_ref: open.task.ref, meaning: 'performed',
            credentials: { badge: S.badge, pin } } });
      } catch (e) {
        fail({
          invalid_credentials: 'That PIN is not correct. Try again.',
          pin_blocked: 'Your PIN is blocked after too many wrong attempts. Ask your supervisor for a new one.',
          too_many_attempts: 'Too many attempts. Wait a minute and try again.',
          esign_not_enabled: 'You are not enabled for electronic signatures. Ask your supervisor.',
          device_not_enrolled: 'This device is not enrolled as a kiosk. Ask IT to enrol it.',
          pin_change_required: 'Choose your own PIN first (Change PIN), then sign.',
        }[e.code] || e.detail);
        return;
      }
      try {
        await api(`/v1/checkins/${encodeURIComponent(open.id)}/checkout`, { method: 'POST', body: { status: 'complete' } });
      } catch (e) {
        if (e.status !== 401) await homeScreen(`Signed, but not completed: ${e.detail || e}`);
        return;
      }
      const at = new Date(signed.signed_at).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
      await homeScreen(`Completed and signed: ${open.task.title} (performed, ${signed.signer.name}, ${at})`);
    },
  });
  clear(main, h('div', { class: 'k-center' }, card));
  focusFirst(card.querySelector('h1'));
}

/* A kiosk dialog; resolves with the value of the button pressed (null for Esc). */
function ask(title, text, buttons, extra) {
  return new Promise((resolve) => {
    const dlg = h('dialog', { 'aria-labelledby': 'k-dlg-title' },
      h('h2', { id: 'k-dlg-title' }, title), text ? h('p', null, text) : null, extra || null,
      h('div', { class: 'k-actions' }, buttons.map((b) => h('button', { type: 'button', class: `k-btn ${b.kind || ''}`, onclick: () => { dlg.returnValue = b.value; dlg.close(); } }, b.label))));
    dlg.addEventListener('close', () => { const v = dlg.returnValue; dlg.remove(); resolve(v && v !== 'cancel' ? v : null); });
    document.body.append(dlg);
    dlg.showModal();
  });
}

/* 000: "they will be prompted to resolve the status of the previous task first". */
async function singleTaskPrompt(open, next) {
  const choice = await ask('Finish your other task first',
    `You are still checked into “${open.task.title}”. Only one task at a time: pause it, complete it or report an error, then you are checked into “${next.title}”.`,
    [{ label: `Pause “${open.task.title}”`, value: 'paused', kind: 'primary' },
      { label: `Complete “${open.task.title}”`, value: 'complete', kind: 'ok' },
      { label: 'Report an error', value: 'error', kind: 'danger' },
      { label: 'Cancel', value: 'cancel' }]);
  if (!choice) return;
  await guarded(async () => {
    await api(`/v1/checkins/${encodeURIComponent(open.id)}/checkout`, { method: 'POST', body: { status: choice } });
    await api('/v1/checkins', { method: 'POST', body: { task_id: next.id } });
    await homeScreen(`Checked in: ${next.title}`);
  });
}

async function reportError(open) {
  const note = h('textarea', { id: 'k-note', maxlength: '500', rows: '3', class: 'k-textarea' });
  const extra = h('div', { class: 'k-field' }, h('label', { for: 'k-note' }, 'What went wrong? (optional)'), note);
  const v = await ask(`Report an error on “${open.task.title}”`, 'You are checked out of the task and it is marked as having an error.',
    [{ label: 'Report error', value: 'error', kind: 'danger' }, { label: 'Cancel', value: 'cancel' }], extra);
  if (v === 'error') await closeCheckin(open, 'error', note.value.trim() || undefined);
}

/* ---- start: never resume a previous worker's session ---- */
(async function start() {
  orgEl.textContent = slug ? `Kiosk · ${slug}` : 'Kiosk';
  let left = '';
  try { left = sessionStorage.getItem(TOKEN_KEY) || ''; } catch { /* private mode */ }
  keepToken('');
  if (left) { try { await api('/v1/auth/logout', { method: 'POST', quiet401: true, token: left }); } catch { /* expired already */ } }
  // A personal kiosk link (?badge=...) names the worker once; the address is
  // cleaned so a reload or the next worker does not inherit it.
  const prefill = new URLSearchParams(location.search).get('badge');
  if (prefill) history.replaceState(null, '', location.pathname);
  if (prefill) { S.badge = prefill; pinScreen(); } else badgeScreen();
})();
