// The shop floor (000, 002): tasks with filters and paging, a task's page
// (edit, done / reopen, delete, assignees, who works on it through its
// order) and an order's page (its tasks and the people assigned to the whole
// order). Reading needs tasks.assign or users.view; changing needs
// tasks.assign. Orders are only references, which may hold '/', so they go
// in the query string (/console/orders?ref=...), never in the path.
import { api } from '/console/api.js';
import { h, clear, field, showError, clearErrors, busy, openDialog, confirmDialog, toast, badge, fmtTime, table, debounce } from '/console/dom.js';
import { can } from '/console/state.js';

const pad = (n) => String(n).padStart(2, '0');

/** An RFC 3339 time as the value of a datetime-local input (local time). */
export function toLocalInput(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** A datetime-local value as an RFC 3339 UTC time; '' -> null; undefined when not a time. */
export function fromLocalInput(v) {
  if (!v) return null;
  const d = new Date(v);
  if (Number.isNaN(d.getTime())) return undefined;
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function taskStatusBadge(t) {
  return t.status === 'done' ? badge('Done', 'ok') : badge('Open', 'accent');
}

export const taskHref = (t) => `/console/tasks/${encodeURIComponent(t.id || t.task_id)}`;
export const orderHref = (ref) => `/console/orders?ref=${encodeURIComponent(ref)}`;
const plural = (n, one, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** How a person is named in pickers: name and email or badge. */
export function userLabel(u) {
  const extra = u.email || (u.badge ? `badge ${u.badge}` : '');
  return `${u.name || u.email}${extra && extra !== u.name ? ` (${extra})` : ''}${u.status === 'locked' ? ', locked' : ''}`;
}

/**
 * A form to pick one entry found on the server (never a downloaded list):
 * "Find …" narrows the list as one types, 50 at a time, and says so when
 * more match than are shown. opts: path, query (fixed filters), label
 * texts, labelOf(item), exclude (ids not offered), onAdd(id, label).
 */
export async function searchPicker({ path, query = {}, findLabel, placeholder, pickLabel, fieldName, button, label = button,
  labelOf, exclude = new Set(), onAdd, none = 'Nobody matches', empty = 'Nobody left to add', choose = 'Choose someone to add.' }) {
  const q = field({ label: findLabel, name: 'q', type: 'search', attrs: { autocomplete: 'off', placeholder } });
  const pick = field({ label: pickLabel, name: fieldName, type: 'select', options: [] });
  const status = h('span', { class: 'muted small', role: 'status' });
  const form = h('form', { class: 'filters', novalidate: true, 'aria-label': label }, q, pick,
    h('button', { type: 'submit', class: 'btn primary' }, button), status);
  let seq = 0;
  async function search() {
    const mine = ++seq;
    const text = q.input.value.trim();
    const page = await api(path, { query: { ...query, q: text || undefined, limit: 50 } });
    if (mine !== seq) return;
    const list = page.items.filter((x) => !exclude.has(x.id));
    clear(pick.input, list.length ? null : h('option', { value: '' }, text ? none : empty),
      list.map((x) => h('option', { value: x.id }, labelOf(x))));
    status.textContent = page.next_cursor ? `The first ${page.items.length} matches are shown: type more to narrow them.`
      : text ? `${list.length} found.` : '';
  }
  await search();
  q.input.addEventListener('input', debounce(() => search().catch((e) => showError(form, e)), 250));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    if (!pick.input.value) { showError(form, { field: fieldName, detail: choose }); return; }
    const name = pick.input.selectedOptions[0]?.textContent || '';
    await busy(e.submitter, async () => {
      try { await onAdd(pick.input.value, name); } catch (err) { showError(form, err); }
    });
  });
  return form;
}

/**
 * A form to pick one person found by GET /v1/users?q= and add them.
 * exclude: ids not offered (already added). Resolves to the form, or to a
 * note when the viewer may not list users.
 */
export async function personPicker({ button, exclude = new Set(), onAdd, label = button, pickLabel = 'Person', empty = 'Nobody left to add' }) {
  try {
    return await searchPicker({ path: '/v1/users', findLabel: 'Find a person', placeholder: 'Name, email or badge', pickLabel,
      fieldName: 'user_id', button, label, labelOf: userLabel, exclude, onAdd, empty });
  } catch (e) {
    if (e.status === 403) return h('p', { class: 'muted' }, 'Adding people needs the “View user management page” permission, to find them.');
    throw e;
  }
}

/** A form to pick one open task found by GET /v1/tasks?q= (reference or title). */
export function taskPicker({ button, exclude = new Set(), onAdd, label = button }) {
  return searchPicker({ path: '/v1/tasks', query: { status: 'open' }, findLabel: 'Find a task', placeholder: 'Reference or title', pickLabel: 'Task',
    fieldName: 'task_id', button, label, labelOf: (t) => `${t.ref}: ${t.title}`, exclude, onAdd,
    none: 'No open task matches', empty: 'Every open task is on this screen', choose: 'Choose a task to add.' });
}

/** The New task dialog; after(task) runs once it is created. */
export async function newTask(after, { orderRef = '' } = {}) {
  const ref = field({ label: 'Reference', name: 'ref', required: true, hint: 'Your key for the task, unique in the plant, e.g. T-2050.', attrs: { autocomplete: 'off' } });
  const title = field({ label: 'Title', name: 'title', required: true, attrs: { autocomplete: 'off' } });
  const order = field({ label: 'Order reference', name: 'order_ref', value: orderRef, hint: 'Optional. People assigned to the order work on all its tasks.', attrs: { autocomplete: 'off' } });
  const due = field({ label: 'Due', name: 'due', type: 'datetime-local', hint: 'Optional. Your local time.' });
  const form = h('form', { id: 'task-form', novalidate: true }, ref, title, order, due);
  await openDialog({
    title: 'New task', body: form,
    actions: [{ label: 'Cancel' }, { label: 'Create task', kind: 'primary', submit: true, form: 'task-form' }],
    onOpen: (dlg) => {
      ref.input.focus();
      form.addEventListener('submit', async (e) => {
        e.preventDefault();
        clearErrors(form);
        const body = { ref: ref.input.value.trim(), title: title.input.value.trim() };
        if (!body.ref) { showError(form, { field: 'ref', detail: 'Enter a reference.' }); return; }
        if (!body.title) { showError(form, { field: 'title', detail: 'Enter a title.' }); return; }
        if (order.input.value.trim()) body.order_ref = order.input.value.trim();
        const when = fromLocalInput(due.input.value);
        if (when === undefined) { showError(form, { field: 'due', detail: 'Enter a date and time, or leave it empty.' }); return; }
        if (when) body.due = when;
        await busy(dlg.querySelector('button[type=submit]'), async () => {
          try {
            const t = await api('/v1/tasks', { method: 'POST', body });
            dlg.finish(true);
            toast(`Task ${t.ref} created.`);
            await after(t);
          } catch (err) { showError(form, err); }
        });
      });
    },
  });
}

function taskRow(t, { order = true } = {}) {
  return h('tr', { 'data-task': t.id },
    h('td', { class: 'nowrap' }, h('a', { href: taskHref(t) }, t.ref)),
    h('td', { class: 'wrap' }, t.title),
    order ? h('td', { class: 'nowrap' }, t.order_ref ? h('a', { href: orderHref(t.order_ref), 'aria-label': `Order ${t.order_ref}` }, t.order_ref) : h('span', { class: 'muted' }, '—')) : null,
    h('td', { class: 'small' }, fmtTime(t.due)),
    h('td', null, taskStatusBadge(t)));
}
const taskColumns = (order = true) => [{ label: 'Ref' }, { label: 'Title' }, ...(order ? [{ label: 'Order' }] : []), { label: 'Due' }, { label: 'Status' }];

/* ---- the Tasks page ------------------------------------------------------------- */
export async function render({ main, query, navigate }) {
  const manage = can('tasks.assign');
  main.append(h('div', { class: 'page-head' },
    h('div', null, h('h1', null, 'Tasks'),
      h('p', { class: 'sub' }, 'Work items of the shop floor. People see a task on their agenda when they are assigned to it or to its order, or when it is on one of their agenda screens.')),
    manage ? h('div', { class: 'actions' }, h('button', { type: 'button', class: 'btn primary', onclick: () => newTask((t) => navigate(`/tasks/${encodeURIComponent(t.id)}`)) }, 'New task')) : null));

  const status = field({ label: 'Status', name: 'status', type: 'select', value: query.status ?? 'open',
    options: [{ value: 'open', label: 'Open' }, { value: 'done', label: 'Done' }, { value: 'all', label: 'Open and done' }] });
  const order = field({ label: 'Order', name: 'order_ref', value: query.order_ref || '', attrs: { autocomplete: 'off', placeholder: 'Exact reference, e.g. SO-1042' } });
  const openOrder = h('button', { type: 'button', class: 'btn', onclick: () => {
    const ref = order.input.value.trim();
    if (!ref) { showError(filters, { field: 'order_ref', detail: 'Enter an order reference to open it.' }); return; }
    navigate(`/orders?ref=${encodeURIComponent(ref)}`);
  } }, 'Open order');
  const filters = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter tasks', novalidate: true, onsubmit: (e) => { e.preventDefault(); load().catch((err) => showError(filters, err)); } },
    status, order, h('div', { class: 'field' }, openOrder));
  const host = h('div');
  const foot = h('div', { class: 'table-foot' });
  main.append(filters, host, foot);

  let cursor = null, rows = [], seq = 0;
  async function load(more = false) {
    const mine = ++seq;
    const st = status.input.value;
    const params = { status: st === 'all' ? undefined : st, order_ref: order.input.value.trim() };
    if (!more) {
      const sp = new URLSearchParams();
      if (st !== 'open') sp.set('status', st);
      if (params.order_ref) sp.set('order_ref', params.order_ref);
      history.replaceState(null, '', `/console/tasks${sp.toString() ? `?${sp}` : ''}`);
    }
    const page = await api('/v1/tasks', { query: { ...params, limit: 50, cursor: more ? cursor : undefined } });
    if (mine !== seq) return;
    clearErrors(filters);
    rows = more ? rows.concat(page.items) : page.items;
    cursor = page.next_cursor;
    clear(host, table({ caption: 'Tasks', columns: taskColumns(), rows: rows.map((t) => taskRow(t)),
      empty: params.order_ref || st !== 'open' ? 'No tasks match these filters.' : 'No open tasks. Create one with New task, or let your ERP add them.' }));
    clear(foot, h('span', { role: 'status' }, `${plural(rows.length, 'task')} shown`),
      cursor ? h('button', { type: 'button', class: 'btn small', onclick: (e) => busy(e.target, () => load(true).catch((err) => toast(err.detail, 'error'))) }, 'Load more') : null);
  }
  const reload = debounce(() => load().catch((e) => showError(filters, e)), 250);
  status.input.addEventListener('change', reload);
  order.input.addEventListener('input', reload);
  await load();
}

/* ---- a task's page -------------------------------------------------------------- */
export async function renderOne(ctx) {
  const { main, params, navigate } = ctx;
  const manage = can('tasks.assign');
  const t = await api(`/v1/tasks/${encodeURIComponent(params.id)}`);
  const redraw = async () => { clear(main); await renderOne(ctx); };
  const done = t.status === 'done';

  async function setStatus(btn, to) {
    await busy(btn, async () => {
      try {
        await api(`/v1/tasks/${encodeURIComponent(t.id)}`, { method: 'PATCH', body: { status: to } });
        toast(to === 'done' ? `${t.ref} marked done.` : `${t.ref} reopened.`);
        await redraw();
      } catch (e) { toast(e.detail, 'error'); }
    });
  }
  async function remove() {
    const ok = await confirmDialog({
      title: `Delete the task ${t.ref}?`,
      message: [h('p', null, 'This deletes ', h('strong', null, `${t.ref} ${t.title}`), ' with its assignments and its places on agenda screens. It cannot be undone.'),
        h('p', { class: 'muted' }, 'A task people have checked in to keeps their time records and cannot be deleted: mark it done instead.')],
      confirmLabel: `Delete ${t.ref}`, danger: true,
      action: () => api(`/v1/tasks/${encodeURIComponent(t.id)}`, { method: 'DELETE' }),
    });
    if (ok) { toast(`Task ${t.ref} deleted.`); navigate('/tasks'); }
  }

  main.append(
    h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, h('a', { href: '/console/tasks' }, 'Tasks'), ' / ', t.ref),
    h('div', { class: 'page-head' },
      h('div', null, h('h1', null, `${t.ref}: ${t.title}`),
        h('p', { class: 'sub' }, t.order_ref ? ['Order ', h('a', { href: orderHref(t.order_ref) }, t.order_ref)] : 'No order', ` · due ${fmtTime(t.due)}`),
        h('div', { class: 'badges' }, taskStatusBadge(t), done && t.completed_at ? badge(`Done ${fmtTime(t.completed_at)}`, 'outline') : null)),
      manage ? h('div', { class: 'actions' },
        done ? h('button', { type: 'button', class: 'btn', onclick: (e) => setStatus(e.currentTarget, 'open') }, 'Reopen')
          : h('button', { type: 'button', class: 'btn primary', onclick: (e) => setStatus(e.currentTarget, 'done') }, 'Mark done'),
        h('button', { type: 'button', class: 'btn danger', onclick: remove }, 'Delete')) : null));

  /* details */
  const ref = field({ label: 'Reference', name: 'ref', value: t.ref, readonly: true, hint: 'The reference is the key of the task and does not change.' });
  const title = field({ label: 'Title', name: 'title', value: t.title, disabled: !manage, required: true });
  const order = field({ label: 'Order reference', name: 'order_ref', value: t.order_ref || '', disabled: !manage,
    hint: 'Leave empty for no order. Moving the task to another order changes who works on it through orders at once.', attrs: { autocomplete: 'off' } });
  const due = field({ label: 'Due', name: 'due', type: 'datetime-local', value: toLocalInput(t.due), disabled: !manage, hint: 'Your local time. Leave empty for no due time.' });
  const form = h('form', { novalidate: true, 'aria-labelledby': 'task-h' },
    h('div', { class: 'grid-2' }, ref, title, order, due),
    manage ? h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn primary' }, 'Save changes')) : null);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    const body = {};
    const ti = title.input.value.trim();
    if (ti !== t.title) body.title = ti;
    const o = order.input.value.trim();
    if (o !== (t.order_ref || '')) body.order_ref = o || null;
    const when = fromLocalInput(due.input.value);
    if (when === undefined) { showError(form, { field: 'due', detail: 'Enter a date and time, or leave it empty.' }); return; }
    if (due.input.value !== toLocalInput(t.due)) body.due = when;
    if (!Object.keys(body).length) { toast('Nothing changed.'); return; }
    await busy(e.submitter, async () => {
      try {
        await api(`/v1/tasks/${encodeURIComponent(t.id)}`, { method: 'PATCH', body });
        toast('Task saved.');
        await redraw();
      } catch (err) { showError(form, err); }
    });
  });
  main.append(h('section', { class: 'card', 'aria-labelledby': 'task-h' }, h('h2', { id: 'task-h' }, 'Task'), form));

  /* assignees */
  const assignees = t.assignees || [];
  const card = h('section', { class: 'card', 'aria-labelledby': 'asg-h' }, h('h2', { id: 'asg-h' }, 'Assigned people'),
    h('p', { class: 'muted' }, 'They see the task on their agenda and may check in to it.'));
  if (manage) {
    card.append(await personPicker({
      button: 'Assign', label: `Assign someone to ${t.ref}`, exclude: new Set(assignees.map((a) => a.id)),
      onAdd: async (id, name) => {
        await api(`/v1/tasks/${encodeURIComponent(t.id)}/assignees/${encodeURIComponent(id)}`, { method: 'PUT' });
        toast(`${name} assigned to ${t.ref}.`);
        await redraw();
      },
    }));
  }
  card.append(table({
    caption: 'Assigned people', empty: 'Nobody is assigned to this task directly.',
    columns: [{ label: 'Name' }, ...(manage ? [{ label: 'Actions' }] : [])],
    rows: assignees.map((a) => h('tr', null,
      h('td', null, personLink(a)),
      manage ? h('td', null, h('button', { type: 'button', class: 'btn small', 'aria-label': `Unassign ${a.name} from ${t.ref}`, onclick: async () => {
        const ok = await confirmDialog({ title: `Unassign ${a.name}?`,
          message: `${t.ref} leaves the agenda of ${a.name}, unless they reach it through its order or an agenda screen. A check-in of theirs that is open stays open until they check out.`,
          confirmLabel: 'Unassign', danger: true,
          action: () => api(`/v1/tasks/${encodeURIComponent(t.id)}/assignees/${encodeURIComponent(a.id)}`, { method: 'DELETE' }) });
        if (ok) { toast(`${a.name} unassigned from ${t.ref}.`); await redraw(); }
      } }, 'Unassign')) : null)),
  }));
  main.append(card);

  /* through the order */
  const viaOrder = t.order_assignees || [];
  main.append(h('section', { class: 'card', 'aria-labelledby': 'via-h' },
    h('div', { class: 'card-head' }, h('h2', { id: 'via-h' }, 'Assigned through the order'),
      t.order_ref ? h('div', { class: 'actions' }, h('a', { class: 'btn small', href: orderHref(t.order_ref) }, manage ? `Manage order ${t.order_ref}` : `Open order ${t.order_ref}`)) : null),
    !t.order_ref ? h('p', { class: 'muted' }, 'This task belongs to no order.')
      : viaOrder.length ? h('ul', { class: 'badges plain', 'aria-label': `People assigned to order ${t.order_ref}` }, viaOrder.map((a) => h('li', null, badge(a.name, 'accent'))))
        : h('p', { class: 'muted' }, `Nobody is assigned to order ${t.order_ref}.`)));
}

function personLink(u) {
  return can('users.view') || can('users.manage') ? h('a', { href: `/console/users/${encodeURIComponent(u.id)}` }, u.name) : u.name;
}

/* ---- an order's page ------------------------------------------------------------ */
export async function renderOrder(ctx) {
  const { main, query, navigate } = ctx;
  const manage = can('tasks.assign');
  const ref = (query.ref || '').trim();
  const crumbs = h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, h('a', { href: '/console/tasks' }, 'Tasks'), ' / ', ref ? `Order ${ref}` : 'Orders');
  if (!ref) {
    const f = field({ label: 'Order reference', name: 'order_ref', required: true, attrs: { autocomplete: 'off', placeholder: 'e.g. SO-1042' } });
    const form = h('form', { class: 'filters', novalidate: true, 'aria-label': 'Open an order' }, f, h('button', { type: 'submit', class: 'btn primary' }, 'Open order'));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const v = f.input.value.trim();
      if (!v) { showError(form, { field: 'order_ref', detail: 'Enter an order reference.' }); return; }
      navigate(`/orders?ref=${encodeURIComponent(v)}`);
    });
    main.append(crumbs, h('div', { class: 'page-head' }, h('div', null, h('h1', null, 'Orders'),
      h('p', { class: 'sub' }, 'Orders come from your ERP; gatehouse knows them by the order reference of their tasks.'))), form);
    return;
  }
  const o = await api('/v1/orders/assignees', { query: { order_ref: ref } });
  const redraw = async () => { clear(main); await renderOrder(ctx); };
  main.append(crumbs, h('div', { class: 'page-head' },
    h('div', null, h('h1', null, `Order ${o.order_ref}`),
      h('p', { class: 'sub' }, `${plural(o.tasks.length, 'task')}${o.tasks_truncated ? ' or more' : ''} · ${plural(o.assignees.length, 'person', 'people')} assigned to the whole order`)),
    manage ? h('div', { class: 'actions' }, h('button', { type: 'button', class: 'btn', onclick: () => newTask(redraw, { orderRef: o.order_ref }) }, 'New task in this order')) : null));

  const card = h('section', { class: 'card', 'aria-labelledby': 'oa-h' }, h('h2', { id: 'oa-h' }, 'People assigned to the order'),
    h('p', { class: 'muted' }, 'They work on every task of this order, those there now and those added later.'));
  if (manage) {
    card.append(await personPicker({
      button: 'Assign to order', exclude: new Set(o.assignees.map((a) => a.id)),
      onAdd: async (id, name) => {
        await api('/v1/orders/assignees', { method: 'PUT', body: { order_ref: o.order_ref, user_id: id } });
        toast(`${name} assigned to order ${o.order_ref}.`);
        await redraw();
      },
    }));
  }
  card.append(table({
    caption: 'People assigned to the order', empty: 'Nobody is assigned to this order.',
    columns: [{ label: 'Name' }, ...(manage ? [{ label: 'Actions' }] : [])],
    rows: o.assignees.map((a) => h('tr', null,
      h('td', null, personLink(a)),
      manage ? h('td', null, h('button', { type: 'button', class: 'btn small', 'aria-label': `Unassign ${a.name} from order ${o.order_ref}`, onclick: async () => {
        const ok = await confirmDialog({ title: `Unassign ${a.name} from order ${o.order_ref}?`,
          message: `The order's tasks leave the agenda of ${a.name} at once (tasks they are assigned to directly stay). A check-in of theirs that is open stays open until they check out.`,
          confirmLabel: 'Unassign', danger: true,
          action: () => api('/v1/orders/assignees', { method: 'DELETE', query: { order_ref: o.order_ref, user_id: a.id } }) });
        if (ok) { toast(`${a.name} unassigned from order ${o.order_ref}.`); await redraw(); }
      } }, 'Unassign')) : null)),
  }));
  main.append(card);

  main.append(h('section', { class: 'card', 'aria-labelledby': 'ot-h' }, h('h2', { id: 'ot-h' }, 'Tasks of the order'),
    table({ caption: 'Tasks of the order', columns: taskColumns(false), rows: o.tasks.map((t) => taskRow(t, { order: false })),
      empty: 'No task has this order reference (yet). People assigned to the order get its tasks as they are added.' }),
    o.tasks_truncated ? h('p', null, h('a', { href: `/console/tasks?status=all&order_ref=${encodeURIComponent(o.order_ref)}` }, 'All the tasks of this order')) : null));
}
