// Organization settings: general settings (settings.manage), session and
// kiosk security (it.operations), and the subscription (modules, add-ons,
// seats), which is read-only here: it is set by the operator's CLI.
import { api } from '/console/api.js';
import { h, field, checkbox, showError, clearErrors, busy, toast, badge, table } from '/console/dom.js';
import { can, catalog, org } from '/console/state.js';
import { seatStats } from '/console/pages/users.js';
import { ssoSection } from '/console/pages/sso.js';
import { webhooksSection } from '/console/pages/webhooks.js';

/* Settings edited in a friendlier unit than the API's seconds. */
function numberField(label, name, value, unit, scale, min, max, hint) {
  const f = field({ label: `${label} (${unit})`, name, type: 'number', value: String(Math.round((value / scale) * 100) / 100),
    hint, attrs: { min: String(min / scale), max: String(max / scale), step: 'any', inputmode: 'decimal' } });
  f.read = () => Math.round(Number(f.input.value) * scale);
  f.original = value;
  // The server names the limits in its own unit (seconds); people typed days, hours or minutes.
  const n = (v) => String(Math.round(v * 1000) / 1000);
  f.rangeText = `Enter a number from ${n(min / scale)} to ${n(max / scale)} ${unit}.`;
  return f;
}

function sectionForm(fields, onSave) {
  const form = h('form', { novalidate: true }, fields, h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn primary' }, 'Save')));
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
  main.append(h('div', { class: 'page-head' }, h('div', null, h('h1', null, 'Organization settings'),
    h('p', { class: 'sub' }, `${o.name} · short name `, h('code', null, o.slug)))));
  // Mail (issue 15): configured by the operator (--smtp-url); never shows the password.
  main.append(h('section', { class: 'card', 'aria-labelledby': 'mail-h' }, h('h2', { id: 'mail-h' }, 'Mail'),
    h('p', { 'data-mail': o.mail_configured ? 'configured' : 'not-configured' }, o.mail_configured
      ? 'Mail is configured: invitations, confirmation and password reset links are mailed to people.'
      : 'Mail is not configured on this server: no mail leaves gatehouse. Invitation links can be read by an operator with `gatehouse outbox`; the server operator sets --smtp-url and --mail-from to send mail.')));

  const save = async (body, what) => {
    const fresh = await api('/v1/org', { method: 'PATCH', body });
    Object.assign(o, fresh);
    toast(`${what} saved.`);
  };

  if (can('settings.manage')) {
    const name = field({ label: 'Organization name', name: 'name', value: o.name, required: true });
    const single = checkbox({ label: 'Single-task check-in limit', name: 'single_task_checkin', checked: s.single_task_checkin,
      desc: 'A worker checked into one task must check out, complete it or mark it in error before checking into another. Recommended unless people run batch operations (exempt them on their user page).' });
    const ttl = numberField('Invitation links expire after', 'invite_ttl_s', s.invite_ttl_s, 'days', 86400, 3600, 90 * 86400, 'From 1 hour (0.05 days) to 90 days.');
    const erase = checkbox({ label: 'Erase the names of deleted people', name: 'erase_deleted_names', checked: !!s.erase_deleted_names,
      desc: 'Time records and activity always outlive a deleted account. With this on, they are shown as "deleted user" instead of the name the person had; the audit log keeps what it recorded.' });
    const form = sectionForm([name, h('div', { class: 'field', 'data-field': 'single_task_checkin' }, single), ttl,
      h('div', { class: 'field', 'data-field': 'erase_deleted_names' }, erase)], () => {
      const body = {};
      if (name.input.value.trim() !== o.name) body.name = name.input.value.trim();
      if (single.input.checked !== o.settings.single_task_checkin) body.single_task_checkin = single.input.checked;
      if (ttl.read() !== o.settings.invite_ttl_s) body.invite_ttl_s = ttl.read();
      if (erase.input.checked !== !!o.settings.erase_deleted_names) body.erase_deleted_names = erase.input.checked;
      if (!Object.keys(body).length) { toast('Nothing changed.'); return null; }
      return save(body, 'Settings');
    });
    main.append(h('section', { class: 'card', 'aria-labelledby': 'gen-h' }, h('h2', { id: 'gen-h' }, 'General'), form));
  }

  if (can('it.operations')) {
    const idle = numberField('Sign out office users after inactivity of', 'session_idle_timeout_s', s.session_idle_timeout_s, 'minutes', 60, 60, 30 * 86400);
    const max = numberField('Office sessions last at most', 'session_max_lifetime_s', s.session_max_lifetime_s, 'hours', 3600, 300, 90 * 86400);
    const pinMin = field({ label: 'Minimum kiosk PIN length (digits)', name: 'kiosk_pin_min_length', type: 'number', value: String(s.kiosk_pin_min_length),
      attrs: { min: '6', max: '12', step: '1', inputmode: 'numeric' }, hint: 'From 6 to 12.' });
    pinMin.rangeText = 'Enter a number from 6 to 12.';
    const kIdle = numberField('Kiosk signs a worker out after inactivity of', 'kiosk_idle_timeout_s', s.kiosk_idle_timeout_s, 'seconds', 1, 15, 3600, 'From 15 to 3600 seconds. Keep it short on shared devices.');
    const kMax = numberField('Kiosk sessions last at most', 'kiosk_session_max_s', s.kiosk_session_max_s, 'hours', 3600, 300, 86400);
    const enrolled = checkbox({ label: 'Kiosk sign-in only from enrolled devices', name: 'kiosk_enrolled_devices_only', checked: s.kiosk_enrolled_devices_only,
      desc: 'PINs are short; with this on they cannot be tried from anywhere but the plant’s own kiosks.' });
    const form = sectionForm([h('div', { class: 'grid-2' }, h('div', null, idle, max), h('div', null, pinMin, kIdle, kMax)),
      h('div', { class: 'field', 'data-field': 'kiosk_enrolled_devices_only' }, enrolled)], () => {
      const cur = o.settings, body = {};
      if (idle.read() !== cur.session_idle_timeout_s) body.session_idle_timeout_s = idle.read();
      if (max.read() !== cur.session_max_lifetime_s) body.session_max_lifetime_s = max.read();
      if (Number(pinMin.input.value) !== cur.kiosk_pin_min_length) body.kiosk_pin_min_length = Number(pinMin.input.value);
      if (kIdle.read() !== cur.kiosk_idle_timeout_s) body.kiosk_idle_timeout_s = kIdle.read();
      if (kMax.read() !== cur.kiosk_session_max_s) body.kiosk_session_max_s = kMax.read();
      if (enrolled.input.checked !== cur.kiosk_enrolled_devices_only) body.kiosk_enrolled_devices_only = enrolled.input.checked;
      if (!Object.keys(body).length) { toast('Nothing changed.'); return null; }
      return save(body, 'Security settings');
    });
    main.append(h('section', { class: 'card', 'aria-labelledby': 'sec-h' }, h('h2', { id: 'sec-h' }, 'Sessions and kiosk security'), form));

    // Display (device) accounts: wall screens are never touched, so their sessions have their own policy.
    if (s.device_session_max_days !== undefined) {
      const dIdle = numberField('Sign a display screen out after inactivity of', 'device_idle_timeout_s', s.device_idle_timeout_s, 'minutes', 60, 0, 30 * 86400,
        '0 means never: a screen in a hall is not touched for hours. Otherwise from 1 to 43200 minutes.');
      dIdle.rangeText = 'Enter 0 (never) or a number from 1 to 43200 minutes.';
      const dDays = numberField('Display screen sessions last at most', 'device_session_max_days', s.device_session_max_days, 'days', 1, 1, 365, 'From 1 to 365 days. A screen signs in again after that.');
      const dForm = sectionForm([h('div', { class: 'grid-2' }, dIdle, dDays)], () => {
        const cur = o.settings, body = {};
        if (dIdle.read() !== cur.device_idle_timeout_s) body.device_idle_timeout_s = dIdle.read();
        if (dDays.read() !== cur.device_session_max_days) body.device_session_max_days = dDays.read();
        if (!Object.keys(body).length) { toast('Nothing changed.'); return null; }
        return save(body, 'Display screen sessions');
      });
      main.append(h('section', { class: 'card', 'aria-labelledby': 'dev-h' }, h('h2', { id: 'dev-h' }, 'Display screens'),
        h('p', { class: 'muted small' }, 'Shared display accounts (roles marked as a display) follow these limits instead of the office ones. To sign one screen out, end its session on the display account’s page.'),
        dForm));
    }

    // IP allowlist (IT Operations > IP addresses): one network per line.
    const nets = field({ label: 'Allowed networks', name: 'ip_allowlist', type: 'textarea', value: (s.ip_allowlist || []).join('\n'),
      attrs: { rows: '4', spellcheck: 'false', autocomplete: 'off' },
      hint: 'One address or network per line, as 10.0.0.0/8 or 2001:db8::/32. People can then sign in and work only from these networks (API keys are not limited). Leave empty to allow any address. Your own address must be in the list.' });
    const netForm = h('form', { novalidate: true }, nets,
      h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn primary' }, 'Save')));
    netForm.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearErrors(netForm);
      const list = nets.input.value.split('\n').map((x) => x.trim()).filter(Boolean);
      await busy(e.submitter, async () => {
        try {
          await save({ ip_allowlist: list }, 'Network access');
          nets.input.value = (o.settings.ip_allowlist || []).join('\n');
        } catch (err) {
          // Errors name the entry (ip_allowlist[2]); show them on the box.
          showError(netForm, err.field?.startsWith('ip_allowlist') ? { field: 'ip_allowlist', detail: err.detail } : err);
        }
      });
    });
    main.append(h('section', { class: 'card', 'aria-labelledby': 'net-h' }, h('h2', { id: 'net-h' }, 'Network access'), netForm));

    // Second factors (issue 20): who must use an authenticator app; whether the IdP's MFA counts.
    const mp = await api('/v1/org/mfa');
    const policy = field({ label: 'Second factor at sign-in', name: 'policy', type: 'select', value: mp.policy, options: [
      { value: 'optional', label: 'Optional: each person decides' },
      { value: 'privileged', label: 'Required for people who manage users or IT operations' },
      { value: 'all', label: 'Required for everyone who signs in to the console' }],
      hint: 'People who must and have none set up an authenticator app at their next sign-in.' });
    const ssoCounts = checkbox({ label: 'Company sign-in counts as the second factor when the company IdP says it used one',
      name: 'sso_counts_as_mfa', checked: mp.sso_counts_as_mfa, desc: 'The ID token\'s amr names mfa (or its acr is the value below).' });
    const acr = field({ label: 'acr value that means MFA (optional)', name: 'sso_acr', value: mp.sso_acr || '', attrs: { autocomplete: 'off', spellcheck: 'false' } });
    const mfaForm = sectionForm([policy, h('div', { class: 'field', 'data-field': 'sso_counts_as_mfa' }, ssoCounts), acr], async () => {
      await api('/v1/org/mfa', { method: 'PUT', body: { policy: policy.input.value,
        sso_counts_as_mfa: ssoCounts.input.checked, sso_acr: acr.input.value.trim() } });
      toast('Second-factor policy saved.');
    });
    main.append(h('section', { class: 'card', 'aria-labelledby': 'mfa-h' }, h('h2', { id: 'mfa-h' }, 'Second factor'), mfaForm));

    // Download backup (issue 21): this organization only, encrypted with a passphrase asked twice.
    const pass = field({ label: 'Backup passphrase', name: 'passphrase', type: 'password', required: true,
      attrs: { autocomplete: 'new-password', minlength: '12' },
      hint: 'At least 12 characters. Keep it safe: without it the backup cannot be restored.' });
    const again = field({ label: 'Repeat the passphrase', name: 'passphrase_again', type: 'password', required: true,
      attrs: { autocomplete: 'new-password' } });
    const bkForm = h('form', { novalidate: true }, h('div', { class: 'grid-2' }, pass, again),
      h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn primary' }, 'Download backup')));
    bkForm.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearErrors(bkForm);
      if (pass.input.value !== again.input.value) {
        showError(bkForm, { field: 'passphrase_again', detail: 'The two passphrases differ.' });
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
          toast('Backup downloaded.');
        } catch (err) { showError(bkForm, err); }
      });
    });
    main.append(h('section', { class: 'card', 'aria-labelledby': 'bk-h' }, h('h2', { id: 'bk-h' }, 'Backup'),
      h('p', { class: 'muted' }, 'A backup of this organization only: its people (with their passwords), roles, groups, views, shop floor records and audit log, encrypted with your passphrase. The server operator restores it with gatehouse org import.'),
      bkForm));
    await ssoSection(main);
    await webhooksSection(main);
  }

  const modRows = cat.modules.map((m) => h('tr', null,
    h('th', { scope: 'row' }, m.name, h('span', { class: 'sub mono' }, m.key)),
    h('td', null, o.modules.includes(m.key) ? badge(m.always_on ? 'Always on' : 'Enabled', 'ok') : badge('Not subscribed')),
    h('td', { class: 'small' }, m.tabs.map((t) => t.name).join(', '))));
  const addonRows = cat.addons.map((a) => h('tr', null,
    h('th', { scope: 'row' }, a.name, h('span', { class: 'sub mono' }, a.key)),
    h('td', null, o.addons.includes(a.key) ? badge('Enabled', 'ok') : badge('Not subscribed')),
    h('td', { class: 'small' }, a.description)));
  main.append(h('section', { class: 'card', 'aria-labelledby': 'sub-h' },
    h('h2', { id: 'sub-h' }, 'Subscription'),
    h('p', { class: 'muted' }, 'Modules, add-ons and seats come with the subscription; the operator changes them with the gatehouse command line.'),
    seatStats(o),
    table({ columns: [{ label: 'Module' }, { label: 'Status' }, { label: 'Tabs' }], rows: modRows, caption: 'Modules' }),
    h('div', { class: 'mt' }),
    table({ columns: [{ label: 'Add-on' }, { label: 'Status' }, { label: 'What it adds' }], rows: addonRows, caption: 'Add-ons' })));
}
