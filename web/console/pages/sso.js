// The settings page's "Company sign-in (SSO)" section (issue 16), for
// holders of it.operations: the OpenID Connect settings, the redirect URI to
// register at the IdP, the outcome of the last connection test and a "Test
// connection" button. The client secret is write-only: the field stays
// empty, and leaving it empty keeps the stored one. The protocol choice
// shows either the OpenID Connect fields or the SAML 2.0 ones (the IdP's
// metadata as a URL or pasted XML, and the SP URLs to give the IdP).
import { api } from '/console/api.js';
import { h, field, checkbox, showError, clearErrors, busy, toast, badge, clear } from '/console/dom.js';
import { t as tr } from '/console/i18n.js';

const split = (v) => v.split(/[\s,]+/).map((x) => x.trim()).filter(Boolean);

function status(cfg) {
  if (!cfg) return h('p', { class: 'muted' }, tr('sso.companySignInIsNot'));
  const tested = cfg.last_test_at
    ? (cfg.last_error ? [badge(tr('sso.lastTestFailed'), 'warn'), ' ', cfg.last_error] : [badge(tr('sso.lastTestPassed'), 'ok')])
    : [badge(tr('sso.notTestedYet'))];
  return h('div', { class: 'sso-status' },
    h('p', null, `${cfg.protocol === 'oidc' ? 'OpenID Connect' : 'SAML 2.0'}: ${cfg.display_name}. `,
      cfg.required ? tr('sso.requiredForOfficeUsersBreak') : tr('sso.optionalPasswordsStillWork')),
    h('p', { class: 'sso-test' }, tested),
    cfg.redirect_uri ? h('p', { class: 'small' }, tr('sso.redirectUriToRegisterAt'), h('code', null, cfg.redirect_uri)) : null,
    cfg.sp ? h('p', { class: 'small' }, tr('sso.serviceProviderEntityId'), h('code', null, cfg.sp.entity_id), tr('sso.acsUrl'), h('code', null, cfg.sp.acs_url)) : null);
}

export async function ssoSection(main) {
  let cfg = null;
  try { cfg = await api('/v1/org/sso'); } catch (err) { if (err.code !== 'sso_not_configured') throw err; }
  const roles = (await api('/v1/roles')).items.filter((r) => !r.device);
  const section = h('section', { class: 'card', 'aria-labelledby': 'sso-h' }, h('h2', { id: 'sso-h' }, tr('sso.companySignInSso')));
  const statusHost = h('div', { 'aria-live': 'polite' }, status(cfg));
  const c = cfg || {};
  const protocol = field({ label: tr('user.protocol'), name: 'protocol', type: 'select', value: c.protocol || 'oidc',
    options: [{ value: 'oidc', label: 'OpenID Connect' }, { value: 'saml', label: 'SAML 2.0' }] });
  const metaUrl = field({ label: tr('sso.idpMetadataUrl'), name: 'idp_metadata_url', value: c.idp_metadata_url || '',
    hint: 'Entra ID: App federation metadata URL · Okta: Metadata URL · Keycloak: https://<host>/realms/<realm>/protocol/saml/descriptor. Or paste the XML below.',
    attrs: { spellcheck: 'false', autocomplete: 'off' } });
  const metaXml = field({ label: tr('sso.idpMetadataXml'), name: 'idp_metadata_xml', type: 'textarea', value: c.idp_metadata_xml || '',
    hint: tr('sso.usedWhenNoUrlIs'), attrs: { spellcheck: 'false', rows: 6 } });
  const name = field({ label: tr('sso.nameOnTheSignIn'), name: 'display_name', value: c.display_name || '', required: true, hint: tr('sso.peopleSeeSignInWith') });
  const signinDomains = field({ label: tr('sso.signInDomains'), name: 'domains', value: (c.domains || []).join(' '),
    hint: tr('sso.theSignInPageOffers'),
    attrs: { spellcheck: 'false', autocomplete: 'off' } });
  const issuer = field({ label: tr('sso.issuerUrl'), name: 'issuer', value: c.issuer || '', hint: 'Entra ID: https://login.microsoftonline.com/<tenant id>/v2.0 · Okta: https://<org>.okta.com · Keycloak: https://<host>/realms/<realm>', attrs: { spellcheck: 'false', autocomplete: 'off' } });
  const clientId = field({ label: tr('sso.clientId'), name: 'client_id', value: c.client_id || '', attrs: { spellcheck: 'false', autocomplete: 'off' } });
  const secret = field({ label: tr('sso.clientSecret'), name: 'client_secret', type: 'password', value: '',
    hint: c.client_secret_set ? tr('sso.aSecretIsStoredLeave') : tr('sso.storedEncryptedNeverShownAgain'), attrs: { autocomplete: 'new-password' } });
  const scopes = field({ label: tr('sso.scopes'), name: 'scopes', value: (c.scopes || ['openid', 'email', 'profile']).join(' ') });
  const emailClaim = field({ label: tr('sso.claimWithTheEMail'), name: 'email_claim',
    value: c.email_claim ?? (c.protocol === 'saml' ? '' : 'email'), hint: tr('sso.samlTheAttributeSName') });
  const groupsClaim = field({ label: tr('sso.claimWithTheGroupsOptional'), name: 'groups_claim', value: c.groups_claim || '' });
  const jit = checkbox({ label: tr('sso.createPeopleAtTheirFirst'), name: 'jit.enabled', checked: !!c.jit?.enabled,
    desc: tr('sso.onlyFromTheEMail') });
  const role = field({ label: tr('sso.defaultRoleForNewPeople'), name: 'jit.default_role', type: 'select', value: c.jit?.default_role || '',
    options: [{ value: '', label: '—' }, ...roles.map((r) => ({ value: r.key, label: r.name }))] });
  const domains = field({ label: tr('sso.eMailDomains'), name: 'jit.domains', value: (c.jit?.domains || []).join(' '), hint: tr('sso.eGAcmeComAcme') });
  const required = checkbox({ label: tr('sso.requireCompanySignInFor'), name: 'required', checked: !!c.required,
    desc: tr('sso.passwordsThenWorkOnlyFor') });
  const breakGlass = field({ label: tr('sso.breakGlassAccountsUserIds'), name: 'break_glass', value: (c.break_glass || []).join(' ') });
  const form = h('form', { novalidate: true, 'aria-label': tr('sso.companySignInSettings') },
    h('div', { class: 'grid-2' }, h('div', null, protocol, name), h('div', null, signinDomains)),
    h('div', { class: 'grid-2', 'data-protocol': 'oidc' }, h('div', null, issuer, clientId, secret), h('div', null, scopes)),
    h('div', { 'data-protocol': 'saml' }, metaUrl, metaXml),
    h('div', { class: 'grid-2' }, h('div', null, emailClaim), h('div', null, groupsClaim)),
    h('div', { class: 'field', 'data-field': 'jit.enabled' }, jit), h('div', { class: 'grid-2' }, h('div', null, role), h('div', null, domains)),
    h('div', { class: 'field', 'data-field': 'required' }, required), breakGlass,
    h('div', { class: 'form-actions' },
      h('button', { type: 'submit', class: 'btn primary' }, tr('common.save')),
      h('button', { type: 'button', class: 'btn', name: 'test', disabled: !cfg }, tr('sso.testConnection')),
      h('button', { type: 'button', class: 'btn danger', name: 'remove', disabled: !cfg }, tr('sso.remove'))));
  const testBtn = form.querySelector('button[name=test]'), removeBtn = form.querySelector('button[name=remove]');
  const showProtocol = () => {
    for (const g of form.querySelectorAll('[data-protocol]')) g.hidden = g.dataset.protocol !== protocol.input.value;
  };
  protocol.input.addEventListener('change', showProtocol);
  showProtocol();
  const refresh = (fresh) => {
    cfg = fresh;
    clear(statusHost, status(cfg));
    testBtn.disabled = removeBtn.disabled = !cfg;
  };
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    const saml = protocol.input.value === 'saml';
    const body = {
      protocol: protocol.input.value, display_name: name.input.value.trim(),
      email_claim: emailClaim.input.value.trim() || null, groups_claim: groupsClaim.input.value.trim() || null,
      jit: { enabled: jit.input.checked, default_role: role.input.value || null, domains: split(domains.input.value) },
      role_map: cfg?.role_map || {}, required: required.input.checked, break_glass: split(breakGlass.input.value),
      domains: split(signinDomains.input.value),
    };
    if (saml) {
      // One source of metadata: the URL when given, else the pasted XML.
      if (metaUrl.input.value.trim()) body.idp_metadata_url = metaUrl.input.value.trim();
      else body.idp_metadata_xml = metaXml.input.value;
    } else {
      Object.assign(body, { issuer: issuer.input.value.trim(), client_id: clientId.input.value.trim(), scopes: split(scopes.input.value) });
      if (secret.input.value) body.client_secret = secret.input.value;
    }
    await busy(e.submitter, async () => {
      try {
        refresh(await api('/v1/org/sso', { method: 'PUT', body }));
        secret.input.value = '';
        toast(tr('sso.companySignInSaved'));
      } catch (err) { showError(form, err); }
    });
  });
  testBtn.addEventListener('click', () => busy(testBtn, async () => {
    clearErrors(form);
    try {
      const r = await api('/v1/org/sso/test', { method: 'POST' });
      refresh(await api('/v1/org/sso'));
      toast(r.ok ? tr('sso.theConnectionWorks') : tr('sso.theConnectionTestFailedError', { error: r.error }), r.ok ? '' : 'error');
    } catch (err) { showError(form, err); }
  }));
  removeBtn.addEventListener('click', () => busy(removeBtn, async () => {
    try {
      await api('/v1/org/sso', { method: 'DELETE' });
      refresh(null);
      toast(tr('sso.companySignInRemovedEveryone'));
    } catch (err) { showError(form, err); }
  }));
  section.append(statusHost, form);
  main.append(section);
}
