/**
 * Resume only the same run: the recipe stored with a run (train, search, corrupt, an eval store) is
 * compared field by field with the request; any difference is refused, naming the fields, unless the
 * caller starts afresh (--force).
 */
import { ActbenchError } from '../errors.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Paths (a.b[2].c) where two JSON-like values differ; `undefined` fields count as absent. */
export function diffFields(stored: unknown, requested: unknown, path = ''): string[] {
  const a = normalise(stored);
  const b = normalise(requested);
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return [path || '(root)'];
    return a.flatMap((x, i) => diffFields(x, b[i], `${path}[${i}]`));
  }
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((k) => diffFields((a as Record<string, Json>)[k], (b as Record<string, Json>)[k], path ? `${path}.${k}` : k));
  }
  return Object.is(a, b) || (typeof a === 'number' && typeof b === 'number' && a === b) ? [] : [path || '(root)'];
}

function normalise(v: unknown): Json | undefined {
  if (v === undefined) return undefined;
  return JSON.parse(JSON.stringify(v)) as Json;
}

const show = (v: unknown) => (v === undefined ? 'absent' : JSON.stringify(v));

function at(v: unknown, path: string): unknown {
  let cur: unknown = v;
  for (const part of path.split(/\.|(?=\[)/)) {
    if (cur === undefined || cur === null) return undefined;
    const idx = /^\[(\d+)\]$/.exec(part);
    cur = idx ? (cur as unknown[])[Number(idx[1])] : (cur as Record<string, unknown>)[part];
  }
  return cur;
}

/**
 * Throw RESUME_MISMATCH when `requested` differs from `stored` (what: 'run', 'search', 'corruption set',
 * 'results store'); the message lists up to 8 differing fields with both values.
 */
export function assertSameRun(what: string, file: string, stored: unknown, requested: unknown, hint = 'use another output, or --force to start afresh'): void {
  const diff = diffFields(stored, requested);
  if (diff.length === 0) return;
  const lines = diff.slice(0, 8).map((f) => `  ${f}: stored ${show(at(stored, f))}, requested ${show(at(requested, f))}`);
  throw new ActbenchError(
    'RESUME_MISMATCH',
    `the ${what} in ${file} was made with another recipe (${diff.length} field${diff.length > 1 ? 's' : ''} differ${diff.length > 1 ? '' : 's'}):\n${lines.join('\n')}${diff.length > 8 ? `\n  … ${diff.length - 8} more` : ''}\n${hint}`,
    { file, field: diff[0] },
  );
}
