/**
 * A job's key: sha256 of its kind and its input as canonical JSON (object keys sorted, no whitespace), so
 * the same input gives the same key on every machine and every run — the queue's job id, and how results
 * are gathered and a restarted coordinator finds the jobs it already sent.
 */
import { createHash } from 'node:crypto';
import { ActbenchError } from '../errors.js';

/** JSON with sorted object keys; refuses what JSON cannot carry faithfully (NaN, Infinity, undefined in arrays, functions). */
export function canonicalJson(v: unknown, at = 'input'): string {
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new ActbenchError('JOB_BAD_INPUT', `${at} is ${v}: a job's input must be plain JSON (finite numbers)`, { field: at });
    return JSON.stringify(v);
  }
  if (Array.isArray(v)) return `[${v.map((x, k) => canonicalJson(x, `${at}[${k}]`)).join(',')}]`;
  if (typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonicalJson(x, `${at}.${k}`)}`).join(',')}}`;
  }
  throw new ActbenchError('JOB_BAD_INPUT', `${at} is a ${typeof v}: a job's input must be plain JSON`, { field: at });
}

export function jobKey(kind: string, input: unknown): string {
  return createHash('sha256').update(`${kind}\n${canonicalJson(input)}`).digest('hex');
}
