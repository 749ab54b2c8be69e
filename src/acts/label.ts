/**
 * The canonical label of an activation: the string results, reports and plots record it under, so one
 * function reads the same everywhere (training manifests, ONNX metadata, the search, eval records).
 *
 *   catalogue entry        its name, plus every constant that differs from the default, sorted by key:
 *                          `la_silu`, `la_silu:alpha=0.1`, `velu:eps=0.001,m=0.5`
 *   anything else          the expression (whitespace collapsed), with definition constants bound
 *                          in front as let statements so the label still parses to the same function:
 *                          `a = 0.5; a*x`
 *
 * Every catalogue label is a valid spec for resolveActivation (the round trip is tested); parameter
 * declarations of custom expressions (init, shape) are not part of the label.
 */
import { findEntry } from './catalogue.js';
import type { ActivationDef } from './define.js';

/** Shortest round-tripping decimal form; -0 kept as written. */
const num = (v: number): string => (Object.is(v, -0) ? '-0' : String(v));

export function activationLabel(def: Pick<ActivationDef, 'name' | 'expr' | 'constants'>): string {
  const constants = def.constants ?? {};
  const entry = findEntry(def.name);
  if (entry && entry.name === def.name) {
    const defaults = entry.constants ?? {};
    const changed = Object.keys(constants)
      .filter((k) => !Object.is(constants[k], defaults[k]))
      .sort();
    return changed.length ? `${def.name}:${changed.map((k) => `${k}=${num(constants[k])}`).join(',')}` : def.name;
  }
  const expr = def.expr.replace(/\s+/g, ' ').trim();
  const lets = Object.keys(constants)
    .sort()
    .map((k) => `${k} = ${num(constants[k])}; `)
    .join('');
  return lets + expr;
}

/**
 * The label of the activation an exported model records in its metadata (`actbench.activation`, the
 * ActivationDef as JSON), or undefined when the model records none or it is unreadable.
 */
export function labelFromMetadata(meta: Readonly<Record<string, string>>): string | undefined {
  const raw = meta['actbench.activation'];
  if (raw === undefined) return undefined;
  try {
    const d = JSON.parse(raw) as Partial<ActivationDef> | null;
    if (!d || typeof d.name !== 'string' || typeof d.expr !== 'string') return undefined;
    const constants: Record<string, number> = {};
    for (const [k, v] of Object.entries(d.constants ?? {})) if (typeof v === 'number') constants[k] = v;
    return activationLabel({ name: d.name, expr: d.expr, constants });
  } catch {
    return undefined;
  }
}
