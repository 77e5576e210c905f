// Electronic signatures: the signature dialog (a component products can
// imitate: the record, the meaning, the signer's own password and code,
// given at the moment of signing), the list of signatures on a record, and
// the Signatures page (look up a record, sign it, and for administrators the
// chain head).
import { api } from '/console/api.js';
import { h, clear, field, showError, clearErrors, busy, toast, badge, fmtTime, table, openDialog } from '/console/dom.js';
import { state, can } from '/console/state.js';
import { passkeyAssertion } from '/console/pages/mfa.js';
import { t as tr } from '/console/i18n.js';

export const MEANINGS = ['reviewed', 'approved', 'released', 'performed', 'verified', 'rejected', 'authored', 'witnessed'];
const cap = (s) => s.charAt(0).toUpperCase() + s.slice(1);
const METHODS = {
  password: tr('signatures.password'), 'password+otp': tr('signatures.passwordAndCode'), 'password+passkey': tr('signatures.passwordAndPasskey'),
  'badge+pin': tr('signatures.badgeAndPinKiosk'), sso: tr('signatures.companySignIn'), 'sso+mfa': tr('signatures.companySignInWithIts'),
  'sso+otp': tr('signatures.companySignInAndCode'), 'sso+passkey': tr('signatures.companySignInAndPasskey'),
};

/**
 * The signature dialog. record: {record_type, record_ref, content_hash?,
 * title?}; meanings: the meanings offered. Resolves with the signature made,
 * or null when cancelled. The password (and code) are sent with the
 * signature itself and never kept.
 */
export async function signatureDialog(record, { meanings = MEANINGS, onBehalf = [] } = {}) {
  const meaning = field({ label: tr('signatures.meaningOfThisSignature'), name: 'meaning', type: 'select', value: meanings[0],
    options: meanings.map((m) => ({ value: m, label: cap(m) })) });
  const behalf = onBehalf.length && can('qc.inspections.manage')
    ? field({ label: tr('signatures.onBehalfOf'), name: 'on_behalf_of', type: 'select', value: '',
      options: [{ value: '', label: tr('signatures.myself') }, ...onBehalf.map((p) => ({ value: p.id, label: p.name }))],
      hint: tr('signatures.signingForSomeoneElseRecords') }) : null;
  const password = field({ label: tr('signatures.yourPassword'), name: 'credentials.password', type: 'password', required: true,
    attrs: { autocomplete: 'current-password' } });
  const otp = field({ label: tr('signatures.codeFromYourAuthenticatorApp'), name: 'credentials.otp',
    hint: tr('signatures.onlyIfYouSetOne2'),
    attrs: { autocomplete: 'one-time-code', inputmode: 'numeric', maxlength: '6' } });
  const withKey = h('input', { type: 'checkbox', name: 'with_passkey', id: 'sig-with-passkey', 'aria-describedby': 'sig-with-passkey-error' });
  const keyRow = h('div', { class: 'field', 'data-field': 'credentials.webauthn' },
    h('label', { for: 'sig-with-passkey' }, withKey, ' Confirm with my passkey or security key'),
    h('div', { class: 'error', id: 'sig-with-passkey-error', hidden: true }));
  const form = h('form', { id: 'sig-form', novalidate: true, 'data-testid': 'signature-dialog' },
    h('dl', { class: 'sig-record' },
      h('dt', null, tr('signatures.record')), h('dd', null, record.title || `${record.record_type} ${record.record_ref}`),
      h('dt', null, tr('signatures.signer')), h('dd', null, `${state.me?.name || ''} (${state.me?.email || ''})`)),
    meaning, behalf, password, otp, keyRow,
    h('p', { class: 'small muted' }, tr('signatures.yourSignatureIsRecordedWith')));
  let made = null;
  await openDialog({
    title: tr('signatures.signElectronically'), body: form, label: tr('signatures.signElectronically'),
    actions: [{ label: tr('common.cancel') }, { label: tr('signatures.sign'), kind: 'primary', submit: true, form: 'sig-form' }],
    onOpen: (dlg) => {
      password.input.focus();
      form.addEventListener('submit', async (e) => {
        e.preventDefault();
        clearErrors(form);
        const credentials = { password: password.input.value };
        if (otp.input.value.trim()) credentials.otp = otp.input.value.trim();
        if (withKey.checked) {
          try {
            credentials.webauthn = await passkeyAssertion('/v1/me/reauth/webauthn/options');
          } catch (err) {
            showError(form, err.name === 'NotAllowedError' ? { field: 'credentials.webauthn', detail: tr('signatures.thePasskeyWasNotUsed') } : err);
            return;
          }
        }
        const body = { record_type: record.record_type, record_ref: record.record_ref, meaning: meaning.input.value, credentials };
        if (record.content_hash) body.content_hash = record.content_hash;
        if (behalf?.input.value) body.on_behalf_of = behalf.input.value;
        await busy(dlg.querySelector('button[type=submit]'), async () => {
          try {
            made = await api('/v1/signatures', { method: 'POST', body });
            dlg.finish(true);
          } catch (err) {
            password.input.value = '';
            showError(form, err);
          }
        });
      });
    },
  });
  return made;
}

/** The signatures on a record, oldest first, as a table (for display next to the record). */
export async function signatureList(recordRef) {
  const q = recordRef ? `?record_ref=${encodeURIComponent(recordRef)}` : '';
  const { items } = await api(`/v1/signatures${q}`);
  return table({
    caption: recordRef ? tr('signatures.signaturesOnRecordref', { recordRef }) : tr('signatures.signatures'), empty: tr('signatures.notSignedYet'),
    columns: [{ label: tr('signatures.signedBy') }, { label: tr('signatures.meaning') }, { label: tr('signatures.timeUtc') }, { label: tr('signatures.record') }, { label: tr('signatures.method') }],
    rows: items.map((s) => h('tr', { 'data-testid': 'signature-row' },
      h('td', null, s.signer.name, h('span', { class: 'sub' }, s.signer.email),
        s.on_behalf_of ? h('span', { class: 'sub' }, tr('signatures.onBehalfOfName', { name: s.on_behalf_of.name })) : null),
      h('td', null, badge(cap(s.meaning), 'ok')),
      h('td', { class: 'small', title: s.signed_at }, `${s.signed_at.replace('T', ' ').replace('Z', '')} (${fmtTime(s.signed_at)})`),
      h('td', { class: 'small' }, `${s.record_type} ${s.record_ref}`, s.content_hash ? h('span', { class: 'sub mono' }, s.content_hash) : null),
      h('td', { class: 'small' }, METHODS[s.method] || s.method))),
  });
}

/** /console/signatures */
export async function render({ main, query }) {
  const ref = field({ label: tr('signatures.recordReference'), name: 'record_ref', value: query.record_ref || '', hint: tr('signatures.forExampleIns2031') });
  const type = field({ label: tr('signatures.recordType'), name: 'record_type', value: query.record_type || 'inspection' });
  const list = h('div', { 'data-testid': 'signature-list' });
  const signBtn = h('button', { type: 'button', class: 'btn primary' }, tr('signatures.signThisRecord'));
  async function load() { clear(list, await signatureList(ref.input.value.trim())); }
  const f = h('form', { novalidate: true, class: 'row' }, ref, type, h('button', { type: 'submit', class: 'btn' }, tr('signatures.show')));
  f.addEventListener('submit', async (e) => { e.preventDefault(); clearErrors(f); try { await load(); } catch (err) { showError(f, err); } });
  signBtn.addEventListener('click', () => busy(signBtn, async () => {
    if (!ref.input.value.trim()) { showError(f, { field: 'record_ref', detail: tr('signatures.nameTheRecordToSign') }); return; }
    const s = await signatureDialog({ record_type: type.input.value.trim(), record_ref: ref.input.value.trim() });
    if (s) { toast(tr('signatures.signedMeaning', { meaning: cap(s.meaning) })); await load(); }
  }));
  main.append(h('h1', null, tr('signatures.electronicSignatures')),
    h('section', { class: 'card' }, h('p', { class: 'muted' }, tr('signatures.theSignaturesOnARecord')), f,
      h('div', { class: 'form-actions' }, signBtn), list));
  if (can('users.manage')) {
    const hd = await api('/v1/signatures/head');
    main.append(h('section', { class: 'card', 'aria-labelledby': 'chain-h', 'data-testid': 'signature-chain' },
      h('h2', { id: 'chain-h' }, tr('signatures.signatureChain')),
      h('p', null, hd.intact ? badge(tr('signatures.intact'), 'ok') : badge(tr('signatures.brokenAt', { seq: hd.broken?.seq, reason: hd.broken?.reason }), 'danger'),
        ' ', tr('signatures.countN', { count: hd.count })),
      h('p', { class: 'small' }, tr('signatures.chainHead'), h('code', { class: 'mono' }, `${hd.seq} ${hd.hash || '-'}`)),
      h('p', { class: 'small muted' }, tr('signatures.writeTheHeadDownFrom'))));
  }
  await load();
}
