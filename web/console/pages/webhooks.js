// Webhooks (it.operations, issue 19): endpoints that receive signed events
// about people, groups, roles, sessions and check-ins. A new endpoint's
// signing secret is shown once; each endpoint has a delivery log and a
// Send test event button.
import { api } from '/console/api.js';
import { h, clear, field, checkbox, showError, clearErrors, busy, openDialog, confirmDialog, toast, fmtTime, table, copyText, badge } from '/console/dom.js';

export const WEBHOOK_EVENTS = [
  ['user.created', 'A person was added'], ['user.updated', 'A person was changed'],
  ['user.locked', 'A person was locked'], ['user.unlocked', 'A person was unlocked'], ['user.deleted', 'A person was deleted'],
  ['user.role_changed', 'A person’s role changed'], ['user.access_changed', 'A person’s access changed (modules, permissions, office or factory access)'],
  ['group.created', 'A group was created'], ['group.updated', 'A group was changed'], ['group.deleted', 'A group was deleted'],
  ['group.member_added', 'Someone joined a group'], ['group.member_removed', 'Someone left a group'],
  ['role.created', 'A role was created'], ['role.updated', 'A role was changed'], ['role.deleted', 'A role was deleted'],
  ['session.revoked', 'Sessions were ended'], ['checkin.opened', 'A worker checked in'], ['checkin.closed', 'A worker checked out'],
];
const STATUS = { delivered: ['Delivered', 'ok'], deferred: ['Retrying', 'warn'], failed: ['Failed', 'danger'], queued: ['Waiting', ''], sending: ['Sending', ''] };

function eventsLabel(events) {
  if (events.includes('*')) return 'All events';
  return events.map((e) => WEBHOOK_EVENTS.find(([k]) => k === e)?.[1] || e).join(', ');
}

async function showSecret(title, made) {
  const secret = h('code', { class: 'secret', 'data-testid': 'webhook-secret' }, made.secret);
  await openDialog({
    title,
    body: h('div', null, h('p', null, 'This is the only time the signing secret is shown. The receiving service uses it to check the webhook-signature header of every request (see docs/webhooks.md).'), secret,
      h('div', { class: 'row mt' }, h('button', { type: 'button', class: 'btn small', onclick: () => copyText(secret.textContent, secret) }, 'Copy'))),
    actions: [{ label: 'Done', kind: 'primary' }],
  });
}

async function editDialog(hook, after) {
  const url = field({ label: 'Endpoint URL', name: 'url', required: true, value: hook?.url || '', attrs: { placeholder: 'https://erp.example.com/gatehouse', autocomplete: 'off', spellcheck: 'false' },
    hint: 'https only (plain http is allowed to this server’s own loopback address).' });
  const desc = field({ label: 'Description', name: 'description', value: hook?.description || '', hint: 'What receives these events, e.g. “ERP”.' });
  const all = checkbox({ label: 'All events', name: 'events_all', value: '*', checked: !hook || hook.events.includes('*') });
  const boxes = WEBHOOK_EVENTS.map(([k, label]) => checkbox({ label, name: 'event', value: k, desc: k, checked: !!hook && hook.events.includes(k) }));
  const events = h('fieldset', { class: 'field', 'data-field': 'events' }, h('legend', null, 'Events to send'), all,
    h('details', { open: hook && !hook.events.includes('*') ? true : undefined }, h('summary', null, 'Choose events'), boxes), h('div', { class: 'error', hidden: true }));
  const enabled = checkbox({ label: 'Enabled', name: 'enabled', checked: hook ? hook.enabled : true });
  const form = h('form', { id: 'hook-form', novalidate: true }, url, desc, events, h('div', { class: 'field', 'data-field': 'enabled' }, enabled));
  let made = null;
  await openDialog({
    title: hook ? 'Change webhook' : 'New webhook', body: form, wide: true,
    actions: [{ label: 'Cancel' }, { label: hook ? 'Save' : 'Create webhook', kind: 'primary', submit: true, form: 'hook-form' }],
    onOpen: (dlg) => {
      url.input.focus();
      form.addEventListener('submit', async (e) => {
        e.preventDefault();
        clearErrors(form);
        const chosen = all.input.checked ? ['*'] : boxes.filter((c) => c.input.checked).map((c) => c.input.value);
        const body = { url: url.input.value.trim(), description: desc.input.value.trim(), events: chosen, enabled: enabled.input.checked };
        await busy(dlg.querySelector('button[type=submit]'), async () => {
          try {
            made = await api(hook ? `/v1/webhooks/${encodeURIComponent(hook.id)}` : '/v1/webhooks', { method: hook ? 'PATCH' : 'POST', body });
            dlg.finish(true);
          } catch (err) { showError(form, err); }
        });
      });
    },
  });
  if (!made) return;
  if (made.secret) await showSecret('Copy the signing secret now', made);
  else toast('Webhook saved.');
  await after();
}

async function deliveriesDialog(hook) {
  const host = h('div');
  const load = async () => {
    const { items } = await api(`/v1/webhooks/${encodeURIComponent(hook.id)}/deliveries`, { query: { limit: 50 } });
    clear(host, table({
      caption: `Deliveries to ${hook.url}`, empty: 'Nothing was sent yet.',
      columns: [{ label: 'When' }, { label: 'Event' }, { label: 'Status' }, { label: 'Attempts' }, { label: 'Last reply' }],
      rows: items.map((d) => h('tr', { 'data-delivery': d.id },
        h('td', { class: 'small' }, fmtTime(d.created_at)),
        h('td', null, h('code', null, d.event)),
        h('td', null, badge(...(STATUS[d.status] || [d.status])), d.next_attempt_at ? h('span', { class: 'sub' }, `next ${fmtTime(d.next_attempt_at)}`) : null),
        h('td', null, String(d.attempts)),
        h('td', { class: 'small wrap' }, d.response_status ? `HTTP ${d.response_status}` : '', d.last_error ? h('span', { class: 'sub' }, d.last_error) : null,
          d.response_excerpt ? h('span', { class: 'sub mono' }, d.response_excerpt) : null))),
    }));
  };
  await load();
  await openDialog({ title: `Deliveries: ${hook.description || hook.url}`, wide: true,
    body: h('div', null, h('div', { class: 'row' }, h('button', { type: 'button', class: 'btn small', onclick: (e) => busy(e.target, load) }, 'Refresh')), host),
    actions: [{ label: 'Close', kind: 'primary' }] });
}

/** The Webhooks section of the settings page. */
export async function webhooksSection(main) {
  const host = h('div');
  const section = h('section', { class: 'card', 'aria-labelledby': 'hooks-h' }, h('h2', { id: 'hooks-h' }, 'Webhooks'),
    h('p', { class: 'muted' }, 'Other systems learn at once when people, groups, roles, sessions or check-ins change: gatehouse posts a signed event to each endpoint, and retries for 24 hours when it does not answer.'),
    host, h('div', { class: 'form-actions' }, h('button', { type: 'button', class: 'btn primary', onclick: () => editDialog(null, load) }, 'New webhook')));
  main.append(section);
  async function load() {
    const { items } = await api('/v1/webhooks');
    clear(host, table({
      caption: 'Webhooks', empty: 'No webhooks yet.',
      columns: [{ label: 'Endpoint' }, { label: 'Events' }, { label: 'Status' }, { label: 'Actions' }],
      rows: items.map((w) => h('tr', { 'data-webhook': w.id },
        h('td', null, w.description || '', h('span', { class: 'sub mono' }, w.url)),
        h('td', { class: 'small wrap' }, eventsLabel(w.events)),
        h('td', null, w.enabled ? badge('Enabled', 'ok') : badge('Disabled')),
        h('td', null, h('div', { class: 'row' },
          h('button', { type: 'button', class: 'btn small', 'aria-label': `Send a test event to ${w.url}`, onclick: (e) => busy(e.target, async () => {
            try { await api(`/v1/webhooks/${encodeURIComponent(w.id)}/test`, { method: 'POST' }); toast('Test event queued. See its delivery in Deliveries.'); } catch (err) { toast(err.detail, 'error'); }
          }) }, 'Send test event'),
          h('button', { type: 'button', class: 'btn small', onclick: () => deliveriesDialog(w) }, 'Deliveries'),
          h('button', { type: 'button', class: 'btn small', onclick: () => editDialog(w, load) }, 'Edit'),
          h('button', { type: 'button', class: 'btn small', onclick: async () => {
            let r = null;
            const ok = await confirmDialog({ title: 'Rotate the signing secret?', message: 'The receiving service must be given the new secret: requests signed with the old one stop at once.',
              confirmLabel: 'Rotate secret', action: async () => { r = await api(`/v1/webhooks/${encodeURIComponent(w.id)}`, { method: 'PATCH', body: { rotate_secret: true } }); } });
            if (ok && r) { await showSecret('Copy the new signing secret now', r); await load(); }
          } }, 'Rotate secret'),
          h('button', { type: 'button', class: 'btn small danger', 'aria-label': `Delete webhook ${w.url}`, onclick: async () => {
            const ok = await confirmDialog({ title: 'Delete this webhook?', message: `Nothing more is sent to ${w.url}.`, confirmLabel: 'Delete webhook', danger: true,
              action: () => api(`/v1/webhooks/${encodeURIComponent(w.id)}`, { method: 'DELETE' }) });
            if (ok) { toast('Webhook deleted.'); await load(); }
          } }, 'Delete'))))),
    }));
  }
  await load();
}
