// A person's activity (000): per-day counts of check-ins, form submissions,
// order events and asset events as a stacked bar chart (SVG, no library),
// with the same numbers in a table for screen readers, and the latest events.
import { api } from '/console/api.js';
import { h, clear, field, table, fmtTime, fmtDuration } from '/console/dom.js';
import { t as tr } from '/console/i18n.js';

const SVG = 'http://www.w3.org/2000/svg';
const svg = (tag, attrs = {}, ...kids) => {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  kids.flat().forEach((k) => k && el.append(k));
  return el;
};

export const TYPES = [
  { key: 'checkin', get label() { return tr('activity.checkInEvents'); } },
  { key: 'form', get label() { return tr('activity.forms'); } },
  { key: 'order', get label() { return tr('activity.orderEvents'); } },
  { key: 'asset', get label() { return tr('activity.assetEvents'); } },
];

/** Maps an API type name to one of the four series. */
function series(type) {
  if (!type) return null;
  if (type.startsWith('checkin')) return 'checkin';
  if (type.startsWith('form')) return 'form';
  if (type.startsWith('order')) return 'order';
  if (type.startsWith('asset')) return 'asset';
  return null;
}

function isoDay(d) { return d.toISOString().slice(0, 10); }

/** Normalises the per-day answer into [{day, checkin, form, order, asset}] for every day in range. */
export function dailySeries(days, from, to) {
  const byDay = new Map();
  for (const d of days || []) {
    const row = byDay.get(d.day || d.date) || { checkin: 0, form: 0, order: 0, asset: 0 };
    if (d.counts) for (const [k, v] of Object.entries(d.counts)) { const s = series(k); if (s) row[s] += v; }
    else { const s = series(d.type); if (s) row[s] += d.count || 0; }
    byDay.set(d.day || d.date, row);
  }
  const out = [];
  for (let t = new Date(`${from}T00:00:00Z`); isoDay(t) <= to; t = new Date(t.getTime() + 86400000)) {
    const k = isoDay(t);
    out.push({ day: k, ...(byDay.get(k) || { checkin: 0, form: 0, order: 0, asset: 0 }) });
  }
  return out;
}

export function chart(rows) {
  const W = 720, H = 220, padL = 32, padB = 28, padT = 8;
  const max = Math.max(1, ...rows.map((r) => TYPES.reduce((s, t) => s + r[t.key], 0)));
  const step = (W - padL) / Math.max(1, rows.length);
  const bw = Math.max(4, Math.min(36, step * 0.7));
  const y = (v) => padT + (H - padT - padB) * (1 - v / max);
  const g = svg('g');
  rows.forEach((r, i) => {
    let acc = 0;
    const x = padL + i * step + (step - bw) / 2;
    for (const t of TYPES) {
      const v = r[t.key];
      if (!v) continue;
      const rect = svg('rect', { x, y: y(acc + v), width: bw, height: y(acc) - y(acc + v), class: `bar-${t.key}` },
        svg('title', {}, `${r.day}: ${tr(`activity.count.${t.key}`, { count: v })}`));
      g.append(rect);
      acc += v;
    }
    if (rows.length <= 16 || i % Math.ceil(rows.length / 10) === 0) {
      g.append(svg('text', { x: x + bw / 2, y: H - 10, 'text-anchor': 'middle' }, document.createTextNode(r.day.slice(5))));
    }
  });
  const ticks = [0, Math.round(max / 2), max].filter((v, i, a) => a.indexOf(v) === i);
  const axis = svg('g', {}, svg('line', { x1: padL, x2: W, y1: y(0), y2: y(0), class: 'axis' }),
    ticks.map((v) => svg('text', { x: padL - 6, y: y(v) + 4, 'text-anchor': 'end' }, document.createTextNode(String(v)))));
  return svg('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', 'aria-label': tr('activity.activityPerDayTheTable') }, axis, g);
}

export async function activityCard(card, u) {
  const today = new Date();
  const to = isoDay(today);
  const from14 = isoDay(new Date(today.getTime() - 13 * 86400000));
  const range = field({ label: tr('activity.period'), name: 'range', type: 'select', value: '14', attrs: { class: 'narrow' }, options: [
    { value: '7', label: tr('activity.last7Days') }, { value: '14', label: tr('activity.last14Days') }, { value: '30', label: tr('activity.last30Days') }] });
  const host = h('div');
  card.append(h('p', { class: 'muted' }, tr('activity.timeCheckedInAndCheck')), range, host);
  async function load() {
    const n = Number(range.input.value);
    const from = n === 14 ? from14 : isoDay(new Date(today.getTime() - (n - 1) * 86400000));
    const res = await api(`/v1/users/${encodeURIComponent(u.id)}/activity`, { query: { from: `${from}T00:00:00Z`, to: `${to}T23:59:59Z` } });
    const rows = dailySeries(res.days || res.per_day || [], from, to);
    const total = (k) => rows.reduce((s, r) => s + r[k], 0);
    const events = res.items || res.events || [];
    let worked = null;
    try { worked = (await api('/v1/timesheets', { query: { user_id: u.id, from, to } })).total_s; } catch { /* needs users.view or tasks.assign */ }
    clear(host, 
      h('div', { class: 'stats' },
        worked !== null ? h('div', { class: 'stat' }, h('span', { class: 'label' }, tr('activity.timeCheckedIn')), h('span', { class: 'value' }, fmtDuration(worked))) : null,
        TYPES.map((t) => h('div', { class: 'stat' }, h('span', { class: 'label' }, t.label), h('span', { class: 'value' }, String(total(t.key)))))),
      chart(rows),
      h('div', { class: 'legend', 'aria-hidden': 'true' }, TYPES.map((t) => h('span', null, h('span', { class: `swatch ${t.key}` }), t.label))),
      h('details', null, h('summary', null, tr('activity.numbersPerDay')),
        table({ columns: [{ label: tr('activity.day') }, ...TYPES.map((t) => ({ label: t.label, class: 'num' }))], caption: tr('activity.activityPerDay'),
          rows: rows.map((r) => h('tr', null, h('th', { scope: 'row' }, r.day), TYPES.map((t) => h('td', { class: 'num' }, String(r[t.key]))))) })),
      h('details', null, h('summary', null, tr('activity.latestEventsEventscount', { eventsCount: events.length })),
        table({ columns: [{ label: tr('activity.when') }, { label: tr('activity.type') }, { label: tr('activity.reference') }], caption: tr('activity.latestEvents'), empty: tr('activity.noEventsInThisPeriod'),
          rows: events.slice(0, 100).map((ev) => h('tr', null, h('td', { class: 'small' }, fmtTime(ev.at || ev.occurred_at)), h('td', null, ev.type), h('td', null, ev.ref || ev.reference || ''))) })));
  }
  range.input.addEventListener('change', () => load().catch((e) => host.replaceChildren(h('p', { class: 'form-error' }, e.detail))));
  await load();
}
