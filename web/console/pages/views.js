// Views and dashboards (000, 003, 004): one's own personal views, plus every
// view shared with one's groups (read-only unless one may edit it). Holders
// of dashboards.manage create views (004: Admin and Manager) and share them
// with groups they belong to; holders of
// dashboards.manage_any can see and edit every view in the organization.
import { api, apiAll } from '/console/api.js';
import { h, clear, field, checkbox, showError, clearErrors, busy, openDialog, confirmDialog, toast, badge, fmtDate, table } from '/console/dom.js';
import { can } from '/console/state.js';
import { t as tr } from '/console/i18n.js';

const KIND = { get template() { return tr('views.viewTemplate'); }, get dashboard() { return tr('views.dashboard'); } };

export async function render({ main, query }) {
  const manageAny = can('dashboards.manage_any');
  const sharer = can('dashboards.manage');
  const kind = field({ label: tr('views.kind'), name: 'kind', type: 'select', value: query.kind || '',
    options: [{ value: '', label: tr('views.templatesAndDashboards') }, { value: 'template', label: tr('views.viewTemplates') }, { value: 'dashboard', label: tr('views.dashboards') }] });
  const all = manageAny ? checkbox({ label: tr('views.everyViewInTheOrganization'), name: 'all', checked: query.all === '1' }) : null;
  const host = h('div');
  main.append(h('div', { class: 'page-head' },
    h('div', null, h('h1', null, tr('views.viewsAndDashboards')),
      h('p', { class: 'sub' }, tr('views.yourOwnViewsAndThose'))),
    // 004: creating dashboards and view templates needs dashboards.manage.
    sharer ? h('div', { class: 'actions' }, h('button', { type: 'button', class: 'btn primary', onclick: () => editView(null, load) }, tr('views.newView'))) : null),
  h('div', { class: 'filters' }, kind, all ? h('div', { class: 'field' }, all) : null), host);

  let groups = null;
  async function load() {
    const q = { kind: kind.input.value, all: all?.input.checked ? 1 : undefined };
    const sp = new URLSearchParams(Object.entries(q).filter(([, v]) => v));
    history.replaceState(null, '', `/console/views${sp.toString() ? `?${sp}` : ''}`);
    const items = await apiAll('/v1/views', q);
    clear(host, table({
      caption: tr('views.viewsAndDashboards'), empty: sharer ? tr('views.noViewsYetCreateOne') : tr('views.noViewsYetAskAn'),
      columns: [{ label: tr('views.name') }, { label: tr('views.owner') }, { label: tr('views.sharedWith') }, { label: tr('views.yourAccess') }, { label: tr('views.actions') }],
      rows: items.map((v) => {
        const acc = v.access || {};
        const how = acc.owner ? badge(tr('views.owner'), 'accent') : acc.editable ? badge(tr('views.canEdit'), 'ok') : badge(tr('views.readOnly'));
        return h('tr', { 'data-view': v.id },
          h('td', null, v.name, h('span', { class: 'sub' }, tr('views.kindUpdatedUpdatedAt', { kind: KIND[v.kind] || v.kind, updated_at: fmtDate(v.updated_at) }))),
          h('td', null, v.owner?.name || '—'),
          h('td', null, v.shared_with?.length ? h('span', { class: 'badges' }, v.shared_with.map((g) => badge(g.name, 'outline'))) : h('span', { class: 'muted' }, tr('views.personal'))),
          h('td', null, how),
          h('td', null, h('span', { class: 'row' },
            acc.editable ? h('button', { type: 'button', class: 'btn small', 'aria-label': tr('views.editName', { name: v.name }), onclick: () => editView(v, load) }, tr('views.edit')) : null,
            sharer && (acc.owner || acc.editable) ? h('button', { type: 'button', class: 'btn small', 'aria-label': tr('views.shareName', { name: v.name }), onclick: async () => { groups ||= await apiAll('/v1/groups'); await shareView(v, groups, load); } }, tr('views.share')) : null,
            acc.deletable ? h('button', { type: 'button', class: 'btn small danger', 'aria-label': tr('views.deleteName', { name: v.name }), onclick: async () => {
              const ok = await confirmDialog({ title: tr('views.deleteName2', { name: v.name }),
                message: v.shared_with?.length ? tr('views.sharedLoseIt', { groups: v.shared_with.map((g) => g.name).join(', ') }) : tr('views.thisCannotBeUndone'),
                confirmLabel: tr('views.delete'), danger: true, action: () => api(`/v1/views/${encodeURIComponent(v.id)}`, { method: 'DELETE' }) });
              if (ok) { toast(tr('views.nameDeleted', { name: v.name })); await load(); }
            } }, tr('views.delete')) : null)));
      }),
    }));
  }
  kind.input.addEventListener('change', () => load().catch((e) => toast(e.detail, 'error')));
  all?.input.addEventListener('change', () => load().catch((e) => toast(e.detail, 'error')));
  await load();
}

/* ---- the structured editor of a view's configuration ----
 * A dashboard's documented settings are its widgets (a type and its own
 * settings each); a view template's are its columns and its filter. Keys
 * the editor does not know are kept as they are. JSON stays available as
 * the "advanced" view, checked with line-numbered errors. */

/** "true", "12", "x" -> true, 12, "x": settings typed as text keep their JSON types. */
function typed(text) {
  const t = text.trim();
  if (t === 'true') return true;
  if (t === 'false') return false;
  if (t !== '' && /^-?\d+(\.\d+)?$/.test(t)) return Number(t);
  return t;
}
const pairsText = (o) => Object.entries(o || {}).map(([k, v]) => `${k} = ${typeof v === 'object' ? JSON.stringify(v) : v}`).join('\n');
/** "key = value" lines -> object; throws naming the line that is not one. */
function parsePairs(text, what) {
  const out = {};
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    const m = line.match(/^\s*([^=]+?)\s*=\s*(.*)$/);
    if (!m) throw new Error(tr('views.pairLine', { what, line: i + 1 }));
    let v = m[2];
    if (/^[[{]/.test(v.trim())) { try { v = JSON.parse(v); } catch { v = typed(v); } } else v = typed(v);
    out[m[1]] = v;
  });
  return out;
}

/** Where JSON.parse failed, as "line L, column C" of text. */
export function jsonErrorAt(text, err) {
  const lc = /line (\d+) column (\d+)/.exec(err.message);
  if (lc) return tr('views.lineColumn', { line: lc[1], column: lc[2] });
  const pos = /position (\d+)/.exec(err.message);
  if (!pos) return tr('views.endOfText');
  const upto = text.slice(0, Number(pos[1]));
  const line = upto.split('\n').length;
  return tr('views.lineColumn', { line, column: upto.length - upto.lastIndexOf('\n') });
}

function configEditor(kindOf, initial) {
  let base = initial && typeof initial === 'object' && !Array.isArray(initial) ? structuredClone(initial) : {};
  const widgetsHost = h('div', { class: 'stack' });
  const widgetRows = [];
  const addWidget = (w = { type: '' }) => {
    const { type, ...rest } = w || {};
    const n = widgetRows.length + 1;
    const t = field({ label: tr('views.widgetNType', { n }), name: `widgets.${n - 1}.type`, value: type ?? '', hint: tr('views.forExampleOutputOeeOr'), attrs: { autocomplete: 'off' } });
    const set = field({ label: tr('views.widgetNSettings', { n }), name: `widgets.${n - 1}.settings`, type: 'textarea', value: pairsText(rest),
      hint: tr('views.oneSettingPerLineAs'), attrs: { rows: '2', spellcheck: 'false' } });
    const row = h('fieldset', { class: 'widget-row' }, h('legend', null, tr('views.widgetN', { n })), h('div', { class: 'grid-2' }, t, set),
      h('button', { type: 'button', class: 'btn small', onclick: () => { row.remove(); widgetRows.splice(widgetRows.indexOf(entry), 1); } }, tr('views.removeWidgetN', { n })));
    const entry = { row, t, set };
    widgetRows.push(entry);
    widgetsHost.append(row);
  };
  const dash = h('div', { class: 'cfg-dashboard' },
    h('h3', null, tr('views.widgets')), widgetsHost,
    h('button', { type: 'button', class: 'btn small', onclick: () => addWidget() }, tr('views.addWidget')));
  const columns = field({ label: tr('views.columns'), name: 'columns', type: 'textarea', hint: tr('views.oneColumnPerLineIn'), attrs: { rows: '4', spellcheck: 'false' } });
  const filter = field({ label: tr('views.filter'), name: 'filter', type: 'textarea', hint: tr('views.oneConditionPerLineAs'), attrs: { rows: '3', spellcheck: 'false' } });
  const tmpl = h('div', { class: 'cfg-template' }, columns, filter);
  const json = field({ label: tr('views.configurationAsJson'), name: 'config', type: 'textarea', attrs: { rows: '10', spellcheck: 'false', class: 'mono' },
    hint: tr('views.forSettingsTheFormDoes') });
  const advanced = checkbox({ label: tr('views.editAsJsonAdvanced'), name: 'advanced' });
  const fill = (cfg) => {
    base = cfg;
    widgetRows.splice(0).forEach((x) => x.row.remove());
    (Array.isArray(cfg.widgets) ? cfg.widgets : []).forEach((w) => addWidget(w && typeof w === 'object' ? w : { type: String(w) }));
    columns.input.value = (Array.isArray(cfg.columns) ? cfg.columns : []).join('\n');
    filter.input.value = pairsText(cfg.filter && typeof cfg.filter === 'object' ? cfg.filter : {});
  };
  /** The configuration from the form fields; throws an Error with .field on bad input. */
  const fromForm = () => {
    const cfg = structuredClone(base);
    if (kindOf() === 'dashboard') {
      cfg.widgets = widgetRows.map((x, i) => {
        const type = x.t.input.value.trim();
        if (!type) throw Object.assign(new Error(tr('views.widgetINeedsAType', { i: i + 1 })), { field: `widgets.${i}.type` });
        try { return { type, ...parsePairs(x.set.input.value, tr('views.widgetISettings', { i: i + 1 })) }; } catch (e) { throw Object.assign(e, { field: `widgets.${i}.settings` }); }
      });
    } else {
      cfg.columns = columns.input.value.split('\n').map((c) => c.trim()).filter(Boolean);
      try { cfg.filter = parsePairs(filter.input.value, tr('views.filter')); } catch (e) { throw Object.assign(e, { field: 'filter' }); }
    }
    return cfg;
  };
  const fromJson = () => {
    let cfg;
    try { cfg = JSON.parse(json.input.value); } catch (e) {
      throw Object.assign(new Error(tr('views.notValidJson', { where: jsonErrorAt(json.input.value, e), error: e.message.replace(/ in JSON at position.*$/, '') })), { field: 'config' });
    }
    if (!cfg || typeof cfg !== 'object' || Array.isArray(cfg)) throw Object.assign(new Error(tr('views.theConfigurationMustBeA')), { field: 'config' });
    return cfg;
  };
  const structured = h('div', null, dash, tmpl);
  const showKind = () => { dash.hidden = kindOf() !== 'dashboard'; tmpl.hidden = kindOf() === 'dashboard'; };
  advanced.input.addEventListener('change', () => {
    const form = advanced.closest('form');
    if (form) clearErrors(form);
    try {
      if (advanced.input.checked) json.input.value = JSON.stringify(fromForm(), null, 2);
      else fill(fromJson());
    } catch (e) {
      advanced.input.checked = !advanced.input.checked;
      if (form) showError(form, { field: e.field, detail: e.message });
      return;
    }
    structured.hidden = advanced.input.checked;
    json.hidden = !advanced.input.checked;
  });
  fill(base);
  json.hidden = true;
  showKind();
  const el = h('fieldset', { class: 'cfg' }, h('legend', null, tr('views.configuration')), structured, json,
    h('div', { class: 'field', 'data-field': 'advanced' }, advanced));
  return { el, showKind, read: () => (advanced.input.checked ? fromJson() : fromForm()) };
}

async function editView(v, after) {
  let full = v;
  if (v) full = await api(`/v1/views/${encodeURIComponent(v.id)}`);
  const sharer = can('dashboards.manage');
  const name = field({ label: tr('views.name'), name: 'name', required: true, value: full?.name || '' });
  const kind = v ? null : field({ label: tr('views.kind'), name: 'kind', type: 'select', value: 'dashboard',
    options: [{ value: 'dashboard', label: tr('views.dashboard') }, { value: 'template', label: tr('views.viewTemplate') }] });
  const kindOf = () => (v ? full.kind : kind.input.value);
  const cfg = configEditor(kindOf, full?.config ?? {});
  kind?.input.addEventListener('change', cfg.showKind);
  // Sharing, in the same form: the groups one belongs to (and those it is shared with already).
  let boxes = [];
  const shared = new Set((full?.shared_with || []).map((g) => g.id));
  if (sharer && (!v || full.access?.owner || full.access?.editable)) {
    const groups = await apiAll('/v1/groups').catch(() => []);
    boxes = groups.filter((g) => g.is_member || shared.has(g.id)).map((g) => checkbox({ label: g.name, name: 'group', value: g.id, checked: shared.has(g.id),
      desc: g.is_member ? `${g.member_count} member${g.member_count === 1 ? '' : 's'}` : tr('views.sharedAlreadyOnlyAMember') }));
  }
  const sharing = boxes.length ? h('fieldset', { class: 'field', 'data-field': 'group_ids' }, h('legend', null, tr('views.sharedWith')),
    h('p', { class: 'muted small' }, tr('views.membersOfTheseGroupsSee')), boxes, h('div', { class: 'error', hidden: true })) : null;
  const form = h('form', { id: 'view-form', novalidate: true }, h('div', { class: 'grid-2' }, name, kind), cfg.el, sharing);
  await openDialog({
    title: v ? tr('views.editName', { name: v.name }) : tr('views.newView'), body: form, wide: true,
    actions: [{ label: tr('common.cancel') }, { label: v ? tr('common.save') : tr('views.create'), kind: 'primary', submit: true, form: 'view-form' }],
    onOpen: (dlg) => {
      name.input.focus();
      form.addEventListener('submit', async (e) => {
        e.preventDefault();
        clearErrors(form);
        let config;
        try { config = cfg.read(); } catch (err) { showError(form, { field: err.field, detail: err.message }); return; }
        const body = { name: name.input.value.trim(), config };
        if (!v) body.kind = kind.input.value;
        const ids = boxes.filter((b) => b.input.checked).map((b) => b.input.value);
        const sharingChanged = boxes.length && (ids.length !== shared.size || ids.some((id) => !shared.has(id)));
        await busy(dlg.querySelector('button[type=submit]'), async () => {
          try {
            const out = await api(v ? `/v1/views/${encodeURIComponent(v.id)}` : '/v1/views', { method: v ? 'PATCH' : 'POST', body });
            if (sharingChanged) await api(`/v1/views/${encodeURIComponent(out.id || v.id)}/shares`, { method: 'PUT', body: { group_ids: ids } });
            dlg.finish(true); toast(v ? tr('views.saved') : `${body.name} created.`); await after();
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
      : shared.has(g.id) ? tr('views.sharedAlreadyYouCanStop') : tr('views.onlyMembersOfThisGroup') }));
  const form = h('form', { id: 'share-form', novalidate: true },
    h('p', { class: 'muted' }, tr('views.membersOfTheseGroupsSee2')),
    h('div', { class: 'field', 'data-field': 'group_ids' }, groups.length ? boxes : h('p', null, tr('views.thereAreNoGroupsYet')), h('div', { class: 'error', hidden: true })));
  await openDialog({
    title: tr('views.shareName', { name: v.name }), body: form,
    actions: [{ label: tr('common.cancel') }, { label: tr('views.saveSharing'), kind: 'primary', submit: true, form: 'share-form' }],
    onOpen: (dlg) => {
      form.addEventListener('submit', async (e) => {
        e.preventDefault();
        clearErrors(form);
        const ids = boxes.filter((b) => b.input.checked).map((b) => b.input.value);
        await busy(dlg.querySelector('button[type=submit]'), async () => {
          try {
            await api(`/v1/views/${encodeURIComponent(v.id)}/shares`, { method: 'PUT', body: { group_ids: ids } });
            dlg.finish(true); toast(tr('views.sharingSaved')); await after();
          } catch (err) { showError(form, err); }
        });
      });
    },
  });
}
