// Webhooks (it.operations, issue 19): endpoints that receive signed events
// about people, groups, roles, sessions and check-ins. A new endpoint's
// signing secret is shown once; each endpoint has a delivery log and a
// Send test event button.
import { api } from '/console/api.js';
import { h, clear, field, checkbox, showError, clearErrors, busy, openDialog, confirmDialog, toast, fmtTime, table, copyText, badge } from '/console/dom.js';
import { t as tr } from '/console/i18n.js';

export const WEBHOOK_EVENTS = [
  ['user.created', tr('webhooks.aPersonWasAdded')], ['user.updated', tr('webhooks.aPersonWasChanged')],
  ['user.locked', tr('webhooks.aPersonWasLocked')], ['user.unlocked', tr('webhooks.aPersonWasUnlocked')], ['user.deleted', tr('webhooks.aPersonWasDeleted')],
  ['user.role_changed', tr('webhooks.aPersonSRoleChanged')], ['user.access_changed', tr('webhooks.aPersonSAccessChanged')],
  ['group.created', tr('webhooks.aGroupWasCreated')], ['group.updated', tr('webhooks.aGroupWasChanged')], ['group.deleted', tr('webhooks.aGroupWasDeleted')],
  ['group.member_added', tr('webhooks.someoneJoinedAGroup')], ['group.member_removed', tr('webhooks.someoneLeftAGroup')],
  ['role.created', tr('webhooks.aRoleWasCreated')], ['role.updated', tr('webhooks.aRoleWasChanged')], ['role.deleted', tr('webhooks.aRoleWasDeleted')],
  ['session.revoked', tr('webhooks.sessionsWereEnded')], ['checkin.opened', tr('webhooks.aWorkerCheckedIn')], ['checkin.closed', tr('webhooks.aWorkerCheckedOut')],
];
const STATUS = { delivered: ['webhooks.status.delivered', 'ok'], deferred: ['webhooks.status.deferred', 'warn'], failed: ['webhooks.status.failed', 'danger'], queued: ['webhooks.status.queued', ''], sending: ['webhooks.status.sending', ''] };

function eventsLabel(events) {
  if (events.includes('*')) return tr('webhooks.allEvents');
  return events.map((e) => WEBHOOK_EVENTS.find(([k]) => k === e)?.[1] || e).join(', ');
}

async function showSecret(title, made) {
  const secret = h('code', { class: 'secret', 'data-testid': 'webhook-secret' }, made.secret);
  await openDialog({
    title,
    body: h('div', null, h('p', null, tr('webhooks.thisIsTheOnlyTime')), secret,
      h('div', { class: 'row mt' }, h('button', { type: 'button', class: 'btn small', onclick: () => copyText(secret.textContent, secret) }, tr('webhooks.copy')))),
    actions: [{ label: tr('common.done'), kind: 'primary' }],
  });
}

async function editDialog(hook, after) {
  const url = field({ label: tr('webhooks.endpointUrl'), name: 'url', required: true, value: hook?.url || '', attrs: { placeholder: 'https://erp.example.com/gatehouse', autocomplete: 'off', spellcheck: 'false' },
    hint: tr('webhooks.httpsOnly') });
  const desc = field({ label: tr('webhooks.description'), name: 'description', value: hook?.description || '', hint: tr('webhooks.whatReceivesTheseEventsE') });
  const all = checkbox({ label: tr('webhooks.allEvents'), name: 'events_all', value: '*', checked: !hook || hook.events.includes('*') });
  const boxes = WEBHOOK_EVENTS.map(([k, label]) => checkbox({ label, name: 'event', value: k, desc: k, checked: !!hook && hook.events.includes(k) }));
  const events = h('fieldset', { class: 'field', 'data-field': 'events' }, h('legend', null, tr('webhooks.eventsToSend')), all,
    h('details', { open: hook && !hook.events.includes('*') ? true : undefined }, h('summary', null, tr('webhooks.chooseEvents')), boxes), h('div', { class: 'error', hidden: true }));
  const enabled = checkbox({ label: tr('webhooks.enabled'), name: 'enabled', checked: hook ? hook.enabled : true });
  const form = h('form', { id: 'hook-form', novalidate: true }, url, desc, events, h('div', { class: 'field', 'data-field': 'enabled' }, enabled));
  let made = null;
  await openDialog({
    title: hook ? tr('webhooks.changeWebhook') : tr('webhooks.newWebhook'), body: form, wide: true,
    actions: [{ label: tr('common.cancel') }, { label: hook ? tr('common.save') : tr('webhooks.createWebhook'), kind: 'primary', submit: true, form: 'hook-form' }],
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
  if (made.secret) await showSecret(tr('webhooks.copyTheSigningSecretNow'), made);
  else toast(tr('webhooks.webhookSaved'));
  await after();
}

async function deliveriesDialog(hook) {
  const host = h('div');
  const load = async () => {
    const { items } = await api(`/v1/webhooks/${encodeURIComponent(hook.id)}/deliveries`, { query: { limit: 50 } });
    clear(host, table({
      caption: tr('webhooks.deliveriesToUrl', { url: hook.url }), empty: tr('webhooks.nothingWasSentYet'),
      columns: [{ label: tr('webhooks.when') }, { label: tr('webhooks.event') }, { label: tr('webhooks.status') }, { label: tr('webhooks.attempts') }, { label: tr('webhooks.lastReply') }],
      rows: items.map((d) => h('tr', { 'data-delivery': d.id },
        h('td', { class: 'small' }, fmtTime(d.created_at)),
        h('td', null, h('code', null, d.event)),
        h('td', null, (STATUS[d.status] ? badge(tr(STATUS[d.status][0]), STATUS[d.status][1]) : badge(d.status)), d.next_attempt_at ? h('span', { class: 'sub' }, tr('webhooks.nextNextAttemptAt', { next_attempt_at: fmtTime(d.next_attempt_at) })) : null),
        h('td', null, String(d.attempts)),
        h('td', { class: 'small wrap' }, d.response_status ? `HTTP ${d.response_status}` : '', d.last_error ? h('span', { class: 'sub' }, d.last_error) : null,
          d.response_excerpt ? h('span', { class: 'sub mono' }, d.response_excerpt) : null))),
    }));
  };
  await load();
  await openDialog({ title: tr('webhooks.deliveriesUrl', { url: hook.description || hook.url }), wide: true,
    body: h('div', null, h('div', { class: 'row' }, h('button', { type: 'button', class: 'btn small', onclick: (e) => busy(e.target, load) }, tr('webhooks.refresh'))), host),
    actions: [{ label: tr('webhooks.close'), kind: 'primary' }] });
}

/** The Webhooks section of the settings page. */
export async function webhooksSection(main) {
  const host = h('div');
  const section = h('section', { class: 'card', 'aria-labelledby': 'hooks-h' }, h('h2', { id: 'hooks-h' }, tr('webhooks.webhooks')),
    h('p', { class: 'muted' }, tr('webhooks.otherSystemsLearnAtOnce')),
    host, h('div', { class: 'form-actions' }, h('button', { type: 'button', class: 'btn primary', onclick: () => editDialog(null, load) }, tr('webhooks.newWebhook'))));
  main.append(section);
  async function load() {
    const { items } = await api('/v1/webhooks');
    clear(host, table({
      caption: tr('webhooks.webhooks'), empty: tr('webhooks.noWebhooksYet'),
      columns: [{ label: tr('webhooks.endpoint') }, { label: tr('webhooks.events') }, { label: tr('webhooks.status') }, { label: tr('webhooks.actions') }],
      rows: items.map((w) => h('tr', { 'data-webhook': w.id },
        h('td', null, w.description || '', h('span', { class: 'sub mono' }, w.url)),
        h('td', { class: 'small wrap' }, eventsLabel(w.events)),
        h('td', null, w.enabled ? badge(tr('webhooks.enabled'), 'ok') : badge(tr('webhooks.disabled'))),
        h('td', null, h('div', { class: 'row' },
          h('button', { type: 'button', class: 'btn small', 'aria-label': tr('webhooks.sendATestEventTo', { url: w.url }), onclick: (e) => busy(e.target, async () => {
            try { await api(`/v1/webhooks/${encodeURIComponent(w.id)}/test`, { method: 'POST' }); toast(tr('webhooks.testEventQueuedSeeIts')); } catch (err) { toast(err.detail, 'error'); }
          }) }, tr('webhooks.sendTestEvent')),
          h('button', { type: 'button', class: 'btn small', onclick: () => deliveriesDialog(w) }, tr('webhooks.deliveries')),
          h('button', { type: 'button', class: 'btn small', onclick: () => editDialog(w, load) }, tr('webhooks.edit')),
          h('button', { type: 'button', class: 'btn small', onclick: async () => {
            let r = null;
            const ok = await confirmDialog({ title: tr('webhooks.rotateTheSigningSecret'), message: tr('webhooks.theReceivingServiceMustBe'),
              confirmLabel: tr('webhooks.rotateSecret'), action: async () => { r = await api(`/v1/webhooks/${encodeURIComponent(w.id)}`, { method: 'PATCH', body: { rotate_secret: true } }); } });
            if (ok && r) { await showSecret(tr('webhooks.copyTheNewSigningSecret'), r); await load(); }
          } }, tr('webhooks.rotateSecret')),
          h('button', { type: 'button', class: 'btn small danger', 'aria-label': tr('webhooks.deleteWebhookUrl', { url: w.url }), onclick: async () => {
            const ok = await confirmDialog({ title: tr('webhooks.deleteThisWebhook'), message: tr('webhooks.nothingMoreIsSentTo', { url: w.url }), confirmLabel: tr('webhooks.deleteWebhook'), danger: true,
              action: () => api(`/v1/webhooks/${encodeURIComponent(w.id)}`, { method: 'DELETE' }) });
            if (ok) { toast(tr('webhooks.webhookDeleted')); await load(); }
          } }, tr('webhooks.delete')))))),
    }));
  }
  await load();
}
