// User groups (000): admins create groups and manage membership; views and
// dashboards shared with a group reach all its members. A person may be in
// any number of groups.
import { api, apiAll } from '/console/api.js';
import { h, clear, field, showError, clearErrors, busy, openDialog, confirmDialog, toast, badge, fmtTime, table } from '/console/dom.js';
import { state, can } from '/console/state.js';
import { personPicker } from '/console/pages/tasks.js';

export async function render(ctx) {
  const { main, navigate } = ctx;
  const manage = can('groups.manage');
  const host = h('div');
  main.append(h('div', { class: 'page-head' },
    h('div', null, h('h1', null, 'Groups'),
      h('p', { class: 'sub' }, 'Groups share view templates and dashboards with the people in them. Anyone can be in any number of groups.')),
    manage ? h('div', { class: 'actions' }, h('button', { type: 'button', class: 'btn primary', onclick: () => editGroup(null, (g) => navigate(`/groups/${encodeURIComponent(g.id)}`)) }, 'New group')) : null),
  host);
  const items = await apiAll('/v1/groups');
  clear(host, table({
    caption: 'Groups', empty: 'No groups yet. Create one, add people, then share views and dashboards with it.',
    columns: [{ label: 'Name' }, { label: 'Description' }, { label: 'Members', class: 'num' }, { label: 'You' }, { label: 'Created' }],
    rows: items.map((g) => h('tr', null,
      h('td', null, h('a', { href: `/console/groups/${encodeURIComponent(g.id)}` }, g.name)),
      h('td', { class: 'wrap' }, g.description || h('span', { class: 'muted' }, '—')),
      h('td', { class: 'num' }, String(g.member_count)),
      h('td', null, g.is_member ? badge('Member', 'accent') : ''),
      h('td', { class: 'small' }, fmtTime(g.created_at)))),
  }));
}

export async function renderOne(ctx) {
  const { main, params, navigate } = ctx;
  const manage = can('groups.manage');
  const g = await api(`/v1/groups/${encodeURIComponent(params.id)}`);
  const redraw = async () => { clear(main); await renderOne(ctx); };
  main.append(
    h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, h('a', { href: '/console/groups' }, 'Groups'), ' / ', g.name),
    h('div', { class: 'page-head' },
      h('div', null, h('h1', null, g.name), g.description ? h('p', { class: 'sub' }, g.description) : null,
        h('div', { class: 'badges' }, badge(`${g.member_count} member${g.member_count === 1 ? '' : 's'}`, 'outline'), g.is_member ? badge('You are a member', 'accent') : null)),
      manage ? h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'btn', onclick: () => editGroup(g, redraw) }, 'Edit'),
        h('button', { type: 'button', class: 'btn danger', onclick: async () => {
          const ok = await confirmDialog({ title: `Delete the group ${g.name}?`,
            message: `Its ${g.member_count} member${g.member_count === 1 ? '' : 's'} stay; views and dashboards shared with it are no longer shared with them.`,
            confirmLabel: `Delete ${g.name}`, danger: true,
            action: () => api(`/v1/groups/${encodeURIComponent(g.id)}`, { method: 'DELETE' }) });
          if (ok) { toast(`Group ${g.name} deleted.`); navigate('/groups'); }
        } }, 'Delete')) : null));

  /* members */
  const members = g.members || [];
  const memberIds = new Set(members.map((m) => m.id));
  const card = h('section', { class: 'card', 'aria-labelledby': 'm-h' }, h('h2', { id: 'm-h' }, 'Members'));
  if (manage) {
    // People are found on the server as one types (any size of plant), never from a downloaded list.
    card.append(await personPicker({ button: 'Add to group', label: `Add people to ${g.name}`, exclude: memberIds,
      pickLabel: 'Add a person', empty: 'Everyone is already a member',
      onAdd: async (id) => {
        await api(`/v1/groups/${encodeURIComponent(g.id)}/members/${encodeURIComponent(id)}`, { method: 'PUT' });
        toast('Added to the group.');
        await redraw();
      } }));
  }
  card.append(table({
    caption: 'Members', empty: 'Nobody is in this group yet. Find people above and add them.',
    columns: [{ label: 'Name' }, { label: 'Email' }, { label: 'Added' }, ...(manage ? [{ label: '' }] : [])],
    rows: members.map((m) => h('tr', null,
      h('td', null, can('users.view') ? h('a', { href: `/console/users/${encodeURIComponent(m.id)}` }, m.name) : m.name, m.id === state.me.id ? ' (you)' : ''),
      h('td', null, m.email || '—'),
      h('td', { class: 'small' }, fmtTime(m.added_at)),
      manage ? h('td', null, h('button', { type: 'button', class: 'btn small', 'aria-label': `Remove ${m.name} from ${g.name}`, onclick: async () => {
        const ok = await confirmDialog({ title: `Remove ${m.name}?`,
          message: `${m.name} leaves ${g.name} and no longer sees the views and dashboards shared with it (from their next page load).`,
          confirmLabel: 'Remove', danger: true,
          action: () => api(`/v1/groups/${encodeURIComponent(g.id)}/members/${encodeURIComponent(m.id)}`, { method: 'DELETE' }) });
        if (ok) { toast(`${m.name} removed.`); await redraw(); }
      } }, 'Remove')) : null)),
  }));
  main.append(card);

  /* views shared with the group, as far as the viewer can see them */
  try {
    const views = await apiAll('/v1/views', can('dashboards.manage_any') ? { all: 1 } : {});
    const shared = views.filter((v) => (v.shared_with || []).some((s) => s.id === g.id));
    main.append(h('section', { class: 'card', 'aria-labelledby': 'v-h' }, h('h2', { id: 'v-h' }, 'Shared with this group'),
      shared.length ? h('ul', null, shared.map((v) => h('li', null, h('strong', null, v.name), ` · ${v.kind === 'dashboard' ? 'dashboard' : 'view template'}`, v.owner ? ` by ${v.owner.name}` : '')))
        : h('p', { class: 'muted' }, 'No views or dashboards you can see are shared with this group. Share them from Views & dashboards.')));
  } catch { /* views are optional here */ }
}

async function editGroup(g, after) {
  const name = field({ label: 'Name', name: 'name', required: true, value: g?.name || '' });
  const desc = field({ label: 'Description', name: 'description', type: 'textarea', value: g?.description || '' });
  const form = h('form', { id: 'group-form', novalidate: true }, name, desc);
  await openDialog({
    title: g ? `Edit ${g.name}` : 'New group', body: form,
    actions: [{ label: 'Cancel' }, { label: g ? 'Save' : 'Create group', kind: 'primary', submit: true, form: 'group-form' }],
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
            toast(g ? 'Group saved.' : `Group ${out.name} created.`);
            await after(out);
          } catch (err) { showError(form, err); }
        });
      });
    },
  });
}
