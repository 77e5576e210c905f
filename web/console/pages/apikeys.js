// API keys (it.operations): integrations authenticate with them. A new key
// is shown once; only its prefix is kept for display. A key carries scopes
// (issue 11): what the service does (check permissions, record activity,
// manage tasks) and permissions its creator holds; the picker offers only
// those, the server refuses anything more (403 escalation).
import { api } from '/console/api.js';
import { h, clear, field, checkbox, showError, clearErrors, busy, openDialog, confirmDialog, toast, fmtTime, table, copyText, badge } from '/console/dom.js';
import { can, catalog, permName } from '/console/state.js';

// The service scopes, in the order the picker shows them.
export const SERVICE_SCOPES = [
  { key: 'authz.check', label: 'Check permissions', desc: 'Ask whether a person may do something (POST /v1/check); read the catalog, roles and groups.' },
  { key: 'activity.write', label: 'Record activity', desc: 'Record form submissions, order and asset events, and read them back.' },
  { key: 'tasks.write', label: 'Manage tasks and orders', desc: 'Tasks, assignees, orders, agenda screens and time records; needs “Assign users”.', needs: 'tasks.assign' },
  { key: 'scim', label: 'User provisioning (SCIM)', desc: 'Reserved for provisioning; it does nothing yet.' },
];

/** A scope's name for people. */
function scopeName(cat, key) {
  return SERVICE_SCOPES.find((x) => x.key === key)?.label || permName(cat, key);
}

export async function render(ctx) {
  const { main } = ctx;
  const host = h('div');
  main.append(h('div', { class: 'page-head' },
    h('div', null, h('h1', null, 'API keys'), h('p', { class: 'sub' }, 'Services and integrations use API keys to call gatehouse, e.g. to check permissions or record activity.')),
    h('div', { class: 'actions' }, h('button', { type: 'button', class: 'btn primary', onclick: () => create(load) }, 'New API key'))), host);
  async function load() {
    const { items } = await api('/v1/api-keys');
    const cat = await catalog();
    const now = Date.now();
    clear(host, table({
      caption: 'API keys', empty: 'No API keys yet.',
      columns: [{ label: 'Name' }, { label: 'Key' }, { label: 'May' }, { label: 'Created' }, { label: 'Last used' }, { label: 'Expires' }, { label: 'Actions' }],
      rows: items.map((k) => h('tr', null,
        h('td', null, k.name),
        h('td', null, h('code', null, `${k.prefix || k.key_prefix || ''}…`)),
        h('td', { class: 'small' }, (k.scopes || []).map((sc) => scopeName(cat, sc)).join(', ')),
        h('td', { class: 'small' }, fmtTime(k.created_at), k.created_by_name ? h('span', { class: 'sub' }, `by ${k.created_by_name}`) : null),
        h('td', { class: 'small' }, k.last_used_at ? fmtTime(k.last_used_at) : 'Never'),
        h('td', { class: 'small' }, k.expires_at ? (Date.parse(k.expires_at) < now ? badge('Expired', 'warn') : fmtTime(k.expires_at)) : 'Never'),
        h('td', null, h('button', { type: 'button', class: 'btn small danger', 'aria-label': `Delete API key ${k.name}`, onclick: async () => {
          const ok = await confirmDialog({ title: `Delete the API key ${k.name}?`, message: 'Anything still using it stops working at once.',
            confirmLabel: 'Delete key', danger: true, action: () => api(`/v1/api-keys/${encodeURIComponent(k.id)}`, { method: 'DELETE' }) });
          if (ok) { toast(`API key ${k.name} deleted.`); await load(); }
        } }, 'Delete')))),
    }));
  }
  await load();
}

async function create(after) {
  const name = field({ label: 'Name', name: 'name', required: true, hint: 'What uses this key, e.g. “ERP sync”.' });
  const exp = field({ label: 'Expires', name: 'expires_at', type: 'date', hint: 'Leave empty for a key that does not expire.' });
  const cat = await catalog();
  // Service scopes; tasks.write only for those who may assign (the server
  // checks the same).
  const services = SERVICE_SCOPES.filter((x) => !x.needs || can(x.needs)).map((x) =>
    checkbox({ label: x.label, name: 'scope', value: x.key, desc: x.desc, checked: x.key === 'authz.check' }));
  // Permission scopes: what the creator holds.
  const perms = cat.permissions.filter((p) => can(p.key)).map((p) =>
    checkbox({ label: p.name, name: 'scope', value: p.key, desc: p.key }));
  const scopes = h('fieldset', { class: 'field', 'data-field': 'scopes' },
    h('legend', null, 'What the key may do'),
    services,
    perms.length ? h('details', null, h('summary', null, 'Permissions (as a person holding them)'), perms) : null,
    h('div', { class: 'error', hidden: true }));
  const form = h('form', { id: 'key-form', novalidate: true }, name, scopes, exp);
  let made = null;
  await openDialog({
    title: 'New API key', body: form,
    actions: [{ label: 'Cancel' }, { label: 'Create key', kind: 'primary', submit: true, form: 'key-form' }],
    onOpen: (dlg) => {
      name.input.focus();
      form.addEventListener('submit', async (e) => {
        e.preventDefault();
        clearErrors(form);
        const body = { name: name.input.value.trim(),
          scopes: [...services, ...perms].filter((c) => c.input.checked).map((c) => c.input.value) };
        if (exp.input.value) body.expires_at = `${exp.input.value}T23:59:59Z`;
        await busy(dlg.querySelector('button[type=submit]'), async () => {
          try { made = await api('/v1/api-keys', { method: 'POST', body }); dlg.finish(true); } catch (err) { showError(form, err); }
        });
      });
    },
  });
  if (!made) return;
  const secret = h('code', { class: 'secret', 'data-testid': 'api-key' }, made.key || made.token || made.secret);
  await openDialog({
    title: 'Copy the new key now',
    body: h('div', null, h('p', null, `This is the only time the key “${made.name}” is shown. Store it in your integration’s secret store.`), secret,
      h('div', { class: 'row mt' }, h('button', { type: 'button', class: 'btn small', onclick: () => copyText(secret.textContent, secret) }, 'Copy'))),
    actions: [{ label: 'Done', kind: 'primary' }],
  });
  await after();
}
