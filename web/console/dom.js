// DOM helpers for the console: build elements without innerHTML (every piece
// of data goes in as text), and the small set of widgets every page shares:
// form fields with error slots, dialogs, confirmations and toasts.

import { t, errorText, language } from '/console/i18n.js';

let idSeq = 0;
export const uid = (p = 'f') => `${p}-${++idSeq}`;

const PROPS = new Set(['value', 'checked', 'disabled', 'selected', 'hidden', 'indeterminate', 'open', 'multiple', 'required', 'readOnly']);

/** h('button', {class: 'btn', onclick: fn, 'aria-label': 'x'}, 'text', child...) */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  if (props) {
    for (const [k, v] of Object.entries(props)) {
      if (v === undefined || v === null || v === false) {
        if (PROPS.has(k) && v === false) el[k] = false;
        continue;
      }
      if (k === 'class') el.className = v;
      else if (k === 'text') el.textContent = v;
      else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
      else if (PROPS.has(k)) el[k] = v;
      else el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** Empties el and appends children (nulls skipped); returns el. */
export function clear(el, ...children) { el.replaceChildren(); return append(el, children); }

/** A labelled input. opts: label, name, type, value, hint, required, options [{value,label}], attrs */
export function field(opts) {
  const id = opts.id || uid(opts.name || 'f');
  const hintId = opts.hint ? `${id}-hint` : null;
  const errId = `${id}-err`;
  let input;
  const common = {
    id, name: opts.name, required: opts.required || false, disabled: opts.disabled || false,
    'aria-describedby': [hintId, errId].filter(Boolean).join(' '), ...(opts.attrs || {}),
  };
  if (opts.type === 'select') {
    input = h('select', common, (opts.options || []).map((o) =>
      h('option', { value: o.value, selected: String(o.value) === String(opts.value ?? '') }, o.label)));
  } else if (opts.type === 'textarea') {
    input = h('textarea', common);
    input.value = opts.value ?? '';
  } else {
    input = h('input', { type: opts.type || 'text', value: opts.value ?? '', readOnly: opts.readonly || false, ...common });
  }
  const wrap = h('div', { class: 'field', 'data-field': opts.name || '' },
    h('label', { for: id }, opts.label),
    input,
    opts.hint ? h('div', { class: 'hint', id: hintId }, opts.hint) : null,
    h('div', { class: 'error', id: errId, hidden: true }));
  wrap.input = input;
  return wrap;
}

/** A checkbox with its label (and optional description). */
export function checkbox({ label, name, checked, disabled, desc, value, attrs }) {
  const id = uid(name || 'c');
  const input = h('input', { type: 'checkbox', id, name, value, checked: !!checked, disabled: !!disabled, ...(attrs || {}) });
  const el = h('label', { class: 'check', for: id }, input,
    h('span', null, label, desc ? h('span', { class: 'desc' }, desc) : null));
  el.input = input;
  return el;
}

/** Clears errors shown by showError in a form. */
export function clearErrors(form) {
  form.querySelectorAll('.form-error').forEach((e) => e.remove());
  form.querySelectorAll('.field .error').forEach((e) => { e.textContent = ''; e.hidden = true; });
  form.querySelectorAll('[aria-invalid]').forEach((e) => e.removeAttribute('aria-invalid'));
}

/**
 * Shows an API error in a form: every invalid field the problem lists in
 * `errors` (or the one `field`) next to its input (the input's name, or a
 * data-field wrapper), the first one focused; what has no place in the form
 * at the top. Each text is the catalogue's "error.<code>" in the person's
 * language when there is one, else the server's (English) detail.
 */
export function showError(form, err) {
  clearErrors(form);
  const list = Array.isArray(err?.body?.errors) && err.body.errors.length ? err.body.errors
    : [{ field: err?.field, code: err?.code, detail: err?.detail || err?.message }];
  const findField = (f) => (f ? form.querySelector(`.field[data-field="${CSS.escape(f)}"]`) ||
    form.querySelector(`.field[data-field="${CSS.escape(f.split('.').pop())}"]`) : null);
  let first = null;
  const loose = [];
  for (const item of list) {
    const e = { ...item, detail: errorText(item) };
    const target = findField(e.field);
    if (!target) { loose.push(e.detail); continue; }
    const slot = target.querySelector('.error');
    slot.textContent = slot.hidden ? e.detail : `${slot.textContent} ${e.detail}`;
    slot.hidden = false;
    const input = target.querySelector('input, select, textarea');
    if (input) { input.setAttribute('aria-invalid', 'true'); if (!first) first = input; }
  }
  if (loose.length) {
    const box = h('div', { class: 'form-error', role: 'alert', tabindex: '-1' }, loose.join(' '));
    const head = form.firstElementChild;
    if (head && /^H[1-3]$/.test(head.tagName)) head.after(box); else form.prepend(box);
    if (!first) first = box;
  }
  first?.focus();
}

/** Runs fn while a button shows it is busy; returns fn's result. */
export async function busy(button, fn) {
  const was = button?.disabled;
  if (button) { button.disabled = true; button.setAttribute('aria-busy', 'true'); }
  try { return await fn(); } finally {
    if (button) { button.disabled = was; button.removeAttribute('aria-busy'); }
  }
}

/**
 * A modal dialog. opts: title, body (nodes), actions [{label, kind, value,
 * onClick(dialog) -> false keeps it open}], wide. Resolves with the value of
 * the action used, or null when dismissed (Esc / Cancel).
 */
export function openDialog({ title, body, actions = [], wide = false, onOpen, label }) {
  return new Promise((resolve) => {
    const titleId = uid('dlg');
    const foot = h('div', { class: 'dlg-foot' });
    const dlg = h('dialog', { class: wide ? 'wide' : '', 'aria-labelledby': titleId, 'aria-label': label },
      h('div', { class: 'dlg-head' }, h('h2', { id: titleId }, title)),
      h('div', { class: 'dlg-body' }, body),
      foot);
    let result = null;
    for (const a of actions) {
      const b = h('button', { type: a.submit ? 'submit' : 'button', class: `btn ${a.kind || ''}`, form: a.form }, a.label);
      b.addEventListener('click', async (ev) => {
        if (a.submit) return; // the form's submit handler decides
        ev.preventDefault();
        if (a.onClick) {
          const keep = await busy(b, () => a.onClick(dlg));
          if (keep === false) return;
        }
        result = a.value ?? null;
        dlg.close();
      });
      foot.append(b);
    }
    dlg.finish = (value) => { result = value; dlg.close(); };
    dlg.addEventListener('close', () => { dlg.remove(); resolve(result); });
    document.body.append(dlg);
    dlg.showModal();
    onOpen?.(dlg);
  });
}

/** A confirmation naming what will happen. Resolves true when confirmed. */
export async function confirmDialog({ title, message, confirmLabel = t('common.confirm'), danger = false, action }) {
  let error = null;
  const body = h('div', null, Array.isArray(message) ? message : h('p', null, message));
  const r = await openDialog({
    title, body,
    actions: [
      { label: t('common.cancel'), value: false },
      {
        label: confirmLabel, kind: danger ? 'danger solid' : 'primary', value: true,
        onClick: action ? async () => {
          try { await action(); return true; } catch (e) {
            error?.remove();
            error = h('div', { class: 'form-error', role: 'alert' }, errorText(e));
            body.prepend(error);
            return false;
          }
        } : undefined,
      },
    ],
  });
  return r === true;
}

export function toast(message, kind = '') {
  const host = document.getElementById('toasts');
  const t = h('div', { class: `toast ${kind}` }, message);
  host.append(t);
  setTimeout(() => t.remove(), kind === 'error' ? 8000 : 4000);
}

export function badge(text, kind = '') { return h('span', { class: `badge ${kind}` }, text); }

const pad = (n) => String(n).padStart(2, '0');
/** Local time as YYYY-MM-DD HH:MM: compact and unambiguous in tables. */
export function fmtTime(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function fmtDate(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleDateString(language(), { year: 'numeric', month: 'short', day: 'numeric' });
}

export function fmtDuration(seconds) {
  const s = Math.max(0, Math.round(seconds || 0));
  const hrs = Math.floor(s / 3600), min = Math.floor((s % 3600) / 60);
  return hrs ? t('common.hoursMinutes', { h: hrs, min: String(min).padStart(2, '0') }) : t('common.minutes', { min });
}

/** A table in a scroll container with sticky headers. columns: [{label, class}] */
export function table({ columns, rows, empty = t('common.nothingToShow'), caption, className = '' }) {
  const tbody = h('tbody', null, rows);
  if (!rows.length) tbody.append(h('tr', null, h('td', { colspan: columns.length, class: 'empty' }, empty)));
  return h('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': caption || t('common.table') },
    h('table', { class: className },
      caption ? h('caption', { class: 'visually-hidden' }, caption) : null,
      h('thead', null, h('tr', null, columns.map((c) => h('th', { scope: 'col', class: c.class || '' }, c.label)))),
      tbody));
}

/** Copies text to the clipboard, falling back to selecting it. */
export async function copyText(text, el) {
  try { await navigator.clipboard.writeText(text); toast(t('common.copied')); } catch {
    if (el) { const r = document.createRange(); r.selectNodeContents(el); getSelection().removeAllRanges(); getSelection().addRange(r); }
  }
}

export function debounce(fn, ms = 250) {
  let t;
  return (...a) => { clearTimeout(t); t = setTimeout(() => fn(...a), ms); };
}

/** Tabs with the ARIA tabs pattern: [{id, label, panel(node)}]. */
export function tabs(items, selected = items[0]?.id, onChange) {
  const list = h('div', { class: 'tabs', role: 'tablist' });
  const panels = h('div');
  const btns = [];
  const select = (id, focus) => {
    for (const it of items) {
      const on = it.id === id;
      it.btn.setAttribute('aria-selected', on ? 'true' : 'false');
      it.btn.tabIndex = on ? 0 : -1;
      it.panelEl.hidden = !on;
      if (on && focus) it.btn.focus();
    }
    onChange?.(id);
  };
  items.forEach((it, i) => {
    const tid = uid('tab'), pid = uid('panel');
    it.btn = h('button', { type: 'button', role: 'tab', id: tid, 'aria-controls': pid, onclick: () => select(it.id) }, it.label);
    it.btn.addEventListener('keydown', (e) => {
      const d = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0;
      if (!d) return;
      e.preventDefault();
      select(items[(i + d + items.length) % items.length].id, true);
    });
    it.panelEl = h('div', { role: 'tabpanel', id: pid, 'aria-labelledby': tid, tabindex: '0' }, it.panel);
    btns.push(it.btn);
    list.append(it.btn);
    panels.append(it.panelEl);
  });
  select(selected);
  const el = h('div', null, list, panels);
  el.select = select;
  return el;
}
