// "Why can't this person see the QC tab / do X?": turns the answer of
// GET /v1/users/{id}/permissions?explain=1 into sentences naming the role,
// grant, module or add-on that gives or withholds each permission and tab.
import { h, clear, field, badge, table } from '/console/dom.js';
import { permName, moduleName, addonName, tabName } from '/console/state.js';
import { t as tr } from '/console/i18n.js';

/** One permission's answer: {allowed, text}. */
export function explainPermission(ex, p, cat, roleName, who) {
  const perm = `“${permName(cat, p.key)}”`;
  const mod = moduleName(cat, p.module);
  const Role = tr('explain.theRole', { role: roleName(ex.role) });
  const both = p.via_role && p.via_grant;
  switch (p.reason) {
    case 'granted_by_role':
      return { allowed: true, text: tr(both ? 'explain.roleIncludesBoth' : 'explain.roleIncludes', { Role, perm }) };
    case 'granted_by_grant':
      return { allowed: true, text: tr('explain.yesRoleDoesNotInclude', { Role, perm, who }) };
    case 'open':
      return { allowed: true, text: tr('explain.yesPermIsOpenTo', { perm }) };
    case 'unknown_permission':
      return { allowed: false, text: tr('explain.noPermIsNotIn', { perm }) };
    case 'not_granted':
      return { allowed: false, text: tr('explain.noRoleDoesNotInclude', { Role, perm, who }) };
    case 'module_disabled_for_org':
      return { allowed: false, text: tr(p.via_role ? 'explain.orgModuleRole' : p.via_grant ? 'explain.orgModuleGrant' : 'explain.orgModule', { perm, mod }) };
    case 'module_disabled_for_user':
      return { allowed: false, text: tr(p.via_role || p.via_grant ? 'explain.userModule' : 'explain.userModuleAdd', { perm, mod, who }) };
    case 'addon_missing':
      return { allowed: false, text: tr('explain.noPermNeedsTheAddon', { perm, addon: addonName(cat, p.addon) }) };
    case 'device_read_only':
      return { allowed: false, text: tr('explain.noWhoIsAShared', { who }) };
    case 'user_inactive':
      return { allowed: false, text: tr('explain.noTheAccountIsLocked') };
    default:
      return { allowed: !!p.allowed, text: `${p.allowed ? tr('explain.yes') : tr('explain.no')} (${p.reason}).` };
  }
}

/** One tab's answer: {allowed, text}. */
export function explainTab(ex, t, cat, roleName, who) {
  const m = cat.modules.find((x) => x.key === t.module);
  const tab = m?.tabs.find((x) => x.key === t.key);
  const name = tr('explain.theTab', { tab: tabName(cat, t.module, t.key) });
  const needs = (tab?.any_of || []).map((k) => `“${permName(cat, k)}”`);
  const needText = needs.length ? tr('explain.andNeeds', { perms: needs.join(tr('explain.or')) }) : '';
  const mod = moduleName(cat, t.module);
  if (t.visible) {
    const held = (tab?.any_of || []).filter((k) => ex.permissions.find((p) => p.key === k)?.allowed).map((k) => `“${permName(cat, k)}”`);
    return { allowed: true, text: held.length ? tr('explain.tabYesHolds', { name: cap(name), mod, who, perms: held.join(tr('explain.and')) }) : tr('explain.tabYes', { name: cap(name), mod, who }) };
  }
  switch (t.reason) {
    case 'module_disabled_for_org':
      return { allowed: false, text: tr('explain.noNameBelongsToThe', { name: cap(name), mod }) };
    case 'module_disabled_for_user':
      return { allowed: false, text: tr('explain.noNameBelongsToThe2', { name: cap(name), mod, who }) };
    case 'not_granted':
      return { allowed: false, text: tr('explain.tabNotGranted', { name: cap(name), perms: needs.join(tr('explain.or')) || tr('explain.aPermission'), role: roleName(ex.role) ? tr('explain.theRoleLower', { role: roleName(ex.role) }) : tr('explain.theRoleBare') }) };
    case 'user_inactive':
      return { allowed: false, text: tr('explain.noTheAccountIsLocked2') };
    case 'device_read_only':
      return { allowed: false, text: tr('explain.noWhoIsAShared2', { who, needText }) };
    default:
      return { allowed: false, text: tr('explain.noReason', { reason: t.reason }) };
  }
}

const cap = (s) => s[0].toUpperCase() + s.slice(1);

/**
 * The explanation card: a question picker with its answer, and the complete
 * list of tabs and permissions with the reason for each.
 */
export function explainCard(ex, cat, roleName, who) {
  const tabKey = (t) => `tab:${t.module}:${t.key}`;
  const options = [];
  const tabOpts = ex.tabs.map((t) => ({ value: tabKey(t), label: tr(t.visible ? 'explain.seeTab' : 'explain.seeTabHidden', { tab: tabName(cat, t.module, t.key) }) }));
  const permOpts = ex.permissions.map((p) => ({ value: `perm:${p.key}`, label: p.allowed ? permName(cat, p.key) : tr('explain.permNotAllowed', { perm: permName(cat, p.key) }) }));
  options.push(...tabOpts, ...permOpts);
  const firstDenied = ex.tabs.find((t) => !t.visible);
  const question = field({ label: tr('explain.whyCanOrCanT', { who }), name: 'why', type: 'select', options,
    value: firstDenied ? tabKey(firstDenied) : options[0]?.value });
  // Group the options for scanning.
  const sel = question.input;
  clear(sel);
  const og1 = h('optgroup', { label: tr('explain.tabs') }, tabOpts.map((o) => h('option', { value: o.value }, o.label)));
  const og2 = h('optgroup', { label: tr('explain.permissions') });
  for (const m of cat.modules) {
    const ps = ex.permissions.filter((p) => p.module === m.key);
    for (const p of ps) og2.append(h('option', { value: `perm:${p.key}` }, `do: ${permName(cat, p.key)}${p.allowed ? '' : ' (not allowed)'}`));
  }
  sel.append(og1, og2);
  sel.value = firstDenied ? tabKey(firstDenied) : options[0]?.value;

  const answer = h('div', { class: 'why-answer', role: 'status', 'aria-live': 'polite', 'data-testid': 'why-answer' });
  const show = () => {
    const v = sel.value;
    let a;
    if (v.startsWith('tab:')) {
      const [, mod, key] = v.split(':');
      a = explainTab(ex, ex.tabs.find((t) => t.module === mod && t.key === key), cat, roleName, who);
    } else {
      a = explainPermission(ex, ex.permissions.find((p) => p.key === v.slice(5)), cat, roleName, who);
    }
    answer.className = `why-answer ${a.allowed ? 'allowed' : 'denied'}`;
    clear(answer, h('p', null, a.text));
  };
  sel.addEventListener('change', show);
  show();

  const onlyDenied = h('input', { type: 'checkbox', id: 'why-only-denied' });
  const listHost = h('div');
  const drawList = () => {
    const deny = onlyDenied.checked;
    const tabRows = ex.tabs.filter((t) => !deny || !t.visible).map((t) => {
      const a = explainTab(ex, t, cat, roleName, who);
      return h('tr', null, h('th', { scope: 'row' }, tr('explain.keyTab', { key: tabName(cat, t.module, t.key) }), h('span', { class: 'sub' }, moduleName(cat, t.module))),
        h('td', null, a.allowed ? h('span', { class: 'yes' }, tr('explain.visible')) : h('span', { class: 'no' }, tr('explain.hidden'))),
        h('td', { class: 'small' }, a.text));
    });
    const permRows = ex.permissions.filter((p) => !deny || !p.allowed).map((p) => {
      const a = explainPermission(ex, p, cat, roleName, who);
      return h('tr', null, h('th', { scope: 'row' }, permName(cat, p.key), h('span', { class: 'sub mono' }, p.key)),
        h('td', null, a.allowed ? h('span', { class: 'yes' }, tr('explain.allowed')) : h('span', { class: 'no' }, tr('explain.notAllowed'))),
        h('td', { class: 'small' }, a.text));
    });
    const cols = [{ label: tr('explain.tabOrPermission') }, { label: tr('explain.answer') }, { label: tr('explain.why') }];
    clear(listHost, 
      h('h3', null, tr('explain.tabs')), table({ columns: cols, rows: tabRows, caption: tr('explain.tabs'), empty: tr('explain.none') }),
      h('h3', { class: 'mt' }, tr('explain.permissions')), table({ columns: cols, rows: permRows, caption: tr('explain.permissions'), empty: tr('explain.none') }));
  };
  onlyDenied.addEventListener('change', drawList);
  drawList();

  const allowedCount = ex.permissions.filter((p) => p.allowed).length;
  return h('section', { class: 'card', 'aria-labelledby': 'why-h', id: 'why' },
    h('div', { class: 'card-head' }, h('h2', { id: 'why-h' }, tr('explain.accessExplained')),
      h('span', { class: 'badges' }, badge(tr('explain.allowedcountOfPermissionscountPermissions', { allowedCount, permissionsCount: ex.permissions.length }), 'outline'),
        badge(tr('explain.visiblecountOfTabscountTabs', { visibleCount: ex.tabs.filter((t) => t.visible).length, tabsCount: ex.tabs.length }), 'outline'))),
    h('p', { class: 'muted' }, tr('explain.aPermissionCountsWhenThe')),
    question, answer,
    h('details', null, h('summary', null, tr('explain.everyTabAndPermission')),
      h('label', { class: 'check', for: 'why-only-denied' }, onlyDenied, h('span', null, tr('explain.showOnlyWhatIsNot'))),
      listHost));
}
