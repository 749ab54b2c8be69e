/**
 * ActivationDef is the one serialisable definition of an activation (catalogue entry or user expression,
 * with its constants and parameter declarations). It is what model configs, manifests and ONNX metadata
 * store; everything else is compiled from it.
 */
import { ActbenchError, closeMatches } from '../errors.js';
import { CATALOGUE, catalogueNames, findEntry, type AuxLossDef, type CatalogueEntry } from './catalogue.js';
import { call, input, opsUsed, paramNames, type Expr, type ParamDef, type ParamShape } from './ir.js';
import { lookupOp, OPS } from './ops.js';
import { isParamName, parseExpression } from './parse.js';
import { lowerMacros, simplify } from './rewrite.js';
import {
  checkConstant, checkConstants, checkFoldedConstants, checkLoweredCost, checkRepresentable, evaluateOnProbe, loweredCost,
  nonFiniteReason, probeReport, type OpCost, type ProbeReport,
} from './validate.js';

export interface ActivationDef {
  /** catalogue name, or 'custom' for a user expression */
  name: string;
  expr: string;
  constants: Record<string, number>;
  params: Record<string, ParamDef>;
  aux?: AuxLossDef;
}

export interface CompiledActivation {
  def: ActivationDef;
  /** the forward function of x, simplified */
  ir: Expr;
  /** the expression the auxiliary training loss is computed on */
  auxIr?: Expr;
  /** parameter names in a stable order */
  paramNames: string[];
}

export interface ResolveOptions {
  /** override named constants, e.g. { alpha: 0.1 } for ImageNet-scale LayerAct */
  constants?: Record<string, number>;
  /** override parameter declarations of a user expression (default: per-channel, init 1) */
  params?: Record<string, Partial<ParamDef>>;
  /**
   * replace a catalogue entry's default constants where the spec sets none (`:k=v`) and `constants` does
   * not either: a model's own defaults, e.g. { alpha: 0.1 } for LayerAct at ImageNet scale. Keys the entry
   * does not have are ignored; expressions ignore them all.
   */
  defaults?: Record<string, number>;
}

/** How errors name an activation: its catalogue name, or the expression (shortened). */
function ownerOf(def: ActivationDef): string {
  if (def.name !== 'custom') return def.name;
  const e = def.expr.replace(/\s+/g, ' ').trim();
  return e.length > 60 ? `${e.slice(0, 57)}…` : e;
}

const PARAM_SHAPES: readonly ParamShape[] = ['scalar', 'channel', 'element'];

/** "la_silu:alpha=0.1,..." → name and constant overrides (numbers only; domains are checked by entryDef) */
function splitOptions(spec: string): { head: string; constants: Record<string, number> } {
  const m = /^([A-Za-z_][A-Za-z0-9_]*):(.+)$/.exec(spec.trim());
  if (!m || !findEntry(m[1])) return { head: spec.trim(), constants: {} };
  const constants: Record<string, number> = {};
  for (const kv of m[2].split(',')) {
    const [k, v, extra] = kv.split('=').map((s) => s.trim());
    // a number, or a spelling of ±inf/NaN (refused below with the constant's name)
    const numeric = v !== undefined && /^[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|inf|infinity|nan)$/i.test(v);
    if (!k || !numeric || extra !== undefined) {
      throw new ActbenchError('ACT_BAD_OPTION', `activation option '${kv}' in '${spec}': expected name=number, e.g. ${m[1]}:alpha=0.1`, { field: 'activation' });
    }
    const num = /inf/i.test(v) ? (v.startsWith('-') ? -Infinity : Infinity) : Number(v);
    const why = nonFiniteReason(num);
    if (why) throw new ActbenchError('ACT_CONSTANT_NONFINITE', `constant '${k}' of '${m[1]}' in '${spec}': ${why}`, { field: `constants.${k}` });
    constants[k] = num;
  }
  return { head: m[1], constants };
}

function entryDef(entry: CatalogueEntry, opts: ResolveOptions): ActivationDef {
  const overrides = opts.constants ?? {};
  checkConstants(entry.name, overrides, entry.domains ?? {});
  const constants = { ...(entry.constants ?? {}), ...overrides };
  const def: ActivationDef = { name: entry.name, expr: entry.expr, constants, params: { ...(entry.params ?? {}) } };
  if (entry.aux) def.aux = { ...entry.aux };
  return def;
}

/**
 * A catalogue name (or alias, optionally with `:const=value` overrides) or an expression → its definition.
 * Throws ExpressionError (pointing at the character) for bad expressions.
 */
export function resolveActivation(spec: string | ActivationDef, opts: ResolveOptions = {}): ActivationDef {
  if (typeof spec !== 'string') return validateDef(spec);
  const { head, constants } = splitOptions(spec);
  const entry = findEntry(head);
  if (entry) {
    const known = entry.constants ?? {};
    const defaults = Object.fromEntries(Object.entries(opts.defaults ?? {}).filter(([k]) => k in known));
    return validateDef(entryDef(entry, { ...opts, constants: { ...defaults, ...constants, ...(opts.constants ?? {}) } }));
  }
  // a bare word that is neither a catalogue name nor an expression over x is most likely a typo
  // (inf/nan go on to the parser, which refuses them as non-finite constants)
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(head) && !lookupOp(head) && !/^(?:inf|infinity|nan)$/i.test(head)) {
    const close = closeMatches(head, catalogueNames());
    throw new ActbenchError(
      'ACT_UNKNOWN',
      `unknown activation '${head}'${close.length ? ` (did you mean ${close.map((c) => `'${c}'`).join(', ')}?)` : ''}; see 'actbench acts' for the catalogue, or write an expression such as "x*sigmoid(x)"`,
      { field: 'activation' },
    );
  }
  const expr = lookupOp(head) && /^[A-Za-z_][A-Za-z0-9_]*$/.test(head) ? `${head}(x)` : head;
  for (const [k, v] of Object.entries(opts.constants ?? {})) checkConstant('custom', k, v);
  const parsed = parseExpression(expr, { constants: opts.constants });
  const params: Record<string, ParamDef> = {};
  for (const p of parsed.params) {
    const o = opts.params?.[p] ?? {};
    params[p] = { init: o.init ?? 1, shape: o.shape ?? 'channel' };
  }
  return validateDef({ name: 'custom', expr, constants: { ...(opts.constants ?? {}) }, params });
}

/**
 * Every definition, from a spec or stored in a model, passes here before use: parameters, constants
 * (each in its catalogue domain), the expression (parse.ts: finite float32 numbers, operator argument
 * domains, nesting and size limits), and the probe (not non-finite everywhere). The rules live in validate.ts.
 */
function validateDef(def: ActivationDef): ActivationDef {
  const entry = findEntry(def.name);
  if (entry && entry.name === def.name) checkConstants(def.name, def.constants, entry.domains ?? {});
  else for (const [k, v] of Object.entries(def.constants ?? {})) checkConstant(ownerOf(def), k, v);
  for (const [k, p] of Object.entries(def.params)) {
    if (!isParamName(k)) throw new ActbenchError('ACT_BAD_PARAM', `parameter name '${k}' is not a valid parameter name`, { field: `params.${k}` });
    if (!PARAM_SHAPES.includes(p.shape)) {
      throw new ActbenchError('ACT_BAD_PARAM', `parameter '${k}': shape must be one of ${PARAM_SHAPES.join(', ')}, got '${String(p.shape)}'`, { field: `params.${k}.shape` });
    }
    if (!Number.isFinite(p.init)) throw new ActbenchError('ACT_BAD_PARAM', `parameter '${k}': init must be a finite number`, { field: `params.${k}.init` });
  }
  compileActivation(def); // surfaces expression errors now rather than at training time
  checkRepresentable(ownerOf(def), probeActivation(def));
  return def;
}

const opCosts = new Map<string, OpCost>();
/** What one call of `op` costs once expanded (both the TF.js and the CUDA-safe ONNX expansion; the larger). */
function opCost(op: string): OpCost {
  const hit = opCosts.get(op);
  if (hit) return hit;
  const def = OPS.get(op);
  let cost: OpCost = { depth: 1, nodes: 1 };
  if (def && (def.expand !== undefined || def.cudaSafe !== undefined || def.cpu !== undefined)) {
    const node = call(op, Array.from({ length: def.arity }, () => input), (def.attrs ?? []).map((a, k) => a.default ?? k));
    for (const [cudaSafe, cpu] of [[false, false], [true, false], [false, true]]) {
      const c = loweredCost(lowerMacros(node, () => false, cudaSafe, cpu), () => ({ depth: 1, nodes: 1 }));
      cost = { depth: Math.max(cost.depth, c.depth - 1), nodes: Math.max(cost.nodes, c.nodes - 1) };
    }
  }
  opCosts.set(op, cost);
  return cost;
}

const compiled = new Map<string, CompiledActivation>();

export function compileActivation(def: ActivationDef): CompiledActivation {
  const key = JSON.stringify(def);
  const hit = compiled.get(key);
  if (hit) return hit;
  const parsed = parseExpression(def.expr, { constants: def.constants });
  const ir = simplify(parsed.expr);
  const owner = ownerOf(def);
  checkFoldedConstants(owner, ir);
  checkLoweredCost(owner, ir, opCost); // before anything expands macros recursively
  const names = paramNames(ir);
  for (const n of names) {
    if (!def.params[n]) throw new ActbenchError('ACT_UNDECLARED_PARAM', `parameter '${n}' of '${def.name}' has no declaration`, { field: `params.${n}` });
  }
  const out: CompiledActivation = { def, ir, paramNames: names };
  if (def.aux) {
    const target = parsed.lets[def.aux.of];
    if (!target) throw new ActbenchError('ACT_BAD_AUX', `auxiliary loss of '${def.name}' refers to '${def.aux.of}', which the expression does not define`, { field: 'aux.of' });
    out.auxIr = simplify(target);
  }
  compiled.set(key, out);
  return out;
}

const probes = new Map<string, ProbeReport[]>();

/**
 * The activation on the probe grid (validate.ts PROBE_GRID, parameters at their initial values), as
 * TF.js computes it and as the CUDA-safe ONNX graph does: how many points are non-finite.
 */
export function probeActivation(def: ActivationDef): ProbeReport[] {
  const key = JSON.stringify(def);
  const hit = probes.get(key);
  if (hit) return hit;
  const c = compileActivation(def);
  const init = Object.fromEntries(Object.entries(def.params).map(([k, p]) => [k, p.init]));
  const out = [
    probeReport('tfjs', evaluateOnProbe(lowerMacros(c.ir, () => false), init)),
    probeReport('onnx-cuda-safe', evaluateOnProbe(lowerMacros(c.ir, () => false, true), init)),
    probeReport('onnx-cpu', evaluateOnProbe(lowerMacros(c.ir, () => false, false, true), init)),
  ];
  probes.set(key, out);
  return out;
}

/** The activation as a TF.js/ONNX-independent summary, for `acts show` and `acts --json`. */
export function describeActivation(def: ActivationDef): { ops: string[]; params: string[] } {
  const c = compileActivation(def);
  return { ops: opsUsed(c.ir), params: c.paramNames };
}

export { CATALOGUE };
