// API keys (it.operations): integrations authenticate with them. A new key
// is shown once; only its prefix is kept for display. A key carries scopes
// (issue 11): what the service does (check permissions, record activity,
// manage tasks) and permissions its creator holds; the picker offers only
// those, the server refuses anything more (403 escalation).
import { api } from '/console/api.js';
import { h, clear, field, checkbox, showError, clearErrors, busy, openDialog, confirmDialog, toast, fmtTime, table, copyText, badge } from '/console/dom.js';
import { can, catalog, permName } from '/console/state.js';
import { t as tr } from '/console/i18n.js';

// The service scopes, in the order the picker shows them.
export const SERVICE_SCOPES = [
  { key: 'authz.check', get label() { return tr('apikeys.checkPermissions'); }, get desc() { return tr('apikeys.askWhetherAPersonMay'); } },
  { key: 'activity.write', get label() { return tr('apikeys.recordActivity'); }, get desc() { return tr('apikeys.recordFormSubmissionsOrderAnd'); } },
  { key: 'tasks.write', get label() { return tr('apikeys.manageTasksAndOrders'); }, get desc() { return tr('apikeys.tasksAssigneesOrdersAgendaScreens'); }, needs: 'tasks.assign' },
  { key: 'scim', get label() { return tr('apikeys.userProvisioningScim'); }, get desc() { return tr('apikeys.reservedForProvisioningItDoes'); } },
];

/** A scope's name for people. */
function scopeName(cat, key) {
  return SERVICE_SCOPES.find((x) => x.key === key)?.label || permName(cat, key);
}

export async function render(ctx) {
  const { main } = ctx;
  const host = h('div');
  main.append(h('div', { class: 'page-head' },
    h('div', null, h('h1', null, tr('apikeys.apiKeys')), h('p', { class: 'sub' }, tr('apikeys.servicesAndIntegrationsUseApi'))),
    h('div', { class: 'actions' }, h('button', { type: 'button', class: 'btn primary', onclick: () => create(load) }, tr('apikeys.newApiKey')))), host);
  async function load() {
    const { items } = await api('/v1/api-keys');
    const cat = await catalog();
    const now = Date.now();
    clear(host, table({
      caption: tr('apikeys.apiKeys'), empty: tr('apikeys.noApiKeysYet'),
      columns: [{ label: tr('apikeys.name') }, { label: tr('apikeys.key') }, { label: tr('apikeys.may') }, { label: tr('apikeys.created') }, { label: tr('apikeys.lastUsed') }, { label: tr('apikeys.expires') }, { label: tr('apikeys.actions') }],
      rows: items.map((k) => h('tr', null,
        h('td', null, k.name),
        h('td', null, h('code', null, `${k.prefix || k.key_prefix || ''}…`)),
        h('td', { class: 'small' }, (k.scopes || []).map((sc) => scopeName(cat, sc)).join(', ')),
        h('td', { class: 'small' }, fmtTime(k.created_at), k.created_by_name ? h('span', { class: 'sub' }, tr('apikeys.byCreatedByName', { created_by_name: k.created_by_name })) : null),
        h('td', { class: 'small' }, k.last_used_at ? fmtTime(k.last_used_at) : tr('apikeys.never')),
        h('td', { class: 'small' }, k.expires_at ? (Date.parse(k.expires_at) < now ? badge(tr('apikeys.expired'), 'warn') : fmtTime(k.expires_at)) : tr('apikeys.never')),
        h('td', null, h('button', { type: 'button', class: 'btn small danger', 'aria-label': tr('apikeys.deleteApiKeyName', { name: k.name }), onclick: async () => {
          const ok = await confirmDialog({ title: tr('apikeys.deleteTheApiKeyName', { name: k.name }), message: tr('apikeys.anythingStillUsingItStops'),
            confirmLabel: tr('apikeys.deleteKey'), danger: true, action: () => api(`/v1/api-keys/${encodeURIComponent(k.id)}`, { method: 'DELETE' }) });
          if (ok) { toast(tr('apikeys.apiKeyNameDeleted', { name: k.name })); await load(); }
        } }, tr('apikeys.delete'))))),
    }));
  }
  await load();
}

async function create(after) {
  const name = field({ label: tr('apikeys.name'), name: 'name', required: true, hint: tr('apikeys.whatUsesThisKeyE') });
  const exp = field({ label: tr('apikeys.expires'), name: 'expires_at', type: 'date', hint: tr('apikeys.leaveEmptyForAKey') });
  const cat = await catalog();
  // Service scopes; tasks.write only for those who may assign (the server
  // checks the same).
  const services = SERVICE_SCOPES.filter((x) => !x.needs || can(x.needs)).map((x) =>
    checkbox({ label: x.label, name: 'scope', value: x.key, desc: x.desc, checked: x.key === 'authz.check' }));
  // Permission scopes: what the creator holds.
  const perms = cat.permissions.filter((p) => can(p.key)).map((p) =>
    checkbox({ label: p.name, name: 'scope', value: p.key, desc: p.key }));
  const scopes = h('fieldset', { class: 'field', 'data-field': 'scopes' },
    h('legend', null, tr('apikeys.whatTheKeyMayDo')),
    services,
    perms.length ? h('details', null, h('summary', null, tr('apikeys.permissionsAsAPersonHolding')), perms) : null,
    h('div', { class: 'error', hidden: true }));
  const form = h('form', { id: 'key-form', novalidate: true }, name, scopes, exp);
  let made = null;
  await openDialog({
    title: tr('apikeys.newApiKey'), body: form,
    actions: [{ label: tr('common.cancel') }, { label: tr('apikeys.createKey'), kind: 'primary', submit: true, form: 'key-form' }],
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
    title: tr('apikeys.copyTheNewKeyNow'),
    body: h('div', null, h('p', null, tr('apikeys.thisIsTheOnlyTime', { name: made.name })), secret,
      h('div', { class: 'row mt' }, h('button', { type: 'button', class: 'btn small', onclick: () => copyText(secret.textContent, secret) }, tr('apikeys.copy')))),
    actions: [{ label: tr('common.done'), kind: 'primary' }],
  });
  await after();
}
