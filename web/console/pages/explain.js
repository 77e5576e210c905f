// "Why can't this person see the QC tab / do X?": turns the answer of
// GET /v1/users/{id}/permissions?explain=1 into sentences naming the role,
// grant, module or add-on that gives or withholds each permission and tab.
import { h, clear, field, badge, table } from '/console/dom.js';
import { permName, moduleName, addonName, tabName } from '/console/state.js';

/** One permission's answer: {allowed, text}. */
export function explainPermission(ex, p, cat, roleName, who) {
  const perm = `“${permName(cat, p.key)}”`;
  const mod = moduleName(cat, p.module);
  const Role = `The role ${roleName(ex.role)}`;
  const both = p.via_role && p.via_grant;
  switch (p.reason) {
    case 'granted_by_role':
      return { allowed: true, text: `Yes. ${Role} includes ${perm}${both ? ', and a direct grant gives it too' : ''}.` };
    case 'granted_by_grant':
      return { allowed: true, text: `Yes. ${Role} does not include ${perm}, but a direct grant to ${who} gives it.` };
    case 'open':
      return { allowed: true, text: `Yes. ${perm} is open to everyone in the organization: every active person has it, whatever their role.` };
    case 'unknown_permission':
      return { allowed: false, text: `No. ${perm} is not in the catalog, and a permission the catalog does not list is never granted.` };
    case 'not_granted':
      return { allowed: false, text: `No. ${Role} does not include ${perm}, and ${who} has no direct grant for it. Add it to the role on the Roles page, or give a direct grant on this page.` };
    case 'module_disabled_for_org':
      return { allowed: false, text: `No. ${perm} belongs to the ${mod} module, which the organization's subscription does not include${p.via_role || p.via_grant ? ` (${p.via_role ? 'the role' : 'a direct grant'} would give it otherwise)` : ''}.` };
    case 'module_disabled_for_user':
      return { allowed: false, text: `No. ${perm} belongs to the ${mod} module, which is turned off for ${who}. Turn the module on under Modules${p.via_role || p.via_grant ? '' : ', and add the permission to the role or grant it'}.` };
    case 'addon_missing':
      return { allowed: false, text: `No. ${perm} needs the ${addonName(cat, p.addon)} add-on, which the organization does not have.` };
    case 'device_read_only':
      return { allowed: false, text: `No. ${who} is a shared display account, which can only read; no role or grant can change that.` };
    case 'user_inactive':
      return { allowed: false, text: `No. The account is locked, so it can do nothing until it is unlocked.` };
    default:
      return { allowed: !!p.allowed, text: `${p.allowed ? 'Yes' : 'No'} (${p.reason}).` };
  }
}

/** One tab's answer: {allowed, text}. */
export function explainTab(ex, t, cat, roleName, who) {
  const m = cat.modules.find((x) => x.key === t.module);
  const tab = m?.tabs.find((x) => x.key === t.key);
  const name = `the ${tabName(cat, t.module, t.key)} tab`;
  const needs = (tab?.any_of || []).map((k) => `“${permName(cat, k)}”`);
  const needText = needs.length ? `, and needs ${needs.join(' or ')}` : '';
  const mod = moduleName(cat, t.module);
  if (t.visible) {
    const held = (tab?.any_of || []).filter((k) => ex.permissions.find((p) => p.key === k)?.allowed).map((k) => `“${permName(cat, k)}”`);
    return { allowed: true, text: `Yes. ${cap(name)} comes with the ${mod} module, which ${who} has${held.length ? `, and ${who} holds ${held.join(' and ')}` : ''}.` };
  }
  switch (t.reason) {
    case 'module_disabled_for_org':
      return { allowed: false, text: `No. ${cap(name)} belongs to the ${mod} module, which the organization's subscription does not include.` };
    case 'module_disabled_for_user':
      return { allowed: false, text: `No. ${cap(name)} belongs to the ${mod} module, which is turned off for ${who}. Turn it on under Modules.` };
    case 'not_granted':
      return { allowed: false, text: `No. ${cap(name)} shows only to people with ${needs.join(' or ') || 'a permission'}; ${roleName(ex.role) ? `the role ${roleName(ex.role)}` : 'the role'} has none of them and there is no direct grant.` };
    case 'user_inactive':
      return { allowed: false, text: 'No. The account is locked.' };
    case 'device_read_only':
      return { allowed: false, text: `No. ${who} is a shared display account${needText}.` };
    default:
      return { allowed: false, text: `No (${t.reason}).` };
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
  const tabOpts = ex.tabs.map((t) => ({ value: tabKey(t), label: `see the ${tabName(cat, t.module, t.key)} tab${t.visible ? '' : ' (hidden)'}` }));
  const permOpts = ex.permissions.map((p) => ({ value: `perm:${p.key}`, label: `${permName(cat, p.key)}${p.allowed ? '' : ' (not allowed)'}` }));
  options.push(...tabOpts, ...permOpts);
  const firstDenied = ex.tabs.find((t) => !t.visible);
  const question = field({ label: `Why can or can't ${who}…`, name: 'why', type: 'select', options,
    value: firstDenied ? tabKey(firstDenied) : options[0]?.value });
  // Group the options for scanning.
  const sel = question.input;
  clear(sel);
  const og1 = h('optgroup', { label: 'Tabs' }, tabOpts.map((o) => h('option', { value: o.value }, o.label)));
  const og2 = h('optgroup', { label: 'Permissions' });
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
      return h('tr', null, h('th', { scope: 'row' }, `${tabName(cat, t.module, t.key)} tab`, h('span', { class: 'sub' }, moduleName(cat, t.module))),
        h('td', null, a.allowed ? h('span', { class: 'yes' }, 'Visible') : h('span', { class: 'no' }, 'Hidden')),
        h('td', { class: 'small' }, a.text));
    });
    const permRows = ex.permissions.filter((p) => !deny || !p.allowed).map((p) => {
      const a = explainPermission(ex, p, cat, roleName, who);
      return h('tr', null, h('th', { scope: 'row' }, permName(cat, p.key), h('span', { class: 'sub mono' }, p.key)),
        h('td', null, a.allowed ? h('span', { class: 'yes' }, 'Allowed') : h('span', { class: 'no' }, 'Not allowed')),
        h('td', { class: 'small' }, a.text));
    });
    const cols = [{ label: 'Tab or permission' }, { label: 'Answer' }, { label: 'Why' }];
    clear(listHost, 
      h('h3', null, 'Tabs'), table({ columns: cols, rows: tabRows, caption: 'Tabs', empty: 'None.' }),
      h('h3', { class: 'mt' }, 'Permissions'), table({ columns: cols, rows: permRows, caption: 'Permissions', empty: 'None.' }));
  };
  onlyDenied.addEventListener('change', drawList);
  drawList();

  const allowedCount = ex.permissions.filter((p) => p.allowed).length;
  return h('section', { class: 'card', 'aria-labelledby': 'why-h', id: 'why' },
    h('div', { class: 'card-head' }, h('h2', { id: 'why-h' }, 'Access explained'),
      h('span', { class: 'badges' }, badge(`${allowedCount} of ${ex.permissions.length} permissions`, 'outline'),
        badge(`${ex.tabs.filter((t) => t.visible).length} of ${ex.tabs.length} tabs`, 'outline'))),
    h('p', { class: 'muted' }, 'A permission counts when the role or a direct grant gives it and its module is on for both the organization and the person; some need an add-on.'),
    question, answer,
    h('details', null, h('summary', null, 'Every tab and permission'),
      h('label', { class: 'check', for: 'why-only-denied' }, onlyDenied, h('span', null, 'Show only what is not allowed')),
      listHost));
}
