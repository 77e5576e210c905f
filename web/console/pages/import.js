// CSV import (issue 4): pick or paste a file, preview every row with a dry
// run (invite, create, skip, or the error with its row and column), then
// apply it, optionally all or nothing.
import { api } from '/console/api.js';
import { h, clear, field, checkbox, showError, clearErrors, busy, toast, badge, table } from '/console/dom.js';
import { t as tr } from '/console/i18n.js';

const EXAMPLE = 'name,email,role,badge,office_access,factory_access\n' +
  'Maria Garcia,maria@example.com,user,,yes,no\n' +
  'Tomasz Nowak,,user,1042,no,yes\n' +
  'Aiko Tanaka,aiko@example.com,admin,1043,yes,yes\n';

const ACTION = {
  invite: { get label() { return tr('import.invite'); }, kind: 'accent' },
  create: { get label() { return tr('import.create'); }, kind: 'ok' },
  skip: { get label() { return tr('import.skip'); }, kind: '' },
  error: { get label() { return tr('import.error'); }, kind: 'danger' },
};

export async function render({ main }) {
  main.append(
    h('nav', { class: 'crumbs', 'aria-label': tr('import.breadcrumb') }, h('a', { href: '/console/users' }, tr('import.users')), ' / Import'),
    h('div', { class: 'page-head' }, h('div', null, h('h1', null, tr('import.importUsersFromCsv')),
      h('p', { class: 'sub' }, tr('import.onboardAWholePlantAt')))));

  const file = field({ label: tr('import.csvFile'), name: 'file', type: 'file', attrs: { accept: '.csv,text/csv' }, hint: tr('import.utf8WithAHeader') });
  const text = field({ label: tr('import.orPasteTheRows'), name: 'csv', type: 'textarea', attrs: { spellcheck: 'false', class: 'mono', rows: '8' } });
  const allOrNothing = checkbox({ label: tr('import.allOrNothing'), name: 'all_or_nothing', desc: tr('import.importNothingIfAnyRow') });
  const preview = h('button', { type: 'submit', class: 'btn primary' }, tr('import.preview'));
  const apply = h('button', { type: 'button', class: 'btn primary', hidden: true }, tr('import.import'));
  const out = h('div', { 'aria-live': 'polite' });
  const form = h('form', { novalidate: true, class: 'card' },
    h('div', { class: 'grid-2' },
      h('div', null, file, text),
      h('div', null,
        h('h2', null, tr('import.columns')),
        h('p', { class: 'small' }, tr('import.columnsHelp')),
        h('details', null, h('summary', null, tr('import.example')), h('pre', { class: 'detail' }, EXAMPLE),
          h('button', { type: 'button', class: 'btn small', onclick: () => { text.input.value = EXAMPLE; } }, tr('import.useTheExample'))))),
    h('div', { class: 'field' }, allOrNothing),
    h('div', { class: 'form-actions' }, preview, apply));
  main.append(form, out);

  let lastCsv = null;
  async function csvText() {
    const f = file.input.files?.[0];
    if (f) return f.text();
    return text.input.value;
  }
  const invalidate = () => { apply.hidden = true; lastCsv = null; preview.className = 'btn primary'; };
  file.input.addEventListener('change', invalidate);
  text.input.addEventListener('input', invalidate);

  async function send(dry) {
    const csv = dry ? await csvText() : lastCsv;
    if (!csv || !csv.trim()) throw Object.assign(new Error(tr('import.chooseAFileOrPaste')), { detail: tr('import.chooseAFileOrPaste'), field: 'file' });
    const q = new URLSearchParams();
    if (dry) q.set('dry_run', '1');
    if (allOrNothing.input.checked) q.set('all_or_nothing', '1');
    // The server checks or imports every row in one request: a progress bar
    // (indeterminate: the server does not report per row) says it is working.
    const rowsN = Math.max(0, csv.split(/\r?\n/).filter((l) => l.trim()).length - 1);
    const what = tr(dry ? 'import.checkingRows' : 'import.importingRows', { count: rowsN });
    clear(out, h('div', { class: 'import-progress', role: 'status' },
      h('label', { for: 'import-progress' }, what), h('progress', { id: 'import-progress', 'aria-label': what })));
    try {
      const report = await api(`/v1/users/import?${q}`, { method: 'POST', raw: csv, contentType: 'text/csv; charset=utf-8' });
      return { report, csv };
    } catch (e) {
      if (e.code === 'import_rejected' && e.body.rows) return { report: { ...e.body, rejected: true }, csv };
      clear(out);
      throw e;
    }
  }

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    await busy(preview, async () => {
      try {
        const { report, csv } = await send(true);
        lastCsv = csv;
        const s = report.summary;
        const doable = (s.invite || 0) + (s.create || 0);
        apply.hidden = !doable || (allOrNothing.input.checked && s.error > 0);
        apply.textContent = tr('import.importRows', { count: doable });
        preview.className = apply.hidden ? 'btn primary' : 'btn';
        showReport(out, report, true);
      } catch (err) { invalidate(); clear(out); showError(form, err); }
    });
  });
  apply.addEventListener('click', async () => {
    clearErrors(form);
    await busy(apply, async () => {
      try {
        const { report } = await send(false);
        apply.hidden = true;
        showReport(out, report, false);
        if (!report.rejected) toast(tr('import.importDone'));
      } catch (err) { showError(form, err); }
    });
  });
}

function showReport(host, report, dry) {
  const s = report.summary;
  const n = (k) => s[k] ?? s[`${k}d`] ?? 0;
  const head = report.rejected
    ? h('div', { class: 'form-error', role: 'alert' }, tr('import.nothingWasImportedSomeRows'))
    : dry ? h('div', { class: 'notice', role: 'status' }, tr('import.previewOf', { count: s.rows }))
      : h('div', { class: 'notice ok', role: 'status' }, tr('import.imported', { invited: n('invite'), created: n('create'), skipped: n('skip'), errors: n('error') }), ' ',
        h('a', { href: '/console/users' }, tr('import.backToUsers')));
  const rows = report.rows.map((r) => {
    const a = ACTION[r.action] || { label: r.action, kind: '' };
    return h('tr', { class: r.action === 'error' ? 'row-error' : '' },
      h('td', { class: 'num' }, String(r.row)),
      h('td', null, r.name || '—', h('span', { class: 'sub' }, [r.email, r.badge ? tr('import.badgeN', { badge: r.badge }) : null].filter(Boolean).join(' · ') || tr('import.noEmailOrBadge'))),
      h('td', null, r.role || '—'),
      h('td', null, badge(a.label, a.kind)),
      h('td', { class: 'wrap small' }, r.detail ? [r.column ? h('strong', null, `${r.column}: `) : null, r.detail] : r.renewed ? tr('import.renews') : ''));
  });
  clear(host,
    head,
    h('div', { class: 'import-summary' }, ['invite', 'create', 'skip', 'error'].map((k) => badge(tr('import.summaryBadge', { n: n(k), action: ACTION[k].label.toLowerCase() }), ACTION[k].kind))),
    table({ caption: tr('import.rows'), columns: [{ label: tr('import.row'), class: 'num' }, { label: tr('import.nameEmailBadge') }, { label: tr('import.role2') }, { label: tr('import.action') }, { label: tr('import.problem') }], rows }));
}
