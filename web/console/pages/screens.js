// Agenda screens (002): a screen groups tasks, and its members see those
// tasks on their agenda (at the kiosk) and may check in to them. Holders of
// tasks.assign create, rename and delete screens and put tasks and people
// on them.
import { api } from '/console/api.js';
import { h, clear, field, showError, clearErrors, busy, openDialog, confirmDialog, toast, fmtTime, table } from '/console/dom.js';
import { can } from '/console/state.js';
import { personPicker, taskPicker, taskStatusBadge, taskHref } from '/console/pages/tasks.js';
import { t as tr } from '/console/i18n.js';

const plural = (n, one, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const screenHref = (s) => `/console/screens/${encodeURIComponent(s.id)}`;

export async function render({ main, navigate }) {
  main.append(h('div', { class: 'page-head' },
    h('div', null, h('h1', null, tr('screens.agendaScreens')),
      h('p', { class: 'sub' }, tr('screens.aScreenGroupsTasksFor'))),
    h('div', { class: 'actions' }, h('button', { type: 'button', class: 'btn primary', onclick: () => editScreen(null, (s) => navigate(`/screens/${encodeURIComponent(s.id)}`)) }, tr('screens.newScreen')))));
  const { items } = await api('/v1/screens');
  main.append(table({
    caption: tr('screens.agendaScreens'), empty: tr('screens.noAgendaScreensYetCreate'),
    columns: [{ label: tr('screens.name') }, { label: tr('screens.tasks'), class: 'num' }, { label: tr('screens.members'), class: 'num' }, { label: tr('screens.created') }],
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
    h('nav', { class: 'crumbs', 'aria-label': tr('screens.breadcrumb') }, h('a', { href: '/console/screens' }, tr('screens.agendaScreens')), ' / ', s.name),
    h('div', { class: 'page-head' },
      h('div', null, h('h1', null, s.name), h('p', { class: 'sub' }, counts)),
      h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'btn', onclick: () => editScreen(s, redraw) }, tr('screens.rename')),
        h('button', { type: 'button', class: 'btn danger', onclick: async () => {
          const ok = await confirmDialog({ title: tr('screens.deleteTheAgendaScreenName', { name: s.name }),
            message: tr('screens.deleteText', { tasks: tr('screens.tasksN', { count: s.tasks.length }), members: tr('screens.membersN', { count: s.members.length }) }),
            confirmLabel: tr('screens.deleteName', { name: s.name }), danger: true,
            action: () => api(`/v1/screens/${encodeURIComponent(s.id)}`, { method: 'DELETE' }) });
          if (ok) { toast(tr('screens.agendaScreenNameDeleted', { name: s.name })); navigate('/screens'); }
        } }, tr('screens.delete')))));

  /* tasks */
  const onScreen = new Set(s.tasks.map((t) => t.id));
  const taskForm = await taskPicker({ button: tr('screens.addTask'), label: tr('screens.putATaskOnName', { name: s.name }), exclude: onScreen,
    onAdd: async (id, text) => {
      await api(`/v1/screens/${encodeURIComponent(s.id)}/tasks/${encodeURIComponent(id)}`, { method: 'PUT' });
      toast(tr('screens.taskIsOn', { task: text.split(':')[0], name: s.name }));
      await redraw();
    } });
  main.append(h('section', { class: 'card', 'aria-labelledby': 'st-h' }, h('h2', { id: 'st-h' }, tr('screens.tasksOnThisScreen')),
    taskForm,
    table({
      caption: tr('screens.tasksOnThisScreen'), empty: tr('screens.noTasksOnThisScreen'),
      columns: [{ label: tr('screens.ref') }, { label: tr('screens.title') }, { label: tr('screens.status') }, { label: tr('screens.actions') }],
      rows: s.tasks.map((x) => {
        const t = byId.get(x.id);
        return h('tr', { 'data-task': x.id },
          h('td', null, h('a', { href: taskHref(x) }, x.ref)),
          h('td', { class: 'wrap' }, t?.title || ''),
          h('td', null, t ? taskStatusBadge(t) : ''),
          h('td', null, h('button', { type: 'button', class: 'btn small', 'aria-label': tr('screens.removeRefFromName', { ref: x.ref, name: s.name }), onclick: async () => {
            const ok = await confirmDialog({ title: tr('screens.removeRefFromName2', { ref: x.ref, name: s.name }),
              message: tr('screens.refLeavesTheAgendasOf', { ref: x.ref }),
              confirmLabel: tr('screens.remove'), danger: true,
              action: () => api(`/v1/screens/${encodeURIComponent(s.id)}/tasks/${encodeURIComponent(x.id)}`, { method: 'DELETE' }) });
            if (ok) { toast(tr('screens.refRemovedFromName', { ref: x.ref, name: s.name })); await redraw(); }
          } }, tr('screens.remove'))));
      }),
    })));

  /* members */
  const card = h('section', { class: 'card', 'aria-labelledby': 'sm-h' }, h('h2', { id: 'sm-h' }, tr('screens.members')),
    h('p', { class: 'muted' }, tr('screens.membersSeeEveryTaskOf')));
  card.append(await personPicker({
    button: tr('screens.addMember'), label: tr('screens.addAMemberToName', { name: s.name }), exclude: new Set(s.members.map((m) => m.id)),
    onAdd: async (id, name) => {
      await api(`/v1/screens/${encodeURIComponent(s.id)}/members/${encodeURIComponent(id)}`, { method: 'PUT' });
      toast(tr('screens.nameAddedToName2', { name, name2: s.name }));
      await redraw();
    },
  }));
  card.append(table({
    caption: tr('screens.members'), empty: tr('screens.nobodyIsAMemberOf'),
    columns: [{ label: tr('screens.name') }, { label: tr('screens.actions') }],
    rows: s.members.map((m) => h('tr', null,
      h('td', null, can('users.view') || can('users.manage') ? h('a', { href: `/console/users/${encodeURIComponent(m.id)}` }, m.name) : m.name),
      h('td', null, h('button', { type: 'button', class: 'btn small', 'aria-label': tr('screens.removeNameFromName2', { name: m.name, name2: s.name }), onclick: async () => {
        const ok = await confirmDialog({ title: tr('screens.removeNameFromName22', { name: m.name, name2: s.name }),
          message: tr('screens.theScreenSTasksLeave', { name: m.name }),
          confirmLabel: tr('screens.remove'), danger: true,
          action: () => api(`/v1/screens/${encodeURIComponent(s.id)}/members/${encodeURIComponent(m.id)}`, { method: 'DELETE' }) });
        if (ok) { toast(tr('screens.nameRemovedFromName2', { name: m.name, name2: s.name })); await redraw(); }
      } }, tr('screens.remove'))))),
  }));
  main.append(card);
}

async function editScreen(s, after) {
  const name = field({ label: tr('screens.name'), name: 'name', required: true, value: s?.name || '', hint: s ? undefined : tr('screens.forExampleTheLineOr'), attrs: { autocomplete: 'off' } });
  const form = h('form', { id: 'screen-form', novalidate: true }, name);
  await openDialog({
    title: s ? tr('screens.renameName', { name: s.name }) : tr('screens.newAgendaScreen'), body: form,
    actions: [{ label: tr('common.cancel') }, { label: s ? tr('screens.rename') : tr('screens.createScreen'), kind: 'primary', submit: true, form: 'screen-form' }],
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
            toast(s ? tr('screens.renamedToName', { name: out.name }) : tr('screens.agendaScreenNameCreated', { name: out.name }));
            await after(out);
          } catch (err) { showError(form, err); }
        });
      });
    },
  });
}
