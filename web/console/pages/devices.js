// Kiosk devices (it.operations): enrol the plant's own tablets so that, with
// "kiosk sign-in only from enrolled devices" on, short PINs cannot be tried
// from anywhere else. An enrolment link is shown once; opening it on the
// tablet stores the device credential in that browser.
import { api } from '/console/api.js';
import { h, clear, field, showError, clearErrors, busy, openDialog, confirmDialog, toast, fmtTime, table, copyText, badge } from '/console/dom.js';
import { org } from '/console/state.js';
import { t, LANGUAGES, errorText } from '/console/i18n.js';

const languageOptions = () => [{ value: '', label: t('devices.languageBrowser') }, ...LANGUAGES.map((l) => ({ value: l.code, label: l.name }))];

export async function render({ main }) {
  const o = await org(true);
  const host = h('div');
  main.append(h('div', { class: 'page-head' },
    h('div', null, h('h1', null, t('devices.title')),
      h('p', { class: 'sub' }, t('devices.sub')),
      h('p', { class: 'small' }, t('devices.enrolledOnly'), ' ',
        o.settings.kiosk_enrolled_devices_only ? badge(t('common.on'), 'ok') : badge(t('common.off')), ' ', h('a', { href: '/console/settings' }, t('devices.changeInSettings')))),
    h('div', { class: 'actions' }, h('button', { type: 'button', class: 'btn primary', onclick: () => enrol(o, load) }, t('devices.enrol')))), host);
  async function load() {
    const { items } = await api('/v1/kiosk-devices');
    clear(host, table({
      caption: t('devices.title'), empty: t('devices.none'),
      columns: [{ label: t('devices.name') }, { label: t('devices.language') }, { label: t('devices.enrolled') }, { label: t('devices.lastSignIn') }, { label: '' }],
      rows: items.map((d) => h('tr', null,
        h('td', null, d.name),
        h('td', null, languageSelect(d)),
        h('td', { class: 'small' }, fmtTime(d.created_at)),
        h('td', { class: 'small' }, d.last_used_at ? fmtTime(d.last_used_at) : t('devices.never')),
        h('td', null, h('button', { type: 'button', class: 'btn small danger', 'aria-label': t('devices.revokeNamed', { name: d.name }), onclick: async () => {
          const ok = await confirmDialog({ title: t('devices.revokeQ', { name: d.name }), message: t('devices.revokeText'),
            confirmLabel: t('devices.revokeDevice'), danger: true, action: () => api(`/v1/kiosk-devices/${encodeURIComponent(d.id)}`, { method: 'DELETE' }) });
          if (ok) { toast(t('devices.revoked', { name: d.name })); await load(); }
        } }, t('devices.revoke'))))),
    }));
  }
  await load();
}

/* The device's language: the kiosk's until a worker with their own signs in. */
function languageSelect(d) {
  const sel = h('select', { 'aria-label': t('devices.languageOf', { name: d.name }) },
    languageOptions().map((o) => h('option', { value: o.value, selected: o.value === (d.language || '') }, o.label)));
  sel.addEventListener('change', async () => {
    sel.disabled = true;
    try {
      await api(`/v1/kiosk-devices/${encodeURIComponent(d.id)}`, { method: 'PATCH', body: { language: sel.value || null } });
      d.language = sel.value || null;
      toast(t('devices.languageSaved', { name: d.name }));
    } catch (err) {
      sel.value = d.language || '';
      toast(errorText(err), 'error');
    } finally { sel.disabled = false; }
  });
  return sel;
}

async function enrol(o, after) {
  const name = field({ label: t('devices.deviceName'), name: 'name', required: true, hint: t('devices.deviceNameHint') });
  const lang = field({ label: t('devices.language'), name: 'language', type: 'select', value: '', hint: t('devices.languageHint'), options: languageOptions() });
  const form = h('form', { id: 'dev-form', novalidate: true }, name, lang);
  let made = null;
  await openDialog({
    title: t('devices.enrolTitle'), body: form,
    actions: [{ label: t('common.cancel') }, { label: t('devices.enrolButton'), kind: 'primary', submit: true, form: 'dev-form' }],
    onOpen: (dlg) => {
      name.input.focus();
      form.addEventListener('submit', async (e) => {
        e.preventDefault();
        clearErrors(form);
        await busy(dlg.querySelector('button[type=submit]'), async () => {
          try { made = await api('/v1/kiosk-devices', { method: 'POST', body: { name: name.input.value.trim(), language: lang.input.value || null } }); dlg.finish(true); } catch (err) { showError(form, err); }
        });
      });
    },
  });
  if (!made) return;
  const link = `${location.origin}/kiosk/${encodeURIComponent(o.slug)}/#device=${made.token}${made.language ? `&lang=${made.language}` : ''}`;
  const el = h('code', { class: 'secret' }, link);
  await openDialog({
    title: t('devices.enrolNamed', { name: made.name }),
    body: h('div', null, h('p', null, t('devices.linkText')), el,
      h('div', { class: 'row mt' }, h('button', { type: 'button', class: 'btn small', onclick: () => copyText(link, el) }, t('devices.copyLink')))),
    actions: [{ label: t('common.done'), kind: 'primary' }],
  });
  await after();
}
