// The shop floor (000, 002): tasks with filters and paging, a task's page
// (edit, done / reopen, delete, assignees, who works on it through its
// order) and an order's page (its tasks and the people assigned to the whole
// order). Reading needs tasks.assign or users.view; changing needs
// tasks.assign. Orders are only references, which may hold '/', so they go
// in the query string (/console/orders?ref=...), never in the path.
import { api } from '/console/api.js';
import { h, clear, field, showError, clearErrors, busy, openDialog, confirmDialog, toast, badge, fmtTime, table, debounce } from '/console/dom.js';
import { can } from '/console/state.js';
import { t as tr } from '/console/i18n.js';

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
  return t.status === 'done' ? badge(tr('common.done'), 'ok') : badge(tr('tasks.open'), 'accent');
}

export const taskHref = (t) => `/console/tasks/${encodeURIComponent(t.id || t.task_id)}`;
export const orderHref = (ref) => `/console/orders?ref=${encodeURIComponent(ref)}`;
const plural = (n, one, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** How a person is named in pickers: name and email or badge. */
export function userLabel(u) {
  const extra = u.email || (u.badge ? tr('tasks.badgeN', { badge: u.badge }) : '');
  const label = extra && extra !== u.name ? tr('tasks.nameExtra', { name: u.name || u.email, extra }) : u.name || u.email;
  return u.status === 'locked' ? tr('tasks.nameLocked', { name: label }) : label;
}

/**
 * A form to pick one entry found on the server (never a downloaded list):
 * "Find …" narrows the list as one types, 50 at a time, and says so when
 * more match than are shown. opts: path, query (fixed filters), label
 * texts, labelOf(item), exclude (ids not offered), onAdd(id, label).
 */
export async function searchPicker({ path, query = {}, findLabel, placeholder, pickLabel, fieldName, button, label = button,
  labelOf, exclude = new Set(), onAdd, none = tr('tasks.nobodyMatches'), empty = tr('tasks.nobodyLeft'), choose = tr('tasks.chooseSomeone') }) {
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
    status.textContent = page.next_cursor ? tr('tasks.theFirstCountMatchesAre', { count: page.items.length })
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
export async function personPicker({ button, exclude = new Set(), onAdd, label = button, pickLabel = tr('tasks.person'), empty = tr('tasks.nobodyLeft') }) {
  try {
    return await searchPicker({ path: '/v1/users', findLabel: tr('tasks.findAPerson'), placeholder: tr('tasks.nameEmailOrBadge'), pickLabel,
      fieldName: 'user_id', button, label, labelOf: userLabel, exclude, onAdd, empty });
  } catch (e) {
    if (e.status === 403) return h('p', { class: 'muted' }, tr('tasks.addingPeopleNeedsTheView'));
    throw e;
  }
}

/** A form to pick one open task found by GET /v1/tasks?q= (reference or title). */
export function taskPicker({ button, exclude = new Set(), onAdd, label = button }) {
  return searchPicker({ path: '/v1/tasks', query: { status: 'open' }, findLabel: tr('tasks.findATask'), placeholder: tr('tasks.referenceOrTitle'), pickLabel: tr('tasks.task'),
    fieldName: 'task_id', button, label, labelOf: (t) => `${t.ref}: ${t.title}`, exclude, onAdd,
    none: tr('tasks.noOpenTaskMatches'), empty: tr('tasks.everyOpenTaskIsOn'), choose: tr('tasks.chooseATaskToAdd') });
}

/** The New task dialog; after(task) runs once it is created. */
export async function newTask(after, { orderRef = '' } = {}) {
  const ref = field({ label: tr('tasks.reference'), name: 'ref', required: true, hint: tr('tasks.yourKeyForTheTask'), attrs: { autocomplete: 'off' } });
  const title = field({ label: tr('tasks.title'), name: 'title', required: true, attrs: { autocomplete: 'off' } });
  const order = field({ label: tr('tasks.orderReference'), name: 'order_ref', value: orderRef, hint: tr('tasks.optionalPeopleAssignedToThe'), attrs: { autocomplete: 'off' } });
  const due = field({ label: tr('tasks.due'), name: 'due', type: 'datetime-local', hint: tr('tasks.optionalYourLocalTime') });
  const form = h('form', { id: 'task-form', novalidate: true }, ref, title, order, due);
  await openDialog({
    title: tr('tasks.newTask'), body: form,
    actions: [{ label: tr('common.cancel') }, { label: tr('tasks.createTask'), kind: 'primary', submit: true, form: 'task-form' }],
    onOpen: (dlg) => {
      ref.input.focus();
      form.addEventListener('submit', async (e) => {
        e.preventDefault();
        clearErrors(form);
        const body = { ref: ref.input.value.trim(), title: title.input.value.trim() };
        if (!body.ref) { showError(form, { field: 'ref', detail: tr('tasks.enterAReference') }); return; }
        if (!body.title) { showError(form, { field: 'title', detail: tr('tasks.enterATitle') }); return; }
        if (order.input.value.trim()) body.order_ref = order.input.value.trim();
        const when = fromLocalInput(due.input.value);
        if (when === undefined) { showError(form, { field: 'due', detail: tr('tasks.enterADateAndTime') }); return; }
        if (when) body.due = when;
        await busy(dlg.querySelector('button[type=submit]'), async () => {
          try {
            const t = await api('/v1/tasks', { method: 'POST', body });
            dlg.finish(true);
            toast(tr('tasks.taskRefCreated', { ref: t.ref }));
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
    order ? h('td', { class: 'nowrap' }, t.order_ref ? h('a', { href: orderHref(t.order_ref), 'aria-label': tr('tasks.orderOrderRef', { order_ref: t.order_ref }) }, t.order_ref) : h('span', { class: 'muted' }, '—')) : null,
    h('td', { class: 'small' }, fmtTime(t.due)),
    h('td', null, taskStatusBadge(t)));
}
const taskColumns = (order = true) => [{ label: tr('tasks.ref') }, { label: tr('tasks.title') }, ...(order ? [{ label: tr('tasks.order') }] : []), { label: tr('tasks.due') }, { label: tr('tasks.status') }];

/* ---- the Tasks page ------------------------------------------------------------- */
export async function render({ main, query, navigate }) {
  const manage = can('tasks.assign');
  main.append(h('div', { class: 'page-head' },
    h('div', null, h('h1', null, tr('tasks.tasks')),
      h('p', { class: 'sub' }, tr('tasks.workItemsOfTheShop'))),
    manage ? h('div', { class: 'actions' }, h('button', { type: 'button', class: 'btn primary', onclick: () => newTask((t) => navigate(`/tasks/${encodeURIComponent(t.id)}`)) }, tr('tasks.newTask'))) : null));

  const status = field({ label: tr('tasks.status'), name: 'status', type: 'select', value: query.status ?? 'open',
    options: [{ value: 'open', label: tr('tasks.open') }, { value: 'done', label: tr('common.done') }, { value: 'all', label: tr('tasks.openAndDone') }] });
  const order = field({ label: tr('tasks.order'), name: 'order_ref', value: query.order_ref || '', attrs: { autocomplete: 'off', placeholder: tr('tasks.exactReferenceEGSo') } });
  const openOrder = h('button', { type: 'button', class: 'btn', onclick: () => {
    const ref = order.input.value.trim();
    if (!ref) { showError(filters, { field: 'order_ref', detail: tr('tasks.enterAnOrderReferenceTo') }); return; }
    navigate(`/orders?ref=${encodeURIComponent(ref)}`);
  } }, tr('tasks.openOrder'));
  const filters = h('form', { class: 'filters', role: 'search', 'aria-label': tr('tasks.filterTasks'), novalidate: true, onsubmit: (e) => { e.preventDefault(); load().catch((err) => showError(filters, err)); } },
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
    clear(host, table({ caption: tr('tasks.tasks'), columns: taskColumns(), rows: rows.map((t) => taskRow(t)),
      empty: params.order_ref || st !== 'open' ? tr('tasks.noTasksMatchTheseFilters') : tr('tasks.noOpenTasksCreateOne') }));
    clear(foot, h('span', { role: 'status' }, tr('tasks.shown', { count: rows.length })),
      cursor ? h('button', { type: 'button', class: 'btn small', onclick: (e) => busy(e.target, () => load(true).catch((err) => toast(err.detail, 'error'))) }, tr('tasks.loadMore')) : null);
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
        toast(tr(to === 'done' ? 'tasks.markedDone' : 'tasks.reopened', { ref: t.ref }));
        await redraw();
      } catch (e) { toast(e.detail, 'error'); }
    });
  }
  async function remove() {
    const ok = await confirmDialog({
      title: tr('tasks.deleteTheTaskRef', { ref: t.ref }),
      message: [h('p', null, tr('tasks.thisDeletes'), h('strong', null, `${t.ref} ${t.title}`), tr('tasks.thisDeletesEnd')),
        h('p', { class: 'muted' }, tr('tasks.aTaskPeopleHaveChecked'))],
      confirmLabel: tr('tasks.deleteRef', { ref: t.ref }), danger: true,
      action: () => api(`/v1/tasks/${encodeURIComponent(t.id)}`, { method: 'DELETE' }),
    });
    if (ok) { toast(tr('tasks.taskRefDeleted', { ref: t.ref })); navigate('/tasks'); }
  }

  main.append(
    h('nav', { class: 'crumbs', 'aria-label': tr('tasks.breadcrumb') }, h('a', { href: '/console/tasks' }, tr('tasks.tasks')), ' / ', t.ref),
    h('div', { class: 'page-head' },
      h('div', null, h('h1', null, `${t.ref}: ${t.title}`),
        h('p', { class: 'sub' }, t.order_ref ? [tr('tasks.order2'), h('a', { href: orderHref(t.order_ref) }, t.order_ref)] : tr('tasks.noOrder'), tr('tasks.dueSuffix', { time: fmtTime(t.due) })),
        h('div', { class: 'badges' }, taskStatusBadge(t), done && t.completed_at ? badge(tr('tasks.doneCompletedAt', { completed_at: fmtTime(t.completed_at) }), 'outline') : null)),
      manage ? h('div', { class: 'actions' },
        done ? h('button', { type: 'button', class: 'btn', onclick: (e) => setStatus(e.currentTarget, 'open') }, tr('tasks.reopen'))
          : h('button', { type: 'button', class: 'btn primary', onclick: (e) => setStatus(e.currentTarget, 'done') }, tr('tasks.markDone')),
        h('button', { type: 'button', class: 'btn danger', onclick: remove }, tr('tasks.delete'))) : null));

  /* details */
  const ref = field({ label: tr('tasks.reference'), name: 'ref', value: t.ref, readonly: true, hint: tr('tasks.theReferenceIsTheKey') });
  const title = field({ label: tr('tasks.title'), name: 'title', value: t.title, disabled: !manage, required: true });
  const order = field({ label: tr('tasks.orderReference'), name: 'order_ref', value: t.order_ref || '', disabled: !manage,
    hint: tr('tasks.leaveEmptyForNoOrder'), attrs: { autocomplete: 'off' } });
  const due = field({ label: tr('tasks.due'), name: 'due', type: 'datetime-local', value: toLocalInput(t.due), disabled: !manage, hint: tr('tasks.yourLocalTimeLeaveEmpty') });
  const form = h('form', { novalidate: true, 'aria-labelledby': 'task-h' },
    h('div', { class: 'grid-2' }, ref, title, order, due),
    manage ? h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn primary' }, tr('tasks.saveChanges'))) : null);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    const body = {};
    const ti = title.input.value.trim();
    if (ti !== t.title) body.title = ti;
    const o = order.input.value.trim();
    if (o !== (t.order_ref || '')) body.order_ref = o || null;
    const when = fromLocalInput(due.input.value);
    if (when === undefined) { showError(form, { field: 'due', detail: tr('tasks.enterADateAndTime') }); return; }
    if (due.input.value !== toLocalInput(t.due)) body.due = when;
    if (!Object.keys(body).length) { toast(tr('tasks.nothingChanged')); return; }
    await busy(e.submitter, async () => {
      try {
        await api(`/v1/tasks/${encodeURIComponent(t.id)}`, { method: 'PATCH', body });
        toast(tr('tasks.taskSaved'));
        await redraw();
      } catch (err) { showError(form, err); }
    });
  });
  main.append(h('section', { class: 'card', 'aria-labelledby': 'task-h' }, h('h2', { id: 'task-h' }, tr('tasks.task')), form));

  /* assignees */
  const assignees = t.assignees || [];
  const card = h('section', { class: 'card', 'aria-labelledby': 'asg-h' }, h('h2', { id: 'asg-h' }, tr('tasks.assignedPeople')),
    h('p', { class: 'muted' }, tr('tasks.theySeeTheTaskOn')));
  if (manage) {
    card.append(await personPicker({
      button: tr('tasks.assign'), label: tr('tasks.assignSomeoneToRef', { ref: t.ref }), exclude: new Set(assignees.map((a) => a.id)),
      onAdd: async (id, name) => {
        await api(`/v1/tasks/${encodeURIComponent(t.id)}/assignees/${encodeURIComponent(id)}`, { method: 'PUT' });
        toast(tr('tasks.nameAssignedToRef', { name, ref: t.ref }));
        await redraw();
      },
    }));
  }
  card.append(table({
    caption: tr('tasks.assignedPeople'), empty: tr('tasks.nobodyIsAssignedToThis'),
    columns: [{ label: tr('tasks.name') }, ...(manage ? [{ label: tr('tasks.actions') }] : [])],
    rows: assignees.map((a) => h('tr', null,
      h('td', null, personLink(a)),
      manage ? h('td', null, h('button', { type: 'button', class: 'btn small', 'aria-label': tr('tasks.unassignNameFromRef', { name: a.name, ref: t.ref }), onclick: async () => {
        const ok = await confirmDialog({ title: tr('tasks.unassignName', { name: a.name }),
          message: tr('tasks.refLeavesTheAgendaOf', { ref: t.ref, name: a.name }),
          confirmLabel: tr('tasks.unassign'), danger: true,
          action: () => api(`/v1/tasks/${encodeURIComponent(t.id)}/assignees/${encodeURIComponent(a.id)}`, { method: 'DELETE' }) });
        if (ok) { toast(tr('tasks.nameUnassignedFromRef', { name: a.name, ref: t.ref })); await redraw(); }
      } }, tr('tasks.unassign'))) : null)),
  }));
  main.append(card);

  /* through the order */
  const viaOrder = t.order_assignees || [];
  main.append(h('section', { class: 'card', 'aria-labelledby': 'via-h' },
    h('div', { class: 'card-head' }, h('h2', { id: 'via-h' }, tr('tasks.assignedThroughTheOrder')),
      t.order_ref ? h('div', { class: 'actions' }, h('a', { class: 'btn small', href: orderHref(t.order_ref) }, manage ? tr('tasks.manageOrderOrderRef', { order_ref: t.order_ref }) : tr('tasks.openOrderOrderRef', { order_ref: t.order_ref }))) : null),
    !t.order_ref ? h('p', { class: 'muted' }, tr('tasks.thisTaskBelongsToNo'))
      : viaOrder.length ? h('ul', { class: 'badges plain', 'aria-label': tr('tasks.peopleAssignedToOrderOrder', { order_ref: t.order_ref }) }, viaOrder.map((a) => h('li', null, badge(a.name, 'accent'))))
        : h('p', { class: 'muted' }, tr('tasks.nobodyIsAssignedToOrder', { order_ref: t.order_ref }))));
}

function personLink(u) {
  return can('users.view') || can('users.manage') ? h('a', { href: `/console/users/${encodeURIComponent(u.id)}` }, u.name) : u.name;
}

/* ---- an order's page ------------------------------------------------------------ */
export async function renderOrder(ctx) {
  const { main, query, navigate } = ctx;
  const manage = can('tasks.assign');
  const ref = (query.ref || '').trim();
  const crumbs = h('nav', { class: 'crumbs', 'aria-label': tr('tasks.breadcrumb') }, h('a', { href: '/console/tasks' }, tr('tasks.tasks')), ' / ', ref ? tr('tasks.orderRef', { ref }) : tr('tasks.orders'));
  if (!ref) {
    const f = field({ label: tr('tasks.orderReference'), name: 'order_ref', required: true, attrs: { autocomplete: 'off', placeholder: tr('tasks.eGSo1042') } });
    const form = h('form', { class: 'filters', novalidate: true, 'aria-label': tr('tasks.openAnOrder') }, f, h('button', { type: 'submit', class: 'btn primary' }, tr('tasks.openOrder')));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const v = f.input.value.trim();
      if (!v) { showError(form, { field: 'order_ref', detail: tr('tasks.enterAnOrderReference') }); return; }
      navigate(`/orders?ref=${encodeURIComponent(v)}`);
    });
    main.append(crumbs, h('div', { class: 'page-head' }, h('div', null, h('h1', null, tr('tasks.orders')),
      h('p', { class: 'sub' }, tr('tasks.ordersComeFromYourErp')))), form);
    return;
  }
  const o = await api('/v1/orders/assignees', { query: { order_ref: ref } });
  const redraw = async () => { clear(main); await renderOrder(ctx); };
  main.append(crumbs, h('div', { class: 'page-head' },
    h('div', null, h('h1', null, tr('tasks.orderOrderRef', { order_ref: o.order_ref })),
      h('p', { class: 'sub' }, tr(o.tasks_truncated ? 'tasks.orderSummaryMore' : 'tasks.orderSummary', { tasks: tr('tasks.tasksN', { count: o.tasks.length }), people: tr('tasks.peopleN', { count: o.assignees.length }) }))),
    manage ? h('div', { class: 'actions' }, h('button', { type: 'button', class: 'btn', onclick: () => newTask(redraw, { orderRef: o.order_ref }) }, tr('tasks.newTaskInThisOrder'))) : null));

  const card = h('section', { class: 'card', 'aria-labelledby': 'oa-h' }, h('h2', { id: 'oa-h' }, tr('tasks.peopleAssignedToTheOrder')),
    h('p', { class: 'muted' }, tr('tasks.theyWorkOnEveryTask')));
  if (manage) {
    card.append(await personPicker({
      button: tr('tasks.assignToOrder'), exclude: new Set(o.assignees.map((a) => a.id)),
      onAdd: async (id, name) => {
        await api('/v1/orders/assignees', { method: 'PUT', body: { order_ref: o.order_ref, user_id: id } });
        toast(tr('tasks.nameAssignedToOrderOrder', { name, order_ref: o.order_ref }));
        await redraw();
      },
    }));
  }
  card.append(table({
    caption: tr('tasks.peopleAssignedToTheOrder'), empty: tr('tasks.nobodyIsAssignedToThis2'),
    columns: [{ label: tr('tasks.name') }, ...(manage ? [{ label: tr('tasks.actions') }] : [])],
    rows: o.assignees.map((a) => h('tr', null,
      h('td', null, personLink(a)),
      manage ? h('td', null, h('button', { type: 'button', class: 'btn small', 'aria-label': tr('tasks.unassignNameFromOrderOrder', { name: a.name, order_ref: o.order_ref }), onclick: async () => {
        const ok = await confirmDialog({ title: tr('tasks.unassignNameFromOrderOrder2', { name: a.name, order_ref: o.order_ref }),
          message: tr('tasks.theOrderSTasksLeave', { name: a.name }),
          confirmLabel: tr('tasks.unassign'), danger: true,
          action: () => api('/v1/orders/assignees', { method: 'DELETE', query: { order_ref: o.order_ref, user_id: a.id } }) });
        if (ok) { toast(tr('tasks.nameUnassignedFromOrderOrder', { name: a.name, order_ref: o.order_ref })); await redraw(); }
      } }, tr('tasks.unassign'))) : null)),
  }));
  main.append(card);

  main.append(h('section', { class: 'card', 'aria-labelledby': 'ot-h' }, h('h2', { id: 'ot-h' }, tr('tasks.tasksOfTheOrder')),
    table({ caption: tr('tasks.tasksOfTheOrder'), columns: taskColumns(false), rows: o.tasks.map((t) => taskRow(t, { order: false })),
      empty: tr('tasks.noTaskHasThisOrder') }),
    o.tasks_truncated ? h('p', null, h('a', { href: `/console/tasks?status=all&order_ref=${encodeURIComponent(o.order_ref)}` }, tr('tasks.allTheTasksOfThis'))) : null));
}
