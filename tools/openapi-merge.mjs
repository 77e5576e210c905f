#!/usr/bin/env node
// Builds docs/openapi.json from docs/openapi/_base.json and one fragment per
// API area (docs/openapi/<area>.json: {"paths": {...}, "components": {...}}).
// Run: node tools/openapi-merge.mjs        (writes docs/openapi.json)
//      node tools/openapi-merge.mjs --check (exit 1 if docs/openapi.json is stale)
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const dir = resolve(import.meta.dirname, '../docs/openapi');
const out = resolve(import.meta.dirname, '../docs/openapi.json');

export function merged() {
  const doc = JSON.parse(readFileSync(join(dir, '_base.json'), 'utf8'));
  doc.paths ??= {};
  doc.components ??= {};
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.json') && n !== '_base.json').sort()) {
    const frag = JSON.parse(readFileSync(join(dir, f), 'utf8'));
    for (const [p, ops] of Object.entries(frag.paths ?? {})) {
      doc.paths[p] ??= {};
      for (const [m, op] of Object.entries(ops)) {
        if (doc.paths[p][m]) throw new Error(`${f}: ${m.toUpperCase()} ${p} is already described`);
        doc.paths[p][m] = op;
      }
    }
    for (const [kind, items] of Object.entries(frag.components ?? {})) {
      doc.components[kind] ??= {};
      for (const [k, v] of Object.entries(items)) {
        if (doc.components[kind][k]) throw new Error(`${f}: components.${kind}.${k} is already defined`);
        doc.components[kind][k] = v;
      }
    }
  }
  return JSON.stringify(doc, null, 2) + '\n';
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const text = merged();
  if (process.argv.includes('--check')) {
    const have = readFileSync(out, 'utf8');
    if (have !== text) { console.error('docs/openapi.json is stale: run node tools/openapi-merge.mjs'); process.exit(1); }
  } else {
    writeFileSync(out, text);
  }
}
