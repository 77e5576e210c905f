// Views and dashboards (000, 003, 004): one's own personal views, plus every
// view shared with one's groups (read-only unless one may edit it). Holders
// of dashboards.manage create views (004: Admin and Manager) and share them
// with groups they belong to; holders of
// dashboards.manage_any can see and edit every view in the organization.
import { api, apiAll } from '/console/api.js';
import { h, clear, field, checkbox, showError, clearErrors, busy, openDialog, confirmDialog, toast, badge, fmtDate, table } from '/console/dom.js';
import { can } from '/console/state.js';

const KIND = { template: 'View template', dashboard: 'Dashboard' };

export async function render({ main, query }) {
  const manageAny = can('dashboards.manage_any');
  const sharer = can('dashboards.manage');
  const kind = field({ label: 'Kind', name: 'kind', type: 'select', value: query.kind || '',
    options: [{ value: '', label: 'Templates and dashboards' }, { value: 'template', label: 'View templates' }, { value: 'dashboard', label: 'Dashboards' }] });
  const all = manageAny ? checkbox({ label: 'Every view in the organization', name: 'all', checked: query.all === '1' }) : null;
  const host = h('div');
  main.append(h('div', { class: 'page-head' },
    h('div', null, h('h1', null, 'Views and dashboards'),
      h('p', { class: 'sub' }, 'Your own views and those shared with your groups. Shared views are read-only unless you may edit them; changes show on the next page load.')),
    // 004: creating dashboards and view templates needs dashboards.manage.
    sharer ? h('div', { class: 'actions' }, h('button', { type: 'button', class: 'btn primary', onclick: () => editView(null, load) }, 'New view')) : null),
  h('div', { class: 'filters' }, kind, all ? h('div', { class: 'field' }, all) : null), host);

  let groups = null;
  async function load() {
    const q = { kind: kind.input.value, all: all?.input.checked ? 1 : undefined };
    const sp = new URLSearchParams(Object.entries(q).filter(([, v]) => v));
    history.replaceState(null, '', `/console/views${sp.toString() ? `?${sp}` : ''}`);
    const items = await apiAll('/v1/views', q);
    clear(host, table({
      caption: 'Views and dashboards', empty: sharer ? 'No views yet. Create one, or ask an administrator to share one with your group.' : 'No views yet. Ask an administrator to share one with your group.',
      columns: [{ label: 'Name' }, { label: 'Owner' }, { label: 'Shared with' }, { label: 'Your access' }, { label: 'Actions' }],
      rows: items.map((v) => {
        const acc = v.access || {};
        const how = acc.owner ? badge('Owner', 'accent') : acc.editable ? badge('Can edit', 'ok') : badge('Read-only');
        return h('tr', { 'data-view': v.id },
          h('td', null, v.name, h('span', { class: 'sub' }, `${KIND[v.kind] || v.kind} · updated ${fmtDate(v.updated_at)}`)),
          h('td', null, v.owner?.name || '—'),
          h('td', null, v.shared_with?.length ? h('span', { class: 'badges' }, v.shared_with.map((g) => badge(g.name, 'outline'))) : h('span', { class: 'muted' }, 'Personal')),
          h('td', null, how),
          h('td', null, h('span', { class: 'row' },
            acc.editable ? h('button', { type: 'button', class: 'btn small', 'aria-label': `Edit ${v.name}`, onclick: () => editView(v, load) }, 'Edit') : null,
            sharer && (acc.owner || acc.editable) ? h('button', { type: 'button', class: 'btn small', 'aria-label': `Share ${v.name}`, onclick: async () => { groups ||= await apiAll('/v1/groups'); await shareView(v, groups, load); } }, 'Share') : null,
            acc.deletable ? h('button', { type: 'button', class: 'btn small danger', 'aria-label': `Delete ${v.name}`, onclick: async () => {
              const ok = await confirmDialog({ title: `Delete ${v.name}?`,
                message: v.shared_with?.length ? `It is shared with ${v.shared_with.map((g) => g.name).join(', ')}; they lose it too.` : 'This cannot be undone.',
                confirmLabel: 'Delete', danger: true, action: () => api(`/v1/views/${encodeURIComponent(v.id)}`, { method: 'DELETE' }) });
              if (ok) { toast(`${v.name} deleted.`); await load(); }
            } }, 'Delete') : null)));
      }),
    }));
  }
  kind.input.addEventListener('change', () => load().catch((e) => toast(e.detail, 'error')));
  all?.input.addEventListener('change', () => load().catch((e) => toast(e.detail, 'error')));
  await load();
}

async function editView(v, after) {
  let full = v;
  if (v) full = await api(`/v1/views/${encodeURIComponent(v.id)}`);
  const name = field({ label: 'Name', name: 'name', required: true, value: full?.name || '' });
  const kind = v ? null : field({ label: 'Kind', name: 'kind', type: 'select', value: 'dashboard',
    options: [{ value: 'dashboard', label: 'Dashboard' }, { value: 'template', label: 'View template' }] });
  const config = field({ label: 'Configuration (JSON object)', name: 'config', type: 'textarea',
    value: JSON.stringify(full?.config ?? { widgets: [] }, null, 2),
    hint: 'Stored as given for the product that shows it (columns, filters, widgets…).', attrs: { spellcheck: 'false', class: 'mono' } });
  const form = h('form', { id: 'view-form', novalidate: true }, name, kind, config);
  await openDialog({
    title: v ? `Edit ${v.name}` : 'New view', body: form, wide: true,
    actions: [{ label: 'Cancel' }, { label: v ? 'Save' : 'Create', kind: 'primary', submit: true, form: 'view-form' }],
    onOpen: (dlg) => {
      name.input.focus();
      form.addEventListener('submit', async (e) => {
        e.preventDefault();
        clearErrors(form);
        let cfg;
        try { cfg = JSON.parse(config.input.value); } catch (err) { showError(form, { field: 'config', detail: `Not valid JSON: ${err.message}` }); return; }
        const body = { name: name.input.value.trim(), config: cfg };
        if (!v) body.kind = kind.input.value;
        await busy(dlg.querySelector('button[type=submit]'), async () => {
          try {
            await api(v ? `/v1/views/${encodeURIComponent(v.id)}` : '/v1/views', { method: v ? 'PATCH' : 'POST', body });
            dlg.finish(true); toast(v ? 'Saved.' : `${body.name} created.`); await after();
          } catch (err) { showError(form, err); }
        });
      });
    },
  });
}

async function shareView(v, groups, after) {
  const shared = new Set((v.shared_with || []).map((g) => g.id));
  const boxes = groups.map((g) => checkbox({ label: g.name, name: 'group', value: g.id, checked: shared.has(g.id),
    disabled: !g.is_member && !shared.has(g.id),
    desc: g.is_member ? `${g.member_count} member${g.member_count === 1 ? '' : 's'}`
      : shared.has(g.id) ? 'Shared already. You can stop sharing, but only a member can share with it again.' : 'Only members of this group can share with it.' }));
  const form = h('form', { id: 'share-form', novalidate: true },
    h('p', { class: 'muted' }, 'Members of these groups see it read-only; admins of these groups who manage dashboards can edit it.'),
    h('div', { class: 'field', 'data-field': 'group_ids' }, groups.length ? boxes : h('p', null, 'There are no groups yet.'), h('div', { class: 'error', hidden: true })));
  await openDialog({
    title: `Share ${v.name}`, body: form,
    actions: [{ label: 'Cancel' }, { label: 'Save sharing', kind: 'primary', submit: true, form: 'share-form' }],
    onOpen: (dlg) => {
      form.addEventListener('submit', async (e) => {
        e.preventDefault();
        clearErrors(form);
        const ids = boxes.filter((b) => b.input.checked).map((b) => b.input.value);
        await busy(dlg.querySelector('button[type=submit]'), async () => {
          try {
            await api(`/v1/views/${encodeURIComponent(v.id)}/shares`, { method: 'PUT', body: { group_ids: ids } });
            dlg.finish(true); toast('Sharing saved.'); await after();
          } catch (err) { showError(form, err); }
        });
      });
    },
  });
}
