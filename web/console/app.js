// The console's entry point: client-side routes under /console/, the page
// shell (top bar, navigation that follows the user's permissions and tabs,
// main landmark) and the session lifecycle. Pages live in /console/pages/ and
// export render(ctx).
import { api, ApiError, onUnauthenticated } from '/console/api.js';
import { h, clear, toast } from '/console/dom.js';
import { t, setLanguage, pickLanguage, browserLanguage, language, errorText, onLanguageChange } from '/console/i18n.js';
import { state, loadMe, forget, can, hasTab } from '/console/state.js';

const BASE = '/console';

/* Each route: path pattern, page module, whether it needs a session, and the
 * check that decides whether the signed-in user may open it. */
const routes = [
  { path: '/sign-in', page: 'auth.js', fn: 'signIn', public: true, title: 'page.signIn' },
  { path: '/forgot-password', page: 'auth.js', fn: 'forgotPassword', public: true, title: 'page.forgotPassword' },
  { path: '/reset-password', page: 'auth.js', fn: 'resetPassword', public: true, title: 'page.resetPassword' },
  { path: '/verify-email', page: 'auth.js', fn: 'verifyEmail', public: true, title: 'page.verifyEmail' },
  { path: '/accept-invite', page: 'auth.js', fn: 'acceptInvite', public: true, title: 'page.acceptInvite' },
  { path: '/setup', page: 'auth.js', fn: 'setup', public: true, title: 'page.setup' },
  { path: '/second-step', page: 'mfa.js', fn: 'secondStep', public: true, title: 'page.secondStep' },
  { path: '/users', page: 'users.js', fn: 'render', allow: () => hasTab('users'), title: 'page.users', nav: 'users' },
  { path: '/users/import', page: 'import.js', fn: 'render', allow: () => can('users.manage'), title: 'page.import', nav: 'users' },
  { path: '/users/:id', page: 'user.js', fn: 'render', allow: () => hasTab('users'), title: 'page.user', nav: 'users' },
  { path: '/roles', page: 'roles.js', fn: 'render', allow: () => can('users.view') || can('users.manage'), title: 'page.roles', nav: 'roles' },
  { path: '/groups', page: 'groups.js', fn: 'render', allow: () => can('groups.manage'), title: 'page.groups', nav: 'groups' },
  { path: '/groups/:id', page: 'groups.js', fn: 'renderOne', allow: () => can('groups.manage'), title: 'page.group', nav: 'groups' },
  { path: '/tasks', page: 'tasks.js', fn: 'render', allow: () => can('tasks.assign') || can('users.view'), title: 'page.tasks', nav: 'tasks' },
  { path: '/tasks/:id', page: 'tasks.js', fn: 'renderOne', allow: () => can('tasks.assign') || can('users.view'), title: 'page.task', nav: 'tasks' },
  { path: '/orders', page: 'tasks.js', fn: 'renderOrder', allow: () => can('tasks.assign') || can('users.view'), title: 'page.order', nav: 'tasks' },
  { path: '/screens', page: 'screens.js', fn: 'render', allow: () => can('tasks.assign'), title: 'page.screens', nav: 'screens' },
  { path: '/screens/:id', page: 'screens.js', fn: 'renderOne', allow: () => can('tasks.assign'), title: 'page.screen', nav: 'screens' },
  { path: '/views', page: 'views.js', fn: 'render', allow: () => true, title: 'page.views', nav: 'views' },
  { path: '/settings', page: 'settings.js', fn: 'render', allow: () => can('settings.manage') || can('it.operations'), title: 'page.settings', nav: 'settings' },
  { path: '/kiosk-devices', page: 'devices.js', fn: 'render', allow: () => can('it.operations'), title: 'page.devices', nav: 'devices' },
  { path: '/api-keys', page: 'apikeys.js', fn: 'render', allow: () => can('it.operations'), title: 'page.apiKeys', nav: 'api-keys' },
  { path: '/signatures', page: 'signatures.js', fn: 'render', allow: () => true, title: 'page.signatures', nav: 'signatures' },
  { path: '/audit', page: 'audit.js', fn: 'render', allow: () => can('users.view'), title: 'page.audit', nav: 'audit' },
  { path: '/profile', page: 'profile.js', fn: 'render', allow: () => true, title: 'page.profile', nav: 'profile' },
];

/* Navigation entries, shown only when their route is allowed. Entries whose
 * API has not landed yet are marked with `feature` and hidden until the
 * server lists the route in its OpenAPI document. */
const nav = [
  { id: 'users', label: 'nav.users', href: '/users' },
  { id: 'roles', label: 'nav.roles', href: '/roles' },
  { id: 'groups', label: 'nav.groups', href: '/groups', feature: '/v1/groups' },
  { id: 'views', label: 'nav.views', href: '/views', feature: '/v1/views' },
  { id: 'tasks', label: 'nav.tasks', href: '/tasks', section: 'nav.section.shopFloor', feature: '/v1/tasks' },
  { id: 'screens', label: 'nav.screens', href: '/screens', feature: '/v1/screens' },
  { id: 'settings', label: 'nav.settings', href: '/settings', section: 'nav.section.organization' },
  { id: 'devices', label: 'nav.devices', href: '/kiosk-devices', feature: '/v1/kiosk-devices' },
  { id: 'api-keys', label: 'nav.apiKeys', href: '/api-keys' },
  { id: 'audit', label: 'nav.audit', href: '/audit' },
  { id: 'signatures', label: 'nav.signatures', href: '/signatures', feature: '/v1/signatures' },
  { id: 'profile', label: 'nav.profile', href: '/profile', section: 'nav.section.you' },
];

let features = null; // set of API paths the server offers
async function loadFeatures() {
  if (features) return features;
  try {
    const doc = await api('/v1/openapi.json');
    features = new Set(Object.keys(doc.paths || {}));
  } catch { features = new Set(); }
  return features;
}
export function hasFeature(path) { return !!features?.has(path); }

function match(pathname) {
  const rel = pathname.startsWith(BASE) ? pathname.slice(BASE.length) || '/' : pathname;
  const clean = rel.length > 1 ? rel.replace(/\/+$/, '') : rel;
  for (const r of routes) {
    const pp = r.path.split('/'), cp = clean.split('/');
    if (pp.length !== cp.length) continue;
    const params = {};
    let ok = true;
    for (let i = 0; i < pp.length; i++) {
      if (pp[i].startsWith(':')) params[pp[i].slice(1)] = decodeURIComponent(cp[i]);
      else if (pp[i] !== cp[i]) { ok = false; break; }
    }
    if (ok) return { route: r, params };
  }
  return { route: null, params: {}, rel: clean };
}

export function navigate(to, { replace = false } = {}) {
  const url = to.startsWith(BASE) ? to : BASE + to;
  if (replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  render();
}

function homePath() {
  if (hasTab('users')) return '/users';
  return '/profile';
}

const app = document.getElementById('app');
let shell = null; // {main, navEl, sidebar}

function brand() {
  return h('a', { class: 'brand', href: `${BASE}/` },
    h('img', { class: 'brand-mark', src: `${BASE}/favicon.svg`, alt: '' }), 'gatehouse');
}

function buildShell() {
  const me = state.me;
  const sidebar = h('nav', { class: 'sidebar', id: 'sidebar', 'aria-label': t('shell.mainNav') });
  const toggle = h('button', {
    type: 'button', class: 'btn small menu-toggle', 'aria-controls': 'sidebar', 'aria-expanded': 'false',
    onclick: () => {
      const open = sidebar.classList.toggle('open');
      toggle.setAttribute('aria-expanded', open ? 'true' : 'false');
    },
  }, t('shell.menu'));
  const signOut = h('button', { type: 'button', class: 'btn small', onclick: doSignOut }, t('common.signOut'));
  const main = h('main', { id: 'main', tabindex: '-1' });
  const header = h('header', { class: 'topbar' }, toggle, brand(),
    h('span', { class: 'org-name' }, me.org?.name || ''),
    h('span', { class: 'spacer' }),
    h('span', { class: 'whoami' }, me.name || me.email),
    signOut);
  clear(app, header, h('div', { class: 'shell' }, sidebar, main));
  shell = { main, sidebar, toggle };
  fillNav();
}

function fillNav() {
  const list = h('ul');
  for (const n of nav) {
    const r = routes.find((x) => x.path === n.href);
    if (r?.allow && !r.allow()) continue;
    if (n.feature && !hasFeature(n.feature)) continue;
    if (n.section) list.append(h('li', { class: 'nav-section', 'aria-hidden': 'true' }, t(n.section)));
    list.append(h('li', null, h('a', { href: BASE + n.href, 'data-nav': n.id }, t(n.label))));
  }
  clear(shell.sidebar, list);
}

function markNav(id) {
  shell.sidebar.querySelectorAll('a[data-nav]').forEach((a) => {
    if (a.dataset.nav === id) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  });
}

async function doSignOut() {
  let r = null;
  try { r = await api('/v1/auth/logout', { method: 'POST', quiet401: true }); } catch { /* gone already */ }
  forget();
  shell = null;
  // Signed in through the company IdP: sign out there too (it sends the browser back to the sign-in page).
  if (r && r.idp_logout_url) { location.assign(r.idp_logout_url); return; }
  navigate('/sign-in', { replace: true });
}

/** Reloads the signed-in user (after changing one's own access or language) and the nav. */
export async function refreshMe() {
  await loadMe();
  await applyLanguage(); // a new language drops the shell: the next render builds it again
  if (shell) fillNav();
}

/* The person's language, else the browser's, else English (i18n.js); before
 * anyone is signed in, the browser's. */
async function applyLanguage() {
  const before = language();
  await setLanguage(pickLanguage(state.me?.language, browserLanguage()));
  if (language() !== before) shell = null; // the shell's texts are in the old language
}

let renderSeq = 0;
export async function render() {
  const seq = ++renderSeq;
  const url = new URL(location.href);
  const { route, params } = match(url.pathname);
  const query = Object.fromEntries(url.searchParams.entries());
  app.setAttribute('aria-busy', 'true');
  try {
    if (!route || !route.public) {
      if (!state.me) {
        try { await loadMe(); } catch (e) {
          if (e.status === 401) {
            const next = url.pathname + url.search;
            const to = next.startsWith(`${BASE}/`) && next !== `${BASE}/` ? `/sign-in?next=${encodeURIComponent(next)}` : '/sign-in';
            navigate(to, { replace: true });
            return;
          }
          throw e;
        }
      }
      await applyLanguage();
      if (state.me.session?.mfa_pending) {
        // A sign-in whose second step is due can do nothing else (core/mfa.h).
        const next = url.pathname + url.search;
        navigate(`/second-step?next=${encodeURIComponent(next)}`, { replace: true });
        return;
      }
      if (state.me.session?.kiosk) {
        location.replace(`/kiosk/${encodeURIComponent(state.me.org.slug)}/`);
        return;
      }
      await loadFeatures();
    }
    if (!route) {
      if (state.me && (url.pathname === BASE || url.pathname === `${BASE}/`)) { navigate(homePath(), { replace: true }); return; }
      if (!shell) buildShell();
      showMessage(t('shell.notFound'), t('shell.notFoundText'));
      return;
    }
    if (route.public) {
      shell = null;
      const mod = await import(`${BASE}/pages/${route.page}`);
      if (seq !== renderSeq) return;
      const root = h('div', { class: 'auth' }, brand());
      const main = h('main', { id: 'main', class: 'auth-card', tabindex: '-1' });
      root.append(main);
      clear(app, root);
      document.title = t('shell.docTitle', { page: t(route.title) });
      await mod[route.fn]({ main, params, query, navigate, state });
      focusHeading(main);
      return;
    }
    if (!shell) buildShell();
    shell.sidebar.classList.remove('open');
    shell.toggle.setAttribute('aria-expanded', 'false');
    markNav(route.nav);
    if (route.allow && !route.allow()) {
      showMessage(t('shell.notAvailable'), t('shell.notAvailableText'));
      return;
    }
    const mod = await import(`${BASE}/pages/${route.page}`);
    if (seq !== renderSeq) return;
    clear(shell.main);
    document.title = t('shell.docTitle', { page: t(route.title) });
    const stopSkeleton = skeleton(shell.main, t(route.title));
    try {
      await mod[route.fn]({ main: shell.main, params, query, navigate, state, refreshMe, isCurrent: () => seq === renderSeq });
    } finally { stopSkeleton(); }
    if (seq === renderSeq) focusHeading(shell.main);
  } catch (e) {
    if (e.status === 401) return; // onUnauthenticated has taken over
    if (!(e instanceof ApiError)) console.error(e);
    if (!shell && state.me) buildShell();
    if (shell) showMessage(t('shell.wentWrong'), errorText(e));
    else toast(errorText(e), 'error');
  } finally {
    if (seq === renderSeq) app.setAttribute('aria-busy', 'false');
  }
}

/**
 * A page that has shown nothing after 300 ms gets a skeleton of a page head
 * and a few rows (and a status saying what loads), which goes away as soon
 * as the page puts its own content in. Returns the function that ends it.
 */
function skeleton(main, title) {
  let el = null;
  const timer = setTimeout(() => {
    if (main.childElementCount) return;
    el = h('div', { class: 'skeleton', 'data-skeleton': '' },
      h('p', { class: 'visually-hidden', role: 'status' }, t('shell.loadingPage', { page: title })),
      h('div', { class: 'sk-line sk-title', 'aria-hidden': 'true' }),
      h('div', { class: 'sk-line sk-sub', 'aria-hidden': 'true' }),
      ...Array.from({ length: 6 }, () => h('div', { class: 'sk-line sk-row', 'aria-hidden': 'true' })));
    main.append(el);
  }, 300);
  const obs = new MutationObserver(() => {
    if (el && [...main.children].some((c) => c !== el)) { el.remove(); el = null; obs.disconnect(); }
  });
  obs.observe(main, { childList: true });
  return () => { clearTimeout(timer); obs.disconnect(); el?.remove(); el = null; };
}

function showMessage(title, text) {
  clear(shell.main, h('div', { class: 'page-head' }, h('h1', { tabindex: '-1' }, title)),
    h('p', null, text), h('p', null, h('a', { href: `${BASE}/` }, t('shell.backToConsole'))));
  focusHeading(shell.main);
}

let firstRender = true;
function focusHeading(root) {
  if (firstRender) { firstRender = false; return; }
  const h1 = root.querySelector('h1');
  if (h1) { h1.tabIndex = -1; h1.focus({ preventScroll: false }); }
}

/* Links inside the console navigate without reloading. */
document.addEventListener('click', (e) => {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const a = e.target.closest('a[href]');
  if (!a || a.target || a.hasAttribute('download')) return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin || !url.pathname.startsWith(`${BASE}/`)) return;
  if (url.pathname.endsWith('.svg') || url.pathname.endsWith('.csv')) return;
  e.preventDefault();
  navigate(url.pathname + url.search);
});
window.addEventListener('popstate', render);

onUnauthenticated(() => {
  if (!state.me) return;
  forget();
  shell = null;
  toast(t('shell.sessionEnded'));
  const next = location.pathname + location.search;
  navigate(`/sign-in?next=${encodeURIComponent(next)}`, { replace: true });
});

/* The page's own texts outside the app (index.html): the skip link. */
onLanguageChange(() => { document.querySelector('.skip-link').textContent = t('shell.skipLink'); });
await setLanguage(browserLanguage());
document.querySelector('.skip-link').textContent = t('shell.skipLink');
render();
