// API keys (it.operations): integrations authenticate with them. A new key
// is shown once; only its prefix is kept for display.
import { api } from '/console/api.js';
import { h, clear, field, showError, clearErrors, busy, openDialog, confirmDialog, toast, fmtTime, table, copyText, badge } from '/console/dom.js';

export async function render(ctx) {
  const { main } = ctx;
  const host = h('div');
  main.append(h('div', { class: 'page-head' },
    h('div', null, h('h1', null, 'API keys'), h('p', { class: 'sub' }, 'Services and integrations use API keys to call gatehouse, e.g. to check permissions or record activity.')),
    h('div', { class: 'actions' }, h('button', { type: 'button', class: 'btn primary', onclick: () => create(load) }, 'New API key'))), host);
  async function load() {
    const { items } = await api('/v1/api-keys');
    const now = Date.now();
    clear(host, table({
      caption: 'API keys', empty: 'No API keys yet.',
      columns: [{ label: 'Name' }, { label: 'Key' }, { label: 'Created' }, { label: 'Last used' }, { label: 'Expires' }, { label: 'Actions' }],
      rows: items.map((k) => h('tr', null,
        h('td', null, k.name),
        h('td', null, h('code', null, `${k.prefix || k.key_prefix || ''}…`)),
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
  const form = h('form', { id: 'key-form', novalidate: true }, name, exp);
  let made = null;
  await openDialog({
    title: 'New API key', body: form,
    actions: [{ label: 'Cancel' }, { label: 'Create key', kind: 'primary', submit: true, form: 'key-form' }],
    onOpen: (dlg) => {
      name.input.focus();
      form.addEventListener('submit', async (e) => {
        e.preventDefault();
        clearErrors(form);
        const body = { name: name.input.value.trim() };
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
