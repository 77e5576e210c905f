// Languages for the console and the kiosk (issue 22): every user-facing text
// comes from a message catalogue, one file per language in
// /console/i18n/<lang>.json (a flat object of key -> text, the same keys in
// every language; tests/api/i18n.test.mjs checks them against English).
//
// A text may hold placeholders {name}, filled from t()'s second argument; a
// key with a count looks for "<key>.one" / "<key>.other" (the language's
// plural rules) before "<key>". A key missing from a language falls back to
// English, and a key missing from English shows as the key itself (a bug the
// catalogue test catches).
//
// The language is the first supported one of: the person's setting
// (`language` on the user), the kiosk device's, the browser's
// (navigator.languages), English.

export const LANGUAGES = [
  { code: 'en', name: 'English' },
  { code: 'es', name: 'Español' },
  { code: 'de', name: 'Deutsch' },
];
const SUPPORTED = new Set(LANGUAGES.map((l) => l.code));

let current = 'en';
let dict = {};
let english = {};
const cache = new Map();
const listeners = new Set();

async function catalogue(code) {
  if (!cache.has(code)) {
    cache.set(code, fetch(`/console/i18n/${code}.json`, { credentials: 'omit' })
      .then((r) => (r.ok ? r.json() : {}))
      .catch(() => ({})));
  }
  return cache.get(code);
}

/** The supported language a tag such as "es-MX" or "de" names, or null. */
export function supported(tag) {
  if (!tag || typeof tag !== 'string') return null;
  const base = tag.toLowerCase().split(/[-_]/)[0];
  return SUPPORTED.has(base) ? base : null;
}

/** The browser's first supported language, or null. */
export function browserLanguage() {
  const list = navigator.languages?.length ? navigator.languages : [navigator.language];
  for (const l of list) { const s = supported(l); if (s) return s; }
  return null;
}

/** The first supported of the candidates (person, device, browser), else English. */
export function pickLanguage(...candidates) {
  for (const c of candidates) { const s = supported(c); if (s) return s; }
  return 'en';
}

/** Loads and switches to a language; resolves once its texts are in place. */
export async function setLanguage(code) {
  const lang = supported(code) || 'en';
  const [en, d] = await Promise.all([catalogue('en'), catalogue(lang)]);
  english = en;
  dict = d;
  const changed = lang !== current;
  current = lang;
  document.documentElement.lang = lang;
  if (changed) listeners.forEach((fn) => fn(lang));
  return lang;
}

export function language() { return current; }

/** Called with the new code whenever the language changes. */
export function onLanguageChange(fn) { listeners.add(fn); }

const lookup = (key) => dict[key] ?? english[key];

/** The text of key in the current language, placeholders filled from vars. */
export function t(key, vars) {
  let s;
  if (vars && typeof vars.count === 'number') {
    const form = new Intl.PluralRules(current).select(vars.count);
    s = lookup(`${key}.${form}`) ?? lookup(`${key}.other`);
  }
  s ??= lookup(key);
  if (s === undefined) return key;
  return vars ? s.replace(/\{(\w+)\}/g, (m, k) => (vars[k] === undefined || vars[k] === null ? m : String(vars[k]))) : s;
}

/** Whether the catalogue has key (English counts). */
export function has(key) { return lookup(key) !== undefined; }

/**
 * The text to show for an API error. The server's detail is English (and
 * often more precise: it names limits and values), so English shows it as
 * is; another language shows the catalogue's "error.<code>" when it has one,
 * else the server's detail.
 */
export function errorText(e, fallback) {
  const code = e?.code;
  const detail = e?.detail || e?.message;
  if (code && (current !== 'en' || !detail) && has(`error.${code}`)) return t(`error.${code}`);
  return detail || fallback || t('common.somethingWrong');
}
