// CSV import (issue 4): pick or paste a file, preview every row with a dry
// run (invite, create, skip, or the error with its row and column), then
// apply it, optionally all or nothing.
import { api } from '/console/api.js';
import { h, clear, field, checkbox, showError, clearErrors, busy, toast, badge, table } from '/console/dom.js';

const EXAMPLE = 'name,email,role,badge,office_access,factory_access\n' +
  'Maria Garcia,maria@example.com,user,,yes,no\n' +
  'Tomasz Nowak,,user,1042,no,yes\n' +
  'Aiko Tanaka,aiko@example.com,admin,1043,yes,yes\n';

const ACTION = {
  invite: { label: 'Invite', kind: 'accent', text: 'gets an invitation by mail' },
  create: { label: 'Create', kind: 'ok', text: 'is created as a staff member' },
  skip: { label: 'Skip', kind: '', text: 'already there' },
  error: { label: 'Error', kind: 'danger', text: 'cannot be imported' },
};

export async function render({ main }) {
  main.append(
    h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, h('a', { href: '/console/users' }, 'Users'), ' / Import'),
    h('div', { class: 'page-head' }, h('div', null, h('h1', null, 'Import users from CSV'),
      h('p', { class: 'sub' }, 'Onboard a whole plant at once: office staff get invitations, factory workers are created with their badges. Preview first; nothing changes until you import.'))));

  const file = field({ label: 'CSV file', name: 'file', type: 'file', attrs: { accept: '.csv,text/csv' }, hint: 'UTF-8, with a header row. Up to 10,000 rows.' });
  const text = field({ label: 'Or paste the rows', name: 'csv', type: 'textarea', attrs: { spellcheck: 'false', class: 'mono', rows: '8' } });
  const allOrNothing = checkbox({ label: 'All or nothing', name: 'all_or_nothing', desc: 'Import nothing if any row has an error.' });
  const preview = h('button', { type: 'submit', class: 'btn primary' }, 'Preview');
  const apply = h('button', { type: 'button', class: 'btn primary', hidden: true }, 'Import');
  const out = h('div', { 'aria-live': 'polite' });
  const form = h('form', { novalidate: true, class: 'card' },
    h('div', { class: 'grid-2' },
      h('div', null, file, text),
      h('div', null,
        h('h2', null, 'Columns'),
        h('p', { class: 'small' }, h('strong', null, 'name'), ' and ', h('strong', null, 'role'), ' (a role key) are required; ', h('strong', null, 'email'), ', ',
          h('strong', null, 'badge'), ', ', h('strong', null, 'office_access'), ' and ', h('strong', null, 'factory_access'), ' are optional, in any order. Access takes yes/no, true/false, 1/0 or x; blank means yes when the row has an email (office) or a badge (factory).'),
        h('details', null, h('summary', null, 'Example'), h('pre', { class: 'detail' }, EXAMPLE),
          h('button', { type: 'button', class: 'btn small', onclick: () => { text.input.value = EXAMPLE; } }, 'Use the example')))),
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
    if (!csv || !csv.trim()) throw Object.assign(new Error('Choose a file or paste some rows.'), { detail: 'Choose a file or paste some rows.', field: 'file' });
    const q = new URLSearchParams();
    if (dry) q.set('dry_run', '1');
    if (allOrNothing.input.checked) q.set('all_or_nothing', '1');
    // The server checks or imports every row in one request: a progress bar
    // (indeterminate: the server does not report per row) says it is working.
    const rowsN = Math.max(0, csv.split(/\r?\n/).filter((l) => l.trim()).length - 1);
    const what = `${dry ? 'Checking' : 'Importing'} ${rowsN} row${rowsN === 1 ? '' : 's'}…`;
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
        apply.textContent = `Import ${doable} row${doable === 1 ? '' : 's'}`;
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
        if (!report.rejected) toast('Import done.');
      } catch (err) { showError(form, err); }
    });
  });
}

function showReport(host, report, dry) {
  const s = report.summary;
  const n = (k) => s[k] ?? s[`${k}d`] ?? 0;
  const head = report.rejected
    ? h('div', { class: 'form-error', role: 'alert' }, 'Nothing was imported: some rows have errors and “All or nothing” is on.')
    : dry ? h('div', { class: 'notice', role: 'status' }, `Preview of ${s.rows} row${s.rows === 1 ? '' : 's'}: nothing has changed yet.`)
      : h('div', { class: 'notice ok', role: 'status' }, `Imported: ${n('invite')} invited, ${n('create')} created, ${n('skip')} skipped, ${n('error')} with errors. `,
        h('a', { href: '/console/users' }, 'Back to users'));
  const rows = report.rows.map((r) => {
    const a = ACTION[r.action] || { label: r.action, kind: '' };
    return h('tr', { class: r.action === 'error' ? 'row-error' : '' },
      h('td', { class: 'num' }, String(r.row)),
      h('td', null, r.name || '—', h('span', { class: 'sub' }, [r.email, r.badge ? `badge ${r.badge}` : null].filter(Boolean).join(' · ') || 'no email or badge')),
      h('td', null, r.role || '—'),
      h('td', null, badge(a.label, a.kind)),
      h('td', { class: 'wrap small' }, r.detail ? [r.column ? h('strong', null, `${r.column}: `) : null, r.detail] : r.renewed ? 'renews an expired invitation' : ''));
  });
  clear(host,
    head,
    h('div', { class: 'import-summary' }, ['invite', 'create', 'skip', 'error'].map((k) => badge(`${n(k)} ${ACTION[k].label.toLowerCase()}`, ACTION[k].kind))),
    table({ caption: 'Rows', columns: [{ label: 'Row', class: 'num' }, { label: 'Name, email, badge' }, { label: 'Role' }, { label: 'Action' }, { label: 'Problem' }], rows }));
}
