// Roles: the matrix of permissions (rows, grouped by module) against roles
// (columns) with a checkbox per cell, saved as it is clicked; create, rename
// and delete roles; the organization's template set and how each role
// differs from it.
import { api } from '/console/api.js';
import { h, clear, field, checkbox, showError, clearErrors, busy, openDialog, confirmDialog, toast, badge, debounce } from '/console/dom.js';
import { state, can, catalog, roles } from '/console/state.js';
import { refreshMe } from '/console/app.js';
import { t as tr } from '/console/i18n.js';

export async function render(ctx) {
  const { main } = ctx;
  const manage = can('users.manage');
  const [cat, r] = await Promise.all([catalog(), roles(true)]);
  const tset = cat.template_sets.find((t) => t.key === r.template);
  const redraw = async () => { clear(main); await render(ctx); };

  main.append(h('div', { class: 'page-head' },
    h('div', null, h('h1', null, tr('roles.roles')),
      h('p', { class: 'sub' }, tr('roles.aRoleIsASet'))),
    manage ? h('div', { class: 'actions' }, h('button', { type: 'button', class: 'btn primary', onclick: () => createRole(r, cat, redraw) }, tr('roles.newRole'))) : null));

  if (tset) {
    main.append(h('div', { class: 'notice template-note' },
      h('strong', null, tr('roles.templateSetName', { name: tset.name })), h('span', { class: 'muted' }, tset.description),
      h('details', null, h('summary', null, tr('roles.theRolescountRolesOfThis', { rolesCount: tset.roles.length })),
        h('ul', null, tset.roles.map((row) => h('li', null, h('strong', null, row.name), ' ', tr(row.device ? 'roles.tplRoleDisplay' : 'roles.tplRole', { count: row.permissions.length }), ' ', row.description))))));
  }

  const status = h('p', { class: 'muted small', role: 'status', 'aria-live': 'polite', id: 'matrix-status' },
    manage ? tr('roles.changesAreSavedAsYou') : tr('roles.youCanLookAtThe'));
  const search = field({ label: tr('roles.findAPermission'), name: 'perm-q', type: 'search', attrs: { placeholder: tr('roles.eGGageReportsUsers'), autocomplete: 'off' } });
  search.classList.add('grow');
  main.append(h('div', { class: 'filters' }, search), status);

  const items = r.items;
  const perRole = new Map(items.map((x) => [x.key, new Set(x.permissions)]));
  const queues = new Map();

  const headCells = [h('th', { scope: 'col' }, tr('roles.permission'))];
  for (const role of items) {
    const tpl = tset?.roles.find((t) => t.key === role.key);
    const modified = tpl && (tpl.permissions.length !== role.permissions.length || tpl.permissions.some((p) => !role.permissions.includes(p)));
    headCells.push(h('th', { scope: 'col', class: 'role-col', 'data-role': role.key },
      role.name, h('span', { class: 'role-key' }, role.key),
      h('span', { class: 'badges' },
        role.device ? badge(tr('roles.display'), 'warn') : null,
        !role.from_template ? badge(tr('roles.custom'), 'accent') : modified ? badge(tr('roles.modified'), 'outline') : null,
        badge(tr('roles.usersN', { count: role.user_count }))),
      manage ? h('span', { class: 'role-actions' },
        h('button', { type: 'button', class: 'btn link small', 'aria-label': tr('roles.renameRoleName', { name: role.name }), onclick: () => renameRole(role, redraw) }, tr('roles.rename')),
        h('button', { type: 'button', class: 'btn link small', 'aria-label': tr('roles.deleteRoleName', { name: role.name }), onclick: () => deleteRole(role, redraw) }, tr('roles.delete'))) : null));
  }

  const body = h('tbody');
  const rowsByPerm = [];
  for (const m of cat.modules) {
    const perms = cat.permissions.filter((p) => p.module === m.key);
    if (!perms.length) continue;
    const mrow = h('tr', { class: 'module-row' }, h('th', { scope: 'colgroup', colspan: items.length + 1 },
      m.name, h('span', { class: 'muted small' }, ` · ${m.description}`)));
    body.append(mrow);
    const group = { mrow, rows: [] };
    for (const p of perms) {
      const cells = items.map((role) => {
        const label = `${p.name}: ${role.name}`;
        const input = h('input', { type: 'checkbox', checked: perRole.get(role.key).has(p.key), disabled: !manage,
          'aria-label': label, 'data-role': role.key, 'data-perm': p.key });
        input.addEventListener('change', () => toggle(role, p, input));
        return h('td', { class: 'cell' }, input);
      });
      const row = h('tr', { 'data-perm': p.key },
        h('th', { scope: 'row' }, p.name, h('span', { class: 'perm-key' }, p.key),
          p.addon ? h('span', { class: 'badges' }, badge(tr('roles.addon', { name: cat.addons.find((a) => a.key === p.addon)?.name || p.addon }), 'outline')) : null),
        cells);
      row.searchText = `${p.name} ${p.key} ${p.description} ${m.name}`.toLowerCase();
      group.rows.push(row);
      body.append(row);
    }
    rowsByPerm.push(group);
  }
  const matrix = h('div', { class: 'table-wrap matrix-wrap', tabindex: '0', role: 'region', 'aria-label': tr('roles.rolePermissionsMatrix') },
    h('table', { class: 'matrix', id: 'roles-matrix' },
      h('caption', { class: 'visually-hidden' }, tr('roles.permissionsByRoleEachCheckbox')),
      h('thead', null, h('tr', null, headCells)), body));
  main.append(matrix);

  search.input.addEventListener('input', debounce(() => {
    const q = search.input.value.trim().toLowerCase();
    for (const g of rowsByPerm) {
      let any = false;
      for (const row of g.rows) { const show = !q || row.searchText.includes(q); row.hidden = !show; any ||= show; }
      g.mrow.hidden = !any;
    }
  }, 150));

  function toggle(role, p, input) {
    const set = perRole.get(role.key);
    if (input.checked) set.add(p.key); else set.delete(p.key);
    const want = [...set];
    const prev = queues.get(role.key) || Promise.resolve();
    const next = prev.then(async () => {
      status.textContent = tr('roles.savingName', { name: role.name });
      try {
        const saved = await api(`/v1/roles/${encodeURIComponent(role.key)}`, { method: 'PATCH', body: { permissions: want } });
        role.permissions = saved.permissions;
        status.textContent = tr(input.checked ? 'roles.savedIncludes' : 'roles.savedExcludes', { role: role.name, perm: p.name });
        if (state.me.role === role.key) await refreshMe();
      } catch (e) {
        // Put the box back the way the server has it.
        if (input.checked) set.delete(p.key); else set.add(p.key);
        input.checked = !input.checked;
        status.textContent = tr('roles.notSavedDetail', { detail: e.detail });
        toast(e.detail, 'error');
      }
    });
    queues.set(role.key, next);
  }
}

function keyFrom(name) {
  return name.toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40);
}

async function createRole(r, cat, after) {
  const name = field({ label: tr('roles.name'), name: 'name', required: true });
  const key = field({ label: tr('roles.key'), name: 'key', required: true, hint: tr('roles.stableIdentifierUsedByThe') });
  let keyTouched = false;
  key.input.addEventListener('input', () => { keyTouched = true; });
  name.input.addEventListener('input', () => { if (!keyTouched) key.input.value = keyFrom(name.input.value); });
  const desc = field({ label: tr('roles.description'), name: 'description', type: 'textarea' });
  const from = field({ label: tr('roles.startWithThePermissionsOf'), name: 'from', type: 'select', value: '',
    options: [{ value: '', label: tr('roles.noPermissions') }, ...r.items.map((x) => ({ value: x.key, label: x.name }))] });
  const device = checkbox({ label: tr('roles.sharedDisplayAccount'), name: 'device', desc: tr('roles.forMonitorsOnTheShop') });
  const form = h('form', { id: 'role-form', novalidate: true }, name, key, desc, from, h('div', { class: 'field', 'data-field': 'device' }, device));
  await openDialog({
    title: tr('roles.newRole'), body: form,
    actions: [{ label: tr('common.cancel') }, { label: tr('roles.createRole'), kind: 'primary', submit: true, form: 'role-form' }],
    onOpen: (dlg) => {
      name.input.focus();
      form.addEventListener('submit', async (e) => {
        e.preventDefault();
        clearErrors(form);
        const body = { key: key.input.value.trim(), name: name.input.value.trim(), device: device.input.checked,
          permissions: from.input.value ? r.items.find((x) => x.key === from.input.value).permissions : [] };
        if (desc.input.value.trim()) body.description = desc.input.value.trim();
        await busy(dlg.querySelector('button[type=submit]'), async () => {
          try { await api('/v1/roles', { method: 'POST', body }); dlg.finish(true); toast(tr('roles.roleNameCreated', { name: body.name })); await after(); } catch (err) { showError(form, err); }
        });
      });
    },
  });
}

async function renameRole(role, after) {
  const name = field({ label: tr('roles.name'), name: 'name', required: true, value: role.name });
  const desc = field({ label: tr('roles.description'), name: 'description', type: 'textarea', value: role.description || '' });
  const form = h('form', { id: 'rename-form', novalidate: true }, h('p', { class: 'muted' }, tr('roles.keyKeyDoesNotChange', { key: role.key })), name, desc);
  await openDialog({
    title: tr('roles.renameName', { name: role.name }), body: form,
    actions: [{ label: tr('common.cancel') }, { label: tr('common.save'), kind: 'primary', submit: true, form: 'rename-form' }],
    onOpen: (dlg) => {
      name.input.focus();
      form.addEventListener('submit', async (e) => {
        e.preventDefault();
        clearErrors(form);
        await busy(dlg.querySelector('button[type=submit]'), async () => {
          try {
            await api(`/v1/roles/${encodeURIComponent(role.key)}`, { method: 'PATCH', body: { name: name.input.value.trim(), description: desc.input.value.trim() } });
            dlg.finish(true); toast(tr('roles.roleSaved')); await after();
          } catch (err) { showError(form, err); }
        });
      });
    },
  });
}

async function deleteRole(role, after) {
  const ok = await confirmDialog({
    title: tr('roles.deleteTheRoleName', { name: role.name }),
    message: role.user_count ? tr('roles.usersHaveRole', { count: role.user_count }) : tr('roles.nobodyHasTheRoleName', { name: role.name }),
    confirmLabel: tr('roles.deleteName', { name: role.name }), danger: true,
    action: () => api(`/v1/roles/${encodeURIComponent(role.key)}`, { method: 'DELETE' }),
  });
  if (ok) { toast(tr('roles.roleNameDeleted', { name: role.name })); await after(); }
}

