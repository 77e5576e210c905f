// Agenda screens (002): a screen groups tasks, and its members see those
// tasks on their agenda (at the kiosk) and may check in to them. Holders of
// tasks.assign create, rename and delete screens and put tasks and people
// on them.
import { api } from '/console/api.js';
import { h, clear, field, showError, clearErrors, busy, openDialog, confirmDialog, toast, fmtTime, table } from '/console/dom.js';
import { can } from '/console/state.js';
import { personPicker, taskPicker, taskStatusBadge, taskHref } from '/console/pages/tasks.js';

const plural = (n, one, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const screenHref = (s) => `/console/screens/${encodeURIComponent(s.id)}`;

export async function render({ main, navigate }) {
  main.append(h('div', { class: 'page-head' },
    h('div', null, h('h1', null, 'Agenda screens'),
      h('p', { class: 'sub' }, 'A screen groups tasks, for a line or a workshop. Its members see those tasks on their agenda at the kiosk and may check in to them.')),
    h('div', { class: 'actions' }, h('button', { type: 'button', class: 'btn primary', onclick: () => editScreen(null, (s) => navigate(`/screens/${encodeURIComponent(s.id)}`)) }, 'New screen'))));
  const { items } = await api('/v1/screens');
  main.append(table({
    caption: 'Agenda screens', empty: 'No agenda screens yet. Create one, then put tasks and people on it.',
    columns: [{ label: 'Name' }, { label: 'Tasks', class: 'num' }, { label: 'Members', class: 'num' }, { label: 'Created' }],
    rows: items.map((s) => h('tr', { 'data-screen': s.id },
      h('td', null, h('a', { href: screenHref(s) }, s.name)),
      h('td', { class: 'num' }, String(s.tasks.length)),
      h('td', { class: 'num' }, String(s.members.length)),
      h('td', { class: 'small' }, fmtTime(s.created_at)))),
  }));
}

export async function renderOne(ctx) {
  const { main, params, navigate } = ctx;
  const s = await api(`/v1/screens/${encodeURIComponent(params.id)}`);
  // Only the screen's own tasks are read (their titles and status), never the plant's whole task list.
  const shown = await Promise.all(s.tasks.slice(0, 200).map((x) => api(`/v1/tasks/${encodeURIComponent(x.id)}`).catch(() => null)));
  const tasks = shown.filter(Boolean);
  const redraw = async () => { clear(main); await renderOne(ctx); };
  const byId = new Map(tasks.map((t) => [t.id, t]));
  const counts = `${plural(s.tasks.length, 'task')} · ${plural(s.members.length, 'member')}`;

  main.append(
    h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, h('a', { href: '/console/screens' }, 'Agenda screens'), ' / ', s.name),
    h('div', { class: 'page-head' },
      h('div', null, h('h1', null, s.name), h('p', { class: 'sub' }, counts)),
      h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'btn', onclick: () => editScreen(s, redraw) }, 'Rename'),
        h('button', { type: 'button', class: 'btn danger', onclick: async () => {
          const ok = await confirmDialog({ title: `Delete the agenda screen ${s.name}?`,
            message: `It shows ${plural(s.tasks.length, 'task')} to ${plural(s.members.length, 'member')}: the tasks leave the members' agendas at once. The tasks themselves stay, and so do check-ins already made.`,
            confirmLabel: `Delete ${s.name}`, danger: true,
            action: () => api(`/v1/screens/${encodeURIComponent(s.id)}`, { method: 'DELETE' }) });
          if (ok) { toast(`Agenda screen ${s.name} deleted.`); navigate('/screens'); }
        } }, 'Delete'))));

  /* tasks */
  const onScreen = new Set(s.tasks.map((t) => t.id));
  const taskForm = await taskPicker({ button: 'Add task', label: `Put a task on ${s.name}`, exclude: onScreen,
    onAdd: async (id, text) => {
      await api(`/v1/screens/${encodeURIComponent(s.id)}/tasks/${encodeURIComponent(id)}`, { method: 'PUT' });
      toast(`${text.split(':')[0]} is on ${s.name}.`);
      await redraw();
    } });
  main.append(h('section', { class: 'card', 'aria-labelledby': 'st-h' }, h('h2', { id: 'st-h' }, 'Tasks on this screen'),
    taskForm,
    table({
      caption: 'Tasks on this screen', empty: 'No tasks on this screen yet. Find one above and add it.',
      columns: [{ label: 'Ref' }, { label: 'Title' }, { label: 'Status' }, { label: 'Actions' }],
      rows: s.tasks.map((x) => {
        const t = byId.get(x.id);
        return h('tr', { 'data-task': x.id },
          h('td', null, h('a', { href: taskHref(x) }, x.ref)),
          h('td', { class: 'wrap' }, t?.title || ''),
          h('td', null, t ? taskStatusBadge(t) : ''),
          h('td', null, h('button', { type: 'button', class: 'btn small', 'aria-label': `Remove ${x.ref} from ${s.name}`, onclick: async () => {
            const ok = await confirmDialog({ title: `Remove ${x.ref} from ${s.name}?`,
              message: `${x.ref} leaves the agendas of the screen's members, unless they are assigned to it. The task stays.`,
              confirmLabel: 'Remove', danger: true,
              action: () => api(`/v1/screens/${encodeURIComponent(s.id)}/tasks/${encodeURIComponent(x.id)}`, { method: 'DELETE' }) });
            if (ok) { toast(`${x.ref} removed from ${s.name}.`); await redraw(); }
          } }, 'Remove')));
      }),
    })));

  /* members */
  const card = h('section', { class: 'card', 'aria-labelledby': 'sm-h' }, h('h2', { id: 'sm-h' }, 'Members'),
    h('p', { class: 'muted' }, 'Members see every task of this screen on their agenda.'));
  card.append(await personPicker({
    button: 'Add member', label: `Add a member to ${s.name}`, exclude: new Set(s.members.map((m) => m.id)),
    onAdd: async (id, name) => {
      await api(`/v1/screens/${encodeURIComponent(s.id)}/members/${encodeURIComponent(id)}`, { method: 'PUT' });
      toast(`${name} added to ${s.name}.`);
      await redraw();
    },
  }));
  card.append(table({
    caption: 'Members', empty: 'Nobody is a member of this screen yet.',
    columns: [{ label: 'Name' }, { label: 'Actions' }],
    rows: s.members.map((m) => h('tr', null,
      h('td', null, can('users.view') || can('users.manage') ? h('a', { href: `/console/users/${encodeURIComponent(m.id)}` }, m.name) : m.name),
      h('td', null, h('button', { type: 'button', class: 'btn small', 'aria-label': `Remove ${m.name} from ${s.name}`, onclick: async () => {
        const ok = await confirmDialog({ title: `Remove ${m.name} from ${s.name}?`,
          message: `The screen's tasks leave the agenda of ${m.name}, unless they are assigned to them. A check-in of theirs that is open stays open.`,
          confirmLabel: 'Remove', danger: true,
          action: () => api(`/v1/screens/${encodeURIComponent(s.id)}/members/${encodeURIComponent(m.id)}`, { method: 'DELETE' }) });
        if (ok) { toast(`${m.name} removed from ${s.name}.`); await redraw(); }
      } }, 'Remove')))),
  }));
  main.append(card);
}

async function editScreen(s, after) {
  const name = field({ label: 'Name', name: 'name', required: true, value: s?.name || '', hint: s ? undefined : 'For example the line or workshop it is for.', attrs: { autocomplete: 'off' } });
  const form = h('form', { id: 'screen-form', novalidate: true }, name);
  await openDialog({
    title: s ? `Rename ${s.name}` : 'New agenda screen', body: form,
    actions: [{ label: 'Cancel' }, { label: s ? 'Rename' : 'Create screen', kind: 'primary', submit: true, form: 'screen-form' }],
    onOpen: (dlg) => {
      name.input.focus();
      form.addEventListener('submit', async (e) => {
        e.preventDefault();
        clearErrors(form);
        const body = { name: name.input.value.trim() };
        await busy(dlg.querySelector('button[type=submit]'), async () => {
          try {
            const out = await api(s ? `/v1/screens/${encodeURIComponent(s.id)}` : '/v1/screens', { method: s ? 'PATCH' : 'POST', body });
            dlg.finish(true);
            toast(s ? `Renamed to ${out.name}.` : `Agenda screen ${out.name} created.`);
            await after(out);
          } catch (err) { showError(form, err); }
        });
      });
    },
  });
}
