// A strict parser of the Prometheus text exposition format 0.0.4, for the
// metrics tests: every line is a comment (# HELP / # TYPE), blank, or a
// sample `name{label="value",...} number`. Throws on anything else, on a
// sample before its family's TYPE, on a TYPE given twice, on histogram
// buckets that are not cumulative or whose +Inf is not _count.
const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function parseLabels(s, line) {
  const labels = {};
  let i = 0;
  while (i < s.length) {
    const eq = s.indexOf('=', i);
    if (eq < 0) throw new Error(`bad labels: ${line}`);
    const name = s.slice(i, eq);
    if (!LABEL.test(name) || name in labels) throw new Error(`bad label name '${name}': ${line}`);
    if (s[eq + 1] !== '"') throw new Error(`label value not quoted: ${line}`);
    let v = '';
    let j = eq + 2;
    for (; j < s.length && s[j] !== '"'; j++) {
      if (s[j] === '\\') {
        const n = s[++j];
        if (n === 'n') v += '\n'; else if (n === '\\' || n === '"') v += n; else throw new Error(`bad escape: ${line}`);
      } else if (s[j] === '\n') throw new Error(`newline in label: ${line}`);
      else v += s[j];
    }
    if (s[j] !== '"') throw new Error(`unterminated label value: ${line}`);
    labels[name] = v;
    i = j + 1;
    if (s[i] === ',') i++;
    else if (i !== s.length) throw new Error(`junk after label: ${line}`);
  }
  return labels;
}

function parseValue(s, line) {
  if (s === '+Inf') return Infinity;
  if (s === '-Inf') return -Infinity;
  if (s === 'NaN') return NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) throw new Error(`bad value '${s}': ${line}`);
  return Number(s);
}

/** Returns Map name -> {type, help, samples: [{name, labels, value}]}. */
export function parsePrometheus(text) {
  const families = new Map();
  if (!text.endsWith('\n')) throw new Error('the exposition must end with a newline');
  const familyOf = (name) => {
    for (const suffix of ['_bucket', '_sum', '_count']) {
      const base = name.endsWith(suffix) ? name.slice(0, -suffix.length) : null;
      if (base && families.get(base)?.type === 'histogram') return families.get(base);
    }
    return families.get(name);
  };
  for (const line of text.slice(0, -1).split('\n')) {
    if (line === '') continue;
    if (line.startsWith('#')) {
      const m = line.match(/^# (HELP|TYPE) (\S+) ?(.*)$/);
      if (!m) continue; // other comments are allowed
      const [, what, name, rest] = m;
      if (!NAME.test(name)) throw new Error(`bad metric name: ${line}`);
      const f = families.get(name) || { help: null, type: null, samples: [] };
      if (what === 'TYPE') {
        if (f.type) throw new Error(`TYPE twice: ${line}`);
        if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(rest)) throw new Error(`bad type: ${line}`);
        if (f.samples.length) throw new Error(`TYPE after samples: ${line}`);
        f.type = rest;
      } else {
        if (f.help !== null) throw new Error(`HELP twice: ${line}`);
        f.help = rest;
      }
      families.set(name, f);
      continue;
    }
    const m = line.match(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: (-?\d+))?$/);
    if (!m) throw new Error(`bad sample line: ${line}`);
    const [, name, labelText, valueText] = m;
    const f = familyOf(name);
    if (!f || !f.type) throw new Error(`sample before its TYPE: ${line}`);
    f.samples.push({ name, labels: labelText ? parseLabels(labelText, line) : {}, value: parseValue(valueText, line) });
  }
  for (const [name, f] of families) {
    if (f.type !== 'histogram') continue;
    const series = new Map();
    for (const s of f.samples) {
      const { le, ...rest } = s.labels;
      const key = JSON.stringify(rest);
      const e = series.get(key) || { buckets: [], count: null, sum: null };
      if (s.name === `${name}_bucket`) e.buckets.push([le === '+Inf' ? Infinity : Number(le), s.value]);
      else if (s.name === `${name}_count`) e.count = s.value;
      else if (s.name === `${name}_sum`) e.sum = s.value;
      series.set(key, e);
    }
    for (const [key, e] of series) {
      if (e.count === null || e.sum === null) throw new Error(`${name}${key}: no _count or _sum`);
      for (let i = 1; i < e.buckets.length; i++)
        if (e.buckets[i][0] <= e.buckets[i - 1][0] || e.buckets[i][1] < e.buckets[i - 1][1])
          throw new Error(`${name}${key}: buckets not ascending and cumulative`);
      const inf = e.buckets.at(-1);
      if (!inf || inf[0] !== Infinity || inf[1] !== e.count) throw new Error(`${name}${key}: +Inf bucket is not _count`);
    }
  }
  return families;
}

/** The value of the sample `name` whose labels include `labels` (0 if none). */
export function sample(families, family, name, labels = {}) {
  const f = families.get(family);
  if (!f) return 0; // a labelled counter has no series before its first event
  const s = f.samples.find((x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v));
  return s ? s.value : 0;
}
