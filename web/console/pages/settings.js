// Organization settings: general settings (settings.manage), session and
// kiosk security (it.operations), and the subscription (modules, add-ons,
// seats), which is read-only here: it is set by the operator's CLI.
import { api } from '/console/api.js';
import { h, field, checkbox, showError, clearErrors, busy, toast, badge, table } from '/console/dom.js';
import { can, catalog, org } from '/console/state.js';
import { seatStats } from '/console/pages/users.js';
import { ssoSection } from '/console/pages/sso.js';
import { webhooksSection } from '/console/pages/webhooks.js';
import { t as tr } from '/console/i18n.js';

/* Settings edited in a friendlier unit than the API's seconds. */
function numberField(label, name, value, unit, scale, min, max, hint) {
  const f = field({ label: `${label} (${unit})`, name, type: 'number', value: String(Math.round((value / scale) * 100) / 100),
    hint, attrs: { min: String(min / scale), max: String(max / scale), step: 'any', inputmode: 'decimal' } });
  f.read = () => Math.round(Number(f.input.value) * scale);
  f.original = value;
  // The server names the limits in its own unit (seconds); people typed days, hours or minutes.
  const n = (v) => String(Math.round(v * 1000) / 1000);
  f.rangeText = tr('settings.range', { min: n(min / scale), max: n(max / scale), unit: tr(`settings.unit.${unit}`) });
  return f;
}

function sectionForm(fields, onSave) {
  const form = h('form', { novalidate: true }, fields, h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn primary' }, tr('common.save'))));
  const numbers = fields.flatMap((f) => [f, ...f.querySelectorAll('.field')]).filter((f) => f.rangeText);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    await busy(e.submitter, async () => {
      try { await onSave(); } catch (err) {
        const nf = err.code === 'out_of_range' && numbers.find((f) => f.dataset.field === err.field);
        showError(form, nf ? { field: err.field, detail: nf.rangeText } : err);
      }
    });
  });
  return form;
}

export async function render({ main }) {
  const [o, cat] = await Promise.all([org(true), catalog()]);
  const s = o.settings;
  main.append(h('div', { class: 'page-head' }, h('div', null, h('h1', null, tr('settings.organizationSettings')),
    h('p', { class: 'sub' }, tr('settings.nameShortName', { name: o.name }), h('code', null, o.slug)))));
  // Mail (issue 15): configured by the operator (--smtp-url); never shows the password.
  main.append(h('section', { class: 'card', 'aria-labelledby': 'mail-h' }, h('h2', { id: 'mail-h' }, tr('settings.mail')),
    h('p', { 'data-mail': o.mail_configured ? 'configured' : 'not-configured' }, o.mail_configured
      ? tr('settings.mailIsConfiguredInvitationsConfirmation')
      : tr('settings.mailIsNotConfiguredOn'))));

  const save = async (body, what) => {
    const fresh = await api('/v1/org', { method: 'PATCH', body });
    Object.assign(o, fresh);
    toast(tr('settings.whatSaved', { what }));
  };

  if (can('settings.manage')) {
    const name = field({ label: tr('settings.organizationName'), name: 'name', value: o.name, required: true });
    const single = checkbox({ label: tr('settings.singleTaskCheckInLimit'), name: 'single_task_checkin', checked: s.single_task_checkin,
      desc: tr('settings.aWorkerCheckedIntoOne') });
    const ttl = numberField(tr('settings.invitationLinksExpireAfter'), 'invite_ttl_s', s.invite_ttl_s, 'days', 86400, 3600, 90 * 86400, tr('settings.from1Hour005'));
    const erase = checkbox({ label: tr('settings.eraseTheNamesOfDeleted'), name: 'erase_deleted_names', checked: !!s.erase_deleted_names,
      desc: tr('settings.timeRecordsAndActivityAlways') });
    const form = sectionForm([name, h('div', { class: 'field', 'data-field': 'single_task_checkin' }, single), ttl,
      h('div', { class: 'field', 'data-field': 'erase_deleted_names' }, erase)], () => {
      const body = {};
      if (name.input.value.trim() !== o.name) body.name = name.input.value.trim();
      if (single.input.checked !== o.settings.single_task_checkin) body.single_task_checkin = single.input.checked;
      if (ttl.read() !== o.settings.invite_ttl_s) body.invite_ttl_s = ttl.read();
      if (erase.input.checked !== !!o.settings.erase_deleted_names) body.erase_deleted_names = erase.input.checked;
      if (!Object.keys(body).length) { toast(tr('settings.nothingChanged')); return null; }
      return save(body, tr('settings.settings'));
    });
    main.append(h('section', { class: 'card', 'aria-labelledby': 'gen-h' }, h('h2', { id: 'gen-h' }, tr('settings.general')), form));
  }

  if (can('it.operations')) {
    const idle = numberField(tr('settings.signOutOfficeUsersAfter'), 'session_idle_timeout_s', s.session_idle_timeout_s, 'minutes', 60, 60, 30 * 86400);
    const max = numberField(tr('settings.officeSessionsLastAtMost'), 'session_max_lifetime_s', s.session_max_lifetime_s, 'hours', 3600, 300, 90 * 86400);
    const pinMin = field({ label: tr('settings.minimumKioskPinLengthDigits'), name: 'kiosk_pin_min_length', type: 'number', value: String(s.kiosk_pin_min_length),
      attrs: { min: '6', max: '12', step: '1', inputmode: 'numeric' }, hint: tr('settings.from6To12') });
    pinMin.rangeText = tr('settings.range', { min: 6, max: 12, unit: tr('settings.unit.digits') });
    const kIdle = numberField(tr('settings.kioskSignsAWorkerOut'), 'kiosk_idle_timeout_s', s.kiosk_idle_timeout_s, 'seconds', 1, 15, 3600, tr('settings.from15To3600Seconds'));
    const kMax = numberField(tr('settings.kioskSessionsLastAtMost'), 'kiosk_session_max_s', s.kiosk_session_max_s, 'hours', 3600, 300, 86400);
    const enrolled = checkbox({ label: tr('settings.kioskSignInOnlyFrom'), name: 'kiosk_enrolled_devices_only', checked: s.kiosk_enrolled_devices_only,
      desc: tr('settings.pinsAreShortWithThis') });
    const form = sectionForm([h('div', { class: 'grid-2' }, h('div', null, idle, max), h('div', null, pinMin, kIdle, kMax)),
      h('div', { class: 'field', 'data-field': 'kiosk_enrolled_devices_only' }, enrolled)], () => {
      const cur = o.settings, body = {};
      if (idle.read() !== cur.session_idle_timeout_s) body.session_idle_timeout_s = idle.read();
      if (max.read() !== cur.session_max_lifetime_s) body.session_max_lifetime_s = max.read();
      if (Number(pinMin.input.value) !== cur.kiosk_pin_min_length) body.kiosk_pin_min_length = Number(pinMin.input.value);
      if (kIdle.read() !== cur.kiosk_idle_timeout_s) body.kiosk_idle_timeout_s = kIdle.read();
      if (kMax.read() !== cur.kiosk_session_max_s) body.kiosk_session_max_s = kMax.read();
      if (enrolled.input.checked !== cur.kiosk_enrolled_devices_only) body.kiosk_enrolled_devices_only = enrolled.input.checked;
      if (!Object.keys(body).length) { toast(tr('settings.nothingChanged')); return null; }
      return save(body, tr('settings.securitySettings'));
    });
    main.append(h('section', { class: 'card', 'aria-labelledby': 'sec-h' }, h('h2', { id: 'sec-h' }, tr('settings.sessionsAndKioskSecurity')), form));

    // Display (device) accounts: wall screens are never touched, so their sessions have their own policy.
    if (s.device_session_max_days !== undefined) {
      const dIdle = numberField(tr('settings.signADisplayScreenOut'), 'device_idle_timeout_s', s.device_idle_timeout_s, 'minutes', 60, 0, 30 * 86400,
        tr('settings.deviceIdleHint'));
      dIdle.rangeText = tr('settings.deviceIdleRange');
      const dDays = numberField(tr('settings.displayScreenSessionsLastAt'), 'device_session_max_days', s.device_session_max_days, 'days', 1, 1, 365, tr('settings.from1To365Days'));
      const dForm = sectionForm([h('div', { class: 'grid-2' }, dIdle, dDays)], () => {
        const cur = o.settings, body = {};
        if (dIdle.read() !== cur.device_idle_timeout_s) body.device_idle_timeout_s = dIdle.read();
        if (dDays.read() !== cur.device_session_max_days) body.device_session_max_days = dDays.read();
        if (!Object.keys(body).length) { toast(tr('settings.nothingChanged')); return null; }
        return save(body, tr('settings.displayScreenSessions'));
      });
      main.append(h('section', { class: 'card', 'aria-labelledby': 'dev-h' }, h('h2', { id: 'dev-h' }, tr('settings.displayScreens')),
        h('p', { class: 'muted small' }, tr('settings.sharedDisplayAccountsRolesMarked')),
        dForm));
    }

    // IP allowlist (IT Operations > IP addresses): one network per line.
    const nets = field({ label: tr('settings.allowedNetworks'), name: 'ip_allowlist', type: 'textarea', value: (s.ip_allowlist || []).join('\n'),
      attrs: { rows: '4', spellcheck: 'false', autocomplete: 'off' },
      hint: tr('settings.oneAddressOrNetworkPer') });
    const netForm = h('form', { novalidate: true }, nets,
      h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn primary' }, tr('common.save'))));
    netForm.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearErrors(netForm);
      const list = nets.input.value.split('\n').map((x) => x.trim()).filter(Boolean);
      await busy(e.submitter, async () => {
        try {
          await save({ ip_allowlist: list }, tr('settings.networkAccess'));
          nets.input.value = (o.settings.ip_allowlist || []).join('\n');
        } catch (err) {
          // Errors name the entry (ip_allowlist[2]); show them on the box.
          showError(netForm, err.field?.startsWith('ip_allowlist') ? { field: 'ip_allowlist', detail: err.detail } : err);
        }
      });
    });
    main.append(h('section', { class: 'card', 'aria-labelledby': 'net-h' }, h('h2', { id: 'net-h' }, tr('settings.networkAccess')), netForm));

    // Second factors (issue 20): who must use an authenticator app; whether the IdP's MFA counts.
    const mp = await api('/v1/org/mfa');
    const policy = field({ label: tr('settings.secondFactorAtSignIn'), name: 'policy', type: 'select', value: mp.policy, options: [
      { value: 'optional', label: tr('settings.optionalEachPersonDecides') },
      { value: 'privileged', label: tr('settings.requiredForPeopleWhoManage') },
      { value: 'all', label: tr('settings.requiredForEveryoneWhoSigns') }],
      hint: tr('settings.peopleWhoMustAndHave') });
    const ssoCounts = checkbox({ label: tr('settings.companySignInCountsAs'),
      name: 'sso_counts_as_mfa', checked: mp.sso_counts_as_mfa, desc: tr('settings.theIdTokenSAmr') });
    const acr = field({ label: tr('settings.acrValueThatMeansMfa'), name: 'sso_acr', value: mp.sso_acr || '', attrs: { autocomplete: 'off', spellcheck: 'false' } });
    const mfaForm = sectionForm([policy, h('div', { class: 'field', 'data-field': 'sso_counts_as_mfa' }, ssoCounts), acr], async () => {
      await api('/v1/org/mfa', { method: 'PUT', body: { policy: policy.input.value,
        sso_counts_as_mfa: ssoCounts.input.checked, sso_acr: acr.input.value.trim() } });
      toast(tr('settings.secondFactorPolicySaved'));
    });
    main.append(h('section', { class: 'card', 'aria-labelledby': 'mfa-h' }, h('h2', { id: 'mfa-h' }, tr('settings.secondFactor')), mfaForm));

    // Download backup (issue 21): this organization only, encrypted with a passphrase asked twice.
    const pass = field({ label: tr('settings.backupPassphrase'), name: 'passphrase', type: 'password', required: true,
      attrs: { autocomplete: 'new-password', minlength: '12' },
      hint: tr('settings.atLeast12CharactersKeep') });
    const again = field({ label: tr('settings.repeatThePassphrase'), name: 'passphrase_again', type: 'password', required: true,
      attrs: { autocomplete: 'new-password' } });
    const bkForm = h('form', { novalidate: true }, h('div', { class: 'grid-2' }, pass, again),
      h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn primary' }, tr('settings.downloadBackup'))));
    bkForm.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearErrors(bkForm);
      if (pass.input.value !== again.input.value) {
        showError(bkForm, { field: 'passphrase_again', detail: tr('settings.theTwoPassphrasesDiffer') });
        return;
      }
      await busy(e.submitter, async () => {
        try {
          const blob = await api('/v1/backup', { method: 'POST', body: { passphrase: pass.input.value }, blob: true });
          const url = URL.createObjectURL(blob);
          const a = h('a', { href: url, download: `gatehouse-${o.slug}.ghbackup`, hidden: true });
          document.body.append(a);
          a.click();
          a.remove();
          setTimeout(() => URL.revokeObjectURL(url), 60000);
          pass.input.value = '';
          again.input.value = '';
          toast(tr('settings.backupDownloaded'));
        } catch (err) { showError(bkForm, err); }
      });
    });
    main.append(h('section', { class: 'card', 'aria-labelledby': 'bk-h' }, h('h2', { id: 'bk-h' }, tr('settings.backup')),
      h('p', { class: 'muted' }, tr('settings.aBackupOfThisOrganization')),
      bkForm));
    await ssoSection(main);
    await webhooksSection(main);
  }

  const modRows = cat.modules.map((m) => h('tr', null,
    h('th', { scope: 'row' }, m.name, h('span', { class: 'sub mono' }, m.key)),
    h('td', null, o.modules.includes(m.key) ? badge(m.always_on ? tr('settings.alwaysOn') : tr('settings.enabled'), 'ok') : badge(tr('settings.notSubscribed'))),
    h('td', { class: 'small' }, m.tabs.map((t) => t.name).join(', '))));
  const addonRows = cat.addons.map((a) => h('tr', null,
    h('th', { scope: 'row' }, a.name, h('span', { class: 'sub mono' }, a.key)),
    h('td', null, o.addons.includes(a.key) ? badge(tr('settings.enabled'), 'ok') : badge(tr('settings.notSubscribed'))),
    h('td', { class: 'small' }, a.description)));
  main.append(h('section', { class: 'card', 'aria-labelledby': 'sub-h' },
    h('h2', { id: 'sub-h' }, tr('settings.subscription')),
    h('p', { class: 'muted' }, tr('settings.modulesAddOnsAndSeats')),
    seatStats(o),
    table({ columns: [{ label: tr('settings.module') }, { label: tr('settings.status') }, { label: tr('settings.tabs') }], rows: modRows, caption: tr('settings.modules') }),
    h('div', { class: 'mt' }),
    table({ columns: [{ label: tr('settings.addon') }, { label: tr('settings.status') }, { label: tr('settings.whatItAdds') }], rows: addonRows, caption: tr('settings.addons') })));
}
