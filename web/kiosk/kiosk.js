// The shop-floor kiosk at /kiosk/{org}/ (002, 000): a worker types or scans
// a badge, enters a PIN on a large pad (buttons or keyboard digits), must
// choose a new PIN after a temporary one, then sees their tasks and agenda,
// checks in, pauses, completes or reports an error, sees today's time, and
// signs out. The single-task limit asks them to resolve the open check-in
// first. After the org's idle timeout the kiosk signs out and forgets
// everything, so the next worker starts fresh.
import { api as apiCall, onUnauthenticated } from '/console/api.js';
import { h, clear } from '/console/dom.js';
import { t, setLanguage, pickLanguage, browserLanguage, language, errorText } from '/console/i18n.js';

const slug = decodeURIComponent(location.pathname.split('/')[2] || '');
const main = document.getElementById('k-main');
const whoEl = document.getElementById('k-who');
const orgEl = document.getElementById('k-org');
const signOutBtn = document.getElementById('k-signout');
const idleBar = document.getElementById('k-idle');
const DEVICE_KEY = `gh_kiosk_device:${slug}`;
/* The enrolled device's language, as the last sign-in on it reported it: the
 * language of the sign-in screens until a worker with their own signs in. */
const DEVICE_LANG_KEY = `gh_kiosk_device_lang:${slug}`;

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

/* ---- device enrolment: /kiosk/{org}/#device=kdt_...[&lang=es] is stored and removed from the address ---- */
function takeDeviceToken() {
  const m = location.hash.match(/device=([A-Za-z0-9_-]+)/);
  if (!m) return;
  const lang = location.hash.match(/[#&]lang=([a-z]{2})\b/);
  try {
    localStorage.setItem(DEVICE_KEY, m[1]);
    if (lang) localStorage.setItem(DEVICE_LANG_KEY, lang[1]); else localStorage.removeItem(DEVICE_LANG_KEY);
  } catch { /* private mode: sign-in works without */ }
  history.replaceState(null, '', location.pathname + location.search);
}
takeDeviceToken();
window.addEventListener('hashchange', async () => {
  takeDeviceToken();
  if (!S.user) { await setLanguage(deviceLanguage()); chrome(); if (!S.badge) badgeScreen(); }
});
function deviceToken() { try { return localStorage.getItem(DEVICE_KEY) || undefined; } catch { return undefined; } }

/* ---- language: the worker's, else the device's, else the browser's (i18n.js) ---- */
function deviceLanguage() {
  let d = null;
  try { d = deviceToken() ? localStorage.getItem(DEVICE_LANG_KEY) : null; } catch { /* private mode */ }
  return pickLanguage(d, browserLanguage());
}
function rememberDeviceLanguage(r) {
  try {
    if (r.device_id && r.device_language) localStorage.setItem(DEVICE_LANG_KEY, r.device_language);
    else localStorage.removeItem(DEVICE_LANG_KEY);
  } catch { /* private mode */ }
}
/* The texts outside main: header, title, and what index.html says while loading. */
function chrome() {
  document.title = t('kiosk.pageTitle');
  orgEl.textContent = S.orgName || (slug ? t('kiosk.orgLabel', { slug }) : t('kiosk.name'));
  signOutBtn.textContent = t('common.signOut');
}

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
    idleBar.textContent = t('kiosk.idleWarning', { seconds: left });
    idleBar.hidden = false;
    countdown = setInterval(() => { left -= 1; idleBar.textContent = t('kiosk.idleWarning', { seconds: Math.max(0, left) }); }, 1000);
  }, ms - warn);
  idleTimer = setTimeout(() => signOut(() => t('kiosk.signedOutIdle')), ms);
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
  signOutBtn.hidden = true;
  clear(main);
  if (hadSession && token) { try { await api('/v1/auth/logout', { method: 'POST', quiet401: true, token }); } catch { /* gone already */ } }
  await setLanguage(deviceLanguage());
  chrome();
  badgeScreen(typeof message === 'function' ? message() : message);
}
signOutBtn.addEventListener('click', () => signOut(() => t('kiosk.signedOut')));
onUnauthenticated(() => { if (S.user) signOut(() => t('kiosk.sessionEnded')); });

function focusFirst(el) { requestAnimationFrame(() => el?.focus()); }

function errorBox(text) { return h('div', { class: 'k-error', role: 'alert' }, text); }

/* ---- 1. badge ---- */
function badgeScreen(message) {
  S.badge = ''; S.pin = '';
  armIdle();
  const input = h('input', { id: 'k-badge', name: 'badge', type: 'text', autocomplete: 'off', autocapitalize: 'off', spellcheck: 'false', inputmode: 'text', enterkeyhint: 'next', required: true });
  const err = h('div');
  const form = h('form', { class: 'k-card', novalidate: true },
    h('div', { class: 'k-field' }, h('label', { for: 'k-badge' }, t('kiosk.badgeLabel')), input),
    err,
    h('div', { class: 'k-actions' }, h('button', { type: 'submit', class: 'k-btn primary wide' }, t('common.next'))));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const b = input.value.trim();
    if (!b) { clear(err, errorBox(t('kiosk.badgeMissing'))); input.setAttribute('aria-invalid', 'true'); input.focus(); return; }
    S.badge = b;
    pinScreen();
  });
  clear(main,
    h('div', { class: 'k-center' },
      h('h1', null, t('kiosk.signIn')),
      h('p', { class: 'muted' }, t('kiosk.badgeHint')),
      message ? h('div', { class: 'k-note', role: 'status' }, message) : null,
      form));
  focusFirst(input);
}

/* ---- the PIN pad, shared by sign-in and the PIN change ---- */
function pinPad({ title, sub, submitLabel = t('kiosk.ok'), onSubmit, onBack, backLabel = t('common.back'), maxLen = 12 }) {
  let value = '';
  const dotsEl = h('div', { class: 'k-dots', 'aria-hidden': 'true' });
  const live = h('p', { class: 'visually-hidden', 'aria-live': 'polite' });
  const err = h('div');
  const draw = () => {
    clear(dotsEl, Array.from({ length: Math.max(4, value.length) }, (_, i) => h('span', { class: `k-dot${i < value.length ? ' filled' : ''}` })));
    live.textContent = t('kiosk.digitsEntered', { count: value.length });
  };
  const press = (d) => { if (value.length < maxLen) { value += d; draw(); } };
  const back = () => { value = value.slice(0, -1); draw(); };
  const reset = () => { value = ''; draw(); };
  let busy = false;
  const submit = async () => {
    if (busy) return;
    if (!value) { clear(err, errorBox(t('kiosk.pinMissing'))); return; }
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
  const pad = h('div', { class: 'k-pad', role: 'group', 'aria-label': t('kiosk.pinPad') },
    ['1', '2', '3', '4', '5', '6', '7', '8', '9'].map((d) => key(d, () => press(d))),
    key(t('kiosk.clear'), reset, 'fn', t('kiosk.clearPin')), key('0', () => press('0')), key(submitLabel, submit, 'go'));
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
    title: t('kiosk.pinTitle'),
    sub: t('kiosk.pinSub', { badge: S.badge }),
    onBack: () => badgeScreen(),
    backLabel: t('kiosk.changeBadge'),
    onSubmit: async (pin, fail) => {
      try {
        const r = await api(`/v1/kiosk/${encodeURIComponent(slug)}/login`, { method: 'POST', quiet401: true,
          body: { badge: S.badge, pin, device_token: deviceToken() } });
        keepToken(r.token);
        S.user = r.user;
        S.idleS = r.idle_timeout_s || 120;
        rememberDeviceLanguage(r);
        await setLanguage(pickLanguage(r.user?.language, r.device_language, browserLanguage()));
        chrome();
        showWho();
        if (r.pin_change_required) { S.pin = pin; newPinScreen(); } else { S.pin = ''; await homeScreen(); }
      } catch (e) {
        fail(['invalid_credentials', 'pin_blocked', 'too_many_attempts', 'account_locked', 'account_expired', 'device_not_enrolled',
          'no_factory_access'].includes(e.code) ? t(`kiosk.error.${e.code}`) : errorText(e));
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
    title: repeat ? t('kiosk.repeatPin') : t('kiosk.ownPin'),
    sub: repeat ? t('kiosk.repeatPinSub') : t('kiosk.ownPinSub'),
    submitLabel: repeat ? t('common.save') : t('common.next'),
    onBack: () => signOut(() => t('kiosk.signedOut')),
    backLabel: t('kiosk.cancelSignOut'),
    onSubmit: async (pin, fail) => {
      if (!repeat) { newPinScreen(pin); return; }
      if (pin !== first) { newPinScreen('', t('kiosk.pinsDiffer')); return; }
      try {
        await api('/v1/kiosk/pin', { method: 'POST', body: { current_pin: S.pin, new_pin: pin } });
        S.pin = '';
        await homeScreen(t('kiosk.pinSaved'));
      } catch (e) {
        if (e.code === 'pin_too_weak' || e.code === 'pin_invalid') { newPinScreen('', errorText(e)); return; }
        fail(errorText(e));
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
    current: [t('kiosk.changePin'), t('kiosk.changePinSub'), t('common.next')],
    new: [t('kiosk.newPin'), t('kiosk.newPinSub'), t('common.next')],
    repeat: [t('kiosk.repeatPin'), t('kiosk.repeatPinSub'), t('common.save')],
  }[step];
  const card = pinPad({
    title: text[0], sub: text[1], submitLabel: text[2],
    onBack: () => homeScreen(), backLabel: t('common.cancel'),
    onSubmit: async (pin, fail) => {
      if (step === 'current') { changePinScreen('new', pin); return; }
      if (step === 'new') { changePinScreen('repeat', current, pin); return; }
      if (pin !== first) { changePinScreen('new', current, '', t('kiosk.pinsDifferAgain')); return; }
      try {
        await api('/v1/kiosk/pin', { method: 'POST', body: { current_pin: current, new_pin: pin } });
        await homeScreen(t('kiosk.pinSaved'));
      } catch (e) {
        if (e.code === 'invalid_current_pin' || e.code === 'pin_changed') { changePinScreen('current', '', '', t('kiosk.currentPinWrong')); return; }
        if (e.field === 'current_pin') { changePinScreen('current', '', '', errorText(e)); return; }
        if (e.code === 'pin_too_weak' || e.code === 'pin_invalid') { changePinScreen('new', current, '', errorText(e)); return; }
        fail(errorText(e));
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
      h('h1', { tabindex: '-1' }, t('kiosk.myTimeTitle')),
      h('div', { class: 'k-today' }, h('span', { class: 'label' }, t('kiosk.total')), h('span', { class: 'value', 'data-testid': 'week-total' }, fmtDur(sheet.total_s || 0)))),
    h('p', { class: 'muted' }, t('kiosk.myTimeSub')),
    days.length ? h('ul', { class: 'k-days', 'aria-label': t('kiosk.myTimePerDay') }, days.map((d) => h('li', { class: 'k-day' },
      h('div', { class: 'k-day-head' }, h('span', { class: 'title' }, new Date(`${d.date}T00:00:00Z`).toLocaleDateString(language(), { weekday: 'long', day: 'numeric', month: 'long', timeZone: 'UTC' })),
        h('span', { class: 'value' }, fmtDur(d.total_s))),
      h('ul', { class: 'k-day-tasks' }, d.tasks.map((x) => h('li', null, h('span', null, `${x.ref} · ${x.title}`), h('span', { class: 'value' }, fmtDur(x.seconds))))))))
      : h('p', { class: 'k-empty' }, t('kiosk.myTimeEmpty')),
    h('div', { class: 'k-actions' }, h('button', { type: 'button', class: 'k-btn primary', onclick: () => homeScreen() }, t('kiosk.backToTasks'))));
  focusFirst(main.querySelector('h1'));
}

/* ---- 4. tasks, agenda, check-ins ---- */
const fmtDur = (s) => {
  s = Math.max(0, Math.floor(s));
  const hh = Math.floor(s / 3600), mm = Math.floor((s % 3600) / 60);
  return hh ? t('common.hoursMinutes', { h: hh, min: String(mm).padStart(2, '0') }) : t('common.minutes', { min: mm });
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
    h('div', { class: 'status' }, t('kiosk.checkedIn')),
    h('div', { class: 'title', id: 'k-cur-title' }, open.task.title),
    h('div', { class: 'muted' }, `${open.task.ref} · ${t('kiosk.since', { time: new Date(open.started_at).toLocaleTimeString(language(), { hour: '2-digit', minute: '2-digit' }) })} · `, elapsed),
    h('div', { class: 'k-actions' },
      h('button', { type: 'button', class: 'k-btn', onclick: () => closeCheckin(open, 'paused') }, t('kiosk.pause')),
      h('button', { type: 'button', class: 'k-btn ok', onclick: () => closeCheckin(open, 'complete') }, t('kiosk.complete')),
      // Signing needs an enrolled kiosk device (its credential goes with the signature).
      deviceToken() ? h('button', { type: 'button', class: 'k-btn ok', onclick: () => signScreen(open) }, t('kiosk.completeAndSign')) : null,
      h('button', { type: 'button', class: 'k-btn danger', onclick: () => reportError(open) }, t('kiosk.errorButton')))) : null;

  const items = S.agenda.items || [];
  const list = items.length ? h('ul', { class: 'k-tasks', 'aria-label': t('kiosk.myTasks') }, items.map((task) => {
    const isOpen = !!task.open_checkin_id;
    const where = [task.assigned ? h('span', { class: 'k-tag' }, task.order_assigned && task.order_ref ? t('kiosk.yourOrder', { ref: task.order_ref }) : t('kiosk.assignedToYou')) : null,
      ...(task.screens || []).map((s) => h('span', { class: 'k-tag' }, s.name))];
    return h('li', { class: `k-task${isOpen ? ' active' : ''}`, 'data-task': task.ref },
      h('div', { class: 'info' },
        h('div', { class: 'title' }, task.title),
        h('div', { class: 'meta' }, [task.ref, task.order_ref ? t('kiosk.order', { ref: task.order_ref }) : null, task.due ? t('kiosk.due', { date: new Date(task.due).toLocaleDateString(language()) }) : null].filter(Boolean).join(' · ')),
        h('div', null, where)),
      isOpen ? h('span', { class: 'k-tag ok' }, t('kiosk.checkedIn'))
        : h('button', { type: 'button', class: 'k-btn primary', 'aria-label': t('kiosk.checkInTo', { title: task.title }), onclick: () => checkIn(task) }, t('kiosk.checkIn')));
  })) : h('p', { class: 'k-empty' }, t('kiosk.noTasks'));

  clear(main,
    h('div', { class: 'k-head' },
      h('h1', { tabindex: '-1' }, t('kiosk.hello', { name: S.user.name.split(' ')[0] })),
      h('div', { class: 'k-today' }, h('span', { class: 'label' }, t('kiosk.today')), todayValue)),
    message ? h('div', { class: 'k-note', role: 'status' }, message) : null,
    h('div', { id: 'k-msg' }),
    current,
    h('h2', null, t('kiosk.myTasks')),
    list,
    h('div', { class: 'k-actions k-more' },
      h('button', { type: 'button', class: 'k-btn', onclick: () => guarded(myTimeScreen) }, t('kiosk.myTime')),
      h('button', { type: 'button', class: 'k-btn', onclick: () => changePinScreen() }, t('kiosk.changePinButton'))));
  focusFirst(main.querySelector('h1'));
}

function showError(e) {
  const slot = document.getElementById('k-msg');
  if (slot) clear(slot, errorBox(errorText(e)));
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
    await homeScreen(t('kiosk.checkedInTo', { title: task.title }));
  });
}

function closeCheckin(open, status, note) {
  return guarded(async () => {
    await api(`/v1/checkins/${encodeURIComponent(open.id)}/checkout`, { method: 'POST', body: note ? { status, note } : { status } });
    await homeScreen(t(`kiosk.closed.${status}`, { title: open.task.title }));
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
    title: t('kiosk.signTitleAsPerformed', { title: open.task.title }),
    sub: t('kiosk.taskRefYourNameThe', { ref: open.task.ref }),
    submitLabel: t('kiosk.sign'),
    onBack: () => homeScreen(),
    backLabel: t('common.cancel'),
    onSubmit: async (pin, fail) => {
      let signed;
      try {
        signed = await api(`/v1/kiosk/${encodeURIComponent(slug)}/signatures`, { method: 'POST', quiet401: true, token: '',
          body: { device_token: deviceToken(), record_type: 'task', record_ref: open.task.ref, meaning: 'performed',
            credentials: { badge: S.badge, pin } } });
      } catch (e) {
        fail({
          invalid_credentials: t('kiosk.thatPinIsNotCorrect'),
          pin_blocked: t('kiosk.error.pin_blocked'),
          too_many_attempts: t('kiosk.error.too_many_attempts'),
          esign_not_enabled: t('kiosk.youAreNotEnabledFor'),
          device_not_enrolled: t('kiosk.error.device_not_enrolled'),
          pin_change_required: t('kiosk.chooseYourOwnPinFirst'),
        }[e.code] || errorText(e));
        return;
      }
      try {
        await api(`/v1/checkins/${encodeURIComponent(open.id)}/checkout`, { method: 'POST', body: { status: 'complete' } });
      } catch (e) {
        if (e.status !== 401) await homeScreen(t('kiosk.signedButNotCompleted', { error: errorText(e) }));
        return;
      }
      const at = new Date(signed.signed_at).toLocaleTimeString(language(), { hour: '2-digit', minute: '2-digit' });
      await homeScreen(t('kiosk.completedAndSignedTitlePerformed', { title: open.task.title, name: signed.signer.name, at }));
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
  const choice = await ask(t('kiosk.finishFirst'),
    t('kiosk.finishFirstText', { open: open.task.title, next: next.title }),
    [{ label: t('kiosk.pauseTask', { title: open.task.title }), value: 'paused', kind: 'primary' },
      { label: t('kiosk.completeTask', { title: open.task.title }), value: 'complete', kind: 'ok' },
      { label: t('kiosk.reportAnError'), value: 'error', kind: 'danger' },
      { label: t('common.cancel'), value: 'cancel' }]);
  if (!choice) return;
  await guarded(async () => {
    await api(`/v1/checkins/${encodeURIComponent(open.id)}/checkout`, { method: 'POST', body: { status: choice } });
    await api('/v1/checkins', { method: 'POST', body: { task_id: next.id } });
    await homeScreen(t('kiosk.checkedInTo', { title: next.title }));
  });
}

async function reportError(open) {
  const note = h('textarea', { id: 'k-note', maxlength: '500', rows: '3', class: 'k-textarea' });
  const extra = h('div', { class: 'k-field' }, h('label', { for: 'k-note' }, t('kiosk.whatWentWrong')), note);
  const v = await ask(t('kiosk.reportErrorTitle', { title: open.task.title }), t('kiosk.reportErrorText'),
    [{ label: t('kiosk.reportError'), value: 'error', kind: 'danger' }, { label: t('common.cancel'), value: 'cancel' }], extra);
  if (v === 'error') await closeCheckin(open, 'error', note.value.trim() || undefined);
}

/* ---- start: never resume a previous worker's session ---- */
(async function start() {
  await setLanguage(deviceLanguage());
  chrome();
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
