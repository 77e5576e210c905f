// Kiosk devices (it.operations): enrol the plant's own tablets so that, with
// "kiosk sign-in only from enrolled devices" on, short PINs cannot be tried
// from anywhere else. An enrolment link is shown once; opening it on the
// tablet stores the device credential in that browser.
import { api } from '/console/api.js';
import { h, clear, field, showError, clearErrors, busy, openDialog, confirmDialog, toast, fmtTime, table, copyText, badge } from '/console/dom.js';
import { org } from '/console/state.js';

export async function render({ main }) {
  const o = await org(true);
  const host = h('div');
  main.append(h('div', { class: 'page-head' },
    h('div', null, h('h1', null, 'Kiosk devices'),
      h('p', { class: 'sub' }, 'Tablets and PCs on the shop floor that workers sign in on. '),
      h('p', { class: 'small' }, 'Sign-in only from enrolled devices: ',
        o.settings.kiosk_enrolled_devices_only ? badge('On', 'ok') : badge('Off'), ' ', h('a', { href: '/console/settings' }, 'Change in settings'))),
    h('div', { class: 'actions' }, h('button', { type: 'button', class: 'btn primary', onclick: () => enrol(o, load) }, 'Enrol a device'))), host);
  async function load() {
    const { items } = await api('/v1/kiosk-devices');
    clear(host, table({
      caption: 'Kiosk devices', empty: 'No device is enrolled.',
      columns: [{ label: 'Name' }, { label: 'Enrolled' }, { label: 'Last sign-in' }, { label: '' }],
      rows: items.map((d) => h('tr', null,
        h('td', null, d.name),
        h('td', { class: 'small' }, fmtTime(d.created_at)),
        h('td', { class: 'small' }, d.last_used_at ? fmtTime(d.last_used_at) : 'Never'),
        h('td', null, h('button', { type: 'button', class: 'btn small danger', 'aria-label': `Revoke ${d.name}`, onclick: async () => {
          const ok = await confirmDialog({ title: `Revoke ${d.name}?`, message: 'Workers can no longer sign in on it while sign-in is limited to enrolled devices.',
            confirmLabel: 'Revoke device', danger: true, action: () => api(`/v1/kiosk-devices/${encodeURIComponent(d.id)}`, { method: 'DELETE' }) });
          if (ok) { toast(`${d.name} revoked.`); await load(); }
        } }, 'Revoke')))),
    }));
  }
  await load();
}

async function enrol(o, after) {
  const name = field({ label: 'Device name', name: 'name', required: true, hint: 'Where it is, e.g. “Line 2 tablet”.' });
  const form = h('form', { id: 'dev-form', novalidate: true }, name);
  let made = null;
  await openDialog({
    title: 'Enrol a kiosk device', body: form,
    actions: [{ label: 'Cancel' }, { label: 'Enrol', kind: 'primary', submit: true, form: 'dev-form' }],
    onOpen: (dlg) => {
      name.input.focus();
      form.addEventListener('submit', async (e) => {
        e.preventDefault();
        clearErrors(form);
        await busy(dlg.querySelector('button[type=submit]'), async () => {
          try { made = await api('/v1/kiosk-devices', { method: 'POST', body: { name: name.input.value.trim() } }); dlg.finish(true); } catch (err) { showError(form, err); }
        });
      });
    },
  });
  if (!made) return;
  const link = `${location.origin}/kiosk/${encodeURIComponent(o.slug)}/#device=${made.token}`;
  const el = h('code', { class: 'secret' }, link);
  await openDialog({
    title: `Enrol ${made.name}`,
    body: h('div', null, h('p', null, 'Open this link once on the device. The kiosk keeps the credential in that browser; the link is shown only now.'), el,
      h('div', { class: 'row mt' }, h('button', { type: 'button', class: 'btn small', onclick: () => copyText(link, el) }, 'Copy link'))),
    actions: [{ label: 'Done', kind: 'primary' }],
  });
  await after();
}
