// User groups (000): admins create groups and manage membership; views and
// dashboards shared with a group reach all its members. A person may be in
// any number of groups.
import { api, apiAll } from '/console/api.js';
import { h, clear, field, showError, clearErrors, busy, openDialog, confirmDialog, toast, badge, fmtTime, table } from '/console/dom.js';
import { state, can } from '/console/state.js';
import { personPicker } from '/console/pages/tasks.js';
import { t as tr } from '/console/i18n.js';

export async function render(ctx) {
  const { main, navigate } = ctx;
  const manage = can('groups.manage');
  const host = h('div');
  main.append(h('div', { class: 'page-head' },
    h('div', null, h('h1', null, tr('groups.groups')),
      h('p', { class: 'sub' }, tr('groups.groupsShareViewTemplatesAnd'))),
    manage ? h('div', { class: 'actions' }, h('button', { type: 'button', class: 'btn primary', onclick: () => editGroup(null, (g) => navigate(`/groups/${encodeURIComponent(g.id)}`)) }, tr('groups.newGroup'))) : null),
  host);
  const items = await apiAll('/v1/groups');
  clear(host, table({
    caption: tr('groups.groups'), empty: tr('groups.noGroupsYetCreateOne'),
    columns: [{ label: tr('groups.name') }, { label: tr('groups.description') }, { label: tr('groups.members'), class: 'num' }, { label: tr('groups.you') }, { label: tr('groups.created') }],
    rows: items.map((g) => h('tr', null,
      h('td', null, h('a', { href: `/console/groups/${encodeURIComponent(g.id)}` }, g.name)),
      h('td', { class: 'wrap' }, g.description || h('span', { class: 'muted' }, '—')),
      h('td', { class: 'num' }, String(g.member_count)),
      h('td', null, g.is_member ? badge(tr('groups.member'), 'accent') : ''),
      h('td', { class: 'small' }, fmtTime(g.created_at)))),
  }));
}

export async function renderOne(ctx) {
  const { main, params, navigate } = ctx;
  const manage = can('groups.manage');
  const g = await api(`/v1/groups/${encodeURIComponent(params.id)}`);
  const redraw = async () => { clear(main); await renderOne(ctx); };
  main.append(
    h('nav', { class: 'crumbs', 'aria-label': tr('groups.breadcrumb') }, h('a', { href: '/console/groups' }, tr('groups.groups')), ' / ', g.name),
    h('div', { class: 'page-head' },
      h('div', null, h('h1', null, g.name), g.description ? h('p', { class: 'sub' }, g.description) : null,
        h('div', { class: 'badges' }, badge(tr('groups.memberCount', { count: g.member_count }), 'outline'), g.is_member ? badge(tr('groups.youAreAMember'), 'accent') : null)),
      manage ? h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'btn', onclick: () => editGroup(g, redraw) }, tr('groups.edit')),
        h('button', { type: 'button', class: 'btn danger', onclick: async () => {
          const ok = await confirmDialog({ title: tr('groups.deleteTheGroupName', { name: g.name }),
            message: tr('groups.deleteText', { count: g.member_count }),
            confirmLabel: tr('groups.deleteName', { name: g.name }), danger: true,
            action: () => api(`/v1/groups/${encodeURIComponent(g.id)}`, { method: 'DELETE' }) });
          if (ok) { toast(tr('groups.groupNameDeleted', { name: g.name })); navigate('/groups'); }
        } }, tr('groups.delete'))) : null));

  /* members */
  const members = g.members || [];
  const memberIds = new Set(members.map((m) => m.id));
  const card = h('section', { class: 'card', 'aria-labelledby': 'm-h' }, h('h2', { id: 'm-h' }, tr('groups.members')));
  if (manage) {
    // People are found on the server as one types (any size of plant), never from a downloaded list.
    card.append(await personPicker({ button: tr('groups.addToGroup'), label: tr('groups.addPeopleToName', { name: g.name }), exclude: memberIds,
      pickLabel: tr('groups.addAPerson'), empty: tr('groups.everyoneIsAlreadyAMember'),
      onAdd: async (id) => {
        await api(`/v1/groups/${encodeURIComponent(g.id)}/members/${encodeURIComponent(id)}`, { method: 'PUT' });
        toast(tr('groups.addedToTheGroup'));
        await redraw();
      } }));
  }
  card.append(table({
    caption: tr('groups.members'), empty: tr('groups.nobodyIsInThisGroup'),
    columns: [{ label: tr('groups.name') }, { label: tr('groups.email') }, { label: tr('groups.added') }, ...(manage ? [{ label: '' }] : [])],
    rows: members.map((m) => h('tr', null,
      h('td', null, can('users.view') ? h('a', { href: `/console/users/${encodeURIComponent(m.id)}` }, m.name) : m.name, m.id === state.me.id ? ' (you)' : ''),
      h('td', null, m.email || '—'),
      h('td', { class: 'small' }, fmtTime(m.added_at)),
      manage ? h('td', null, h('button', { type: 'button', class: 'btn small', 'aria-label': tr('groups.removeNameFromName2', { name: m.name, name2: g.name }), onclick: async () => {
        const ok = await confirmDialog({ title: tr('groups.removeName', { name: m.name }),
          message: tr('groups.nameLeavesName2AndNo', { name: m.name, name2: g.name }),
          confirmLabel: tr('groups.remove'), danger: true,
          action: () => api(`/v1/groups/${encodeURIComponent(g.id)}/members/${encodeURIComponent(m.id)}`, { method: 'DELETE' }) });
        if (ok) { toast(tr('groups.nameRemoved', { name: m.name })); await redraw(); }
      } }, tr('groups.remove'))) : null)),
  }));
  main.append(card);

  /* views shared with the group, as far as the viewer can see them */
  try {
    const views = await apiAll('/v1/views', can('dashboards.manage_any') ? { all: 1 } : {});
    const shared = views.filter((v) => (v.shared_with || []).some((s) => s.id === g.id));
    main.append(h('section', { class: 'card', 'aria-labelledby': 'v-h' }, h('h2', { id: 'v-h' }, tr('groups.sharedWithThisGroup')),
      shared.length ? h('ul', null, shared.map((v) => h('li', null, h('strong', null, v.name), ` · ${v.kind === 'dashboard' ? 'dashboard' : 'view template'}`, v.owner ? ` by ${v.owner.name}` : '')))
        : h('p', { class: 'muted' }, tr('groups.noViewsOrDashboardsYou'))));
  } catch { /* views are optional here */ }
}

async function editGroup(g, after) {
  const name = field({ label: tr('groups.name'), name: 'name', required: true, value: g?.name || '' });
  const desc = field({ label: tr('groups.description'), name: 'description', type: 'textarea', value: g?.description || '' });
  const form = h('form', { id: 'group-form', novalidate: true }, name, desc);
  await openDialog({
    title: g ? tr('groups.editName', { name: g.name }) : tr('groups.newGroup'), body: form,
    actions: [{ label: tr('common.cancel') }, { label: g ? tr('common.save') : tr('groups.createGroup'), kind: 'primary', submit: true, form: 'group-form' }],
    onOpen: (dlg) => {
      name.input.focus();
      form.addEventListener('submit', async (e) => {
        e.preventDefault();
        clearErrors(form);
        const body = { name: name.input.value.trim(), description: desc.input.value.trim() };
        await busy(dlg.querySelector('button[type=submit]'), async () => {
          try {
            const out = await api(g ? `/v1/groups/${encodeURIComponent(g.id)}` : '/v1/groups', { method: g ? 'PATCH' : 'POST', body });
            dlg.finish(true);
            toast(g ? tr('groups.groupSaved') : tr('groups.groupNameCreated', { name: out.name }));
            await after(out);
          } catch (err) { showError(form, err); }
        });
      });
    },
  });
}
