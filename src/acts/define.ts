/**
 * ActivationDef is the one serialisable definition of an activation (catalogue entry or user expression,
 * with its constants and parameter declarations). It is what model configs, manifests and ONNX metadata
 * store; everything else is compiled from it.
 */
import { ActbenchError, closeMatches } from '../errors.js';
import { CATALOGUE, catalogueNames, findEntry, type AuxLossDef, type CatalogueEntry } from './catalogue.js';
import { opsUsed, paramNames, type Expr, type ParamDef, type ParamShape } from './ir.js';
import { lookupOp } from './ops.js';
import { isParamName, parseExpression } from './parse.js';
import { simplify } from './rewrite.js';

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
}

const PARAM_SHAPES: readonly ParamShape[] = ['scalar', 'channel', 'element'];

/** "la_silu:alpha=0.1,..." → name and constant overrides */
function splitOptions(spec: string): { head: string; constants: Record<string, number> } {
  const m = /^([A-Za-z_][A-Za-z0-9_]*):(.+)$/.exec(spec.trim());
  if (!m || !findEntry(m[1])) return { head: spec.trim(), constants: {} };
  const constants: Record<string, number> = {};
  for (const kv of m[2].split(',')) {
    const [k, v] = kv.split('=').map((s) => s.trim());
    const num = Number(v);
    if (!k || v === undefined || v === '' || !Number.isFinite(num)) {
      throw new ActbenchError('ACT_BAD_OPTION', `activation option '${kv}' in '${spec}': expected name=number, e.g. ${m[1]}:alpha=0.1`, { field: 'activation' });
    }
    constants[k] = num;
  }
  return { head: m[1], constants };
}

function entryDef(entry: CatalogueEntry, opts: ResolveOptions): ActivationDef {
  const constants = { ...(entry.constants ?? {}) };
  for (const [k, v] of Object.entries(opts.constants ?? {})) {
    if (!(k in constants)) {
      const names = Object.keys(constants);
      throw new ActbenchError(
        'ACT_UNKNOWN_CONSTANT',
        `activation '${entry.name}' has no constant '${k}'; ${names.length ? `its constants are ${names.join(', ')}` : 'it has no constants'}`,
        { field: 'activation' },
      );
    }
    constants[k] = v;
  }
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
  if (entry) return validateDef(entryDef(entry, { ...opts, constants: { ...constants, ...(opts.constants ?? {}) } }));
  // a bare word that is neither a catalogue name nor an expression over x is most likely a typo
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(head) && !lookupOp(head)) {
    const close = closeMatches(head, catalogueNames());
    throw new ActbenchError(
      'ACT_UNKNOWN',
      `unknown activation '${head}'${close.length ? ` (did you mean ${close.map((c) => `'${c}'`).join(', ')}?)` : ''}; see 'actbench acts' for the catalogue, or write an expression such as "x*sigmoid(x)"`,
      { field: 'activation' },
    );
  }
  const expr = lookupOp(head) && /^[A-Za-z_][A-Za-z0-9_]*$/.test(head) ? `${head}(x)` : head;
  const parsed = parseExpression(expr, { constants: opts.constants });
  const params: Record<string, ParamDef> = {};
  for (const p of parsed.params) {
    const o = opts.params?.[p] ?? {};
    params[p] = { init: o.init ?? 1, shape: o.shape ?? 'channel' };
  }
  return validateDef({ name: 'custom', expr, constants: { ...(opts.constants ?? {}) }, params });
}

function validateDef(def: ActivationDef): ActivationDef {
  for (const [k, p] of Object.entries(def.params)) {
    if (!isParamName(k)) throw new ActbenchError('ACT_BAD_PARAM', `parameter name '${k}' is not a valid parameter name`, { field: `params.${k}` });
    if (!PARAM_SHAPES.includes(p.shape)) {
      throw new ActbenchError('ACT_BAD_PARAM', `parameter '${k}': shape must be one of ${PARAM_SHAPES.join(', ')}, got '${String(p.shape)}'`, { field: `params.${k}.shape` });
    }
    if (!Number.isFinite(p.init)) throw new ActbenchError('ACT_BAD_PARAM', `parameter '${k}': init must be a finite number`, { field: `params.${k}.init` });
  }
  compileActivation(def); // surfaces expression errors now rather than at training time
  return def;
}

const compiled = new Map<string, CompiledActivation>();

export function compileActivation(def: ActivationDef): CompiledActivation {
  const key = JSON.stringify(def);
  const hit = compiled.get(key);
  if (hit) return hit;
  const parsed = parseExpression(def.expr, { constants: def.constants });
  const ir = simplify(parsed.expr);
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

/** The activation as a TF.js/ONNX-independent summary, for `acts show` and `acts --json`. */
export function describeActivation(def: ActivationDef): { ops: string[]; params: string[] } {
  const c = compileActivation(def);
  return { ops: opsUsed(c.ir), params: c.paramNames };
}

export { CATALOGUE };
