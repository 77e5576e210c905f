#!/usr/bin/env node
// Builds docs/openapi.json from docs/openapi/_base.json and one fragment per
// API area (docs/openapi/<area>.json: {"paths": {...}, "components": {...}}).
// Run: node tools/openapi-merge.mjs        (writes docs/openapi.json)
//      node tools/openapi-merge.mjs --check (exit 1 if docs/openapi.json is stale)
// Every operation gets an operationId (the fragment's own, or one derived
// from method and path: GET /v1/users/{id} -> getUsersById) and must have a
// `security` entry ([] for an operation open to anyone); lint() lists the
// operations that break these rules and merged() refuses to build then.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const dir = resolve(import.meta.dirname, '../docs/openapi');
const out = resolve(import.meta.dirname, '../docs/openapi.json');

const METHODS = new Set(['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace']);
const cap = (w) => w.charAt(0).toUpperCase() + w.slice(1);

// GET /v1/users/{id}/permissions -> getUsersByIdPermissions
export function operationIdOf(method, path) {
  const words = path.split('/').filter((s) => s && s !== 'v1').map((s) => {
    const param = /^\{(.+)\}$/.exec(s);
    const parts = (param ? param[1] : s).split(/[^A-Za-z0-9]+/).filter(Boolean).map(cap).join('');
    return param ? `By${parts}` : parts;
  });
  return method + (words.join('') || 'Root');
}

// The operations that lack a security entry or share an operationId.
export function lint(doc) {
  const problems = [];
  const ids = new Map();
  for (const [p, ops] of Object.entries(doc.paths ?? {})) {
    for (const [m, op] of Object.entries(ops)) {
      if (!METHODS.has(m)) continue;
      const where = `${m.toUpperCase()} ${p}`;
      if (!op.operationId) problems.push(`${where}: no operationId`);
      else if (ids.has(op.operationId)) problems.push(`${where}: operationId ${op.operationId} is also ${ids.get(op.operationId)}'s`);
      else ids.set(op.operationId, where);
      if (!Array.isArray(op.security)) problems.push(`${where}: no security entry ([] when open to anyone)`);
    }
  }
  return problems;
}

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
        doc.paths[p][m] = METHODS.has(m) && !op.operationId ? { operationId: operationIdOf(m, p), ...op } : op;
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
  const problems = lint(doc);
  if (problems.length) throw new Error(`docs/openapi fragments:\n  ${problems.join('\n  ')}`);
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
